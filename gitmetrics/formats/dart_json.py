"""Dart's ``package:coverage`` JSON (``collect_coverage``, ``dart test --coverage``).

``{"type": "CodeCoverage", "coverage": [...]}``: one entry per script and isolate, with
``hits`` a flat array of ``line, count`` pairs (a line may be written as a ``"12-15"``
range in older VM output) and, with ``--branch-coverage``, ``branchHits`` in the same
shape. The same ``source`` comes once per isolate that loaded it: its hits are added up,
as ``format_coverage`` does, so a line is covered when any isolate ran it. The same run's
``lcov.info`` from ``format_coverage --lcov`` gives the same totals.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage
from gitmetrics.formats._common import array, count, json_head, norm_path, obj
from gitmetrics.formats._strict import Maps, add, first_error, line_number, members, merged, text

NAME = "dart-json"
FILENAMES: tuple[str, ...] = ("coverage/coverage.json", "coverage.json")

_HEAD = re.compile(r'"type"\s*:\s*"CodeCoverage"')
_RANGE = re.compile(r"(\d{1,9})-(\d{1,9})")
_MAX_SPAN = 10_000


def detect(path: Path, head: bytes) -> bool:
    """A JSON object whose ``type`` is ``CodeCoverage``."""
    text_ = json_head(head)
    return text_.startswith("{") and _HEAD.search(text_) is not None


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Line (and branch) hits of every script, added up over isolates."""
    where = str(path)
    kind: object = None
    seen = False
    entries: dict[int, tuple[str, Maps] | ReportError] = {}
    for key, member, value in members(path, max_bytes, "coverage"):
        if key == "type":
            kind = value
        elif key == "coverage" and member is None:
            seen = True
            array(value, f"{where}: coverage")
            entries = {}  # json.loads keeps the last of duplicate keys
        elif key == "coverage" and isinstance(member, int):
            try:
                entries[member] = _script(value, f"{where}: coverage[{member}]")
            except ReportError as exc:
                entries[member] = exc
    if kind != "CodeCoverage" or not seen:
        raise ReportError(
            f"{where}: no `type: CodeCoverage` with a coverage array: not a Dart coverage report",
            "set `format:` for this repo in repos.yaml to the report's real format",
        )
    first_error(entries)
    return merged(NAME, (dict([e]) for e in entries.values() if not isinstance(e, ReportError)))


def _script(value: object, where: str) -> tuple[str, Maps]:
    entry = obj(value, where)
    name = norm_path(text(entry.get("source"), f"{where}.source"))
    maps = Maps()
    _pairs(entry.get("hits", []), f"{where}.hits", maps.lines)
    if "branchHits" in entry:
        lines: dict[int, int] = {}
        _pairs(entry["branchHits"], f"{where}.branchHits", lines)
        maps.branches = {str(n): hits for n, hits in lines.items()}
    return name, maps


def _pairs(values: object, where: str, into: dict[int, int]) -> None:
    flat = array(values, where)
    if len(flat) % 2:
        raise ReportError(
            f"{where}: an odd number of entries, not line/count pairs",
            "the report is damaged; regenerate it",
        )
    for i in range(0, len(flat), 2):
        hits = count(flat[i + 1], f"{where}[{i + 1}]")
        line = flat[i]
        if isinstance(line, str):
            span = _RANGE.fullmatch(line)
            # a range is a few lines of one statement: a huge one is not a real report
            if span is None or not 0 < int(span[1]) <= int(span[2]) < int(span[1]) + _MAX_SPAN:
                raise ReportError(
                    f"{where}[{i}]: expected a line or a range of lines",
                    "the report is damaged; regenerate it",
                )
            for n in range(int(span[1]), int(span[2]) + 1):
                add(into, n, hits)
        else:
            add(into, line_number(line, f"{where}[{i}]"), hits)
