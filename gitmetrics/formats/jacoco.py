"""JaCoCo XML (the Maven/Gradle plugins, the CLI, the report API).

JaCoCo repeats ``<counter>`` elements at method, class, sourcefile, package, group and
report level; the totals are the LINE and BRANCH counters that are direct children of
``<report>`` (``missed`` + ``covered``), which is the Total row of its HTML report. JaCoCo
writes no counter whose total is 0, so a missing BRANCH counter means "no branches".
Where those counters disagree with the ``<line>`` elements (they agree in every report
JaCoCo and gcovr wrote here), the counters are kept and the report gets a warning.

A ``<line>`` needs only ``nr``: JaCoCo's DTD makes ``mi``/``ci``/``mb``/``cb`` optional,
and ``gcovr --jacoco`` writes ``<line nr="4"/>`` (no instruction counts: the line does not
say whether it ran). A file with such lines takes its counts from its own counters and
keeps no line map.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._xml import (
    Element,
    count,
    expect_root,
    iter_elements,
    required_count,
    sniff,
)

NAME = "jacoco"
FILENAMES: tuple[str, ...] = (
    "jacoco.xml",
    "target/site/jacoco/jacoco.xml",
    "target/site/jacoco-aggregate/jacoco.xml",
    "build/reports/jacoco/test/jacocoTestReport.xml",
)


def detect(path: Path, head: bytes) -> bool:
    """A ``<report>`` root with JaCoCo's DOCTYPE, or with its session info or counters."""
    found = sniff(head)
    if found is None or found.root != "report":
        return False
    return (
        b"JACOCO" in found.doctype.upper()
        or b"<sessioninfo" in found.after_root
        or b"<counter " in found.after_root
    )


class _Source:
    """What one ``<sourcefile>`` says: its line map, branch arms and its own counters."""

    def __init__(self) -> None:
        self.lines: dict[int, int] = {}
        self.branches: dict[str, int] = {}
        self.counters: dict[str, tuple[int, int]] = {}
        #: the first <line> without instruction counts (gcovr's), for an error message
        self.uncounted: Element | None = None
        #: what the <line> elements say, each element counted once: lines, lines hit,
        #: lines without instruction counts, branch arms, arms taken
        self.tally = [0, 0, 0, 0, 0]


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Report-level LINE and BRANCH counters, and one entry per source file."""
    seen_root = False
    totals: dict[str, tuple[int, int]] = {}
    sources: dict[str, _Source] = {}
    package = ""
    current: _Source | None = None
    for el in iter_elements(path, max_bytes=max_bytes):
        if not seen_root:
            expect_root(path, el, "report", format_name="JaCoCo")
            seen_root = True
        elif el.tag == "counter" and el.parents == ("report",):
            _put_counter(path, el, totals)
        elif el.tag == "package":
            package = el.attrib.get("name", "").strip().replace("\\", "/")
        elif el.tag == "sourcefile" and el.parent == "package":
            name = el.attrib.get("name", "").strip()
            if not name:
                raise ReportError(
                    f"{path}: line {el.line}: <sourcefile> has no name",
                    "the report is damaged; regenerate it",
                )
            key = f"{package}/{name}" if package else name
            current = sources.setdefault(key, _Source())
        elif current is not None and el.parent == "sourcefile":
            if el.tag == "line":
                _add_line(path, el, current)
            elif el.tag == "counter":
                _put_counter(path, el, current.counters)
    line_covered, line_total = totals.get("LINE", (0, 0))
    branch = totals.get("BRANCH")
    files = tuple(_file_coverage(path, key, src) for key, src in sources.items())
    return Coverage(
        format=NAME,
        lines_covered=line_covered,
        lines_valid=line_total,
        branches_covered=branch[0] if branch else None,
        branches_valid=branch[1] if branch else None,
        files=files,
        warnings=_disagreements(totals, sources.values()),
    )


def _disagreements(
    totals: dict[str, tuple[int, int]], sources: Iterable[_Source]
) -> tuple[str, ...]:
    """Where the report-level counters disagree with the ``<line>`` elements."""
    tally = [0] * 5
    for src in sources:
        tally = [a + b for a, b in zip(tally, src.tally, strict=True)]
    lines, hit, uncounted, arms, taken = tally
    if not lines:
        return ()  # no <line> at all: nothing to disagree with
    found: list[str] = []
    line_covered, line_total = totals.get("LINE", (0, 0))
    # lines without instruction counts (gcovr's) say how many lines there are, not which ran
    if line_total != lines or (not uncounted and line_covered != hit):
        seen = f"?/{lines}" if uncounted else f"{hit}/{lines}"
        found.append(_disagree("LINE", line_covered, line_total, seen))
    branch_covered, branch_total = totals.get("BRANCH", (0, 0))
    if (branch_covered, branch_total) != (taken, arms):
        found.append(_disagree("BRANCH", branch_covered, branch_total, f"{taken}/{arms}"))
    return tuple(found)


def _disagree(kind: str, covered: int, total: int, seen: str) -> str:
    return (
        f"report {kind} counter {covered}/{total} disagrees with its <line> elements ({seen});"
        " the counter is kept"
    )


def _put_counter(path: Path, el: Element, into: dict[str, tuple[int, int]]) -> None:
    kind = el.attrib.get("type", "")
    if kind not in ("LINE", "BRANCH"):
        return
    missed = required_count(path, el, "missed")
    covered = required_count(path, el, "covered")
    into[kind] = (covered, covered + missed)


def _add_line(path: Path, el: Element, into: _Source) -> None:
    number = required_count(path, el, "nr")
    covered_instructions = count(path, el, "ci")
    count(path, el, "mi")  # checked, not needed
    missed_branches = count(path, el, "mb") or 0
    covered_branches = count(path, el, "cb") or 0
    tally = into.tally
    tally[0] += 1
    tally[3] += missed_branches + covered_branches
    tally[4] += covered_branches
    if covered_instructions is None:
        tally[2] += 1
        if into.uncounted is None:
            into.uncounted = el
    else:
        # JaCoCo has no hit counts: a line with a covered instruction counts as hit once
        hit = 1 if covered_instructions > 0 else 0
        tally[1] += hit
        into.lines[number] = max(hit, into.lines.get(number, 0))
    for arm in range(missed_branches + covered_branches):
        # JaCoCo says how many arms were taken, not which: the first ones are marked
        into.branches[f"{number}:{arm}"] = 1 if arm < covered_branches else 0


def _file_coverage(path: Path, key: str, src: _Source) -> FileCoverage:
    line = src.counters.get("LINE")
    branch = src.counters.get("BRANCH")
    if line is None:
        if src.uncounted is not None:
            el = src.uncounted
            raise ReportError(
                f"{path}: line {el.line}: <line nr={el.attrib.get('nr', '')!r}> has no ci"
                f" count and <sourcefile> {key!r} has no LINE counter",
                "the report does not say which lines ran; regenerate it",
            )
        line = (sum(1 for h in src.lines.values() if h > 0), len(src.lines))
    return FileCoverage(
        path=key,
        lines_covered=line[0],
        lines_valid=line[1],
        branches_covered=branch[0] if branch else None,
        branches_valid=branch[1] if branch else None,
        # a line without instruction counts does not say whether it ran: no line map
        lines=dict(sorted(src.lines.items())) if src.uncounted is None else None,
        branches=dict(src.branches) if src.branches else None,
    )
