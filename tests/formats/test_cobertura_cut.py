"""The Cobertura fast path (runs of simple <line/>s cut out before expat) changes nothing.

Every document is parsed twice, with and without the cutter, at several chunk sizes,
and the two readings must agree on every figure and every line; where the fast path
can't be sure (comments, CDATA, odd spellings) it must step aside, not guess.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmetrics.formats import cobertura

from .conftest import cut_and_uncut_agree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports" / "cobertura"
REAL = sorted(p for p in FIXTURES.glob("*/*.xml"))


def _same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> bool:
    return cut_and_uncut_agree(cobertura, path, monkeypatch, chunk)


@pytest.mark.parametrize("report", REAL, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("chunk", [5, 64, 4096, 1 << 18])
def test_real_reports_read_the_same_with_and_without_the_cutter(
    report: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_both_ways(report, monkeypatch, chunk)


def _doc(classes: list[str], head: str = "") -> str:
    return (
        '<?xml version="1.0" ?>\n'
        f"{head}"
        '<coverage line-rate="0.5" branch-rate="0" version="7">\n'
        "<packages><package name='p'><classes>\n"
        + "\n".join(classes)
        + "\n</classes></package></packages></coverage>\n"
    )


def _simple(lines: list[tuple[int, int]], sep: str = "\n\t") -> str:
    return sep.join(f'<line number="{n}" hits="{h}"/>' for n, h in lines)


def _class(filename: str, body: str, methods: str = "<methods/>") -> str:
    return f'<class name="c" filename="{filename}">{methods}<lines>{body}</lines></class>'


GCOVR = (
    '<line number="{n}" hits="{h}" branch="true" condition-coverage="50% ({c}/{t})">'
    '\n  <conditions>\n    <condition number="0" type="jump" coverage="50%"/>'
    "\n  </conditions>\n</line>"
)
CASES = {
    "plain": _doc([_class("a.py", _simple([(1, 1), (2, 0), (3, 5)]))]),
    "gcovr and istanbul style": _doc(
        [_class("a.py", '<line number="1" hits="2" branch="false"/><line number="2" hits="0"/>')]
    ),
    "same file in two classes": _doc(
        [_class("a.py", _simple([(1, 0), (2, 0)])), _class("a.py", _simple([(2, 3), (4, 0)]))]
    ),
    "repeated line in one run": _doc([_class("a.py", _simple([(1, 0), (1, 2), (2, 0)]))]),
    "method lines are not the class's": _doc(
        [
            _class(
                "a.py",
                _simple([(1, 1)]),
                methods=f'<methods><method name="m"><lines>{_simple([(9, 1)])}</lines>'
                "</method></methods>",
            )
        ]
    ),
    "digits and spaces as text": _doc([_class("a.py", "12 " + _simple([(1, 1)]) + " 7")]),
    "leading zero": _doc([_class("a.py", _simple([(1, 1)]) + '<line number="02" hits="0"/>')]),
    "other attribute order": _doc([_class("a.py", '<line hits="1" number="3"/>')]),
    "coverage.py branch lines": _doc(
        [
            _class(
                "a.py",
                _simple([(1, 1)])
                + '<line number="2" hits="1" branch="true" condition-coverage="50% (1/2)"'
                ' missing-branches="4"/>'
                + '<line number="2" hits="0" branch="true" condition-coverage="100% (2/3)"/>',
            )
        ]
    ),
    "branch line among simple ones": _doc(
        [
            _class(
                "a.py",
                _simple([(1, 1)])
                + '<line number="2" hits="1" branch="true" condition-coverage="50% (1/2)"/>',
            )
        ]
    ),
    "gcovr branch lines": _doc(
        [
            _class(
                "a.c",
                '<line number="1" hits="2" branch="false"/>\n'
                + GCOVR.format(n=2, h=2, c=1, t=2)
                + "\n"
                + GCOVR.format(n=3, h=0, c=0, t=2),
            )
        ]
    ),
    "gcovr lines repeated under the method": _doc(
        [
            _class(
                "a.c",
                GCOVR.format(n=2, h=2, c=1, t=2),
                methods=f'<methods><method name="f"><lines>{GCOVR.format(n=2, h=2, c=1, t=2)}'
                "</lines></method></methods>",
            )
        ]
    ),
    "method lines with entities": _doc(
        [
            _class(
                "a.c",
                _simple([(1, 1)]),
                methods='<methods><method name="&lt;f&gt;"><lines>'
                + _simple([(1, 1)])
                + "&amp;</lines></method></methods>",
            )
        ]
    ),
    "method with a class in it": _doc(
        [
            _class(
                "a.c",
                _simple([(1, 1)]),
                methods='<methods><method name="m"><lines>'
                + '</lines></method><method name="n"/></methods>',
            )
        ]
    ),
    "empty method": _doc(
        [
            _class(
                "a.c",
                _simple([(1, 1)]),
                methods='<methods><method name="m"/><method name="n"><lines/></method></methods>',
            )
        ]
    ),
    "unclosed line in a method": _doc(
        [
            _class(
                "a.c",
                _simple([(1, 1)]),
                methods='<methods><method name="m"><lines><line number="1" hits="1"></lines></method></methods>',
            )
        ]
    ),
    "gcovr with two conditions": _doc(
        [
            _class(
                "a.c",
                GCOVR.format(n=2, h=2, c=1, t=2).replace(
                    "</conditions>",
                    '<condition number="1" type="jump" coverage="0%"/></conditions>',
                ),
            )
        ]
    ),
    "gcovr switch condition": _doc(
        [_class("a.c", GCOVR.format(n=2, h=2, c=1, t=2).replace("jump", "switch"))]
    ),
    "gcovr condition not closed": _doc(
        [_class("a.c", GCOVR.format(n=2, h=2, c=1, t=2).replace('%"/>', '%">'))]
    ),
    "gcovr more covered than arms": _doc([_class("a.c", GCOVR.format(n=2, h=2, c=3, t=2))]),
    "same branch line in two classes": _doc(
        [
            _class("a.c", GCOVR.format(n=2, h=2, c=1, t=2)),
            _class("a.c", GCOVR.format(n=2, h=0, c=2, t=4) + _simple([(3, 1)])),
        ]
    ),
    "entity in the run": _doc([_class("a.py", _simple([(1, 1)]) + "&amp;")]),
    "run in a comment": _doc(
        [_class("a.py", _simple([(1, 1)]))],
        head=f"<!-- <lines>{_simple([(5, 1)])}</lines> -->\n",
    ),
    "run in CDATA": _doc(
        [_class("a.py", f"<![CDATA[<lines>{_simple([(5, 1)])}]]>" + _simple([(1, 0)]))]
    ),
    "run in an instruction": _doc(
        [_class("a.py", _simple([(1, 1)]))],
        head=f"<?note <lines>{_simple([(5, 1)])}</lines> ?>\n",
    ),
    "the document's own gitmetrics-cut instruction": _doc(
        [_class("a.py", "<?gitmetrics-cut 1?>" + _simple([(1, 1)]))]
    ),
    "lines outside a class": _doc([f"<lines>{_simple([(1, 1)])}</lines>"]),
    "truncated in a run": _doc([_class("a.py", _simple([(1, 1), (2, 0)]))])[:-120],
    "unclosed line in a run": _doc([_class("a.py", '<line number="1" hits="1">')]),
    "stray close in a run": _doc([_class("a.py", _simple([(1, 1)]) + "</line>")]),
    "control character in a run": _doc([_class("a.py", _simple([(1, 1)]) + "\x01")]),
    "class without filename": _doc(
        ['<class name="c"><lines>' + _simple([(1, 1)]) + "</lines></class>"]
    ),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("chunk", [3, 17, 1 << 18])
def test_odd_documents_read_the_same(
    name: str, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "coverage.xml"
    path.write_text(CASES[name], encoding="utf-8")
    _same_both_ways(path, monkeypatch, chunk)


@pytest.mark.parametrize(
    "report",
    [
        "real pytest-cov-lines",
        "real pytest-cov-branch",
        "real gcovr-c",
        "gcovr branch lines",
        "plain",
        "gcovr and istanbul style",
        "coverage.py branch lines",
    ],
)
def test_the_cutter_takes_plain_runs(
    report: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs: list[object] = []
    simple_hits = cobertura._simple_hits
    monkeypatch.setattr(cobertura, "_simple_hits", lambda f: runs.append(f) or simple_hits(f))
    if report.startswith("real "):
        (path,) = (FIXTURES / report.removeprefix("real ")).glob("*.xml")
    else:
        path = tmp_path / "coverage.xml"
        path.write_text(CASES[report], encoding="utf-8")
    assert _same_both_ways(path, monkeypatch, 1 << 18)
    assert runs, "no <lines> run was read by the fast path"


@st.composite
def documents(draw: st.DrawFn) -> str:
    numbers = st.integers(0, 40)
    hits = st.sampled_from([0, 0, 1, 3, 12])
    pieces = st.lists(
        st.one_of(
            st.tuples(numbers, hits).map(lambda t: _simple([t])),
            st.sampled_from(
                [
                    "\n",
                    " ",
                    "\t\t",
                    "42",
                    '<line number="7" hits="0" branch="false"/>',
                    '<line number="6" hits="4" branch="false"/>',
                    ' branch="false"',
                    'branch="false"',
                    '<line number="8" hits="2" branch="true" condition-coverage="50% (1/2)"/>',
                    '<line number="3" hits="0" branch="true" condition-coverage="0% (0/2)"'
                    ' missing-branches="4,-1"/>',
                    '<line number="3" hits="1" branch="true" condition-coverage="100% (2/2)"/>',
                    '<line number="5" hits="1" branch="true" condition-coverage="300% (3/1)"/>',
                    '<line number="5" hits="1" branch="true" condition-coverage="50% (1/2)">'
                    '<conditions><condition number="0" type="jump" coverage="50%"/></conditions>'
                    "</line>",
                    ' missing-branches="',
                    ",-",
                    "<!-- note -->",
                    '<line number="09" hits="1"/>',
                ]
            ),
        ),
        max_size=12,
    )
    files = st.sampled_from(["a.py", "b.py", "pkg/c.py"])
    classes = draw(
        st.lists(st.tuples(files, pieces).map(lambda t: _class(t[0], "".join(t[1]))), max_size=5)
    )
    return _doc(classes)


@settings(max_examples=80, deadline=None)
@given(doc=documents(), chunk=st.sampled_from([1, 9, 64, 1 << 18]))
def test_generated_documents_read_the_same(doc: str, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        path = Path(tmp) / "coverage.xml"
        path.write_text(doc, encoding="utf-8")
        _same_both_ways(path, mp, chunk)


# coverage.py's <lines> bodies, read by one check and one JSON scan (_coverage_py_lines);
# the shapes it must leave to the expressions or the element path (True: it takes it)
BRANCH = '<line number="{n}" hits="{h}" branch="true" condition-coverage="{p}% ({c}/{t})"{m}/>'
JSON_BODIES = {
    "plain lines in order": (True, _simple([(1, 1), (2, 0), (5, 17), (300, 0)])),
    "branch lines, missing-branches": (
        True,
        _simple([(1, 1)])
        + BRANCH.format(n=2, h=1, p=50, c=1, t=2, m=' missing-branches="4,-1"')
        + BRANCH.format(n=3, h=0, p=0, c=0, t=4, m="")
        + _simple([(4, 0)]),
    ),
    "lines out of order": (True, _simple([(9, 1), (2, 0), (5, 3)])),
    "a line twice, hit once": (True, _simple([(3, 0), (4, 1), (3, 2)])),
    "a gap over 255": (True, _simple([(1, 0), (400, 1)])),
    "hits with a leading zero": (False, _simple([(1, 1)]) + '<line number="2" hits="05"/>'),
    "hits of 16 digits": (False, '<line number="2" hits="1234567890123456"/>'),
    "number with a leading zero": (False, '<line number="02" hits="1"/>' + _simple([(3, 0)])),
    "digits between lines": (False, _simple([(1, 1)]) + " 7 " + _simple([(2, 0)])),
    "a count between lines": (False, _simple([(1, 1)]) + ",7" + _simple([(2, 0)])),
    "branch=false": (False, _simple([(1, 1)]) + '<line number="2" hits="0" branch="false"/>'),
    "more covered arms than arms": (False, BRANCH.format(n=2, h=1, p=150, c=3, t=2, m="")),
    "covered arms with a leading zero": (False, BRANCH.format(n=2, h=1, p=50, c="01", t=2, m="")),
    "gcovr branch line": (False, GCOVR.format(n=2, h=2, c=1, t=2)),
    "only whitespace": (False, "\n\t\t"),
}


@pytest.mark.parametrize("name", list(JSON_BODIES))
def test_coverage_py_bodies_read_as_json_or_left_alone(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    takes, body = JSON_BODIES[name]
    assert (cobertura._coverage_py_lines(body.encode()) is not None) is takes
    path = tmp_path / "coverage.xml"
    path.write_text(_doc([_class("a.py", body), _class("b.py", _simple([(1, 1)]))]))
    assert _same_both_ways(path, monkeypatch, 1 << 18) or not takes
    if takes:  # the same lines and arms as the expressions read them
        fast = cobertura._simple_lines(body.encode())
        monkeypatch.setattr(cobertura, "_coverage_py_lines", lambda text: None)
        slow = cobertura._simple_lines(body.encode())
        assert fast is not None and slow is not None
        assert dict(cobertura._simple_hits(fast)) == dict(cobertura._simple_hits(slow))
        assert (fast.numbers, fast.covered, fast.total) == (
            slow.numbers,
            slow.covered,
            slow.total,
        )
