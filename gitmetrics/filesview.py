"""The data behind ``files REPO``: a repository's files at a point, and their change against
another point (``diff --files`` is :func:`gitmetrics.views.diff_files`).

The files come from the per-file detail stored with each measurement
(``repos/<name>/files.json``, read by :class:`gitmetrics.history.Files`) and are compared by
:mod:`gitmetrics.perfile`; a point is named as every view names one (a revision, a
snapshot file name, a date or a duration: :func:`gitmetrics.history.resolve`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from gitmetrics import perfile
from gitmetrics.errors import StoreError
from gitmetrics.history import (
    Collection,
    Components,
    Files,
    Query,
    entries,
    named_collection,
    newest,
    query,
    resolve,
)
from gitmetrics.paths import compile_glob
from gitmetrics.perfile import Figures, FileChange
from gitmetrics.snapshot import FileDetail, ranges

if TYPE_CHECKING:
    from gitmetrics.config import ComponentConfig
    from gitmetrics.historyview import HistoryRow
    from gitmetrics.rules import Breach
    from gitmetrics.store import Store

#: how ``files`` sorts: by path, worst coverage first, most missed lines first, or the
#: biggest drop first
SORTS = ("path", "coverage", "missed", "change")
#: how many collections ``files`` (and the dashboard) look back for a repository's previous
#: different measurement
LOOK_BACK = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class Point:
    """A collection a per-file view reads: how it was asked for, and which one it is."""

    spec: str
    collection: str
    timestamp: str
    #: the repository's source commit measured there
    source_commit: str | None


@dataclass(frozen=True)
class FileRow:
    """One file (or, with ``--dirs``, one directory) at the point, and its change."""

    path: str
    figures: Figures
    #: its missed lines as ranges (``None``: the format has no line map; directories)
    missing: str | None
    #: added, changed or same against the other point (``None`` without one)
    kind: str | None
    change: float | None


@dataclass(frozen=True)
class FilesView:
    """A repository's files at ``at``, compared with ``against``."""

    repo: str
    at: Point
    against: Point | None
    #: ``"file"`` or ``"directory"``
    unit: str
    depth: int | None
    globs: tuple[str, ...]
    sort: str
    rows: tuple[FileRow, ...]
    total: Figures
    total_before: Figures | None
    #: files of the other point that the point no longer has (matching the globs)
    removed: tuple[str, ...]

    @property
    def change(self) -> float | None:
        return perfile.change(self.total_before, self.total)


def _point(spec: str, c: Collection, name: str) -> Point:
    r = c.snapshot.repo(name)
    commit = r.source.commit if r is not None and r.source is not None else None
    return Point(spec, c.entry.commit, c.snapshot.timestamp, commit)


def named(store: Store, spec: str, now: datetime | None = None) -> Collection:
    """The collection ``spec`` names (:func:`gitmetrics.history.resolve`), its snapshot read."""
    return named_collection(store, resolve(store, entries(store), spec, now))


def _detail(files: Files, c: Collection, name: str, spec: str) -> list[FileDetail]:
    found = files.of(c, name)
    if found is not None:
        return found
    known = sorted(r.name for r in c.snapshot.repositories)
    if c.snapshot.repo(name) is None:
        raise StoreError(
            f"no repository {name!r} in the collection {c.entry.commit[:10]} ({spec})",
            f"repositories there: {', '.join(known) or 'none'}",
        )
    raise StoreError(
        f"{name!r} has no per-file detail in the collection {c.entry.commit[:10]} ({spec})",
        "per-file detail is stored from gitmetrics 0.4 on and only for a measurement that "
        "succeeded; collect again to record it",
    )


def previous(store: Store, files: Files, c: Collection, name: str) -> Collection | None:
    """The newest collection before ``c`` whose measurement of ``name`` differs from the one
    ``c`` holds (looked for among :data:`LOOK_BACK` collections); ``None`` when none does."""
    found = previous_of(store, files, c, [name]).get(name)
    return None if found is None else found[0]


