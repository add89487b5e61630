"""source_of's dirty flag against `git status -uno`, the oracle, in each kind of change."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmetrics.errors import GitmetricsError
from gitmetrics.store import provenance
from gitmetrics.store.provenance import source_of

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=ENV
    ).stdout


def git_dirty(repo: Path) -> bool:
    # --no-optional-locks: the oracle must not refresh the index it is compared on
    out = subprocess.run(
        ["git", "--no-optional-locks", "-C", str(repo), "status", "-uno", "--porcelain"],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    ).stdout
    return bool(out.strip())


def make_repo(path: Path) -> Path:
    git(path.parent, "init", "-q", "-b", "main", str(path))
    for rel in ("a.txt", "pkg/b.py", "pkg/sub/c.py", "pkg-x/d.txt", "pkg.e/f.txt", "run.sh"):
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(f"{rel}\n")
    (path / "run.sh").chmod(0o755)
    (path / "link").symlink_to("a.txt")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "one")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "src")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("template") / "src")


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        (path / rel).write_text(text)

    return change


def _same_size_same_mtime(path: Path) -> None:
    target = path / "a.txt"
    st = target.stat()
    target.write_text("A.txt\n")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def _touch(path: Path) -> None:
    os.utime(path / "pkg" / "b.py", ns=(1, 2_000_000_000))


def _staged_then_restored(path: Path) -> None:
    (path / "pkg" / "b.py").write_text("staged\n")
    git(path, "add", "pkg/b.py")
    (path / "pkg" / "b.py").write_text("pkg/b.py\n")


def _restage_same(path: Path) -> None:
    # the cache tree is invalidated, the content is HEAD's: the tree is hashed from the index
    os.utime(path / "pkg" / "b.py", ns=(1, 3_000_000_000))
    git(path, "add", "pkg/b.py")


CASES: dict[str, tuple[Callable[[Path], None], bool]] = {
    "clean": (lambda p: None, False),
    "untracked file": (_write("coverage.xml", "<coverage/>"), False),
    "content changed": (_write("pkg/sub/c.py", "changed\n"), True),
    "same size, mtime put back": (_same_size_same_mtime, True),
    "touched only": (_touch, False),
    "deleted": (lambda p: (p / "pkg-x" / "d.txt").unlink(), True),
    "exec bit": (lambda p: (p / "a.txt").chmod(0o755), True),
    "exec bit removed": (lambda p: (p / "run.sh").chmod(0o644), True),
    "symlink retargeted": (
        lambda p: ((p / "link").unlink(), (p / "link").symlink_to("run.sh")),
        True,
    ),
    "staged change": (lambda p: (_write("a.txt", "x\n")(p), git(p, "add", "a.txt")), True),
    "staged then restored in the work tree": (_staged_then_restored, True),
    "re-added unchanged": (_restage_same, False),
    "new file staged": (lambda p: (_write("new.txt", "n\n")(p), git(p, "add", "new.txt")), True),
    "intent to add": (lambda p: (_write("n.txt", "n\n")(p), git(p, "add", "-N", "n.txt")), True),
    "removed from the index": (lambda p: git(p, "rm", "-q", "--cached", "a.txt"), True),
    "file became a directory": (
        lambda p: ((p / "a.txt").unlink(), (p / "a.txt").mkdir(), (p / "a.txt" / "x").touch()),
        True,
    ),
}


def by_dulwich(path: Path) -> object:
    """source_of(path) with the repository opened by dulwich (no plain reading)."""
    plain = provenance._discover_plain
    provenance._discover_plain = lambda p: None  # type: ignore[assignment]
    try:
        provenance._STAGED_CACHE.clear()
        return source_of(path)
    finally:
        provenance._discover_plain = plain


@pytest.mark.parametrize("case", sorted(CASES))
def test_dirty_is_what_git_status_says(repo: Path, case: str) -> None:
    change, expected = CASES[case]
    change(repo)
    provenance._STAGED_CACHE.clear()
    assert provenance._discover_plain(repo) is not None  # read without dulwich
    got = source_of(repo)
    assert got is not None
    assert git_dirty(repo) is expected  # the oracle agrees with the case's premise
    assert got.dirty is expected
    assert got.commit == git(repo, "rev-parse", "HEAD").strip()
    assert got.branch == "main"
    assert got.committed_at == int(git(repo, "log", "-1", "--format=%ct").strip())
    assert by_dulwich(repo) == got


def test_a_conflict_is_dirty(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "a.txt").write_text("other\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "a.txt").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")
    subprocess.run(["git", "-C", str(repo), "merge", "-q", "other"], capture_output=True, env=ENV)
    (repo / "a.txt").write_text("a.txt\n")  # even with the file put back
    assert git_dirty(repo)
    got = source_of(repo)
    assert got is not None and got.dirty


def test_a_subdirectory_and_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    got = source_of(repo / "pkg" / "sub")
    assert got is not None and not got.dirty
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    assert provenance._discover_plain(linked) is None  # a .git file: dulwich reads it
    (linked / "a.txt").write_text("linked change\n")
    side = source_of(linked)
    assert side is not None and side.dirty and side.branch == "side"
    main = source_of(repo)
    assert main is not None and not main.dirty


def test_the_answer_follows_the_index(repo: Path) -> None:
    """The staged answer is cached by the index's stat data: a new index is read again."""
    first = source_of(repo)
    assert first is not None and not first.dirty
    (repo / "a.txt").write_text("x\n")
    git(repo, "add", "a.txt")
    (repo / "a.txt").write_text("a.txt\n")
    got = source_of(repo)
    assert got is not None and got.dirty


