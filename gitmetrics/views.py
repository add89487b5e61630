"""The data behind ``status``, ``report``, ``diff``, ``trends`` and ``history``.

Each ``build_*`` function reads collections from the store's git history (so snapshots
that retention pruned from the tree still count) and returns one frozen data structure;
renderers (terminal, JSON, markdown, CSV, HTML) only format it.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from gitmetrics import duration, percent, perfile, trends
from gitmetrics.duration import DAY
from gitmetrics.errors import StoreError, warn
from gitmetrics.history import (
    Collection,
    Components,
    Files,
    Query,
    collections,
    query,
    readable,
    stored_data,
)
from gitmetrics.perfile import FileChange
from gitmetrics.snapshot import (
    SCHEMA_VERSION,
    RepoResult,
    Snapshot,
    ages,
    parse_timestamp,
    summarize,
)

if TYPE_CHECKING:
    from gitmetrics.config import ComponentConfig
    from gitmetrics.store import HistoryEntry, Store


# --- reading collections ---------------------------------------------------------------


def entries(
    store: Store, *, limit: int | None = None, rev: str | None = None
) -> list[HistoryEntry]:
    """Collections newest first (commit trailers only), from ``rev`` (default: the head);
    ``StoreError`` on an empty store."""
    found = [c.entry for c in query(store, Query(limit=limit, rev=rev))]
    if not found:
        collections(store, Query(limit=1))  # the usual message for an empty store
    return found


def newest(store: Store, count: int) -> list[Collection]:
    """The newest ``count`` collections that can be read; ``StoreError`` when there is none."""
    found = list(itertools.islice(readable(query(store)), count))
    if not found:
        entries(store, limit=1)  # the usual message for an empty store
        raise StoreError(
            f"{store.path}: no collection in the metrics history can be read",
            "see the warnings above; run `gitmetrics collect` to add a readable one",
        )
    return found


def parse_when(text: str, now: datetime | None = None, *, end_of_day: bool = False) -> datetime:
    """A duration ago (``30m``, ``12h``, ``7d``, ``3mo``: see :mod:`gitmetrics.duration`),
    or an ISO date/time (UTC); ``StoreError`` otherwise.

    A bare date means its start, or its end with ``end_of_day`` (``--at 2026-11-01``
    includes collections made during that day).
    """
    now = now or datetime.now(UTC)
    value = text.strip()
    ago = duration.seconds(value)
    if ago is not None:
        return now - timedelta(seconds=ago)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise StoreError(
            f"{text!r} is not a date",
            f"use a duration ({duration.UNITS_HELP}: 30m, 12h, 7d, 3mo), "
            "a date (2026-11-01) or a time (2026-11-01T10:00:00Z)",
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def looks_like_date(text: str) -> bool:
    """True for ``7d``-style durations and ISO dates/times."""
    value = text.strip()
    return duration.seconds(value) is not None or bool(re.match(r"\d{4}-\d{2}-\d{2}", value))


def since(found: Sequence[HistoryEntry], cut: datetime) -> list[HistoryEntry]:
    """The entries at or after ``cut`` (newest first, as given)."""
    return [e for e in found if parse_timestamp(e.timestamp) >= cut]


def at_or_before(found: Sequence[HistoryEntry], when: datetime, spec: str) -> HistoryEntry:
    """The newest entry at or before ``when``; ``StoreError`` naming the oldest otherwise."""
    for e in found:  # newest first
        if parse_timestamp(e.timestamp) <= when:
            return e
    oldest = found[-1].timestamp if found else "none"
    raise StoreError(
        f"no collection at or before {spec} ({when:%Y-%m-%d %H:%M} UTC)",
        f"the oldest collection is from {oldest}",
    )


def resolve(
    store: Store, found: Sequence[HistoryEntry], spec: str, now: datetime | None = None
) -> HistoryEntry:
    """A collection named by a snapshot file name, a date or ``7d``, or a git revision."""
    text = spec.strip()
    if text.endswith(".json") or text.startswith(("metrics_", "snapshots/")):
        name = text if text.endswith(".json") else text + ".json"
        for e in found:
            if e.snapshot_path == name or e.snapshot_path.endswith("/" + name):
                return e
        raise StoreError(
            f"no snapshot named {spec!r} in the history of {store.path}",
            "list them with `gitmetrics history --all --json`",
        )
    if looks_like_date(text):
        return at_or_before(found, parse_when(text, now, end_of_day=True), spec)
    commit = store.find_commit(text)
    if commit is not None:
        by_commit = {e.commit: e for e in found}
        if commit in by_commit:
            return by_commit[commit]
        # a merge or a foreign commit: the collection it contains is its newest one
        newest = next(iter(store.history(limit=1, rev=commit)), None)
        if newest is not None:
            return newest
    raise StoreError(
        f"{spec!r} names no collection in {store.path}",
        "use a git revision (HEAD~1, a commit), a snapshot file name, or a date (2026-11-01, 7d)",
    )


# --- status ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleAverage:
    """The plain mean coverage of the measured repositories of one role."""

    role: str
    avg_coverage: float | None
    repos: int


@dataclass(frozen=True)
class Totals:
    """The summary line under a table."""

    repos: int
    avg_coverage: float | None
    weighted_coverage: float | None
    branch_coverage: float | None
    files: int
    #: status -> number of repositories, in :data:`trends.STATUS_ORDER` order
    counts: dict[str, int]
    roles: tuple[RoleAverage, ...]


@dataclass(frozen=True)
class StatusRow:
    """One repository in the newest snapshot."""

    name: str
    role: str
    status: str
    coverage: float | None
    branch_coverage: float | None
    files: int | None  # None: not recorded (imported)
    lines_covered: int | None
    lines_valid: int | None
    previous: float | None
    change: float | None
    error: str | None
    #: the report was older than the repo's HEAD commit when it was read
    stale_report: bool = False
    #: when its figures were measured (the state holds every repo's latest measurement)
    measured_at: str | None = None
    #: whole seconds from ``measured_at`` to the state's timestamp
    age: int | None = None
    #: not measured by the newest collection: kept from an earlier one
    carried: bool = False
    #: older than its ``max_age`` (repos.yaml)
    stale: bool = False


@dataclass(frozen=True)
class StatusView:
    """The newest snapshot against the one before it, worst first."""

    timestamp: str
    host: str
    commit: str
    snapshot_path: str
    previous_timestamp: str | None
    min_coverage: float
    rows: tuple[StatusRow, ...]
    totals: Totals


def _keep(r: RepoResult, names: Sequence[str], roles: Sequence[str]) -> bool:
    return (not names or r.name in names) and (not roles or r.role in roles)


def _exact_mean(results: Sequence[RepoResult]) -> float | None:
    """The plain mean of the repositories' coverage from their counts, unrounded (a display
    rounds it once: two roundings would show 71.0 for a repository whose row shows 71.1)."""
    found = percent.mean(x for x in map(percent.of, results) if x is not None)
    return None if found is None else float(found)


def totals(results: Sequence[RepoResult], statuses: Sequence[str]) -> Totals:
    """Mean, lines-weighted coverage, counts per status and mean per role."""
    s = summarize(results)
    counts = {k: sum(1 for x in statuses if x == k) for k in trends.STATUS_ORDER}
    roles = []
    for role in sorted({r.role for r in results}):
        measured = [r for r in results if r.role == role]
        roles.append(
            RoleAverage(
                role,
                _exact_mean(measured),
                len(measured),
            )
        )
    return Totals(
        repos=len(results),
        avg_coverage=s.avg_coverage,
        weighted_coverage=s.weighted_coverage,
        branch_coverage=s.branch_coverage,
        files=s.total_files_tested,
        counts=counts,
        roles=tuple(roles),
    )


def _sort_key(status: str, coverage: float | None, name: str) -> tuple[int, float, str]:
    return (trends.STATUS_ORDER.index(status), coverage if coverage is not None else 0.0, name)


def _filter_or_fail(snap: Snapshot, names: Sequence[str], roles: Sequence[str]) -> list[RepoResult]:
    kept = [r for r in snap.repositories if _keep(r, names, roles)]
    if not kept and (names or roles):
        known = sorted({r.name for r in snap.repositories})
        known_roles = sorted({r.role for r in snap.repositories})
        raise StoreError(
            "no repository in the newest snapshot matches "
            + " ".join([*(f"--repo {n}" for n in names), *(f"--role {r}" for r in roles)]),
            f"repos: {', '.join(known)}; roles: {', '.join(known_roles)}",
        )
    return kept


def build_status(
    store: Store,
    min_coverage: float,
    *,
    names: Sequence[str] = (),
    roles: Sequence[str] = (),
) -> StatusView:
    """The newest collection as a table, with the change since the one before it."""
    cols = newest(store, 2)
    latest = cols[0]
    prev = cols[1].snapshot if len(cols) > 1 else None
    kept = _filter_or_fail(latest.snapshot, names, roles)
    rows = status_rows(kept, prev, min_coverage, latest.snapshot.timestamp)
    return StatusView(
        timestamp=latest.snapshot.timestamp,
        host=latest.snapshot.host,
        commit=latest.entry.commit,
        snapshot_path=latest.entry.snapshot_path,
        previous_timestamp=prev.timestamp if prev is not None else None,
        min_coverage=min_coverage,
        rows=rows,
        totals=totals(kept, [x.status for x in rows]),
    )


def status_rows(
    results: Sequence[RepoResult],
    prev: Snapshot | None,
    min_coverage: float,
    at: str | None = None,
) -> tuple[StatusRow, ...]:
    """One row per result with its change since ``prev``, worst first (ages as of ``at``)."""
    rows = []
    for r in results:
        before = prev.repo(r.name) if prev is not None else None
        previous = before.coverage if before is not None and before.ok else None
        st = trends.status(r.coverage, min_coverage, ok=r.ok)
        rows.append(
            StatusRow(
                name=r.name,
                role=r.role,
                status=st,
                coverage=r.coverage if r.ok else None,
                branch_coverage=r.branch_coverage if r.ok else None,
                files=r.files_tested,
                lines_covered=r.lines_covered,
                lines_valid=r.lines_valid,
                previous=previous,
                change=trends.change(r.coverage if r.ok else None, previous),
                error=r.error or r.last_error,
                stale_report=r.stale_report,
                **ages(r, at),
            )
        )
    rows.sort(key=lambda x: _sort_key(x.status, x.coverage, x.name))
    return tuple(rows)


# --- report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """One repository: where it stands, where it was, its best and worst, its trend."""

    name: str
    role: str
    status: str
    current: float | None
    previous: float | None
    change: float | None
    best: float | None
    worst: float | None
    branch_coverage: float | None
    files: int | None  # None: not recorded (imported)
    #: coverage over the last ``window`` collections, oldest first (``None``: absent/error)
    trend: tuple[float | None, ...]
    sparkline: str
    slope_per_week: float | None
    error: str | None
    #: when its figures were measured (the state holds every repo's latest measurement)
    measured_at: str | None = None
    #: whole seconds from ``measured_at`` to the state's timestamp
    age: int | None = None
    #: not measured by the newest collection: kept from an earlier one
    carried: bool = False
    #: older than its ``max_age`` (repos.yaml)
    stale: bool = False


@dataclass(frozen=True)
class ReportView:
    """One report over the newest snapshot and the history before it."""

    timestamp: str
    host: str
    commit: str
    snapshot_path: str
    min_coverage: float
    collections: int
    window: int
    #: timestamps of the trend window, oldest first
    trend_timestamps: tuple[str, ...]
    #: the average coverage over the same window, oldest first
    average_trend: tuple[float | None, ...]
    rows: tuple[ReportRow, ...]
    totals: Totals


def _measured(cols: Sequence[Collection]) -> list[dict[str, float | None]]:
    """Per collection, each repository's coverage (``None``: failed), as
    :meth:`Snapshot.repo` finds it (the first of a name), one pass per snapshot."""
    return [
        {r.name: r.coverage if r.ok else None for r in reversed(c.snapshot.repositories)}
        for c in cols
    ]


@dataclass(frozen=True, slots=True)
class _Figures:
    """What a view over many collections takes of each: when, the average, and each
    repository's coverage (``None``: failed)."""

    timestamp: str
    avg: float | None
    measured: dict[str, float | None]


