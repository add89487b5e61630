"""LCOV tracefiles (lcov/geninfo, c8, nyc, gcovr, coverage.py, cargo-llvm-cov).

Totals are recomputed from ``DA:`` and ``BRDA:`` records; ``LF/LH/BRF/BRH`` are ignored
because some producers omit them and they are wrong for concatenated files. The same
``SF:`` may appear in several records (concatenated runs, per-test sections): a line
(or a (line, block, branch) arm) is hit if any record hit it. Line 0 is a line like any
other, as ``lcov --summary`` counts it: coverage.py 6.5 writes ``BRDA:0,...`` for an arc
that leaves its function. Each record is packed
into :class:`Hits` as it ends, so a 100 MB tracefile keeps a few bytes per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage, Hits
from gitmetrics.formats._common import count_text, norm_path, open_report

NAME = "lcov"
FILENAMES: tuple[str, ...] = ("lcov.info", "coverage/lcov.info", "*.lcov", "coverage/*.lcov")

_RECORD = re.compile(rb"^(TN|SF|DA|BRDA|LF|LH|FN|FNDA|FNF|FNH|VER|FNL|FNA|BRF|BRH):", re.M)
# record types that carry nothing gitmetrics needs, but are valid LCOV
_IGNORED = frozenset(
    {"TN", "VER", "FN", "FNDA", "FNF", "FNH", "FNL", "FNA", "LF", "LH", "BRF", "BRH"}
)


def detect(path: Path, head: bytes) -> bool:
    """An ``SF:`` record and a ``DA:``/``end_of_record`` line near the start."""
    if b"\x00" in head:
        return False
    kinds = {m.group(1) for m in _RECORD.finditer(head)}
    return b"SF" in kinds and (b"DA" in kinds or b"end_of_record" in head)


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals and per-file line and branch maps, merged over repeated ``SF:`` records."""
    files = _Files()
    current: str | None = None
    hits_of: dict[int, int] | None = None  # the open record's lines, for the DA: fast path
    taken_of: dict[str, int] = {}  # the open record's branches
    for lineno, data in _read_lines(path, max_bytes):
        if data.startswith(b"DA:") and hits_of is not None:
            # nearly every record is DA:<line>,<hits>: read it without decoding
            parts = data[3:].split(b",")
            # (15 digits at most: below 2**53, which the slow path checks)
            if (
                len(parts) in (2, 3)
                and parts[0].isdigit()
                and parts[1].isdigit()
                and len(parts[0]) < 16
                and len(parts[1]) < 16
            ):
                n = int(parts[0])
                hits_of[n] = hits_of.get(n, 0) + int(parts[1])
                continue
        line = _decode(path, data, lineno).strip()
        if not line:
            continue
        where = f"{path}: line {lineno}"
        if line == "end_of_record":
            if current is not None and hits_of is not None:
                files.add(current, hits_of, taken_of)
            current = hits_of = None
            continue
        kind, sep, rest = line.partition(":")
        if not sep:
            raise ReportError(f"{where}: not an LCOV record (no `TYPE:` prefix)")
        if kind == "SF":
            if not rest:
                raise ReportError(f"{where}: SF: without a file name")
            if current is not None and hits_of is not None:  # no end_of_record before it
                files.add(current, hits_of, taken_of)
            current = norm_path(rest)
            hits_of, taken_of = {}, {}
        elif kind == "DA":
            file_lines = _in_file(hits_of, where, kind)
            # DA:<line>,<hits>[,<checksum>]
            parts_s = rest.split(",")
            if len(parts_s) not in (2, 3):
                raise ReportError(f"{where}: DA: expected <line>,<hits>")
            n = count_text(parts_s[0], where)
            hits = count_text(parts_s[1], where)
            file_lines[n] = file_lines.get(n, 0) + hits
        elif kind == "BRDA":
            _in_file(hits_of, where, kind)
            # BRDA:<line>,<block>,<branch>,<taken>; <branch> may itself contain commas
            first = rest.split(",", 2)
            if len(first) < 3 or "," not in first[2]:
                raise ReportError(f"{where}: BRDA: expected <line>,<block>,<branch>,<taken>")
            branch, _, taken_text = first[2].rpartition(",")
            n = count_text(first[0], where)
            block = first[1].strip()
            taken = 0 if taken_text.strip() == "-" else count_text(taken_text, where)
            key = f"{n}:{block}:{branch}"
            taken_of[key] = taken_of.get(key, 0) + taken
        elif kind in _IGNORED or (kind.isascii() and kind.isalpha() and kind.isupper()):
            # newer lcov versions add record types (e.g. MC/DC); they carry no line data
            continue
        else:
            raise ReportError(f"{where}: unknown LCOV record type")
    if current is not None and hits_of is not None:  # the last record lacks end_of_record
        files.add(current, hits_of, taken_of)
    if not files.lines:
        raise ReportError(f"{path}: no SF: record: not an LCOV tracefile")
    return Coverage.from_files(NAME, files.coverage())


class _Files:
    """Each file's hits, packed as each record ends: only the open record is a dict."""

    def __init__(self) -> None:
        self.lines: dict[str, Hits[int]] = {}
        self.branches: dict[str, Hits[str]] = {}

    def add(self, name: str, lines: dict[int, int], branches: dict[str, int]) -> None:
        """Fold one record into its file (the same file may come back in a later record)."""
        line_hits, branch_hits = Hits.from_counts(lines), Hits.from_counts(branches)
        if name in self.lines:
            line_hits = self.lines[name].union(line_hits)
            branch_hits = self.branches[name].union(branch_hits)
        self.lines[name], self.branches[name] = line_hits, branch_hits

    def coverage(self) -> tuple[FileCoverage, ...]:
        return tuple(
            FileCoverage.from_maps(name, hits, self.branches[name])
            for name, hits in self.lines.items()
        )


def _read_lines(path: Path, max_bytes: int) -> Iterator[tuple[int, bytes]]:
    """``(number, line)`` of the report, streamed: a 100 MB tracefile is never held whole."""
    fh, _ = open_report(path, max_bytes)
    with fh:
        if b"\x00" in fh.read(65536):
            raise ReportError(f"{path}: binary data where a text report was expected")
        fh.seek(0)
        blank = True
        for lineno, raw in enumerate(fh, 1):
            data = raw.strip()
            if not data:
                continue
            if blank:
                blank = False
                data = data.removeprefix(b"\xef\xbb\xbf")
            yield lineno, data
    if blank:
        raise ReportError(f"{path}: report is empty")


def _decode(path: Path, data: bytes, lineno: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{path}: line {lineno}: byte {exc.start}: not UTF-8 text", "is this the right file?"
        ) from None


def _in_file(record: dict[int, int] | None, where: str, kind: str) -> dict[int, int]:
    if record is None:
        raise ReportError(f"{where}: {kind}: record outside an SF: section")
    return record