def test_no_commit_yet_no_branch_and_no_repository(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", str(empty))
    got = source_of(empty)
    assert got is not None and got.commit is None and not got.dirty
    assert by_dulwich(empty) == got
    git(repo, "checkout", "-q", "--detach")  # HEAD not on a branch: dulwich reads it
    detached = source_of(repo)
    assert detached is not None and detached.branch is None and detached == by_dulwich(repo)
    (tmp_path / "plain").mkdir()
    assert source_of(tmp_path / "plain") is None


def test_flags_git_keeps_on_entries(repo: Path) -> None:
    # assume-unchanged and skip-worktree entries are not looked at, as git does not
    git(repo, "update-index", "--assume-unchanged", "a.txt")
    git(repo, "update-index", "--skip-worktree", "pkg/b.py")
    (repo / "a.txt").write_text("changed\n")
    (repo / "pkg" / "b.py").unlink()
    provenance._STAGED_CACHE.clear()
    got = source_of(repo)
    assert got is not None and git_dirty(repo) is False and got.dirty is False
    (repo / "run.sh").write_text("changed\n")  # an entry without a flag still counts
    got = source_of(repo)
    assert got is not None and git_dirty(repo) is True and got.dirty is True


#: an index time older than every entry (not 0: git skips its racy check for a zero time)
RACY = 1_000 * 1_000_000_000


def test_racily_clean_entries_are_read(repo: Path) -> None:
    # an index no newer than its entries: every file's content decides (git's racy check)
    index = repo / ".git" / "index"
    os.utime(index, ns=(RACY, RACY))
    got = source_of(repo)
    assert got is not None and git_dirty(repo) is False and got.dirty is False
    target = repo / "pkg" / "b.py"
    st = target.stat()
    target.write_text("PKG/b.py\n")  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.utime(index, ns=(RACY, RACY))
    got = source_of(repo)
    assert got is not None and git_dirty(repo) is True and got.dirty is True


@pytest.mark.parametrize("version", ["4", "split"])
def test_index_formats_this_reader_leaves_to_others(repo: Path, version: str) -> None:
    # version 4 (path compression): dulwich reads it; a split index: git does
    if version == "split":
        git(repo, "update-index", "--split-index")
    else:
        git(repo, "update-index", "--index-version", "4")
    got = source_of(repo)
    assert got is not None and git_dirty(repo) is False and got.dirty is False
    (repo / "pkg" / "sub" / "c.py").write_text("changed\n")
    provenance._STAGED_CACHE.clear()
    got = source_of(repo)
    assert got is not None and git_dirty(repo) is True and got.dirty is True


@pytest.fixture
def with_submodule(repo: Path, tmp_path: Path) -> Path:
    sub = tmp_path / "subsrc"
    git(tmp_path, "init", "-q", "-b", "main", str(sub))
    (sub / "s.txt").write_text("s\n")
    git(sub, "add", "-A")
    git(sub, "commit", "-q", "-m", "s")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub")
    git(repo, "commit", "-q", "-m", "with a submodule")
    return repo


SUBMODULE_CASES: dict[str, tuple[Callable[[Path], None], bool]] = {
    "clean": (lambda p: None, False),
    "its HEAD moved": (
        lambda p: (_write("sub/s.txt", "t\n")(p), git(p / "sub", "commit", "-q", "-am", "t")),
        True,
    ),
    "a tracked file of it changed": (_write("sub/s.txt", "t\n"), True),
    "a change staged in it": (
        lambda p: (_write("sub/s.txt", "t\n")(p), git(p / "sub", "add", "s.txt")),
        True,
    ),
    "an untracked file in it": (_write("sub/new.txt", "n\n"), False),
    "not checked out": (lambda p: git(p, "submodule", "deinit", "-q", "-f", "sub"), False),
}


@pytest.mark.parametrize("case", sorted(SUBMODULE_CASES))
def test_a_submodule_is_dirty_as_git_says(with_submodule: Path, case: str) -> None:
    change, expected = SUBMODULE_CASES[case]
    change(with_submodule)
    provenance._STAGED_CACHE.clear()
    got = source_of(with_submodule)
    assert got is not None
    assert git_dirty(with_submodule) is expected
    assert got.dirty is expected


#: what a property run may do to the work tree and the index, each as git would see it
def _ops() -> st.SearchStrategy[list[tuple[str, int, int]]]:
    return st.lists(
        st.tuples(
            st.sampled_from(
                ["write", "same size", "touch", "chmod", "delete", "stage", "relink",
                 "racy index", "mkdir", "assume", "unstage"]
            ),
            st.integers(0, len(FILES) - 1),
            st.integers(0, 3),
        ),
        max_size=4,
    )  # fmt: skip


FILES = ("a.txt", "pkg/b.py", "pkg/sub/c.py", "pkg-x/d.txt", "pkg.e/f.txt", "run.sh", "link")


def _git_may_fail(repo: Path, *args: str) -> None:
    # an op on a path git no longer knows (deleted, then staged) is refused: no change then
    subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=ENV)


