"""A store read as plain files (store/plain.py, the commit reader's pack index) agrees with
dulwich, and leaves to dulwich every repository it does not read plainly."""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pytest
from dulwich.repo import Repo

from gitmetrics import store as storemod
from gitmetrics.store import plain as plainmod
from gitmetrics.store.plain import Unsure, open_plain
from gitmetrics.store.reader import PackIndex, _map
from tests.helpers import git, make_snapshot, repo_result


def _agrees(path: Path) -> None:
    """open_plain(path) reads what dulwich's Repo(path) reads."""
    found = open_plain(path)
    assert found is not None, path
    with Repo(str(path)) as repo:
        assert found.controldir == Path(repo.controldir())
        assert found.bare == repo.bare
        raw, sha = found.head()
        assert raw == repo.refs.read_ref(b"HEAD")
        assert sha == repo.refs.follow(raw[len(b"ref: ") :])[1]
        cfg = repo.get_config()
        for section, key in ((b"core", b"bare"), (b"gitmetrics", b"storeVersion")):
            try:
                expected = cfg.get((section,), key)
            except KeyError:
                expected = None
            assert found.get(section, key) == expected, (section, key)


@pytest.fixture
def made(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    st = storemod.init(path)
    try:
        for day in range(1, 4):
            snap = make_snapshot(day, [repo_result("a", 50 + day), repo_result("b", 40)])
            st.commit_snapshot(snap, retention=0)
    finally:
        st.close()
    return path


def test_a_store_bare_or_not_packed_refs_or_loose(made: Path, tmp_path: Path) -> None:
    _agrees(made)
    git("pack-refs", "--all", cwd=made)  # the branch only in packed-refs
    assert not (made / ".git" / "refs" / "heads" / "main").exists()
    _agrees(made)
    bare = tmp_path / "bare.git"
    git("clone", "-q", "--bare", made, bare)
    _agrees(bare)
    empty = tmp_path / "empty"
    git("init", "-q", "-b", "main", empty)
    got = open_plain(empty)
    assert got is not None and got.head()[1] is None


@pytest.mark.parametrize(
    "setup",
    ["linked worktree", "gitfile", "core.worktree", "extension", "format 2", "quoted value",
     "key twice", "not a repository"],
)  # fmt: skip
def test_what_is_not_plain_is_left_to_dulwich(made: Path, tmp_path: Path, setup: str) -> None:
    path = made
    if setup == "linked worktree":
        path = tmp_path / "linked"
        git("worktree", "add", "-q", "-b", "side", path, cwd=made)
    elif setup == "gitfile":
        path = tmp_path / "outside"
        path.mkdir()
        (path / ".git").write_text(f"gitdir: {made / '.git'}\n")
    elif setup == "core.worktree":
        git("config", "core.worktree", str(made), cwd=made)
    elif setup == "extension":
        git("config", "extensions.worktreeConfig", "true", cwd=made)
    elif setup == "format 2":
        git("config", "core.repositoryformatversion", "2", cwd=made)
    elif setup == "quoted value":
        git("config", "gitmetrics.note", 'a "quoted" # value', cwd=made)
    elif setup == "key twice":
        git("config", "--add", "gitmetrics.storeVersion", "9", cwd=made)
    else:
        path = tmp_path / "plain-dir"
        path.mkdir()
    assert open_plain(path) is None


def test_refs_it_does_not_read_are_unsure(made: Path) -> None:
    found = open_plain(made)
    assert found is not None
    head = git("rev-parse", "HEAD", cwd=made).strip()
    git("checkout", "-q", "--detach", cwd=made)
    with pytest.raises(Unsure):
        found.head()
    st = storemod.open_store(made)  # the store asks dulwich: the branch, as before
    try:
        assert st.head() == head
    finally:
        st.close()
    git("checkout", "-q", "main", cwd=made)
    (made / ".git" / "refs" / "heads" / "main").write_text("not a sha\n")
    with pytest.raises(Unsure):
        found.head()


def test_the_store_reads_the_same_history_without_dulwich(
    made: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def entries(*, plain: bool, deltas: bool = False) -> list[object]:
        storemod.open_store(made).close()  # the check that it is a store, made once a head
        st = storemod.open_store(made)
        try:
            got: list[object] = list(st.history())
            return got
        finally:
            if plain and not deltas:
                assert st._repo is None  # dulwich never opened
            st.close()

    # loose; packed whole (no deltas: the reader's own pack index); packed as git packs
    for deltas, gc in (
        (False, None),
        (False, ["-c", "pack.window=0", "gc", "-q"]),
        (True, ["gc", "-q", "--aggressive"]),
    ):
        if gc is not None:
            git(*gc, cwd=made)
            assert not any((made / ".git" / "objects").glob("[0-9a-f][0-9a-f]"))
        mine = entries(plain=True, deltas=deltas)
        with monkeypatch.context() as m:
            m.setattr(plainmod, "open_plain", lambda path: None)
            theirs = entries(plain=False)
        assert mine == theirs and len(mine) == 3


def test_the_pack_index_finds_what_git_lists(made: Path) -> None:
    git("gc", "-q", cwd=made)
    (idx,) = (made / ".git" / "objects" / "pack").glob("pack-*.idx")
    listed = {}
    with idx.open("rb") as fh:
        shown = subprocess.run(["git", "show-index"], stdin=fh, capture_output=True, check=True)
    for line in shown.stdout.decode().splitlines():
        offset, sha = line.split()[:2]
        listed[bytes.fromhex(sha)] = int(offset)
    index = PackIndex(_map(str(idx)))
    try:
        for sha, offset in listed.items():
            assert index.offset(sha) == offset
        rng = random.Random(7)
        for _ in range(200):
            absent = rng.randbytes(20)
            assert index.offset(absent) == (listed.get(absent))
        assert index.offset(b"\0" * 20) is None and index.offset(b"\xff" * 20) is None
    finally:
        index.data.close()


def test_an_offset_past_2_gib_is_read_from_the_large_table() -> None:
    names = sorted([b"\x01" * 20, b"\x80" + b"\x02" * 19, b"\xfe" * 20])
    fanout = [sum(1 for n in names if n[0] <= b) for b in range(256)]
    small = [12, 0x80000000 | 1, 0x80000000]
    large = [5 << 32, 7 << 32 | 9]
    data = (
        b"\377tOc\0\0\0\2"
        + struct.pack(">256I", *fanout)
        + b"".join(names)
        + b"\0" * 4 * len(names)
        + struct.pack(">3I", *small)
        + struct.pack(">2Q", *large)
    )
    index = PackIndex(data)
    assert [index.offset(n) for n in names] == [12, 7 << 32 | 9, 5 << 32]
