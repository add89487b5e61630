"""The data behind ``status``, ``report``, ``diff``, ``trends`` and ``history``.

Each ``build_*`` function reads collections from the store's git history (so snapshots
that retention pruned from the tree still count) and returns one frozen data structure;
renderers (terminal, JSON, markdown, CSV, HTML) only format it.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from gitmetrics import percent, perfile, trends
from gitmetrics.duration import DAY
from gitmetrics.errors import StoreError, warn
from gitmetrics.history import (
    Collection,
    Components,
    Files,
    Query,
    collections,
    entries,
    named_collection,
    newest,
    query,
    readable,
    resolve,
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
    from gitmetrics.store import Store


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
    found = Counter(statuses)
    counts = {k: found[k] for k in trends.STATUS_ORDER}
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
    """The newest collection as a table, with the change since the one before it.

    Of the one before, only each repository's coverage is read, as plain data: no
    :class:`Snapshot` is built for it."""
    found = query(store)
    latest = next(readable(found), None)
    if latest is None:
        latest = newest(store, 1)[0]  # raises: the message for a store with nothing readable
    prev = next(filter(None, (_stored_figures(store, c, newest=True) for c in found)), None)
    kept = _filter_or_fail(latest.snapshot, names, roles)
    rows = status_rows(
        kept, None if prev is None else prev.measured, min_coverage, latest.snapshot.timestamp
    )
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
    previous: Mapping[str, float | None] | None,
    min_coverage: float,
    at: str | None = None,
) -> tuple[StatusRow, ...]:
    """One row per result with its change since ``previous`` (each repository's coverage
    in the collection before, ``None``: failed; see :func:`coverage_by_name`), worst
    first (ages as of ``at``)."""
    rows = []
    earlier = previous or {}
    for r in results:
        previous_coverage = earlier.get(r.name)
        ok = r.ok
        coverage = r.coverage if ok else None
        rows.append(
            StatusRow(
                name=r.name,
                role=r.role,
                status=trends.status(r.coverage, min_coverage, ok=ok),
                coverage=coverage,
                branch_coverage=r.branch_coverage if ok else None,
                files=r.files_tested,
                lines_covered=r.lines_covered,
                lines_valid=r.lines_valid,
                previous=previous_coverage,
                change=trends.change(coverage, previous_coverage),
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


def coverage_by_name(snap: Snapshot) -> dict[str, float | None]:
    """Each repository's coverage in ``snap`` (``None``: failed), as :meth:`Snapshot.repo`
    finds it (the first of a name), in one pass."""
    return {r.name: r.coverage if r.ok else None for r in reversed(snap.repositories)}


def _measured(cols: Sequence[Collection]) -> list[dict[str, float | None]]:
    """Per collection, :func:`coverage_by_name` of its snapshot."""
    return [coverage_by_name(c.snapshot) for c in cols]


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


#: The store's local cache of each older collection's :class:`_Figures` (see
#: :mod:`gitmetrics.store.cache`): ``trends`` and ``report`` read a line per collection
#: instead of its snapshot.
FIGURES_CACHE = "figures"


#: The same for the newest collections alone (as many as the store keeps the snapshots
#: of): ``status`` reads the one before the newest from this small file.
NEWEST_FIGURES_CACHE = "newest-figures"


def _stored_figures(store: Store, c: Collection, *, newest: bool = False) -> _Figures | None:
    """:class:`_Figures` of one collection, from the store's cache (with ``newest``, the
    small one of the newest collections) or read as plain data with no snapshot built;
    ``None`` (with a warning, as :func:`readable` gives) when it cannot be read. The
    caches are written when the store is closed."""
    from gitmetrics.store.repo import NEWEST_KEPT

    cache = (
        store.cache(NEWEST_FIGURES_CACHE, keep=NEWEST_KEPT)
        if newest
        else store.cache(FIGURES_CACHE)
    )
    line = cache.get(c.entry.commit)
    if line is not None and (figures := _cached_figures(line)) is not None:
        return figures
    figures = _read_figures(store, c)
    if figures is not None:
        text = json.dumps([figures.timestamp, figures.avg, figures.measured], separators=(",", ":"))
        cache.put(c.entry.commit, text.encode())
    return figures


_NUMBERS = frozenset({int, float, type(None)})


def _cached_figures(line: bytes) -> _Figures | None:
    """A cache line back as :class:`_Figures`; ``None`` for anything else (a miss)."""
    try:
        timestamp, avg, measured = json.loads(line)
        if type(timestamp) is not str or type(measured) is not dict:
            raise TypeError
        parse_timestamp(timestamp)
        if not _NUMBERS.issuperset(map(type, measured.values())):
            raise TypeError
        return _Figures(timestamp, _number(avg), measured)
    except (TypeError, ValueError):
        return None


def _read_figures(store: Store, c: Collection) -> _Figures | None:
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
            name = r["name"]
            if type(name) is not str:
                raise TypeError
            measured[name] = _number(r.get("coverage")) if r["status"] == "ok" else None
        timestamp = data["timestamp"]
        if type(timestamp) is not str:
            raise TypeError
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
    store.cache(FIGURES_CACHE).flush()
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
        ca, spec_a = named_collection(store, resolve(store, found, a, now)), a
    if b is None:
        cb, spec_b = two[0], "latest"
    else:
        cb, spec_b = named_collection(store, resolve(store, found, b, now)), b
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
    kinds = Counter(r.kind for r in rows)
    counts = {k: kinds[k] for k in order}
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
    store.cache(FIGURES_CACHE).flush()
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
