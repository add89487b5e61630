"""Hostile and broken input: every parser answers with a ReportError naming the file."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError
from gitmetrics.formats import gocover, lcov

from .conftest import FIXTURES

# format name -> a real report of that format and the name it is usually written as
REAL = {
    "coverage-json": FIXTURES / "coverage-json" / "branch" / "coverage.json",
    "lcov": FIXTURES / "lcov" / "lcov-gcc" / "lcov.info",
    "go": FIXTURES / "go" / "set" / "cover.out",
    "istanbul-summary": FIXTURES / "istanbul-summary" / "nyc" / "coverage-summary.json",
    "istanbul-final": FIXTURES / "istanbul-final" / "nyc" / "coverage-final.json",
    "gcovr-json": FIXTURES / "gcovr-json" / "gcc" / "coverage.json",
    "gcovr-summary": FIXTURES / "gcovr-summary" / "gcc" / "coverage-summary.json",
}
TEXT_FORMATS = sorted(REAL)


def _parse_fails(path: Path, fmt: str) -> ReportError:
    with pytest.raises(ReportError) as err:
        formats.get(fmt).parse(path)
    assert path.name in err.value.message
    assert "Traceback" not in str(err.value)
    return err.value


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_truncated(tmp_path: Path, fmt: str) -> None:
    data = REAL[fmt].read_bytes()
    path = tmp_path / REAL[fmt].name
    # cut inside a record: JSON ends mid-object, line formats end mid-line
    path.write_bytes(data[: len(data) * 2 // 3].rstrip()[:-1] + b"\n:")
    _parse_fails(path, fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_binary_garbage(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / REAL[fmt].name
    path.write_bytes(os.urandom(2048) + b"\x00\xff")
    _parse_fails(path, fmt)


@pytest.mark.parametrize("fmt", [*TEXT_FORMATS, "coverage-data"])
@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_empty(tmp_path: Path, fmt: str, content: bytes) -> None:
    path = tmp_path / (".coverage" if fmt == "coverage-data" else REAL[fmt].name)
    path.write_bytes(content)
    err = _parse_fails(path, fmt)
    assert "empty" in err.message or "not a" in err.message


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("other", TEXT_FORMATS)
def test_wrong_format_for_the_name(tmp_path: Path, fmt: str, other: str) -> None:
    if fmt == other:
        return
    path = tmp_path / REAL[fmt].name
    path.write_bytes(REAL[other].read_bytes())
    _parse_fails(path, fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_not_utf8(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / REAL[fmt].name
    path.write_bytes(b"\xff\xfe" + "SF:é".encode("latin-1") + b"\n")
    _parse_fails(path, fmt)


@pytest.mark.parametrize("fmt", ["coverage-json", "istanbul-summary", "gcovr-json"])
def test_json_that_is_not_an_object(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / REAL[fmt].name
    path.write_text("[1, 2, 3]")
    _parse_fails(path, fmt)


def test_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    _parse_fails(path, "coverage-json")


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("lcov", "SF:a.c\nend_of_record\n"),
        ("go", "mode: count\na.go:1.1,2.2 0 0\n"),
        (
            "gcovr-summary",
            '{"gcovr/summary_format_version": "0.6", "line_total": 0, '
            '"line_covered": 0, "branch_total": 0, "branch_covered": 0, "files": []}',
        ),
        ("gcovr-json", '{"gcovr/format_version": "0.15", "files": []}'),
        ("istanbul-final", "{}"),
        (
            "coverage-json",
            '{"meta": {"format": 3}, "totals": {"covered_lines": 0, '
            '"num_statements": 0}, "files": {}}',
        ),
    ],
)
def test_zero_coverable_lines_is_valid(tmp_path: Path, fmt: str, text: str) -> None:
    path = tmp_path / REAL[fmt].name
    path.write_text(text)
    cov = formats.get(fmt).parse(path)
    assert cov.lines_covered == 0
    assert cov.line_rate is None
    assert cov.branch_rate is None


@pytest.mark.parametrize("bad", ["-1", "x", "1e3", "0x10", "\u0661"])
def test_bad_counts_in_line_formats(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "lcov.info"
    path.write_text(f"SF:a.c\nDA:1,{bad}\nend_of_record\n")
    with pytest.raises(ReportError, match=r"lcov\.info: line 2"):
        lcov.parse(path)
    path = tmp_path / "cover.out"
    path.write_text(f"mode: count\na.go:1.1,2.2 1 {bad}\n")
    with pytest.raises(ReportError, match=r"cover\.out: line 2"):
        gocover.parse(path)


@pytest.mark.parametrize("fmt", ["istanbul-summary", "gcovr-summary", "gcovr-json"])
@pytest.mark.parametrize("bad", [-3, "7", None, [1]])
def test_bad_counts_in_json_formats(tmp_path: Path, fmt: str, bad: object) -> None:
    data = json.loads(REAL[fmt].read_text())
    if fmt == "istanbul-summary":
        data["total"]["branches"]["total"] = bad
    elif fmt == "gcovr-summary":
        data["line_total"] = bad
    else:
        data["files"][0]["lines"][1]["branches"][0]["count"] = bad
    path = tmp_path / REAL[fmt].name
    path.write_text(json.dumps(data))
    _parse_fails(path, fmt)


def test_detection_of_every_real_report_is_unambiguous() -> None:
    for fmt, path in REAL.items():
        head = path.read_bytes()[:65536]
        claimed = [n for n in REAL if formats.get(n).detect(path, head)]
        assert claimed == [fmt], path


MARK = "ghp_s3cr3tv4lu3"


def _leaves(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """The paths of every scalar in a JSON document."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _replaced(doc: object, path: tuple[object, ...], new: object) -> object:
    doc = json.loads(json.dumps(doc))
    parent: Any = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = new
    return doc


