"""Splitting a report into parts never changes the totals, and merging parts gives the whole.

LCOV: one report is split into several ``SF:`` sections per file (as per-test sections
and concatenated runs produce), hit counts divided between them. Go: one profile is
split into several concatenated profiles, each with its own ``mode:`` line.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmetrics.formats import Coverage, gocover, lcov

FILES = st.sampled_from(["src/a.c", "src/b.c", "lib/c.rs", "x.go"])
HITS = st.integers(min_value=0, max_value=50)

# file -> line -> hits ; file -> (line, block, branch) -> taken
LcovReport = tuple[dict[str, dict[int, int]], dict[str, dict[tuple[int, int, str], int]]]


@st.composite
def lcov_reports(draw: st.DrawFn) -> LcovReport:
    lines: dict[str, dict[int, int]] = {}
    branches: dict[str, dict[tuple[int, int, str], int]] = {}
    for name in draw(st.sets(FILES, min_size=1, max_size=3)):
        lines[name] = draw(st.dictionaries(st.integers(1, 200), HITS, min_size=1, max_size=15))
        keys = st.tuples(
            st.integers(1, 200),
            st.integers(0, 2),
            st.sampled_from(["0", "1", "jump to line 7", "(a, b) => x"]),
        )
        branches[name] = draw(st.dictionaries(keys, HITS, max_size=8))
    return lines, branches


def _split(total: int, parts: int, draw: st.DrawFn) -> list[int]:
    """``total`` divided into ``parts`` non-negative numbers."""
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
    bounds = [0, *cuts, total]
    return [b - a for a, b in pairwise(bounds)]


def _lcov_text(lines: Mapping[str, Mapping[int, int]], branches: LcovReport[1]) -> str:
    out = []
    for name in sorted(set(lines) | set(branches)):
        out.append(f"TN:\nSF:{name}\n")
        for n, hits in sorted(lines.get(name, {}).items()):
            out.append(f"DA:{n},{hits}\n")
        for (n, block, br), taken in sorted(branches.get(name, {}).items()):
            out.append(f"BRDA:{n},{block},{br},{'-' if taken == 0 else taken}\n")
        out.append(f"LF:{len(lines.get(name, {}))}\nLH:0\nend_of_record\n")
    return "".join(out)


def _parse(module: object, text: str, name: str) -> Coverage:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text)
        result: Coverage = module.parse(path)  # type: ignore[attr-defined]
        return result


def _totals(cov: Coverage) -> tuple[int, int, int | None, int | None]:
    return cov.lines_covered, cov.lines_valid, cov.branches_covered, cov.branches_valid


def _merged_lines(covs: Iterable[Coverage]) -> dict[str, Counter[int]]:
    """Per file, each line -> 1 if any report hit it, else 0 (what merging keeps)."""
    merged: dict[str, Counter[int]] = {}
    for cov in covs:
        for f in cov.files:
            acc = merged.setdefault(f.path, Counter())
            for n, hit in (f.lines or {}).items():
                acc[n] = max(acc[n], hit)
    return merged


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(report=lcov_reports(), parts=st.integers(1, 4), data=st.data())
def test_lcov_split_into_sections_gives_the_same_totals(
    report: LcovReport, parts: int, data: st.DataObject
) -> None:
    lines, branches = report
    part_lines: list[dict[str, dict[int, int]]] = [{} for _ in range(parts)]
    part_branches: list[dict[str, dict[tuple[int, int, str], int]]] = [{} for _ in range(parts)]
    for name, file_lines in lines.items():
        for n, hits in file_lines.items():
            # each line appears in at least one part, with the hits divided among parts
            chosen = data.draw(st.sets(st.integers(0, parts - 1), min_size=1))
            for i, share in zip(sorted(chosen), _split(hits, len(chosen), data.draw), strict=True):
                part_lines[i].setdefault(name, {})[n] = share
    for name, file_branches in branches.items():
        for key, taken in file_branches.items():
            chosen = data.draw(st.sets(st.integers(0, parts - 1), min_size=1))
            for i, share in zip(sorted(chosen), _split(taken, len(chosen), data.draw), strict=True):
                part_branches[i].setdefault(name, {})[key] = share
    whole = _parse(lcov, _lcov_text(lines, branches), "lcov.info")
    texts = [_lcov_text(pl, pb) for pl, pb in zip(part_lines, part_branches, strict=True)]
    concatenated = _parse(lcov, "".join(texts), "lcov.info")
    assert _totals(concatenated) == _totals(whole)
    separate = [_parse(lcov, t, "lcov.info") for t in texts if "SF:" in t]
    assert _merged_lines(separate) == _merged_lines([whole])


GoBlock = tuple[str, tuple[int, int, int, int], int]


@st.composite
def go_profiles(draw: st.DrawFn) -> dict[GoBlock, int]:
    blocks = st.tuples(
        st.sampled_from(["example.com/m/a.go", "example.com/m/sub/b.go"]),
        st.tuples(st.integers(1, 99), st.integers(1, 80), st.integers(1, 99), st.integers(1, 80)),
        st.integers(0, 5),
    )
    keys = draw(st.lists(blocks, min_size=1, max_size=20, unique_by=lambda b: (b[0], b[1])))
    return {k: draw(HITS) for k in keys}


def _go_text(mode: str, blocks: Mapping[GoBlock, int]) -> str:
    body = "".join(
        f"{f}:{sl}.{sc},{el}.{ec} {stmts} {count}\n"
        for (f, (sl, sc, el, ec), stmts), count in blocks.items()
    )
    return f"mode: {mode}\n{body}"


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    profile=go_profiles(),
    parts=st.integers(1, 4),
    mode=st.sampled_from(["set", "count", "atomic"]),
    data=st.data(),
)
def test_go_split_into_concatenated_profiles_gives_the_same_totals(
    profile: dict[GoBlock, int], parts: int, mode: str, data: st.DataObject
) -> None:
    if mode == "set":
        profile = {k: min(v, 1) for k, v in profile.items()}
    pieces: list[dict[GoBlock, int]] = [{} for _ in range(parts)]
    for block, count in profile.items():
        # every test binary reports every block it instruments, covered or not
        chosen = sorted(data.draw(st.sets(st.integers(0, parts - 1), min_size=1)))
        if mode == "set":
            hit_in = data.draw(st.sampled_from(chosen)) if count else -1
            shares = [1 if i == hit_in else 0 for i in chosen]
        else:
            shares = _split(count, len(chosen), data.draw)
        for i, share in zip(chosen, shares, strict=True):
            pieces[i][block] = share
    whole = _parse(gocover, _go_text(mode, profile), "cover.out")
    texts = [_go_text(mode, p) for p in pieces]
    concatenated = _parse(gocover, "".join(texts), "cover.out")
    assert _totals(concatenated) == _totals(whole)
    separate = [_parse(gocover, t, "cover.out") for t in texts]
    merged = _merged_lines(separate)
    if mode == "set":
        merged = {f: Counter({k: min(v, 1) for k, v in c.items()}) for f, c in merged.items()}
    assert merged == _merged_lines([whole])
