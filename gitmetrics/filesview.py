"""The data behind ``files REPO``: a repository's files at a point, and their change against
another point (``diff --files`` is :func:`gitmetrics.views.diff_files`).

The files come from the per-file detail stored with each measurement
(``repos/<name>/files.json``, read by :class:`gitmetrics.history.Files`) and are compared by
:mod:`gitmetrics.perfile`; a point is named as every view names one (a revision, a
snapshot file name, a date or a duration: :func:`gitmetrics.views.resolve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gitmetrics import perfile
from gitmetrics.errors import StoreError
from gitmetrics.history import Collection, Files, Query, query
from gitmetrics.paths import compile_glob
from gitmetrics.perfile import Figures, FileChange
from gitmetrics.snapshot import FileDetail, ranges
from gitmetrics.views import entries, newest, resolve

if TYPE_CHECKING:
    from gitmetrics.store import Store

#: how ``files`` sorts: by path, worst coverage first, most missed lines first, or the
#: biggest drop first
SORTS = ("path", "coverage", "missed", "change")
#: how many collections ``files`` looks back for the repository's previous measurement
LOOK_BACK = 1000


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
    """The collection ``spec`` names (:func:`gitmetrics.views.resolve`), its snapshot read."""
    found = Collection.at(store, resolve(store, entries(store), spec, now))
    found.snapshot  # noqa: B018 - read it now: an error here names the point asked for
    return found


def _newest(store: Store) -> Collection:
    return newest(store, 1)[0]


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
    mine = files.blob_id(c, name)
    for n, older in enumerate(query(store, Query(rev=c.entry.commit, limit=LOOK_BACK + 1))):
        if n == 0:
            continue  # c itself
        sha = files.blob_id(older, name)
        if sha is not None and sha != mine:
            return older
    return None


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
    c = _newest(store) if at is None else named(store, at, now)
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