def _figures_of(c: Collection) -> _Figures:
    s = c.snapshot
    return _Figures(s.timestamp, s.summary.avg_coverage, _measured([c])[0])


def _number(value: Any) -> float | None:
    if value is not None and type(value) not in (int, float):
        raise TypeError
    return value  # type: ignore[no-any-return]


def _stored_figures(store: Store, c: Collection) -> _Figures | None:
    """:class:`_Figures` of one collection read as plain data, with no snapshot built;
    ``None`` (with a warning, as :func:`readable` gives) when it cannot be read."""
    where = f"{c.entry.snapshot_path}@{c.entry.commit[:10]}"
    data = stored_data(store, c.entry)
    try:
        if data is None:
            raise ValueError
        version = data["schema_version"]
        if type(version) is int and version > SCHEMA_VERSION:
            warn(
                f"skipped collection {c.entry.commit[:10]}: {where}: schema_version {version} "
                f"is newer than this gitmetrics understands ({SCHEMA_VERSION})"
            )
            return None
        measured: dict[str, float | None] = {}
        for r in reversed(data["repositories"]):
            measured[r["name"]] = _number(r.get("coverage")) if r["status"] == "ok" else None
        timestamp = data["timestamp"]
        parse_timestamp(timestamp)
        return _Figures(timestamp, _number(data["summary"]["avg_coverage"]), measured)
    except (KeyError, TypeError, ValueError, AttributeError):
        warn(
            f"skipped collection {c.entry.commit[:10]}: {where}: not a snapshot gitmetrics can read"
        )
        return None


