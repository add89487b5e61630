"""The history as flat rows for a database: one row per repository per collection, or one
row per file per measurement (``gitmetrics export``).

The rows use the names of the JSON vocabulary (docs/json.md) and come oldest first, read
one collection at a time from the one history reader, so memory does not grow with the
history. :data:`REPO_COLUMNS` and :data:`FILE_COLUMNS` give each column's type, which the
sqlite and parquet writers (:mod:`gitmetrics.render.export`) declare.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitmetrics.errors import GitmetricsError, warn
from gitmetrics.history import Collection, Files, Query, query, readable
from gitmetrics.snapshot import FileDetail, ages, pct, ranges

if TYPE_CHECKING:
    from gitmetrics.store import Store

#: a column's type in a typed table: text, integer, real (a percentage) or boolean
Column = tuple[str, str]

#: one row per repository per collection: the collection, then the repository's state in it
REPO_COLUMNS: tuple[Column, ...] = (
    ("collection", "text"),
    ("at", "text"),
    ("collection_host", "text"),
    ("snapshot_path", "text"),
    ("repo", "text"),
    ("role", "text"),
    ("status", "text"),
    ("error", "text"),
    ("line_coverage", "real"),
    ("lines_covered", "integer"),
    ("lines_valid", "integer"),
    ("branch_coverage", "real"),
    ("branches_covered", "integer"),
    ("branches_valid", "integer"),
    ("files", "integer"),
    ("format", "text"),
    ("measured_at", "text"),
    ("age", "integer"),
    ("host", "text"),
    ("carried", "boolean"),
    ("stale", "boolean"),
    ("last_error", "text"),
    ("stale_report", "boolean"),
    ("source_commit", "text"),
    ("source_branch", "text"),
    ("source_dirty", "boolean"),
)

#: one row per file per measurement (a collection that measured the repository)
FILE_COLUMNS: tuple[Column, ...] = (
    ("collection", "text"),
    ("at", "text"),
    ("repo", "text"),
    ("source_commit", "text"),
    ("path", "text"),
    ("line_coverage", "real"),
    ("lines_covered", "integer"),
    ("lines_valid", "integer"),
    ("branch_coverage", "real"),
    ("branches_covered", "integer"),
    ("branches_valid", "integer"),
    ("covered_lines", "text"),
    ("missed_lines", "text"),
)

#: the table each kind of row is written to (sqlite) and its default file name stem
TABLES = {"repos": "repo_history", "files": "file_history"}


@dataclass(frozen=True)
class Rows:
    """What an export holds: its columns, its table name and its rows (read as taken)."""

    kind: str
    columns: tuple[Column, ...]
    rows: Iterator[dict[str, Any]]

    @property
    def table(self) -> str:
        return TABLES[self.kind]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


def _chronological(store: Store, q: Query) -> Iterator[Collection]:
    """The collections of ``q`` oldest first; only the light commit entries are held, each
    snapshot is read when its turn comes (unreadable ones skipped with a warning)."""
    found = list(query(store, q))  # newest first, snapshots unread

    def oldest() -> Iterator[Collection]:
        while found:
            yield found.pop()

    return readable(oldest())


def repo_rows(store: Store, q: Query, names: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """One row per repository of each collection's state (``names``: only those)."""
    for c in _chronological(store, q):
        snap = c.snapshot
        for r in snap.repositories:
            if names and r.name not in names:
                continue
            src = r.source
            yield {
                "collection": c.commit,
                "at": snap.timestamp,
                "collection_host": snap.host,
                "snapshot_path": c.path,
                "repo": r.name,
                "role": r.role,
                "status": r.status,
                "error": r.error,
                "line_coverage": r.coverage if r.ok else None,
                "lines_covered": r.lines_covered,
                "lines_valid": r.lines_valid,
                "branch_coverage": r.branch_coverage if r.ok else None,
                "branches_covered": r.branches_covered,
                "branches_valid": r.branches_valid,
                "files": r.files_tested,
                "format": r.format,
                **ages(r, snap.timestamp),
                "host": r.host or snap.host,
                "last_error": r.last_error,
                "stale_report": r.stale_report,
                "source_commit": None if src is None else src.commit,
                "source_branch": None if src is None else src.branch,
                "source_dirty": None if src is None else src.dirty,
            }


def _files_at(files: Files, c: Collection, name: str) -> list[FileDetail] | None:
    try:
        return files.of(c, name)
    except GitmetricsError as exc:
        warn(f"skipped the files of {name} in collection {c.entry.commit[:10]}: {exc.message}")
        return []


def file_rows(store: Store, q: Query, names: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """One row per file of each measurement: a repository a collection measured (not one it
    carried), from the per-file detail the collection stored."""
    files_of = Files(store)
    for c in _chronological(store, q):
        snap = c.snapshot
        measured = set(snap.measured_names)
        for r in snap.repositories:
            if r.name not in measured or not r.ok or (names and r.name not in names):
                continue
            files = _files_at(files_of, c, r.name)
            commit = r.source.commit if r.source is not None else None
            for f in files or ():
                yield {
                    "collection": c.commit,
                    "at": snap.timestamp,
                    "repo": r.name,
                    "source_commit": commit,
                    "path": f.path,
                    "line_coverage": pct(f.lines_covered, f.lines_valid),
                    "lines_covered": f.lines_covered,
                    "lines_valid": f.lines_valid,
                    "branch_coverage": pct(f.branches_covered, f.branches_valid),
                    "branches_covered": f.branches_covered,
                    "branches_valid": f.branches_valid,
                    "covered_lines": _ranges(f.covered),
                    "missed_lines": _ranges(f.missed),
                }


def _ranges(lines: tuple[int, ...] | None) -> str | None:
    return None if lines is None else ranges(lines)


def rows(store: Store, q: Query, *, files: bool = False, names: Sequence[str] = ()) -> Rows:
    """The rows of an export of ``store``'s history ``q``."""
    if files:
        return Rows("files", FILE_COLUMNS, file_rows(store, q, names))
    return Rows("repos", REPO_COLUMNS, repo_rows(store, q, names))
