"""Shape a coverage history into the compact data the HTML dashboard draws (pure functions).

The page gets columns, not snapshots: one array of times, one array of average coverage,
and per repository one array of coverage in hundredths of a percent (``null`` where the
repository was absent or failed). Source commits change rarely, so they are stored as runs
``[first_index, commit]``. Everything about the newest snapshot of the window (cards,
table, errors) is given ready to show, with text formatted by :mod:`gitmetrics.render.fmt`
so the page reads exactly like the terminal views.

The columns are a :class:`Series`, built by appending collections oldest first. Its JSON
form (``dashboard/series.json`` in a store with ``dashboard: true``) keeps, besides the
columns, the exact figures of the first, previous and newest collection, which is all the
page needs beyond the newest snapshot itself: so the next commit appends one collection
instead of reading the whole history again, and gets the same bytes as a full rebuild.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gitmetrics.render import fmt
from gitmetrics.snapshot import RepoResult, Snapshot, parse_timestamp
from gitmetrics.trends import change

#: Version of the embedded data; the page refuses what it does not know.
DATA_VERSION = 1
#: Version of a :class:`Series` file; another version is rebuilt, never read.
SERIES_VERSION = 1
#: Below this (and below min_coverage) a repository "needs work".
FAIR_COVERAGE = 60.0
#: Digits of a source or metrics commit the page shows.
SHORT = 10


@dataclass(frozen=True)
class Point:
    """One collection of the history: its snapshot and, when known, its metrics commit.

    ``path`` (the snapshot's file in the store) orders collections made in the same second.
    """

    snapshot: Snapshot
    commit: str | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class _Compact:
    """What the columns keep of one collection (names, roles and sources are shared)."""

    when: datetime
    path: str
    timestamp: str
    commit: str | None
    avg: float | None
    names: tuple[str, ...]
    roles: tuple[str, ...]
    measured: tuple[float | None, ...]
    src: tuple[str | None, ...]

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.when, self.path)


def window(points: Sequence[Point], days: int | None) -> list[Point]:
    """The points (oldest first) within ``days`` of the newest one; all when ``days`` is None."""
    ordered = sorted(points, key=lambda p: (p.snapshot.when, p.path))
    if days is None or not ordered:
        return ordered
    start = ordered[-1].snapshot.when - timedelta(days=days)
    return [p for p in ordered if p.snapshot.when >= start]


def status_of(coverage: float | None, min_coverage: float) -> str:
    """``good`` (>= min_coverage), ``fair`` (>= 60), ``poor`` (needs work) or ``none``."""
    if coverage is None:
        return "none"
    if coverage >= min_coverage:
        return "good"
    if coverage >= FAIR_COVERAGE:
        return "fair"
    return "poor"


def _hundredths(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _measured(r: RepoResult | None) -> float | None:
    return r.coverage if r is not None and r.ok else None


def _short(commit: str | None) -> str | None:
    return None if commit is None else commit[:SHORT]


class _Shared:
    """Hands out one tuple for equal tuples in a row, so a long history stays small."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[Any, ...]] = {}

    def __call__(self, slot: int, value: tuple[Any, ...]) -> tuple[Any, ...]:
        before = self._last.get(slot)
        if before == value:
            return before
        self._last[slot] = value
        return value


def _compact(point: Point, shared: _Shared | None = None) -> _Compact:
    s = point.snapshot
    repos = s.repositories
    share = shared or _Shared()
    return _Compact(
        when=s.when,
        path=point.path,
        timestamp=s.timestamp,
        commit=_short(point.commit),
        avg=s.summary.avg_coverage,
        names=share(0, tuple(r.name for r in repos)),
        roles=share(1, tuple(r.role for r in repos)),
        measured=tuple(r.coverage if r.status == "ok" else None for r in repos),
        src=share(
            2, tuple(_short(r.source.commit) if r.source is not None else None for r in repos)
        ),
    )


def _figures(c: _Compact, measured: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"timestamp": c.timestamp, "avg": c.avg}
    if measured:
        out["measured"] = dict(zip(c.names, c.measured, strict=True))
    return out


class Series:
    """The dashboard's columns of a history, appended to oldest first."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.t: list[int] = []
        self.commit: list[str | None] = []
        self.avg: list[int | None] = []
        self.names: list[str] = []
        self.roles: list[str] = []
        self.cov: list[list[int | None]] = []
        self.src: list[list[list[Any]]] = []
        #: exact figures of the oldest, the one before the newest, and the newest collection
        self.first: dict[str, Any] | None = None
        self.prev: dict[str, Any] | None = None
        self.last: dict[str, Any] | None = None
        self._index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.t)

    def last_key(self) -> tuple[datetime, str] | None:
        """The order key of the newest collection (time, then snapshot path)."""
        if self.last is None:
            return None
        return (parse_timestamp(self.last["timestamp"]), self.paths[-1])

    def _add_name(self, name: str, points: int) -> None:
        at = bisect_left(self.names, name)
        self.names.insert(at, name)
        self.roles.insert(at, "")
        self.cov.insert(at, [None] * points)
        self.src.insert(at, [])
        self._index = {n: i for i, n in enumerate(self.names)}

    def append(self, c: _Compact) -> None:
        """Add a collection newer than every one in the series."""
        j = len(self.t)
        self.paths.append(c.path)
        self.t.append(int(c.when.timestamp()))
        self.commit.append(c.commit)
        self.avg.append(_hundredths(c.avg))
        for name in c.names:
            if name not in self._index:
                self._add_name(name, j)
        for column in self.cov:
            column.append(None)
        index = self._index
        for name, role, value, commit in zip(c.names, c.roles, c.measured, c.src, strict=True):
            i = index[name]
            self.roles[i] = role  # the newest role wins
            self.cov[i][j] = _hundredths(value)
            runs = self.src[i]
            if commit is not None and (not runs or runs[-1][1] != commit):
                runs.append([j, commit])
        if self.first is None:
            self.first = _figures(c, measured=False)
        self.prev = self.last
        self.last = _figures(c, measured=True)

    def columns(self) -> dict[str, Any]:
        """The ``series`` the page draws."""
        return {
            "t": self.t,
            "commit": self.commit,
            "avg": self.avg,
            "names": self.names,
            "roles": self.roles,
            "cov": self.cov,
            "src": self.src,
        }

    def to_json(self) -> bytes:
        """The series file: the columns, the snapshot paths, and the exact figures kept."""
        data = {
            "version": SERIES_VERSION,
            "paths": self.paths,
            **self.columns(),
            "first": self.first,
            "prev": self.prev,
            "last": self.last,
        }
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Series | None:
        """A series file read back; ``None`` for anything this version did not write."""
        try:
            raw = json.loads(data)
            series = cls._from(raw)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return series

    @classmethod
    def _from(cls, raw: Any) -> Series | None:
        if not isinstance(raw, dict) or raw.get("version") != SERIES_VERSION:
            return None
        s = cls()
        s.paths, s.t, s.commit, s.avg = raw["paths"], raw["t"], raw["commit"], raw["avg"]
        s.names, s.roles, s.cov, s.src = raw["names"], raw["roles"], raw["cov"], raw["src"]
        s.first, s.prev, s.last = raw["first"], raw["prev"], raw["last"]
        n = len(s.t)
        if not n or not all(isinstance(v, list) for v in (s.paths, s.commit, s.avg)):
            return None
        if not (len(s.paths) == len(s.commit) == len(s.avg) == n):
            return None
        if not (len(s.names) == len(s.roles) == len(s.cov) == len(s.src)):
            return None
        if s.names != sorted(set(s.names)) or not all(
            isinstance(x, str) for x in (*s.names, *s.roles, *s.paths)
        ):
            return None
        if not all(type(x) is int for x in s.t) or not all(
            x is None or isinstance(x, str) for x in s.commit
        ):
            return None
        ints = (*s.avg, *(v for col in s.cov for v in col))
        if any(len(col) != n for col in s.cov) or not all(
            x is None or type(x) is int for x in ints
        ):
            return None
        for runs in s.src:
            for j, commit in runs:
                if type(j) is not int or not isinstance(commit, str):
                    return None
        for part in (s.first, s.last) + ((s.prev,) if n > 1 else ()):
            if not isinstance(part, dict) or not isinstance(part["timestamp"], str):
                return None
        if not isinstance(s.last, dict) or not isinstance(s.last["measured"], dict):
            return None
        if n > 1 and not isinstance(s.prev["measured"], dict):
            return None
        parse_timestamp(s.last["timestamp"])
        s._index = {name: i for i, name in enumerate(s.names)}
        return s


def series(points: Iterable[Point], days: int | None = None) -> tuple[Series, Point]:
    """The columns of a history (any order) and its newest point, read once each.

    Only the newest snapshot is kept whole; the others are reduced to what the columns
    need as they arrive, so a long history costs its columns, not its snapshots.
    """
    shared = _Shared()
    kept: list[_Compact] = []
    newest: Point | None = None
    newest_key: tuple[datetime, str] | None = None
    for p in points:
        c = _compact(p, shared)
        kept.append(c)
        if newest_key is None or c.key > newest_key:
            newest, newest_key = p, c.key
    if newest is None or newest_key is None:
        raise ValueError("a dashboard needs at least one snapshot")
    kept.sort(key=lambda c: c.key)
    if days is not None:
        start = newest_key[0] - timedelta(days=days)
        kept = [c for c in kept if c.when >= start]
    out = Series()
    for c in kept:
        out.append(c)
    return out, newest


def extend(s: Series, point: Point) -> None:
    """Append a collection newer than every one in ``s``."""
    s.append(_compact(point))


def build(
    points: Iterable[Point],
    *,
    min_coverage: float = 80.0,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
) -> dict[str, Any]:
    """The dashboard data of a history (any order): columns for charts, rows for the table."""
    cols, newest = series(points, days)
    return page_data(cols, newest, min_coverage=min_coverage, days=days, generated=generated, at=at)


def page_data(
    s: Series,
    newest: Point,
    *,
    min_coverage: float = 80.0,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
) -> dict[str, Any]:
    """The page's data: the columns of ``s`` and the cards and rows of its newest point."""
    last = newest.snapshot
    if s.last is None or s.first is None or s.last["timestamp"] != last.timestamp:
        raise ValueError("the newest point is not the newest collection of the series")
    prev = s.prev
    prev_measured: dict[str, Any] = prev["measured"] if prev is not None else {}

    summary = last.summary
    avg_prev = prev["avg"] if prev is not None else None
    d_prev = change(summary.avg_coverage, avg_prev)
    d_window = change(summary.avg_coverage, s.first["avg"]) if prev else None
    cards = [
        _card("Average coverage", fmt.pct(summary.avg_coverage), "mean over repositories"),
        _card(
            "Lines-weighted",
            fmt.pct(summary.weighted_coverage),
            f"{summary.lines_covered:,} of {summary.lines_valid:,} lines",
        ),
        _card(
            "Repositories",
            str(summary.repos_count),
            f"{summary.repos_ok} measured, {summary.repos_failed} failed",
        ),
        _card("Files", f"{summary.total_files_tested:,}", "tested files"),
        _card(
            "Since previous",
            fmt.trend_text(d_prev),
            "no earlier snapshot" if prev is None else f"vs {fmt.short_time(prev['timestamp'])}",
            trend=d_prev,
        ),
        _card(
            "Over the window",
            fmt.trend_text(d_window),
            f"{len(s)} snapshots since {fmt.short_time(s.first['timestamp'])}",
            trend=d_window,
        ),
    ]

    rows = []
    for r in last.repositories:
        before = prev_measured.get(r.name)
        delta = change(_measured(r), before)
        rows.append(
            {
                "name": r.name,
                "role": r.role,
                "status": r.status,
                "coverage": _measured(r),
                "coverage_text": fmt.pct(_measured(r)) if r.ok else "error",
                "branch": r.branch_coverage if r.ok else None,
                "branch_text": fmt.pct(r.branch_coverage) if r.ok else "-",
                "files": r.files_tested if r.ok else None,
                "change": delta,
                "change_text": fmt.trend_text(delta),
                "level": status_of(_measured(r), min_coverage) if r.ok else "error",
                "commit": (r.source.commit or "") if r.source is not None else "",
                "error": r.error if not r.ok else None,
            }
        )

    by_role: dict[str, list[float]] = {}
    for r in last.repositories:
        value = _measured(r)
        if value is not None:
            by_role.setdefault(r.role, []).append(value)
    role_avgs = [
        {
            "role": role,
            "count": len(values),
            "avg": round(sum(values) / len(values), 2),
            "avg_text": fmt.pct(round(sum(values) / len(values), 2)),
            "level": status_of(round(sum(values) / len(values), 2), min_coverage),
        }
        for role, values in sorted(by_role.items())
    ]

    return {
        "version": DATA_VERSION,
        "generated": generated,
        "at": at,
        "min_coverage": min_coverage,
        "fair_coverage": FAIR_COVERAGE,
        "days": days,
        "last": {"timestamp": last.timestamp, "host": last.host, "commit": newest.commit},
        "cards": cards,
        "series": s.columns(),
        "rows": rows,
        "roles": role_avgs,
        "errors": [{"name": r["name"], "error": r["error"]} for r in rows if r["error"]],
    }


def _card(title: str, value: str, note: str, trend: float | None = None) -> dict[str, Any]:
    from gitmetrics.trends import direction

    return {"title": title, "value": value, "note": note, "trend": direction(trend)}
