"""Shared helpers for the format tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import Coverage, _xml
from gitmetrics.formats._xml import NotCut

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


def cut_and_uncut_agree(
    module: ModuleType, path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> bool:
    """Assert an XML parser's readings with and without its cutter agree (figures or
    error); True when the cut reading went through on its own."""
    monkeypatch.setattr(_xml, "_CHUNK", chunk)

    def read(cut: bool | None) -> object:
        try:
            if cut is None:
                return figures(module.parse(path, max_bytes=1 << 30))
            return figures(module._parse(path, 1 << 30, cut=cut))
        except ReportError as exc:
            return f"error: {exc}"

    slow = read(False)
    assert read(None) == slow
    try:
        fast = read(True)
    except NotCut:
        return False
    if isinstance(fast, str):  # seen through the cut document: parse re-reads for the message
        return False
    assert fast == slow
    return True
