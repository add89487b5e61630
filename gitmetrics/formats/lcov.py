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
import struct
import sys
from collections.abc import Callable, Mapping
from itertools import compress, islice, repeat
from operator import gt, lt, not_, truth
from pathlib import Path
from typing import Any, BinaryIO, cast

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage, Hits, _hits
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
        try:
            # the fast reading counts no lines: they only ever name the place of an error
            _read_blocks(fh, reader, count=not fast)
        except ReportError:
            if not fast:
                raise
            # read again counting them, for the same error at its line
            fh.seek(0)
            _read_blocks(fh, _Reader(path, fast=True), count=True)
            raise
    return reader.finish()


_BOM = b"\xef\xbb\xbf"
#: bytes read at a time; a record longer than this makes the block grow
_BLOCK = 1 << 18
_END = b"\nend_of_record\n"


def _read_blocks(fh: BinaryIO, reader: _Reader, *, count: bool) -> None:
    """Hand the file to ``reader`` a record at a time, as it is read (``count=False``:
    the lines read one by one are numbered from 1 whatever their place)."""
    lineno = 1  # the number of the first line of `buf`
    buf = b""
    while True:
        chunk = fh.read(_BLOCK)
        if reader.fast and b"\r" in chunk:
            # a CR before a newline is blank space the line reading strips
            chunk = chunk.replace(b"\r\n", b"\n")
        buf = buf + chunk if buf else chunk
        if chunk:
            # the records complete so far: what follows waits for more text
            cut = buf.rfind(_END)
            if cut < 0:
                continue
            cut += len(_END)
        else:
            cut = len(buf)
        block, buf = buf[:cut], buf[cut:]
        reader.utf8 = block.isascii()
        pos = counted = 0  # where this record starts; up to where lines were counted
        records = block.split(_END)
        tail = records.pop()  # after the last end_of_record: nothing, or an unended rest
        for record in records:
            if not reader.record(record):
                # line numbers are counted only where the lines are read one by one
                if count:
                    lineno += block.count(b"\n", counted, pos)
                    counted = pos
                reader.lines(lineno, record + b"\nend_of_record")
            pos += len(record) + len(_END)
        if tail:
            reader.lines(lineno + block.count(b"\n", counted, pos) if count else 1, tail)
        if not chunk:
            return
        if count:
            lineno += block.count(b"\n", counted)


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


# A record of one run of DA:<line>,<hits> lines and one run of numeric
# BRDA:<line>,<block>,<branch>,<taken> lines (lcov's own layout, and that of llvm-cov,
# c8, nyc, coverage.py and gcovr) is read with bytes methods and the C JSON scanner, and
# kept packed as it is read: line numbers as gaps, one bit a line for hit or not.
_DA_RUN, _BRDA_RUN = b"\nDA:", b"\nBRDA:"
_DIGITS = b"0123456789,"
_0 = repeat(0)
# what may lie around the runs: lines that carry nothing gitmetrics needs
_REST = re.compile(rb"(?:\n(?:TN|VER|FN|FNDA|FNF|FNH|FNL|FNA|LF|LH|BRF|BRH):[^\n]*)*")


def _span(
    text: bytes, prefix: bytes, start: int, *, alone: bool = True
) -> tuple[int, int, int] | None:
    """Where the run of ``prefix`` lines after ``start`` starts and ends, and how many
    lines it has; ``None`` if none or if other lines stand between them (``alone=False``:
    not looked for)."""
    first = text.find(prefix, start)
    if first < 0:
        return None
    end = text.find(b"\n", text.rfind(prefix) + 1)
    if end < 0:
        end = len(text)
    lines = text.count(prefix, first, end)
    if alone and text.count(b"\n", first, end) != lines:
        return None  # other lines between them
    return first, end, lines


