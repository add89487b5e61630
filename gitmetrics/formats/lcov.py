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

import json
import re
from collections.abc import Callable, Mapping
from itertools import compress, islice
from operator import lt, not_
from pathlib import Path
from typing import Any, BinaryIO, cast

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage, Hits
from gitmetrics.formats._common import MAX_COUNT, count_text, norm_path, open_report

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
    return _parse(path, max_bytes, fast=True)


def _parse(path: Path, max_bytes: int, *, fast: bool) -> Coverage:
    """``fast=False`` reads every line one by one (the reference the fast path must match)."""
    reader = _Reader(path, fast=fast)
    fh, _ = open_report(path, max_bytes)
    with fh:
        head = fh.read(65536)
        if b"\x00" in head:
            raise ReportError(f"{path}: binary data where a text report was expected")
        fh.seek(0)
        _read_blocks(fh, reader)
    return reader.finish()


_BOM = b"\xef\xbb\xbf"
#: bytes read at a time; a record longer than this makes the block grow
_BLOCK = 1 << 20


def _read_blocks(fh: BinaryIO, reader: _Reader) -> None:
    """Hand the file to ``reader`` a record at a time, as it is read."""
    lineno = 1  # the number of the line at `counted` in `buf`
    counted = 0
    buf = b""
    while True:
        chunk = fh.read(_BLOCK)
        if not chunk:
            break
        buf = buf + chunk if buf else chunk
        pos = 0
        while True:
            # a record ends at its end_of_record line; what follows waits for more text
            end = buf.find(b"\nend_of_record", pos)
            if end < 0:
                break
            nl = buf.find(b"\n", end + 1)
            if nl < 0:
                break
            record = buf[pos : nl + 1]
            if not reader.record(record):
                # line numbers are counted only where the lines are read one by one
                lineno += buf.count(b"\n", counted, pos)
                reader.lines(lineno, record)
                counted = pos
            pos = nl + 1
        lineno += buf.count(b"\n", counted, pos)
        buf, counted = buf[pos:], 0
    if buf:
        reader.lines(lineno, buf)


# A record of usual lines is read in C: the lines that carry no line data are cut out,
# what remains must be nothing but DA:<line>,<hits> lines, which become one JSON array,
# and the BRDA lines are read with one expression; every count must tally, or the record
# is read line by line. Numbers have at most 15 digits (below 2**53) and no leading zero.
_OTHER = re.compile(rb"\n(?:TN|VER|FN|FNDA|FNF|FNH|FNL|FNA|LF|LH|BRF|BRH|BRDA):[^\n]*")
_N = rb"(0|[1-9][0-9]{0,14})"
# BRDA:<line>,<block>,<branch>,<taken>: the branch may hold commas, the last one ends it;
# (the arm's key: "<line>,<block>,<branch>", the arm's taken count)
_BRDA = re.compile(
    rb"\nBRDA:((?:0|[1-9][0-9]{0,14}),[0-9A-Za-z_.+-]*,[^\n\x00]*),"
    rb"(-|0|[1-9][0-9]{0,14})\r?(?=\n)"
)
_DA = re.compile(rb"\nDA:((?:0|[1-9][0-9]{0,14}),[0-9]{1,15})(?:,[^,\n]*)?(?=\n)")
_BLANK = b"\r\n \t"
_NUMBERS = b"0123456789," + _BLANK


def _fast_record(body: bytes) -> tuple[Hits[int], Hits[str]] | None:
    """The lines and branches of a record body of usual lines, else ``None``.

    ``body`` runs from the newline ending the ``SF:`` line to the newline before
    ``end_of_record``; it is known to be UTF-8.
    """
    da = body.count(b"\nDA:")
    rest = _OTHER.sub(b"", body)
    # "\nDA:1,1\nDA:2,0\n" -> ",1,1,2,0\n": digits, commas and whitespace only
    numbers = rest.replace(b"\nDA:", b",")
    if numbers.translate(None, _NUMBERS):
        # DA:<line>,<hits>,<checksum> (gcovr, coverage.py 6): one expression per line
        pairs = _DA.findall(rest)
        if len(pairs) != da or _DA.sub(b"", rest).translate(None, _BLANK):
            return None
        numbers = b"," + b",".join(pairs)
    try:
        values, _ = _scan_once(f"[0{numbers.decode('ascii')}]", 0)
    except (ValueError, StopIteration):  # an empty value, or a leading zero
        return None
    if len(values) != 2 * da + 1 or (da and max(values) > MAX_COUNT):
        return None
    lines, hits = values[1::2], values[2::2]
    hit, missed = list(compress(lines, hits)), list(compress(lines, map(not_, hits)))
    # lines in increasing order (as most producers write them) cannot repeat
    ordered = all(map(lt, lines, islice(lines, 1, None)))
    line_hits = Hits(hit, missed) if ordered else Hits.from_lists(hit, missed)
    if b"\nBRDA:" not in body:
        return line_hits, _NO_BRANCHES
    arms = _BRDA.findall(body)
    if len(arms) != body.count(b"\nBRDA:"):
        return None
    # the arms' keys joined and decoded at once
    keys_b, counts = zip(*arms, strict=True)
    keys = b"\x00".join(keys_b).decode("utf-8").split("\x00")
    not_taken = list(map(_NOT_TAKEN.__contains__, counts))
    return line_hits, Hits.from_lists(
        list(compress(keys, map(not_, not_taken))), list(compress(keys, not_taken))
    )