def _apply(path: Path, op: str, which: int, n: int) -> None:
    rel = FILES[which]
    target = path / rel
    if op == "relink" or (rel == "link" and op in ("write", "same size")):
        target.unlink(missing_ok=True)
        target.symlink_to(FILES[n])
    elif not target.is_symlink() and op in ("write", "same size") and not target.is_dir():
        before = target.stat() if target.exists() else None
        text = target.read_text() if target.exists() else f"{rel}\n"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.upper() if op == "same size" else text + "x" * n)
        if before is not None and op == "same size":
            os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif op == "touch" and target.exists():
        os.utime(target, ns=(n + 1, (n + 1) * 1_000_000_000), follow_symlinks=False)
    elif op == "chmod" and target.exists() and not target.is_symlink():
        target.chmod(0o755 if n % 2 else 0o644)
    elif op == "delete" and (target.exists() or target.is_symlink()):
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    elif op == "stage":
        _git_may_fail(path, "add", "-A", "--", rel)
    elif op == "unstage":
        _git_may_fail(path, "reset", "-q", "--", rel)
    elif op == "racy index":
        os.utime(path / ".git" / "index", ns=(RACY, RACY))
    elif op == "mkdir" and not target.exists() and not target.is_symlink():
        target.mkdir(parents=True)
        (target / "x").write_text("x\n")
    elif op == "assume" and not target.is_dir():
        flag = "--assume-unchanged" if n % 2 else "--no-assume-unchanged"
        _git_may_fail(path, "update-index", flag, rel)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops())
def test_dirty_agrees_with_git_after_any_changes(
    template: Path, tmp_path: Path, ops: list[tuple[str, int, int]]
) -> None:
    path = tmp_path / f"r{len(list(tmp_path.iterdir()))}"
    shutil.copytree(template, path, symlinks=True)
    for op in ops:
        _apply(path, *op)
    expected = git_dirty(path)
    got = source_of(path)
    assert got is not None
    provenance._STAGED_CACHE.clear()  # again with nothing remembered
    again = source_of(path)
    assert again == got and by_dulwich(path) == got, ops
    if got.dirty is not expected:
        # git compares times in whole seconds: a same-size rewrite within the second of
        # the file's last change, after the index was written, looks unchanged to it; not
        # to gitmetrics (nanoseconds). With every entry racy, git reads the content too.
        assert got.dirty and not expected, ops
        os.utime(path / ".git" / "index", ns=(RACY, RACY))
        assert git_dirty(path), ops


def test_a_split_index_without_git_says_what_to_do(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "update-index", "--split-index")
    monkeypatch.setenv("PATH", str(repo / "nowhere"))
    with pytest.raises(GitmetricsError, match="split") as info:
        source_of(repo)
    assert "git update-index --no-split-index" in (info.value.hint or "")