def _run(text: bytes, prefix: bytes, span: tuple[int, int, int]) -> list[int] | None:
    """The numbers of a run of ``prefix`` lines (``[0, *fields]``, taken ``-`` as -1);
    ``None`` if not a usual run."""
    first, end, lines = span
    run = text[first:end]
    if prefix == _DA_RUN and run.translate(None, _DIGITS[:10]) != b"\nDA:," * lines:
        return None  # not one comma a line (the count of numbers may still tally)
    if prefix == _BRDA_RUN and run.translate(None, _DIGITS[:10] + b"-") != b"\nBRDA:,,," * lines:
        return None  # not three commas a line (likewise)
    # the prefixes' letters cut out, each newline a comma: "\nDA:1,1\nDA:2,0" -> ",1,1,2,0"
    body = run.translate(None, prefix[1:])
    if len(run) - len(body) != (len(prefix) - 1) * lines:
        return None  # those letters elsewhere too
    body = body.replace(b"\n", b",")
    if b"-" in body and prefix == _BRDA_RUN:  # BRDA:...,- (never taken): as -1
        body += b","
        if body.count(b"-") != body.count(b",-,"):
            return None  # a minus sign elsewhere
        body = body.replace(b",-,", b",-1,")[:-1]
        if body.translate(None, _DIGITS + b"-"):
            return None
    elif body.translate(None, _DIGITS):
        return None
    try:
        values: list[int] = _scan_once(f"[0{body.decode('ascii')}]", 0)[0]
    except (ValueError, StopIteration):  # an empty field, or a leading zero
        return None
    width = 2 if prefix == _DA_RUN else 4
    if len(values) != width * lines + 1:
        return None
    # every number at most MAX_COUNT (all are 0 or more but the -1 of a `-`)
    if sum(values) + lines > MAX_COUNT and max(values) > MAX_COUNT:
        return None
    return values


# A DA run is read without a Python object per number (the JSON scanner's number, its
# list entry and its freeing cost as much as the rest of the reading): the text is
# reversed and cut at its commas, so that each piece starts with a line number, units
# first, and `%` pads or cuts every piece to a lane of 7 bytes; the lanes, read as one
# integer, are turned into numbers all at once (pairs of digits, then fours, then the
# fifth), and the gaps between the lines are taken lane by lane, as `_hits.gaps` does.
# Whether each line was hit rides in the lane's first byte: a `Y` put before every
# comma, made `Z` where the hits are exactly "0".
_LANE = 7
# digits as "9" (so long numbers show), the bytes of DA:<line>,<hits> lines kept, any
# other byte "!" (D, A and the colon are deleted and counted)
_DA_BYTES = bytes(57 if 48 <= c <= 57 else c if c in b"\n," else 33 for c in range(256))
_DIGIT_VALUES = bytes(c - 48 if 48 <= c <= 57 else 0 for c in range(256))
_MARK_FLAGS = bytes.maketrans(b"YZ", b"\x01\x00")
# per lane (little-endian): the five digits of the line; digits 0, 2, 4; the low two
# bytes; digit 4 alone; byte 1 alone; every byte but the gap's
_LANE_MASKS = (
    b"\x00\xff\xff\xff\xff\xff\x00",
    b"\x00\xff\x00\xff\x00\xff\x00",
    b"\x00\xff\xff\x00\x00\x00\x00",
    b"\x00\x00\x00\x00\x00\xff\x00",
    b"\x00\xff\x00\x00\x00\x00\x00",
    b"\xff\x00\xff\xff\xff\xff\xff",
)
_masks: list[tuple[int, ...]] = []  # (lanes, *masks) for the most lanes needed so far


def _grown(kept: list[tuple[int, ...]], patterns: tuple[bytes, ...], lanes: int) -> tuple[int, ...]:
    """The masks of ``patterns`` (one lane or row each) over at least ``lanes`` of them (a
    longer mask is cut by ``&``), made for 1,024 at first, then twice as many as needed;
    ``kept`` holds the largest made so far."""
    if kept and kept[0][0] >= lanes:
        return kept[0][1:]
    size = max(1024, 1 << lanes.bit_length())
    kept[:] = [(size, *(int.from_bytes(m * size, "little") for m in patterns))]
    return kept[0][1:]


def _lane_masks(lanes: int) -> tuple[int, ...]:
    """The masks of :data:`_LANE_MASKS` over at least ``lanes`` lanes (see :func:`_grown`)."""
    return _grown(_masks, _LANE_MASKS, lanes)


