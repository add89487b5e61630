"""Pull, push and the merge itself, against a bare repository on disk (local transport)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from gitmetrics import snapshot as snapmod
from gitmetrics.errors import SyncError
from gitmetrics.store import DeriveContext, Store
from gitmetrics.store import sync as S
from tests.helpers import ROOT_COMMIT, fsck, git
from tests.sync.conftest import (
    bare_remote,
    collect,
    snapshot_paths_in_history,
    tree_of,
    without_root,
)

NewStore = Callable[..., Store]


def _derive(ctx: DeriveContext) -> Mapping[str, bytes | None]:
    """A deriver like the README/badge contributors: depends on the newest and the previous."""
    lines = [f"newest {ctx.snapshot.timestamp} {ctx.snapshot.host}"]
    lines += [f"prev {e.timestamp} {e.host}" for e in ctx.previous]
    return {"README.md": ("\n".join(lines) + "\n").encode()}


@pytest.fixture
def remote(tmp_path: Path) -> S.Remote:
    return S.make_remote(str(bare_remote(tmp_path / "remote.git")), env={})


def _diverge(new_store: NewStore, remote: S.Remote) -> tuple[Store, Store]:
    a, b = new_store("a"), new_store("b")
    a.derive = b.derive = _derive
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    S.pull(b, remote, retention=30)
    collect(a, "runner-a", 2)
    collect(b, "runner-b", 3)
    collect(a, "runner-a", 4)
    return a, b


def test_first_push_then_pull_fast_forwards(new_store: NewStore, remote: S.Remote) -> None:
    a, b = new_store("a"), new_store("b")
    path = collect(a, "runner-a", 1)
    pushed = S.push(a, remote, retention=30)
    # the first push sends the shared root as well as the collection
    assert (pushed.commits_sent, pushed.snapshots_sent, pushed.commits_received) == (2, 1, 0)
    assert pushed.head == a.head() == pushed.remote_head
    assert git("--git-dir", remote.url, "rev-list", "main").split() == [a.head(), ROOT_COMMIT]
    pulled = S.pull(b, remote, retention=30)
    assert pulled.fast_forward and not pulled.merged
    # b already has the root: only the collection comes in
    assert (pulled.commits_received, pulled.snapshots_received) == (1, 1)
    assert b.head() == a.head()
    # the work tree follows, and git sees a clean checkout
    assert (b.path / path).read_bytes() == (a.path / path).read_bytes()
    assert git("status", "--porcelain", cwd=b.path) == ""
    assert b.repo.refs[S.REMOTE_REF].decode() == a.head()
    again = S.pull(b, remote, retention=30)
    assert again.up_to_date


def test_divergent_histories_merge_to_the_union(new_store: NewStore, remote: S.Remote) -> None:
    a, b = _diverge(new_store, remote)
    S.push(a, remote, retention=30)
    result = S.push(b, remote, retention=30)
    assert result.merged and result.commits_received == 2 and result.snapshots_received == 2
    assert result.snapshots_sent == 1 and result.commits_sent == 2  # its collection + the merge
    S.pull(a, remote, retention=30)
    assert a.head() == b.head()
    merge = b.repo[b.head().encode()]
    assert len(merge.parents) == 2
    files = b.files_at()
    snaps = sorted(p for p in files if p.startswith("snapshots/"))
    assert len(snaps) == 4
    # latest.json is the newest snapshot by timestamp (runner-a at minute 4)
    assert files["latest.json"] == files[snaps[-1]] and "_runner-a_" in snaps[-1]
    summary = b.blob(files["README.md"]).decode().splitlines()
    assert summary[0] == "newest 2026-01-01T00:04:00Z runner-a"
    assert [s.split()[1] for s in summary[1:]] == [
        "2026-01-01T00:03:00Z",
        "2026-01-01T00:02:00Z",
        "2026-01-01T00:01:00Z",
    ]
    # history walks both parents (ordered by commit time, not by snapshot timestamp)
    assert sorted(e.timestamp[14:16] + e.host for e in b.history()) == [
        "01runner-a",
        "02runner-a",
        "03runner-b",
        "04runner-a",
    ]
    for st in (a, b):
        fsck(st.gitdir)
        assert git("status", "--porcelain", cwd=st.path) == ""
    fsck(Path(remote.url))


def test_merge_is_the_same_whichever_side_merges(new_store: NewStore, remote: S.Remote) -> None:
    a, b = _diverge(new_store, remote)
    ours, theirs = a.head(), b.head()
    assert ours and theirs
    # each side fetches the other's objects, then merges on its own
    git("fetch", "-q", str(b.path), "main:refs/heads/other", cwd=a.path)
    git("fetch", "-q", str(a.path), "main:refs/heads/other", cwd=b.path)
    from_a = S.merge_commit(a, ours, theirs, retention=30)
    from_b = S.merge_commit(b, theirs, ours, retention=30)
    assert from_a == from_b  # same tree, same parents, same message and time
    assert a.repo[from_a.encode()].parents == sorted([ours.encode(), theirs.encode()])


def test_retention_differs_between_clones_and_nothing_is_lost(
    new_store: NewStore, remote: S.Remote
) -> None:
    keep_all, keep_two = new_store("all"), new_store("two")
    for minute in range(1, 4):
        collect(keep_all, "wide", minute, retention=0)
    S.push(keep_all, remote, retention=0)
    S.pull(keep_two, remote, retention=2)
    for minute in range(10, 14):
        collect(keep_two, "narrow", minute, retention=2)  # prunes its tree to 2 files
    for minute in range(20, 22):
        collect(keep_all, "wide", minute, retention=0)
    S.push(keep_all, remote, retention=0)
    merged = S.push(keep_two, remote, retention=2)
    assert merged.merged
    # the merging side's retention shapes its tree...
    assert len([p for p in keep_two.files_at() if p.startswith("snapshots/")]) == 2
    # ...but every collection of both clones is still in history, readable in full
    history = list(keep_two.history())
    assert len(history) == 3 + 4 + 2
    assert all(keep_two.snapshot_at(e).host in ("wide", "narrow") for e in history)
    assert len(snapshot_paths_in_history(Path(remote.url))) == 9
    # and the side that keeps everything gets every file back into its tree
    S.pull(keep_all, remote, retention=0)
    collect(keep_all, "wide", 30, retention=0)
    S.push(keep_all, remote, retention=0)
    assert len([p for p in keep_all.files_at() if p.startswith("snapshots/")]) == 2 + 1


def test_unrelated_history_is_refused_unless_allowed(new_store: NewStore, remote: S.Remote) -> None:
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    collect(b, "runner-b", 2)
    before = without_root(b)
    with pytest.raises(SyncError, match="unrelated") as info:
        S.pull(b, remote, retention=30)
    assert "--allow-unrelated" in (info.value.hint or "")
    assert b.head() == before
    result = S.pull(b, remote, retention=30, allow_unrelated=True)
    assert result.merged
    assert {e.host for e in b.history()} == {"runner-a", "runner-b"}


def test_a_foreign_repository_is_not_a_store(new_store: NewStore, tmp_path: Path) -> None:
    work = tmp_path / "project"
    git("init", "-q", "--initial-branch=main", work)
    (work / "main.c").write_text("int main(void) { return 0; }\n")
    git("add", "main.c", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "code", cwd=work)
    st = new_store("a")
    with pytest.raises(SyncError, match="not a gitmetrics store"):
        S.pull(st, S.make_remote(str(work), env={}), retention=30, allow_unrelated=True)
    assert st.head() == ROOT_COMMIT  # as init left it
    git("branch", "-q", "-m", "main", "trunk", cwd=work)
    with pytest.raises(SyncError, match="no refs/heads/main"):
        S.pull(st, S.make_remote(str(work), env={}), retention=30)


def test_a_newer_schema_version_is_refused(new_store: NewStore, remote: S.Remote) -> None:
    from dulwich.objects import Blob

    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    S.pull(b, remote, retention=30)
    # a future gitmetrics on another machine writes a schema_version 2 snapshot
    data = json.loads(snapmod.to_json(collect_snap := _snap("future", 5)))
    data["schema_version"] = 3
    raw = snapmod.dumps(data)
    blob = Blob.from_string(raw)
    a.add_objects([blob])
    files = a.files_at()
    path = snapmod.file_name(collect_snap, raw)
    files[path] = files["latest.json"] = blob.id
    head = a.head()
    assert head
    commit = a.write_commit(files, [head], "collect: from the future\n")
    git("update-ref", "refs/heads/main", commit, cwd=a.path)
    S.push(a, remote, retention=30)
    before = b.head()
    with pytest.raises(SyncError, match="schema_version 3 is newer") as info:
        S.pull(b, remote, retention=30)
    assert "upgrade" in (info.value.hint or "")
    assert b.head() == before


def _snap(host: str, minute: int) -> snapmod.Snapshot:
    from tests.sync.conftest import snap

    return snap(host, minute)


def test_push_gives_up_after_bounded_attempts(
    new_store: NewStore, remote: S.Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = new_store("a")
    collect(a, "runner-a", 1)
    monkeypatch.setattr(S, "_send", lambda *args, **kw: "the remote moved")  # every race is lost
    before = a.head()
    with pytest.raises(SyncError, match="gave up after 3 attempts") as info:
        S.push(a, remote, retention=30, attempts=3)
    assert "nothing was lost" in info.value.message
    assert a.head() == before
    assert git("--git-dir", remote.url, "rev-parse", "--verify", "-q", "main", check=False) == ""


def test_bare_store_syncs_too(new_store: NewStore, remote: S.Remote) -> None:
    a, b = new_store("a"), new_store("b.git", bare=True)
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    collect(b, "runner-b", 2)
    assert S.pull(b, remote, retention=30).merged  # both start from the shared root
    S.push(b, remote, retention=30)
    assert tree_of(Path(remote.url)) == tree_of(b.gitdir)


def test_push_refuses_a_store_with_a_work_tree(new_store: NewStore) -> None:
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    with pytest.raises(SyncError, match="work tree"):
        S.push(a, S.make_remote(str(b.path), env={}), retention=30)
    assert b.head() == ROOT_COMMIT  # as init left it
    S.pull(b, S.make_remote(str(a.path), env={}), retention=30)  # pulling from one is fine
    assert b.head() == a.head()


def test_clock_skew_does_not_turn_a_fast_forward_into_a_merge(
    new_store: NewStore, remote: S.Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    S.pull(b, remote, retention=30)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 86400)  # b's clock is a day behind
    collect(b, "runner-b", 2)
    collect(b, "runner-b", 3)
    monkeypatch.setattr(time, "time", real)
    pushed = S.push(b, remote, retention=30)
    assert not pushed.merged and pushed.commits_sent == 2  # b is simply ahead
    pulled = S.pull(a, remote, retention=30)
    assert pulled.fast_forward and not pulled.merged
    assert a.head() == b.head()
    assert len(a.repo[a.head().encode()].parents) == 1  # type: ignore[union-attr]


def test_runners_that_each_init_their_own_store_all_land(
    new_store: NewStore, remote: S.Remote
) -> None:
    # each CI runner: a fresh workspace, `gitmetrics collect && gitmetrics push`
    runners = [new_store(f"runner{n}") for n in range(3)]
    assert {st.head() for st in runners} == {ROOT_COMMIT}
    paths = {collect(st, f"runner-{n}", n + 1) for n, st in enumerate(runners)}
    results = [S.push(st, remote, retention=30) for st in runners]  # no --allow-unrelated
    assert [r.merged for r in results] == [False, True, True]
    assert results[0].commits_sent == 2  # the shared root and the collection
    assert [r.commits_sent for r in results[1:]] == [2, 2]  # the collection and the merge
    remote_head = git("--git-dir", remote.url, "rev-parse", "main").strip()
    assert remote_head == results[-1].head == runners[-1].head()
    assert snapshot_paths_in_history(Path(remote.url)) == paths
    in_tree = git("--git-dir", remote.url, "ls-tree", "-r", "--name-only", "main").split()
    assert {p for p in in_tree if p.startswith("snapshots/")} == paths  # in the tree too
    assert git("--git-dir", remote.url, "rev-list", "--max-parents=0", "main").split() == [
        ROOT_COMMIT
    ]
    fsck(Path(remote.url))


def test_a_fresh_store_takes_a_store_made_before_the_shared_root(
    new_store: NewStore, remote: S.Remote, tmp_path: Path
) -> None:
    old = new_store("old")
    path = collect(old, "runner-old", 1)
    orphan = without_root(old)
    S.push(old, remote, retention=30)
    # a new store holds nothing but the root: it takes the older history as it is
    fresh = new_store("fresh")
    pulled = S.pull(fresh, remote, retention=30)
    assert pulled.fast_forward and not pulled.merged and fresh.head() == orphan
    assert (fresh.path / path).is_file()
    cloned, result = S.clone(tmp_path / "cloned", remote, retention=30)
    assert cloned.head() == orphan and result.snapshots_received == 1
    cloned.close()
    # a store with a collection of its own still refuses it (nothing is thrown away)
    mine = new_store("mine")
    collect(mine, "runner-new", 2)
    with pytest.raises(SyncError, match="unrelated"):
        S.pull(mine, remote, retention=30)


def test_the_usual_syncs_walk_no_whole_history(
    new_store: NewStore, remote: S.Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push from ahead, a pull that fast-forwards and one that merges diverged stores
    each stop their walk near the heads; what they decide is what git's ancestry says."""
    a, b = new_store("a"), new_store("b")
    for minute in range(1, 30):
        collect(a, "runner-a", minute)
    S.push(a, remote, retention=30)
    S.pull(b, remote, retention=30)
    walks: list[int] = []
    real = S._ancestors

    def counted(store: Store, head: str, until: set[str] | None = None) -> set[str]:
        seen = real(store, head, until)
        walks.append(len(seen))
        return seen

    real_meet = S._meet

    def met(store: Store, ours: str, theirs: str) -> tuple[set[str], set[str], str | None]:
        mine, others, found = real_meet(store, ours, theirs)
        walks.append(len(mine) + len(others))
        return mine, others, found

    monkeypatch.setattr(S, "_ancestors", counted)
    monkeypatch.setattr(S, "_meet", met)
    collect(a, "runner-a", 40)
    S.push(a, remote, retention=30)  # ahead of the remote by one
    S.pull(b, remote, retention=30)  # a fast-forward by one
    assert b.head() == a.head()
    # the remote's head already in the store, ahead of it (a branch moved back by hand)
    c = new_store("c")
    S.pull(c, remote, retention=30)
    git("update-ref", "refs/heads/main", "HEAD~2", cwd=c.path)
    assert S.pull(c, remote, retention=30).fast_forward and c.head() == a.head()
    collect(a, "runner-a", 41)
    collect(b, "runner-b", 42)
    S.push(a, remote, retention=30)
    before = b.head()
    result = S.pull(b, remote, retention=30)  # diverged by one each: a merge
    assert result.merged
    head = b.head()
    assert head is not None
    parents = git("rev-list", "--parents", "-n", "1", head, cwd=b.path).split()[1:]
    assert sorted(parents) == sorted([a.head(), before])
    assert walks and max(walks) <= 6, walks  # a few steps each: never the 30 commits
