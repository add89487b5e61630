"""Shape a coverage history into the compact data the HTML dashboard draws (pure functions).

The page gets columns, not snapshots: one array of times, one array of average coverage,
and per repository its coverage in hundredths of a percent (``null`` where the repository
was absent or failed) as runs, ``[value, count, value, count, ...]``: most collections leave
most repositories unchanged, so the runs are a third of the values' size, and the page a
commit rewrites shrinks with them. Source commits change rarely, so they are stored as runs
too, ``[first index, commit, first index, commit, ...]``. Everything about the newest snapshot of the window (cards,
table, errors) is given ready to show, with text formatted by :mod:`gitmetrics.render.fmt`
so the page reads exactly like the terminal views.

The columns are a :class:`Series`, built by appending collections oldest first. The page
also carries (under ``store``) the exact figures of the first, previous and newest
collection, which is all a page needs beyond the newest snapshot itself: so the next commit
of a store with ``dashboard: true`` reads the columns back from the page it replaces and
appends one collection, instead of reading the whole history again, and gets the same
bytes as a full rebuild.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, pairwise
from operator import itemgetter
from typing import Any

from gitmetrics import perfile
from gitmetrics import snapshot as snapmod
from gitmetrics.errors import SnapshotError, warn
from gitmetrics.history import Collection
from gitmetrics.render import fmt
from gitmetrics.snapshot import FileDetail, RepoResult, ages, parse_timestamp
from gitmetrics.trends import change

#: Version of the embedded data; the page refuses what it does not know (2: runs in ``cov``).
DATA_VERSION = 2
#: Version of a :class:`Series` file; another version is rebuilt, never read.
SERIES_VERSION = 2
#: Below this (and below min_coverage) a repository "needs work".
FAIR_COVERAGE = 60.0
#: Digits of a source or metrics commit the page shows.
SHORT = 10
#: At most this many files of one repository are embedded in the page (those with the
#: most missed lines first; the page says how many were left out) ...
MAX_FILES = 2_000
#: ... and at most this many over all repositories, shared out in the order of the table.
MAX_FILES_TOTAL = 50_000


@dataclass(frozen=True)
class Stored:
    """One collection as the store holds it: its snapshot file's data, commit and path.

    Read from the store's own history, so trusted: only the newest one of a history is
    turned into a :class:`Snapshot`; the others give their figures straight from the data.
    """

    data: Mapping[str, Any]
    commit: str | None = None
    path: str = ""

    def collection(self) -> Collection:
        """The collection with its whole snapshot."""
        return Collection.of(snapmod.from_dict(self.data), self.commit, self.path)


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
    #: coverage per repository, NaN where it was not measured
    measured: array[float]
    src: tuple[str | None, ...]

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.when, self.path)

    def values(self) -> Iterator[float | None]:
        return (None if v != v else v for v in self.measured)


def status_of(coverage: float | None, min_coverage: float) -> str:
    """``good`` (>= min_coverage), ``fair`` (>= 60), ``poor`` (needs work) or ``none``."""
    if coverage is None:
        return "none"
    if coverage >= min_coverage:
        return "good"
    if coverage >= FAIR_COVERAGE:
        return "fair"
    return "poor"


#: 0.00% to 100.00% in hundredths, so a long history shares one int object per value
_INTS = list(range(10_001))


def _hundredths(value: float | None) -> int | None:
    if value is None:
        return None
    k = round(value * 100)
    return _INTS[k] if 0 <= k <= 10_000 else k


def _measured(r: RepoResult | None) -> float | None:
    return r.coverage if r is not None and r.ok else None


def _short(commit: str | None) -> str | None:
    return None if commit is None else commit[:SHORT]


class _Shared:
    """Hands out one object for equal tuples in a row and for equal strings, so a long
    history costs its distinct values, not one copy per collection."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[Any, ...]] = {}
        self._text: dict[str, str] = {}

    def row(self, slot: int, value: tuple[Any, ...]) -> tuple[Any, ...]:
        before = self._last.get(slot)
        if before == value:
            return before
        self._last[slot] = value
        return value

    def short(self, commit: str | None) -> str | None:
        """``commit`` shortened as the page shows it, one string per distinct commit."""
        if commit is None:
            return None
        short = commit[:SHORT]
        return self._text.setdefault(short, short)