def _series(measured: Sequence[dict[str, float | None]], name: str) -> list[float | None]:
    return [m.get(name) for m in measured]


def _points(
    whens: Sequence[datetime], measured: Sequence[dict[str, float | None]], name: str
) -> list[tuple[datetime, float | None]]:
    return list(zip(whens, _series(measured, name), strict=True))


def build_report(
    store: Store,
    min_coverage: float,
    *,
    window: int = 10,
    names: Sequence[str] = (),
    roles: Sequence[str] = (),
) -> ReportView:
    """The newest snapshot with, per repository, its history (best, worst, trend).

    The history is read once, newest first: the newest ``window`` collections whole, the
    older ones only for each repository's best and worst (no snapshot objects, nothing
    kept), so memory stays that of the window however long the history is.
    """
    recent: list[Collection] = []  # newest first
    highs: dict[str, float] = {}
    lows: dict[str, float] = {}
    count = 0
    for c in query(store):
        if len(recent) < max(window, 2):
            found = next(readable([c]), None)
            if found is None:
                continue
            recent.append(found)
            measured = _measured([found])[0]
        else:
            figures = _stored_figures(store, c)
            if figures is None:
                continue
            measured = figures.measured
        count += 1
        for name, value in measured.items():
            if value is not None:
                if value > highs.get(name, -1.0):
                    highs[name] = value
                if value < lows.get(name, 101.0):
                    lows[name] = value
    if not recent:
        collections(store)  # the usual message: no collection, or none readable
    cols = recent[::-1]  # oldest first
    latest = cols[-1]
    prev = cols[-2].snapshot if len(cols) > 1 else None
    recent = cols[-window:]
    kept = _filter_or_fail(latest.snapshot, names, roles)
    recent_measured = _measured(recent)
    recent_whens = [c.snapshot.when for c in recent]
    rows = []
    for r in kept:
        best, worst = highs.get(r.name), lows.get(r.name)
        before = prev.repo(r.name) if prev is not None else None
        previous = before.coverage if before is not None and before.ok else None
        current = r.coverage if r.ok else None
        line = trends.fit(_points(recent_whens, recent_measured, r.name))
        trend = tuple(_series(recent_measured, r.name))
        rows.append(
            ReportRow(
                name=r.name,
                role=r.role,
                status=trends.status(r.coverage, min_coverage, ok=r.ok),
                current=current,
                previous=previous,
                change=trends.change(current, previous),
                best=best,
                worst=worst,
                branch_coverage=r.branch_coverage if r.ok else None,
                files=r.files_tested,
                trend=trend,
                sparkline=trends.sparkline(trend),
                slope_per_week=None if line is None else round(line.slope_per_week, 2),
                error=r.error or r.last_error,
                **ages(r, latest.snapshot.timestamp),
            )
        )
    rows.sort(key=lambda x: _sort_key(x.status, x.current, x.name))
    return ReportView(
        timestamp=latest.snapshot.timestamp,
        host=latest.snapshot.host,
        commit=latest.entry.commit,
        snapshot_path=latest.entry.snapshot_path,
        min_coverage=min_coverage,
        collections=count,
        window=len(recent),
        trend_timestamps=tuple(c.snapshot.timestamp for c in recent),
        average_trend=tuple(c.snapshot.summary.avg_coverage for c in recent),
        rows=tuple(rows),
        totals=totals(kept, [x.status for x in rows]),
    )


