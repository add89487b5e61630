"""The one reader of collections: which ones (a query), and each one's snapshot, read lazily.

Every view, the rules and the dashboard ask :func:`query` for the collections they show,
newest first. A :class:`Collection` is the commit's trailers (read from the commit object
alone, so counting and dating cost no blob) and its full snapshot, read on first use and
then kept.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gitmetrics import duration
from gitmetrics.errors import GitmetricsError, StoreError, warn
from gitmetrics.timestamps import parse_timestamp

if TYPE_CHECKING:
    from gitmetrics import perfile
    from gitmetrics.config import ComponentConfig
    from gitmetrics.snapshot import FileDetail, Snapshot
    from gitmetrics.store import HistoryEntry, Store


@dataclass(frozen=True, eq=False)
class Collection:
    """One collection: its commit (from the trailers) and its snapshot, read once."""

    entry: HistoryEntry
    _load: Callable[[], Snapshot] = field(repr=False)
    #: the commit whose tree holds this collection's state and per-file detail, when it is
    #: not the collection's own (the newest collection under a sync merge)
    head: str | None = None

    @classmethod
    def at(cls, store: Store, entry: HistoryEntry) -> Collection:
        """The collection ``entry`` of ``store``; its snapshot is read when first asked for."""
        return cls(entry, lambda: store.snapshot_at(entry))

    @classmethod
    def read(cls, entry: HistoryEntry, snapshot: Snapshot) -> Collection:
        """The collection ``entry`` with its snapshot already read."""
        return cls(entry, lambda: snapshot)

    @classmethod
    def newest_at(cls, store: Store, entry: HistoryEntry, head: str) -> Collection:
        """The newest collection as of ``head``: the state ``head`` holds when a sync merge
        came after the collection (it joined another machine's measurements), else the
        collection's own snapshot."""

        def load() -> Snapshot:
            try:
                state = store.state(head)
            except GitmetricsError:
                state = None
            if state is None or state.timestamp < entry.timestamp:
                return store.snapshot_at(entry)
            return state

        return cls(entry, load, head)

    @classmethod
    def of(cls, snapshot: Snapshot, commit: str | None = None, path: str = "") -> Collection:
        """A snapshot in hand (not read from a store, or not yet committed) as a collection;
        ``path`` is its file in the store, when it has one."""
        from gitmetrics.store import HistoryEntry

        s = snapshot.summary
        entry = HistoryEntry(
            commit=commit or "",
            timestamp=snapshot.timestamp,
            snapshot_path=path,
            avg_coverage=s.avg_coverage,
            weighted_coverage=s.weighted_coverage,
            repos=s.repos_count,
            files=s.total_files_tested,
            failed=s.repos_failed,
            host=snapshot.host,
            subject="",
        )
        return cls(entry, lambda: snapshot)

    @cached_property
    def snapshot(self) -> Snapshot:
        """The full snapshot (``GitmetricsError`` when it cannot be read)."""
        return self._load()

    @property
    def commit(self) -> str | None:
        """The metrics commit that recorded it (``None`` for a snapshot in hand)."""
        return self.entry.commit or None

    @property
    def path(self) -> str:
        """Its snapshot file in the store (orders collections made in the same second)."""
        return self.entry.snapshot_path

    @property
    def when(self) -> datetime:
        """Its timestamp, from the trailers."""
        return parse_timestamp(self.entry.timestamp)


class Files:
    """The per-file detail of collections (``repos/<name>/files.json`` in the tree that
    holds each one's state), read from the store's own history, so trusted: parsed, not
    validated again. One blob is parsed once however many collections share it (a
    repository's unchanged report is one object); the newest ``keep`` blobs are kept."""

    def __init__(self, store: Store, keep: int = 256) -> None:
        self.store = store
        self.keep = keep
        self._seen: dict[bytes, list[FileDetail]] = {}

    def blob_id(self, c: Collection, name: str) -> bytes | None:
        """The blob of ``name``'s per-file detail as of ``c``; ``None`` when it has none."""
        from gitmetrics.snapshot import files_path  # the model is not loaded for `history`

        rev = c.head or c.commit
        if rev is None:
            return None
        return self.store.lookup(self.store.repo[rev.encode()].tree, files_path(name))

    def of(self, c: Collection, name: str) -> list[FileDetail] | None:
        """``name``'s files as of ``c``; ``None`` when it has no per-file detail there.

        ``SnapshotError`` when the blob cannot be read (``gitmetrics verify`` tells more).
        """
        sha = self.blob_id(c, name)
        if sha is None:
            return None
        found = self._seen.pop(sha, None)
        if found is None:
            from gitmetrics.snapshot import files_path, read_files

            origin = f"{files_path(name)}@{(c.head or c.commit or '')[:10]}"
            found = read_files(self.store.blob(sha), origin, trusted=True)
            while len(self._seen) >= self.keep:
                del self._seen[next(iter(self._seen))]
        self._seen[sha] = found  # the most recently used last
        return found


@dataclass(frozen=True)
class ComponentFigures:
    """A component in one collection: its files' figures, and the repositories they are in."""

    name: str
    figures: perfile.Figures | None
    repos: tuple[str, ...]


class Components:
    """The components of ``components:`` (repos.yaml) in collections: each one's files
    picked from the per-file detail of the repositories it spans, summed. A collection
    whose detail blobs are those of one already read costs no read (a long history where
    reports rarely change is mostly that)."""

    def __init__(self, store: Store, components: Sequence[ComponentConfig]) -> None:
        from gitmetrics import perfile  # not at import: `history` without components needs none

        self.files = Files(store)
        self.components = tuple(components)
        self._select = {c.name: perfile.selection(c.paths) for c in components}
        self._seen: dict[tuple[object, ...], ComponentFigures] = {}

    def at(self, c: Collection) -> list[ComponentFigures]:
        """Every component's figures as of ``c``."""
        present = [r.name for r in c.snapshot.repositories if r.ok]
        return [self.one(c, comp, present) for comp in self.components]

    def one(self, c: Collection, comp: ComponentConfig, present: Sequence[str]) -> ComponentFigures:
        names = [n for n in present if comp.spans(n)]
        ids = tuple((n, self.files.blob_id(c, n)) for n in names)
        key = (comp.name, ids)
        found = self._seen.get(key)
        if found is None:
            from gitmetrics import perfile

            pick = self._select[comp.name]
            chosen: list[perfile.Figures] = []
            repos: list[str] = []
            for n, sha in ids:
                if sha is None:
                    continue
                mine = [perfile.figures(f) for f in self.files.of(c, n) or () if pick(f.path)]
                if mine:
                    chosen.extend(mine)
                    repos.append(n)
            found = ComponentFigures(
                comp.name, perfile.total(chosen) if chosen else None, tuple(repos)
            )
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen[key] = found
        return found


def readable(cols: Iterable[Collection]) -> Iterator[Collection]:
    """The collections whose snapshot can be read; the others are skipped with a warning."""
    for c in cols:
        try:
            c.snapshot  # noqa: B018 - read it now, once
        except GitmetricsError as exc:
            warn(f"skipped collection {c.entry.commit[:10]}: {exc.message}")
            continue
        yield c


def stored_data(store: Store, entry: HistoryEntry) -> dict[str, Any] | None:
    """A collection's snapshot file as plain data, or ``None`` when it is not readable JSON.

    The store's own history, so trusted: not validated, and no :class:`Snapshot` is built;
    a reader of many collections takes only the figures it needs from it.
    """
    for cached in (True, False):  # a damaged entry of the cache is a miss: read the commit
        try:
            data = json.loads(store.snapshot_bytes(entry, cached=cached))
        except GitmetricsError:
            return None
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


@dataclass(frozen=True)
class Query:
    """Which collections: at most ``limit``, those within ``seconds`` of the newest (or
    of ``since``), from revision ``rev`` (default: the head)."""

    limit: int | None = None
    #: the newest first and every one not older than this many seconds before it
    seconds: float | None = None
    #: only collections at or after this time
    since: datetime | None = None
    rev: str | None = None
    #: always at least this many (a gate looks back on a count *and* a time)
    at_least: int = 0


def query(store: Store, q: Query = Query()) -> Iterator[Collection]:
    """The collections ``q`` asks for, newest first, snapshots unread."""
    cutoff: datetime | None = q.since
    timed = q.seconds is not None or cutoff is not None
    for count, entry in enumerate(store.history(rev=q.rev), start=1):
        if q.limit is not None and count > q.limit:
            return
        if timed:  # a time is parsed only for a query by time
            when = parse_timestamp(entry.timestamp)
            if q.seconds is not None and count == 1:
                window = when - timedelta(seconds=q.seconds)
                cutoff = window if cutoff is None else max(cutoff, window)
            if cutoff is not None and when < cutoff and count > q.at_least:
                return
        head = store.head() if count == 1 and q.rev is None else None
        if head is not None and head != entry.commit:
            yield Collection.newest_at(store, entry, head)
        else:
            yield Collection.at(store, entry)


def collections(store: Store, q: Query = Query()) -> list[Collection]:
    """:func:`query` as a list of readable collections; ``StoreError`` when there is none."""
    found = list(readable(query(store, q)))
    if not found:
        if next(store.history(limit=1, rev=q.rev), None) is None:
            raise StoreError(
                f"{store.path}: the metrics repository has no collections yet",
                "run `gitmetrics collect` first",
            )
        raise StoreError(
            f"{store.path}: no collection that can be read in the history asked for",
            "see the warnings above; run `gitmetrics collect` to add a readable one",
        )
    return found


# --- the query language of the command line: points, dates, durations, revisions ---------


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
        try:
            return now - timedelta(seconds=ago)
        except OverflowError:
            raise StoreError(
                f"{text!r} reaches back before the year 1",
                "use a shorter duration, a date (2026-11-01) or a commit",
            ) from None
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
    # an abbreviated commit can read as a duration ("5754621d"): a commit it names wins
    commit = store.find_commit(text) if re.fullmatch(r"[0-9a-f]{4,40}", text) else None
    if commit is None and looks_like_date(text):
        return at_or_before(found, parse_when(text, now, end_of_day=True), spec)
    commit = commit or store.find_commit(text)
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


def named_collection(store: Store, entry: HistoryEntry) -> Collection:
    """A collection named on the command line: an unreadable one is an error, not a skip."""
    found = Collection.at(store, entry)
    found.snapshot  # noqa: B018 - read it now: an error here names the side asked for
    return found
