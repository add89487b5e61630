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
)
from gitmetrics.formats._jsonstream import iter_object

NAME = "gcovr-json"
FILENAMES: tuple[str, ...] = ("coverage.json", "gcovr.json", "build/gcovr.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object carrying ``gcovr/format_version``."""
    text = json_head(head)
    return text.startswith("{") and '"gcovr/format_version"' in text


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Line and branch maps of every file, and their totals, read in bounded memory."""
    where = str(path)
    top: set[str] = set()
    files: object = None
    # each file's counts, or the error to raise once the rest of the report is checked
    entries: list[FileCoverage | ReportError] = []
    for key, member, value in iter_object(path, max_bytes, "files"):
        top.add(key)
        if key != "files":
            continue
        if member is None:
            # json.loads keeps the last of duplicate keys
            files = value
            entries = []
            continue
        here = f"{where}: files[{member}]"
        try:
            entries.append(_file(obj(value, here), here))
        except ReportError as exc:
            entries.append(exc)
    if "gcovr/format_version" not in top:
        raise ReportError(
            f"{where}: no gcovr/format_version: not a gcovr JSON report",
            "for `gcovr --json-summary` output use format `gcovr-summary`",
        )
    array(files, f"{where}: files")
    for entry in entries:
        if isinstance(entry, ReportError):
            raise entry
    return Coverage.from_files(NAME, tuple(e for e in entries if isinstance(e, FileCoverage)))


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