# --- diff --------------------------------------------------------------------------------

CHANGED = "changed"
FAILED = "failed"
SAME = "same"
ADDED = "added"
REMOVED = "removed"


@dataclass(frozen=True)
class DiffEnd:
    """One side of a diff: which collection, and how it was asked for."""

    spec: str
    commit: str
    timestamp: str
    snapshot_path: str
    avg_coverage: float | None
    weighted_coverage: float | None


@dataclass(frozen=True)
class DiffRow:
    """One repository between two snapshots."""

    name: str
    role: str
    kind: str
    before: float | None
    after: float | None
    change: float | None
    branch_before: float | None
    branch_after: float | None
    status_before: str | None
    status_after: str | None
    #: when its figures were measured (the state holds every repo's latest measurement)
    measured_at: str | None = None
    #: whole seconds from ``measured_at`` to the newer side's timestamp
    age: int | None = None
    #: not measured by the newer side's collection: kept from an earlier one
    carried: bool = False
    #: older than its ``max_age`` (repos.yaml)
    stale: bool = False


@dataclass(frozen=True)
class DiffView:
    """Per-repository change from ``a`` to ``b``: failures, drops, rises, same, added, removed."""

    a: DiffEnd
    b: DiffEnd
    avg_change: float | None
    weighted_change: float | None
    rows: tuple[DiffRow, ...]
    counts: dict[str, int]
    #: with ``--files``: per repository, the files that moved (``files`` left out otherwise)
    files: tuple[RepoFiles, ...] | None = None