def _da_lanes(run: bytes, lines: int) -> Hits[int] | None:
    """The lines of a run ``\\nDA:<line>,<hits>`` x ``lines`` (no newline after the
    last), read lane by lane; ``None`` (then the JSON reading) unless the lines are
    digits, one comma a line, with no empty field, line numbers of at most five digits
    increasing from 1 by at most 255 at a time, hits below 16 digits (the line reading
    refuses more than 2**53) and not starting "00" (which would read as hit).
    """
    t = run.translate(_DA_BYTES, b"DA:")
    if len(run) - len(t) != 3 * lines or b"!" in t or b"9" * 16 in t:
        return None
    if b",\n" in t or t.endswith(b",") or b",00" in run:
        return None
    pieces = run.replace(b",", b"Y,").replace(b"Y,0\n", b"Z,0\n")[::-1].split(b",")
    if len(pieces) != lines + 1:
        return None
    lanes = b"%-7.7s" * lines % tuple(pieces[1:])
    # each lane holds its line's colon: the line number has at most five digits, and no
    # piece is the middle of a line with two commas (with another line with none)
    if lanes.count(b":") != lines:
        return None
    digits, pairs, low, fifth, first, rest = _lane_masks(lines)
    x = int.from_bytes(lanes.translate(_DIGIT_VALUES), "little") & digits
    x = (x + (x >> 8) * 10) & pairs
    x = ((x + (x >> 16) * 100) & low) | (x & fifth)
    x = (x & low) + ((x >> 32) & first) * 10000
    # each lane less the next (the line before it; none after the first line: 0)
    diff = x - (x >> 8 * _LANE)
    if diff & rest:
        return None  # a gap below 1 (or a borrow from a negative one) or above 255
    gaps = diff.to_bytes(_LANE * lines, "little")[1::_LANE]
    if b"\x00" in gaps:
        return None
    flags = lanes[-_LANE::-_LANE].translate(_MARK_FLAGS)
    if pieces[0] == b"0":  # the last line's hits, after the last comma
        flags = flags[:-1] + b"\x00"
    return Hits.packed(gaps[::-1], _hits.pack_bits(flags))


# A BRDA run is read without a Python object per number either: reversed, with its
# colons and commas as tabs, `expandtabs` puts every field in a lane of 8 bytes (16
# when a taken count has 8 digits or more), units first, so that each line is a row of
# 33 bytes (65): taken, branch, block, line, newline. The digits of the branch, the
# block and the line are copied, column by column, into rows of 16 bytes and made
# numbers all at once (as the DA lanes are). A `-` (never taken) is read as 0, and
# taken counts of two zeros or more are left to the JSON reading, so that an arm was
# taken unless its count is the one digit 0.
# digits and the newline kept, colons and commas as tabs, any other byte "!" (B, R, D
# and A are deleted and counted)
_BRDA_TABS = bytes(c if 48 <= c <= 57 or c == 10 else 9 if c in b":," else 33 for c in range(256))
_NOT_0 = bytes(int(c != 48) for c in range(256))
_NOT_SPACE = bytes(int(c != 32) for c in range(256))
# per lane width: the row's width; the offsets that must hold a space (after a taken
# count of at most width - 1 bytes, a branch and a block of 3, a line of 5); (offset
# in the row, byte in the 16) of the digits of the branch (units first), the block and
# the line, the first of each number first; then of the branch's and the block's 2nd
# and 3rd digits (with their byte in the 4 a row of `zeros`)
_LAYOUTS = {
    w: (
        4 * w + 1,
        (w - 1, w + 3, 2 * w + 3, 3 * w + 5),
        ((w, 0), (2 * w, 4), (3 * w, 8)),
        ((w + 1, 1, 0), (w + 2, 2, 1), (2 * w + 1, 5, 2), (2 * w + 2, 6, 3)),
        tuple((3 * w + k, 8 + k) for k in range(1, 5)),
    )
    for w in (8, 16)
}
# per row of 16 bytes (little-endian): digits 0, 2, 4, 6, 8, 10, 12; the 16-bit words at
# 0, 4, 8 and 12; the words at 0, 4 and 8; the word at 8; what must be 0 (a branch or
# a block from 256, a line from 65,536); 2**120 - 1, so that a row above the next keeps
# bit 120 when it is taken from it less 1; that bit
_ROW_MASKS = (
    b"\xff\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff\x00\xff\x00\x00\x00",
    b"\xff\xff\x00\x00\xff\xff\x00\x00\xff\xff\x00\x00\xff\xff\x00\x00",
    b"\xff\xff\x00\x00\xff\xff\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00",
    b"\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00",
    b"\x00\xff\x00\x00\x00\xff\x00\x00\x00\x00\xff\x00\x00\x00\x00\x00",
    b"\xff" * 15 + b"\x00",
    b"\x00" * 15 + b"\x01",
)
_row_masks: list[tuple[int, ...]] = []


