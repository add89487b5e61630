"""Thinning retention: which snapshot files stay in the tree, the same on every machine."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gitmetrics import config as configmod
from gitmetrics import store
from gitmetrics.errors import ConfigError
from gitmetrics.snapshot import Thinning, thinned
from gitmetrics.store import prune
from tests.conftest import make_snapshot, repo_result

POLICY = Thinning(all=7 * 86400, daily=90 * 86400, weekly=2 * 365 * 86400, monthly=None)


def _year_of_hourly() -> list[str]:
    start = datetime(2025, 1, 1)
    out = []
    for h in range(365 * 24):
        t = start + timedelta(hours=h)
        out.append(f"snapshots/{t:%Y}/{t:%m}/metrics_{t:%Y%m%d_%H%M%S}_ci_{h:010x}.json")
    return out


def test_a_year_of_hourly_collections_is_thinned_the_same_everywhere() -> None:
    paths = _year_of_hourly()
    kept = thinned(paths, POLICY)
    shuffled = paths[:]
    random.Random(7).shuffle(shuffled)
    assert thinned(shuffled, POLICY) == kept  # another machine, another order
    newest = max(paths)
    assert newest in kept
    last_week = [p for p in paths if p >= "snapshots/2025/12/metrics_20251224_230000"]
    assert set(last_week) <= kept  # `all` for 7 days
    # then one a day for 90 days, one a week for 2 years (here: the whole year)
    days = {p.rsplit("/", 1)[-1][8:16] for p in kept}
    assert len(days) >= 90
    assert len(kept) == len(last_week) + (90 - 7) + len(
        {p for p in kept if p < "snapshots/2025/10/metrics_20251002"}
    )
    # every kept file is the newest of its day, or inside the last week
    for p in kept - set(last_week):
        day = p.rsplit("/", 1)[-1][8:16]
        assert p == max(q for q in paths if q.rsplit("/", 1)[-1][8:16] == day)
    files = dict.fromkeys(paths, b"")
    gone = prune(files, POLICY)
    assert set(files) == kept and set(gone) == set(paths) - kept


def test_retention_in_repos_yaml(tmp_path: Path) -> None:
    text = "retention: {all: 7d, daily: 90d, weekly: 2y, monthly: forever}\nrepos: []\n"
    assert configmod.parse(text, tmp_path / "repos.yaml").retention == POLICY
    cfg = configmod.parse("retention: {daily: 30d}\nrepos: []\n", tmp_path / "repos.yaml")
    assert cfg.retention == Thinning(all=0, daily=30 * 86400, weekly=0, monthly=0)
    assert configmod.parse("retention: 5\nrepos: []\n", tmp_path / "r.yaml").retention == 5
    with pytest.raises(ConfigError, match=r"retention\.daily: 'often' is not a duration"):
        configmod.parse("retention: {daily: often}\nrepos: []\n", tmp_path / "repos.yaml")


def test_a_thinned_store_keeps_every_collection_in_history(store_dir: Path) -> None:
    st = store.init(store_dir)
    policy = Thinning(all=86400, daily=None, weekly=0, monthly=0)
    for day in range(1, 6):
        for hour in (8, 12, 16):
            snap = make_snapshot(day, [repo_result("api", 50 + day)], hour=hour)
            st.commit_snapshot(snap, retention=policy)
    in_tree = st.snapshot_paths(st.repo[st.head().encode()].tree)  # type: ignore[union-attr]
    # the last day whole (3), then the newest of each earlier day (4)
    assert len(in_tree) == 3 + 4
    assert len(list(st.history())) == 15  # history keeps every collection
    assert len(list(st.snapshots())) == 15  # and every one is still readable
    st.close()
