"""coverage.py JSON report (`coverage json`, pytest-cov `--cov-report=json`), format 1-3.

Line totals are ``covered_lines / num_statements``. ``percent_covered`` is not used:
with branch coverage on it mixes statements and branches (it is the TOTAL column of
``coverage report``), so it is not a line rate. coverage.py before 7.0 (5.x, 6.x) wrote
no ``meta.format`` at all; its ``totals`` and ``files`` have the same meaning, so such a
report is read the same way (5.5 writes only the branch counts, no branch arcs).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage, Hits
from gitmetrics.formats._common import (
    MAX_COUNT,
    JsonObject,
    array,
    count,
    items,
    json_head,
    norm_path,
    obj,
)
from gitmetrics.formats._jsonstream import iter_object

NAME = "coverage-json"
FILENAMES: tuple[str, ...] = ("coverage.json", "htmlcov/coverage.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object whose ``meta`` names coverage.py's report format (or, before 7.0,
    carries coverage.py's ``show_contexts`` flag)."""
    text = json_head(head)
    return (
        text.startswith("{")
        and '"meta"' in text
        and ('"format"' in text or '"show_contexts"' in text)
        and ('"executed_lines"' in text or '"totals"' in text or '"branch_coverage"' in text)
    )


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals and per-file lines of a coverage.py JSON report, read in bounded memory."""
    where = str(path)
    report = _stream(path, max_bytes, None)
    data = {
        k: v for k, v in (("meta", report.meta), ("totals", report.totals)) if v is not _MISSING
    }
    header = _header(data, where)
    has_branches = _has_branches(report.meta)
    if report.branches_assumed - {has_branches}:
        # files came before the final `meta`: read them again knowing it
        report = _stream(path, max_bytes, has_branches)
    files = report.files
    if files is _MISSING:
        files = {}
    obj(files, f"{where}: files")
    entries: list[FileCoverage] = []
    for entry in report.entries.values():
        if isinstance(entry, ReportError):
            raise entry
        entries.append(entry)
    return Coverage(NAME, *header, tuple(entries))


_MISSING: Any = object()


@dataclass(frozen=True)
class _Streamed:
    """What one pass over a report kept: small top-level values and the files' counts."""

    meta: Any
    totals: Any
    files: Any  # the `files` value, or an empty container when its members were streamed
    # file name -> its counts, or the error to raise once the rest of the report is checked
    entries: dict[str, FileCoverage | ReportError]
    branches_assumed: frozenset[bool]  # what the kept files were read with


def _stream(path: Path, max_bytes: int, has_branches: bool | None) -> _Streamed:
    where = str(path)
    meta: Any = _MISSING
    totals: Any = _MISSING
    files: Any = _MISSING
    entries: dict[str, FileCoverage | ReportError] = {}
    assumed: set[bool] = set()
    for key, member, value in iter_object(path, max_bytes, "files"):
        if member is None:
            if key == "meta":
                meta = value
            elif key == "totals":
                totals = value
            elif key == "files":
                # json.loads keeps the last of duplicate keys
                files = value
                entries = {}
                assumed = set()
        elif isinstance(member, str):
            branches = _has_branches(meta) if has_branches is None else has_branches
            assumed.add(branches)
            try:
                entries[member] = _file(member, value, f"{where}: files[{member!r}]", branches)
            except ReportError as exc:
                # raised only if json.loads would have kept this entry
                entries[member] = exc
    return _Streamed(meta, totals, files, entries, frozenset(assumed))


def _has_branches(meta: object) -> bool:
    return isinstance(meta, dict) and meta.get("branch_coverage") is True


def from_report(data: JsonObject, where: str, fmt: str) -> Coverage:
    """A Coverage from an already loaded coverage.py JSON report."""
    header = _header(data, where)
    has_branches = _has_branches(data.get("meta"))
    files = tuple(
        _file(name, entry, f"{where}: files[{name!r}]", has_branches)
        for name, entry in items(data.get("files", {}), f"{where}: files")
    )
    return Coverage(fmt, *header, files)


