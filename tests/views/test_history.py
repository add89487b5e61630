"""The one history reader: a query over commit trailers, snapshots read lazily and once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitmetrics import history
from gitmetrics.errors import StoreError
from gitmetrics.history import Collection, Query
from gitmetrics.store import Store, init
from tests.views.conftest import TIMESTAMPS, snapshot_number


def stamps(cols: list[Collection]) -> list[str]:
    return [c.entry.timestamp[:10] for c in cols]


def test_query_by_count_time_and_revision(known_store: Store) -> None:
    assert len(list(history.query(known_store))) == len(TIMESTAMPS)
    assert stamps(list(history.query(known_store, Query(limit=2)))) == ["2026-11-05", "2026-11-04"]
    # within two days of the newest collection, the newest included
    two_days = list(history.query(known_store, Query(seconds=2 * 86400)))
    assert stamps(two_days) == ["2026-11-05", "2026-11-04", "2026-11-03"]
    since = datetime(2026, 11, 4, tzinfo=UTC)
    assert stamps(list(history.query(known_store, Query(since=since)))) == [
        "2026-11-05",
        "2026-11-04",
    ]
    older = known_store.resolve("HEAD~3")
    assert stamps(list(history.query(known_store, Query(rev=older)))) == [
        "2026-11-02",
        "2026-11-01",
    ]


def test_a_snapshot_is_read_once_and_only_when_asked(
    known_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = known_store.snapshot_at
    monkeypatch.setattr(known_store, "snapshot_at", lambda e: reads.append(e.commit) or real(e))
    cols = list(history.query(known_store, Query(limit=3)))
    assert reads == []  # counting and dating need no blob
    assert cols[0].snapshot.timestamp == TIMESTAMPS[-1]
    assert cols[0].snapshot is cols[0].snapshot
    assert reads == [cols[0].entry.commit]


def test_unreadable_collections_are_skipped_with_a_warning(
    known_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = next(known_store.history(limit=1))

    def broken(entry: object) -> object:
        if entry == newest:
            raise StoreError("unreadable")
        return Store.snapshot_at(known_store, entry)  # type: ignore[arg-type]

    monkeypatch.setattr(known_store, "snapshot_at", broken)
    cols = history.collections(known_store)
    assert len(cols) == len(TIMESTAMPS) - 1
    assert cols[0].entry.timestamp == TIMESTAMPS[-2]


def test_an_empty_store_says_so(tmp_path: Path) -> None:
    st = init(tmp_path / "m")
    with pytest.raises(StoreError, match="no collections yet"):
        history.collections(st)
    st.close()


def test_a_snapshot_in_hand_is_a_collection() -> None:
    snap = snapshot_number(0)
    c = Collection.of(snap, "abc")
    assert (c.snapshot, c.commit, c.entry.timestamp) == (snap, "abc", TIMESTAMPS[0])
    assert Collection.of(snap).commit is None
