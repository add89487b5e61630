"""What the newer formats' producers do that a plain reading would get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError


def _parse(tmp_path: Path, name: str, text: str, fmt: str) -> formats.Coverage:
    path = tmp_path / name
    path.write_text(text)
    return formats.parse(path, fmt)


def test_dart_ranges_count_each_line_and_huge_ones_are_refused(tmp_path: Path) -> None:
    text = '{"type": "CodeCoverage", "coverage": [{"source": "a.dart", "hits": ["%s", 1]}]}'
    cov = _parse(tmp_path, "coverage.json", text % "3-5", "dart-json")
    assert (cov.lines_covered, cov.lines_valid) == (3, 3)
    with pytest.raises(ReportError, match=r"coverage\[0\]\.hits\[0\]: expected a line or a range"):
        _parse(tmp_path, "coverage.json", text % "1-999999999", "dart-json")


def test_dart_without_branch_coverage_has_no_branch_data(tmp_path: Path) -> None:
    text = '{"type": "CodeCoverage", "coverage": [{"source": "a.dart", "hits": [1, 0, 2, 1]}]}'
    cov = _parse(tmp_path, "coverage.json", text, "dart-json")
    assert (cov.lines_covered, cov.lines_valid, cov.branches_valid) == (1, 2, None)


def test_simplecov_before_0_18_wrote_the_lines_array_alone(tmp_path: Path) -> None:
    text = '{"RSpec": {"coverage": {"/src/a.rb": [1, null, 0, 2]}, "timestamp": 1}}'
    cov = _parse(tmp_path, ".resultset.json", text, "simplecov-resultset")
    assert (cov.lines_covered, cov.lines_valid, cov.branches_valid) == (2, 3, None)