def previous_of(
    store: Store, files: Files, c: Collection, names: Sequence[str]
) -> dict[str, tuple[Collection, int]]:
    """:func:`previous` of each of ``names``, in one walk back through the history, with how
    many collections back it is (the names without an earlier different measurement are
    left out)."""
    mine = {name: files.blob_id(c, name) for name in names}
    walk = query(store, Query(rev=c.entry.commit, limit=LOOK_BACK + 1))
    next(walk, None)  # c itself
    return previous_different(walk, mine, files.blob_id)


def previous_different(
    walk: Iterable[T], mine: Mapping[str, bytes | None], blob_id: Callable[[T, str], bytes | None]
) -> dict[str, tuple[T, int]]:
    """For each name of ``mine`` (its per-file detail's blob id now), the first collection of
    ``walk`` (the earlier ones, newest first) whose blob differs and how many collections
    back it is (1: the one before), among the first :data:`LOOK_BACK`; one without a blob
    does not count. The one walk of ``files`` and of the dashboard, the commit's included."""
    found: dict[str, tuple[T, int]] = {}
    pending = dict(mine)
    if not pending:
        return found  # nothing walked
    for n, older in enumerate(islice(walk, LOOK_BACK), start=1):
        for name, blob in list(pending.items()):
            sha = blob_id(older, name)
            if sha is not None and sha != blob:
                found[name] = (older, n)
                del pending[name]
        if not pending:
            break
    return found


def _sort_key(sort: str) -> object:
    if sort == "coverage":
        return lambda r: (r.figures.exact is None, r.figures.exact or 0, r.path)
    if sort == "missed":
        return lambda r: (-r.figures.missed, r.path)
    if sort == "change":
        return lambda r: (r.change is None, r.change or 0.0, r.path)
    return lambda r: r.path


def build_files(
    store: Store,
    name: str,
    *,
    at: str | None = None,
    against: str | None = None,
    globs: Sequence[str] = (),
    dirs: bool = False,
    depth: int | None = None,
    sort: str = "path",
    now: datetime | None = None,
) -> FilesView:
    """``name``'s files at ``at`` (default: the newest collection) against ``against``
    (default: the repository's previous measurement), filtered by ``globs``."""
    if sort not in SORTS:
        raise StoreError(f"--sort {sort!r} is not one of {', '.join(SORTS)}")
    try:
        compiled = [compile_glob(g) for g in globs]
    except ValueError as exc:
        raise StoreError(f"--path: {exc}") from None
    files = Files(store)
    c = newest(store, 1)[0] if at is None else named(store, at, now)
    spec = at or "latest"
    mine = perfile.select(_detail(files, c, name, spec), compiled)
    if against is None:
        other = previous(store, files, c, name)
        theirs = None if other is None else perfile.select(files.of(other, name) or [], compiled)
        other_spec = "previous"
    else:
        other = named(store, against, now)
        theirs = perfile.select(_detail(files, other, name, against), compiled)
        other_spec = against
    changes = {ch.path: ch for ch in perfile.compare(theirs, mine)} if theirs is not None else {}
    rows: list[FileRow]
    if dirs or depth is not None:
        now_dirs = perfile.directories(mine, depth)
        then_dirs = perfile.directories(theirs, depth) if theirs is not None else None
        rows = []
        for d, fig in now_dirs.items():
            before = None if then_dirs is None else then_dirs.get(d)
            kind = None if then_dirs is None else _kind(before, fig)
            rows.append(FileRow(d, fig, None, kind, perfile.change(before, fig)))
    else:
        rows = []
        for f in mine:
            ch = changes.get(f.path)
            missing = None if f.missed is None else ranges(f.missed)
            fig = perfile.figures(f)
            rows.append(FileRow(f.path, fig, missing, None if ch is None else ch.kind, _change(ch)))
    rows.sort(key=_sort_key(sort))  # type: ignore[arg-type]
    removed = tuple(p for p, ch in changes.items() if ch.kind == perfile.REMOVED)
    return FilesView(
        repo=name,
        at=_point(spec, c, name),
        against=None if other is None else _point(other_spec, other, name),
        unit="directory" if dirs or depth is not None else "file",
        depth=depth,
        globs=tuple(globs),
        sort=sort,
        rows=tuple(rows),
        total=perfile.total(perfile.figures(f) for f in mine),
        total_before=None if theirs is None else perfile.total(perfile.figures(f) for f in theirs),
        removed=removed,
    )


