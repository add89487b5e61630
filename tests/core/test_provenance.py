"""source_of's dirty flag against `git status -uno`, the oracle, in each kind of change."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

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


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    git(tmp_path, "init", "-q", "-b", "main", str(path))
    for rel in ("a.txt", "pkg/b.py", "pkg/sub/c.py", "pkg-x/d.txt", "pkg.e/f.txt", "run.sh"):
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(f"{rel}\n")
    (path / "run.sh").chmod(0o755)
    (path / "link").symlink_to("a.txt")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "one")
    return path


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


@pytest.mark.parametrize("case", sorted(CASES))
def test_dirty_is_what_git_status_says(repo: Path, case: str) -> None:
    change, expected = CASES[case]
    change(repo)
    provenance._STAGED_CACHE.clear()
    got = source_of(repo)
    assert got is not None
    assert git_dirty(repo) is expected  # the oracle agrees with the case's premise
    assert got.dirty is expected
    assert got.commit == git(repo, "rev-parse", "HEAD").strip()
    assert got.branch == "main"


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


def test_no_commit_yet_and_no_repository(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", str(empty))
    got = source_of(empty)
    assert got is not None and got.commit is None and not got.dirty
    (tmp_path / "plain").mkdir()
    assert source_of(tmp_path / "plain") is None
