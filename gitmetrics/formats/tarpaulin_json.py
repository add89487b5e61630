"""cargo-tarpaulin's JSON report (``cargo tarpaulin --out Json``: ``tarpaulin-report.json``).

``files`` lists each source file with ``path`` (an array of path components), its
``traces`` (one per coverable line: ``line`` and ``stats``, ``{"Line": hits}``), and its
own ``covered``/``coverable``; the top level repeats those as the totals tarpaulin prints
(``covered/coverable lines covered``). Tarpaulin measures lines only: no branch data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import array, count, json_head, obj
from gitmetrics.formats._strict import add, first_error, line_number, members, pair

NAME = "tarpaulin-json"
FILENAMES: tuple[str, ...] = ("tarpaulin-report.json", "target/tarpaulin/tarpaulin-report.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object whose files carry ``traces`` and ``coverable``."""
    text_ = json_head(head)
    return text_.startswith("{") and '"traces"' in text_ and '"coverable"' in text_


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """The top-level covered/coverable lines, and each file's traces (one file at a time)."""
    where = str(path)
    top: dict[str, Any] = {}
    entries: dict[int, FileCoverage | ReportError] = {}
    for key, member, value in members(path, max_bytes, "files"):
        if key != "files" or member is None:
            top[key] = value
            if key == "files":
                array(value, f"{where}: files")
                entries = {}  # json.loads keeps the last of duplicate keys
            continue
        assert isinstance(member, int)
        try:
            entries[member] = _file(value, f"{where}: files[{member}]")
        except ReportError as exc:
            entries[member] = exc
    if "files" not in top:
        raise ReportError(f"{where}: no files: not a tarpaulin report")
    first_error(entries)
    files = tuple(e for e in entries.values() if isinstance(e, FileCoverage))
    if "covered" not in top or "coverable" not in top:
        return Coverage.from_files(NAME, files)
    covered = count(top["covered"], f"{where}: covered")
    coverable = count(top["coverable"], f"{where}: coverable")
    pair(covered, coverable, where, "lines")
    return Coverage(NAME, covered, coverable, None, None, files)


def _file(value: object, where: str) -> FileCoverage:
    entry = obj(value, where)
    parts = array(entry.get("path"), f"{where}.path")
    if not parts or not all(isinstance(p, str) for p in parts):
        raise ReportError(f"{where}.path: expected an array of path components")
    name = "/".join(p.strip("/\\") for p in parts if p.strip("/\\"))
    if parts[0] in ("/", "\\"):
        name = "/" + name
    lines: dict[int, int] = {}
    for i, raw in enumerate(array(entry.get("traces", []), f"{where}.traces")):
        here = f"{where}.traces[{i}]"
        trace = obj(raw, here)
        n = line_number(trace.get("line"), f"{here}.line")
        stats = obj(trace.get("stats"), f"{here}.stats")
        add(lines, n, count(stats.get("Line", 0), f"{here}.stats.Line"))
    fc = FileCoverage.from_maps(name, lines, {})
    if "covered" in entry and "coverable" in entry:
        covered = count(entry["covered"], f"{where}.covered")
        coverable = count(entry["coverable"], f"{where}.coverable")
        pair(covered, coverable, where, "lines")
        return FileCoverage(name, covered, coverable, lines=fc.lines)
    return fc