def _with_the_mark(fmt: str, rng: random.Random) -> list[str]:
    """Copies of a real report with a secret-looking string put where values go."""
    text = REAL[fmt].read_text()
    if text.lstrip().startswith("{"):
        doc = json.loads(text)
        leaves = _leaves(doc)
        picked = rng.sample(leaves, min(40, len(leaves)))
        cases = [json.dumps(_replaced(doc, p, MARK)) for p in picked]
        cases += [json.dumps(_replaced(doc, p, [MARK])) for p in picked[:10]]
        # and broken JSON right at the mark
        cases += [text[: len(text) // 2] + MARK, text.replace(":", ": " + MARK, 1)]
        return cases
    lines = text.splitlines()
    cases = []
    for i in rng.sample(range(len(lines)), min(30, len(lines))):
        kind = lines[i].partition(":")[0]
        for new in (MARK, f"{lines[i]}{MARK}", f"{kind}:{MARK}", f"{kind}:1,{MARK}"):
            cases.append("\n".join([*lines[:i], new, *lines[i + 1 :]]) + "\n")
    return cases


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_errors_never_quote_the_report(tmp_path: Path, fmt: str) -> None:
    """Errors are committed and pushed: they give the place and the kind, never content."""
    path = tmp_path / REAL[fmt].name
    refused = 0
    for case in _with_the_mark(fmt, random.Random(fmt)):
        path.write_text(case)
        try:
            formats.get(fmt).parse(path)
        except ReportError as exc:
            refused += 1
            assert MARK not in str(exc), (case, str(exc))
    assert refused >= 10  # the marks were where the parser looks


# --- figures no real report has: beyond 2**53, 5000 digits, covered above total ---------

REPORTS = sorted(
    p for p in FIXTURES.glob("*/*/expected.json") if p.parent.parent.name != "coverage-data"
)
NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")
HUGE = {"5000 digits": "9" * 5000, "2**53 + 1": str(2**53 + 1), "20 digits": "1" * 20}


@pytest.mark.parametrize("value", list(HUGE), ids=list(HUGE))
@pytest.mark.parametrize(
    "expected_path", REPORTS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}"
)
def test_huge_numbers_anywhere_are_refused_or_ignored(
    tmp_path: Path, expected_path: Path, value: str
) -> None:
    """Each of a real report's numbers in turn made huge: a clear refusal, never a crash."""
    expected = json.loads(expected_path.read_text())
    text = (expected_path.parent / expected["report"]).read_text()
    numbers = list(NUMBER.finditer(text))
    path = tmp_path / Path(expected["report"]).name  # some point at a report of a sibling
    refused = 0
    for m in numbers[:: max(1, len(numbers) // 12)]:
        path.write_text(text[: m.start()] + HUGE[value] + text[m.end() :])
        try:
            cov = formats.parse(path, expected["format"])
        except ReportError as exc:
            refused += 1
            assert exc.message.startswith(f"{path}: ")
            assert len(str(exc)) < 400  # the number is never quoted whole
            continue
        # a number gitmetrics does not read (a timestamp, a rate, a complexity)
        for covered, total in [
            (cov.lines_covered, cov.lines_valid),
            (cov.branches_covered or 0, cov.branches_valid or 0),
            *((f.lines_covered, f.lines_valid) for f in cov.files),
        ]:
            assert covered <= total <= formats._common.MAX_COUNT
    assert refused


@pytest.mark.parametrize(
    ("fmt", "text", "place"),
    [
        ("lcov", "SF:a.c\nDA:1,{n}\nend_of_record\n", "lcov.info: line 2: "),
        ("lcov", "SF:a.c\nDA:{n},1\nend_of_record\n", "lcov.info: line 2: "),
        ("lcov", "SF:a.c\nBRDA:1,0,0,{n}\nend_of_record\n", "lcov.info: line 2: "),
        ("go", "mode: count\na.go:1.1,2.2 1 {n}\n", "cover.out: line 2: "),
        (
            "coverage-json",
            '{{"meta": {{"format": 3}}, "totals": {{"covered_lines": {n}, "num_statements": 2}}}}',
            "coverage.json: ",
        ),
        (
            "coverage-json",
            '{{"meta": {{"format": 3}}, "files": {{"a.py": {{"executed_lines": [{n}]}}}},'
            ' "totals": {{"covered_lines": 1, "num_statements": 1}}}}',
            "coverage.json: ",
        ),
        (
            "istanbul-summary",
            '{{"total": {{"lines": {{"total": {n}, "covered": 1}}}}}}',
            "coverage-summary.json: ",
        ),
    ],
)
@pytest.mark.parametrize("value", list(HUGE), ids=list(HUGE))
def test_huge_counts_name_the_file_and_place(
    tmp_path: Path, fmt: str, text: str, place: str, value: str
) -> None:
    path = tmp_path / place.split(":")[0]
    path.write_text(text.format(n=HUGE[value]))
    with pytest.raises(ReportError) as err:
        formats.parse(path, fmt)
    assert err.value.message.startswith(f"{path.parent}/{place}")
    assert "2**53" in err.value.message
    assert err.value.hint is not None and "damaged or forged" in err.value.hint


@pytest.mark.parametrize(
    ("fmt", "name", "text", "place"),
    [
        (
            "coverage-json",
            "coverage.json",
            '{"meta": {"format": 3}, "files": {"a.py": {"executed_lines": [1],'
            ' "summary": {"covered_lines": 5, "num_statements": 2}}},'
            ' "totals": {"covered_lines": 1, "num_statements": 2}}',
            "file 'a.py': 5 of 2 lines covered",
        ),
        (
            "istanbul-summary",
            "coverage-summary.json",
            '{"total": {"lines": {"total": 2, "covered": 3}}}',
            "total.lines: covered 3 > total 2",
        ),
        (
            "gcovr-summary",
            "coverage-summary.json",
            '{"gcovr/summary_format_version": "0.6", "line_total": 2, "line_covered": 9,'
            ' "branch_total": 0, "branch_covered": 0, "files": []}',
            "line_covered 9 > line_total 2",
        ),
    ],
)
def test_covered_above_total_is_refused_naming_the_place(
    tmp_path: Path, fmt: str, name: str, text: str, place: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ReportError, match=re.escape(f"{path}: {place}")):
        formats.parse(path, fmt)