def _end(spec: str, c: Collection) -> DiffEnd:
    s = c.snapshot.summary
    return DiffEnd(
        spec,
        c.entry.commit,
        c.snapshot.timestamp,
        c.entry.snapshot_path,
        s.avg_coverage,
        s.weighted_coverage,
    )


def _one(store: Store, entry: HistoryEntry) -> Collection:
    """A collection named on the command line: an unreadable one is an error, not a skip."""
    found = Collection.at(store, entry)
    found.snapshot  # noqa: B018 - read it now: an error here names the side asked for
    return found


def build_diff(
    store: Store,
    a: str | None = None,
    b: str | None = None,
    *,
    now: datetime | None = None,
    files: bool = False,
) -> DiffView:
    """Compare two collections (default: the previous and the newest); with ``files``,
    their per-file detail too."""
    # a side named by the user is looked up in the whole history; the defaults need none of it
    found = entries(store) if a is not None or b is not None else []
    # the defaults are the newest two collections that can be read
    two = newest(store, 2) if a is None or b is None else []
    if a is None:
        if len(two) < 2:
            raise StoreError(
                f"{store.path}: only one collection so far; nothing to compare it with",
                "collect again later, or name two snapshots",
            )
        ca, spec_a = two[1], "previous"
    else:
        ca, spec_a = _one(store, resolve(store, found, a, now)), a
    if b is None:
        cb, spec_b = two[0], "latest"
    else:
        cb, spec_b = _one(store, resolve(store, found, b, now)), b
    rows = []
    names = sorted(
        {r.name for r in ca.snapshot.repositories} | {r.name for r in cb.snapshot.repositories}
    )
    for name in names:
        ra, rb = ca.snapshot.repo(name), cb.snapshot.repo(name)
        before = ra.coverage if ra is not None and ra.ok else None
        after = rb.coverage if rb is not None and rb.ok else None
        delta = trends.change(after, before)
        if ra is None:
            kind = ADDED
        elif rb is None:
            kind = REMOVED
        elif not rb.ok and ra.ok:
            kind = FAILED
        elif trends.direction(delta) == "same" or (delta is None and before == after):
            kind = SAME
        else:
            kind = CHANGED
        some = rb or ra
        assert some is not None
        rows.append(
            DiffRow(
                name=name,
                role=some.role,
                kind=kind,
                before=before,
                after=after,
                change=delta,
                branch_before=ra.branch_coverage if ra is not None and ra.ok else None,
                branch_after=rb.branch_coverage if rb is not None and rb.ok else None,
                status_before=None if ra is None else ("ok" if ra.ok else "error"),
                status_after=None if rb is None else ("ok" if rb.ok else "error"),
                **ages(rb, cb.snapshot.timestamp),
            )
        )
    order = {FAILED: 0, CHANGED: 1, SAME: 2, ADDED: 3, REMOVED: 4}
    rows.sort(key=lambda r: (order[r.kind], r.change if r.change is not None else 0.0, r.name))
    counts = {k: sum(1 for r in rows if r.kind == k) for k in order}
    sa, sb = ca.snapshot.summary, cb.snapshot.summary
    per_file = None
    if files:
        per_file = tuple(diff_files(store, ca, cb, [r.name for r in rows]))
    return DiffView(
        a=_end(spec_a, ca),
        b=_end(spec_b, cb),
        avg_change=trends.change(sb.avg_coverage, sa.avg_coverage),
        weighted_change=trends.change(sb.weighted_coverage, sa.weighted_coverage),
        rows=tuple(rows),
        counts=counts,
        files=per_file,
    )


