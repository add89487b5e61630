"""A metrics store with known figures, built through the real store (dulwich + derive)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitmetrics import snapshot as snapmod
from gitmetrics.config import Config
from gitmetrics.derive import make_deriver
from gitmetrics.snapshot import RepoResult
from gitmetrics.store import Store, init

#: five daily collections; None = absent, "error" = failed
TIMESTAMPS = [f"2026-11-0{d}T10:00:00Z" for d in range(1, 6)]
SERIES: dict[str, tuple[str, list[float | str | None]]] = {
    "alpha": ("service", [50.0, 52.0, 54.0, 56.0, 58.0]),  # +2/day: needs work, rising
    "beta": ("service", [90.0, 89.0, 88.0, 87.0, 86.0]),  # -1/day: good, falling
    "gamma": ("library", [70.0, 70.0, 70.0, 70.0, 70.0]),  # flat, fair
    "delta": ("frontend", [40.0, 40.0, 41.0, 42.0, "error"]),  # fails last time
    "old": ("tooling", [30.0, 30.0, 30.0, None, None]),  # removed after the 3rd
    "eps": ("tooling", [None, None, None, 65.0, 66.0]),  # added at the 4th
}


def result(name: str, role: str, value: float | str) -> RepoResult:
    """A repository result with 1000 lines, ``value`` percent of them covered."""
    if value == "error":
        return RepoResult(name=name, role=role, status="error", error="no coverage report found")
    assert isinstance(value, float)
    covered = round(value * 10)
    return RepoResult(
        name=name,
        role=role,
        coverage=snapmod.pct(covered, 1000),
        files_tested=10,
        lines_covered=covered,
        lines_valid=1000,
        branch_coverage=snapmod.pct(covered // 2, 1000),
        branches_covered=covered // 2,
        branches_valid=1000,
        format="cobertura",
        report="coverage.xml",
    )


def snapshot_number(i: int) -> snapmod.Snapshot:
    """The ``i``-th collection (0-based) of the known series."""
    results = [
        result(name, role, values[i])
        for name, (role, values) in SERIES.items()
        if values[i] is not None
    ]
    return snapmod.build(results, host="ci-1", timestamp=TIMESTAMPS[i])


def config_for(store: Path, min_coverage: float = 80.0) -> Config:
    """A config with no repos (derived files only need the thresholds)."""
    return Config(
        path=store.parent / "repos.yaml", store=store, repos=(), min_coverage=min_coverage
    )


def build_store(
    path: Path,
    *,
    retention: int = 2,
    count: int = len(TIMESTAMPS),
    max_age: float | None = None,
) -> Store:
    """A store holding the first ``count`` collections; retention prunes older files;
    repos measured longer than ``max_age`` seconds ago are stale."""
    st = init(path)
    st.derive = make_deriver(config_for(path))
    for i in range(count):
        # the config of the day lists the repos of the series that day: "old" leaves it
        # after the 3rd; "delta" stays listed and fails (its measurement is carried)
        listed = frozenset(n for n, (_, values) in SERIES.items() if values[i] is not None)
        policy = snapmod.StatePolicy(keep=listed, max_age=max_age)
        st.commit_snapshot(snapshot_number(i), retention=retention, policy=policy)
    return st


@pytest.fixture
def known_store(tmp_path: Path) -> Iterator[Store]:
    """The five known collections, only the newest two files left in the tree."""
    st = build_store(tmp_path / "metrics")
    yield st
    st.close()


@pytest.fixture
def stale_store(tmp_path: Path) -> Iterator[Store]:
    """:func:`known_store` with ``max_age: 12h``: delta, carried for a day, is stale."""
    st = build_store(tmp_path / "stale-metrics", max_age=12 * 3600)
    yield st
    st.close()
