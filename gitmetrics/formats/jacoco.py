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

import json
import re
from collections.abc import Callable, Iterable
from itertools import chain, compress
from operator import add, not_
from pathlib import Path
from typing import Any, NamedTuple, cast

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage, Hits
from gitmetrics.formats._xml import (
    Cut,
    Cutter,
    Element,
    NotCut,
    count,
    expect_root,
    required_count,
    run,
    sniff,
    walker,
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
        #: runs of lines read by the fast path, packed
        self.parts: list[Hits[int]] = []
        self.branches: dict[str, int] = {}
        self.counters: dict[str, tuple[int, int]] = {}
        #: the first <line> without instruction counts (gcovr's), for an error message
        self.uncounted: Element | None = None
        #: what the <line> elements say, each element counted once: lines, lines hit,
        #: lines without instruction counts, branch arms, arms taken
        self.tally = [0, 0, 0, 0, 0]

        #: branch arms packed as for lines
        self.arm_parts: list[Hits[str]] = []

    def pack(self) -> None:
        """Keep what was read so far packed (a few bytes a line, not a dict entry)."""
        if self.lines:
            self.parts.append(Hits.from_counts(self.lines))
            self.lines = {}
        if self.branches:
            self.arm_parts.append(Hits.from_counts(self.branches))
            self.branches = {}

    def hits(self) -> Hits[int]:
        """Every line; a line given twice is hit if either copy was."""
        self.pack()
        return Hits.union_of(self.parts)

    def arms(self) -> Hits[str] | None:
        """Every branch arm (hit if any copy was), ``None`` without any."""
        self.pack()
        return Hits.union_of(self.arm_parts) if self.arm_parts else None


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Report-level LINE and BRANCH counters, and one entry per source file."""
    try:
        return _parse(path, max_bytes, cut=True)
    except (ReportError, NotCut):
        # the cut document names other line numbers, and some documents can't be cut:
        # read it again element by element, which gives the same figures or the error
        return _parse(path, max_bytes, cut=False)


def _parse(path: Path, max_bytes: int, *, cut: bool) -> Coverage:
    seen_root = False
    totals: dict[str, tuple[int, int]] = {}
    sources: dict[str, _Source] = {}
    package = ""
    current: _Source | None = None

    def start(name: str, attrib: dict[str, str], parents: list[str]) -> None:
        nonlocal seen_root, package, current
        if not seen_root:
            expect_root(path, walk.element(name, attrib), "report", format_name="JaCoCo")
            seen_root = True
        elif name == "counter" and len(parents) == 1:
            _put_counter(path, walk.element(name, attrib), totals)
        elif name == "package":
            package = attrib.get("name", "").strip().replace("\\", "/")
        elif name == "sourcefile" and parents[-1] == "package":
            source = attrib.get("name", "").strip()
            if not source:
                raise ReportError(
                    f"{path}: line {walk.element(name, attrib).line}: <sourcefile> has no name",
                    "the report is damaged; regenerate it",
                )
            key = f"{package}/{source}" if package else source
            if current is not None:
                current.pack()
            current = sources.setdefault(key, _Source())
        elif current is not None and parents[-1] == "sourcefile":
            if name == "line":
                _add_line(path, walk.element(name, attrib), current)
            elif name == "counter":
                _put_counter(path, walk.element(name, attrib), current.counters)

    def lines(found: _Run, parents: list[str]) -> None:
        # the same test as for one <line> above
        if current is not None and parents[-1] == "sourcefile":
            found.add_to(current)

    cutter = (
        Cutter(
            Cut(b"<sourcefile ", b"</sourcefile>", _sourcefile_run, lines, b">"),
            Cut(b"<class ", b"</class>", _class_run, _ignore, b">"),
        )
        if cut
        else None
    )
    walk = walker(start, cutter)
    run(path, walk, max_bytes=max_bytes)
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


# The usual body of a <sourcefile> and of a <class>, as JaCoCo writes them, read with
# regular expressions instead of one Python call per element (see _xml.Cutter): a body
# with an element of another shape is read element by element. Numbers have at most 15
# digits (below 2**53) and no leading zero, as the element path would read them.
# (a leading zero is left to the element path: the numbers are read as JSON, which
# refuses one)
_N = rb"([0-9]{1,15})"
_D = rb"[0-9]{1,15}"
_LINE_HIT = re.compile(
    rb'<line nr="' + _N + rb'" mi="' + _D + rb'" ci="[1-9][0-9]{0,14}" mb="0" cb="0"/>'
)
_LINE_MISSED = re.compile(rb'<line nr="' + _N + rb'" mi="' + _D + rb'" ci="0" mb="0" cb="0"/>')
# a line with branches: (nr, ci, mb, cb)
_LINE_BRANCHES = re.compile(
    rb'<line nr="'
    + _N
    + rb'" mi="'
    + _D
    + rb'" ci="'
    + _N
    + rb'" (?!mb="0" cb="0")mb="'
    + _N
    + rb'" cb="'
    + _N
    + rb'"/>'
)
_COUNTER = re.compile(
    rb'<counter type="([A-Z]{1,20})" missed="' + _N + rb'" covered="' + _N + rb'"/>'
)
_IGNORED = b" \t\r\n0123456789"


def _rest(tag: bytes) -> int:
    return len(tag.translate(None, _IGNORED))


_LINE_REST = _rest(b'<line nr="" mi="" ci="" mb="" cb=""/>')
_COUNTER_REST = _rest(b'<counter type="" missed="" covered=""/>')


class _Run(NamedTuple):
    """What a <sourcefile> body of usual elements says."""

    hit: list[int]
    missed: list[int]
    # each line with branches: its number, covered instructions, missed and covered arms
    flat: list[int]
    counters: list[tuple[bytes, bytes, bytes]]

    def add_to(self, into: _Source) -> None:
        """Into the source, as the element path adds each element, packed."""
        hit, missed = self.hit, self.missed
        tally = into.tally
        if self.flat:
            numbers, ci, mb, cb = self.flat[0::4], self.flat[1::4], self.flat[2::4], self.flat[3::4]
            hit.extend(compress(numbers, ci))
            missed.extend(compress(numbers, map(not_, ci)))
            total = list(map(add, mb, cb))
            tally[3] += sum(total)
            tally[4] += sum(cb)
            into.arm_parts.append(Hits.of_arms(numbers, cb, total))
        tally[0] += len(hit) + len(missed)
        tally[1] += len(hit)
        into.parts.append(Hits.from_lists(hit, missed))
        for kind, m, c in self.counters:
            if kind in (b"LINE", b"BRANCH"):
                into.counters[kind.decode()] = (int(c), int(c) + int(m))


def _sourcefile_run(text: bytes) -> _Run | None:
    """What a ``<sourcefile>`` body of usual lines and counters says, else ``None``."""
    hit = _LINE_HIT.findall(text)
    missed = _LINE_MISSED.findall(text)
    # lines with branches are a few: look for them only where some line is not branch-free
    some = text.count(b'" mb="0" cb="0"/>') != text.count(b"<line ")
    branch_lines = _LINE_BRANCHES.findall(text) if some else []
    counters = _COUNTER.findall(text)
    lines = len(hit) + len(missed) + len(branch_lines)
    if text.count(b"<") != lines + len(counters):
        return None
    rest = _LINE_REST * lines + sum(_COUNTER_REST + len(c[0]) for c in counters)
    if len(text.translate(None, _IGNORED)) != rest:
        return None
    # digits and commas: the C JSON scanner reads them (and refuses a leading zero)
    flat = b",".join(chain.from_iterable(branch_lines)).decode()
    both = f"[[{b','.join(hit).decode()}],[{b','.join(missed).decode()}],[{flat}]]"
    try:
        hit_n, missed_n, flat_n = _scan_once(both, 0)[0]
    except ValueError:
        return None
    return _Run(hit_n, missed_n, flat_n, counters)


# the C scanner json.loads uses, without its Python layers (bodies are many and small)
_scan_once = cast(Callable[[str, int], tuple[Any, int]], json.JSONDecoder().scan_once)  # type: ignore[attr-defined]


# a <class> body: <method>s holding <counter>s, and <counter>s; nothing in it is read
_VALUE = rb'"(?:[ !#-%\'-;=-~]|&(?:lt|gt|amp|quot|apos);)*"'
_CLASS_BODY = re.compile(
    rb"(?:[ \t\r\n]*(?:"
    + _COUNTER.pattern
    + rb"|<method name="
    + _VALUE
    + rb" desc="
    + _VALUE
    + rb'(?: line="'
    + _D
    + rb'")?>(?:[ \t\r\n]*'
    + _COUNTER.pattern
    + rb")*[ \t\r\n]*</method>))*[ \t\r\n]*"
)


def _class_run(text: bytes) -> bool | None:
    return True if _CLASS_BODY.fullmatch(text) else None


def _ignore(found: object, parents: list[str]) -> None:
    return None


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
        key = f"{number}:{arm}"
        into.branches[key] = max(1 if arm < covered_branches else 0, into.branches.get(key, 0))


def _file_coverage(path: Path, key: str, src: _Source) -> FileCoverage:
    line = src.counters.get("LINE")
    branch = src.counters.get("BRANCH")
    if line is None:
        if src.uncounted is not None:
            el = src.uncounted
            raise ReportError(
                f"{path}: line {el.line}: <line> has no ci"
                f" count and <sourcefile> {key!r} has no LINE counter",
                "the report does not say which lines ran; regenerate it",
            )
        hits = src.hits()
        line = (hits.covered, len(hits))
    return FileCoverage(
        path=key,
        lines_covered=line[0],
        lines_valid=line[1],
        branches_covered=branch[0] if branch else None,
        branches_valid=branch[1] if branch else None,
        # a line without instruction counts does not say whether it ran: no line map
        lines=src.hits() if src.uncounted is None else None,
        branches=src.arms(),
    )