_NAN = float("nan")
_NAME = itemgetter("name")
_ROLE = itemgetter("role")


def _compact(point: Collection | Stored, share: _Shared) -> _Compact:
    if isinstance(point, Stored):
        return _compact_data(point, share)
    s = point.snapshot
    repos = s.repositories
    return _Compact(
        when=s.when,
        path=point.path,
        timestamp=s.timestamp,
        commit=_short(point.commit),
        avg=None if s.summary.avg_coverage is None else float(s.summary.avg_coverage),
        names=share.row(0, tuple(r.name for r in repos)),
        roles=share.row(1, tuple(r.role for r in repos)),
        measured=array(
            "d", (_NAN if r.coverage is None or r.status != "ok" else r.coverage for r in repos)
        ),
        src=share.row(
            2,
            tuple(share.short(r.source.commit) if r.source is not None else None for r in repos),
        ),
    )


def _compact_data(point: Stored, share: _Shared) -> _Compact:
    d = point.data
    version = d.get("schema_version")
    if type(version) is not int:
        raise KeyError("schema_version")
    if version > snapmod.SCHEMA_VERSION:
        raise SnapshotError(
            f"{point.path}@{(point.commit or '')[:10]}: schema_version {version} is newer "
            f"than this gitmetrics understands ({snapmod.SCHEMA_VERSION})",
            "upgrade gitmetrics: pip install -U gitmetrics",
        )
    repos = d["repositories"]
    avg = d["summary"]["avg_coverage"]
    short = share.short
    return _Compact(
        when=parse_timestamp(d["timestamp"]),
        path=point.path,
        timestamp=d["timestamp"],
        commit=_short(point.commit),
        avg=None if avg is None else float(avg),
        names=share.row(0, tuple(map(_NAME, repos))),
        roles=share.row(1, tuple(map(_ROLE, repos))),
        measured=array(
            "d",
            [_NAN if r["status"] != "ok" or (v := r.get("coverage")) is None else v for r in repos],
        ),
        src=share.row(
            2,
            tuple([None if (g := r.get("source")) is None else short(g["commit"]) for r in repos]),
        ),
    )


_Figures = dict[str, Any] | _Compact | None


def _figures(c: _Figures, measured: bool) -> dict[str, Any] | None:
    if not isinstance(c, _Compact):
        return c
    out: dict[str, Any] = {"timestamp": c.timestamp, "avg": c.avg}
    if measured:
        out["measured"] = dict(zip(c.names, c.values(), strict=True))
    return out


def _only(values: Iterable[Any], *types: type) -> bool:
    """True when every value is exactly of one of ``types`` (``bool`` is not an ``int``)."""
    return set(map(type, values)) <= set(types)


