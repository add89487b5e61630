"""``Hits``: every packed form reads back as the map it was made from."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitmetrics.formats import FileCoverage, Hits
from gitmetrics.formats._hits import Arms, LineArms, gaps, increasing, pack_bits, unpack_bits


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


def _arms_by_hand(lines: list[int], covered: list[int], total: list[int]) -> dict[str, int]:
    """What ``Hits.of_arms`` must give: the first ``covered`` arms of a line hit (a line
    given twice keeps the arms of either copy; any hit copy makes an arm hit)."""
    want: dict[str, int] = {}
    for n, c, t in zip(lines, covered, total, strict=True):
        for arm in range(max(c, t)):
            want[f"{n}:{arm}"] = max(want.get(f"{n}:{arm}", 0), int(arm < c))
    return want


@given(
    st.lists(
        st.tuples(st.integers(0, (1 << 24) + 5), st.integers(0, 10), st.integers(0, 10)),
        max_size=30,
    )
)
def test_of_arms_reads_back(rows: list[tuple[int, int, int]]) -> None:
    # rows with covered <= total, as the readers give them; lines may repeat, go past
    # 2**24, have no arms or more than 8: every shape leaves the packed form or not,
    # with the same map
    lines = [n for n, _, _ in rows]
    total = [max(a, b) for _, a, b in rows]
    covered = [min(a, b) for _, a, b in rows]
    arms = Hits.of_arms(lines, covered, total)
    want = _arms_by_hand(lines, covered, total)
    assert dict(arms.items()) == want and dict(arms) == want
    assert arms.covered == sum(want.values()) and len(arms) == len(want)
    assert pickle.loads(pickle.dumps(arms)) == arms


def test_of_arms_packs_the_usual_lines() -> None:
    # each line once, at most 8 arms: packed as integers, in line order
    arms = Hits.of_arms([3, 9, 12], [1, 0, 2], [2, 2, 4])
    assert isinstance(arms._keys, LineArms)
    assert list(arms.items()) == [
        ("3:0", 1), ("3:1", 0), ("9:0", 0), ("9:1", 0),
        ("12:0", 1), ("12:1", 1), ("12:2", 0), ("12:3", 0),
    ]  # fmt: skip
    assert arms["12:1"] == 1 and "9:1" in arms and "9:2" not in arms
    # what the packed form can't hold is kept as strings, with the same map
    for lines, covered, total in (
        ([3, 3], [1, 2], [2, 2]),  # a line twice
        ([1 << 24], [1], [2]),  # a line past 2**24
        ([5], [1], [9]),  # more than 8 arms
        ([5], [3], [2]),  # more covered arms than arms
    ):
        arms = Hits.of_arms(lines, covered, total)
        assert not isinstance(arms._keys, LineArms)
        assert dict(arms.items()) == _arms_by_hand(lines, covered, total)


def test_file_coverage_keeps_hits_as_given() -> None:
    hits = Hits([1, 2], [3])
    f = FileCoverage.from_maps("a.c", hits, {})
    assert f.lines is hits and (f.lines_covered, f.lines_valid, f.branches) == (2, 3, None)


def test_line_numbers_pack_in_the_smallest_array() -> None:
    # 2 bytes a key below 65,536 (made through struct), 4 above; what no array holds stays
    # a tuple, as array("H") itself would refuse it
    from array import array

    for hit, missed, code in (([2, 9], [1], "H"), ([70_000], [1], "I"), ([1 << 40], [1], "Q")):
        hits = Hits(hit, missed)
        assert isinstance(hits._keys, array) and hits._keys.typecode == code
        assert dict(hits) == {**dict.fromkeys(hit, 1), **dict.fromkeys(missed, 0)}
    odd = Hits([-1], [1])
    assert isinstance(odd._keys, tuple) and dict(odd) == {-1: 1, 1: 0}