def _kind(before: Figures | None, after: Figures) -> str:
    if before is None:
        return perfile.ADDED
    return perfile.SAME if before == after else perfile.CHANGED


def _change(ch: FileChange | None) -> float | None:
    if ch is None or ch.kind == perfile.ADDED:
        return None
    return ch.change


def component_history(
    store: Store, comp: ComponentConfig, *, limit: int | None = 10, since_text: str | None = None
) -> list[HistoryRow]:
    """``history --component``: the component's figures per collection, newest first."""
    from gitmetrics import trends
    from gitmetrics.history import parse_when, readable, since
    from gitmetrics.historyview import HistoryRow, select_entries

    found = select_entries(store, limit=None if limit is None else limit + 1, since_text=since_text)
    if since_text:
        found = since(found, parse_when(since_text))
    reader = Components(store, [comp])
    rows: list[HistoryRow] = []
    for c in readable(Collection.at(store, e) for e in found):
        present = [r.name for r in c.snapshot.repositories if r.ok]
        fig = reader.one(c, comp, present)
        f = fig.figures
        rows.append(
            HistoryRow(
                commit=c.entry.commit,
                timestamp=c.entry.timestamp,
                snapshot=c.entry.snapshot_path,
                host=c.entry.host,
                avg_coverage=None if f is None else f.coverage,
                weighted_coverage=None if f is None else f.coverage,
                branch_coverage=None if f is None else f.branch_coverage,
                repos=len(fig.repos),
                failed=0,
                files=0 if f is None else f.files,
                status="ok" if f is not None else "absent",
                change=None,
            )
        )
    out = []
    for newer, older in zip(rows, [*rows[1:], None], strict=True):
        change = None if older is None else trends.change(newer.avg_coverage, older.avg_coverage)
        out.append(dataclasses.replace(newer, change=change))
    return out[:limit] if limit is not None else out


def component_breaches(
    store: Store, c: Collection, components: Sequence[ComponentConfig]
) -> list[Breach]:
    """``check``: each component with a ``min_coverage`` whose files are below it in ``c``
    (compared exactly, from the counts)."""
    from gitmetrics.percent import value
    from gitmetrics.render import fmt
    from gitmetrics.rules import Breach

    gated = [comp for comp in components if comp.min_coverage is not None]
    if not gated:
        return []
    reader = Components(store, gated)
    present = [r.name for r in c.snapshot.repositories if r.ok]
    out = []
    for comp in gated:
        assert comp.min_coverage is not None
        f = reader.one(c, comp, present).figures
        exact = None if f is None else f.exact
        if f is None or exact is None or exact >= value(comp.min_coverage):
            continue
        out.append(
            Breach(
                repo=None,
                rule="component_min_coverage",
                value=float(f.coverage or 0.0),
                limit=comp.min_coverage,
                message=f"line coverage {fmt.pct(exact, 2)} is below "
                f"its minimum {comp.min_coverage:g}% ({f.lines_covered}/{f.lines_valid} lines "
                f"in {fmt.plural(f.files, 'file')})",
                to_timestamp=c.entry.timestamp,
                to_snapshot=c.entry.commit or None,
                component=comp.name,
            )
        )
    return out
