"""coverage.py JSON: the traps listed in FORMATS.md."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import Coverage, _jsonstream, coveragepy_json

from .conftest import FIXTURES

BRANCH = FIXTURES / "coverage-json" / "branch" / "coverage.json"
PLAIN = FIXTURES / "coverage-json" / "plain" / "coverage.json"


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(data))
    return path


def test_percent_covered_mixes_branches_and_is_not_the_line_rate() -> None:
    data = json.loads(BRANCH.read_text())
    cov = coveragepy_json.parse(BRANCH)
    # coverage report's TOTAL column: (11 + 5) / (17 + 10)
    assert f"{data['totals']['percent_covered']:.2f}" == "59.26"
    assert cov.line_rate is not None
    assert f"{cov.line_rate:.2f}" == "64.71"
    assert (cov.branches_covered, cov.branches_valid) == (5, 10)


def test_no_branch_data_without_branch_coverage() -> None:
    cov = coveragepy_json.parse(PLAIN)
    assert cov.branches_covered is None
    assert cov.branches_valid is None
    assert cov.branch_rate is None


def test_branch_counts_ignored_when_meta_says_no_branch_coverage(tmp_path: Path) -> None:
    data = json.loads(BRANCH.read_text())
    data["meta"]["branch_coverage"] = False
    cov = coveragepy_json.parse(_write(tmp_path, data))
    assert cov.branches_valid is None


def test_empty_files_are_listed_but_not_tested() -> None:
    cov = coveragepy_json.parse(PLAIN)
    paths = {f.path: f for f in cov.files}
    assert set(paths) == {"pycalc/__init__.py", "pycalc/calc.py", "pycalc/empty.py"}
    assert paths["pycalc/empty.py"].lines_valid == 0
    assert cov.files_tested == 1


def test_per_file_lines_from_executed_and_missing() -> None:
    cov = coveragepy_json.parse(BRANCH)
    calc = next(f for f in cov.files if f.path == "pycalc/calc.py")
    assert calc.lines is not None
    assert len(calc.lines) == 17
    assert calc.lines[6] == 0 and calc.lines[5] == 1
    assert calc.branches is not None
    assert calc.branches["5:7"] == 1 and calc.branches["5:6"] == 0


def test_display_strings_are_not_used(tmp_path: Path) -> None:
    data = json.loads(PLAIN.read_text())
    data["totals"]["percent_covered_display"] = "100"
    data["totals"]["percent_covered"] = 100.0
    cov = coveragepy_json.parse(_write(tmp_path, data))
    assert (cov.lines_covered, cov.lines_valid) == (11, 17)


@pytest.mark.parametrize("fmt", [1, 2, 3])
def test_formats_1_to_3(tmp_path: Path, fmt: int) -> None:
    data = json.loads(PLAIN.read_text())
    data["meta"]["format"] = fmt
    assert coveragepy_json.parse(_write(tmp_path, data)).lines_valid == 17


def test_unknown_future_format_is_refused(tmp_path: Path) -> None:
    data = json.loads(PLAIN.read_text())
    data["meta"]["format"] = 4
    with pytest.raises(
        ReportError, match=r"coverage\.json: meta\.format is not a coverage\.py JSON format"
    ):
        coveragepy_json.parse(_write(tmp_path, data))
    with pytest.raises(ReportError, match="upgrade gitmetrics"):
        coveragepy_json.parse(_write(tmp_path, data))


@pytest.mark.parametrize("bad", [0, "3", True, None])
def test_a_format_coverage_py_never_wrote_is_refused_without_upgrade_advice(
    tmp_path: Path, bad: object
) -> None:
    data = json.loads(PLAIN.read_text())
    data["meta"]["format"] = bad
    with pytest.raises(ReportError, match=r"meta\.format") as err:
        coveragepy_json.parse(_write(tmp_path, data))
    assert "upgrade" not in str(err.value)


OLD = [
    "coveragepy-5.5-lines",
    "coveragepy-5.5-branch",
    "coveragepy-6.5-lines",
    "coveragepy-6.5-branch",
]


@pytest.mark.parametrize("case", OLD)
def test_reports_of_coverage_py_before_7_have_no_format_and_are_read(
    case: str, tmp_path: Path
) -> None:
    real = FIXTURES / "coverage-json" / case / "coverage.json"
    data = json.loads(real.read_text())
    assert "format" not in data["meta"]
    expected = json.loads((real.parent / "expected.json").read_text())
    cov = coveragepy_json.parse(real)
    assert (cov.lines_covered, cov.lines_valid) == (
        expected["lines_covered"],
        expected["lines_valid"],
    )
    # detected by content under any name, not only as coverage.json
    other = tmp_path / "report-from-ci.json"
    other.write_bytes(real.read_bytes())
    assert coveragepy_json.detect(other, other.read_bytes())


def test_coverage_py_5_branch_counts_without_arcs() -> None:
    # 5.5 writes each file's branch counts but no executed_branches/missing_branches
    cov = coveragepy_json.parse(
        FIXTURES / "coverage-json" / "coveragepy-5.5-branch" / "coverage.json"
    )
    calc = next(f for f in cov.files if f.path == "pycalc/calc.py")
    assert (calc.branches_covered, calc.branches_valid) == (5, 10)
    assert (cov.branches_covered, cov.branches_valid) == (5, 10)


@pytest.mark.parametrize("bad", [-1, "11", None, 1.5, True])
def test_bad_counts_name_the_file(tmp_path: Path, bad: object) -> None:
    data = json.loads(PLAIN.read_text())
    data["totals"]["covered_lines"] = bad
    with pytest.raises(ReportError, match=r"coverage\.json: totals\.covered_lines"):
        coveragepy_json.parse(_write(tmp_path, data))


def test_zero_statements_has_no_line_rate(tmp_path: Path) -> None:
    data = {
        "meta": {"format": 3, "branch_coverage": False},
        "totals": {"covered_lines": 0, "num_statements": 0},
        "files": {"empty.py": {"executed_lines": [], "missing_lines": [], "summary": {}}},
    }
    cov = coveragepy_json.parse(_write(tmp_path, data))
    assert cov.line_rate is None
    assert cov.files_tested == 0


# --- streaming: the same figures as loading the whole report --------------------------


def _loaded(path: Path) -> Coverage:
    return coveragepy_json.from_report(json.loads(path.read_text()), str(path), "coverage-json")


@pytest.mark.parametrize("report", sorted((FIXTURES / "coverage-json").glob("*/coverage.json")))
@pytest.mark.parametrize("block_size", [7, 1 << 20])
def test_streamed_parse_equals_from_report(
    report: Path, block_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_jsonstream, "BLOCK_SIZE", block_size)
    assert coveragepy_json.parse(report) == _loaded(report)


def test_meta_after_the_files_is_still_obeyed(tmp_path: Path) -> None:
    data = json.loads(BRANCH.read_text())
    meta = data.pop("meta")
    path = _write(tmp_path, {**data, "meta": meta})
    cov = coveragepy_json.parse(path)
    assert cov == _loaded(path)
    calc = next(f for f in cov.files if f.path == "pycalc/calc.py")
    assert calc.branches is not None and len(calc.branches) == 10


def test_a_later_duplicate_meta_wins(tmp_path: Path) -> None:
    text = BRANCH.read_text().rstrip()[:-1] + ', "meta": {"format": 3, "branch_coverage": false}}'
    path = tmp_path / "coverage.json"
    path.write_text(text)
    cov = coveragepy_json.parse(path)
    assert cov.branches_valid is None
    assert all(f.branches is None for f in cov.files)
    assert cov == _loaded(path)


def test_duplicate_file_names_keep_the_last_entry(tmp_path: Path) -> None:
    text = (
        '{"meta": {"format": 3}, "totals": {"covered_lines": 1, "num_statements": 2},'
        ' "files": {"a.py": {"executed_lines": "broken"}, "b.py": {"executed_lines": [1]},'
        ' "a.py": {"executed_lines": [1], "missing_lines": [2]}}}'
    )
    path = tmp_path / "coverage.json"
    path.write_text(text)
    cov = coveragepy_json.parse(path)
    # json.loads: the first place, the last value; the broken first entry is not an error
    assert [f.path for f in cov.files] == ["a.py", "b.py"]
    assert cov.files[0].lines == {1: 1, 2: 0}
    assert cov == _loaded(path)


def test_duplicate_files_key_keeps_the_last_object(tmp_path: Path) -> None:
    text = (
        '{"meta": {"format": 3}, "files": {"old.py": {"executed_lines": [1]}},'
        ' "totals": {"covered_lines": 0, "num_statements": 0}, "files": {}}'
    )
    path = tmp_path / "coverage.json"
    path.write_text(text)
    assert coveragepy_json.parse(path).files == ()


def test_a_line_both_missing_and_executed_counts_as_executed(tmp_path: Path) -> None:
    data = json.loads(PLAIN.read_text())
    entry = data["files"]["pycalc/calc.py"]
    entry["missing_lines"].append(entry["executed_lines"][0])
    cov = coveragepy_json.parse(_write(tmp_path, data))
    calc = next(f for f in cov.files if f.path == "pycalc/calc.py")
    assert calc.lines is not None
    assert calc.lines[entry["executed_lines"][0]] == 1
    assert len(calc.lines) == 17 and calc.lines.covered == 11


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        ("executed_lines", [1, "2"], r"\.executed_lines: expected a count, got a string"),
        ("executed_lines", [1, True], r"\.executed_lines: expected a count, got true or false"),
        ("missing_lines", [-4], r"\.missing_lines: expected a count, got a negative number"),
        ("missing_lines", {"1": 2}, r"\.missing_lines: expected an array, got an object"),
    ],
)
def test_bad_line_lists_name_the_place(tmp_path: Path, key: str, bad: object, message: str) -> None:
    data = json.loads(PLAIN.read_text())
    data["files"]["pycalc/calc.py"][key] = bad
    with pytest.raises(ReportError, match=r"coverage\.json: files\['pycalc/calc\.py'\]" + message):
        coveragepy_json.parse(_write(tmp_path, data))


def test_integral_floats_and_repeats_still_count(tmp_path: Path) -> None:
    data = json.loads(PLAIN.read_text())
    entry = data["files"]["pycalc/calc.py"]
    entry["executed_lines"] = [float(n) for n in entry["executed_lines"]] + [
        entry["executed_lines"][0]
    ]
    path = _write(tmp_path, data)
    assert coveragepy_json.parse(path) == _loaded(path)


def test_a_syntax_error_after_a_bad_entry_is_the_error_reported(tmp_path: Path) -> None:
    text = '{"meta": {"format": 3}, "files": {"a.py": 3}, "totals": {}'
    path = tmp_path / "coverage.json"
    path.write_text(text)
    with pytest.raises(ReportError, match=r"line 1, column \d+: invalid JSON"):
        coveragepy_json.parse(path)


def test_peak_memory_is_far_below_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        f"pkg/mod{i}.py": {
            "executed_lines": list(range(1, 300, 2)),
            "missing_lines": list(range(2, 300, 2)),
            "summary": {"covered_lines": 150, "num_statements": 299},
        }
        for i in range(400)
    }
    data = {
        "meta": {"format": 3, "branch_coverage": False},
        "files": files,
        "totals": {"covered_lines": 60000, "num_statements": 119600},
    }
    path = _write(tmp_path, data)
    path.write_text(json.dumps(data, indent=4))
    size = path.stat().st_size
    monkeypatch.setattr(_jsonstream, "BLOCK_SIZE", 32768)
    tracemalloc.start()
    try:
        cov = coveragepy_json.parse(path)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert cov.lines_valid == 119600 and len(cov.files) == 400
    # what is kept (4 bytes a line) plus a block and one file's entry, never the text
    assert peak < size / 2, (peak, size)
    assert peak - kept < size / 8, (peak, kept, size)


def test_an_arc_both_missing_and_executed_counts_as_executed(tmp_path: Path) -> None:
    data = json.loads(BRANCH.read_text())
    entry = data["files"]["pycalc/calc.py"]
    entry["missing_branches"].append(entry["executed_branches"][0])
    path = _write(tmp_path, data)
    calc = next(f for f in coveragepy_json.parse(path).files if f.path == "pycalc/calc.py")
    assert calc.branches is not None
    a, b = entry["executed_branches"][0]
    assert calc.branches[f"{a}:{b}"] == 1
    assert (len(calc.branches), calc.branches.covered) == (10, 5)
    assert coveragepy_json.parse(path) == _loaded(path)


@pytest.mark.parametrize("arc", [[1, True], [1], [1, 2, 3], "1:2", [1.0, 2]])
def test_odd_arcs_behave_as_before(tmp_path: Path, arc: object) -> None:
    data = json.loads(BRANCH.read_text())
    data["files"]["pycalc/calc.py"]["executed_branches"].append(arc)
    path = _write(tmp_path, data)
    try:
        want: object = _loaded(path)
    except ReportError as exc:
        want = str(exc)
    try:
        got: object = coveragepy_json.parse(path)
    except ReportError as exc:
        got = str(exc)
    assert got == want
