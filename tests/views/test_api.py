"""The application layer called directly: every result is frozen data, stores are closed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gitmetrics import api
from gitmetrics.errors import GitmetricsError
from gitmetrics.store import Store


def _frozen(value: object) -> None:
    assert dataclasses.is_dataclass(value)
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_views_return_frozen_data(known_store: Store) -> None:
    path = known_store.path
    status = api.status(store=path, min_coverage=60)
    assert [r.name for r in status.rows][:2] == ["delta", "alpha"]
    assert status.min_coverage == 60
    report = api.report(store=path, last=3)
    assert report.window == 3
    diff = api.diff(store=path)
    assert (diff.a.spec, diff.b.spec) == ("previous", "latest")
    trends = api.trends(store=path, days=2, forecast_days=30)
    assert trends.collections == 3
    rows = list(api.history(store=path, limit=2))
    assert [r.timestamp for r in rows] == ["2026-11-05T10:00:00Z", "2026-11-04T10:00:00Z"]
    for value in (status, report, diff, trends, rows[0]):
        _frozen(value)


def test_check_without_rules_is_a_user_error(
    known_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./repos.yaml
    with pytest.raises(GitmetricsError, match="no rules to check"):
        api.check(store=known_store.path)
    result = api.check(store=known_store.path, min_coverage=60)
    _frozen(result)
    assert {b.repo for b in result.breaches} == {"alpha", "delta"}  # delta is carried


def test_diff_takes_two_snapshots_at_most(known_store: Store) -> None:
    with pytest.raises(GitmetricsError, match="two snapshots at most"):
        api.diff("HEAD~2", "HEAD", since="2d", store=known_store.path)


def test_schema_and_gc(known_store: Store, tmp_path: Path) -> None:
    assert '"$schema"' in api.schema("snapshot")
    with pytest.raises(GitmetricsError, match="unknown schema"):
        api.schema("other")
    done = api.gc(store=known_store.path)
    _frozen(done)
    assert done.objects > 0
