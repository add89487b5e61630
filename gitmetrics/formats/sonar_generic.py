"""SonarQube's generic test coverage XML (``sonar.coverageReportPaths``).

``<coverage version="1">`` holds ``<file path="...">`` elements, each with
``<lineToCover lineNumber="6" covered="true" branchesToCover="2" coveredBranches="1"/>``.
A line is covered when ``covered="true"``; branches are ``branchesToCover`` and
``coveredBranches`` summed, absent when no line has any. A file listed twice (reports
put together) is one file: a line covered in either is covered, and its branch figures
are the larger ones, as SonarQube merges them.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import norm_path
from gitmetrics.formats._strict import attr, line_number, pair, required_attr
from gitmetrics.formats._xml import expect_root, first_child_tag, iter_elements, sniff

NAME = "sonar-generic"
FILENAMES: tuple[str, ...] = (
    "sonar-coverage.xml",
    "coverage/sonar-coverage.xml",
    "sonar-generic-coverage.xml",
)


def detect(path: Path, head: bytes) -> bool:
    """A ``<coverage version=...>`` root without Cobertura's or Clover's attributes."""
    found = sniff(head)
    if found is None or found.root != "coverage" or b"version=" not in found.attrs:
        return False
    if any(a in found.attrs for a in (b"line-rate=", b"lines-valid=", b"generated=")):
        return False
    return first_child_tag(found.after_root) in ("file", None)


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Lines and branch counts of every ``<file>``."""
    seen_root = False
    lines: dict[str, dict[int, int]] = {}
    branches: dict[str, dict[int, tuple[int, int]]] = {}
    current: str | None = None
    for el in iter_elements(path, max_bytes=max_bytes):
        if not seen_root:
            expect_root(path, el, "coverage", format_name="SonarQube generic coverage")
            if "version" not in el.attrib:
                raise ReportError(
                    f"{path}: line {el.line}: <coverage> has no version attribute",
                    "this is not a SonarQube generic coverage report; set `format:`",
                )
            seen_root = True
        elif el.tag == "file" and el.parent == "coverage":
            name = el.attrib.get("path", "").strip()
            if not name:
                raise ReportError(
                    f"{path}: line {el.line}: <file> has no path",
                    "the report is damaged; regenerate it",
                )
            current = norm_path(name)
            lines.setdefault(current, {})
        elif el.tag == "lineToCover" and el.parent == "file" and current is not None:
            where = f"{path}: line {el.line}: <lineToCover>"
            n = line_number(required_attr(path, el, "lineNumber"), f"{where} lineNumber")
            flag = el.attrib.get("covered", "").strip()
            if flag not in ("true", "false"):
                raise ReportError(
                    f"{where} covered is neither true nor false",
                    "the report is damaged; regenerate it",
                )
            hit = 1 if flag == "true" else 0
            lines[current][n] = max(lines[current].get(n, 0), hit)
            to_cover = attr(path, el, "branchesToCover")
            if to_cover is not None:
                done = attr(path, el, "coveredBranches") or 0
                pair(done, to_cover, where, "branches")
                old = branches.setdefault(current, {}).get(n, (0, 0))
                branches[current][n] = (max(old[0], done), max(old[1], to_cover))
    files = []
    for name, hits in lines.items():
        per_line = branches.get(name, {})
        bc = sum(c for c, _ in per_line.values())
        bv = sum(v for _, v in per_line.values())
        fc = FileCoverage.from_maps(name, hits, {})
        files.append(
            FileCoverage(
                name, fc.lines_covered, fc.lines_valid, bc if bv else None, bv or None, fc.lines
            )
        )
    return Coverage.from_files(NAME, tuple(files))
