"""Coveralls JSON (ExCoveralls, ``gcovr --coveralls``, coveralls-python ``--output``, grcov).

What the Coveralls API takes: ``source_files`` lists each file with ``coverage``, an
array whose entry i is line i+1 (``null``: not code, else hits) and, where the producer
has branch data, ``branches``: a flat array of ``line, block, branch, hits`` quadruples.
Totals are recounted: non-null lines are relevant, hits above 0 covered; every quadruple
is one branch. The file also carries the repo token and often the whole source text:
neither is read beyond checking it is JSON.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage
from gitmetrics.formats._common import array, count, json_head, norm_path, obj
from gitmetrics.formats._strict import (
    Maps,
    add,
    first_error,
    line_array,
    line_number,
    members,
    merged,
    text,
)

NAME = "coveralls"
FILENAMES: tuple[str, ...] = (
    "coveralls.json",
    "cover/excoveralls.json",
    "excoveralls.json",
    "coverage/coveralls.json",
)

_HEAD = re.compile(r'"source_files"\s*:\s*\[')


def detect(path: Path, head: bytes) -> bool:
    """A JSON object with a ``source_files`` array."""
    text_ = json_head(head)
    return text_.startswith("{") and _HEAD.search(text_) is not None


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Lines and branches of every source file (one file entry at a time)."""
    where = str(path)
    seen = False
    entries: dict[int, tuple[str, Maps] | ReportError] = {}
    for key, member, value in members(path, max_bytes, "source_files"):
        if key != "source_files":
            continue
        if member is None:
            seen = True
            array(value, f"{where}: source_files")
            entries = {}  # json.loads keeps the last of duplicate keys
            continue
        assert isinstance(member, int)
        try:
            entries[member] = _file(value, f"{where}: source_files[{member}]")
        except ReportError as exc:
            entries[member] = exc
    if not seen:
        raise ReportError(
            f"{where}: no source_files: not a Coveralls JSON report",
            "set `format:` for this repo in repos.yaml to the report's real format",
        )
    first_error(entries)
    # a file listed twice (parallel jobs put together) is one file, its hits added up
    return merged(NAME, (dict([e]) for e in entries.values() if not isinstance(e, ReportError)))


def _file(value: object, where: str) -> tuple[str, Maps]:
    entry = obj(value, where)
    name = norm_path(text(entry.get("name"), f"{where}.name"))
    maps = Maps()
    maps.lines = line_array(entry.get("coverage"), f"{where}.coverage")
    flat = array(entry.get("branches", []), f"{where}.branches")
    if len(flat) % 4:
        raise ReportError(
            f"{where}.branches: {len(flat)} numbers, not line/block/branch/hits quadruples",
            "the report is damaged; regenerate it",
        )
    for i in range(0, len(flat), 4):
        line = line_number(flat[i], f"{where}.branches[{i}]")
        block = count(flat[i + 1], f"{where}.branches[{i + 1}]")
        arm = count(flat[i + 2], f"{where}.branches[{i + 2}]")
        hits = count(flat[i + 3], f"{where}.branches[{i + 3}]")
        add(maps.branches, f"{line}:{block}:{arm}", hits)
    return name, maps
