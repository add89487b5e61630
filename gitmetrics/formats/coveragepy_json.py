"""coverage.py JSON report (`coverage json`, pytest-cov `--cov-report=json`), format 1-3.

Line totals are ``covered_lines / num_statements``. ``percent_covered`` is not used:
with branch coverage on it mixes statements and branches (it is the TOTAL column of
``coverage report``), so it is not a line rate.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import (
    JsonObject,
    array,
    count,
    items,
    json_head,
    norm_path,
    obj,
    read_json,
)

NAME = "coverage-json"
FILENAMES: tuple[str, ...] = ("coverage.json", "htmlcov/coverage.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object whose ``meta`` names coverage.py's report format."""
    text = json_head(head)
    return (
        text.startswith("{")
        and '"meta"' in text
        and '"format"' in text
        and ('"executed_lines"' in text or '"totals"' in text or '"branch_coverage"' in text)
    )


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals and per-file lines of a coverage.py JSON report."""
    data = read_json(path, max_bytes)
    return from_report(data, str(path), NAME)


def from_report(data: JsonObject, where: str, fmt: str) -> Coverage:
    """A Coverage from an already loaded coverage.py JSON report."""
    meta = obj(data.get("meta"), f"{where}: meta")
    version = meta.get("format")
    if version not in (1, 2, 3):
        raise ReportError(
            f"{where}: meta.format {version!r} is not a coverage.py JSON format gitmetrics knows",
            "gitmetrics reads formats 1-3; upgrade gitmetrics for newer ones",
        )
    has_branches = meta.get("branch_coverage") is True
    totals = obj(data.get("totals"), f"{where}: totals")
    lines_covered = count(totals.get("covered_lines"), f"{where}: totals.covered_lines")
    lines_valid = count(totals.get("num_statements"), f"{where}: totals.num_statements")
    if lines_covered > lines_valid:
        raise ReportError(f"{where}: totals: covered_lines > num_statements")
    br_cov: int | None = None
    br_valid: int | None = None
    if has_branches:
        br_cov = count(totals.get("covered_branches"), f"{where}: totals.covered_branches")
        br_valid = count(totals.get("num_branches"), f"{where}: totals.num_branches")
        if br_cov > br_valid:
            raise ReportError(f"{where}: totals: covered_branches > num_branches")
    files = tuple(
        _file(name, entry, f"{where}: files[{name!r}]", has_branches)
        for name, entry in items(data.get("files", {}), f"{where}: files")
    )
    return Coverage(fmt, lines_covered, lines_valid, br_cov, br_valid, files)


def _file(name: str, entry: object, where: str, has_branches: bool) -> FileCoverage:
    entry = obj(entry, where)
    lines: dict[int, int] = {}
    for n in array(entry.get("missing_lines", []), f"{where}.missing_lines"):
        lines[count(n, f"{where}.missing_lines")] = 0
    for n in array(entry.get("executed_lines", []), f"{where}.executed_lines"):
        lines[count(n, f"{where}.executed_lines")] = 1
    summary = obj(entry.get("summary", {}), f"{where}.summary")
    if "num_statements" in summary:
        valid = count(summary["num_statements"], f"{where}.summary.num_statements")
        cov = count(summary.get("covered_lines"), f"{where}.summary.covered_lines")
    else:
        valid, cov = len(lines), sum(1 for v in lines.values() if v)
    branches: dict[str, int] | None = None
    b_cov: int | None = None
    b_valid: int | None = None
    if has_branches:
        branches = {}
        for key, taken in (("missing_branches", 0), ("executed_branches", 1)):
            for arc in array(entry.get(key, []), f"{where}.{key}"):
                pair = array(arc, f"{where}.{key}")
                if len(pair) != 2 or not all(isinstance(x, int) for x in pair):
                    raise ReportError(f"{where}.{key}: expected [from, to], got {arc!r}")
                branches[f"{pair[0]}:{pair[1]}"] = taken
        if "num_branches" in summary:
            b_valid = count(summary["num_branches"], f"{where}.summary.num_branches")
            b_cov = count(summary.get("covered_branches"), f"{where}.summary.covered_branches")
        else:
            b_valid, b_cov = len(branches), sum(branches.values())
    return FileCoverage(norm_path(name), cov, valid, b_cov, b_valid, lines, branches)
