"""``report`` and ``trends`` read older collections as plain data: the same figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics.views import build_report, build_trends
from tests.conftest import inject, trailers
from tests.views.conftest import build_store, snapshot_number


def test_report_reads_the_history_beyond_its_window_as_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st = build_store(tmp_path / "metrics", count=3)
    bad = "snapshots/2026/11/metrics_20261103_120000_ci-1_0123456789.json"
    message = trailers(bad, Timestamp="2026-11-03T12:00:00Z")
    inject(st.path, {bad: b'{"schema_version": 1, "repositories": [{"no": "name"}]}\n'}, message)
    for i in (3, 4):
        st.commit_snapshot(snapshot_number(i), retention=2)
    narrow = build_report(st, 80.0, window=2)  # the bad one and the oldest read as data
    assert "skipped collection" in capsys.readouterr().err
    wide = build_report(st, 80.0, window=10)  # every one read whole
    assert "skipped collection" in capsys.readouterr().err
    st.close()
    assert narrow.collections == wide.collections == 5
    extremes = {r.name: (r.best, r.worst) for r in wide.rows}
    assert {r.name: (r.best, r.worst) for r in narrow.rows} == extremes
    assert extremes["beta"] == (90.0, 86.0) and extremes["alpha"] == (58.0, 50.0)
    assert narrow.window == 2 and len(narrow.trend_timestamps) == 2


def test_trends_read_all_but_the_newest_as_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st = build_store(tmp_path / "metrics", count=3)
    bad = "snapshots/2026/11/metrics_20261103_120000_ci-1_0123456789.json"
    message = trailers(bad, Timestamp="2026-11-03T12:00:00Z")
    inject(st.path, {bad: b'{"schema_version": 1, "timestamp": 3}\n'}, message)
    for i in (3, 4):
        st.commit_snapshot(snapshot_number(i), retention=2)
    view = build_trends(st, 80.0, days=30)
    st.close()
    assert "skipped collection" in capsys.readouterr().err
    assert view.collections == 5
    assert view.start == "2026-11-01T10:00:00Z" and view.end == "2026-11-05T10:00:00Z"
    rows = {r.name: r.values for r in view.rows}
    assert rows["beta"] == (90.0, 89.0, 88.0, 87.0, 86.0)
    assert rows["delta"] == (40.0, 40.0, 41.0, 42.0, 42.0)  # failed last: its measurement carried
    assert view.average.values[0] == snapshot_number(0).summary.avg_coverage