class Series:
    """The dashboard's columns of a history, appended to oldest first."""

    def __init__(self) -> None:
        #: the snapshot path of the newest collection (orders those of the same second)
        self.last_path = ""
        self.t: list[int] = []
        self.commit: list[str | None] = []
        self.avg: list[int | None] = []
        self.names: list[str] = []
        self.roles: list[str] = []
        #: per repository, its values as runs: ``[value, count, value, count, ...]``
        self.cov: list[list[int | None]] = []
        #: per repository, its source commits as runs: ``[first index, commit, ...]``
        self.src: list[list[Any]] = []
        # the oldest, the one before the newest, and the newest collection, whose exact
        # figures are kept (as read from a series file, or the collection itself)
        self._first: _Figures = None
        self._prev: _Figures = None
        self._last: _Figures = None
        self._index: dict[str, int] = {}
        # the names and roles of the collection appended last, and where its names are
        self._names: tuple[str, ...] = ()
        self._roles: tuple[str, ...] = ()
        self._at: list[int] = []
        self._absent: list[list[int | None]] = []
        self._src: tuple[str | None, ...] = ()

    @property
    def first(self) -> dict[str, Any] | None:
        """Time and exact average of the oldest collection."""
        return _figures(self._first, measured=False)

    @property
    def prev(self) -> dict[str, Any] | None:
        """Time, exact average and coverage per repository of the one before the newest."""
        return _figures(self._prev, measured=True)

    @property
    def last(self) -> dict[str, Any] | None:
        """Time, exact average and coverage per repository of the newest collection."""
        return _figures(self._last, measured=True)

    def __len__(self) -> int:
        return len(self.t)

    def last_key(self) -> tuple[datetime, str] | None:
        """The order key of the newest collection (time, then snapshot path)."""
        last = self.last
        if last is None:
            return None
        return (parse_timestamp(last["timestamp"]), self.last_path)

    def _add_name(self, name: str, points: int) -> None:
        at = bisect_left(self.names, name)
        self.names.insert(at, name)
        self.roles.insert(at, "")
        self.cov.insert(at, [None, points] if points else [])
        self.src.insert(at, [])
        self._index = {n: i for i, n in enumerate(self.names)}
        self._names = ()  # where each name is has moved

    def append(self, c: _Compact) -> None:
        """Add a collection newer than every one in the series."""
        j = len(self.t)
        self.last_path = c.path
        self.t.append(int(c.when.timestamp()))
        self.commit.append(c.commit)
        self.avg.append(_hundredths(c.avg))
        if c.names is not self._names:  # usually the very tuple of the collection before
            for name in c.names:
                if name not in self._index:
                    self._add_name(name, j)
            self._at = [self._index[name] for name in c.names]
            present = set(self._at)
            self._absent = [col for i, col in enumerate(self.cov) if i not in present]
            self._names, self._roles, self._src = c.names, (), ()
        at, cov = self._at, self.cov
        for column in self._absent:
            _extend(column, None)
        if len(at) != len(set(at)):  # a name twice: the later figure wins, as before
            once = dict(zip(at, c.measured, strict=True))
            pairs: Iterable[tuple[int, float]] = once.items()
        else:
            pairs = zip(at, c.measured, strict=True)
        for i, value in pairs:
            if value != value:  # NaN: not measured
                _extend(cov[i], None)
            else:
                k = round(value * 100)
                _extend(cov[i], _INTS[k] if 0 <= k <= 10_000 else k)
        if c.roles is not self._roles:
            for i, role in zip(at, c.roles, strict=True):
                self.roles[i] = role  # the newest role wins
            self._roles = c.roles
        if c.src is not self._src:
            before = self._src or (None,) * len(at)
            for i, commit, was in zip(at, c.src, before, strict=True):
                if commit is not was and commit is not None:
                    runs = self.src[i]
                    if not runs or runs[-1] != commit:
                        runs += (j, commit)
            self._src = c.src
        if self._first is None:
            self._first = c
        self._prev, self._last = self._last, c

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

    def kept(self) -> dict[str, Any]:
        """What the page carries beside the columns so the next commit can append to them."""
        return {
            "version": SERIES_VERSION,
            "last_path": self.last_path,
            "first": self.first,
            "prev": self.prev,
            "last": self.last,
        }

    @classmethod
    def from_page(cls, data: Any) -> Series | None:
        """The series of a page's data read back; ``None`` for anything this version did not
        write (every column is checked: the page came from the store, maybe from a remote)."""
        try:
            return cls._from({**data["series"], **data["store"]})
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @classmethod
    def _from(cls, raw: Any) -> Series | None:
        if not isinstance(raw, dict) or raw.get("version") != SERIES_VERSION:
            return None
        s = cls()
        s.last_path, s.t, s.commit, s.avg = raw["last_path"], raw["t"], raw["commit"], raw["avg"]
        s.names, s.roles, s.cov, s.src = raw["names"], raw["roles"], raw["cov"], raw["src"]
        s._first, s._prev, s._last = raw["first"], raw["prev"], raw["last"]
        n = len(s.t)
        if not n or not all(isinstance(v, list) for v in (s.t, s.commit, s.avg, s.cov, s.src)):
            return None
        if not (isinstance(s.last_path, str) and len(s.commit) == len(s.avg) == n):
            return None
        if not (len(s.names) == len(s.roles) == len(s.cov) == len(s.src)):
            return None
        if s.names != sorted(set(s.names)) or not _only(s.names, str) or not _only(s.roles, str):
            return None
        if not _only(s.t, int) or not _only(s.commit, str, type(None)):
            return None
        if not _only(s.avg, int, type(None)) or not all(_runs_of(col, n) for col in s.cov):
            return None
        if not _only(s.src, list) or any(len(runs) % 2 for runs in s.src):
            return None
        runs = list(chain.from_iterable(s.src))
        if not _only(runs[::2], int) or not _only(runs[1::2], str):
            return None
        for part in (s.first, s.last) + ((s.prev,) if n > 1 else ()):
            if not isinstance(part, dict) or not isinstance(part["timestamp"], str):
                return None
        if not isinstance(s.last, dict) or not isinstance(s.last["measured"], dict):
            return None
        prev = s.prev
        if n > 1 and not (isinstance(prev, dict) and isinstance(prev["measured"], dict)):
            return None
        parse_timestamp(s.last["timestamp"])
        s._index = {name: i for i, name in enumerate(s.names)}
        return s


