"""The streaming JSON reader: json.loads' results and errors, in bounded memory."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats._common import read_json
from gitmetrics.formats._jsonstream import iter_object

from .conftest import FIXTURES

BRANCH = FIXTURES / "coverage-json" / "branch" / "coverage.json"
CAP = 1 << 30


def _load(path: Path, block_size: int | None = None, stream: str | None = "files") -> Any:
    """The object the reader gives, rebuilt the way json.loads would build it."""
    out: dict[str, Any] = {}
    for key, member, value in iter_object(path, CAP, stream, block_size=block_size):
        if member is None:
            out[key] = value
        elif isinstance(member, str):
            out[key][member] = value
        else:
            assert member == len(out[key])
            out[key].append(value)
    return out


def _outcome(fn: Any, path: Path) -> tuple[str, Any]:
    try:
        return "ok", fn(path)
    except ReportError as exc:
        return "error", str(exc)


def _write(tmp_path: Path, data: bytes | str) -> Path:
    path = tmp_path / "report.json"
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 16, 17, 100, 4096])
def test_members_cut_at_every_block_boundary(tmp_path: Path, block_size: int) -> None:
    text = BRANCH.read_text()
    # numbers of every shape, so that a block can end inside any of them
    extra = '"x": [-1.5e3, 0, 12345678901234567890, -0.25, 1E+2, true, null, "\\u00e9\\n"], '
    path = _write(tmp_path, text.replace("{", "{" + extra, 1))
    assert _load(path, block_size) == json.loads(path.read_text())
    assert _load(path, block_size, stream=None) == json.loads(path.read_text())


def test_files_as_a_list_are_streamed_by_index(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"files": [{"file": "a"}, [], 3], "n": 1}')
    members = list(iter_object(path, CAP, "files", block_size=2))
    assert [(m.key, m.member) for m in members] == [
        ("files", None),
        ("files", 0),
        ("files", 1),
        ("files", 2),
        ("n", None),
    ]
    assert members[0].value == []


def test_a_member_larger_than_the_block(tmp_path: Path) -> None:
    big = {"executed_lines": list(range(1, 20000)), "name": "x" * 50000}
    path = _write(tmp_path, json.dumps({"meta": {}, "files": {"big.py": big}, "totals": {}}))
    assert _load(path, 64) == json.loads(path.read_text())


def test_prefixes_and_mutations_fail_exactly_like_json_loads(tmp_path: Path) -> None:
    text = BRANCH.read_bytes()
    rng = random.Random(7)
    cases = [text[:i] for i in range(0, len(text), 37)]
    for _ in range(150):
        i = rng.randrange(len(text))
        junk = rng.choice([b"", b",", b"}", b"]", b"{", b'"', b":", b"1", b"\\", b"\x0c", b"e"])
        cases.append(text[:i] + junk + text[i + 1 :])
    for case in cases:
        path = _write(tmp_path, case)
        want = _outcome(lambda p: read_json(p, CAP), path)
        for block_size in (1, 13, None):
            assert _outcome(lambda p, b=block_size: _load(p, b), path) == want, (case, block_size)


@pytest.mark.parametrize("cut", [1, 2, 100, 1000, -200, -2, -1])
def test_truncated_report_names_the_real_line(tmp_path: Path, cut: int) -> None:
    text = BRANCH.read_text()
    path = _write(tmp_path, text[:cut])
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text[:cut])
    with pytest.raises(ReportError) as err:
        _load(path, 7)
    assert (
        err.value.message == f"{path}: line {expected.value.lineno}, column {expected.value.colno}:"
        f" invalid JSON ({expected.value.msg})"
    )
    assert err.value.hint == "the report may be truncated; run the coverage tool again"


def test_line_number_counts_the_lines_already_dropped(tmp_path: Path) -> None:
    body = ",\n".join(f'"k{i}": {i}' for i in range(5000))
    path = _write(tmp_path, "{\n" + body + "\n  oops}")
    with pytest.raises(
        ReportError, match=r"report\.json: line 5002, column 3: invalid JSON \(Expecting ',' "
    ):
        _load(path, 64)


@pytest.mark.parametrize("tail", [" x", "}", ",", " {}", "\n\n[]"])
def test_trailing_garbage(tmp_path: Path, tail: str) -> None:
    path = _write(tmp_path, '{"files": {"a": 1}}' + tail)
    with pytest.raises(ReportError, match=r"invalid JSON \(Extra data\)"):
        _load(path, 4)


def test_top_level_array_or_scalar_is_not_an_object(tmp_path: Path) -> None:
    for text in ('[{"files": {}}, 1]', '"text"', "12", "null"):
        with pytest.raises(ReportError, match="expected a JSON object at the top level"):
            _load(_write(tmp_path, text), 3)
    with pytest.raises(ReportError, match=r"line 2, column 1: invalid JSON \(Expecting value\)"):
        _load(_write(tmp_path, "[1,\n]"), 3)


def test_bom_is_accepted(tmp_path: Path) -> None:
    for block_size in (1, 2, 3, 4, None):
        path = _write(tmp_path, b"\xef\xbb\xbf" + BRANCH.read_bytes())
        assert _load(path, block_size) == json.loads(BRANCH.read_text())


def test_not_utf8_names_the_byte_offset(tmp_path: Path) -> None:
    data = b'{"files": {"caf\xc3\xa9": 1, "b\xffd": 2}}'
    for block_size in (1, 2, 16, None):
        with pytest.raises(ReportError, match=r"report\.json: byte 25: not UTF-8 text"):
            _load(_write(tmp_path, data), block_size)
    # the offset is the file's, BOM included
    with pytest.raises(ReportError, match=r"byte 28: not UTF-8"):
        _load(_write(tmp_path, b"\xef\xbb\xbf" + data), 5)
    # a sequence cut by the end of the file
    with pytest.raises(ReportError, match=r"byte 9: not UTF-8"):
        _load(_write(tmp_path, b'{"a": "xx\xc3'), 4)


def test_not_utf8_wins_over_a_json_error_before_it(tmp_path: Path) -> None:
    # read_text refused such a file before looking at the JSON
    path = _write(tmp_path, b'{"a": 1,, "b": "' + b"x" * 1000 + b'\xff"}')
    with pytest.raises(ReportError, match=r"byte 1016: not UTF-8"):
        _load(path, 16)


def test_duplicate_keys_keep_the_last_one(tmp_path: Path) -> None:
    text = '{"a": 1, "files": {"x": 1, "y": 2, "x": 3}, "a": 2, "files": {"z": 4, "z": 5}}'
    path = _write(tmp_path, text)
    assert _load(path, 3) == json.loads(text) == {"a": 2, "files": {"z": 5}}
    first = '{"files": {"x": 1, "y": 2, "x": 3}}'
    assert _load(_write(tmp_path, first), 3) == {"files": {"x": 3, "y": 2}}


def test_checks_read_text_made(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="report is empty"):
        _load(_write(tmp_path, " \n\t"))
    with pytest.raises(ReportError, match="report is empty"):
        _load(_write(tmp_path, " " * 200_000 + "\x0c\n"), 1000)
    with pytest.raises(ReportError, match="binary data"):
        _load(_write(tmp_path, b'{"a": "\x00"}'))
    with pytest.raises(ReportError, match="over the 10-byte cap"):
        list(iter_object(_write(tmp_path, '{"files": {}, "x": 1}'), 10))
    with pytest.raises(ReportError, match="cannot read report"):
        list(iter_object(tmp_path / "missing.json", CAP))


def test_nesting_too_deep(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"files": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    with pytest.raises(ReportError, match="JSON nested too deeply"):
        _load(path)


def test_never_holds_the_whole_file(tmp_path: Path) -> None:
    files = {
        f"pkg/mod{i}.py": {"executed_lines": list(range(1, 400)), "summary": {"n": i}}
        for i in range(500)
    }
    path = _write(tmp_path, json.dumps({"meta": {}, "files": files, "totals": {}}, indent=4))
    size = path.stat().st_size
    assert size > 2_000_000
    tracemalloc.start()
    try:
        seen = 0
        for _, member, value in iter_object(path, CAP, "files", block_size=16384):
            seen += member is not None
            del value
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 500
    assert peak < size / 20, (peak, size)