def _header(data: JsonObject, where: str) -> tuple[int, int, int | None, int | None]:
    """The report's totals, after checking its `meta`."""
    meta = obj(data.get("meta"), f"{where}: meta")
    # coverage.py 5.x and 6.x wrote no `format`: their reports read as format 1
    version = meta.get("format", 1)
    if type(version) is not int or version not in (1, 2, 3):
        newer = type(version) is int and version > 3
        then = (
            "upgrade gitmetrics for newer ones"
            if newer
            else "coverage.py never wrote this one: is this its report?"
        )
        raise ReportError(
            f"{where}: meta.format is not a coverage.py JSON format gitmetrics knows",
            f"gitmetrics reads formats 1-3, and coverage.py 5 and 6 reports (no format); {then}",
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
    return lines_covered, lines_valid, br_cov, br_valid


def _lines(entry: JsonObject, where: str) -> Hits[int]:
    """The hit map of executed and missing lines; a line in both counts as executed."""
    missing = array(entry.get("missing_lines", []), f"{where}.missing_lines")
    executed = entry.get("executed_lines", [])
    # the common case, checked and packed in C: plain ints from 0 to 2**53, no repeats
    if (
        isinstance(executed, list)
        and set(map(type, missing)) | set(map(type, executed)) <= {int}
        and min(missing, default=0) >= 0
        and min(executed, default=0) >= 0
        and max(missing, default=0) <= MAX_COUNT
        and max(executed, default=0) <= MAX_COUNT
    ):
        hit = set(executed)
        if (
            len(hit) == len(executed)
            and len(set(missing)) == len(missing)
            and hit.isdisjoint(missing)
        ):
            return Hits(executed, missing)
    # anything else line by line, with the errors in the order a reader expects
    lines: dict[int, int] = {}
    for n in missing:
        lines[count(n, f"{where}.missing_lines")] = 0
    for n in array(executed, f"{where}.executed_lines"):
        lines[count(n, f"{where}.executed_lines")] = 1
    return Hits.from_counts(lines)


def _file(name: str, entry: object, where: str, has_branches: bool) -> FileCoverage:
    entry = obj(entry, where)
    lines = _lines(entry, where)
    summary = obj(entry.get("summary", {}), f"{where}.summary")
    if "num_statements" in summary:
        valid = count(summary["num_statements"], f"{where}.summary.num_statements")
        cov = count(summary.get("covered_lines"), f"{where}.summary.covered_lines")
    else:
        valid, cov = len(lines), lines.covered
    branches: Hits[str] | None = None
    b_cov: int | None = None
    b_valid: int | None = None
    if has_branches:
        branches = _branches(entry, where)
        if "num_branches" in summary:
            b_valid = count(summary["num_branches"], f"{where}.summary.num_branches")
            b_cov = count(summary.get("covered_branches"), f"{where}.summary.covered_branches")
        else:
            b_valid, b_cov = len(branches), branches.covered
    return FileCoverage(norm_path(name), cov, valid, b_cov, b_valid, lines, branches)


def _arc_keys(arcs: list[Any]) -> list[str] | None:
    """``"from:to"`` for a list of plain ``[from, to]`` int pairs, else ``None``."""
    if not set(map(type, arcs)) <= {list} or not set(map(len, arcs)) <= {2}:
        return None
    ends = list(chain.from_iterable(arcs))
    if not set(map(type, ends)) <= {int}:
        return None
    return list(map("{}:{}".format, ends[::2], ends[1::2]))


def _branches(entry: JsonObject, where: str) -> Hits[str]:
    """The hit map of executed and missing arcs; an arc in both counts as executed."""
    missing = array(entry.get("missing_branches", []), f"{where}.missing_branches")
    executed = entry.get("executed_branches", [])
    # the common case without a Python step per arc, as for lines
    if isinstance(executed, list):
        missed_keys = _arc_keys(missing)
        hit_keys = _arc_keys(executed) if missed_keys is not None else None
        if missed_keys is not None and hit_keys is not None:
            hit = set(hit_keys)
            if (
                len(hit) == len(hit_keys)
                and len(set(missed_keys)) == len(missed_keys)
                and hit.isdisjoint(missed_keys)
            ):
                return Hits(hit_keys, missed_keys)
    branches: dict[str, int] = {}
    for key, taken in (("missing_branches", 0), ("executed_branches", 1)):
        for arc in array(entry.get(key, []), f"{where}.{key}"):
            pair = array(arc, f"{where}.{key}")
            if len(pair) != 2 or not all(isinstance(x, int) for x in pair):
                raise ReportError(f"{where}.{key}: expected [from, to] line numbers")
            branches[f"{pair[0]}:{pair[1]}"] = taken
    return Hits.from_counts(branches)