def _extend(runs: list[int | None], value: int | None) -> None:
    """Append ``value`` to a column kept as runs."""
    if runs and runs[-2] == value:
        count = runs[-1]
        assert count is not None
        runs[-1] = count + 1
    else:
        runs += (value, 1)


def _runs_of(runs: Any, n: int) -> bool:
    """True for a column of ``n`` values as this version writes it: ``[value, count, ...]``,
    values whole hundredths or ``null``, counts positive, no two runs in a row of one value."""
    if not isinstance(runs, list) or len(runs) % 2:
        return False
    values, counts = runs[::2], runs[1::2]
    if not _only(values, int, type(None)) or not _only(counts, int):
        return False
    if sum(counts) != n or min(counts, default=1) < 1:
        return False
    return all(a != b for a, b in pairwise(values))


def values_of(runs: Sequence[int | None]) -> list[int | None]:
    """A column kept as runs, one value per collection."""
    out: list[int | None] = []
    for i in range(0, len(runs), 2):
        count = runs[i + 1]
        assert count is not None
        out += [runs[i]] * count
    return out


def series(
    points: Iterable[Collection | Stored], days: int | None = None
) -> tuple[Series, Collection]:
    """The columns of a history (any order) and its newest point, read once each.

    Only the newest collection is kept whole; the others are reduced to what the columns
    need as they arrive, so a long history costs its columns, not its snapshots. Stored
    data without the fields the columns need is skipped with a warning.
    """
    share = _Shared()
    kept: list[_Compact] = []
    newest: Collection | Stored | None = None
    newest_key: tuple[datetime, str] | None = None
    for p in points:
        try:
            c = _compact(p, share)
        except SnapshotError as exc:
            warn(f"skipped collection {(p.commit or '')[:10]}: {exc.message}")
            continue
        except (KeyError, TypeError, ValueError, AttributeError):
            where = f"{p.path}@{(p.commit or '')[:10]}"
            warn(f"skipped collection {(p.commit or '')[:10]}: {where}: not a snapshot")
            continue
        if newest_key is None or c.key > newest_key:
            if isinstance(p, Stored):
                try:  # the newest is shown whole: it must be a whole snapshot
                    snapmod.validate(p.data, f"{p.path}@{(p.commit or '')[:10]}")
                except SnapshotError as exc:
                    warn(f"skipped collection {(p.commit or '')[:10]}: {exc.message}")
                    continue
            newest, newest_key = p, c.key
        kept.append(c)
    if newest is None or newest_key is None:
        raise ValueError("a dashboard needs at least one snapshot")
    kept.sort(key=lambda c: c.key)
    kept.reverse()
    start = None if days is None else newest_key[0] - timedelta(days=days)
    out = Series()
    while kept:  # oldest first, each let go of once it is in the columns
        c = kept.pop()
        if start is None or c.when >= start:
            out.append(c)
    return out, newest.collection() if isinstance(newest, Stored) else newest


