"""``Hits``: every packed form reads back as the map it was made from."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitmetrics.formats import FileCoverage, Hits
from gitmetrics.formats._hits import Arms, gaps, increasing, pack_bits, unpack_bits


@given(st.dictionaries(st.integers(0, 70_000), st.integers(0, 3)))
def test_from_counts_reads_back(counts: dict[int, int]) -> None:
    hits = Hits.from_counts(counts)
    want = {k: int(v > 0) for k, v in counts.items()}
    assert dict(hits) == want and dict(hits.items()) == want
    assert hits.covered == sum(want.values()) and len(hits) == len(want)
    assert sorted(hits.hit()) == sorted(k for k, v in want.items() if v)
    assert sorted(hits.missed()) == sorted(k for k, v in want.items() if not v)
    assert all(hits[k] == v and k in hits for k, v in want.items())
    assert pickle.loads(pickle.dumps(hits)) == hits


@given(st.lists(st.integers(1, 300), max_size=50), st.lists(st.booleans(), max_size=50))
def test_gaps_and_bits(steps: list[int], flags: list[bool]) -> None:
    lines = [sum(steps[: i + 1]) for i in range(len(steps))]
    packed = gaps(lines)
    if all(s < 256 for s in steps):
        assert packed is not None and list(Hits.packed(packed, len(lines))) == lines
    else:
        assert packed is None
    raw = bytes(flags)
    assert unpack_bits(pack_bits(raw), len(raw)) == raw


def test_gaps_refuse_what_they_cannot_hold() -> None:
    assert gaps([2, 1]) is None and gaps([1, 1]) is None and gaps([0, 1]) is None
    assert gaps([70_000]) is None and gaps([]) == b""


def test_increasing_keys() -> None:
    def lanes(*keys: int) -> bytes:
        return b"".join(k.to_bytes(4, "little") for k in keys)

    assert increasing(lanes(1, 5, 9)) and not increasing(lanes(1, 5, 5))
    assert not increasing(lanes(5, 1, 9)) and not increasing(lanes(2**32 - 1, 3))


def test_lcov_arms_read_as_their_keys() -> None:
    keys = Arms("I", [6 << 16, 6 << 16 | 1, 18 << 16 | 1 << 8 | 3])
    hits: Hits[str] = Hits.packed(keys, pack_bits(b"\x00\x01\x01"))
    assert dict(hits) == {"6,0,0": 0, "6,0,1": 1, "18,1,3": 1}
    assert hits["18,1,3"] == 1 and "6,0,2" not in hits
    with pytest.raises(KeyError):
        hits["6,0,2"]
    assert pickle.loads(pickle.dumps(hits)) == hits
    assert dict(hits.union({"6,0,0": 1, "7,0,0": 0})) == {
        "6,0,0": 1,
        "6,0,1": 1,
        "18,1,3": 1,
        "7,0,0": 0,
    }


def test_file_coverage_keeps_hits_as_given() -> None:
    hits = Hits([1, 2], [3])
    f = FileCoverage.from_maps("a.c", hits, {})
    assert f.lines is hits and (f.lines_covered, f.lines_valid, f.branches) == (2, 3, None)
