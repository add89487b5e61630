"""gcovr's detailed JSON report (`gcovr --json`), any ``gcovr/format_version``.

Each file lists its lines with a count and the branches of that line. Lines marked
``gcovr/noncode`` or ``gcovr/excluded`` do not count, as in gcovr's own summary.
A line listed several times (one entry per function, e.g. template instances) is
one line whose hits are summed.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import (
    array,
    count,
    json_head,
    norm_path,
    obj,
    read_json,
)

NAME = "gcovr-json"
FILENAMES: tuple[str, ...] = ("coverage.json", "gcovr.json", "build/gcovr.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object carrying ``gcovr/format_version``."""
    text = json_head(head)
    return text.startswith("{") and '"gcovr/format_version"' in text


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Line and branch maps of every file, and their totals."""
    data = read_json(path, max_bytes)
    where = str(path)
    if "gcovr/format_version" not in data:
        raise ReportError(
            f"{where}: no gcovr/format_version: not a gcovr JSON report",
            "for `gcovr --json-summary` output use format `gcovr-summary`",
        )
    files = tuple(
        _file(obj(entry, f"{where}: files[{i}]"), f"{where}: files[{i}]")
        for i, entry in enumerate(array(data.get("files"), f"{where}: files"))
    )
    return Coverage.from_files(NAME, files)


def _file(entry: dict[str, object], where: str) -> FileCoverage:
    name = entry.get("file")
    if not isinstance(name, str) or not name:
        raise ReportError(f"{where}: file entry without a `file` name")
    lines: dict[int, int] = {}
    branches: dict[str, int] = {}
    for j, raw in enumerate(array(entry.get("lines", []), f"{where}.lines")):
        here = f"{where}.lines[{j}]"
        line = obj(raw, here)
        if line.get("gcovr/noncode") is True or line.get("gcovr/excluded") is True:
            continue
        n = count(line.get("line_number"), f"{here}.line_number")
        lines[n] = lines.get(n, 0) + count(line.get("count"), f"{here}.count")
        for k, rawb in enumerate(array(line.get("branches", []), f"{here}.branches")):
            b = obj(rawb, f"{here}.branches[{k}]")
            if b.get("gcovr/excluded") is True:
                continue
            block = b.get("source_block_id", b.get("blockno", 0))
            key = f"{n}:{block}:{b.get('branchno', k)}"
            taken = count(b.get("count"), f"{here}.branches[{k}].count")
            branches[key] = branches.get(key, 0) + taken
    return FileCoverage.from_maps(norm_path(name), lines, branches)