@dataclass(frozen=True)
class RepoFiles:
    """One repository's files that moved between the two sides of a diff."""

    repo: str
    changes: tuple[FileChange, ...]
    #: why there is nothing to compare (no per-file detail on a side), else ``None``
    note: str | None = None


def diff_files(store: Store, a: Collection, b: Collection, names: Sequence[str]) -> list[RepoFiles]:
    """Per repository of ``names``, the files that moved from ``a`` to ``b`` (worst first)."""
    files = Files(store)
    out: list[RepoFiles] = []
    for name in names:
        fa, fb = files.of(a, name), files.of(b, name)
        if fa is None and fb is None:
            out.append(RepoFiles(name, (), "no per-file detail on either side"))
            continue
        if files.blob_id(a, name) == files.blob_id(b, name):
            out.append(RepoFiles(name, ()))
            continue
        moved = [ch for ch in perfile.compare(fa, fb) if ch.moved]
        moved.sort(key=lambda ch: (_ORDER[ch.kind], ch.change or 0.0, ch.path))
        note = None
        for side, c, found, shown in (("older", a, fa, "added"), ("newer", b, fb, "removed")):
            r = c.snapshot.repo(name)
            if found is None and r is not None and r.ok:
                note = f"no per-file detail on the {side} side: its files show as {shown}"
        out.append(RepoFiles(name, tuple(moved), note))
    return out


_ORDER = {perfile.CHANGED: 0, perfile.ADDED: 1, perfile.REMOVED: 2, perfile.SAME: 3}


# --- trends ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendRow:
    """One series (a repository, or the average) over the window."""

    name: str
    role: str
    timestamps: tuple[str, ...]
    values: tuple[float | None, ...]
    sparkline: str
    current: float | None
    change: float | None
    slope_per_week: float | None
    forecast: trends.Forecast | None
    #: when its figures were measured (the state holds every repo's latest measurement)
    measured_at: str | None = None
    #: whole seconds from ``measured_at`` to the state's timestamp
    age: int | None = None
    #: not measured by the newest collection: kept from an earlier one
    carried: bool = False
    #: older than its ``max_age`` (repos.yaml)
    stale: bool = False