def _brda_masks(lines: int) -> tuple[int, ...]:
    """The masks of :data:`_ROW_MASKS` over at least ``lines`` rows (see :func:`_grown`)."""
    return _grown(_row_masks, _ROW_MASKS, lines)


def _brda_lanes(run: bytes, lines: int) -> Hits[str] | None:
    """The arms of a run ``\\nBRDA:<line>,<block>,<branch>,<taken>`` x ``lines`` (no
    newline after the last), read lane by lane; ``None`` (then the JSON reading) unless
    every field is digits (or the taken count ``-``), the taken count 1 to 15 of them,
    the block and the branch below 256 with no leading zero, the line below 65,536, no
    taken count starting "00", and the arms in increasing order (then none repeats)."""
    if b"-" in run:
        run = run.replace(b",-\n", b",0\n")
        if run.endswith(b",-"):
            run = run[:-1] + b"0"
    if b",00" in run:
        return None
    t = run[::-1].translate(_BRDA_TABS, b"BRDA")
    if len(run) - len(t) != 4 * lines or b"!" in t:
        return None
    newlines = b"\n" * lines
    e = t.expandtabs(8)
    row, spaced, firsts, zero_columns, number_columns = _LAYOUTS[8]
    if e[row - 1 :: row] != newlines:
        # a line of other widths (every line ends with a newline): a taken count of 8
        # digits or more, else not four fields of 1 to 7 bytes
        e = t.expandtabs(16)
        row, spaced, firsts, zero_columns, number_columns = _LAYOUTS[16]
        if e[row - 1 :: row] != newlines:
            return None
    # every lane starts with a byte of its field and ends with a space: four fields a
    # row (a row of four lanes holds no more); the branch and the block have at most 3
    # digits, the line 5
    spaces = b" " * lines
    for column in spaced:
        if e[column::row] != spaces:
            return None
    counts = e[0::row]
    if 32 in counts:
        return None
    rows = bytearray(16 * lines)
    for column, at in firsts:
        digits = e[column::row]
        if 32 in digits:
            return None  # an empty field
        rows[at::16] = digits
    for column, at in number_columns:
        rows[at::16] = e[column::row]
    # a leading zero in the branch or the block: the last of three digits, or of two (a
    # 0 before a space)
    zeros = bytearray(4 * lines)
    for column, at, zero_at in zero_columns:
        rows[at::16] = zeros[zero_at::4] = e[column::row]
    if 48 in zeros[1::2] or b"0 " in zeros:
        return None
    pairs, words, low, line, over, step, guard = _brda_masks(lines)
    x = int.from_bytes(rows.translate(_DIGIT_VALUES), "little")
    x = (x + (x >> 8) * 10) & pairs
    x = (x + (x >> 16) * 100) & words
    x = (x & low) + ((x >> 32) & line) * 10000
    if x & over:
        return None
    # each row (branch at byte 0, block at 4, line at 8: ordered as the arm) above the
    # next one (the arm of the line before it)
    last = (1 << 128 * (lines - 1)) - 1
    if ((x + (step & last) - (x >> 128)) & guard & last) != guard & last:
        return None
    keyed = x.to_bytes(16 * lines, "big")  # the rows in line order, each byte 15 first
    lanes = bytearray(4 * lines)  # little-endian: branch, block, line
    lanes[0::4], lanes[1::4], lanes[2::4], lanes[3::4] = (
        keyed[15::16],
        keyed[11::16],
        keyed[7::16],
        keyed[6::16],
    )
    keys = _hits.Arms("I", lanes)  # (the bytes, as if native)
    if sys.byteorder == "big":
        keys.byteswap()
    # taken unless the count is "0": its first digit (the units) 0, its second a space
    hit = int.from_bytes(counts.translate(_NOT_0), "little")
    hit |= int.from_bytes(e[1::row].translate(_NOT_SPACE), "little")
    return Hits.packed(keys, _hits.pack_bits(hit.to_bytes(lines, "big")))


