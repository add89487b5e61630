"""LCOV tracefiles (lcov/geninfo, c8, nyc, gcovr, coverage.py, cargo-llvm-cov).

Totals are recomputed from ``DA:`` and ``BRDA:`` records; ``LF/LH/BRF/BRH`` are ignored
because some producers omit them and they are wrong for concatenated files. The same
``SF:`` may appear in several records (concatenated runs, per-test sections): hits
are summed per file and line, and per (line, block, branch) for branches.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import count_text, norm_path, read_text

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
    text = read_text(path, max_bytes)
    lines: dict[str, dict[int, int]] = {}
    branches: dict[str, dict[str, int]] = {}
    current: str | None = None
    seen_record = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}: line {lineno}"
        if line == "end_of_record":
            current = None
            continue
        kind, sep, rest = line.partition(":")
        if not sep:
            raise ReportError(f"{where}: not an LCOV record: {_clip(line)}")
        if kind == "SF":
            if not rest:
                raise ReportError(f"{where}: SF: without a file name")
            current = norm_path(rest)
            lines.setdefault(current, {})
            branches.setdefault(current, {})
            seen_record = True
        elif kind == "DA":
            file = _in_file(current, where, kind)
            # DA:<line>,<hits>[,<checksum>]
            parts = rest.split(",")
            if len(parts) not in (2, 3):
                raise ReportError(f"{where}: DA: expected <line>,<hits>: {_clip(line)}")
            n = _line_number(parts[0], where)
            hits = count_text(parts[1], where)
            lines[file][n] = lines[file].get(n, 0) + hits
        elif kind == "BRDA":
            file = _in_file(current, where, kind)
            # BRDA:<line>,<block>,<branch>,<taken>; <branch> may itself contain commas
            first = rest.split(",", 2)
            if len(first) < 3 or "," not in first[2]:
                raise ReportError(
                    f"{where}: BRDA: expected <line>,<block>,<branch>,<taken>: {_clip(line)}"
                )
            branch, _, taken_text = first[2].rpartition(",")
            n = _line_number(first[0], where)
            block = first[1].strip()
            taken = 0 if taken_text.strip() == "-" else count_text(taken_text, where)
            key = f"{n}:{block}:{branch}"
            branches[file][key] = branches[file].get(key, 0) + taken
        elif kind in _IGNORED or (kind.isascii() and kind.isalpha() and kind.isupper()):
            # newer lcov versions add record types (e.g. MC/DC); they carry no line data
            continue
        else:
            raise ReportError(f"{where}: unknown LCOV record {kind!r}: {_clip(line)}")
    if not seen_record:
        raise ReportError(f"{path}: no SF: record: not an LCOV tracefile")
    files = tuple(_file(name, lines[name], branches[name]) for name in lines)
    return Coverage.from_files(NAME, files)


def _file(name: str, lines: dict[int, int], branches: dict[str, int]) -> FileCoverage:
    return FileCoverage.from_maps(name, lines, branches)


def _in_file(current: str | None, where: str, kind: str) -> str:
    if current is None:
        raise ReportError(f"{where}: {kind}: record outside an SF: section")
    return current


def _line_number(text: str, where: str) -> int:
    n = count_text(text, where)
    if n == 0:
        raise ReportError(f"{where}: line number 0")
    return n


def _clip(line: str) -> str:
    return line if len(line) <= 80 else line[:77] + "..."
