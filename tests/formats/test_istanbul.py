"""Istanbul summary and coverage-final: the traps listed in FORMATS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import _jsonstream, istanbul_final, istanbul_summary

from .conftest import FIXTURES

SUMMARY = FIXTURES / "istanbul-summary" / "nyc" / "coverage-summary.json"
FINAL = FIXTURES / "istanbul-final" / "nyc" / "coverage-final.json"


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _totals(lines: tuple[int, int], branches: tuple[int, int], pct: object) -> dict[str, object]:
    def entry(c: int, t: int) -> dict[str, object]:
        return {"total": t, "covered": c, "skipped": 0, "pct": pct}

    return {
        "lines": entry(*lines),
        "statements": entry(*lines),
        "functions": entry(0, 0),
        "branches": entry(*branches),
    }


def test_pct_is_never_used(tmp_path: Path) -> None:
    # istanbul floors pct: 2/3 is written 66.66, and an empty total says 100 or "Unknown"
    data = {"total": _totals((2, 3), (0, 0), "Unknown")}
    cov = istanbul_summary.parse(_write(tmp_path, "coverage-summary.json", data))
    assert cov.line_rate is not None
    assert f"{cov.line_rate:.2f}" == "66.67"


def test_empty_branch_total_is_no_branch_data(tmp_path: Path) -> None:
    data = {"total": _totals((2, 3), (0, 0), 100)}
    cov = istanbul_summary.parse(_write(tmp_path, "coverage-summary.json", data))
    assert cov.branches_valid is None
    assert cov.branch_rate is None


def test_empty_total_has_no_line_rate(tmp_path: Path) -> None:
    data = {"total": _totals((0, 0), (0, 0), 100)}
    cov = istanbul_summary.parse(_write(tmp_path, "coverage-summary.json", data))
    assert cov.line_rate is None


def test_summary_lists_files_except_total() -> None:
    cov = istanbul_summary.parse(SUMMARY)
    assert [f.path for f in cov.files] == ["/tmp/gen/js/nyc/calc.js"]


@pytest.mark.parametrize("bad", [-1, "10", None, 2.5])
def test_summary_bad_counts(tmp_path: Path, bad: object) -> None:
    data = json.loads(SUMMARY.read_text())
    data["total"]["lines"]["covered"] = bad
    with pytest.raises(ReportError, match=r"coverage-summary\.json: total\.lines\.covered"):
        istanbul_summary.parse(_write(tmp_path, "coverage-summary.json", data))


def test_final_line_is_max_of_statements_starting_on_it(tmp_path: Path) -> None:
    loc = {"start": {"line": 1, "column": 0}, "end": {"line": 1, "column": 5}}
    loc2 = {"start": {"line": 1, "column": 6}, "end": {"line": 2, "column": 1}}
    data = {
        "/abs/a.js": {
            "path": "/abs/a.js",
            "statementMap": {"0": loc, "1": loc2},
            "fnMap": {},
            "branchMap": {"0": {}},
            "s": {"0": 0, "1": 4},
            "f": {},
            "b": {"0": [1, 0, 0]},
        }
    }
    cov = istanbul_final.parse(_write(tmp_path, "coverage-final.json", data))
    assert cov.files[0].lines == {1: 1}
    assert (cov.lines_covered, cov.lines_valid) == (1, 1)
    assert (cov.branches_covered, cov.branches_valid) == (1, 3)
    assert cov.files[0].path == "/abs/a.js"


def test_final_matches_nyc_and_c8_line_counts() -> None:
    nyc = istanbul_final.parse(FINAL)
    c8 = istanbul_final.parse(FIXTURES / "istanbul-final" / "c8" / "coverage-final.json")
    # nyc counts statement lines, c8 every source line: each agrees with its own tool
    assert (nyc.lines_covered, nyc.lines_valid) == (10, 12)
    assert (c8.lines_covered, c8.lines_valid) == (21, 25)


def test_final_statement_without_count(tmp_path: Path) -> None:
    data = json.loads(FINAL.read_text())
    entry = next(iter(data.values()))
    del entry["s"]["0"]
    with pytest.raises(ReportError, match=r"coverage-final\.json: .*statement 0 has no count"):
        istanbul_final.parse(_write(tmp_path, "coverage-final.json", data))


def test_final_negative_branch_count(tmp_path: Path) -> None:
    data = json.loads(FINAL.read_text())
    entry = next(iter(data.values()))
    entry["b"]["0"][0] = -2
    with pytest.raises(
        ReportError, match=r"coverage-final\.json: .*expected a count, got a negative number"
    ):
        istanbul_final.parse(_write(tmp_path, "coverage-final.json", data))


def test_detect_tells_the_two_apart() -> None:
    assert istanbul_summary.detect(SUMMARY, SUMMARY.read_bytes())
    assert not istanbul_final.detect(SUMMARY, SUMMARY.read_bytes())
    assert istanbul_final.detect(FINAL, FINAL.read_bytes())
    assert not istanbul_summary.detect(FINAL, FINAL.read_bytes())


@pytest.mark.parametrize("report", sorted((FIXTURES / "istanbul-final").glob("*/*-final.json")))
def test_final_streamed_in_tiny_blocks_gives_the_same_coverage(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = istanbul_final.parse(report)
    monkeypatch.setattr(_jsonstream, "BLOCK_SIZE", 3)
    assert istanbul_final.parse(report) == whole


def test_final_duplicate_path_keeps_the_first_place_and_last_entry(tmp_path: Path) -> None:
    data = json.loads(FINAL.read_text())
    (name,) = list(data)[:1]
    body = json.dumps(data)
    # a broken earlier entry for the same file is overridden, as json.loads does
    text = "{" + json.dumps(name) + ': {"broken": 1}, ' + body[1:]
    path = tmp_path / "coverage-final.json"
    path.write_text(text)
    assert istanbul_final.parse(path) == istanbul_final.parse(FINAL)
