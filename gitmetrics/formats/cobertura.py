"""Cobertura XML (coverage.py/pytest-cov, gcovr, istanbul/nyc/c8, coverlet and many more).

Totals are the root ``lines-covered``/``lines-valid`` and ``branches-covered``/
``branches-valid``. On every real fixture (pytest-cov with and without branches, gcovr,
nyc, c8) those root counts are exactly the figures the producing tool printed, and they
also equal the deduplicated class-level ``<line>`` elements; the rounded ``line-rate`` and
``branch-rate`` are never used. Some producers' root counts disagree with their own lines
(scoverage, slather, jest's flat Cobertura): the root's figures are kept, as the producer
printed them, and the report gets a warning. ``branches-valid`` 0 or absent means no branch data
(coverage.py without ``--cov-branch`` writes ``branch-rate="0"``, others write 1 or 1.0).
Producers that omit the counts get totals from the ``<line>`` elements, deduplicated by
(file, line) because several ``<class>`` elements can share one file; a count written
``NaN`` (MATLAB's ``branches-valid="NaN"``: it measures no branches) is treated as
omitted, so MATLAB's reports have line figures and no branch data.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import contains, gt, not_
from pathlib import Path
from typing import Any, cast

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage, Hits, _hits
from gitmetrics.formats._common import digits_value
from gitmetrics.formats._xml import (
    Cut,
    Cutter,
    Element,
    NotCut,
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

_CONDITION = re.compile(r"\((\d+)\s*/\s*(\d+)\)", re.ASCII)


def detect(path: Path, head: bytes) -> bool:
    """A ``<coverage>`` root carrying Cobertura's rate or count attributes."""
    found = sniff(head)
    if found is None or found.root != "coverage":
        return False
    return b"line-rate=" in found.attrs or b"lines-valid=" in found.attrs


@dataclass
class _File:
    # the lines read one element at a time, packed into `parts` when the class ends
    lines: dict[int, int] = field(default_factory=dict)
    parts: list[Hits[int]] = field(default_factory=list)
    # line -> (covered, total) branch arms, from condition-coverage="50% (1/2)"
    conditions: dict[int, tuple[int, int]] = field(default_factory=dict)

    # conditions of earlier classes, packed: (lines, covered arms, arms)
    packed: list[tuple[array[int], array[int], array[int]]] = field(default_factory=list)

    def pack(self) -> None:
        """Keep what was read so far packed (a few bytes a line, not a dict entry)."""
        if self.lines:
            self.parts.append(Hits.from_counts(self.lines))
            self.lines = {}
        if self.conditions:
            numbers = list(self.conditions)
            covered, total = zip(*self.conditions.values(), strict=True)
            self.packed.append((_array(numbers), _array(covered), _array(total)))
            self.conditions = {}

    def add_condition(self, number: int, covered: int, total: int) -> None:
        """Branch arms of one line; a line repeated across classes keeps the most of each."""
        old = self.conditions.get(number, (0, 0))
        self.conditions[number] = (max(covered, old[0]), max(total, old[1]))

    def add_conditions(self, numbers: list[int], covered: list[int], total: list[int]) -> None:
        """Branch arms of several lines, as :meth:`add_condition` adds each."""
        new = dict(zip(numbers, zip(covered, total, strict=True), strict=True))
        if len(new) == len(numbers) and self.conditions.keys().isdisjoint(new):
            self.conditions.update(new)
            return
        for number, c, t in zip(numbers, covered, total, strict=True):
            self.add_condition(number, c, t)

    def arms(self) -> tuple[list[int], list[int], list[int]]:
        """Every line with branches, its covered arms and its arms (the most of each copy)."""
        self.pack()
        if len(self.packed) == 1:
            lines, covered, total = self.packed[0]
            return list(lines), list(covered), list(total)
        for lines, covered, total in self.packed:
            for number, c, t in zip(lines, covered, total, strict=True):
                self.add_condition(number, c, t)
        self.packed = []
        numbers = sorted(self.conditions)
        return (
            numbers,
            [self.conditions[n][0] for n in numbers],
            [self.conditions[n][1] for n in numbers],
        )

    def hits(self) -> Hits[int]:
        """Every line of the file; a line repeated across classes is hit if any copy was."""
        self.pack()
        return Hits.union_of(self.parts)


