"""grcov's covdir JSON (``grcov -t covdir``), the directory tree Mozilla's tools read.

Every node has ``linesCovered``, ``linesMissed``, ``linesTotal`` and ``coveragePercent``;
a directory has ``children`` (name -> node), a file has ``coverage``, an array whose
entry i is line i+1 (``-1``: not code, else hits). The totals are the root's
``linesCovered / linesTotal``; per-file detail is each file's line array, under its path
from the root. covdir has no branch data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import array, count, items, json_head, obj
from gitmetrics.formats._strict import first_error, members, pair

NAME = "grcov-covdir"
FILENAMES: tuple[str, ...] = ("covdir.json", "coverage/covdir.json", "covdir")

_KEYS = re.compile(r'"(?:linesCovered|linesTotal|coveragePercent)"')
#: directories nest no deeper than this in any real tree
_MAX_DEPTH = 100


def detect(path: Path, head: bytes) -> bool:
    """A JSON object with covdir's ``linesCovered``/``linesTotal``/``coveragePercent``."""
    text_ = json_head(head)
    return text_.startswith("{") and len(set(_KEYS.findall(text_))) == 3


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """The root's line totals, and every file's line array (one top directory at a time)."""
    where = str(path)
    root: dict[str, Any] = {}
    children: dict[str, list[FileCoverage] | ReportError] = {}
    for key, member, value in members(path, max_bytes, "children"):
        if key != "children" or member is None:
            root[key] = value
            if key == "children":
                obj(value, f"{where}: children")
                children = {}  # json.loads keeps the last of duplicate keys
            continue
        assert isinstance(member, str)
        try:
            here = f"{where}: children entry {len(children) + 1}"
            children[member] = _node(member, value, here, 1)
        except ReportError as exc:
            children[member] = exc
    covered = count(root.get("linesCovered"), f"{where}: linesCovered")
    total = count(root.get("linesTotal"), f"{where}: linesTotal")
    pair(covered, total, where, "lines")
    first_error(children)
    files = tuple(f for c in children.values() if not isinstance(c, ReportError) for f in c)
    return Coverage(NAME, covered, total, None, None, files)


def _node(name: str, value: object, where: str, depth: int) -> list[FileCoverage]:
    if depth > _MAX_DEPTH:
        raise ReportError(f"{where}: directories nested deeper than {_MAX_DEPTH} levels")
    node = obj(value, where)
    if "children" in node:
        return [
            f
            for i, (child, sub) in enumerate(items(node["children"], f"{where}.children"))
            for f in _node(f"{name}/{child}", sub, f"{where}.children entry {i + 1}", depth + 1)
        ]
    lines: dict[int, int] = {}
    for i, hits in enumerate(array(node.get("coverage"), f"{where}.coverage")):
        if hits != -1 or isinstance(hits, bool):
            lines[i + 1] = count(hits, f"{where}.coverage[{i}]")
    covered = count(node.get("linesCovered"), f"{where}.linesCovered")
    total = count(node.get("linesTotal"), f"{where}.linesTotal")
    pair(covered, total, where, "lines")
    return [FileCoverage(name, covered, total, lines=lines)]
