"""gcovr's summary JSON report (`gcovr --json-summary`): counts at the root."""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import array, count, json_head, norm_path, obj, read_json

NAME = "gcovr-summary"
FILENAMES: tuple[str, ...] = ("coverage-summary.json", "gcovr-summary.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object carrying ``gcovr/summary_format_version``."""
    text = json_head(head)
    return text.startswith("{") and '"gcovr/summary_format_version"' in text


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """``line_covered / line_total`` and ``branch_covered / branch_total``, per file too."""
    data = read_json(path, max_bytes)
    where = str(path)
    if "line_total" not in data:
        raise ReportError(f"{where}: no line_total at the root: not a gcovr summary")
    lc, lv, bc, bv = _counts(data, where)
    files = []
    for i, raw in enumerate(array(data.get("files", []), f"{where}: files")):
        entry = obj(raw, f"{where}: files[{i}]")
        name = entry.get("filename")
        if not isinstance(name, str) or not name:
            raise ReportError(f"{where}: files[{i}]: no filename")
        files.append(FileCoverage(norm_path(name), *_counts(entry, f"{where}: files[{i}]")))
    return Coverage(NAME, lc, lv, bc, bv, tuple(files))


def _counts(entry: dict[str, object], where: str) -> tuple[int, int, int | None, int | None]:
    lv = count(entry.get("line_total"), f"{where}: line_total")
    lc = count(entry.get("line_covered"), f"{where}: line_covered")
    if lc > lv:
        raise ReportError(f"{where}: line_covered {lc} > line_total {lv}")
    bv = count(entry.get("branch_total", 0), f"{where}: branch_total")
    bc = count(entry.get("branch_covered", 0), f"{where}: branch_covered")
    if bc > bv:
        raise ReportError(f"{where}: branch_covered {bc} > branch_total {bv}")
    if bv == 0:
        return lc, lv, None, None
    return lc, lv, bc, bv