# The usual <line>s of a class, as coverage.py, gcovr, istanbul and others write them. A
# <lines> body made of nothing else (and whitespace) is read with regular expressions
# instead of one Python call per element: see _xml.Cutter. A body with a line of another
# shape (e.g. gcovr's <conditions> children) is read element by element.
# Numbers of up to 15 digits (below 2**53, so never refused); a longer one makes the
# body irregular, and the element path checks it.
# (a leading zero is left to the element path: the numbers are read as JSON, which
# refuses one)
_N = rb"([0-9]{1,15})"
_POSITIVE = rb"[1-9][0-9]{0,14}"
_NO_BRANCH = b' branch="false"'
_MISSING = b' missing-branches="'
_HIT = re.compile(rb'<line number="' + _N + rb'" hits="' + _POSITIVE + rb'"/>')
_MISSED = re.compile(rb'<line number="' + _N + rb'" hits="0"/>')
# the same with an optional branch="false" (gcovr, istanbul): a slower expression
_HIT_NB = re.compile(
    rb'<line number="' + _N + rb'" hits="' + _POSITIVE + rb'"(?: branch="false")?/>'
)
_MISSED_NB = re.compile(rb'<line number="' + _N + rb'" hits="0"(?: branch="false")?/>')
# a line with branches as coverage.py writes it: (number, hits, covered arms, arms)
_BRANCH = re.compile(
    rb'<line number="' + _N + rb'" hits="' + _N + rb'" branch="true"'
    rb' condition-coverage="[0-9]{1,15}% \(([0-9]{1,15})/([0-9]{1,15})\)"'
    rb'(?: missing-branches="[0-9,-]*")?/>'
)
# and as gcovr writes it, with one <condition> in <conditions>: the same four numbers
_WS = rb"[ \t\r\n]*"
_GCOVR_BRANCH = re.compile(
    rb'<line number="' + _N + rb'" hits="' + _N + rb'" branch="true"'
    rb' condition-coverage="[0-9]{1,15}% \(([0-9]{1,15})/([0-9]{1,15})\)">'
    + _WS
    + rb"<conditions>"
    + _WS
    + rb'<condition number="[0-9]{1,15}" type="jump" coverage="[0-9]{1,15}%"/>'
    + _WS
    + rb"</conditions>"
    + _WS
    + rb"</line>"
)
# A <method>'s body: its <lines> repeat the class's (gcovr, istanbul) and are not read,
# so a body of usual lines is only checked and skipped.
_D = rb"[0-9]{1,15}"
_METHOD_BODY = re.compile(
    _WS
    + rb"(?:<lines/>|<lines>(?:"
    + _WS
    + rb'<line number="'
    + _D
    + rb'" hits="'
    + _D
    + rb'"(?:(?: branch="false")?/>| branch="true" condition-coverage="'
    + _D
    + rb"% \("
    + _D
    + rb"/"
    + _D
    + rb'\)"(?:(?: missing-branches="[0-9,-]*")?/>|>'
    + _WS
    + rb"<conditions>"
    + _WS
    + rb'<condition number="'
    + _D
    + rb'" type="jump" coverage="'
    + _D
    + rb'%"/>'
    + _WS
    + rb"</conditions>"
    + _WS
    + rb"</line>)))*"
    + _WS
    + rb"</lines>)"
    + _WS
)


def _method_body(text: bytes) -> bool | None:
    return True if _METHOD_BODY.fullmatch(text) else None


def _ignore(found: object, parents: list[str]) -> None:
    return None


# bytes that may stand between the elements (character data a parser ignores), and
# that are left out when the rest of a body is measured against its matches
_IGNORED = b" \t\r\n0123456789,-"


def _rest(tag: bytes) -> int:
    return len(tag.translate(None, _IGNORED))


