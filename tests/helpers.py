"""Helpers shared by the tests of several packages (import them; fixtures stay in conftest.py).

The real git CLI is the oracle (``git``, ``fsck``), the CLI runs in-process through
``invoke`` (an exception is never turned into an exit code), and the builders make
snapshots and stores with known figures.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer.core
import typer.main
from typer.testing import CliRunner, Result

from gitmetrics import snapshot
from gitmetrics.cli import app
from gitmetrics.snapshot import RepoResult, Snapshot

#: The checkout: README.md, docs/, repos.yaml and examples/ are read from here.
ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Every store begins with this commit: the same bytes, hence the same id, on every
#: machine and in every release (a different id would make old and new stores unrelated).
ROOT_COMMIT = "10152156515d1521f23d89fae8f2db34ed68d387"
ROOT_SUBJECT = "gitmetrics: start of a metrics repository"

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def git(
    *args: str | Path,
    cwd: Path | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run the real git CLI and return its stdout (``env``: more variables)."""
    proc = subprocess.run(
        ["git", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def fsck(repo: Path) -> None:
    """``git fsck --strict`` of a repository (a work tree or a bare one) must be clean."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "fsck", "--strict", "--no-dangling", "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    problems = proc.stderr.lower()
    assert "error" not in problems and "warning" not in problems, proc.stderr


def invoke(
    *args: str | Path, env: Mapping[str, str | None] | None = None, input: str | None = None
) -> Result:
    """Run the CLI in this process. An exception escapes and fails the test: only a clean
    exit (``typer.Exit``, ``SystemExit``) becomes ``result.exit_code``."""
    return CliRunner().invoke(
        app, [str(a) for a in args], env=env, input=input, catch_exceptions=False
    )


def commands() -> list[str]:
    """The names of the app's top-level commands, sorted."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return sorted(group.commands)


def repo_result(
    name: str, covered: int, valid: int = 100, role: str = "service", **kw: object
) -> RepoResult:
    """An ok result with exact counts."""
    return RepoResult(
        name=name,
        role=role,
        coverage=snapshot.pct(covered, valid),
        files_tested=kw.pop("files", 3),  # type: ignore[arg-type]
        lines_covered=covered,
        lines_valid=valid,
        format="lcov",
        report="lcov.info",
        **kw,  # type: ignore[arg-type]
    )


def make_snapshot(
    day: int, results: Sequence[RepoResult], host: str = "ci-1", hour: int = 10
) -> Snapshot:
    """A snapshot at 2026-11-<day> 00:00 UTC plus ``hour`` hours (any number of them)."""
    when = datetime(2026, 11, day, tzinfo=UTC) + timedelta(hours=hour)
    return snapshot.build(results, host=host, timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ"))


def inject(store: Path, files: dict[str, bytes], message: str) -> str:
    """Commit ``files`` on top of the head as a writer with no checks would."""
    from dulwich.objects import Blob

    from gitmetrics import store as storemod

    st = storemod.open_store(store)
    try:
        head = st.head()
        assert head is not None
        blobs = {p: Blob.from_string(c) for p, c in files.items()}
        st.add_objects(list(blobs.values()))
        tree = st.update_tree(st.repo[head.encode()].tree, {p: b.id for p, b in blobs.items()})
        commit = st.commit_tree(tree, [head], message)
        assert st.move_branch(head, commit)
        st.sync_worktree()
        return commit
    finally:
        st.close()


def trailers(path: str, **extra: str) -> str:
    """A collection's commit message naming ``path`` (``extra``: more or other trailers)."""
    lines = {"Snapshot": path, "Timestamp": "2026-11-20T10:00:00Z", "Avg-Coverage": "50.00"}
    lines.update(extra)
    body = "\n".join(f"Gitmetrics-{k}: {v}" for k, v in lines.items())
    return f"collect: 1 repos\n\n{body}\n"


def doc_pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def docs_text(*, reference: bool = False) -> str:
    """The README and the pages of docs/ as one text (``reference``: with the generated cli.md).

    A command or key is documented when this text mentions it; the generated reference
    does not count, since it lists every option whether or not a page explains it.
    """
    pages = [p for p in doc_pages() if reference or p != DOCS / "cli.md"]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def realworld() -> Path | None:
    """``shared/realworld`` (real reports with manifest.json) beside the checkout or a folder of
    worktrees, or ``$GITMETRICS_REALWORLD``; ``None`` when it is not on this machine."""
    env = os.environ.get("GITMETRICS_REALWORLD")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "realworld"
        if (candidate / "manifest.json").is_file():
            return candidate
    return None
