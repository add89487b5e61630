"""Go coverprofiles (`go test -coverprofile`), modes set, count and atomic.

The total is what ``go tool cover -func`` prints last: statements in blocks with a
count above 0 over all statements. Duplicate blocks (``-coverpkg`` repeats every block
once per test binary) are merged first: OR in set mode, summed in count/atomic mode.
Concatenated profiles repeat the ``mode:`` line; that is accepted when the modes agree.

Go has no line map, only blocks of statements. ``FileCoverage.lines`` therefore holds
one entry per *statement*, keyed by :func:`statement_id` (the block's range and the
statement's index in it packed into one int), so that merging the ``lines`` maps of
partial profiles by key gives exactly the whole profile's statement counts. The keys
are not source line numbers; :func:`block_of` decodes them.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import count_text, covered, norm_path, read_text

NAME = "go"
FILENAMES: tuple[str, ...] = ("cover.out", "coverage.out", "*.coverprofile", "coverage.txt")

_MODES = frozenset({"set", "count", "atomic"})
# ASCII digits only: \d alone would accept other scripts' digits
_BLOCK = re.compile(r"^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$", re.ASCII)
_FIELD_BITS = 24

Block = tuple[int, int, int, int]


def statement_id(block: Block, index: int) -> int:
    """A stable int key for statement ``index`` of block (start line/col, end line/col)."""
    key = 0
    for part in (*block, index):
        if not 0 <= part < 1 << _FIELD_BITS:
            raise ValueError(f"coverprofile field out of range: {part}")
        key = key << _FIELD_BITS | part
    return key


def block_of(key: int) -> tuple[Block, int]:
    """The block range and statement index encoded by :func:`statement_id`."""
    mask = (1 << _FIELD_BITS) - 1
    parts = [(key >> (_FIELD_BITS * i)) & mask for i in range(4, -1, -1)]
    return (parts[0], parts[1], parts[2], parts[3]), parts[4]


def detect(path: Path, head: bytes) -> bool:
    """A first line ``mode: set|count|atomic``."""
    if b"\x00" in head:
        return False
    first = head.lstrip().split(b"\n", 1)[0].strip()
    return first in (b"mode: set", b"mode: count", b"mode: atomic")


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Statement totals of a (possibly concatenated) coverprofile, blocks merged."""
    text = read_text(path, max_bytes)
    mode: str | None = None
    # file -> block -> [numStmt, count]
    blocks: dict[str, dict[Block, list[int]]] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}: line {lineno}"
        if line.startswith("mode:"):
            this = line[5:].strip()
            if this not in _MODES:
                raise ReportError(f"{where}: unknown coverage mode (expected set, count or atomic)")
            if mode is not None and this != mode:
                raise ReportError(
                    f"{where}: mode {this!r} after mode {mode!r}: profiles of different "
                    "modes cannot be merged",
                    "run every `go test` with the same -covermode",
                )
            mode = this
            continue
        if mode is None:
            raise ReportError(f"{where}: expected a `mode:` line first: not a Go coverprofile")
        m = _BLOCK.match(line)
        if m is None:
            raise ReportError(
                f"{where}: expected <file>:<line>.<col>,<line>.<col> <statements> <count>"
            )
        block = (
            count_text(m[2], where),
            count_text(m[3], where),
            count_text(m[4], where),
            count_text(m[5], where),
        )
        stmts, hits = count_text(m[6], where), count_text(m[7], where)
        if max(*block, stmts) >= 1 << _FIELD_BITS:
            raise ReportError(f"{where}: block position or statement count out of range")
        file_blocks = blocks.setdefault(norm_path(m[1]), {})
        prev = file_blocks.get(block)
        if prev is None:
            file_blocks[block] = [stmts, hits]
            continue
        if prev[0] != stmts:
            raise ReportError(
                f"{where}: block {m[2]}.{m[3]},{m[4]}.{m[5]} of {m[1]} has {stmts} statements "
                f"here and {prev[0]} earlier: the profiles come from different sources"
            )
        prev[1] = max(prev[1], min(hits, 1)) if mode == "set" else prev[1] + hits
    if mode is None:
        raise ReportError(f"{path}: no `mode:` line: not a Go coverprofile")
    files = tuple(_file(name, fb) for name, fb in blocks.items())
    return Coverage(
        NAME,
        sum(f.lines_covered for f in files),
        sum(f.lines_valid for f in files),
        None,
        None,
        files,
    )


def _file(name: str, blocks: dict[Block, list[int]]) -> FileCoverage:
    statements = {
        statement_id(block, i): hits
        for block, (stmts, hits) in sorted(blocks.items())
        for i in range(stmts)
    }
    return FileCoverage(name, covered(statements), len(statements), lines=statements)