_SIMPLE_REST = _rest(b'<line number="1" hits="1"/>')
_BRANCH_REST = _rest(b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"/>')
_GCOVR_REST = _rest(
    b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"><conditions>'
    b'<condition number="0" type="jump" coverage="50%"/></conditions></line>'
)


@dataclass(frozen=True)
class _Run:
    """What a <lines> body of usual lines says."""

    hit: list[int]
    missed: list[int]
    # each line with condition-coverage: its number, hits, covered arms and arms
    numbers: list[int]
    hits: list[int]
    covered: list[int]
    total: list[int]
    # every line already packed (the JSON reading of coverage.py's lines), else None
    lines: Hits[int] | None = None


# coverage.py's <lines> body: nothing but its two shapes of <line/> and whitespace (the
# hits without a leading zero), checked by one possessive match with no groups
_COVERAGE_PY_BODY = re.compile(
    rb'(?:[ \t\r\n]*+<line number="%(n)s" hits="(?:0|[1-9][0-9]{0,14}+)"'
    rb'(?: branch="true" condition-coverage="%(n)s%% \(%(n)s/%(n)s\)"'
    rb'(?: missing-branches="[0-9,-]*+")?+)?+/>)*+[ \t\r\n]*+' % {b"n": rb"[0-9]{1,15}+"}
)
# ... turned by literal replacements into one JSON array: `,<number>,"<hits>"` per line,
# a branch line's hits followed by `;<percent>% (<covered>/<arms>)[;<missing>]`
_TO_JSON = (
    (b'<line number="', b","),
    (b'" hits="', b',"'),
    (b'" branch="true" condition-coverage="', b";"),
    (b'" missing-branches="', b";"),
    (b'"/>', b'"'),
)
_ARMS = re.compile(r"\((\d+)/(\d+)\)", re.ASCII)


def _coverage_py_lines(text: bytes) -> _Run | None:
    """What a ``<lines>`` body as coverage.py writes it says, every line in document
    order (then packed as gaps when increasing); ``None`` for any other body."""
    if b"<" not in text or not _COVERAGE_PY_BODY.fullmatch(text):
        return None
    for old, new in _TO_JSON:
        text = text.replace(old, new)
    try:
        flat: list[Any] = _scan_once(f"[0{text.decode('ascii')}]", 0)[0]
    except ValueError:  # a leading zero in a line number
        return None
    numbers: list[int] = flat[1::2]
    infos: list[str] = flat[2::2]
    # hits "0" or "0;...", else a count from 1 (no leading zero)
    flags = bytes(map("1".__le__, infos))
    branchy = list(map(contains, infos, repeat(";")))
    covered: list[int] = []
    total: list[int] = []
    lines: list[int] = []
    if True in branchy:
        lines = list(compress(numbers, branchy))
        arms = _ARMS.findall(";".join(compress(infos, branchy)))
        try:
            both: list[int] = _scan_once(f"[{','.join(chain.from_iterable(arms))}]", 0)[0]
        except ValueError:  # a leading zero
            return None
        covered, total = both[0::2], both[1::2]
        if len(covered) != len(lines) or any(map(gt, covered, total)):
            return None
    gaps = _hits.gaps(numbers)
    if gaps is not None:
        packed: Hits[int] = Hits.packed(gaps, _hits.pack_bits(flags))
    else:  # out of order, or repeated
        packed = Hits.from_lists(
            list(compress(numbers, flags)), list(compress(numbers, map(not_, flags)))
        )
    return _Run([], [], lines, [], covered, total, packed)


def _simple_lines(text: bytes) -> _Run | None:
    """What a ``<lines>`` body of usual ``<line/>``s says, ``None`` for any other body.

    The body qualifies when every ``<`` starts a match and all its other bytes are part
    of a match or are whitespace, digits, ``,`` and ``-`` (character data between the
    elements, which a parser ignores; the known attributes are counted on both sides).
    A branch line whose covered arms exceed its arms is left to the element path, which
    reports it.
    """
    fast = _coverage_py_lines(text)
    if fast is not None:
        return fast
    no_branch = text.count(_NO_BRANCH)
    hit = (_HIT_NB if no_branch else _HIT).findall(text)
    missed = (_MISSED_NB if no_branch else _MISSED).findall(text)
    # coverage.py's branch lines end ')"/>' or carry missing-branches; gcovr's do neither
    raw = _BRANCH.findall(text) if b')"/>' in text or _MISSING in text else []
    k = len(hit) + len(missed) + len(raw)
    elements = text.count(b"<")
    # gcovr's branch lines, only where the others leave elements unread
    gcovr = _GCOVR_BRANCH.findall(text) if elements > k and b"<conditions>" in text else []
    if not k + len(gcovr) or elements != k + 5 * len(gcovr):
        return None
    rest = (
        _SIMPLE_REST * (len(hit) + len(missed))
        + _BRANCH_REST * len(raw)
        + _GCOVR_REST * len(gcovr)
        + _rest(_NO_BRANCH) * no_branch
        + _rest(_MISSING + b'"') * text.count(_MISSING)
    )
    if len(text.translate(None, _IGNORED)) != rest:
        return None
    # digits and commas: the C JSON scanner reads them (and refuses a leading zero)
    branch_lines = b",".join(chain.from_iterable(raw + gcovr)).decode()
    both = f"[[{b','.join(hit).decode()}],[{b','.join(missed).decode()}],[{branch_lines}]]"
    try:
        hit_n, missed_n, flat = _scan_once(both, 0)[0]
    except ValueError:
        return None
    covered, total = flat[2::4], flat[3::4]
    if any(map(gt, covered, total)):
        return None
    return _Run(hit_n, missed_n, flat[0::4], flat[1::4], covered, total)


# the C scanner json.loads uses, without its Python layers (bodies are many and small)
_scan_once = cast(Callable[[str, int], tuple[Any, int]], json.JSONDecoder().scan_once)  # type: ignore[attr-defined]


def _simple_hits(found: _Run) -> Hits[int]:
    """The Hits of a run's lines (a repeated line is hit if any copy was)."""
    if found.lines is not None:
        return found.lines
    hit, missed = found.hit, found.missed
    hit.extend(compress(found.numbers, found.hits))
    missed.extend(compress(found.numbers, map(not_, found.hits)))
    return Hits.from_lists(hit, missed)


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals and per-file lines of a Cobertura report."""
    try:
        return _parse(path, max_bytes, cut=True)
    except (ReportError, NotCut):
        # the cut document names other line numbers, and some documents can't be cut:
        # read it again element by element, which gives the same figures or the error
        return _parse(path, max_bytes, cut=False)


def _parse(path: Path, max_bytes: int, *, cut: bool) -> Coverage:
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
                and len(number) < 16
                and len(hits) < 16
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
            if current is not None:
                current.pack()
            current = files.setdefault(filename.replace("\\", "/"), _File())

    def simple(found: _Run, parents: list[str]) -> None:
        # the same test as for one <line> above: only a class's own <lines> count
        if current is None or len(parents) < 2 or parents[-1] != "lines":
            return
        if parents[-2] != "class":
            return
        current.parts.append(_simple_hits(found))
        if found.numbers:
            current.add_conditions(found.numbers, found.covered, found.total)

    cutter = (
        Cutter(
            Cut(b"<lines>", b"</lines>", _simple_lines, simple),
            Cut(b"<method ", b"</method>", _method_body, _ignore, b">"),
        )
        if cut
        else None
    )
    walk = walker(start, cutter)
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
                f"{path}: line {el.line}: <line> condition-coverage has no (covered/total) count",
                "the report is damaged; regenerate it",
            )
        where = f"{path}: line {el.line}: <line> condition-coverage"
        covered, total = digits_value(match.group(1), where), digits_value(match.group(2), where)
        check_pair(path, el, covered, total, "branches")
        into.add_condition(number, covered, total)


def _declared(path: Path, root: Element, name: str) -> int | None:
    """A root count, ``None`` when absent or ``NaN`` (MATLAB's word for "no data")."""
    if root.attrib.get(name, "").strip().lower() == "nan":
        return None
    return count(path, root, name)


def _totals(path: Path, root: Element, files: dict[str, _File]) -> Coverage:
    per_file = tuple(_file_coverage(name, f) for name, f in files.items())
    # what the <line> elements add up to: the totals when the root has none
    lines = (sum(f.lines_covered for f in per_file), sum(f.lines_valid for f in per_file))
    arms = (
        sum(f.branches_covered or 0 for f in per_file),
        sum(f.branches_valid or 0 for f in per_file),
    )
    warnings: list[str] = []
    totals: list[tuple[int, int]] = []
    for what, counted in (("lines", lines), ("branches", arms)):
        covered = _declared(path, root, f"{what}-covered")
        valid = _declared(path, root, f"{what}-valid")
        if covered is None or valid is None:
            totals.append(counted)
            continue
        check_pair(path, root, covered, valid, what)
        totals.append((covered, valid))
        # a report with no <line> at all has nothing to disagree with
        if lines[1] and (covered, valid) != counted:
            warnings.append(
                f"root {what}-covered/{what}-valid {covered}/{valid} disagree with its"
                f" <line> elements ({counted[0]}/{counted[1]}); the root's figures are kept"
            )
    (lines_covered, lines_valid), (branches_covered, branches_valid) = totals
    has_branches = branches_valid > 0
    return Coverage(
        format=NAME,
        lines_covered=lines_covered,
        lines_valid=lines_valid,
        branches_covered=branches_covered if has_branches else None,
        branches_valid=branches_valid if has_branches else None,
        files=per_file,
        warnings=tuple(warnings),
    )


def _file_coverage(name: str, f: _File) -> FileCoverage:
    numbers, covered, total = f.arms()
    lines = f.hits()
    has_branches = sum(total) > 0
    # Cobertura says how many arms were taken, not which: the first ones are marked
    branches = Hits.of_arms(numbers, covered, total) if has_branches else None
    return FileCoverage(
        path=name,
        lines_covered=lines.covered,
        lines_valid=len(lines),
        branches_covered=sum(covered) if has_branches else None,
        branches_valid=sum(total) if has_branches else None,
        lines=lines,
        branches=branches,
    )


def _array(values: Iterable[int]) -> array[int]:
    """Counts packed in the smallest array that holds them (all are below 2**53)."""
    values = list(values)
    for code in ("H", "I", "Q"):
        try:
            return array(code, values)
        except OverflowError:
            continue
    raise AssertionError("a count beyond 2**64")  # pragma: no cover - counts are checked
