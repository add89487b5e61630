"""Checked numbers for the parsers of hostile reports, with errors that never quote them.

A report's text is never echoed in an error (it may be huge, binary or crafted for a
terminal): a message names the file and the place and says what kind of value was
found. The checks of single values (counts, objects, arrays) are
:mod:`gitmetrics.formats._common`'s, shared with every other parser; this module adds the
shapes the newer parsers read (XML count attributes, line arrays, merged parts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import Coverage, FileCoverage
from gitmetrics.formats._common import array, count, count_text, kind_of
from gitmetrics.formats._jsonstream import Member, iter_object
from gitmetrics.formats._xml import Element

_DAMAGED = "the report is damaged; regenerate it"


def line_number(value: object, where: str) -> int:
    """A line number: a count of at least 1."""
    n = count(value, where)
    if n == 0:
        raise ReportError(f"{where}: line number 0", _DAMAGED)
    return n


def attr(path: Path, el: Element, name: str) -> int | None:
    """A count attribute of an XML element, ``None`` when absent."""
    raw = el.attrib.get(name)
    if raw is None:
        return None
    return count_text(raw, f"{path}: line {el.line}: <{el.tag}> {name}")


def required_attr(path: Path, el: Element, name: str) -> int:
    """Like :func:`attr`, but a missing attribute is an error too."""
    value = attr(path, el, name)
    if value is None:
        raise ReportError(f"{path}: line {el.line}: <{el.tag}> has no {name} attribute", _DAMAGED)
    return value


def pair(covered: int, total: int, where: str, what: str) -> None:
    """ReportError when more ``what`` are covered than there are."""
    if covered > total:
        raise ReportError(f"{where}: more {what} covered than there are", _DAMAGED)


def text(value: object, where: str) -> str:
    """``value`` as a non-empty JSON string."""
    if not isinstance(value, str) or not value:
        raise ReportError(f"{where}: expected a file name, got {kind_of(value)}", _DAMAGED)
    return value


def add(into: dict[Any, int], key: object, hits: int) -> None:
    """Sum ``hits`` into ``into[key]`` (several entries for one line are one line)."""
    into[key] = into.get(key, 0) + hits


def line_array(values: object, where: str, *, skip: frozenset[str] = frozenset()) -> dict[int, int]:
    """Hits per line from an array whose entry i is line i+1 (SimpleCov, Coveralls).

    ``null`` marks a line that is not code; strings in ``skip`` mark lines the producer
    excluded (SimpleCov's ``"ignored"``); anything else must be a count.
    """
    lines: dict[int, int] = {}
    for i, v in enumerate(array(values, where)):
        if v is None or (isinstance(v, str) and v in skip):
            continue
        lines[i + 1] = count(v, f"{where}[{i}]")
    return lines


def first_error(entries: Mapping[Any, object]) -> None:
    """Raise the first ReportError kept among ``entries`` (kept until the JSON was checked)."""
    for entry in entries.values():
        if isinstance(entry, ReportError):
            raise entry


def members(path: Path, max_bytes: int, stream: str | None = None) -> Iterator[Member]:
    """:func:`iter_object`, with a number too long for Python's int a ReportError too."""
    try:
        yield from iter_object(path, max_bytes, stream)
    except ValueError as exc:
        # json refuses to convert integers of more than 4300 digits (int_max_str_digits)
        if "digits" not in str(exc):
            raise
        raise ReportError(
            f"{path}: a number of thousands of digits", "the report is damaged; regenerate it"
        ) from None


class Maps:
    """The line and branch hits of one source file, summed as its entries come in."""

    __slots__ = ("branches", "lines")

    def __init__(self) -> None:
        self.lines: dict[int, int] = {}
        self.branches: dict[str, int] = {}

    def merge(self, other: Maps) -> None:
        """Add ``other``'s hits to these (a line hit in either is hit)."""
        for n, hits in other.lines.items():
            add(self.lines, n, hits)
        for key, hits in other.branches.items():
            add(self.branches, key, hits)


def merged(fmt: str, parts: Iterable[Mapping[str, Maps]]) -> Coverage:
    """The coverage of several parts of a report (modules, runs), added up per file."""
    files: dict[str, Maps] = {}
    for part in parts:
        for name, maps in part.items():
            files.setdefault(name, Maps()).merge(maps)
    return Coverage.from_files(
        fmt, tuple(FileCoverage.from_maps(n, m.lines, m.branches) for n, m in files.items())
    )
