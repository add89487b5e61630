"""Every report fixture made by a real tool parses to the totals that tool printed.

Layout: ``tests/fixtures/reports/<format>/<case>/expected.json`` beside the report. The
JSON records the producing tool, its version, the command, the line the tool printed
and the counts, so a failure says which producer disagrees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import formats

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
CASES = sorted(FIXTURES.glob("*/*/expected.json"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize(
    "expected_path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}"
)
def test_parser_matches_producing_tool(expected_path: Path) -> None:
    expected = _load(expected_path)
    report = expected_path.parent / expected["report"]
    cov = formats.parse(report, expected["format"])
    assert cov.format == expected["format"]
    assert cov.lines_covered == expected["lines_covered"]
    assert cov.lines_valid == expected["lines_valid"]
    assert cov.branches_covered == expected.get("branches_covered")
    assert cov.branches_valid == expected.get("branches_valid")
    if "files_tested" in expected:
        assert cov.files_tested == expected["files_tested"]
    # the percentage the producing tool printed, to 2 decimals, from counts
    if expected.get("line_percent") is not None:
        assert cov.line_rate is not None
        assert f"{cov.line_rate:.2f}" == expected["line_percent"]
    if expected.get("branch_percent") is not None:
        assert cov.branch_rate is not None
        assert f"{cov.branch_rate:.2f}" == expected["branch_percent"]


@pytest.mark.parametrize(
    "expected_path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}"
)
def test_detection_finds_the_format(expected_path: Path) -> None:
    expected = _load(expected_path)
    report = expected_path.parent / expected["report"]
    assert formats.detect(report) == expected["format"]
