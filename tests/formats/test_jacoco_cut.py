"""The JaCoCo fast path (<sourcefile> and <class> bodies cut out before expat) changes nothing.

Every document is parsed with and without the cutter, at several chunk sizes, and the
readings must agree on every figure, line, arm, warning and error; where the fast path
can't be sure (other shapes, comments, CDATA, odd spellings) it must step aside.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmetrics.formats import jacoco

from .conftest import cut_and_uncut_agree, figures
from .test_realworld import CASES as REALWORLD_CASES
from .test_realworld import REALWORLD

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports" / "jacoco"
REAL = sorted(FIXTURES.glob("*/jacoco.xml")) + (
    [REALWORLD / c["file"] for c in REALWORLD_CASES if c["format"] == "jacoco"] if REALWORLD else []
)


def _same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> bool:
    return cut_and_uncut_agree(jacoco, path, monkeypatch, chunk)


@pytest.mark.slow
@pytest.mark.parametrize("report", REAL, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("chunk", [7, 100, 1 << 18])
def test_real_reports_read_the_same_with_and_without_the_cutter(
    report: Path, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_both_ways(report, monkeypatch, chunk)


# gcovr's <line nr=.../> (no counts) is read element by element: only JaCoCo's own reports
@pytest.mark.parametrize(
    "report", [p for p in REAL if "gcovr" not in str(p)], ids=lambda p: p.parent.name
)
def test_the_cutter_takes_the_bodies_jacoco_writes(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[object] = []
    classes: list[object] = []
    real, real_class = jacoco._sourcefile_run, jacoco._class_run
    monkeypatch.setattr(jacoco, "_sourcefile_run", lambda t: runs.append(real(t)) or runs[-1])
    monkeypatch.setattr(
        jacoco, "_class_run", lambda t: classes.append(real_class(t)) or classes[-1]
    )
    assert _same_both_ways(report, monkeypatch, 1 << 18)
    assert runs and all(r is not None for r in runs)
    assert classes and all(c is not None for c in classes)


HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'


def _counter(kind: str, missed: int, covered: int) -> str:
    return f'<counter type="{kind}" missed="{missed}" covered="{covered}"/>'


def _line(nr: int, mi: int, ci: int, mb: int = 0, cb: int = 0) -> str:
    return f'<line nr="{nr}" mi="{mi}" ci="{ci}" mb="{mb}" cb="{cb}"/>'


def _doc(sources: str, classes: str = "", tail: str = "") -> str:
    return (
        f'{HEAD}<report name="r"><sessioninfo id="s" start="1" dump="2"/>'
        f'<package name="p">{classes}{sources}{_counter("LINE", 1, 2)}</package>'
        f"{_counter('LINE', 1, 2)}{_counter('BRANCH', 1, 1)}{tail}</report>"
    )


def _source(name: str, body: str) -> str:
    return f'<sourcefile name="{name}">{body}</sourcefile>'


METHOD = (
    '<method name="&lt;init&gt;" desc="()V" line="3">'
    + _counter("INSTRUCTION", 3, 0)
    + _counter("LINE", 1, 0)
    + "</method>"
)
PLAIN = _line(1, 0, 3) + _line(2, 2, 0) + _line(3, 1, 1, 1, 1) + _counter("LINE", 1, 2)
CASES = {
    "plain": _doc(
        _source("A.java", PLAIN), f'<class name="p/A" sourcefilename="A.java">{METHOD}</class>'
    ),
    "whitespace between": _doc(_source("A.java", PLAIN.replace("><", ">\n  <"))),
    "same file twice": _doc(
        _source("A.java", PLAIN) + _source("A.java", _line(2, 0, 1) + _line(9, 1, 0))
    ),
    "repeated line": _doc(
        _source("A.java", _line(1, 1, 0) + _line(1, 0, 1) + _line(1, 0, 0, 2, 0))
    ),
    "other attribute order": _doc(_source("A.java", '<line nr="1" ci="1" mi="0" mb="0" cb="0"/>')),
    "gcovr lines": _doc(
        _source("a.c", '<line nr="4"/><line nr="5" mb="1" cb="1"/>' + _counter("LINE", 1, 1))
    ),
    "leading zero": _doc(_source("A.java", PLAIN + '<line nr="07" mi="0" ci="1" mb="0" cb="0"/>')),
    "digits as text": _doc(_source("A.java", "12 " + PLAIN + " 7")),
    "entity in a body": _doc(_source("A.java", PLAIN + "&amp;")),
    "undefined entity in a method name": _doc(
        "", '<class name="p/A"><method name="&foo;" desc="()V"></method></class>'
    ),
    "method without line": _doc(
        "", '<class name="p/A"><method name="m" desc="()V"></method></class>'
    ),
    "nested method": _doc(
        "",
        '<class name="p/A"><method name="m" desc="()V"><method name="n" desc="()V"></method></method></class>',
    ),
    "sourcefile inside a class": _doc("", f'<class name="p/A">{_source("B.java", PLAIN)}</class>'),
    "empty sourcefile": _doc('<sourcefile name="A.java"/>' + _source("B.java", PLAIN)),
    "name with >": _doc('<sourcefile name="A&gt;.java">' + PLAIN + "</sourcefile>"),
    "name with a raw >": _doc('<sourcefile name="A>.java">' + PLAIN + "</sourcefile>"),
    "run in a comment": _doc(_source("A.java", PLAIN), tail=f"<!-- {_source('Z.java', PLAIN)} -->"),
    "run in CDATA": _doc(_source("A.java", f"<![CDATA[{_source('Z.java', PLAIN)}]]>" + PLAIN)),
    "sourcefile outside a package": f'{HEAD}<report name="r">{_source("A.java", PLAIN)}</report>',
    "counters disagree": _doc(_source("A.java", PLAIN)).replace(
        _counter("BRANCH", 1, 1), _counter("BRANCH", 5, 1)
    ),
    "huge count": _doc(_source("A.java", _line(1, 0, 10**20))),
    "16 digits": _doc(_source("A.java", _line(9007199254740993, 0, 1))),
    "truncated in a body": _doc(_source("A.java", PLAIN))[:-200],
    "stray close in a body": _doc(_source("A.java", PLAIN + "</line>")),
    "control character": _doc(_source("A.java", PLAIN + "\x01")),
    "non-ASCII method name": _doc(
        "", '<class name="p/A"><method name="é" desc="()V"></method></class>'
    ),
    "sourcefile without name": _doc('<sourcefile name="">' + PLAIN + "</sourcefile>"),
    "the document's own gitmetrics-cut instruction": _doc(
        _source("A.java", "<?gitmetrics-cut 1?>" + PLAIN)
    ),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("chunk", [3, 17, 1 << 18])
def test_odd_documents_read_the_same(
    name: str, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "jacoco.xml"
    path.write_text(CASES[name], encoding="utf-8")
    _same_both_ways(path, monkeypatch, chunk)


def test_the_plain_document_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "jacoco.xml"
    path.write_text(CASES["plain"], encoding="utf-8")
    assert _same_both_ways(path, monkeypatch, 1 << 18)
    cov = jacoco.parse(path)
    assert json.dumps(figures(cov))  # plain data


PIECES = st.sampled_from(
    [
        _line(1, 0, 2),
        _line(2, 3, 0),
        _line(2, 0, 1),
        _line(3, 1, 1, 1, 1),
        _line(3, 0, 4, 0, 2),
        _line(4, 2, 0, 2, 0),
        '<line nr="5"/>',
        '<line nr="6" mi="0" ci="1"/>',
        _counter("LINE", 1, 2),
        _counter("BRANCH", 0, 2),
        _counter("INSTRUCTION", 4, 4),
        "\n",
        " 12 ",
        "<!-- c -->",
        "&lt;",
        '<line nr="08" mi="0" ci="1" mb="0" cb="0"/>',
    ]
)
CLASS_PIECES = st.sampled_from(
    [METHOD, _counter("METHOD", 1, 1), '<method name="m" desc="(I)V">', "</method>", "\n", "x"]
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    sources = draw(
        st.lists(
            st.tuples(st.sampled_from(["A.java", "B.java"]), st.lists(PIECES, max_size=10)),
            max_size=4,
        )
    )
    classes = draw(st.lists(st.lists(CLASS_PIECES, max_size=5), max_size=3))
    return _doc(
        "".join(_source(n, "".join(b)) for n, b in sources),
        "".join(f'<class name="p/C">{"".join(b)}</class>' for b in classes),
    )


@settings(max_examples=100, deadline=None)
@given(doc=documents(), chunk=st.sampled_from([1, 9, 64, 1 << 18]))
def test_generated_documents_read_the_same(doc: str, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        path = Path(tmp) / "jacoco.xml"
        path.write_text(doc, encoding="utf-8")
        _same_both_ways(path, mp, chunk)
