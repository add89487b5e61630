"""Istanbul per-file coverage (`coverage/coverage-final.json` from nyc, c8, jest).

Istanbul records statements, not lines: a line's hit count is the largest count of the
statements that start on it (what istanbul's own ``getLineCoverage`` does), and every
arm of every ``b`` entry is one branch. Keys are the absolute paths of the machine that
ran the tests.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import (
    array,
    count,
    items,
    json_head,
    norm_path,
    obj,
)
from gitmetrics.formats._jsonstream import iter_object

NAME = "istanbul-final"
FILENAMES: tuple[str, ...] = ("coverage/coverage-final.json", "coverage-final.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object of files each carrying ``statementMap`` and ``s``."""
    text = json_head(head)
    return text.startswith("{") and '"statementMap"' in text and '"fnMap"' in text[:65536]


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Per-line and per-branch-arm counts of every file, and their totals (bounded memory)."""
    # json.loads keeps a duplicate key's first place and last value: so does a dict
    entries: dict[str, FileCoverage | ReportError] = {}
    for name, _, entry in iter_object(path, max_bytes):
        try:
            entries[name] = _file(name, entry, f"{path}: {name!r}")
        except ReportError as exc:
            # raised once the rest of the report is known to be valid JSON
            entries[name] = exc
    files: list[FileCoverage] = []
    for result in entries.values():
        if isinstance(result, ReportError):
            raise result
        files.append(result)
    return Coverage.from_files(NAME, tuple(files))


def _file(name: str, entry: object, where: str) -> FileCoverage:
    entry = obj(entry, where)
    statement_map = obj(entry.get("statementMap"), f"{where}.statementMap")
    hits = obj(entry.get("s"), f"{where}.s")
    lines: dict[int, int] = {}
    for sid, loc in items(statement_map, f"{where}.statementMap"):
        # ids are short numbers in real reports; a long one is not quoted whole
        label = sid if len(sid) <= 24 else f"{sid[:21]}..."
        start = obj(obj(loc, f"{where}.statementMap.{label}").get("start"), f"{where}.{label}")
        line = count(start.get("line"), f"{where}.statementMap.{label}.start.line")
        if sid not in hits:
            raise ReportError(f"{where}: statement {label} has no count in `s`")
        n = count(hits[sid], f"{where}.s.{label}")
        lines[line] = max(lines.get(line, 0), n)
    branches: dict[str, int] = {}
    for bid, arms in items(entry.get("b", {}), f"{where}.b"):
        for i, arm in enumerate(array(arms, f"{where}.b.{bid}")):
            branches[f"{bid}:{i}"] = count(arm, f"{where}.b.{bid}[{i}]")
    path = norm_path(str(entry.get("path") or name))
    return FileCoverage.from_maps(path, lines, branches)
