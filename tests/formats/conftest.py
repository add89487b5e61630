"""Shared helpers for the format tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics.formats import Coverage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


@pytest.fixture
def fixtures() -> Path:
    """The directory of real reports made by the producing tools."""
    return FIXTURES


def figures(read: Coverage | str) -> object:
    """Everything a reading gives, to compare two readings (an error message as is)."""
    if isinstance(read, str):
        return read
    return (
        read.lines_covered,
        read.lines_valid,
        read.branches_covered,
        read.branches_valid,
        read.warnings,
        [
            (
                f.path,
                f.lines_covered,
                f.lines_valid,
                f.branches_covered,
                f.branches_valid,
                None if f.lines is None else dict(f.lines),
                None if f.branches is None else dict(f.branches),
            )
            for f in read.files
        ],
    )
