"""Commits rebuild only the trees they change, and keep the work tree and index exact."""

from __future__ import annotations

from pathlib import Path

from gitmetrics import store
from gitmetrics.store import index as indexmod
from tests.helpers import ROOT_COMMIT, fsck, git, make_snapshot, repo_result


def _commit(st: store.Store, i: int, retention: int) -> store.CommitResult:
    snap = make_snapshot(
        1 + i // 20, [repo_result("api", 40 + i), repo_result("web", 30)], hour=i % 20
    )
    return st.commit_snapshot(snap, retention=retention)


def _tree(path: Path) -> list[str]:
    return sorted(git("-C", path, "ls-tree", "-r", "--name-only", "HEAD").split())


def test_unchanged_subtrees_keep_their_ids(store_dir: Path) -> None:
    st = store.init(store_dir)
    paths = [_commit(st, i, retention=0).snapshot_path for i in range(45)]
    first_month = git("-C", store_dir, "rev-parse", "HEAD:snapshots/2026/11").strip()
    assert _tree(store_dir) == sorted([*paths, ".gitmetrics.json", "latest.json"])
    fsck(store_dir)
    assert git("-C", store_dir, "status", "--porcelain") == ""
    assert git("-C", store_dir, "diff", "--cached", "--stat") == ""
    # a December snapshot leaves November's tree object as it was
    st.commit_snapshot(
        make_snapshot(1, [repo_result("api", 1)]).__class__(
            **{
                **make_snapshot(1, [repo_result("api", 1)]).__dict__,
                "timestamp": "2026-12-01T00:00:00Z",
            }
        ),
        retention=0,
    )
    assert git("-C", store_dir, "rev-parse", "HEAD:snapshots/2026/11").strip() == first_month
    assert git("-C", store_dir, "status", "--porcelain") == ""


def test_retention_prunes_across_months_and_removes_empty_trees(store_dir: Path) -> None:
    st = store.init(store_dir)
    for i in range(30):
        _commit(st, i, retention=3)
    assert len([p for p in _tree(store_dir) if p.startswith("snapshots/")]) == 3
    fsck(store_dir)
    assert git("-C", store_dir, "status", "--porcelain") == ""
    on_disk = sorted(str(p.relative_to(store_dir)) for p in store_dir.glob("snapshots/**/*.json"))
    assert on_disk == [p for p in _tree(store_dir) if p.startswith("snapshots/")]


def test_index_changed_by_git_falls_back_to_a_full_sync(store_dir: Path) -> None:
    st = store.init(store_dir)
    for i in range(3):
        _commit(st, i, retention=0)
    git("-C", store_dir, "rm", "-q", "--cached", "latest.json")  # someone edits the index
    _commit(st, 3, retention=0)
    assert git("-C", store_dir, "status", "--porcelain") == ""
    # an index format the fast path leaves alone (version 4) is handled by dulwich
    git("-C", store_dir, "update-index", "--index-version", "4")
    _commit(st, 4, retention=0)
    assert git("-C", store_dir, "status", "--porcelain") == ""
    _commit(st, 5, retention=0)
    assert git("-C", store_dir, "status", "--porcelain") == ""
    fsck(store_dir)


def test_index_update_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.write_bytes(b"not an index at all, but long enough to look")
    assert not indexmod.update(index, {b"a": None})
    index.unlink()
    assert indexmod.update(index, {})  # a missing index becomes an empty one
    assert index.read_bytes()[:4] == b"DIRC"


def test_history_limit_and_rev(store_dir: Path) -> None:
    st = store.init(store_dir)
    done = [_commit(st, i, retention=5) for i in range(12)]
    assert [e.commit for e in st.history(limit=3)] == [d.commit for d in reversed(done)][:3]
    assert [e.commit for e in st.history(rev=done[4].commit)] == [
        d.commit for d in reversed(done[:5])
    ]
    log = git("-C", store_dir, "log", "--format=%H").split()
    assert log[-1] == ROOT_COMMIT  # the shared root records no collection
    assert [e.commit for e in st.history()] == log[:-1]


def test_lookup_finds_files_only(store_dir: Path) -> None:
    st = store.init(store_dir)
    done = _commit(st, 0, retention=0)
    tree = st.repo[done.commit.encode()].tree
    assert st.lookup(tree, "latest.json") is not None
    assert st.lookup(tree, done.snapshot_path) == st.lookup(tree, "latest.json")
    assert st.lookup(tree, "snapshots") is None  # a directory, not a file
    assert st.lookup(tree, "latest.json/x") is None
    assert st.lookup(tree, "nope/latest.json") is None
