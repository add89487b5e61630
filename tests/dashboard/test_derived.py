"""The page a store with ``dashboard: true`` keeps: appended on each commit, equal to a rebuild."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from gitmetrics import config as configmod
from gitmetrics import dashboard as shape
from gitmetrics.derive import make_deriver
from gitmetrics.history import Collection
from gitmetrics.render import dashboard as page
from gitmetrics.render.dashboard import DERIVED_PATH, series_of_page
from gitmetrics.snapshot import Snapshot
from gitmetrics.store import DeriveContext, Store, open_store
from gitmetrics.store import init as init_store
from gitmetrics.store import sync as S
from tests.dashboard.conftest import failed, ok, page_data, snap
from tests.helpers import git


def _config(tmp_path: Path, on: bool = True) -> configmod.Config:
    text = f"store: metrics\nmin_coverage: 75\ndashboard: {'true' if on else 'false'}\nrepos: []\n"
    return configmod.parse(text, tmp_path / "repos.yaml")


class Spy:
    """The real deriver, counting the commits that read the whole history again."""

    def __init__(self, cfg: configmod.Config) -> None:
        self.inner = make_deriver(cfg)
        self.rebuilds = 0

    def __call__(self, ctx: DeriveContext) -> Mapping[str, bytes | None]:
        def earlier() -> Iterator[tuple[object, Snapshot]]:
            self.rebuilds += 1
            yield from ctx.earlier()

        return self.inner(dataclasses.replace(ctx, earlier=earlier))  # type: ignore[arg-type]


def collection(k: int, host: str = "ci") -> Snapshot:
    """Collection ``k``: repositories come and go, fail, change role and source commit."""
    results = [
        ok("api", "service", 600 + 7 * k, 1000, commit=f"{k // 3:040x}", branches=(k, 90)),
        ok("lib", "library" if k < 4 else "core", 900, 1000 + k, commit="c" * 40),
    ]
    if k % 4 != 3:
        results.append(ok("web", "frontend", 500 + k, 999, commit=f"{k // 2 + 7:040x}"))
    else:
        results.append(failed("web", "frontend", "lcov.info: line 1: not a tracefile"))
    if k >= 2:
        results.append(ok(f"new-{k % 3}", "tooling", 10 * k, 333))
    return snap(results, k, host=host)


def rebuilt(st: Store) -> bytes:
    """The page of the head, made from every collection read again."""
    entries = list(st.snapshots())
    # the commit being made has no id yet: the head's own collection, or for a merge the
    # newest one (the snapshot the merge derives from)
    own = entries[0][0]
    if own.commit != st.head():
        own = max(entries, key=lambda es: (es[1].when, es[0].snapshot_path))[0]
    points = [Collection.of(s, None if e is own else e.commit, e.snapshot_path) for e, s in entries]
    series, newest = shape.series(points)
    if own.commit != st.head():
        # a merge: each collection's own figures in the series, the joined state it
        # writes as latest.json in the cards and the table
        joined = st.state()
        assert joined is not None
        newest = Collection.of(joined, None, own.snapshot_path)
    generated = next(s for e, s in entries if e is own).timestamp  # when the commit is made
    data = shape.page_data(series, newest, min_coverage=75.0, generated=generated)
    return page.render(data).encode()


def stored(st: Store, rev: str | None = None) -> bytes:
    return st.blob(st.files_at(rev)[DERIVED_PATH])


def test_each_commit_appends_and_equals_a_full_rebuild(tmp_path: Path) -> None:
    st = init_store(tmp_path / "metrics")
    spy = Spy(_config(tmp_path))
    st.derive = spy
    for k in range(8):
        st.commit_snapshot(collection(k), retention=3)  # pruned snapshots stay on the page
        assert stored(st) == rebuilt(st), f"after collection {k}"
    assert spy.rebuilds == 1  # only the first commit read the history
    series = series_of_page(stored(st))
    assert series is not None and len(series) == 8
    assert series.names == ["api", "lib", "new-0", "new-1", "new-2", "web"]
    assert series.commit[-1] is None and all(len(c or "") == 10 for c in series.commit[:-1])
    st.close()


def test_a_page_that_does_not_match_the_history_is_rebuilt(tmp_path: Path) -> None:
    st = init_store(tmp_path / "metrics")
    spy = Spy(_config(tmp_path))
    st.derive = spy
    st.commit_snapshot(collection(0), retention=0)
    # a collection written without the page (an older gitmetrics, say): it is now stale
    st.derive = None
    st.commit_snapshot(collection(1), retention=0)
    st.derive = spy
    st.commit_snapshot(collection(2), retention=0)
    assert spy.rebuilds == 2
    assert stored(st) == rebuilt(st)
    # a series that is not one: read again rather than trusted
    broken = stored(st).replace(b'"t":[', b'"t":["x",')  # not a page this version wrote
    assert series_of_page(broken) is None
    st.commit_files({DERIVED_PATH: broken}, "break the page")
    st.commit_snapshot(collection(3), retention=0)
    assert spy.rebuilds == 3
    assert stored(st) == rebuilt(st)
    st.commit_snapshot(collection(4), retention=0)
    assert spy.rebuilds == 3
    assert stored(st) == rebuilt(st)
    st.close()


def test_a_collection_from_a_clock_behind_the_others_is_placed_by_its_time(
    tmp_path: Path,
) -> None:
    st = init_store(tmp_path / "metrics")
    spy = Spy(_config(tmp_path))
    st.derive = spy
    for k in (0, 1, 5, 2, 6):
        st.commit_snapshot(collection(k), retention=0)
        assert stored(st) == rebuilt(st), f"after collection {k}"
    assert spy.rebuilds == 2  # the first commit, and the one from behind
    data = page_data(stored(st).decode())
    assert data["series"]["t"] == sorted(data["series"]["t"])
    assert data["last"]["timestamp"] == collection(6).timestamp
    st.close()


def test_turning_the_dashboard_off_removes_the_page(tmp_path: Path) -> None:
    st = init_store(tmp_path / "metrics")
    st.derive = make_deriver(_config(tmp_path))
    st.commit_snapshot(collection(0), retention=0)
    assert DERIVED_PATH in st.files_at()
    st.derive = make_deriver(_config(tmp_path, on=False))
    st.commit_snapshot(collection(1), retention=0)
    assert DERIVED_PATH not in st.files_at()
    assert not (tmp_path / "metrics" / DERIVED_PATH).exists()
    st.close()


@pytest.mark.slow
def test_a_merge_is_the_same_from_either_side_and_equals_a_full_rebuild(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    a = init_store(tmp_path / "a")
    spy_a, spy_b = Spy(cfg), Spy(cfg)
    a.derive = spy_a
    for k in range(3):
        a.commit_snapshot(collection(k, "runner-a"), retention=30)
    git("clone", "-q", a.path, tmp_path / "b")
    b = open_store(tmp_path / "b")
    b.derive = spy_b
    # the two diverge, their collections interleaved in time
    for k in (3, 5, 6):
        a.commit_snapshot(collection(k, "runner-a"), retention=30)
    for k in (4, 7):
        b.commit_snapshot(collection(k, "runner-b"), retention=30)
    ours, theirs = a.head(), b.head()
    assert ours and theirs
    git("-C", a.path, "fetch", "-q", b.path, "main:refs/heads/other")
    git("-C", b.path, "fetch", "-q", a.path, "main:refs/heads/other")
    from_a = S.merge_commit(a, ours, theirs, retention=30)
    from_b = S.merge_commit(b, theirs, ours, retention=30)
    assert from_a == from_b
    a.repo.refs[a.branch_ref()] = from_a.encode()
    assert stored(a, from_a) == rebuilt(a)
    data = series_of_page(stored(a, from_a))
    assert data is not None and len(data) == 8  # the newest once, every other collection
    # the next collection after the merge appends again
    before = spy_a.rebuilds
    a.commit_snapshot(collection(8, "runner-a"), retention=30)
    assert spy_a.rebuilds == before
    assert stored(a) == rebuilt(a)
    a.close()
    b.close()
