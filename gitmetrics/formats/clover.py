"""Clover XML (OpenClover, istanbul/nyc ``--reporter=clover``, PHPUnit, Devel::Cover).

Clover has no "lines": the totals are ``<project><metrics>``'s ``coveredstatements``/
``statements`` (istanbul writes its line totals there, PHPUnit its executable lines,
Devel::Cover its statements, several per line) and ``coveredconditionals``/
``conditionals`` for branches. ``<file>`` sits directly under ``<project>`` (istanbul,
PHPUnit) or under ``<package>`` (OpenClover, Devel::Cover, older PHPUnit), and PHPUnit
writes the project ``<metrics>`` after the files, not before them.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._xml import (
    Element,
    check_pair,
    count,
    expect_root,
    first_child_tag,
    iter_elements,
    required_count,
    sniff,
)

NAME = "clover"
FILENAMES: tuple[str, ...] = (
    "clover.xml",
    "coverage/clover.xml",
    "build/logs/clover.xml",
    "target/site/clover/clover.xml",
)


def detect(path: Path, head: bytes) -> bool:
    """A ``<coverage generated=...>`` root whose first child is ``<project>``."""
    found = sniff(head)
    if found is None or found.root != "coverage":
        return False
    if b"line-rate=" in found.attrs or b"lines-valid=" in found.attrs:
        return False  # Cobertura's root
    return b"generated=" in found.attrs or first_child_tag(found.after_root) == "project"


class _File:
    def __init__(self, path: str) -> None:
        self.path = path
        self.metrics: tuple[int, int, int, int] | None = None
        self.lines: dict[int, int] = {}
        self.branches: dict[str, int] = {}
        self.conditions: dict[int, int] = {}


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Project totals and one entry per ``<file>``, wherever it is nested."""
    seen_root = False
    project: tuple[int, int, int, int] | None = None
    project_el: Element | None = None
    files: dict[str, _File] = {}
    current: _File | None = None
    for el in iter_elements(path, max_bytes=max_bytes):
        if not seen_root:
            expect_root(path, el, "coverage", format_name="Clover")
            seen_root = True
        # OpenClover also writes <testproject> for the test sources: not part of the totals
        elif el.parents[1:2] != ("project",):
            continue
        elif el.tag == "metrics" and el.parents == ("coverage", "project"):
            project, project_el = _metrics(path, el), el
        elif el.tag == "file" and el.parent in ("project", "package"):
            name = (el.attrib.get("path") or el.attrib.get("name") or "").strip()
            if not name:
                raise ReportError(
                    f"{path}: line {el.line}: <file> has neither path nor name",
                    "the report is damaged; regenerate it",
                )
            name = name.replace("\\", "/")
            current = files.setdefault(name, _File(name))
        elif current is not None and el.parent == "file":
            if el.tag == "metrics":
                current.metrics = _metrics(path, el)
            elif el.tag == "line":
                _add_line(path, el, current)
    if project is None or project_el is None:
        raise ReportError(
            f"{path}: <project> has no <metrics> element",
            "this is not a complete Clover report; regenerate it",
        )
    covered, statements, covered_cond, conditionals = project
    # Clover cannot say "no branch data": PHPUnit with pcov or Xdebug line coverage and
    # OpenClover on branch-free code all write conditionals="0", so 0 means "none", not
    # 0 % or 100 %.
    has_branches = conditionals > 0
    return Coverage(
        format=NAME,
        lines_covered=covered,
        lines_valid=statements,
        branches_covered=covered_cond if has_branches else None,
        branches_valid=conditionals if has_branches else None,
        files=tuple(_file_coverage(f) for f in files.values()),
    )


def _metrics(path: Path, el: Element) -> tuple[int, int, int, int]:
    statements = required_count(path, el, "statements")
    covered = required_count(path, el, "coveredstatements")
    conditionals = count(path, el, "conditionals") or 0
    covered_cond = count(path, el, "coveredconditionals") or 0
    check_pair(path, el, covered, statements, "statements")
    check_pair(path, el, covered_cond, conditionals, "conditionals")
    return covered, statements, covered_cond, conditionals


def _add_line(path: Path, el: Element, into: _File) -> None:
    kind = el.attrib.get("type", "stmt")
    if kind == "method":
        return  # a method's signature line is not counted among the statements
    number = required_count(path, el, "num")
    # Devel::Cover writes a <line> per statement and per condition, several on one line,
    # and its "cond" lines carry no count
    hits = required_count(path, el, "count") if kind != "cond" else count(path, el, "count")
    if hits is not None:
        into.lines[number] = max(hits, into.lines.get(number, 0))
    if kind == "cond":
        index = into.conditions.get(number, 0)
        into.conditions[number] = index + 1
        into.branches[f"{number}:{index}:true"] = count(path, el, "truecount") or 0
        into.branches[f"{number}:{index}:false"] = count(path, el, "falsecount") or 0


def _file_coverage(f: _File) -> FileCoverage:
    if f.metrics is not None:
        covered, statements, covered_cond, conditionals = f.metrics
    else:
        covered = sum(1 for h in f.lines.values() if h > 0)
        statements = len(f.lines)
        covered_cond = sum(1 for t in f.branches.values() if t > 0)
        conditionals = len(f.branches)
    has_branches = conditionals > 0
    return FileCoverage(
        path=f.path,
        lines_covered=covered,
        lines_valid=statements,
        branches_covered=covered_cond if has_branches else None,
        branches_valid=conditionals if has_branches else None,
        lines=dict(sorted(f.lines.items())),
        branches=dict(f.branches) if f.branches else None,
    )
