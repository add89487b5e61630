"""gcovr JSON and JSON summary reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import _jsonstream, gcovr_json, gcovr_summary, istanbul_summary

from .conftest import FIXTURES

DETAIL = FIXTURES / "gcovr-json" / "gcc" / "coverage.json"
SUMMARY = FIXTURES / "gcovr-summary" / "gcc" / "coverage-summary.json"


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_detail_has_line_and_branch_maps() -> None:
    cov = gcovr_json.parse(DETAIL)
    (calc,) = cov.files
    assert calc.path == "calc.c"
    assert calc.lines is not None and calc.branches is not None
    assert len(calc.lines) == 22 and len(calc.branches) == 14


def test_noncode_and_excluded_lines_do_not_count(tmp_path: Path) -> None:
    data = {
        "gcovr/format_version": "0.15",
        "files": [
            {
                "file": "a.c",
                "lines": [
                    {"line_number": 1, "count": 1, "branches": []},
                    {"line_number": 2, "count": 0, "branches": [], "gcovr/noncode": True},
                    {"line_number": 3, "count": 0, "branches": [], "gcovr/excluded": True},
                    {"line_number": 1, "count": 2, "branches": [], "function_name": "g"},
                ],
            }
        ],
    }
    cov = gcovr_json.parse(_write(tmp_path, "coverage.json", data))
    assert (cov.lines_covered, cov.lines_valid) == (1, 1)
    assert cov.files[0].lines == {1: 1}
    assert cov.branches_valid is None


def test_detail_negative_count_names_the_place(tmp_path: Path) -> None:
    data = json.loads(DETAIL.read_text())
    data["files"][0]["lines"][0]["count"] = -1
    with pytest.raises(ReportError, match=r"coverage\.json: files\[0\]\.lines\[0\]\.count"):
        gcovr_json.parse(_write(tmp_path, "coverage.json", data))


def test_summary_without_branches_is_none(tmp_path: Path) -> None:
    data = json.loads(SUMMARY.read_text())
    data["branch_total"] = data["branch_covered"] = 0
    cov = gcovr_summary.parse(_write(tmp_path, "coverage-summary.json", data))
    assert cov.branches_valid is None
    assert (cov.lines_covered, cov.lines_valid) == (17, 22)


def test_summary_is_not_taken_for_istanbul() -> None:
    head = SUMMARY.read_bytes()
    assert gcovr_summary.detect(SUMMARY, head)
    assert not istanbul_summary.detect(SUMMARY, head)
    assert not gcovr_json.detect(SUMMARY, head)


def test_summary_given_to_the_detail_parser_says_which_format(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="gcovr-summary"):
        gcovr_json.parse(SUMMARY)


def test_detail_streamed_in_tiny_blocks_gives_the_same_coverage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = gcovr_json.parse(DETAIL)
    monkeypatch.setattr(_jsonstream, "BLOCK_SIZE", 5)
    assert gcovr_json.parse(DETAIL) == whole


def test_detail_duplicate_files_key_keeps_the_last_list(tmp_path: Path) -> None:
    data = json.loads(DETAIL.read_text())
    text = json.dumps(data)[:-1] + ', "files": [{"file": "only.c", "lines": []}]}'
    path = tmp_path / "coverage.json"
    path.write_text(text.replace('"files": [', '"files": [{"no name": 1}, ', 1))
    cov = gcovr_json.parse(path)
    assert [f.path for f in cov.files] == ["only.c"]


def test_detail_json_error_wins_over_a_bad_file_before_it(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_text('{"gcovr/format_version": "0.6", "files": [{"no name": 1}], ')
    with pytest.raises(ReportError, match=r"line 1, column \d+: invalid JSON"):
        gcovr_json.parse(path)
