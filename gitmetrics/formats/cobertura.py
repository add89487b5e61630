"""Cobertura XML (coverage.py/pytest-cov, gcovr, istanbul/nyc/c8, coverlet and many more).

Totals are the root ``lines-covered``/``lines-valid`` and ``branches-covered``/
``branches-valid``. On every real fixture (pytest-cov with and without branches, gcovr,
nyc, c8) those root counts are exactly the figures the producing tool printed, and they
also equal the deduplicated class-level ``<line>`` elements; the rounded ``line-rate`` and
``branch-rate`` are never used. ``branches-valid`` 0 or absent means no branch data
(coverage.py without ``--cov-branch`` writes ``branch-rate="0"``, others write 1 or 1.0).
Producers that omit the counts get totals from the ``<line>`` elements, deduplicated by
(file, line) because several ``<class>`` elements can share one file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._xml import (
    Element,
    check_pair,
    count,
    expect_root,
    required_count,
    run,
    sniff,
    walker,
)

NAME = "cobertura"
FILENAMES: tuple[str, ...] = (
    "coverage.xml",
    "cobertura.xml",
    "cobertura-coverage.xml",
    "coverage/cobertura-coverage.xml",
    "coverage/cobertura.xml",
    "build/reports/cobertura/coverage.xml",
    "target/site/cobertura/coverage.xml",
)

_CONDITION = re.compile(r"\((\d+)\s*/\s*(\d+)\)")


def detect(path: Path, head: bytes) -> bool:
    """A ``<coverage>`` root carrying Cobertura's rate or count attributes."""
    found = sniff(head)
    if found is None or found.root != "coverage":
        return False
    return b"line-rate=" in found.attrs or b"lines-valid=" in found.attrs


@dataclass
class _File:
    lines: dict[int, int] = field(default_factory=dict)
    # line -> (covered, total) branch arms, from condition-coverage="50% (1/2)"
    conditions: dict[int, tuple[int, int]] = field(default_factory=dict)


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals and per-file lines of a Cobertura report."""
    root: Element | None = None
    files: dict[str, _File] = {}
    current: _File | None = None

    def start(name: str, attrib: dict[str, str], parents: list[str]) -> None:
        nonlocal root, current
        if not parents:
            el = walk.element(name, attrib)
            expect_root(path, el, "coverage", format_name="Cobertura")
            if "line-rate" not in attrib and "lines-valid" not in attrib:
                raise ReportError(
                    f"{path}: line {el.line}: <coverage> has neither line-rate nor lines-valid",
                    "this is not a Cobertura report (a Clover report also starts with"
                    " <coverage>); set `format:` in repos.yaml",
                )
            root = el
        elif name == "line":
            # lines repeated under <method><lines> (gcovr, istanbul) are skipped: the class
            # lists every line once
            if current is None or len(parents) < 2 or parents[-1] != "lines":
                return
            if parents[-2] != "class":
                return
            number, hits = attrib.get("number", ""), attrib.get("hits", "")
            if (
                number.isdigit()
                and hits.isdigit()
                and (number + hits).isascii()
                and "condition-coverage" not in attrib
            ):
                # the usual line, handled inline: a big report has millions
                n, h = int(number), int(hits)
                old = current.lines.get(n)
                if old is None or h > old:
                    current.lines[n] = h
            else:
                _add_line(path, walk.element(name, attrib), current)
        elif name == "class":
            filename = attrib.get("filename", "").strip()
            if not filename:
                raise ReportError(
                    f"{path}: line {walk.element(name, attrib).line}: <class> has no filename",
                    "the report is damaged; regenerate it",
                )
            current = files.setdefault(filename.replace("\\", "/"), _File())

    walk = walker(start)
    run(path, walk, max_bytes=max_bytes)
    if root is None:  # pragma: no cover - the XML parser refuses a document with no element
        raise ReportError(f"{path}: report has no root element")
    return _totals(path, root, files)


def _add_line(path: Path, el: Element, into: _File) -> None:
    number = required_count(path, el, "number")
    hits = required_count(path, el, "hits")
    # a line repeated across <class> elements is covered if any copy was hit
    into.lines[number] = max(hits, into.lines.get(number, 0))
    condition = el.attrib.get("condition-coverage")
    if condition and el.attrib.get("branch", "true").lower() != "false":
        match = _CONDITION.search(condition)
        if match is None:
            raise ReportError(
                f"{path}: line {el.line}: <line> condition-coverage={condition!r}"
                " has no (covered/total) count",
                "the report is damaged; regenerate it",
            )
        covered, total = int(match.group(1)), int(match.group(2))
        check_pair(path, el, covered, total, "branches")
        old = into.conditions.get(number, (0, 0))
        into.conditions[number] = (max(covered, old[0]), max(total, old[1]))


def _totals(path: Path, root: Element, files: dict[str, _File]) -> Coverage:
    per_file = tuple(_file_coverage(name, f) for name, f in files.items())
    lines_valid = count(path, root, "lines-valid")
    lines_covered = count(path, root, "lines-covered")
    if lines_valid is None or lines_covered is None:
        lines_covered = sum(f.lines_covered for f in per_file)
        lines_valid = sum(f.lines_valid for f in per_file)
    else:
        check_pair(path, root, lines_covered, lines_valid, "lines")

    branches_valid = count(path, root, "branches-valid")
    branches_covered = count(path, root, "branches-covered")
    if branches_valid is None or branches_covered is None:
        branches_covered = sum(f.branches_covered or 0 for f in per_file)
        branches_valid = sum(f.branches_valid or 0 for f in per_file)
    else:
        check_pair(path, root, branches_covered, branches_valid, "branches")
    has_branches = branches_valid > 0
    return Coverage(
        format=NAME,
        lines_covered=lines_covered,
        lines_valid=lines_valid,
        branches_covered=branches_covered if has_branches else None,
        branches_valid=branches_valid if has_branches else None,
        files=per_file,
    )


def _file_coverage(name: str, f: _File) -> FileCoverage:
    branches: dict[str, int] = {}
    for line, (covered, total) in sorted(f.conditions.items()):
        # Cobertura says how many arms were taken, not which: the first ones are marked
        for arm in range(total):
            branches[f"{line}:{arm}"] = 1 if arm < covered else 0
    has_branches = bool(branches)
    return FileCoverage(
        path=name,
        lines_covered=sum(1 for hits in f.lines.values() if hits > 0),
        lines_valid=len(f.lines),
        branches_covered=sum(c for c, _ in f.conditions.values()) if has_branches else None,
        branches_valid=len(branches) if has_branches else None,
        lines=dict(sorted(f.lines.items())),
        branches=branches if has_branches else None,
    )
