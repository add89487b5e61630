"""Helpers for the gates tests: stores with known histories, and configs over real repos."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitmetrics import formats, snapshot
from gitmetrics import store as storemod
from gitmetrics.snapshot import RepoResult, Source
from tests import helpers

FAKE_FORMAT = "gates-test"


@pytest.fixture(autouse=True)
def fake_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the stand-in report format for the duration of a test."""
    monkeypatch.setitem(formats.FORMATS, FAKE_FORMAT, "tests.gates.fakefmt")
    yield


@pytest.fixture(autouse=True)
def ticking_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each in-process collection gets its own minute, so quick rounds never share a name."""
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    calls = itertools.count()

    def now() -> str:
        return (start + timedelta(minutes=next(calls))).strftime("%Y-%m-%dT%H:%M:%SZ")

    monkeypatch.setattr(snapshot, "now_timestamp", now)
    yield


def result(
    name: str,
    covered: int,
    valid: int = 100,
    *,
    role: str = "service",
    commit: str | None = None,
    status: str = "ok",
) -> RepoResult:
    """A repository's result with exact counts and a source commit."""
    if status != "ok":
        return RepoResult(name=name, role=role, status="error", error="report missing")
    return RepoResult(
        name=name,
        role=role,
        coverage=snapshot.pct(covered, valid),
        files_tested=3,
        lines_covered=covered,
        lines_valid=valid,
        format=FAKE_FORMAT,
        report="gates-report.json",
        source=Source(
            commit=commit or hashlib.sha1(f"{name}{covered}".encode()).hexdigest(),
            branch="main",
            dirty=False,
        ),
    )


def make_store(
    path: Path, rounds: Sequence[tuple[str, Sequence[RepoResult]]], retention: int = 30
) -> list[str]:
    """A store with one commit per (timestamp, results); returns the metrics commits."""
    st = storemod.init(path)
    commits = []
    try:
        for ts, results in rounds:
            snap = snapshot.build(results, host="ci", timestamp=ts)
            commits.append(st.commit_snapshot(snap, retention=retention).commit)
    finally:
        st.close()
    return commits


def git(cwd: Path, *args: str) -> str:
    """Run the real git CLI in ``cwd``; return its stdout, stripped."""
    return helpers.git(*args, cwd=cwd).strip()


def make_repo(root: Path, name: str, covered: int, valid: int = 100) -> Path:
    """A real git repository holding a stand-in report; returns its path."""
    repo = root / name
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    set_report(repo, covered, valid)
    return repo


def set_report(repo: Path, covered: int, valid: int = 100) -> str:
    """Write a new report, commit it, return the source commit."""
    (repo / "gates-report.json").write_text(
        json.dumps({"gates-test": 1, "covered": covered, "valid": valid}), encoding="utf-8"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"coverage {covered}/{valid}")
    return git(repo, "rev-parse", "HEAD")


def write_config(
    path: Path, repos: Mapping[str, str], extra: Mapping[str, Any] | None = None
) -> Path:
    """A repos.yaml naming ``repos`` (name -> role), each at ``path.parent/<name>``."""
    data: dict[str, Any] = {
        "store": "metrics",
        "repos": [
            {
                "name": n,
                "path": n,
                "role": role,
                "format": FAKE_FORMAT,
                "coverage": "gates-report.json",
            }
            for n, role in repos.items()
        ],
    }
    data.update(extra or {})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