def _arm_keys(lines: list[int], blocks: list[int], branches: list[int]) -> _hits.Arms | None:
    """Arms ``(line, block, branch)`` packed, if in increasing order (then they cannot
    repeat) with lines under 65,536 and blocks and branches under 256."""
    try:
        block_b, branch_b = bytes(blocks), bytes(branches)
        line_b = struct.pack(f"<{len(lines)}H", *lines)
    except (ValueError, struct.error):
        return None
    lanes = bytearray(4 * len(lines))  # little-endian: branch, block, line
    lanes[0::4], lanes[1::4], lanes[2::4], lanes[3::4] = (
        branch_b,
        block_b,
        line_b[0::2],
        line_b[1::2],
    )
    if not _hits.increasing(lanes):
        return None
    keys = _hits.Arms("I", lanes)  # (the bytes, as if native)
    if sys.byteorder == "big":
        keys.byteswap()
    return keys


def _runs_record(text: bytes, start: int) -> tuple[Hits[int], Hits[str]] | None:
    """The lines and branches of a record whose body (``text`` from ``start``, the end
    of its ``SF:`` line) is usual runs, else ``None``."""
    spans = []
    line_hits: Hits[int] = _NO_LINES
    if _DA_RUN in text:
        da = _span(text, _DA_RUN, start)
        if da is None:
            return None
        lanes = _da_lanes(text[da[0] : da[1]], da[2])
        if lanes is not None:
            line_hits = lanes
        else:
            values = _run(text, _DA_RUN, da)
            if values is None:
                return None
            lines, flags = values[1::2], bytes(map(truth, values[2::2]))
            gaps = _hits.gaps(lines)
            if gaps is not None:
                line_hits = Hits.packed(gaps, _hits.pack_bits(flags))
            else:  # out of order, or repeated
                missed = list(compress(lines, map(not_, flags)))
                line_hits = Hits.from_lists(list(compress(lines, flags)), missed)
        spans.append(da[:2])
    branch_hits: Hits[str] = _NO_BRANCHES
    if _BRDA_RUN in text:
        # (a run with other lines between its lines is refused by the lanes, which would
        # not make as many rows of 33 bytes as lines, and by `_run`, whose count of
        # numbers and of prefix bytes would not tally)
        br = _span(text, _BRDA_RUN, start, alone=False)
        if br is None:
            return None
        arms = _brda_lanes(text[br[0] : br[1]], br[2])
        if arms is not None:
            branch_hits = arms
        else:
            values = _run(text, _BRDA_RUN, br)  # (which refuses other lines too)
            if values is None:
                return None
            keys = _arm_keys(values[1::4], values[2::4], values[3::4])
            if keys is None:
                return None
            flags = bytes(map(gt, values[4::4], _0))  # taken: a count, or - (-1)
            branch_hits = Hits.packed(keys, _hits.pack_bits(flags))
        spans.append(br[:2])
    spans.sort()
    pos = start
    for first, end in spans:
        if first < pos or not _REST.fullmatch(text, pos, first):
            return None  # overlapping runs, or a line of another kind
        pos = end
    if not _REST.fullmatch(text, pos):
        return None
    return line_hits, branch_hits


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
    elif rest.translate(None, _NUMBERS[:10] + b" \t\r").replace(b"\nDA:,", b"\n").strip(b"\n"):
        return None  # a line with no comma, or two (the count of numbers may still tally)
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
_NO_LINES: Hits[int] = Hits((), ())
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
        self.utf8 = False  # the block being read is known to be UTF-8

    def record(self, text: bytes) -> bool:
        """Read one record of usual lines (``SF:`` up to its ``end_of_record`` line, maybe
        after a ``TN:``); ``False`` when it has other lines, to be read one by one."""
        text = text.lstrip(b"\n")  # blank lines between records
        # (a BOM, which only the first line may carry, makes the first record irregular)
        if not self.fast or not (self.utf8 or _utf8(text)):
            return False
        head = text.find(b"\n") + 1 if text.startswith(b"TN:") else 0
        if not text.startswith(b"SF:", head):
            return False
        sf_end = text.find(b"\n", head)
        if sf_end < 0:
            sf_end = len(text)
        name = text[head + 3 : sf_end].decode("utf-8")
        # a name with spaces around it, or none, is left to the line reading
        if not name or name != name.strip():
            return False
        found = _runs_record(text, sf_end)
        if found is None:
            found = _fast_record(text[sf_end:] + b"\n")
            if found is None:
                return False
        self.seen = True
        self.close()  # a record before it may have had no end_of_record
        self.files.add(norm_path(name), *found)
        return True

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
