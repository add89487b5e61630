"""Checked numbers for the parsers of hostile reports, with errors that never quote them.

A report's text is never echoed in an error (it may be huge, binary or crafted for a
terminal): a message names the file and the place and says what kind of value was
found. Counts are whole numbers from 0 to :data:`MAX_COUNT`; beyond that a float can no
longer hold them exactly and no real report writes them. Decimal text is refused before
it is converted, so a 5000-digit count is a clear error, not Python's digit limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import Coverage, FileCoverage
from gitmetrics.formats._common import MAX_COUNT
from gitmetrics.formats._jsonstream import Member, iter_object
from gitmetrics.formats._xml import Element

_MAX_DIGITS = len(str(MAX_COUNT))
_DAMAGED = "the report is damaged; regenerate it"


def kind(value: object) -> str:
    """What a JSON value is, in words, for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def count(value: object, where: str) -> int:
    """A JSON count from 0 to :data:`MAX_COUNT`; ``where`` names the file and the place."""
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)  # some writers (Dart, JavaScript) print 3.0 for 3
    else:
        raise ReportError(f"{where}: expected a count, got {kind(value)}", _DAMAGED)
    return checked(n, where)


def checked(n: int, where: str) -> int:
    """``n`` if it is a count gitmetrics accepts, else a ReportError naming ``where``."""
    if n < 0:
        raise ReportError(f"{where}: negative count", _DAMAGED)
    if n > MAX_COUNT:
        raise ReportError(f"{where}: count larger than 2**53", _DAMAGED)
    return n


def line_number(value: object, where: str) -> int:
    """A line number: a count of at least 1."""
    n = count(value, where)
    if n == 0:
        raise ReportError(f"{where}: line number 0", _DAMAGED)
    return n


def count_text(text: str, where: str) -> int:
    """A count written as decimal text (ASCII digits only, no sign)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise ReportError(f"{where}: expected a whole number", _DAMAGED)
    if len(text.lstrip("0")) > _MAX_DIGITS:
        raise ReportError(f"{where}: count larger than 2**53", _DAMAGED)
    return checked(int(text), where)


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


def obj(value: object, where: str) -> dict[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        raise ReportError(f"{where}: expected an object, got {kind(value)}", _DAMAGED)
    return value


def array(value: object, where: str) -> list[Any]:
    """``value`` as a JSON array."""
    if not isinstance(value, list):
        raise ReportError(f"{where}: expected an array, got {kind(value)}", _DAMAGED)
    return value


def text(value: object, where: str) -> str:
    """``value`` as a non-empty JSON string."""
    if not isinstance(value, str) or not value:
        raise ReportError(f"{where}: expected a file name, got {kind(value)}", _DAMAGED)
    return value


def items(value: object, where: str) -> Iterator[tuple[str, Any]]:
    """The members of a JSON object."""
    yield from obj(value, where).items()


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