def extend(s: Series, point: Collection) -> None:
    """Append a collection newer than every one in ``s``."""
    s.append(_compact(point, _Shared()))


def build(
    points: Iterable[Collection | Stored],
    *,
    min_coverage: float = 80.0,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
    floor: Callable[[RepoResult], float] | None = None,
    commit_urls: Mapping[str, str] | None = None,
    files: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The dashboard data of a history (any order): columns for charts, rows for the table
    (the keywords are :func:`page_data`'s)."""
    cols, newest = series(points, days)
    return page_data(
        cols,
        newest,
        min_coverage=min_coverage,
        days=days,
        generated=generated,
        at=at,
        floor=floor,
        commit_urls=commit_urls,
        files=files,
    )


def page_data(
    s: Series,
    newest: Collection,
    *,
    min_coverage: float = 80.0,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
    floor: Callable[[RepoResult], float] | None = None,
    commit_urls: Mapping[str, str] | None = None,
    files: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The page's data: the columns of ``s`` and the cards and rows of its newest point.

    ``floor`` gives each repository its own minimum (its ``rules:``, by repository or by
    role; default ``min_coverage`` for all), which colours its row, bar and page;
    ``commit_urls`` maps a repository to its ``commit_url:`` template; ``files`` holds
    each repository's files table as :func:`file_table` makes it.
    """

    def floor_of(r: RepoResult) -> float:
        return min_coverage if floor is None else floor(r)

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
        age = ages(r, last.timestamp)
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
                "level": status_of(_measured(r), floor_of(r)) if r.ok else "error",
                "min_coverage": floor_of(r),
                "commit": (r.source.commit or "") if r.source is not None else "",
                "error": r.error if not r.ok else r.last_error,
                **age,
                "age_text": fmt.age(age["age"]),
                "age_note": fmt.age_note(r.carried, r.stale),
            }
        )

    by_role: dict[str, list[float]] = {}
    role_floor: dict[str, float] = {}
    for r in last.repositories:
        role_floor.setdefault(r.role, floor_of(RepoResult(name="", role=r.role)))
        value = _measured(r)
        if value is not None:
            by_role.setdefault(r.role, []).append(value)
    role_avgs = [
        {
            "role": role,
            "count": len(values),
            "avg": round(sum(values) / len(values), 2),
            "avg_text": fmt.pct(round(sum(values) / len(values), 2)),
            "level": status_of(round(sum(values) / len(values), 2), role_floor[role]),
            "min_coverage": role_floor[role],
        }
        for role, values in sorted(by_role.items())
    ]
    links = {
        name: commit_link_parts(template, name)
        for name, template in sorted((commit_urls or {}).items())
    }

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
        "store": s.kept(),
        "rows": rows,
        "roles": role_avgs,
        "errors": [{"name": r["name"], "error": r["error"]} for r in rows if r["error"]],
        "links": links,
        "files": dict(files or {}),
        "max_files": MAX_FILES,
    }


def commit_link_parts(template: str, repo: str) -> list[str]:
    """A ``commit_url:`` template with ``{repo}`` filled in, cut where ``{commit}`` goes: the
    page joins the parts with a commit id (URL-encoded) and links only http(s) results."""
    from gitmetrics.config import fill

    return [fill(part, repo=repo) for part in template.split("{commit}")]


def file_point(c: Collection, name: str, back: int | None = None) -> dict[str, Any]:
    """A point of a files table: the collection (its metrics commit, ``None`` for the one
    being committed), when ``name`` was measured there, its source commit, and for the
    point compared with how many collections back it is (1: the one before)."""
    r = c.snapshot.repo(name)
    source = r.source.commit if r is not None and r.source is not None else None
    when = (r.measured_at if r is not None else None) or c.snapshot.timestamp
    point: dict[str, Any] = {"collection": c.commit, "timestamp": when, "source": source}
    if back is not None:
        point["back"] = back
    return point


def file_table(
    mine: Sequence[FileDetail],
    theirs: Sequence[FileDetail] | None,
    *,
    at: Mapping[str, Any],
    against: Mapping[str, Any] | None,
    limit: int = MAX_FILES,
) -> dict[str, Any]:
    """A repository's files table for its page: per file ``[path, lines covered, lines
    coverable, coverage, branches covered, branches valid, change, kind]`` (change in
    points against ``theirs``, its previous different measurement; ``kind`` added, changed
    or same, ``None`` without one), the files with the most missed lines first when there
    are more than ``limit``, then by path; totals over all its files."""
    changes = {c.path: c for c in perfile.compare(theirs, mine)} if theirs is not None else {}
    kept = sorted(mine, key=lambda f: (f.lines_covered - f.lines_valid, f.path))[: max(0, limit)]
    kept.sort(key=lambda f: f.path)
    rows = []
    for f in kept:
        fig = perfile.figures(f)
        ch = changes.get(f.path)
        kind = None if ch is None else ch.kind
        rows.append(
            [
                f.path,
                f.lines_covered,
                f.lines_valid,
                fig.coverage,
                f.branches_covered,
                f.branches_valid,
                None if ch is None or kind == perfile.ADDED else ch.change,
                kind,
            ]
        )
    total = perfile.total(perfile.figures(f) for f in mine)
    before = None if theirs is None else perfile.total(perfile.figures(f) for f in theirs)
    removed = sorted(p for p, c in changes.items() if c.kind == perfile.REMOVED)
    return {
        "at": dict(at),
        "against": None if against is None else dict(against),
        "count": len(mine),
        "rows": rows,
        "removed": removed[:limit],
        "total": [total.lines_covered, total.lines_valid, total.coverage],
        "change": perfile.change(before, total),
    }


def _card(title: str, value: str, note: str, trend: float | None = None) -> dict[str, Any]:
    from gitmetrics.trends import direction

    return {"title": title, "value": value, "note": note, "trend": direction(trend)}


#: the dashboard draws a component's series over at most this many of the newest
#: collections (each costs a look at its repositories' per-file detail); older points null
COMPONENT_POINTS = 500


def components(
    series: Mapping[str, Any],
    figures: Mapping[str, Sequence[tuple[str, Any]]],
    configured: Sequence[Any],
) -> list[dict[str, Any]]:
    """``components`` of the page: per component of ``configured`` (repos.yaml), its newest
    figures, the repositories they come from, and its line coverage per collection of
    ``series`` (runs of hundredths, as a repository's ``cov``). ``figures[name]`` is
    ``(metrics commit, ComponentFigures)`` of the collections read, newest first."""
    out = []
    for comp in configured:
        by_commit = {_short(commit): f.figures for commit, f in figures.get(comp.name, ())}
        runs: list[int | None] = []
        for commit in series["commit"]:
            f = by_commit.get(commit)
            _extend(runs, None if f is None else _hundredths(f.coverage))
        found = next(iter(figures.get(comp.name, ())), None)
        newest = None if found is None else found[1].figures
        out.append(
            {
                "name": comp.name,
                "repos": list(comp.repos or (() if found is None else found[1].repos)),
                "min_coverage": comp.min_coverage,
                "coverage": None if newest is None else newest.coverage,
                "lines_covered": None if newest is None else newest.lines_covered,
                "lines_valid": None if newest is None else newest.lines_valid,
                "series": runs,
            }
        )
    return out
