"""The LCOV fast path (usual records read with regular expressions) changes nothing.

Every tracefile is read twice, record by record and line by line, at several block
sizes, and the two readings must agree on every figure, every line and every error;
where a record has a line of another shape the fast path must step aside, not guess.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmetrics.errors import ReportError
from gitmetrics.formats import lcov

from .conftest import figures

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
REAL = sorted(
    p for p in (FIXTURES / "lcov").glob("*/*") if p.name in ("lcov.info", "coverage.lcov")
)


def _line_by_line(path: Path) -> object:
    try:
        return figures(lcov._parse(path, 1 << 30, fast=False))
    except ReportError as exc:
        return f"error: {exc}"


def _parsed(path: Path) -> object:
    try:
        return figures(lcov.parse(path))
    except ReportError as exc:
        return f"error: {exc}"


def _same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(lcov, "_BLOCK", block)
    assert _parsed(path) == _line_by_line(path)


@pytest.mark.parametrize("report", REAL, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("block", [1, 7, 100, 1 << 20])
def test_real_tracefiles_read_the_same_both_ways(
    report: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_both_ways(report, monkeypatch, block)


@pytest.mark.parametrize("report", REAL, ids=lambda p: p.parent.name)
def test_the_fast_path_takes_the_records_of_real_tracefiles(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every record is read by one of the two fast paths, none line by line
    slow: list[int] = []
    by_lines = lcov._Reader.lines
    monkeypatch.setattr(lcov._Reader, "lines", lambda r, n, t: slow.append(n) or by_lines(r, n, t))
    assert lcov.parse(report).files
    assert slow == []


def test_ordinary_records_take_the_runs_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    # lcov's own layout (as benchmarks/gen.py writes it) must be read by `_runs_record`:
    # a silent fall back to the regular expressions or the line reading fails here
    def refuse(*args: object) -> None:
        raise AssertionError("a usual record left the runs reader")

    monkeypatch.setattr(lcov, "_fast_record", refuse)
    monkeypatch.setattr(lcov._Reader, "lines", refuse)
    record = (
        "TN:\nSF:/src/a.c\nFN:3,main\nFNDA:4,main\nFNF:1\nFNH:1\n"
        "BRDA:4,0,0,4\nBRDA:4,0,1,0\nBRDA:9,1,0,-\nBRDA:9,1,1,-\nBRF:4\nBRH:1\n"
        "DA:3,4\nDA:4,4\nDA:6,1048576\nDA:9,0\nLF:4\nLH:3\nend_of_record\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lcov.info"
        path.write_text(record + record.replace("/src/a.c", "/src/b.c"))
        cov = lcov.parse(path)
    assert (cov.lines_covered, cov.lines_valid) == (6, 8)
    assert (cov.branches_covered, cov.branches_valid) == (2, 8)


RECORD = "TN:\nSF:a.c\nFN:1,main\nFNDA:1,main\nDA:1,1\nDA:2,0\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nLF:2\nLH:1\nend_of_record\n"
CASES = {
    "usual": RECORD,
    "crlf": RECORD.replace("\n", "\r\n"),
    "bom": "\ufeff" + RECORD,
    "blank lines between records": RECORD + "\n\n" + RECORD.replace("a.c", "b.c"),
    "blank lines inside": RECORD.replace("DA:1,1\n", "DA:1,1\n\n\n"),
    "same file twice": RECORD
    + RECORD.replace("DA:2,0", "DA:2,5").replace("BRDA:2,0,1,-", "BRDA:2,0,1,3"),
    "repeated lines and arms": RECORD.replace("DA:2,0\n", "DA:2,0\nDA:2,4\nDA:1,0\nBRDA:2,0,0,0\n"),
    "checksums": RECORD.replace("DA:1,1", "DA:1,1,abc").replace("DA:2,0", "DA:2,0,"),
    "leading zeros": RECORD.replace("DA:1,1", "DA:01,001").replace("BRDA:2,0,0,1", "BRDA:2,0,0,01"),
    "spaces": RECORD.replace("DA:1,1", " DA:1,1 ").replace("BRDA:2,0,0,1", "BRDA:2, 0,0,1"),
    "branch with commas": RECORD.replace("BRDA:2,0,0,1", "BRDA:2,0,jump to, line 3,1"),
    "line 0": RECORD.replace("DA:1,1", "DA:0,1").replace("BRDA:2,0,0,1", "BRDA:0,0,0,1"),
    "no TN": RECORD.removeprefix("TN:\n"),
    "two TN": "TN:\n" + RECORD,
    "no end_of_record": RECORD.replace("end_of_record\n", "") + RECORD.replace("a.c", "c.c"),
    "end_of_record with spaces": RECORD.replace("end_of_record", "  end_of_record  "),
    "unknown upper-case record": RECORD.replace("LF:2", "MCDC:2,1,t,1,0,x"),
    "unknown record": RECORD.replace("LF:2", "lf:2"),
    "non-ASCII name and branch": RECORD.replace("a.c", "é.c").replace(
        "BRDA:2,0,1,-", "BRDA:2,0,→,-"
    ),
    "not UTF-8": RECORD.replace("FN:1,main", "FN:1,m\udcffin"),
    "not UTF-8 in a checksum": RECORD.replace("DA:1,1", "DA:1,1,\udcff"),
    "NUL in a branch": RECORD.replace("BRDA:2,0,1,-", "BRDA:2,0,\x00,-"),
    "huge count": RECORD.replace("DA:1,1", "DA:1," + "9" * 40),
    "16 digits": RECORD.replace("DA:1,1", "DA:1,9007199254740993"),
    "DA outside a record": "DA:1,1\n" + RECORD,
    "bad DA": RECORD.replace("DA:1,1", "DA:1,x"),
    # (as many numbers as two usual lines: read as lines 1 and 2 before the check)
    "DA with no comma, then three numbers": RECORD.replace("DA:1,1\nDA:2,0", "DA:1\nDA:2,0,5"),
    "bad BRDA": RECORD.replace("BRDA:2,0,0,1", "BRDA:2,0,1"),
    # (as many numbers as two usual lines, read as arms 1,0,0 and 3,0,0 before the check)
    "BRDA with three numbers, then five": RECORD.replace(
        "BRDA:2,0,0,1\nBRDA:2,0,1,-", "BRDA:1,0,0\nBRDA:5,3,0,0,1"
    ),
    # (the fast reading counts no lines: the error must still name its line)
    "an error after usual records": RECORD * 3 + RECORD.replace("BRDA:2,0,0,1", "BRDA:2,0,1"),
    "an error after an odd record": RECORD.replace("DA:1,1", "DA:1,1,abc")
    + RECORD.replace("DA:2,0", "DA:2,x"),
    "empty SF": RECORD.replace("SF:a.c", "SF:"),
    "end_of_record first": "end_of_record\n" + RECORD,
    "text after the last record": RECORD + "SF:z.c\nDA:1,1\n",
    "end_of_records": RECORD.replace("end_of_record", "end_of_records"),
    "only blank": "\n \n\n",
}


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "lcov.info"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("block", [1, 13, 1 << 20])
def test_odd_tracefiles_read_the_same(
    name: str, block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_both_ways(_write(tmp_path, CASES[name]), monkeypatch, block)


LINES = st.sampled_from(
    [
        "DA:1,1",
        "DA:2,0",
        "DA:1,0",
        "DA:3,12,md5",
        "DA:0,1",
        "DA:07,1",
        "DA:4,",
        "BRDA:1,0,0,1",
        "BRDA:1,0,1,-",
        "BRDA:1,0,0,0",
        "BRDA:2,e,a,b,3",
        "BRDA:2,1,1",
        "FN:1,f",
        "FNDA:0,f",
        "LF:3",
        "LH:2",
        "VER:x",
        "",
        "  ",
        "TN:t",
        "SF:b.c",
        "end_of_record",
        "XYZ:1",
        "oops",
    ]
)


@st.composite
def tracefiles(draw: st.DrawFn) -> str:
    records = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["", "TN:\n", "\n"]),
                st.sampled_from(["a.c", "b.c", "dir/c.c"]),
                st.lists(LINES, max_size=8),
                st.sampled_from(["end_of_record\n", "end_of_record\r\n", ""]),
            ),
            max_size=5,
        )
    )
    return "".join(
        f"{tn}SF:{name}\n" + "".join(f"{line}\n" for line in body) + end
        for tn, name, body, end in records
    )


@settings(max_examples=150, deadline=None)
@given(text=tracefiles(), block=st.sampled_from([1, 5, 64, 1 << 20]))
def test_generated_tracefiles_read_the_same(text: str, block: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        _same_both_ways(_write(Path(tmp), text), mp, block)


# DA runs read lane by lane (_da_lanes), and the shapes it must leave to the JSON
# reading and the line reading (True: it takes the run)
def _da(lines: list[tuple[int, int | str]]) -> str:
    return "".join(f"DA:{n},{h}\n" for n, h in lines)


DA_RUNS = {
    "usual": (True, _da([(3, 4), (4, 0), (6, 1048576), (9, 0), (10, 12)])),
    "the last line not hit": (True, _da([(1, 7), (2, 0)])),
    "the last line hit, the others not": (True, _da([(1, 0), (2, 0), (5, 1)])),
    "hits with a leading zero": (True, _da([(1, "05"), (2, "0")])),
    "lines near 65,536": (True, _da([(1 + 255 * k, k % 2) for k in range(262)])),
    "hits 00": (False, _da([(1, 1), (2, "00")])),
    "hits of 16 digits": (False, _da([(1, 1), (2, 9007199254740993)])),
    "a line of six digits": (False, _da([(100000 + k, 1) for k in range(3)])),
    "line 0 first": (False, _da([(0, 1), (1, 0)])),
    "lines out of order": (False, _da([(5, 1), (3, 0)])),
    "a line twice": (False, _da([(5, 0), (5, 2)])),
    "a gap of 256": (False, _da([(1, 1), (257, 0)])),
    "empty hits": (False, _da([(1, 1), (2, "")])),
    "empty line": (False, "DA:1,1\nDA:,3\n"),
    "a checksum": (False, _da([(1, 1), (2, "3,abc")])),
    "a numeric third field": (False, _da([(1, 1), (2, "3,7")])),
    "a letter in the hits": (False, _da([(1, 1), (2, "3x")])),
    # (the prefix's bytes are deleted and counted, not marked)
    "an A in the hits": (False, _da([(1, 1), (2, "3A")])),
    "a colon in the hits": (False, _da([(1, 1), (2, "3:")])),
    "a line with no comma, one with two": (False, "DA:1,1\nDA:2\nDA:3,1,0\n"),
}


@pytest.mark.parametrize("name", list(DA_RUNS))
def test_da_runs_read_by_lanes_or_left_alone(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    takes, run = DA_RUNS[name]
    record = f"TN:\nSF:a.c\nFN:1,main\n{run}LF:2\nLH:1\nend_of_record\n"
    taken: list[bool] = []
    by_lanes = lcov._da_lanes
    monkeypatch.setattr(
        lcov, "_da_lanes", lambda r, n: taken.append(by_lanes(r, n) is not None) or by_lanes(r, n)
    )
    path = _write(tmp_path, record)
    assert _parsed(path) == _line_by_line(path)
    # (once a reading; a reading that ends in an error is made twice, the second counting
    # lines for the message)
    assert taken in ([takes], [takes, takes])
    if takes:  # the same map as the JSON reading gives
        fast = lcov.parse(path).files[0].lines
        monkeypatch.setattr(lcov, "_da_lanes", lambda r, n: None)
        slow = lcov.parse(path).files[0].lines
        assert fast is not None and slow is not None
        assert dict(fast.items()) == dict(slow.items())


# BRDA runs read lane by lane (_brda_lanes), and the shapes it must leave to the JSON
# reading and the line reading (True: it takes the run)
def _brda(arms: list[tuple[int | str, int | str, int | str, int | str]]) -> str:
    return "".join(f"BRDA:{n},{b},{r},{t}\n" for n, b, r, t in arms)


USUAL_ARMS = [(4, 0, 0, 4), (4, 0, 1, 0), (9, 1, 0, "-"), (9, 1, 1, "-"), (12, 2, 0, 10)]
BRDA_RUNS = {
    "usual": (True, _brda(USUAL_ARMS)),
    "one arm": (True, _brda([(3, 0, 0, 1)])),
    "the last arm not taken": (True, _brda([(1, 0, 0, 7), (1, 0, 1, 0)])),
    "the last arm never reached": (True, _brda([(1, 0, 0, 7), (1, 0, 1, "-")])),
    "the first arm taken, the others not": (
        True,
        _brda([(1, 0, 0, 3), (2, 1, 0, 0), (2, 1, 1, 0)]),
    ),
    "taken counts of 7 digits, 10, 100": (
        True,
        _brda([(1, 0, 0, 1048576), (1, 0, 1, 10), (1, 0, 2, 100), (1, 0, 3, 9999999)]),
    ),
    "a taken count with a leading zero": (True, _brda([(1, 0, 0, "05"), (1, 0, 1, "050")])),
    "a line with leading zeros": (True, _brda([(1, 0, 0, 1), ("002", 0, 0, 1)])),
    "line 0": (True, _brda([(0, 0, 0, 1), (0, 0, 1, 0), (1, 0, 0, 1)])),
    "the largest line, block and branch": (
        True,
        _brda([(65535, 254, 255, 1), (65535, 255, 0, 0), (65535, 255, 255, 3)]),
    ),
    "arms in order of block, then branch": (
        True,
        _brda([(7, 3, 9, 1), (7, 10, 0, 0), (7, 10, 100, 1), (8, 0, 0, 0)]),
    ),
    "taken 00": (False, _brda([(1, 0, 0, 1), (1, 0, 1, "00")])),
    "taken 000 last": (False, _brda([(1, 0, 0, 1), (1, 0, 1, "000")]).rstrip("\n")),
    # (lanes of 16 bytes)
    "taken of 8 and 15 digits": (
        True,
        _brda([(1, 0, 0, 12345678), (1, 0, 1, 0), (1, 0, 2, "-"), (2, 0, 0, 10**14)]),
    ),
    "taken of 16 digits": (False, _brda([(1, 0, 0, 1), (1, 0, 1, 2**53)])),
    "taken 9 digits, a comma missing": (False, "BRDA:5,0,123456789\nBRDA:6,0,0,1\n"),
    "taken 17 digits, a comma missing": (False, f"BRDA:5,0,{10**16}\nBRDA:6,0,0,1\n"),
    "a line of 6 digits, taken of 8": (False, _brda([(100000, 0, 0, 12345678)])),
    "a branch of 4 digits, taken of 8": (False, _brda([(1, 0, 1234, 12345678)])),
    "a block of 4 digits, taken of 8": (False, _brda([(1, 1234, 0, 12345678)])),
    "a comma missing, one more": (False, "BRDA:1,0,0\nBRDA:2,0,0,1,5\n"),
    "one comma more, one missing": (False, "BRDA:5,1,0,1,5\nBRDA:0,2,1\n"),
    "a minus sign in the count": (False, _brda([(1, 0, 0, "-1"), (1, 0, 1, "1-")])),
    "a minus sign as the branch": (False, _brda([(1, 0, "-", 1)])),
    "an A in the count": (False, _brda([(1, 0, 0, 1), (1, 0, 1, "1A")])),
    "a letter in the branch": (False, _brda([(1, 0, "x", 1)])),
    "a space in the block": (False, _brda([(1, " 0", 0, 1)])),
    "empty taken": (False, _brda([(1, 0, 0, 1), (1, 0, 1, "")])),
    "empty branch": (False, _brda([(1, 0, "", 1)])),
    "empty block": (False, _brda([(1, "", 0, 1)])),
    "empty line": (False, _brda([("", 0, 0, 1)])),
    # (1234: its last three digits, 234, would do as a branch or a block)
    "a branch of 4 digits": (False, _brda([(1, 0, 1234, 1)])),
    "a block of 4 digits": (False, _brda([(1, 1234, 0, 1)])),
    "a line of 6 digits": (False, _brda([(100000, 0, 0, 1)])),
    "branch 256": (False, _brda([(1, 0, 256, 1)])),
    "block 256": (False, _brda([(1, 256, 0, 1)])),
    "line 65,536": (False, _brda([(65536, 0, 0, 1)])),
    "branch 01": (False, _brda([(1, 0, "01", 1)])),
    "branch 012": (False, _brda([(1, 0, "012", 1)])),
    "block 01": (False, _brda([(1, "01", 0, 1)])),
    "block 012": (False, _brda([(1, "012", 0, 1)])),
    "arms out of order": (False, _brda([(4, 0, 1, 1), (4, 0, 0, 0)])),
    "lines out of order": (False, _brda([(5, 0, 0, 1), (4, 1, 0, 0)])),
    "an arm twice": (False, _brda([(4, 0, 0, 1), (4, 0, 0, 0)])),
    # (other lines among them: the lanes look for none before)
    "a line of numbers among them": (False, "BRDA:1,0,0,1\n:2,0,0,1\nBRDA:3,0,0,1\n"),
    "a blank line among them": (False, "BRDA:1,0,0,1\n\nBRDA:3,0,0,1\n"),
}


@pytest.mark.parametrize("name", list(BRDA_RUNS))
def test_brda_runs_read_by_lanes_or_left_alone(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    takes, run = BRDA_RUNS[name]
    _brda_same_both_ways(tmp_path, monkeypatch, run, takes)


def _brda_same_both_ways(
    tmp: Path, monkeypatch: pytest.MonkeyPatch, run: str, takes: bool | None
) -> None:
    record = f"TN:\nSF:a.c\nFN:1,main\n{run.rstrip(chr(10))}\nBRF:2\nDA:1,1\nend_of_record\n"
    taken: list[bool] = []
    by_lanes = lcov._brda_lanes
    monkeypatch.setattr(
        lcov, "_brda_lanes", lambda r, n: taken.append(by_lanes(r, n) is not None) or by_lanes(r, n)
    )
    path = _write(tmp, record)
    assert _parsed(path) == _line_by_line(path)
    if takes is not None:
        assert taken in ([takes], [takes, takes])
    if taken and taken[0]:  # the same map as the JSON reading gives
        fast = lcov.parse(path).files[0].branches
        monkeypatch.setattr(lcov, "_brda_lanes", lambda r, n: None)
        slow = lcov.parse(path).files[0].branches
        assert fast is not None and slow is not None
        assert dict(fast.items()) == dict(slow.items())


FIELD = st.one_of(
    st.integers(0, 300).map(str),
    st.sampled_from(["0", "1", "255", "256", "01", "00", "012", "", "-", "x", "1000", " 1"]),
)
TAKEN = st.one_of(
    st.integers(0, 10**9).map(str),
    st.sampled_from(["0", "-", "00", "000", "05", "010", "", "-1", "1A", "12345678", "9" * 16]),
)
ARM = st.tuples(
    st.one_of(st.integers(0, 70000).map(str), st.sampled_from(["0", "007", "", "65535"])),
    FIELD,
    FIELD,
    TAKEN,
)


@settings(max_examples=300, deadline=None)
@given(arms=st.lists(ARM, min_size=1, max_size=12), ordered=st.booleans())
def test_generated_brda_runs_read_the_same(
    arms: list[tuple[str, str, str, str]], ordered: bool
) -> None:
    if ordered:  # as producers write them (the shape the lanes take)
        arms = sorted(arms, key=lambda a: [int(f) if f.isdigit() else -1 for f in a[:3]])
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        _brda_same_both_ways(Path(tmp), mp, _brda(arms), None)  # type: ignore[arg-type]
