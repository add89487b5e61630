"""The commits of a source repository between two measurements (git log is the oracle)."""

from __future__ import annotations

from pathlib import Path

from gitmetrics.store.sourcelog import commit_range
from tests.helpers import git


def _commit(repo: Path, files: dict[str, str | None], subject: str, author: str) -> str:
    for name, text in files.items():
        if text is None:
            git("rm", "-q", name, cwd=repo)
        else:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
            git("add", name, cwd=repo)
    env = {"GIT_AUTHOR_NAME": author}
    git("commit", "-q", "-m", subject, cwd=repo, env=env)
    return git("rev-parse", "HEAD", cwd=repo).strip()


def test_the_range_names_the_commits_that_touched_the_files(tmp_path: Path) -> None:
    repo = tmp_path / "src"
    repo.mkdir()
    git("init", "-q", "--initial-branch=main", repo)
    old = _commit(repo, {"pkg/calc.py": "x = 1\n", "tests/test_calc.py": "t\n"}, "start", "Ann")
    _commit(repo, {"README": "hi\n"}, "docs only", "Bob")
    drop = _commit(repo, {"tests/test_calc.py": None}, "remove the calc test", "Cy")
    new = _commit(repo, {"pkg/calc.py": "x = 2\n"}, "change calc", "Dee")
    found = commit_range(repo, old, new, ["pkg/calc.py", "tests/test_calc.py"])
    assert found.available and found.commits == 3 and not found.truncated
    oracle = git("log", "--format=%H %an %s", f"{old}..{new}", "--", "pkg", "tests", cwd=repo)
    got = [f"{c.commit} {c.author} {c.subject}" for c in found.touching]
    assert got == oracle.splitlines()
    assert [c.files for c in found.touching] == [("pkg/calc.py",), ("tests/test_calc.py",)]
    assert found.touching[1].commit == drop and found.touching[1].date.endswith("Z")


def test_a_repository_in_a_subdirectory_and_missing_commits(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    (top / "api").mkdir(parents=True)
    git("init", "-q", "--initial-branch=main", top)
    old = _commit(top, {"api/a.py": "1\n"}, "one", "Ann")
    new = _commit(top, {"api/a.py": "2\n"}, "two", "Bob")
    found = commit_range(top / "api", old, new, ["a.py"])
    assert [c.subject for c in found.touching] == ["two"]
    missing = commit_range(top / "api", "0" * 40, new, ["a.py"])
    assert not missing.available and "does not hold the commit 0000000000" in (missing.note or "")
    absent = commit_range(tmp_path / "nowhere", old, new, ["a.py"])
    assert absent.note is not None and "not on this machine" in absent.note


def test_a_shallow_clone_says_its_history_is_incomplete(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    git("init", "-q", "--initial-branch=main", full)
    for n in range(4):
        _commit(full, {"a.py": f"{n}\n"}, f"c{n}", "Ann")
    git("checkout", "-q", "-b", "side", "HEAD~3", cwd=full)
    side = _commit(full, {"b.py": "x\n"}, "side", "Bob")
    git("checkout", "-q", "main", cwd=full)
    shallow = tmp_path / "shallow"
    git("clone", "-q", "--depth", "2", f"file://{full}", shallow)
    git("fetch", "-q", "--depth", "1", "origin", "side", cwd=shallow)
    head = git("rev-parse", "HEAD", cwd=shallow).strip()
    # both commits are there, the history between them is not: said, not raised
    found = commit_range(shallow, side, head, ["a.py"])
    assert not found.available and "does not hold the whole history" in (found.note or "")
