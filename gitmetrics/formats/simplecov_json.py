"""SimpleCov's JSON formatters (``coverage/coverage.json``, Ruby).

Two gems write a file of that name:

- ``simplecov_json_formatter`` (the one SimpleCov 0.18+ ships with): ``meta`` names the
  SimpleCov version, ``coverage`` maps each file to its ``lines`` array (entry i is line
  i+1: ``null`` not code, ``"ignored"`` inside ``:nocov:``, else hits) and, with branch
  coverage on, ``branches`` (one entry per arm with its ``coverage`` hits). Totals are
  recounted: non-null, non-ignored lines are relevant, hits above 0 covered.
- ``simplecov-json``: ``files`` lists each file with its ``coverage`` lines (an array, or
  ``{"lines": [...]}`` in later versions), and ``metrics`` holds the totals SimpleCov
  printed, ``covered_lines / total_lines``; they are the totals here. It has no branch data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import array, count, json_head, norm_path, obj
from gitmetrics.formats._strict import first_error, line_array, line_number, members, pair, text

NAME = "simplecov-json"
FILENAMES: tuple[str, ...] = ("coverage/coverage.json",)
_SKIP = frozenset({"ignored"})


def detect(path: Path, head: bytes) -> bool:
    """A JSON object with ``meta.simplecov_version``, or simplecov-json's ``command_name``."""
    text_ = json_head(head)
    if not text_.startswith("{"):
        return False
    return '"simplecov_version"' in text_ or (
        '"command_name"' in text_ and '"covered_percent"' in text_
    )


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Per-file lines (and branch arms) of either formatter, with its totals."""
    try:
        with path.open("rb") as fh:
            formatter = b'"simplecov_version"' in fh.read(65536)
    except OSError:
        formatter = False  # the read below says what is wrong with the file
    stream = "coverage" if formatter else "files"
    where = str(path)
    top: dict[str, Any] = {}
    entries: dict[object, FileCoverage | ReportError] = {}
    for key, member, value in members(path, max_bytes, stream):
        if key != stream or member is None:
            top[key] = value
            if key == stream:
                entries = {}  # json.loads keeps the last of duplicate keys
            continue
        if isinstance(member, int):
            here = f"{where}: files[{member}]"
        else:
            here = f"{where}: coverage entry {len(entries) + 1}"
        try:
            entries[member] = (
                _formatter_file(str(member), value, here) if formatter else _json_file(value, here)
            )
        except ReportError as exc:
            entries[member] = exc
    if formatter:
        obj(top.get("meta"), f"{where}: meta")
        obj(top.get("coverage"), f"{where}: coverage")
    else:
        array(top.get("files"), f"{where}: files")
    first_error(entries)
    files = tuple(e for e in entries.values() if isinstance(e, FileCoverage))
    if formatter or "metrics" not in top:
        return Coverage.from_files(NAME, files)
    metrics = obj(top["metrics"], f"{where}: metrics")
    covered = count(metrics.get("covered_lines"), f"{where}: metrics.covered_lines")
    total = count(metrics.get("total_lines"), f"{where}: metrics.total_lines")
    pair(covered, total, f"{where}: metrics", "lines")
    return Coverage(NAME, covered, total, None, None, files)


def _formatter_file(name: str, value: object, where: str) -> FileCoverage:
    entry = obj(value, where)
    lines = line_array(entry.get("lines"), f"{where}: lines", skip=_SKIP)
    branches: dict[str, int] = {}
    for i, raw in enumerate(array(entry.get("branches", []), f"{where}: branches")):
        here = f"{where}: branches[{i}]"
        arm = obj(raw, here)
        hits = arm.get("coverage")
        if isinstance(hits, str) and hits in _SKIP:
            continue
        line = line_number(arm.get("start_line"), f"{here}.start_line")
        branches[f"{line}:{i}:{arm.get('type')}"] = count(hits, f"{here}.coverage")
    return FileCoverage.from_maps(norm_path(text(name, where)), lines, branches)


def _json_file(value: object, where: str) -> FileCoverage:
    entry = obj(value, where)
    name = norm_path(text(entry.get("filename"), f"{where}.filename"))
    raw = entry.get("coverage")
    if isinstance(raw, dict):
        raw = raw.get("lines")
    lines = line_array(raw, f"{where}.coverage", skip=_SKIP)
    if "covered_lines" in entry and "lines_of_code" in entry:
        covered = count(entry["covered_lines"], f"{where}.covered_lines")
        total = count(entry["lines_of_code"], f"{where}.lines_of_code")
        pair(covered, total, where, "lines")
        return FileCoverage(name, covered, total, lines=lines)
    return FileCoverage.from_maps(name, lines, {})
