"""The local cache of figures per collection: same views, any state of the file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitmetrics import store as storemod
from gitmetrics import views
from gitmetrics.store import cache as cachemod
from gitmetrics.store.cache import HEADER, CommitCache
from gitmetrics.views import FIGURES_CACHE, build_report, build_trends, to_data
from tests.helpers import git
from tests.views.conftest import build_store

A, B, C = "a" * 40, "b" * 40, "c" * 40


def test_values_survive_a_new_process_and_append(tmp_path: Path) -> None:
    path = tmp_path / "gitmetrics-figures"
    first = CommitCache(path)
    assert first.get(A) is None
    first.put(A, b'["x"]')
    first.flush()
    assert path.read_bytes() == HEADER + A.encode() + b' ["x"]\n'
    second = CommitCache(path)
    assert second.get(A) == b'["x"]'
    second.put(B, b"2")
    second.put(A, b'["x"]')  # already there: not written twice
    second.flush()
    assert path.read_bytes().count(b"\n") == 3
    assert CommitCache(path).get(B) == b"2"


def test_two_writers_of_one_file_keep_both(tmp_path: Path) -> None:
    path = tmp_path / "gitmetrics-figures"
    seed = CommitCache(path)
    seed.put(C, b"0")
    seed.flush()
    one, two = CommitCache(path), CommitCache(path)
    one.put(A, b"1")
    two.put(B, b"2")
    one.flush()
    two.flush()  # read before one wrote: it appends, it does not replace
    again = CommitCache(path)
    assert (again.get(A), again.get(B), again.get(C)) == (b"1", b"2", b"0")


def test_a_cut_line_is_a_miss_and_the_next_append_starts_a_line(tmp_path: Path) -> None:
    path = tmp_path / "gitmetrics-figures"
    path.write_bytes(HEADER + A.encode() + b" 1\n" + B.encode() + b" [1,")  # killed mid-write
    cache = CommitCache(path)
    assert cache.get(A) == b"1" and cache.get(B) is None
    cache.put(C, b"3")
    cache.flush()
    again = CommitCache(path)
    # the cut line is a line now, its value one the views do not understand (a miss)
    assert (again.get(A), again.get(B), again.get(C)) == (b"1", b"[1,", b"3")


@pytest.mark.parametrize(
    "content",
    [b"", b"gitmetrics cache 0\n" + A.encode() + b" 1\n", b"\x00\xff" * 100, b"not a cache"],
)
def test_another_header_or_no_file_is_started_over(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "gitmetrics-figures"
    if content:
        path.write_bytes(content)
    cache = CommitCache(path)
    assert cache.get(A) is None
    cache.put(B, b"2")
    cache.flush()
    assert path.read_bytes() == HEADER + B.encode() + b" 2\n"
    assert not [p for p in tmp_path.iterdir() if p != path]  # no temporary file left


def test_garbage_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "gitmetrics-figures"
    path.write_bytes(HEADER + b"short\n\n" + b"x" * 40 + b"-no-space\n" + A.encode() + b" 1\n")
    assert CommitCache(path).get(A) == b"1"


def test_a_file_over_the_bound_is_rewritten_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gitmetrics-figures"
    monkeypatch.setattr(cachemod, "MAX_BYTES", 200)
    path.write_bytes(HEADER + (A.encode() + b" 1\n") * 5)  # 215 bytes: over
    cache = CommitCache(path)
    cache.put(B, b"2")
    cache.flush()
    assert path.read_bytes() == HEADER + A.encode() + b" 1\n" + B.encode() + b" 2\n"
    cache = CommitCache(path)
    cache.put(C, b"3" * 200)  # would pass the bound: not written, nothing else lost
    cache.flush()
    assert CommitCache(path).get(C) is None and CommitCache(path).get(B) == b"2"


def test_an_entry_is_one_line_of_one_commit(tmp_path: Path) -> None:
    cache = CommitCache(tmp_path / "gitmetrics-figures")
    with pytest.raises(ValueError):
        cache.put(A, b"1\n2")
    with pytest.raises(ValueError):
        cache.put("abc", b"1")


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path) -> None:
    st = build_store(tmp_path / "metrics", count=5)
    expected = to_data(build_trends(st, 80.0, days=30))
    st.close()
    path = st.gitdir / f"gitmetrics-{FIGURES_CACHE}"
    path.unlink()
    path.mkdir()  # neither readable nor writable as a file, whoever runs the test
    again = storemod.open_store(st.path)
    assert to_data(build_trends(again, 80.0, days=30)) == expected
    again.close()
    assert path.is_dir() and not list(path.iterdir())
    assert not [p for p in st.gitdir.iterdir() if p.name.endswith(".tmp")]


def _views(path: Path) -> tuple[object, object]:
    st = storemod.open_store(path)
    try:
        return to_data(build_trends(st, 80.0, days=30)), to_data(build_report(st, 80.0, window=2))
    finally:
        st.close()


def test_views_are_the_same_cold_warm_and_from_a_damaged_cache(tmp_path: Path) -> None:
    st = build_store(tmp_path / "metrics", count=5)
    st.close()
    path = st.gitdir / f"gitmetrics-{FIGURES_CACHE}"
    cold = _views(st.path)
    lines = path.read_bytes().split(b"\n")
    assert lines[0] + b"\n" == HEADER and len(lines) == 1 + 4 + 1  # the 4 older ones, once
    assert _views(st.path) == cold  # warm: every older collection from the cache
    assert path.read_bytes().count(b"\n") == 5  # nothing added
    # every value damaged in a different way: each a miss, read from the store again
    damaged = [b'["2026-11-01T10:00:00Z",1,{"x":"1"}]', b"[1,2,3]", b"{}", b"[", b'["no",1,{}]']
    body = b"".join(
        line[:41] + damaged[i % len(damaged)] + b"\n" for i, line in enumerate(lines[1:-1])
    )
    path.write_bytes(HEADER + body)
    assert _views(st.path) == cold
    # the cache lives in the git directory: the store's history and work tree never see it
    assert (
        subprocess.run(["git", "fsck", "--strict"], cwd=st.path, capture_output=True).returncode
        == 0
    )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=st.path, capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_the_cached_figures_are_what_the_snapshots_say(tmp_path: Path) -> None:
    st = build_store(tmp_path / "metrics", count=4)
    try:
        cols = list(views.query(st))[1:]
        read = [views._read_figures(st, c) for c in cols]
        for c in cols:
            views._stored_figures(st, c)
        st.cache(FIGURES_CACHE).flush()
        again = storemod.open_store(st.path)
        cached = [
            views._cached_figures(again.cache(FIGURES_CACHE).get(c.entry.commit) or b"")
            for c in cols
        ]
        again.close()
    finally:
        st.close()
    assert cached == read and None not in read


def test_a_bounded_cache_keeps_the_newest_values(tmp_path: Path) -> None:
    path = tmp_path / "gitmetrics-newest"
    cache = CommitCache(path, keep=2)
    cache.put(A, b"2026-01-02 a")
    cache.put(B, b"2026-01-01 b")
    cache.put(C, b"2026-01-03 c")  # the oldest, B, goes
    assert not cache.wants(b"2026-01-01 ") and cache.wants(b"2026-01-04 ")
    cache.flush()
    again = CommitCache(path, keep=2)
    assert (again.get(A), again.get(B), again.get(C)) == (b"2026-01-02 a", None, b"2026-01-03 c")
    again.put(B, b"2026-01-01 b")  # older than both: not kept, nothing written
    again.flush()
    assert path.read_bytes().count(b"\n") == 3


def _newest_views(path: Path) -> tuple[object, object]:
    from gitmetrics import api

    return to_data(api.status(store=path)), to_data(api.diff(store=path))


def test_status_and_diff_are_the_same_cold_warm_and_from_a_damaged_newest_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitmetrics.store.repo import NEWEST_CACHE, NEWEST_KEPT, Store

    st = build_store(tmp_path / "metrics", count=5)
    st.close()
    path = st.gitdir / f"gitmetrics-{NEWEST_CACHE}"
    assert not path.exists()
    cold = _newest_views(st.path)
    commits = [e.commit for e in storemod.open_store(st.path).history(limit=2)]
    kept = {line[:40].decode() for line in path.read_bytes().split(b"\n")[1:-1]}
    assert kept == set(commits)
    # warm: the two snapshots come from the cache, no tree is searched for them
    looked: list[str] = []
    real_lookup = Store.lookup
    monkeypatch.setattr(
        Store, "lookup", lambda self, tree, p: looked.append(p) or real_lookup(self, tree, p)
    )
    assert _newest_views(st.path) == cold
    assert not [p for p in looked if p.startswith("snapshots/")]
    # each entry damaged: a miss, read from the store again, the same views
    lines = path.read_bytes().split(b"\n")[1:-1]
    damaged = [b"2026-01-01T00:00:00Z {}", lines[0][41:61] + b" {not json"]
    path.write_bytes(
        HEADER + b"".join(line[:41] + damaged[i] + b"\n" for i, line in enumerate(lines))
    )
    looked.clear()
    assert _newest_views(st.path) == cold
    assert [p for p in looked if p.startswith("snapshots/")]
    # reading every collection's snapshot leaves just the newest NEWEST_KEPT of them
    monkeypatch.setattr("gitmetrics.store.repo.NEWEST_KEPT", 3)
    again = storemod.open_store(st.path)
    assert len(list(again.snapshots())) == 5
    again.close()
    kept = {line[:40].decode() for line in path.read_bytes().split(b"\n")[1:-1]}
    every = [e.commit for e in storemod.open_store(st.path).history()]
    assert kept == set(every[:3]) and NEWEST_KEPT > 3


def test_the_newest_commits_are_read_from_the_cache_only_when_they_hash_to_their_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from gitmetrics.store.reader import COMMITS_CACHE, CommitReader

    kept = 3  # of the 5 commits
    monkeypatch.setattr("gitmetrics.store.reader.KEPT_COMMITS", kept)
    monkeypatch.setattr("gitmetrics.store.repo.KEPT_COMMITS", kept)
    st = build_store(tmp_path / "metrics")
    st.close()
    (st.gitdir / f"gitmetrics-{COMMITS_CACHE}").unlink()
    path = st.gitdir / f"gitmetrics-{COMMITS_CACHE}"

    def entries() -> list[object]:
        again = storemod.open_store(st.path)
        try:
            return list(again.history())
        finally:
            again.close()

    cold = entries()
    lines = path.read_bytes().split(b"\n")[1:-1]
    assert len(lines) == kept  # the newest by commit time, of the 5 read
    for line in lines:
        raw = bytes.fromhex(line[41:].partition(b" ")[2].decode())
        assert hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest() == line[:40].decode()
    read: list[bytes] = []
    real = CommitReader._raw_commit
    monkeypatch.setattr(
        CommitReader, "_raw_commit", lambda self, sha: read.append(sha) or real(self, sha)
    )
    assert entries() == cold
    every = git("-C", st.path, "rev-list", "--count", "HEAD")
    assert len(read) == int(every) - kept  # the kept ones are not read from the store
    # an entry whose text is not its commit's (another message) is a miss, never believed
    head = lines[0]
    raw = bytes.fromhex(head[41:].partition(b" ")[2].decode())
    forged = raw.replace(b"Gitmetrics-Repos:", b"Gitmetrics-Repos: 9").hex().encode()
    path.write_bytes(HEADER + head[:54] + forged + b"\n" + b"\n".join(lines[1:]) + b"\n")
    read.clear()
    assert entries() == cold
    assert head[:40] in read
