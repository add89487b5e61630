"""Sync merges states: per repository the newest measurement, the same on every machine.

Runners each collect a subset of the repositories (disjoint or overlapping), push and sync
in different orders; every machine must end with the same state (byte for byte), every
repository present, every badge in place and the averages equal to the mean over the state.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path

import pytest

from gitmetrics import config as configmod
from gitmetrics import snapshot as snapmod
from gitmetrics.derive import make_deriver
from gitmetrics.history import Query, collections
from gitmetrics.snapshot import RepoResult
from gitmetrics.store import Store
from gitmetrics.store import sync as S
from gitmetrics.views import build_status
from tests.conftest import fsck
from tests.sync.conftest import bare_remote, git

REPOS = ("api", "cli", "docs", "lib", "web")


def _config(tmp: Path) -> configmod.Config:
    text = "max_age: 3h\nrepos:\n" + "".join(f"  - {{name: {n}, path: {n}}}\n" for n in REPOS)
    return configmod.parse(text, tmp / "repos.yaml")


def _result(name: str, covered: int) -> RepoResult:
    return RepoResult(
        name=name,
        role="service",
        coverage=snapmod.pct(covered, 200),
        files_tested=2,
        lines_covered=covered,
        lines_valid=200,
        format="lcov",
        report="lcov.info",
    )


def _missing(name: str) -> RepoResult:
    return RepoResult(name=name, role="service", status="error", error="no coverage report found")


def _store(tmp: Path, name: str, cfg: configmod.Config) -> Store:
    from gitmetrics import store as storemod

    st = storemod.init(tmp / name)
    st.derive = make_deriver(cfg)
    st.policy = cfg.state_policy()
    return st


def _collect(
    st: Store, cfg: configmod.Config, host: str, minute: int, names: dict[str, int]
) -> None:
    results = [_result(n, c) if c >= 0 else _missing(n) for n, c in names.items()]
    when = f"2026-03-01T{minute // 60:02d}:{minute % 60:02d}:00Z"
    snap = snapmod.build(results, host=host, timestamp=when)
    st.commit_snapshot(snap, retention=4, policy=cfg.state_policy())


def _check_same(stores: list[Store]) -> dict[str, object]:
    trees = [st.files_at() for st in stores]
    assert all(t == trees[0] for t in trees), "every machine has the same tree"
    state = json.loads(stores[0].read_file("latest.json") or b"")
    assert sorted(r["name"] for r in state["repositories"]) == list(REPOS)
    badges = {p for p in trees[0] if p.startswith("badges/")}
    assert badges == {f"badges/{n}.svg" for n in REPOS} | {"badges/average.svg"}
    ok = [r for r in state["repositories"] if r["status"] == "ok"]
    exact = sum(Fraction(r["lines_covered"], r["lines_valid"]) for r in ok) / len(ok)
    assert state["summary"]["avg_coverage"] == round(float(exact * 100), 2)
    for st in stores:
        fsck(st.path)
        # the views of every machine see the merged state, not one side's collection
        view = build_status(st, 80.0)
        assert sorted(r.name for r in view.rows) == list(REPOS)
        assert view.totals.avg_coverage == state["summary"]["avg_coverage"]
        newest = collections(st, Query(limit=1))[0].snapshot
        assert snapmod.to_dict(newest) == state
    return state


@pytest.mark.slow
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_runners_disjoint_and_overlapping_reach_one_state(
    tmp_path: Path, order: tuple[int, ...]
) -> None:
    cfg = _config(tmp_path)
    remote = S.make_remote(str(bare_remote(tmp_path / "remote.git")), env={})
    seed = _store(tmp_path, "seed", cfg)
    _collect(seed, cfg, "nightly", 0, dict.fromkeys(REPOS, 100))
    S.push(seed, remote, retention=4)
    runners = []
    for i in range(3):
        st = _store(tmp_path, f"r{i}", cfg)
        S.pull(st, remote, retention=4)
        runners.append(st)
    # r0 measures api+cli, r1 cli+docs (overlap on cli, later), r2 web (its lib report is
    # missing: lib stays carried from the nightly, with the reason)
    _collect(runners[0], cfg, "r0", 10, {"api": 150, "cli": 120})
    _collect(runners[1], cfg, "r1", 20, {"cli": 130, "docs": 170})
    _collect(runners[2], cfg, "r2", 30, {"web": 190, "lib": -1})
    for i in order:
        S.sync(runners[i], remote, retention=4)
    for i in order:  # a second round brings the early ones the later ones' work
        S.sync(runners[i], remote, retention=4)
    S.pull(seed, remote, retention=4)
    state = _check_same([seed, *runners])
    by = {r["name"]: r for r in state["repositories"]}  # type: ignore[attr-defined]
    assert by["cli"]["lines_covered"] == 130 and by["cli"]["host"] == "r1"  # the newest
    assert by["api"]["lines_covered"] == 150 and by["web"]["lines_covered"] == 190
    assert by["lib"]["carried"] and by["lib"]["last_error"] == "no coverage report found"
    assert by["lib"]["measured_at"] == "2026-03-01T00:00:00Z" and not by["lib"]["stale"]
    # lib is still missing four hours later: carried and now stale (max_age: 3h)
    _collect(runners[order[0]], cfg, "r2", 240, {"lib": -1})
    S.sync(runners[order[0]], remote, retention=4)
    for st in [seed, *runners]:
        S.pull(st, remote, retention=4)
    state = _check_same([seed, *runners])
    lib = next(r for r in state["repositories"] if r["name"] == "lib")  # type: ignore[attr-defined]
    assert lib["carried"] and lib["stale"] and state["summary"]["repos_stale"] >= 1  # type: ignore[index]


def test_two_runners_each_collect_their_own_repo(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    remote = S.make_remote(str(bare_remote(tmp_path / "remote.git")), env={})
    a, b = _store(tmp_path, "a", cfg), _store(tmp_path, "b", cfg)
    _collect(a, cfg, "a", 0, dict.fromkeys(REPOS, 100))
    S.push(a, remote, retention=4)
    S.pull(b, remote, retention=4)
    _collect(a, cfg, "a", 5, {"api": 180})
    _collect(b, cfg, "b", 6, {"web": 20})
    S.push(a, remote, retention=4)
    S.sync(b, remote, retention=4)  # b merges: the merge holds both measurements
    S.pull(a, remote, retention=4)
    state = _check_same([a, b])
    by = {r["name"]: r["lines_covered"] for r in state["repositories"]}  # type: ignore[attr-defined]
    assert by == {"api": 180, "cli": 100, "docs": 100, "lib": 100, "web": 20}
    assert "merge:" in git("log", "-1", "--format=%s", cwd=a.path)
    a.close()
    b.close()


def test_the_merged_state_does_not_depend_on_who_merges(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    one = snapmod.build(
        [_result("api", 10), _result("web", 20)], host="x", timestamp="2026-03-01T00:00:00Z"
    )
    two = snapmod.build([_result("api", 30)], host="y", timestamp="2026-03-01T00:00:00Z")
    policy = cfg.state_policy()
    ab, ba = snapmod.merge_states(one, two, policy), snapmod.merge_states(two, one, policy)
    assert snapmod.to_json(ab) == snapmod.to_json(ba)
    # a tie on measured_at is broken by the host, then the measurement's bytes
    assert ab.repo("api").lines_covered == 30  # type: ignore[union-attr]
