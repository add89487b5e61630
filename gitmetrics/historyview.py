"""``history``: one row per collection, for the whole store, one repository or one role,
streamed as the collections are read (this module imports no other view)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gitmetrics import trends
from gitmetrics.errors import StoreError
from gitmetrics.history import Collection, entries, parse_when, readable, since
from gitmetrics.timestamps import parse_timestamp

if TYPE_CHECKING:
    from gitmetrics.store import HistoryEntry, Store


@dataclass(frozen=True)
class HistoryRow:
    """One collection in ``history``: the whole store, one repository, or one role."""

    commit: str
    timestamp: str
    snapshot: str
    host: str
    #: the mean coverage of the collection, the repository or the role
    avg_coverage: float | None
    weighted_coverage: float | None
    branch_coverage: float | None
    repos: int
    failed: int
    files: int
    status: str | None
    change: float | None
    #: repositories the collection measured (``None``: all of them, a schema-1 collection);
    #: the figures are the state's after it
    measured: int | None = None
    #: repositories of the state it carried from earlier collections
    carried: int = 0
    #: repositories of the state older than their ``max_age``
    stale: int = 0


def select_entries(
    store: Store,
    *,
    limit: int | None,
    since_text: str | None = None,
    now: datetime | None = None,
    rev: str | None = None,
) -> list[HistoryEntry]:
    """Newest first: all collections since ``since_text``, at most ``limit`` (+1 for the change),
    from ``rev`` (default: the head)."""
    found = entries(store, limit=None if (limit is None or since_text) else limit + 1, rev=rev)
    if since_text:
        cut = parse_when(since_text, now)
        older = [e for e in found if parse_timestamp(e.timestamp) < cut][:1]
        found = since(found, cut) + older
        if len(found) == len(older):
            raise StoreError(
                f"no collection since {since_text} ({cut:%Y-%m-%d %H:%M} UTC)",
                f"the newest collection is from {entries(store, limit=1)[0].timestamp}",
            )
    if limit is not None:
        found = found[: limit + 1]
    return found


def build_history(store: Store, **options: Any) -> list[HistoryRow]:
    """:func:`iter_history` as a list."""
    return list(iter_history(store, **options))


def iter_history(
    store: Store,
    *,
    limit: int | None = 10,
    since_text: str | None = None,
    name: str | None = None,
    role: str | None = None,
    now: datetime | None = None,
    rev: str | None = None,
) -> Iterator[HistoryRow]:
    """:func:`build_history` row by row: each is yielded once the next older one is read."""
    found = select_entries(store, limit=limit, since_text=since_text, now=now, rev=rev)
    cut = parse_when(since_text, now) if since_text else None
    shown = len(found) if limit is None else min(limit, len(found))
    if cut is not None:
        shown = min(shown, len(since(found, cut)))
    if name is None and role is None:
        rows = (_entry_row(e) for e in found)
    else:
        rows = (
            _history_row(c, name, role) for c in readable(Collection.at(store, e) for e in found)
        )
    pending: list[HistoryRow] = []  # rows waiting for the next older one that has data
    done = 0
    for r in rows:
        if r.repos:
            for p in pending:
                if done == shown:
                    return
                yield _with_change(p, trends.change(p.avg_coverage, r.avg_coverage))
                done += 1
            pending = []
        pending.append(r)
    if done == 0 and (name is not None or role is not None) and not any(p.repos for p in pending):
        what = f"repository {name!r}" if name is not None else f"role {role!r}"
        raise StoreError(
            f"{what} appears in none of these collections",
            "check the name with `gitmetrics status`",
        )
    for p in pending[: shown - done]:
        yield p


def _with_change(r: HistoryRow, change: float | None) -> HistoryRow:
    """``r`` with its change (``dataclasses.replace``, without its per-call field lookups)."""
    return HistoryRow(
        r.commit,
        r.timestamp,
        r.snapshot,
        r.host,
        r.avg_coverage,
        r.weighted_coverage,
        r.branch_coverage,
        r.repos,
        r.failed,
        r.files,
        r.status,
        change,
        r.measured,
        r.carried,
        r.stale,
    )


def _entry_row(e: HistoryEntry) -> HistoryRow:
    return HistoryRow(
        e.commit,
        e.timestamp,
        e.snapshot_path,
        e.host,
        e.avg_coverage,
        e.weighted_coverage,
        e.branch_coverage,
        e.repos,
        e.failed,
        e.files,
        None,
        None,
        e.measured,
        e.carried,
        e.stale,
    )


def _history_row(c: Collection, name: str | None, role: str | None) -> HistoryRow:
    from gitmetrics.snapshot import summarize  # the store-wide rows need no snapshot model

    e, snap = c.entry, c.snapshot
    chosen = [
        r
        for r in snap.repositories
        if (name is None or r.name == name) and (role is None or r.role == role)
    ]
    s = summarize(chosen)
    st = None
    if name is not None:
        st = "absent" if not chosen else chosen[0].status
    return HistoryRow(
        commit=e.commit,
        timestamp=e.timestamp,
        snapshot=e.snapshot_path,
        host=e.host,
        avg_coverage=s.avg_coverage,
        weighted_coverage=s.weighted_coverage,
        branch_coverage=s.branch_coverage,
        repos=s.repos_count,
        failed=s.repos_failed,
        files=s.total_files_tested,
        status=st,
        change=None,
        measured=sum(1 for r in chosen if not r.carried) if snap.measured is not None else None,
        carried=sum(1 for r in chosen if r.carried),
        stale=sum(1 for r in chosen if r.stale),
    )
