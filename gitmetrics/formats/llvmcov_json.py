"""llvm-cov export JSON (``llvm-cov export``, ``cargo llvm-cov --json``).

``{"data": [{"files": [...], "functions": [...], "totals": {...}}], "type":
"llvm.coverage.json.export", "version": "2.0.1"}``. The totals are ``totals.lines``
``covered / count`` and ``totals.branches``, which are what ``llvm-cov report`` prints on
its TOTAL row; each file's ``summary`` gives its own. Every branch region counts as two
branches (its true and its false outcome). The line map is rebuilt from the file's
``segments`` the way llvm-cov counts lines, and kept only where it gives the file's own
summary figures (``-summary-only`` exports have no segments at all).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import array, count, json_head, norm_path, obj
from gitmetrics.formats._strict import first_error, members, pair, text

NAME = "llvm-cov-json"
FILENAMES: tuple[str, ...] = ("llvm-cov.json", "coverage/llvm-cov.json", "target/llvm-cov.json")

_MAX_GAP = 1_000_000
# llvm's writer puts "data" first and "type" last, far beyond the first bytes of a big file
_HEAD = re.compile(r'\{\s*"data"\s*:\s*\[\s*\{\s*"files"\s*:\s*\[\s*\{')


def detect(path: Path, head: bytes) -> bool:
    """``{"data": [{"files": [{...`` with a ``filename`` and a ``summary`` or ``segments``."""
    text_ = json_head(head)
    return (
        _HEAD.match(text_) is not None
        and '"filename"' in text_
        and ('"segments"' in text_ or '"summary"' in text_ or "llvm.coverage.json" in text_)
    )


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """The export's totals, and per file its summary and the line map of its segments."""
    where = str(path)
    kind: object = None
    exports: dict[int, tuple[tuple[int, int, int | None, int | None], list[FileCoverage]]] = {}
    errors: dict[int, ReportError] = {}
    for key, member, value in members(path, max_bytes, "data"):
        if key == "type":
            kind = value
        elif key == "data" and member is None:
            array(value, f"{where}: data")
            exports, errors = {}, {}  # json.loads keeps the last of duplicate keys
        elif key == "data" and isinstance(member, int):
            try:
                exports[member] = _export(value, f"{where}: data[{member}]")
            except ReportError as exc:
                errors[member] = exc
    if kind != "llvm.coverage.json.export":
        raise ReportError(
            f"{where}: type is not llvm.coverage.json.export: not an llvm-cov export",
            "set `format:` for this repo in repos.yaml to the report's real format",
        )
    first_error(errors)
    lc = lv = 0
    bc: int | None = None
    bv: int | None = None
    files: list[FileCoverage] = []
    for (elc, elv, ebc, ebv), efiles in exports.values():
        lc, lv = lc + elc, lv + elv
        if ebv:
            bc, bv = (bc or 0) + (ebc or 0), (bv or 0) + ebv
        files.extend(efiles)
    return Coverage(NAME, lc, lv, bc, bv, tuple(files))


def _export(
    value: object, where: str
) -> tuple[tuple[int, int, int | None, int | None], list[FileCoverage]]:
    export = obj(value, where)
    totals = _summary(export.get("totals"), f"{where}.totals")
    files = [
        _file(raw, f"{where}.files[{i}]")
        for i, raw in enumerate(array(export.get("files", []), f"{where}.files"))
    ]
    return totals, files


def _summary(value: object, where: str) -> tuple[int, int, int | None, int | None]:
    summary = obj(value, where)
    lines = obj(summary.get("lines"), f"{where}.lines")
    lc = count(lines.get("covered"), f"{where}.lines.covered")
    lv = count(lines.get("count"), f"{where}.lines.count")
    pair(lc, lv, f"{where}.lines", "lines")
    if "branches" not in summary:  # LLVM before 12 exported no branches
        return lc, lv, None, None
    branches = obj(summary["branches"], f"{where}.branches")
    bc = count(branches.get("covered"), f"{where}.branches.covered")
    bv = count(branches.get("count"), f"{where}.branches.count")
    pair(bc, bv, f"{where}.branches", "branches")
    return (lc, lv, bc, bv) if bv else (lc, lv, None, None)


def _file(value: object, where: str) -> FileCoverage:
    entry = obj(value, where)
    name = norm_path(text(entry.get("filename"), f"{where}.filename"))
    lc, lv, bc, bv = _summary(entry.get("summary"), f"{where}.summary")
    lines = _line_map(entry.get("segments"), f"{where}.segments")
    if lines is not None and (sum(1 for h in lines.values() if h > 0), len(lines)) != (lc, lv):
        lines = None  # a segment shape this reading does not know: keep the summary only
    return FileCoverage(name, lc, lv, bc, bv, lines=lines)


def _line_map(value: object, where: str) -> dict[int, int] | None:
    """Each line's count, as llvm-cov's line coverage reads the segments.

    A segment is ``[line, col, count, has_count, is_region_entry, is_gap_region]``. A line
    is code when a counted region starts on it (not a gap) or a counted region wraps into
    it from an earlier line, unless a region without count (skipped code) starts it; its
    count is the largest of those regions'.
    """
    if value is None:
        return None
    segments = [_segment(s, f"{where}[{i}]") for i, s in enumerate(array(value, where))]
    lines: dict[int, int] = {}
    wrapped: tuple[int, int, bool, bool, bool] | None = None
    i = 0
    while i < len(segments):
        line = segments[i][0]
        j = i
        while j < len(segments) and segments[j][0] == line:
            j += 1
        here = segments[i:j]
        starts = [s for s in here if s[2] and s[3] and not s[4]]
        skipped = not here[0][2] and here[0][3]
        if not skipped and (starts or (wrapped is not None and wrapped[2])):
            hits = wrapped[1] if wrapped is not None else 0
            lines[line] = max([hits, *(s[1] for s in starts)])
        # lines with no segment between two segments carry the wrapped region
        wrapped = here[-1]
        nxt = segments[j][0] if j < len(segments) else line
        if nxt - line > _MAX_GAP:
            raise ReportError(
                f"{where}: segments {j - 1} and {j} are more lines apart than any source file",
                "the report is damaged; regenerate it",
            )
        if wrapped[2]:
            for n in range(line + 1, nxt):
                lines[n] = wrapped[1]
        i = j
    return lines


def _segment(value: object, where: str) -> tuple[int, int, bool, bool, bool]:
    seg: list[Any] = array(value, where)
    if len(seg) < 5 or not all(isinstance(b, bool) for b in seg[3:6]):
        raise ReportError(
            f"{where}: expected [line, col, count, has_count, is_entry, is_gap]",
            "the report is damaged; regenerate it",
        )
    gap = bool(seg[5]) if len(seg) > 5 else False
    return count(seg[0], f"{where}[0]"), count(seg[2], f"{where}[2]"), seg[3], seg[4], gap
