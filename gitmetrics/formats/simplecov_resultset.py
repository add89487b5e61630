"""SimpleCov's result set (``coverage/.resultset.json``), the data its formatters start from.

The top level holds one entry per command name (``RSpec``, ``Minitest``, a parallel test
process...), each with the raw ``Coverage`` data of Ruby: per file a ``lines`` array whose
entry i is line i+1 (``null``: not code; a number: its hits) and, with branch coverage on,
``branches`` (condition -> arm -> hits). SimpleCov merges the command names it reads by
adding hits line by line and arm by arm, and counts a line covered when its hits are above
0: so does this parser. SimpleCov before 0.18 wrote the ``lines`` array straight under the
file name, with no branch data.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage
from gitmetrics.formats._common import count, items, json_head, norm_path, obj
from gitmetrics.formats._strict import Maps, add, first_error, line_array, members, merged, text

NAME = "simplecov-resultset"
FILENAMES: tuple[str, ...] = ("coverage/.resultset.json", ".resultset.json")

# {"<command name>": {"coverage": {...   (SimpleCov writes "coverage" before "timestamp")
_HEAD = re.compile(r'\{\s*"(?:[^"\\]|\\.)*"\s*:\s*\{\s*"(?:coverage|timestamp)"\s*:')


def detect(path: Path, head: bytes) -> bool:
    """A JSON object of command names, each with its ``coverage`` (and ``timestamp``)."""
    return _HEAD.match(json_head(head)) is not None


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Every command's coverage, added up per file, line and branch arm."""
    # json.loads keeps the last of duplicate keys: so does a dict of commands
    commands: dict[str, dict[str, Maps] | ReportError] = {}
    for i, (name, _, value) in enumerate(members(path, max_bytes)):
        where = f"{path}: command {i + 1}"
        try:
            commands[name] = _command(value, where)
        except ReportError as exc:
            commands[name] = exc
    first_error(commands)
    return merged(NAME, (m for m in commands.values() if not isinstance(m, ReportError)))


def _command(value: object, where: str) -> dict[str, Maps]:
    entry = obj(value, where)
    if "timestamp" in entry:
        count(entry["timestamp"], f"{where}.timestamp")
    files: dict[str, Maps] = {}
    for j, (name, data) in enumerate(items(entry.get("coverage"), f"{where}.coverage")):
        here = f"{where}, file {j + 1}"
        into = files.setdefault(norm_path(text(name, here)), Maps())
        if isinstance(data, list):  # SimpleCov < 0.18: the lines array alone
            into.lines = line_array(data, f"{here}: lines")
            continue
        data = obj(data, here)
        into.lines = line_array(data.get("lines"), f"{here}: lines")
        for k, (condition, arms) in enumerate(items(data.get("branches", {}), f"{here}: branches")):
            for m, (arm, hits) in enumerate(items(arms, f"{here}: branches entry {k + 1}")):
                where_arm = f"{here}: branches entry {k + 1}, arm {m + 1}"
                add(into.branches, f"{condition}|{arm}", count(hits, where_arm))
    return files
