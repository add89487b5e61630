"""The metrics repository: snapshots committed straight from the object store.

Commits are built without an index or checkout: blobs and trees are written first, then
the branch moves by compare-and-swap; when another writer moved it first, the commit is
rebuilt on the new head. A crash at any point leaves a valid store, because objects are
always written before the ref that makes them reachable.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import re
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gitmetrics import snapshot as snapmod
from gitmetrics.errors import GitmetricsError, StoreError, after_commit_error, warn
from gitmetrics.snapshot import Snapshot, Source
from gitmetrics.store import gate, incoming, locks
from gitmetrics.store import index as indexmod

BRANCH = b"refs/heads/main"
LATEST = "latest.json"
SNAPSHOT_DIR = "snapshots"
FILE_MODE = 0o100644
TREE_MODE = 0o040000
MAX_RETRIES = 50

TRAILER_PREFIX = "Gitmetrics-"
#: Records which tree the index holds after a sync (see Store._sync_worktree).
SYNC_MARK = "gitmetrics-worktree"

#: The one file of the root commit every store starts from (and keeps).
STORE_MARKER = ".gitmetrics.json"
STORE_VERSION = 1
#: The root commit is the same bytes on every machine, so stores created apart (one per
#: CI runner, say) share history and sync merges them instead of refusing them as unrelated.
ROOT_TIME = 1577836800  # 2020-01-01T00:00:00Z
ROOT_MESSAGE = (
    "gitmetrics: start of a metrics repository\n\n"
    "Every gitmetrics store begins with this same commit, so stores created on\n"
    "different machines share history and can be synced.\n"
)


#: How many earlier collections a deriver is shown.
DERIVE_HISTORY = 30


@dataclass(frozen=True)
class DeriveContext:
    """What a deriver sees when a snapshot becomes the newest one."""

    snapshot: Snapshot
    #: earlier collections, newest first (up to DERIVE_HISTORY), not including ``snapshot``
    previous: Sequence[HistoryEntry]
    #: reads a file of the tree being replaced (``None`` when absent)
    read: Callable[[str], bytes | None]
    #: every path in the new tree before derived files are applied (snapshots, latest.json,
    #: and the derived files of the tree being replaced)
    paths: Sequence[str] = ()
    #: every earlier collection with its full snapshot, newest first, read lazily on demand
    #: (for derived files that show the whole history, such as the dashboard); snapshots
    #: that cannot be read are left out
    earlier: Callable[[], Iterator[tuple[HistoryEntry, Snapshot]]] = lambda: iter(())
    #: where ``snapshot`` is (or will be) in the tree, e.g. ``snapshots/2026/11/metrics_...json``
    snapshot_path: str = ""


#: Builds the derived files (README.md, badges, ...) for the newest snapshot;
#: a value of ``None`` removes that path from the tree.
Deriver = Callable[[DeriveContext], Mapping[str, bytes | None]]


@dataclass(frozen=True)
class HistoryEntry:
    """One collection, read from its commit object alone (message trailers)."""

    commit: str
    timestamp: str
    snapshot_path: str
    avg_coverage: float | None
    weighted_coverage: float | None
    repos: int
    files: int
    failed: int
    host: str
    subject: str


@dataclass(frozen=True)
class CommitResult:
    """What a commit of one snapshot did."""

    commit: str
    snapshot_path: str
    pruned: tuple[str, ...]
    retries: int
    parent: str | None


@dataclass
class Store:
    """A metrics repository on disk (normal or bare)."""

    path: Path
    derive: Deriver | None = None
    _repo: Any = field(default=None, repr=False)
    _packed_history: bool = field(default=False, repr=False)
    _packs: list[tuple[Any, Any]] = field(default_factory=list, repr=False)

    # --- opening ----------------------------------------------------------------

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
        return self._repo

    @property
    def gitdir(self) -> Path:
        """The git control directory (``.git`` or the bare repository itself)."""
        return Path(self.repo.controldir())

    @property
    def bare(self) -> bool:
        """True for a bare store (no work tree)."""
        return bool(self.repo.bare)

    def close(self) -> None:
        """Release file handles held by dulwich."""
        for _, data in self._packs:
            data.close()
        self._packs = []
        self._packed_history = False
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def branch_ref(self) -> bytes:
        """The branch HEAD points at (``refs/heads/main`` for stores we created)."""
        try:
            target: bytes = self.repo.refs.get_symrefs().get(b"HEAD", BRANCH)
        except Exception:
            target = BRANCH
        return target

    def head(self) -> str | None:
        """The commit the store's branch points at, or ``None`` for an empty store."""
        sha = self.repo.refs.as_dict().get(self.branch_ref())
        return None if sha is None else sha.decode()

    # --- writing ----------------------------------------------------------------

    def commit_snapshot(
        self,
        snap: Snapshot,
        *,
        retention: int,
        message: str | None = None,
        commit_time: int | None = None,
    ) -> CommitResult:
        """Commit one validated snapshot; rebuilds and retries when the branch moved.

        ``commit_time`` (Unix seconds) dates the commit, for imported history; default now.
        """
        from dulwich.objects import Blob

        data = snapmod.to_json(snap)  # validates: an invalid snapshot never gets further
        snap_path = snapmod.file_name(snap, data)
        blob = Blob.from_string(data)
        with self._locked():
            self._add_objects([blob])
            for attempt in range(MAX_RETRIES):
                old = self.head()
                parent = old or self.write_root()
                base = self.repo[parent.encode()].tree
                repeat = 0
                while self.lookup(base, snap_path) is not None:
                    repeat += 1  # the same figures twice in one second: a new name
                    snap_path = snapmod.file_name(snap, data, repeat)
                # only the changed paths are touched: a store with 10,000 snapshot files
                # costs what a store with ten does
                changes: dict[str, bytes | None] = {snap_path: blob.id, LATEST: blob.id}
                if retention > 0:
                    snaps = dict.fromkeys(self._snapshot_paths(base), b"")
                    snaps[snap_path] = blob.id
                    pruned = prune(snaps, retention)
                    changes.update(dict.fromkeys(pruned, None))
                else:
                    pruned = []
                if self.derive is not None:
                    paths = set(self.tree_files(base)) | {snap_path}
                    paths.difference_update(pruned)
                    changes.update(
                        self._derived(
                            snap,
                            parent,
                            _reader(self, base, changes),
                            paths=tuple(sorted(paths)),
                            snapshot_path=snap_path,
                        )
                    )
                prev = next(iter(self.history(limit=1)), None)
                text = message or commit_message(snap, snap_path, prev)
                tree_id = self.update_tree(base, changes)
                commit_id = self._commit_tree(tree_id, [parent], text, commit_time)
                # the branch may not exist yet (a `git init` repository): create it then
                if self._move_branch(old, commit_id):
                    self._sync_after(commit_id, "the collection")
                    return CommitResult(commit_id, snap_path, tuple(pruned), attempt, parent)
                time.sleep(0.01 * (attempt + 1))
        raise self._kept_moving()

    def _kept_moving(self) -> StoreError:
        return StoreError(
            f"{self.path}: the branch kept moving; gave up after {MAX_RETRIES} attempts",
            "another process is committing continuously; try again",
        )

    def commit_files(self, changes: Mapping[str, bytes | None], message: str) -> str | None:
        """Commit a few files (``None`` removes one) on top of the head; no snapshot involved.

        Returns the new commit, or ``None`` when nothing changed. Snapshot files are refused.
        """
        from dulwich.objects import Blob

        for path in changes:
            if path == LATEST or path.startswith(SNAPSHOT_DIR + "/"):
                raise StoreError(f"{path!r} is a snapshot file; only collect writes those")
        blobs = {p: Blob.from_string(c) for p, c in changes.items() if c is not None}
        with self._locked():
            self._add_objects(list(blobs.values()))
            for attempt in range(MAX_RETRIES):
                old = self.head()
                parent = old or self.write_root()
                base = self.repo[parent.encode()].tree
                edits = {p: None if c is None else blobs[p].id for p, c in changes.items()}
                tree_id = self.update_tree(base, edits)  # only the changed paths are read
                if tree_id == base:
                    return None
                commit_id = self._commit_tree(tree_id, [parent], message)
                if self._move_branch(old, commit_id):
                    self._sync_after(commit_id, "the change")
                    return commit_id
                time.sleep(0.01 * (attempt + 1))
        raise self._kept_moving()

    def read_file(self, path: str, rev: str | None = None) -> bytes | None:
        """A file of the tree at ``rev`` (default: the head), or ``None`` when absent."""
        sha = self.files_at(rev).get(path)
        return None if sha is None else self.blob(sha)

    def _apply_derived(
        self,
        files: dict[str, bytes],
        snap: Snapshot,
        parent: str | None,
        previous: Sequence[HistoryEntry] | None = None,
        sides: Sequence[str] = (),
        snapshot_path: str = "",
    ) -> None:
        """Regenerate the derived files in ``files`` for ``snap`` as the newest snapshot.

        ``previous`` defaults to the history of ``parent``; a merge passes both sides'
        history and its ``sides``, so views of the whole history see both.
        """
        before = dict(files)

        def read(path: str) -> bytes | None:
            sha = before.get(path)
            return None if sha is None else self.blob(sha)

        for path, sha in self._derived(
            snap,
            parent,
            read,
            previous=previous,
            sides=sides,
            paths=tuple(sorted(before)),
            snapshot_path=snapshot_path,
        ).items():
            if sha is None:
                files.pop(path, None)
            else:
                files[path] = sha

    def _derived(
        self,
        snap: Snapshot,
        parent: str | None,
        read: Callable[[str], bytes | None],
        *,
        previous: Sequence[HistoryEntry] | None = None,
        sides: Sequence[str] = (),
        paths: Sequence[str] = (),
        snapshot_path: str = "",
    ) -> dict[str, bytes | None]:
        """The derived files for ``snap`` as ``path -> blob id`` (``None``: remove the path)."""
        if self.derive is None:
            return {}
        from dulwich.objects import Blob

        if previous is None:
            previous = list(self.history(limit=DERIVE_HISTORY, rev=parent)) if parent else []
        heads = list(sides) or ([parent] if parent else [])

        def earlier() -> Iterator[tuple[HistoryEntry, Snapshot]]:
            # a derived view must never stop a commit: what is unreadable is skipped
            return self.readable(self._walk_history(heads))

        derived = self.derive(
            DeriveContext(
                snap, previous, read, paths=paths, earlier=earlier, snapshot_path=snapshot_path
            )
        )
        out: dict[str, bytes | None] = {}
        blobs = []
        for path, content in derived.items():
            if path == LATEST or path.startswith(SNAPSHOT_DIR + "/"):
                raise StoreError(f"derived file {path!r} would overwrite a snapshot")
            if not gate.in_layout(path):
                # the store never writes what it would refuse to pull
                raise StoreError(f"derived file {path!r} is outside the store's layout")
            if content is None:
                out[path] = None
                continue
            blob = Blob.from_string(content)
            blobs.append(blob)
            out[path] = blob.id
        self._add_objects(blobs)
        return out

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with locks.write_lock(self.gitdir) as crashed:
                if crashed:
                    locks.sweep(self.gitdir, None if self.bare else Path(self.repo.path))
                incoming.sweep(self.gitdir)
                for stale in (self.gitdir / "objects" / "pack").glob("*.lock"):
                    locks.clear_stale(stale)  # a pack index a killed writer left half-written
                for name in ("HEAD.lock", "index.lock", "packed-refs.lock", "config.lock"):
                    locks.clear_stale(self.gitdir / name)
                locks.clear_stale(self.gitdir / (self.branch_ref().decode() + ".lock"))
                yield
        except OSError as exc:
            if exc.filename is not None or exc.errno is None:
                raise
            # a failed write() or flush() names no file: the message names the store
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc

    def _add_objects(self, objects: Sequence[Any]) -> None:
        from dulwich.file import FileLocked

        store = self.repo.object_store
        for obj in objects:
            for _ in range(3):
                try:
                    store.add_object(obj)
                    break
                except FileLocked as exc:
                    # a writer killed mid-object left its lock; we hold the store lock
                    locks.clear_stale(Path(os.fsdecode(exc.lockfilename)))
                except OSError:
                    # a full disk fails dulwich's flush before its rename, and the lock file
                    # stays (git fsck: "bad sha1 file"); it is ours, under the store lock
                    name = obj.id.decode()
                    _remove(Path(store.path) / name[:2] / f"{name[2:]}.lock")
                    raise
            else:
                raise StoreError(f"{self.path}: object {obj.id.decode()} stays locked")

    def _commit_tree(
        self, tree_id: bytes, parents: Sequence[str], text: str, commit_time: int | None = None
    ) -> str:
        from dulwich.objects import Commit, ObjectID

        commit = Commit()
        commit.tree = ObjectID(tree_id)
        commit.parents = [ObjectID(p.encode()) for p in parents]
        ident = b"gitmetrics <gitmetrics@localhost>"
        commit.author = commit.committer = ident
        commit.author_time = commit.commit_time = (
            int(time.time()) if commit_time is None else commit_time
        )
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = text.encode()
        self._add_objects([commit])
        return str(commit.id.decode())

    def write_root(self) -> str:
        """Write the shared root commit (identical bytes everywhere) and return its id."""
        from dulwich.objects import Blob

        marker = {"kind": "gitmetrics-store", "store_version": STORE_VERSION}
        blob = Blob.from_string(snapmod.dumps(marker))
        self._add_objects([blob])
        return self.write_commit({STORE_MARKER: blob.id}, [], ROOT_MESSAGE, commit_time=ROOT_TIME)

    def only_root(self) -> bool:
        """True when the branch holds nothing but the shared root (no collection yet)."""
        head = self.head()
        if head is None:
            return False
        commit = self.repo[head.encode()]
        return (
            not commit.parents
            and commit.commit_time == ROOT_TIME
            and commit.message == ROOT_MESSAGE.encode()
            and set(self._flat_tree(head)) == {STORE_MARKER}
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
        return self._commit_tree(self._write_tree(files), parents, text, commit_time)

    def _move_branch(self, old: str | None, new: str) -> bool:
        from dulwich.file import FileLocked

        ref = self.branch_ref()
        msg = b"gitmetrics: commit"
        for _ in range(3):
            try:
                if old is None:
                    return bool(self.repo.refs.add_if_new(ref, new.encode(), message=msg))
                return bool(
                    self.repo.refs.set_if_equals(ref, old.encode(), new.encode(), message=msg)
                )
            except FileLocked as exc:
                if not locks.clear_stale(Path(os.fsdecode(exc.lockfilename))):
                    return False
            except OSError:
                # the ref did not move (dulwich renames last); drop the lock it left
                _remove(self.gitdir / f"{ref.decode()}.lock")
                raise
        return False

    def _write_tree(self, files: Mapping[str, bytes]) -> bytes:
        """Write nested trees for a flat ``path -> blob id`` map; returns the root tree id."""
        from dulwich.objects import ObjectID, Tree

        nested: dict[str, Any] = {}
        for path, sha in files.items():
            node = nested
            *dirs, leaf = path.split("/")
            for d in dirs:
                node = node.setdefault(d, {})
            node[leaf] = sha

        trees: list[Any] = []

        def build(node: dict[str, Any]) -> bytes:
            tree = Tree()
            for name, value in node.items():
                if isinstance(value, dict):
                    tree.add(name.encode(), TREE_MODE, ObjectID(build(value)))
                else:
                    tree.add(name.encode(), FILE_MODE, ObjectID(value))
            trees.append(tree)
            return bytes(tree.id)

        root = build(nested)
        self._add_objects(trees)
        return root

    def _entries(self, tree_id: bytes | None) -> dict[bytes, tuple[int, bytes]]:
        """``name -> (mode, sha)`` of one tree object (empty for ``None``)."""
        if tree_id is None:
            return {}
        return {e.path: (e.mode, e.sha) for e in self.repo.object_store[tree_id].iteritems()}

    def update_tree(self, tree_id: bytes | None, changes: Mapping[str, bytes | None]) -> bytes:
        """Write the tree of ``tree_id`` with ``changes`` applied (``None`` removes a path).

        Only the trees on changed paths are rebuilt; every other subtree keeps its id.
        Returns the new root tree id.
        """
        from dulwich.objects import ObjectID, Tree

        written: list[Any] = []

        def apply(tid: bytes | None, sub: Mapping[str, bytes | None]) -> bytes | None:
            entries = self._entries(tid)
            nested: dict[str, dict[str, bytes | None]] = {}
            for path, sha in sub.items():
                head, sep, rest = path.partition("/")
                if sep:
                    nested.setdefault(head, {})[rest] = sha
                elif sha is None:
                    entries.pop(head.encode(), None)
                else:
                    entries[head.encode()] = (FILE_MODE, sha)
            for name, inner in nested.items():
                key = name.encode()
                old = entries.get(key)
                child = old[1] if old is not None and stat.S_ISDIR(old[0]) else None
                new = apply(child, inner)
                if new is None:
                    entries.pop(key, None)
                else:
                    entries[key] = (TREE_MODE, new)
            if not entries:
                return None
            tree = Tree()
            for name_b, (mode, sha_b) in entries.items():
                tree.add(name_b, mode, ObjectID(sha_b))
            written.append(tree)
            return bytes(tree.id)

        root = apply(tree_id, changes)
        if root is None:  # the root stays, even empty
            empty = Tree()
            written.append(empty)
            root = bytes(empty.id)
        self._add_objects(written)
        return root

    def lookup(self, tree_id: bytes, path: str) -> bytes | None:
        """The blob id at ``path`` under ``tree_id``, or ``None`` when there is no such file."""
        sha = tree_id
        *dirs, leaf = path.split("/")
        for part in dirs:
            entry = self._entries(sha).get(part.encode())
            if entry is None or not stat.S_ISDIR(entry[0]):
                return None
            sha = entry[1]
        found = self._entries(sha).get(leaf.encode())
        return None if found is None or stat.S_ISDIR(found[0]) else found[1]

    def _snapshot_paths(self, tree_id: bytes | None) -> list[str]:
        """Every snapshot file under ``snapshots/`` in a tree (only that subtree is read)."""
        if tree_id is None:
            return []
        top = self._entries(tree_id).get(SNAPSHOT_DIR.encode())
        if top is None or not stat.S_ISDIR(top[0]):
            return []
        return [f"{SNAPSHOT_DIR}/{p}" for p in self.tree_files(top[1])]

    def _flat_tree(self, commit: str | None) -> dict[str, bytes]:
        """``path -> blob id`` for every file in ``commit``'s tree."""
        if commit is None:
            return {}
        tree_id = self.repo[commit.encode()].tree
        return self.tree_files(tree_id)

    def tree_files(self, tree_id: bytes) -> dict[str, bytes]:
        """``path -> blob id`` for every file under a tree."""
        out: dict[str, bytes] = {}
        store = self.repo.object_store
        stack: list[tuple[str, bytes]] = [("", tree_id)]
        while stack:
            prefix, tid = stack.pop()
            for entry in store[tid].iteritems():
                name = prefix + entry.path.decode()
                if stat.S_ISDIR(entry.mode):
                    stack.append((name + "/", entry.sha))
                else:
                    out[name] = entry.sha
        return out

    def files_at(self, rev: str | None = None) -> dict[str, bytes]:
        """``path -> blob id`` in the tree of ``rev`` (default: the head)."""
        return self._flat_tree(rev or self.head())

    def resolve(self, rev: str) -> str:
        """The commit id a revision names; ``StoreError`` when there is none."""
        commit = self.find_commit(rev)
        if commit is None:
            raise StoreError(
                f"{self.path}: no revision {rev!r} in the metrics repository",
                "give a commit id, a branch, a tag or HEAD~N (see `gitmetrics history`)",
            )
        return commit

    def has_object(self, sha: str) -> bool:
        """True when the store holds the object (written or admitted by gitmetrics)."""
        return sha.encode() in self.repo.object_store

    def refresh(self) -> None:
        """Forget dulwich's view of the object store (after objects were moved in)."""
        self.close()

    def blob(self, sha: bytes) -> bytes:
        """The content of a blob."""
        data: bytes = self.repo.object_store[sha].as_raw_string()
        return data

    # --- work tree ---------------------------------------------------------------

    def _sync_worktree(self) -> None:
        """Bring the work tree and index to the branch head (call under the write lock).

        When the index is exactly as the last sync left it (its size and mtime are recorded
        with the tree it holds), only the paths that differ between that tree and the new
        head are written; otherwise every path is compared, as after a crash or a git
        command run by hand.
        """
        if self.bare:
            return
        from dulwich.index import Index, index_entry_from_stat

        head = self.head()
        new_tree = None if head is None else self.repo[head.encode()].tree
        top = Path(self.repo.path)
        index_path = self.gitdir / "index"
        synced = self._synced_tree(index_path)
        if synced is not None and new_tree is not None:
            entries: dict[bytes, bytes | None] = {}
            for path, sha in self.diff_trees(synced, new_tree).items():
                target = top / path
                if sha is None:
                    with contextlib.suppress(FileNotFoundError):
                        target.unlink()
                    _prune_empty_dirs(target.parent, top)
                    entries[path.encode()] = None
                    continue
                self._write_file(target, sha)
                entries[path.encode()] = indexmod.entry_bytes(path.encode(), os.lstat(target), sha)
            locks.clear_stale(self.gitdir / "index.lock")
            if indexmod.update(index_path, entries):
                self._mark_synced(index_path, new_tree)
                return
        # the index was changed by someone else (or is in a format we leave to dulwich):
        # compare every path
        index = Index(str(index_path), read=index_path.exists())
        wanted = self._flat_tree(head)
        current = {path.decode(): entry for path, entry in index.items()}
        gone = [p for p in current if p not in wanted]
        for path, sha in wanted.items():
            target = top / path
            entry = current.get(path)
            if entry is not None and getattr(entry, "sha", None) == sha and target.exists():
                continue
            self._write_file(target, sha)
            index[path.encode()] = index_entry_from_stat(os.lstat(target), sha, FILE_MODE)
        for path in gone:
            target = top / path
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            if path.encode() in index:
                del index[path.encode()]
            _prune_empty_dirs(target.parent, top)
        locks.clear_stale(self.gitdir / "index.lock")
        index.write()
        self._mark_synced(index_path, new_tree)

    def _sync_after(self, commit: str, what: str) -> None:
        """:meth:`_sync_worktree` once ``commit`` has landed: an OSError then says so."""
        try:
            self._sync_worktree()
        except OSError as exc:
            _remove(self.gitdir / "index.lock")  # ours: a stale one was cleared before
            raise after_commit_error(
                exc,
                self.path,
                commit,
                what,
                "the work tree of the store is behind it",
                f"run `gitmetrics init {self.path}` to bring the work tree up to date "
                "(the next collect does too)",
            ) from exc

    def update_worktree(self) -> None:
        """Bring the work tree up to the branch head (after a sync that failed, say).

        Only a gitmetrics store's (its tree holds the marker): never another repository's.
        """
        with self._locked():
            head = self.head()
            if head is None or self.lookup(self.repo[head.encode()].tree, STORE_MARKER) is None:
                return
            self._sync_worktree()

    def _write_file(self, target: Path, sha: bytes) -> None:
        top = Path(self.repo.path)
        if not target.is_relative_to(top) or any(
            part in (".", "..") or (part.casefold().startswith(".git") and part != STORE_MARKER)
            for part in target.relative_to(top).parts
        ):
            # the gate keeps such paths out of the store; never write one regardless
            raise StoreError(f"{self.path}: refusing to write {str(target)!r} into the work tree")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.gitmetrics-tmp")
        try:
            tmp.write_bytes(self.blob(sha))
            tmp.replace(target)
        except OSError:
            _remove(tmp)
            raise

    def _synced_tree(self, index_path: Path) -> bytes | None:
        """The tree the index holds, if the index is untouched since the last sync."""
        try:
            tree, size, mtime = (self.gitdir / SYNC_MARK).read_text().split()
            st = index_path.stat()
        except (OSError, ValueError):
            return None
        if (str(st.st_size), str(st.st_mtime_ns)) != (size, mtime):
            return None
        sha = tree.encode()
        return sha if sha in self.repo.object_store else None

    def _mark_synced(self, index_path: Path, tree: bytes | None) -> None:
        mark = self.gitdir / SYNC_MARK
        if tree is None:
            mark.unlink(missing_ok=True)
            return
        st = index_path.stat()
        tmp = mark.with_name(mark.name + ".tmp")
        tmp.write_text(f"{tree.decode()} {st.st_size} {st.st_mtime_ns}\n")
        tmp.replace(mark)

    def diff_trees(self, old: bytes, new: bytes) -> dict[str, bytes | None]:
        """``path -> blob id`` for files that differ (``None``: gone); equal subtrees skipped."""
        out: dict[str, bytes | None] = {}

        def walk(prefix: str, a: bytes | None, b: bytes | None) -> None:
            if a == b:
                return
            left, right = self._entries(a), self._entries(b)
            for name in left.keys() | right.keys():
                path = prefix + name.decode()
                la, rb = left.get(name), right.get(name)
                l_dir = la is not None and stat.S_ISDIR(la[0])
                r_dir = rb is not None and stat.S_ISDIR(rb[0])
                if l_dir or r_dir:
                    walk(
                        path + "/", la[1] if l_dir and la else None, rb[1] if r_dir and rb else None
                    )
                if rb is not None and not r_dir:
                    if la is None or la[1] != rb[1] or l_dir:
                        out[path] = rb[1]
                elif la is not None and not l_dir:
                    out[path] = None

        walk("", old, new)
        return out

    # --- reading -----------------------------------------------------------------

    def history(self, limit: int | None = None, rev: str | None = None) -> Iterator[HistoryEntry]:
        """Collections newest first, from commit messages alone (pruned ones included).

        Commits are read one at a time, newest first by commit time, so ``limit=10`` costs
        the same on a history of ten collections as on one of ten thousand.
        """
        head = rev or self.head()
        if head is None:
            return
        for count, found in enumerate(self._walk_history([head]), start=1):
            yield found
            if limit is not None and count >= limit:
                return

    def _walk_history(self, heads: Sequence[str]) -> Iterator[HistoryEntry]:
        """Collections reachable from any of ``heads``, each once, newest commit first."""
        for sha, message in self._walk([h.encode() for h in heads]):
            found = _entry_from(sha, message)
            if found is not None:
                yield found

    def _walk(self, heads: Sequence[bytes]) -> Iterator[tuple[str, bytes]]:
        """``(commit id, message)`` of every commit reachable from ``heads``, newest first."""
        queue: list[tuple[int, int, bytes]] = []
        seen = set(heads)
        pending: dict[bytes, bytes] = {}
        order = 0
        for order, head in enumerate(dict.fromkeys(heads)):
            raw = self._raw_commit(head)
            heapq.heappush(queue, (-_commit_time(raw), order, head))
            pending[head] = raw
        while queue:
            _, _, sha = heapq.heappop(queue)
            raw = pending.pop(sha)
            headers, _, message = raw.partition(b"\n\n")
            for line in headers.split(b"\n"):
                if line.startswith(b"parent "):
                    parent = line[7:47]
                    if parent not in seen:
                        seen.add(parent)
                        order += 1
                        praw = self._raw_commit(parent)
                        pending[parent] = praw
                        heapq.heappush(queue, (-_commit_time(praw), order, parent))
            yield sha.decode(), message

    def _raw_commit(self, sha: bytes) -> bytes:
        """A commit object's raw text, read straight from its loose file when there is one.

        After the first commit found in a pack (a store after ``gitmetrics gc``), packs are
        asked first, so a packed history pays no failed file opens.
        """
        store = self.repo.object_store
        if self._packed_history:
            raw_sha = bytes.fromhex(sha.decode())
            for pack, data in self._packs:  # asked directly: no store lookups per call
                try:
                    offset = pack.index.object_offset(raw_sha)
                except KeyError:
                    continue
                found = _packed_commit(data, offset)
                if found is not None:
                    return found
                return self._checked(sha, *pack.get_raw(raw_sha))  # a delta: dulwich resolves
        name = sha.decode()
        try:
            with open(f"{store.path}/{name[:2]}/{name[2:]}", "rb") as fh:  # noqa: PTH123 - hot
                data = zlib.decompress(fh.read())
        except (OSError, zlib.error):
            self._packed_history = True
            self._packs = [(p, _map(p._data_path)) for p in store.packs]
            return self._checked(sha, *store.get_raw(sha))
        header, _, body = data.partition(b"\0")
        if not header.startswith(b"commit "):
            raise StoreError(f"{self.path}: {sha.decode()} is not a commit")
        return body

    def _checked(self, sha: bytes, kind: int, text: bytes) -> bytes:
        if kind != 1:
            raise StoreError(f"{self.path}: {sha.decode()} is not a commit")
        return bytes(text)

    def find_commit(self, rev: str) -> str | None:
        """The commit a revision names (sha, prefix, ref, ``HEAD~2``, ``main^``), or ``None``."""

        from dulwich.objects import Commit
        from dulwich.objectspec import parse_commit

        m = re.fullmatch(r"(.+?)((?:[~^]\d*)*)", rev.strip())
        if m is None or not m.group(1):
            return None
        try:
            commit = parse_commit(self.repo, m.group(1))
        except (KeyError, ValueError):
            return None
        for op, count in re.findall(r"([~^])(\d*)", m.group(2)):
            n = int(count) if count else 1
            steps = n if op == "~" else 1
            parent_index = 0 if op == "~" else n - 1
            if op == "^" and n == 0:
                continue
            for _ in range(steps):
                if parent_index >= len(commit.parents):
                    return None
                commit = self.repo[commit.parents[parent_index]]
                if not isinstance(commit, Commit):
                    return None
        return str(commit.id.decode())

    def snapshot_at(self, entry: HistoryEntry) -> Snapshot:
        """The full snapshot written by a collection (read from its own commit)."""
        commit = self.repo[entry.commit.encode()]
        sha = self.lookup(commit.tree, entry.snapshot_path)
        if sha is None:
            raise StoreError(
                f"{self.path}: commit {entry.commit[:10]} has no {entry.snapshot_path}"
            )
        return snapmod.from_json(self.blob(sha), f"{entry.snapshot_path}@{entry.commit[:10]}")

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


def _reader(
    store: Store, base: bytes | None, changes: Mapping[str, bytes | None]
) -> Callable[[str], bytes | None]:
    """Reads a file of the tree being built: ``changes`` first, then the ``base`` tree."""

    def read(path: str) -> bytes | None:
        if path in changes:
            sha = changes[path]
        else:
            sha = None if base is None else store.lookup(base, path)
        return None if sha is None else store.blob(sha)

    return read


def _remove(path: Path) -> None:
    """Remove a file if it is there; on a failing file system, leave it."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _prune_empty_dirs(directory: Path, top: Path) -> None:
    while directory != top and directory.is_relative_to(top):
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def prune(files: dict[str, bytes], retention: int) -> list[str]:
    """Drop all but the newest ``retention`` snapshot files from ``files`` (0 keeps all)."""
    if retention <= 0:
        return []
    snaps = sorted(p for p in files if p.startswith(SNAPSHOT_DIR + "/") and p.endswith(".json"))
    # names start with the timestamp, so path order is time order
    doomed = snaps[:-retention] if len(snaps) > retention else []
    for p in doomed:
        del files[p]
    return doomed


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def commit_message(snap: Snapshot, snap_path: str, previous: HistoryEntry | None) -> str:
    """Subject with the headline figures, then trailers that ``history`` reads back."""
    s = snap.summary
    avg = "n/a" if s.avg_coverage is None else f"{s.avg_coverage:.1f}%"
    delta = ""
    if previous is not None and previous.avg_coverage is not None and s.avg_coverage is not None:
        delta = f" ({s.avg_coverage - previous.avg_coverage:+.1f})"
    failed = f", {s.repos_failed} failed" if s.repos_failed else ""
    subject = f"collect: {s.repos_count} repos, avg {avg}{delta}{failed}"
    trailers = {
        "Schema": str(snap.schema_version),
        "Snapshot": snap_path,
        "Timestamp": snap.timestamp,
        "Avg-Coverage": _fmt(s.avg_coverage),
        "Weighted-Coverage": _fmt(s.weighted_coverage),
        "Repos": str(s.repos_count),
        "Files": str(s.total_files_tested),
        "Failed": str(s.repos_failed),
        "Host": snap.host,
    }
    body = "\n".join(f"{TRAILER_PREFIX}{k}: {v}" for k, v in trailers.items())
    return f"{subject}\n\n{body}\n"


def parse_trailers(commit: Any) -> HistoryEntry | None:
    """The collection a commit records, or ``None`` (merges and foreign commits)."""
    return _entry_from(commit.id.decode(), commit.message)


def _map(path: str) -> Any:
    import mmap

    with open(path, "rb") as fh:  # noqa: PTH123 - the map outlives the file object
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _packed_commit(data: Any, offset: int) -> bytes | None:
    """A whole commit object stored at ``offset`` of a pack; ``None`` when it is a delta."""
    byte = data[offset]
    if (byte >> 4) & 7 != 1:  # not stored whole as a commit
        return None
    size = byte & 0x0F
    shift, pos = 4, offset + 1
    while byte & 0x80:
        byte = data[pos]
        size |= (byte & 0x7F) << shift
        shift += 7
        pos += 1
    inflater = zlib.decompressobj()
    body = inflater.decompress(data[pos : pos + size + 1024], size)
    if len(body) != size:
        return None  # odd compression: leave it to dulwich
    return body


def _commit_time(raw: bytes) -> int:
    start = raw.find(b"\ncommitter ")
    if start < 0:
        return 0
    line = raw[start + 1 : raw.find(b"\n", start + 1)]
    try:
        return int(line.rsplit(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def parse_trailers_strict(commit_id: str, message: bytes) -> HistoryEntry | None:
    """The collection a commit message records; ``None`` for merges and foreign commits.

    ``ValueError`` when the trailers are there but malformed (a bad number, a snapshot path
    outside the layout, a timestamp that is not one).
    """
    prefix = TRAILER_PREFIX.encode()
    start = 0 if message.startswith(prefix) else message.find(b"\n" + prefix)
    if start < 0:
        return None  # not a collection: no trailer at all
    values: dict[str, str] = {}
    cut = len(TRAILER_PREFIX)
    for line in message[start:].decode("utf-8", "replace").splitlines():
        if line.startswith(TRAILER_PREFIX):
            key, sep, value = line[cut:].partition(": ")
            if sep:
                values[key] = value.strip()
    if "Snapshot" not in values or "Timestamp" not in values:
        return None
    first = message.split(b"\n", 1)[0].decode("utf-8", "replace").splitlines()
    snapshot_path = values["Snapshot"]
    if not snapshot_path.startswith(SNAPSHOT_DIR + "/") or not gate.in_layout(snapshot_path):
        raise ValueError(f"Gitmetrics-Snapshot: {_shown(snapshot_path)} is not a snapshot path")
    timestamp = values["Timestamp"]
    try:
        datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Gitmetrics-Timestamp: {_shown(timestamp)} is not a time") from None

    def num(key: str) -> float | None:
        v = values.get(key, "n/a")
        if v == "n/a":
            return None
        try:
            value = float(v)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 100:
            raise ValueError(f"Gitmetrics-{key}: {_shown(v)} is not a percentage")
        return value

    def count(key: str) -> int:
        v = values.get(key, "0")
        if not v.isdigit() or len(v) > 12:
            raise ValueError(f"Gitmetrics-{key}: {_shown(v)} is not a count")
        return int(v)

    return HistoryEntry(
        commit=commit_id,
        timestamp=timestamp,
        snapshot_path=snapshot_path,
        avg_coverage=num("Avg-Coverage"),
        weighted_coverage=num("Weighted-Coverage"),
        repos=count("Repos"),
        files=count("Files"),
        failed=count("Failed"),
        host=values.get("Host", "")[:200],
        subject=first[0][:500] if first else "",
    )


def _entry_from(commit_id: str, message: bytes) -> HistoryEntry | None:
    """:func:`parse_trailers_strict` for readers: a malformed collection is skipped, with a
    warning naming it, so one bad commit never stops a command."""
    try:
        return parse_trailers_strict(commit_id, message)
    except ValueError as exc:
        warn(f"skipped collection {commit_id[:10]} in the metrics history: {exc}")
        return None


def _shown(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")[:80]


def check_path(path: Path) -> bool:
    """Whether ``path`` is a store already; ``StoreError`` unless it can become one.

    It can when it does not exist, is an empty directory, or is a git repository with no
    commit and nothing in its work tree. Nothing is written.
    """
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        Repo(str(path)).close()
    except NotGitRepository:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise StoreError(
                f"{path}: exists and is not empty, but is not a git repository",
                "choose another `store:` path in repos.yaml or --store",
            ) from None
        return False
    open_store(path).close()
    return True


def init(path: Path, *, bare: bool = False) -> Store:
    """Create a metrics repository at ``path`` (or open it when it is one already)."""
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    if check_path(path):
        return open_store(path)
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo.init_bare(str(path)) if bare else Repo.init(str(path), mkdir=False)
    try:
        repo.refs.set_symbolic_ref(Ref(b"HEAD"), Ref(BRANCH))
        cfg = repo.get_config()
        cfg.set((b"gc",), b"auto", b"0")  # packing is an explicit command
        cfg.set((b"gitmetrics",), b"storeVersion", b"1")
        cfg.write_to_path()
    finally:
        repo.close()
    store = Store(path)
    with store._locked():
        store._move_branch(None, store.write_root())
        store._sync_worktree()
    return store


def open_store(path: Path) -> Store:
    """Open an existing metrics repository; ``StoreError`` when there is none.

    A git repository that is not a gitmetrics store (its branch has no ``.gitmetrics.json``:
    a project's own checkout, say) is refused, so gitmetrics never commits onto it.
    """
    if not path.exists():
        raise StoreError(
            f"{path}: no metrics repository here",
            "run `gitmetrics collect` (it creates the store) or `gitmetrics init`",
        )
    store = Store(path)
    _ = store.repo  # raises StoreError when not a repository
    try:
        _check_is_store(store)
    except StoreError:
        store.close()
        raise
    return store


def _check_is_store(store: Store) -> None:
    head = store.head()
    if head is None:
        # a repository without a commit (`git init metrics`) is a store to be: nothing in it
        # may be overwritten, so its work tree must be empty
        if store.bare or not any(p.name != ".git" for p in store.path.iterdir()):
            return
        what = "has no commit yet but its directory is not empty"
    else:
        try:
            tree = store.repo[head.encode()].tree
        except KeyError:
            raise StoreError(
                f"{store.path}: the branch points at a missing commit {head[:10]}"
            ) from None
        if store.lookup(tree, STORE_MARKER) is not None:
            return
        what = f"has no {STORE_MARKER} on its branch"
    raise StoreError(
        f"{store.path}: is a git repository but not a gitmetrics store (it {what})",
        "gitmetrics writes only into its own stores: choose another path for `store:` in "
        "repos.yaml or --store (a new or empty directory)",
    )


def source_of(path: Path) -> Source | None:
    """HEAD commit, branch and dirty flag of the git repository containing ``path``.

    Untracked files (a freshly written coverage report, say) do not make it dirty.
    ``None`` when ``path`` is not inside a git repository.
    """
    from dulwich import porcelain
    from dulwich.errors import NotGitRepository
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    try:
        repo = Repo.discover(str(path))
    except NotGitRepository:
        return None
    try:
        try:
            head = repo.refs[Ref(b"HEAD")].decode()
        except KeyError:
            return Source(commit=None, branch=None, dirty=False)
        target = repo.refs.get_symrefs().get(Ref(b"HEAD"))
        branch = None
        if target is not None and target.startswith(b"refs/heads/"):
            branch = target[len(b"refs/heads/") :].decode()
        status = porcelain.status(repo, untracked_files="no")
        dirty = bool(status.unstaged) or any(bool(v) for v in status.staged.values())
        committed_at = getattr(repo[head.encode()], "commit_time", None)
        return Source(commit=head, branch=branch, dirty=dirty, committed_at=committed_at)
    finally:
        repo.close()
