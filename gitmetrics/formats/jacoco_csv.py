"""JaCoCo CSV (``jacoco.csv`` beside ``jacoco.xml``: the Maven/Gradle plugins, the CLI).

One row per class: ``GROUP, PACKAGE, CLASS`` and missed/covered counts of each counter.
The totals are the sums of ``LINE_COVERED`` and ``LINE_COVERED + LINE_MISSED`` over all
rows (and of the ``BRANCH_*`` columns), which is what JaCoCo's report-level counters add
up to. The CSV names classes, not source files, and has no line numbers: per-file detail
is per top-level class (``package/Outer``, nested classes folded in) and counts only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import count_text, open_report

NAME = "jacoco-csv"
FILENAMES: tuple[str, ...] = (
    "jacoco.csv",
    "target/site/jacoco/jacoco.csv",
    "target/site/jacoco-aggregate/jacoco.csv",
    "build/reports/jacoco/test/jacocoTestReport.csv",
)

_HEADER = b"GROUP,PACKAGE,CLASS,INSTRUCTION_MISSED,INSTRUCTION_COVERED,"
_NEEDED = ("PACKAGE", "CLASS", "LINE_MISSED", "LINE_COVERED")
_COLUMNS = frozenset(
    ["GROUP", "PACKAGE", "CLASS"]
    + [
        f"{counter}_{kind}"
        for counter in ("INSTRUCTION", "BRANCH", "LINE", "COMPLEXITY", "METHOD")
        for kind in ("MISSED", "COVERED")
    ]
)


def detect(path: Path, head: bytes) -> bool:
    """A first line naming JaCoCo's CSV columns."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(_HEADER)


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Line and branch sums over every class row, grouped per top-level class."""
    fh, _ = open_report(path, max_bytes)
    with fh:
        if b"\x00" in fh.read(65536):
            raise ReportError(f"{path}: binary data where a text report was expected")
        fh.seek(0)
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        try:
            files = _rows(path, csv.reader(text))
        except UnicodeDecodeError:
            raise ReportError(f"{path}: not UTF-8 text", "is this the right file?") from None
        except csv.Error as exc:
            raise ReportError(f"{path}: not a CSV file ({exc})") from None
    return Coverage.from_files(
        NAME,
        tuple(
            FileCoverage(
                name, lines[0], lines[1], *((branches[0], branches[1]) if branches[1] else ())
            )
            for name, (lines, branches) in files.items()
        ),
    )


def _rows(path: Path, rows: Iterator[list[str]]) -> dict[str, tuple[list[int], list[int]]]:
    header = next(rows, None)
    if header is None:
        raise ReportError(f"{path}: report is empty")
    columns = {name.strip(): i for i, name in enumerate(header)}
    unknown = [c for c in columns if c not in _COLUMNS]
    if unknown:
        raise ReportError(
            f"{path}: line 1: {len(unknown)} columns JaCoCo does not write",
            "the report is truncated or not JaCoCo's CSV; regenerate it",
        )
    missing = [c for c in _NEEDED if c not in columns]
    if missing:
        raise ReportError(
            f"{path}: line 1: no {', '.join(missing)} column: not a JaCoCo CSV report",
            "set `format:` for this repo in repos.yaml to the report's real format",
        )
    files: dict[str, tuple[list[int], list[int]]] = {}
    for lineno, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ReportError(
                f"{path}: line {lineno}: {len(row)} columns where the header has {len(header)}",
                "the report is truncated or damaged; regenerate it",
            )

        # every counter column is checked: a file cut inside its last row shows there
        counts = {
            name: count_text(row[i], f"{path}: line {lineno}: {name}")
            for name, i in columns.items()
            if name.endswith(("_MISSED", "_COVERED"))
        }

        def cell(name: str, counts: dict[str, int] = counts) -> int:
            return counts.get(name, 0)

        lines = [cell("LINE_COVERED"), cell("LINE_COVERED") + cell("LINE_MISSED")]
        branches = [cell("BRANCH_COVERED"), cell("BRANCH_COVERED") + cell("BRANCH_MISSED")]
        package = row[columns["PACKAGE"]].strip().replace(".", "/")
        outer = row[columns["CLASS"]].strip().split(".")[0].split("$")[0]
        key = f"{package}/{outer}" if package else outer
        into = files.setdefault(key, ([0, 0], [0, 0]))
        for total, add in ((into[0], lines), (into[1], branches)):
            total[0] += add[0]
            total[1] += add[1]
    return files
