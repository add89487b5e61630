"""coverage.py JSON: the traps listed in FORMATS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import coveragepy_json

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
    with pytest.raises(ReportError, match=r"coverage\.json: meta\.format 4"):
        coveragepy_json.parse(_write(tmp_path, data))


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