@dataclass(frozen=True)
class TrendsView:
    """Every chosen repository's coverage over the last ``days`` days of collections."""

    start: str
    end: str
    days: int
    collections: int
    min_coverage: float
    forecast_days: int
    average: TrendRow
    rows: tuple[TrendRow, ...]
    #: one series per component of ``components:`` (repos.yaml)
    components: tuple[TrendRow, ...] = ()


def _trend_row(
    name: str,
    role: str,
    points: Sequence[tuple[datetime, float | None]],
    stamps: tuple[str, ...],
    min_coverage: float,
    forecast_days: int | None,
    age: dict[str, Any] | None = None,
) -> TrendRow:
    values = tuple(v for _, v in points)
    line = trends.fit(points)
    current = next((v for v in reversed(values) if v is not None), None)
    return TrendRow(
        name=name,
        role=role,
        timestamps=stamps,
        values=values,
        sparkline=trends.sparkline(values),
        current=current,
        change=trends.window_change(values),
        slope_per_week=None if line is None else round(line.slope_per_week, 2),
        forecast=None
        if forecast_days is None
        else trends.forecast(points, min_coverage, days=forecast_days),
        **(age or {}),
    )


def build_trends(
    store: Store,
    min_coverage: float,
    *,
    days: int = 30,
    names: Sequence[str] = (),
    roles: Sequence[str] = (),
    forecast_days: int | None = None,
    components: Sequence[ComponentConfig] = (),
) -> TrendsView:
    """Coverage of each repository (and each of ``components``) over the ``days`` up to
    the newest collection."""
    window = Query(seconds=days * DAY)
    latest: Snapshot | None = None
    cols: list[_Figures] = []  # newest first; the newest read whole, the others as data
    read: list[Collection] = []
    for c in query(store, window):
        if latest is None:
            found = next(readable([c]), None)
            if found is not None:
                latest = found.snapshot
                cols.append(_figures_of(found))
                read.append(found)
        elif (figures := _stored_figures(store, c)) is not None:
            cols.append(figures)
            read.append(c)
    if latest is None:
        collections(store, window)  # the usual message: no collection, or none readable
        raise AssertionError("unreachable")
    cols.reverse()  # oldest first
    kept = _filter_or_fail(latest, names, roles)
    stamps = tuple(f.timestamp for f in cols)
    measured = [f.measured for f in cols]
    whens = [parse_timestamp(f.timestamp) for f in cols]
    rows = [
        _trend_row(
            r.name,
            r.role,
            _points(whens, measured, r.name),
            stamps,
            min_coverage,
            forecast_days,
            ages(r, latest.timestamp),
        )
        for r in kept
    ]
    rows.sort(key=lambda x: (x.change if x.change is not None else 0.0, x.name))
    avg_points = [(when, f.avg) for when, f in zip(whens, cols, strict=True)]
    comp_rows: list[TrendRow] = []
    if components:
        reader = Components(store, components)
        present = [r.name for r in latest.repositories]
        read.reverse()
        for comp in components:
            series = [reader.one(c, comp, present).figures for c in read]
            points = [
                (when, None if f is None else f.coverage)
                for when, f in zip(whens, series, strict=True)
            ]
            comp_rows.append(
                _trend_row(comp.name, "component", points, stamps, comp.min_coverage
                           if comp.min_coverage is not None else min_coverage, forecast_days)
            )  # fmt: skip
    return TrendsView(
        components=tuple(comp_rows),
        start=stamps[0],
        end=stamps[-1],
        days=days,
        collections=len(cols),
        min_coverage=min_coverage,
        forecast_days=forecast_days or 0,
        average=_trend_row("average", "", avg_points, stamps, min_coverage, forecast_days),
        rows=tuple(rows),
    )


# --- history -----------------------------------------------------------------------------


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


# --- plain data --------------------------------------------------------------------------


def to_data(value: Any) -> Any:
    """A view as plain JSON data (dataclasses to objects, dates to ISO strings)."""
    if isinstance(value, trends.Forecast):
        out = {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out["crossing_text"] = value.crossing_text
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
