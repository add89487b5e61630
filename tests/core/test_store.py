"""The store, checked against the real git CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmetrics import snapshot, store
from gitmetrics.errors import SnapshotError, StoreError
from gitmetrics.store import DeriveContext
from tests.helpers import ROOT_COMMIT, ROOT_SUBJECT, fsck, git, make_snapshot, repo_result


def _collect(st: store.Store, day: int, covered: int, retention: int = 30) -> store.CommitResult:
    snap = make_snapshot(day, [repo_result("api", covered), repo_result("web", covered // 2)])
    return st.commit_snapshot(snap, retention=retention)


def test_commits_are_plain_git(store_dir: Path) -> None:
    st = store.init(store_dir)
    results = [_collect(st, day, 60 + day) for day in range(1, 4)]
    fsck(store_dir)
    log = git("-C", store_dir, "log", "--format=%H %s").splitlines()
    assert [line.split()[0] for line in log] == [r.commit for r in reversed(results)] + [
        ROOT_COMMIT
    ]
    assert log[-1] == f"{ROOT_COMMIT} {ROOT_SUBJECT}"
    assert results[0].parent == ROOT_COMMIT
    assert log[0].endswith("collect: 2 repos, avg 47.0% (+0.5)")
    assert git("-C", store_dir, "status", "--porcelain") == ""
    latest = json.loads((store_dir / "latest.json").read_text())
    assert latest["timestamp"] == "2026-11-03T10:00:00Z"
    # latest.json is the same blob as the newest snapshot file
    blob_latest = git("-C", store_dir, "rev-parse", "HEAD:latest.json").strip()
    blob_snap = git("-C", store_dir, "rev-parse", f"HEAD:{results[-1].snapshot_path}").strip()
    assert blob_latest == blob_snap
    assert git("-C", store_dir, "config", "gc.auto").strip() == "0"
    assert git("-C", store_dir, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_trailers_carry_the_summary(store_dir: Path) -> None:
    st = store.init(store_dir)
    done = _collect(st, 1, 80)
    body = git("-C", store_dir, "log", "-1", "--format=%(trailers:only,unfold)")
    assert "Gitmetrics-Avg-Coverage: 60.00" in body
    assert f"Gitmetrics-Snapshot: {done.snapshot_path}" in body
    assert "Gitmetrics-Repos: 2" in body
    entry = next(st.history())
    assert entry.avg_coverage == 60.0 and entry.repos == 2 and entry.files == 6


def test_retention_prunes_the_tree_but_history_keeps_all(store_dir: Path) -> None:
    st = store.init(store_dir)
    paths = [_collect(st, day, 50 + day, retention=3).snapshot_path for day in range(1, 6)]
    tree = git("-C", store_dir, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert sorted(p for p in tree if p.startswith("snapshots/")) == paths[-3:]
    assert (
        sorted(str(p.relative_to(store_dir)) for p in store_dir.glob("snapshots/**/*.json"))
        == paths[-3:]
    )
    assert len(list(st.history())) == 5
    # a pruned snapshot is still readable from its own commit
    oldest = list(st.history())[-1]
    assert st.snapshot_at(oldest).summary.avg_coverage == pytest.approx((51 + 25) / 2)
    assert git("-C", store_dir, "log", "--format=%s", "--", paths[0]).count("collect:") == 2
    fsck(store_dir)


def test_retention_zero_keeps_everything(store_dir: Path) -> None:
    st = store.init(store_dir)
    for day in range(1, 5):
        _collect(st, day, 50, retention=0)
    assert len(list(store_dir.glob("snapshots/**/*.json"))) == 4


def test_clone_has_latest_equal_to_newest_snapshot(store_dir: Path, tmp_path: Path) -> None:
    st = store.init(store_dir)
    for day in range(1, 4):
        last = _collect(st, day, 70)
    git("clone", "-q", store_dir, tmp_path / "clone")
    clone = tmp_path / "clone"
    assert (clone / "latest.json").read_bytes() == (clone / last.snapshot_path).read_bytes()
    snapshot.from_json((clone / "latest.json").read_bytes())


def test_invalid_snapshot_is_never_committed(store_dir: Path) -> None:
    st = store.init(store_dir)
    _collect(st, 1, 50)
    head = st.head()
    bad = make_snapshot(2, [repo_result("api", 10)])
    bad = snapshot.Snapshot(bad.timestamp, "", bad.repositories, bad.summary)  # empty host
    with pytest.raises(SnapshotError, match="host"):
        st.commit_snapshot(bad, retention=30)
    assert st.head() == head
    fsck(store_dir)


def test_bare_store(tmp_path: Path) -> None:
    st = store.init(tmp_path / "bare.git", bare=True)
    _collect(st, 1, 50)
    _collect(st, 2, 55)
    assert len(list(st.history())) == 2
    fsck(tmp_path / "bare.git")
    assert git("-C", tmp_path / "bare.git", "cat-file", "-p", "HEAD:latest.json").startswith("{")


def test_init_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    with pytest.raises(StoreError, match="not empty"):
        store.init(tmp_path / "busy")


def test_open_missing_store_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="gitmetrics collect"):
        store.open_store(tmp_path / "nope")


def test_deriver_writes_and_removes_files(store_dir: Path) -> None:
    seen: list[DeriveContext] = []

    def derive(ctx: DeriveContext) -> dict[str, bytes | None]:
        seen.append(ctx)
        names = [r.name for r in ctx.snapshot.repositories]
        out: dict[str, bytes | None] = {f"badges/{n}.svg": b"<svg/>" for n in names}
        if ctx.read("badges/web.svg") is not None and "web" not in names:
            out["badges/web.svg"] = None
        return out

    st = store.init(store_dir)
    st.derive = derive
    _collect(st, 1, 50)
    assert (store_dir / "badges" / "web.svg").exists()
    st.commit_snapshot(make_snapshot(2, [repo_result("api", 50)]), retention=30)
    assert (store_dir / "badges" / "web.svg").exists()  # web is carried, not gone
    keep_api = snapshot.StatePolicy(keep=frozenset({"api"}))  # web left repos.yaml
    st.commit_snapshot(make_snapshot(3, [repo_result("api", 50)]), retention=30, policy=keep_api)
    assert not (store_dir / "badges" / "web.svg").exists()
    subject_and_body = git("-C", store_dir, "log", "-1", "--format=%B")
    assert "Removed from the state (no longer in repos.yaml): web" in subject_and_body
    assert len(seen[1].previous) == 1
    assert git("-C", store_dir, "status", "--porcelain") == ""
    fsck(store_dir)


def test_work_tree_follows_head_after_external_edit(store_dir: Path) -> None:
    st = store.init(store_dir)
    _collect(st, 1, 50)
    (store_dir / "latest.json").unlink()  # a user deleted it by hand
    _collect(st, 2, 52)
    assert json.loads((store_dir / "latest.json").read_text())["timestamp"].startswith("2026-11-02")


def test_identical_collections_in_one_second_both_land(store_dir: Path) -> None:
    st = store.init(store_dir)
    snap = make_snapshot(1, [repo_result("api", 50)])
    first = st.commit_snapshot(snap, retention=30)
    second = st.commit_snapshot(snap, retention=30)
    assert first.snapshot_path != second.snapshot_path
    assert len(list(st.history())) == 2
    fsck(store_dir)


_RAW = "Wed Jan 1 00:00:00 2020 +0000"


def test_every_store_starts_from_the_same_root_commit(tmp_path: Path) -> None:
    one = store.init(tmp_path / "one")
    two = store.init(tmp_path / "two", bare=True)
    assert one.head() == two.head() == ROOT_COMMIT  # the same bytes on every machine
    for st in (one, two):
        fsck(st.gitdir)
        assert git("-C", st.gitdir, "rev-list", "main").split() == [ROOT_COMMIT]
        st.close()
    shown = git("-C", tmp_path / "one", "log", "-1", "--format=%an <%ae>|%ad|%cd|%P|%s")
    when = "2020-01-01T00:00:00+00:00"
    assert (
        git("-C", tmp_path / "one", "log", "-1", "--date=iso-strict", "--format=%ad").strip()
        == when
    )
    assert shown.strip() == f"gitmetrics <gitmetrics@localhost>|{_RAW}|{_RAW}||{ROOT_SUBJECT}"
    assert git("-C", tmp_path / "one", "ls-tree", "-r", "--name-only", "HEAD").split() == [
        ".gitmetrics.json"
    ]
    marker = json.loads((tmp_path / "one" / ".gitmetrics.json").read_text())
    assert marker == {"kind": "gitmetrics-store", "store_version": 1}
    assert git("-C", tmp_path / "one", "status", "--porcelain") == ""
    # init of an existing store leaves it as it is
    again = store.init(tmp_path / "one")
    assert again.head() == ROOT_COMMIT
    again.close()


def test_a_commit_into_an_empty_branch_builds_on_the_shared_root(tmp_path: Path) -> None:
    git("init", "-q", "--initial-branch=main", tmp_path / "snap")
    git("init", "-q", "--initial-branch=main", tmp_path / "files")
    st = store.open_store(tmp_path / "snap")
    assert st.head() is None  # git init made the repository, not gitmetrics
    done = _collect(st, 1, 60)
    assert done.parent == ROOT_COMMIT and done.retries == 0
    assert git("-C", tmp_path / "snap", "rev-list", "main").split() == [done.commit, ROOT_COMMIT]
    fsck(tmp_path / "snap")
    st.close()
    st = store.open_store(tmp_path / "files")
    commit = st.commit_files({"notes/a.txt": b"a\n"}, "notes: a\n")
    assert commit is not None and st.head() == commit
    assert git("-C", tmp_path / "files", "rev-list", "main").split() == [commit, ROOT_COMMIT]
    assert git("-C", tmp_path / "files", "ls-tree", "-r", "--name-only", "HEAD").split() == [
        ".gitmetrics.json",
        "notes/a.txt",
    ]
    fsck(tmp_path / "files")
    st.close()


def test_derivers_are_told_where_the_snapshot_is(store_dir: Path) -> None:
    seen: list[str] = []

    def derive(ctx: DeriveContext) -> dict[str, bytes | None]:
        seen.append(ctx.snapshot_path)
        return {}

    st = store.init(store_dir)
    st.derive = derive
    snap = make_snapshot(1, [repo_result("api", 50)])
    first = st.commit_snapshot(snap, retention=30)
    second = st.commit_snapshot(snap, retention=30)  # same second: a repeat name
    assert seen == [first.snapshot_path, second.snapshot_path]


def test_derivers_read_earlier_trees_by_blob_id(store_dir: Path) -> None:
    """``blob_id`` of the tree being committed and of earlier commits, as git names them;
    ``history`` from any commit, newest first; ``heads`` the parent."""
    seen: list[dict[str, object]] = []

    def derive(ctx: DeriveContext) -> dict[str, bytes | None]:
        earlier = [e.commit for e in ctx.history(ctx.heads)]
        seen.append(
            {
                "heads": list(ctx.heads),
                "history": earlier,
                "latest": ctx.blob_id(None, "latest.json"),
                "before": [ctx.blob_id(c, "latest.json") for c in earlier],
                "missing": [ctx.blob_id(c, "repos/none/files.json") for c in earlier],
                "content": [
                    ctx.blob(sha) for c in earlier if (sha := ctx.blob_id(c, "latest.json"))
                ],
            }
        )
        return {}

    st = store.init(store_dir)
    st.derive = derive
    done = [_collect(st, day, 40 + day) for day in range(1, 4)]
    last = seen[-1]
    assert last["heads"] == [done[1].commit]
    assert last["history"] == [done[1].commit, done[0].commit]
    oracle = [git("rev-parse", f"{c.commit}:latest.json", cwd=store_dir).strip() for c in done]
    assert last["latest"] == oracle[2].encode()
    assert last["before"] == [oracle[1].encode(), oracle[0].encode()]
    assert last["missing"] == [None, None]
    shown = [git("show", f"{c.commit}:latest.json", cwd=store_dir) for c in done[1::-1]]
    assert [b.decode() for b in last["content"]] == shown  # type: ignore[attr-defined]
    st.close()
