"""Shared test helpers: the real git CLI as an oracle, and snapshots with known figures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from gitmetrics import snapshot
from gitmetrics.snapshot import RepoResult, Snapshot

#: Every store begins with this commit: the same bytes, hence the same id, on every
#: machine and in every release (a different id would make old and new stores unrelated).
ROOT_COMMIT = "10152156515d1521f23d89fae8f2db34ed68d387"
ROOT_SUBJECT = "gitmetrics: start of a metrics repository"

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def git(*args: str | Path, cwd: Path | None = None, check: bool = True) -> str:
    """Run the real git CLI and return its stdout."""
    proc = subprocess.run(
        ["git", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def fsck(store: Path) -> None:
    """``git fsck --strict`` must be clean (no errors, no warnings)."""
    proc = subprocess.run(
        ["git", "-C", str(store), "fsck", "--strict", "--no-dangling"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr


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
    """A snapshot at 2026-11-<day> <hour>:00 UTC."""
    return snapshot.build(results, host=host, timestamp=f"2026-11-{day:02d}T{hour:02d}:00:00Z")


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    """A path for a new metrics repository."""
    yield tmp_path / "metrics"