_NOT_TAKEN = frozenset({b"-", b"0"})
_NO_BRANCHES: Hits[str] = Hits((), ())
# the C scanner json.loads uses (without its Python layers: records are many and small)
_scan_once = cast(Callable[[str, int], tuple[Any, int]], json.JSONDecoder().scan_once)  # type: ignore[attr-defined]


class _Reader:
    """Reads a tracefile: usual records at C speed, anything else line by line.

    The line-by-line reading knows every record type and every error; a record of usual
    lines gives the same maps without a Python step per line.
    """

    def __init__(self, path: Path, *, fast: bool = True) -> None:
        self.path = path
        self.fast = fast
        self.files = _Files()
        self.current: str | None = None
        self.hits_of: dict[int, int] | None = None  # the open record's lines
        self.taken_of: dict[str, int] = {}  # the open record's branches
        self.seen = False  # a line that is not blank was read

    def record(self, text: bytes) -> bool:
        """Read one record of usual lines (``SF:`` to ``end_of_record``, maybe after a
        ``TN:``); ``False`` when it has other lines, to be read one by one."""
        text = text.lstrip(b"\n")  # blank lines between records
        # (a BOM, which only the first line may carry, makes the first record irregular)
        if self.fast and (text.isascii() or _utf8(text)):
            head = text.find(b"\n") + 1 if text.startswith(b"TN:") else 0
            sf_end = text.find(b"\n", head)
            last = text.rfind(b"\nend_of_record")
            if (
                text.startswith(b"SF:", head)
                and sf_end <= last
                and text.endswith((b"\nend_of_record\n", b"\nend_of_record\r\n"))
            ):
                name = text[head + 3 : sf_end].removesuffix(b"\r").decode("utf-8")
                found = _fast_record(text[sf_end : last + 1])
                # a name with spaces around it, or none, is left to the line reading
                if found is not None and name and name == name.strip():
                    self.seen = True
                    self.close()  # a record before it may have had no end_of_record
                    self.files.add(norm_path(name), *found)
                    return True
        return False

    def lines(self, lineno: int, text: bytes) -> None:
        """Lines read one by one, the first numbered ``lineno``."""
        for n, raw in enumerate(text.split(b"\n"), lineno):
            self.line(n, raw)

    def line(self, lineno: int, raw: bytes) -> None:
        """One line of the tracefile."""
        data = raw.strip()
        if not data:
            return
        if not self.seen:
            self.seen = True
            data = data.removeprefix(_BOM)
        hits_of = self.hits_of
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
                return
        line = _decode(self.path, data, lineno).strip()
        if not line:
            return
        where = f"{self.path}: line {lineno}"
        if line == "end_of_record":
            self.close()
            return
        kind, sep, rest = line.partition(":")
        if not sep:
            raise ReportError(f"{where}: not an LCOV record (no `TYPE:` prefix)")
        if kind == "SF":
            if not rest:
                raise ReportError(f"{where}: SF: without a file name")
            self.close()  # no end_of_record before it
            self.current = norm_path(rest)
            self.hits_of, self.taken_of = {}, {}
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
            key = f"{n},{block},{branch}"
            self.taken_of[key] = self.taken_of.get(key, 0) + taken
        elif kind in _IGNORED or (kind.isascii() and kind.isalpha() and kind.isupper()):
            # newer lcov versions add record types (e.g. MC/DC); they carry no line data
            return
        else:
            raise ReportError(f"{where}: unknown LCOV record type")

    def close(self) -> None:
        """End the open record, if any."""
        if self.current is not None and self.hits_of is not None:
            self.files.add(self.current, self.hits_of, self.taken_of)
        self.current = self.hits_of = None

    def finish(self) -> Coverage:
        """The coverage of everything read."""
        if not self.seen:
            raise ReportError(f"{self.path}: report is empty")
        self.close()  # the last record may lack end_of_record
        if not self.files.lines:
            raise ReportError(f"{self.path}: no SF: record: not an LCOV tracefile")
        return Coverage.from_files(NAME, self.files.coverage())


def _utf8(text: bytes) -> bool:
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Files:
    """Each file's hits, packed as each record ends: only the open record is a dict."""

    def __init__(self) -> None:
        self.lines: dict[str, Hits[int]] = {}
        self.branches: dict[str, Hits[str]] = {}

    def add(self, name: str, lines: Mapping[int, int], branches: Mapping[str, int]) -> None:
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
