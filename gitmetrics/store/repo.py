"""The metrics repository's public face: :class:`Store`, delegating to the modules of store/.

- :mod:`~gitmetrics.store.format`: layout constants, the shared root commit, init and open;
- :mod:`~gitmetrics.store.objects`: blobs and trees (written, updated, looked up, compared);
- :mod:`~gitmetrics.store.reader`: the commit reader, trailers and revision names;
- :mod:`~gitmetrics.store.writer`: the commit writer (one compare-and-swap loop) and derivers;
- :mod:`~gitmetrics.store.worktree`: a normal store's work tree and index;
- :mod:`~gitmetrics.store.locks`, ``pack``, ``sync``, ``gate``, ``incoming``, ``provenance``.

Reads from the store's own history trust what the store wrote: snapshots are parsed, not
validated against the schema again (``gitmetrics verify`` is the full check).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmetrics.errors import GitmetricsError, SnapshotError, StoreError, warn
from gitmetrics.store import objects, worktree
from gitmetrics.store.cache import CommitCache
from gitmetrics.store.format import BRANCH, REMOTE_REF
from gitmetrics.store.reader import (
    COMMITS_CACHE,
    KEPT_COMMITS,
    CommitReader,
    HistoryEntry,
    find_commit,
)

if TYPE_CHECKING:  # the snapshot model is loaded where it is used: `history` needs none of it
    from gitmetrics.snapshot import Retention, Snapshot, StatePolicy
    from gitmetrics.store.plain import Plain
    from gitmetrics.store.writer import CommitResult, Deriver

#: the most bytes of blobs kept for the work tree between two syncs (a backfill of a
#: year writes more; the rest are read back from the object store)
WRITTEN_BYTES = 64 << 20


#: The local cache of the newest collections' snapshot files (``<gitdir>/gitmetrics-newest``):
#: a view of the newest (``status``, ``diff``, ``check``) reads them without the trees and
#: the delta chains of the pack; :data:`NEWEST_KEPT` of them, the newest by timestamp.
NEWEST_CACHE = "newest"
NEWEST_KEPT = 4


@dataclass
class Store:
    """A metrics repository on disk (normal or bare)."""

    path: Path
    derive: Deriver | None = None
    #: what the config says of the state (which repos it keeps, when one is stale), for
    #: the states sync merges; ``None``: the default policy (keep every one, never stale)
    policy: StatePolicy | None = None
    _repo: Any = field(default=None, repr=False)
    _config: Any = field(default=None, repr=False)
    _reader: CommitReader | None = field(default=None, repr=False)
    #: blobs this process wrote since the work tree was last brought up to date, which
    #: the work tree then gets without reading them back (at most WRITTEN_BYTES)
    _written: dict[bytes, bytes] = field(default_factory=dict, repr=False)
    _written_bytes: int = field(default=0, repr=False)
    _caches: dict[str, CommitCache] = field(default_factory=dict, repr=False)
    #: the repository read without dulwich (store/plain.py; ``False``: not a plain one)
    _plain: Any = field(default=None, repr=False)

    # --- opening ----------------------------------------------------------------

    def plain(self) -> Plain | None:
        """The store read as plain files until dulwich is open (``history`` needs no more);
        ``None`` when it is not a plain repository or dulwich is open already."""
        if self._repo is not None:
            return None
        if self._plain is None:
            from gitmetrics.store.plain import open_plain

            self._plain = open_plain(self.path) or False
        return self._plain or None

    @property
    def repo(self) -> Any:
        """The dulwich ``Repo`` (opened lazily)."""
        if self._repo is None:
            from dulwich.errors import NotGitRepository
            from dulwich.repo import Repo

            try:
                self._repo = Repo(str(self.path))
            except NotGitRepository:
                raise StoreError(
                    f"{self.path}: not a metrics repository (no git repository there)",
                    "run `gitmetrics init` or `gitmetrics collect` to create it",
                ) from None
            self._config = self._repo.get_config()
            objects.git_loose_level(self._repo, self._config)
        return self._repo

    @property
    def config(self) -> Any:
        """The store's git config as it was read on opening (dulwich reads the file again
        on each ``get_config()``: ask that for what a command changes)."""
        _ = self.repo
        return self._config

    @property
    def gitdir(self) -> Path:
        """The git control directory (``.git`` or the bare repository itself)."""
        plain = self.plain()
        return plain.controldir if plain is not None else Path(self.repo.controldir())

    def cache(self, name: str, keep: int | None = None) -> CommitCache:
        """The local cache ``name`` of values derived from collection commits (one per
        store and name in a process; see :mod:`gitmetrics.store.cache`)."""
        found = self._caches.get(name)
        if found is None:
            path = self.gitdir / f"gitmetrics-{name}"
            found = self._caches[name] = CommitCache(path, keep)
        return found

    @property
    def bare(self) -> bool:
        """True for a bare store (no work tree)."""
        plain = self.plain()
        return plain.bare if plain is not None else bool(self.repo.bare)

    def close(self) -> None:
        """Write what the local caches gained; release file handles held by dulwich."""
        for cache in self._caches.values():
            cache.flush()
        self._caches.clear()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._repo is not None:
            self._repo.close()
            self._repo = None
            self._config = None
        self._plain = None

    def refresh(self) -> None:
        """Forget dulwich's view of the object store (after objects were moved in)."""
        self.close()

    def branch_ref(self) -> bytes:
        """The branch HEAD points at (``refs/heads/main`` for stores we created)."""
        try:  # HEAD alone is read (dulwich's symref listing reads every ref)
            raw: bytes | None = self.repo.refs.read_ref(b"HEAD")
        except Exception:
            raw = None
        if raw is None or not raw.startswith(b"ref: "):
            return BRANCH
        return raw[len(b"ref: ") :]

    def head(self) -> str | None:
        """The commit the store's branch points at, or ``None`` for an empty store."""
        plain = self.plain()
        if plain is not None:
            from gitmetrics.store.plain import Unsure

            try:
                _, found = plain.head()
            except Unsure:
                pass  # dulwich reads it
            else:
                return None if not found else found.decode()
        _, sha = self.repo.refs.follow(self.branch_ref())
        return None if not sha else bytes(sha).decode()

    def remote_head(self) -> str | None:
        """The remote's branch as the last fetch saw it, when the store holds it."""
        sha = self.repo.refs.as_dict().get(REMOTE_REF)
        return sha.decode() if sha is not None and sha in self.repo.object_store else None

    # --- writing (see store/writer.py) -----------------------------------------------

    def commit_snapshot(
        self,
        snap: Snapshot,
        *,
        retention: Retention,
        message: str | None = None,
        commit_time: int | None = None,
        policy: StatePolicy | None = None,
    ) -> CommitResult:
        """Commit one collection over the head's state (validated first); rebuilds and
        retries when the branch moved.

        ``commit_time`` (Unix seconds) dates the commit, for imported history; default now;
        ``policy`` (default: keep every repository, never stale) folds the state.
        """
        from gitmetrics.snapshot import StatePolicy
        from gitmetrics.store import writer  # at first use: `history` and the views never write

        return writer.commit_snapshot(
            self,
            snap,
            retention=retention,
            message=message,
            commit_time=commit_time,
            policy=StatePolicy() if policy is None else policy,
        )

    def pr_head(self, key: str) -> str | None:
        """The commit of the pull request ``key`` recorded by ``patch --record``, or ``None``."""
        from gitmetrics.store.format import pr_ref

        try:
            return self.repo.refs[pr_ref(key).encode()].decode()  # type: ignore[no-any-return]
        except KeyError:
            return None

    def record_pr(self, key: str, snap: Snapshot) -> tuple[str, str]:
        """Commit a pull request's measurement on ``refs/gitmetrics/pr/<key>`` (off the
        branch); returns the ref and the commit."""
        from gitmetrics.store import writer

        return writer.record_pr(self, key, snap)

    def state(self, rev: str | None = None) -> Snapshot | None:
        """The state (``latest.json``) at ``rev`` (default: the head); ``None`` before any,
        or when it cannot be read (readers then use each collection's own snapshot)."""
        commit = rev or self.head()
        if commit is None:
            return None
        from gitmetrics.store import writer

        try:
            return writer.read_state(self, self.repo[commit.encode()].tree)
        except SnapshotError:
            return None

    def commit_files(self, changes: Mapping[str, bytes | None], message: str) -> str | None:
        """Commit a few files (``None`` removes one); ``None`` when nothing changed."""
        from gitmetrics.store import writer

        return writer.commit_files(self, changes, message)

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """The store's write lock (everything that moves the branch holds it)."""
        from gitmetrics.store import writer

        return writer.locked(self)

    def add_objects(self, objs: Sequence[Any]) -> None:
        """Write git objects into the store (under the lock)."""
        from gitmetrics.store import pack  # a write alone needs it: not on a view's path

        if len(objs) >= pack.PACKED_FROM:
            pack.add_packed(self.repo.object_store, objs)
        else:
            objects.add(self.repo.object_store, objs, self.path)
        if self.bare:
            return
        for obj in objs:
            if obj.type_name == b"blob" and self._written_bytes < WRITTEN_BYTES:
                data = obj.as_raw_string()
                self._written[obj.id] = data
                self._written_bytes += len(data)

    def commit_tree(
        self, tree_id: bytes, parents: Sequence[str], text: str, commit_time: int | None = None
    ) -> str:
        """Write a commit of a tree; the branch is not moved."""
        return objects.commit_tree(
            self.repo.object_store, tree_id, parents, text, self.path, commit_time
        )

    def write_commit(
        self,
        files: Mapping[str, bytes],
        parents: Sequence[str],
        text: str,
        commit_time: int | None = None,
    ) -> str:
        """Write a commit of ``files`` (path -> blob id) with ``parents``; the ref is not moved.

        A fixed ``commit_time`` makes the commit reproducible (sync's merges use it).
        """
        tree = objects.write_tree(self.repo.object_store, files, self.path)
        return self.commit_tree(tree, parents, text, commit_time)

    def move_branch(self, old: str | None, new: str) -> bool:
        """Compare-and-swap the branch from ``old`` to ``new`` (under the lock)."""
        from gitmetrics.store import writer

        return writer.move_branch(self, old, new)

    def apply_derived(
        self,
        files: dict[str, bytes],
        snap: Snapshot,
        parent: str | None,
        previous: Sequence[HistoryEntry] | None = None,
        sides: Sequence[str] = (),
        snapshot_path: str = "",
    ) -> None:
        """Regenerate the derived files in ``files`` (path -> blob id) for ``snap``."""
        from gitmetrics.store import writer

        writer.apply_derived(self, files, snap, parent, previous, sides, snapshot_path)

    def only_root(self) -> bool:
        """True when the branch holds nothing but the shared root (no collection yet)."""
        from gitmetrics.store.format import only_root

        return only_root(self)

    # --- objects and trees (see store/objects.py) -------------------------------------

    def update_tree(self, tree_id: bytes | None, changes: Mapping[str, bytes | None]) -> bytes:
        """Write the tree of ``tree_id`` with ``changes`` applied (``None`` removes a path)."""
        return objects.update_tree(self.repo.object_store, tree_id, changes, self.path)

    def lookup(self, tree_id: bytes, path: str) -> bytes | None:
        """The blob id at ``path`` under ``tree_id``, or ``None`` when there is no such file."""
        return objects.lookup(self.repo.object_store, tree_id, path)

    def tree_files(self, tree_id: bytes) -> dict[str, bytes]:
        """``path -> blob id`` for every file under a tree."""
        return objects.tree_files(self.repo.object_store, tree_id)

    def snapshot_paths(self, tree_id: bytes | None) -> list[str]:
        """Every snapshot file under ``snapshots/`` in a tree."""
        return objects.snapshot_paths(self.repo.object_store, tree_id)

    def diff_trees(self, old: bytes, new: bytes) -> dict[str, bytes | None]:
        """``path -> blob id`` for files that differ (``None``: gone)."""
        return objects.diff_trees(self.repo.object_store, old, new)

    def files_at(self, rev: str | None = None) -> dict[str, bytes]:
        """``path -> blob id`` in the tree of ``rev`` (default: the head; empty store: none)."""
        commit = rev or self.head()
        if commit is None:
            return {}
        return self.tree_files(self.repo[commit.encode()].tree)

    def read_file(self, path: str, rev: str | None = None) -> bytes | None:
        """A file of the tree at ``rev`` (default: the head), or ``None`` when absent."""
        commit = rev or self.head()
        if commit is None:
            return None
        sha = self.lookup(self.repo[commit.encode()].tree, path)
        return None if sha is None else self.blob(sha)

    def has_object(self, sha: str) -> bool:
        """True when the store holds the object (written or admitted by gitmetrics)."""
        return sha.encode() in self.repo.object_store

    def blob(self, sha: bytes) -> bytes:
        """The content of a blob."""
        data = self._written.get(sha)
        return objects.blob(self.repo.object_store, sha) if data is None else data

    # --- work tree (see store/worktree.py) ---------------------------------------------

    def sync_worktree(self) -> None:
        """Bring the work tree and index to the branch head (under the write lock)."""
        try:
            worktree.sync(self)
        finally:
            self._forget_written()

    def sync_after(self, commit: str, what: str) -> None:
        """:meth:`sync_worktree` once ``commit`` has landed: an OSError then says so."""
        try:
            worktree.sync_after(self, commit, what)
        finally:
            self._forget_written()

    def _forget_written(self) -> None:
        self._written.clear()
        self._written_bytes = 0

    def update_worktree(self) -> None:
        """Bring the work tree up to the branch head (takes the lock; stores only)."""
        try:
            worktree.update(self)
        finally:
            self._forget_written()

    # --- reading (see store/reader.py) ------------------------------------------------

    @property
    def commits(self) -> CommitReader:
        """The commit reader of this store (kept open with the repository)."""
        if self._reader is None:
            kept = self.cache(COMMITS_CACHE, keep=KEPT_COMMITS)
            plain = self.plain()
            if plain is not None:
                loose = str(plain.controldir / "objects")
            else:
                loose = self.repo.object_store.path
            self._reader = CommitReader(lambda: self.repo, loose, self.path, kept)
        return self._reader

    def history(self, limit: int | None = None, rev: str | None = None) -> Iterator[HistoryEntry]:
        """Collections newest first, from commit messages alone (pruned ones included).

        Commits are read one at a time, newest first by commit time, so ``limit=10`` costs
        the same on a history of ten collections as on one of ten thousand.
        """
        head = rev or self.head()
        if head is None:
            return
        for count, found in enumerate(self.walk_history([head]), start=1):
            yield found
            if limit is not None and count >= limit:
                return

    def walk_history(self, heads: Sequence[str]) -> Iterator[HistoryEntry]:
        """Collections reachable from any of ``heads``, each once, newest commit first."""
        return self.commits.history(heads)

    def find_commit(self, rev: str) -> str | None:
        """The commit a revision names (sha, prefix, ref, ``HEAD~2``, ``main^``), or ``None``."""
        return find_commit(self.repo, rev)

    def resolve(self, rev: str) -> str:
        """The commit id a revision names; ``StoreError`` when there is none."""
        commit = self.find_commit(rev)
        if commit is None:
            raise StoreError(
                f"{self.path}: no revision {rev!r} in the metrics repository",
                "give a commit id, a branch, a tag or HEAD~N (see `gitmetrics history`)",
            )
        return commit

    def kept_snapshot(self, entry: HistoryEntry) -> bytes | None:
        """The snapshot of one of the newest collections as the local cache keeps it (its
        JSON on one line), or ``None`` when it is not kept there."""
        stamp = entry.timestamp.encode("ascii", "replace") + b" "
        kept = self.cache(NEWEST_CACHE, keep=NEWEST_KEPT).get(entry.commit)
        return kept[len(stamp) :] if kept is not None and kept.startswith(stamp) else None

    def snapshot_bytes(self, entry: HistoryEntry, *, cached: bool = True) -> bytes:
        """A collection's snapshot file: from the local cache of the newest collections when
        it is kept there (and ``cached``), else read from its commit and kept there when it
        is one of the newest (as compact JSON on one line); ``StoreError`` when the commit
        has no such file."""
        kept = self.kept_snapshot(entry) if cached else None
        if kept is not None:
            return kept
        commit = self.repo[entry.commit.encode()]
        sha = self.lookup(commit.tree, entry.snapshot_path)
        if sha is None:
            raise StoreError(
                f"{self.path}: commit {entry.commit[:10]} has no {entry.snapshot_path}"
            )
        data = self.blob(sha)
        newest = self.cache(NEWEST_CACHE, keep=NEWEST_KEPT)
        stamp = entry.timestamp.encode("ascii", "replace") + b" "
        if newest.wants(stamp):
            try:
                compact = json.dumps(json.loads(data), separators=(",", ":"))
            except ValueError:
                return data  # not JSON: its reader says so
            newest.put(entry.commit, stamp + compact.encode())
        return data

    def snapshot_at(self, entry: HistoryEntry) -> Snapshot:
        """The full snapshot written by a collection (read from its own commit).

        The store wrote it, so it is parsed, not validated against the schema again;
        malformed data still raises :class:`~gitmetrics.errors.SnapshotError`.
        """
        from gitmetrics import snapshot as snapmod

        origin = f"{entry.snapshot_path}@{entry.commit[:10]}"
        try:
            return snapmod.read_stored(self.snapshot_bytes(entry), origin)
        except GitmetricsError:
            if self.kept_snapshot(entry) is None:
                raise
        # a damaged entry of the cache is a miss: read the commit
        return snapmod.read_stored(self.snapshot_bytes(entry, cached=False), origin)

    def snapshots(
        self, limit: int | None = None, rev: str | None = None
    ) -> Iterator[tuple[HistoryEntry, Snapshot]]:
        """Collections with their full snapshots, newest first (from ``rev``, default head).

        ``limit`` counts collections read; an unreadable one is skipped with a warning.
        """
        return self.readable(self.history(limit=limit, rev=rev))

    def readable(self, entries: Iterable[HistoryEntry]) -> Iterator[tuple[HistoryEntry, Snapshot]]:
        """Each entry with its snapshot; one that cannot be read is skipped with a warning."""
        for entry in entries:
            try:
                yield entry, self.snapshot_at(entry)
            except GitmetricsError as exc:
                warn(f"skipped collection {entry.commit[:10]}: {exc.message}")
