"""The commit writer: snapshots and files committed straight from the object store.

Commits are built without an index or checkout: blobs and trees are written first, then
the branch moves by compare-and-swap; when another writer moved it first, the commit is
rebuilt on the new head (:func:`land`, the one such loop). A crash at any point leaves a
valid store, because objects are always written before the ref that makes them reachable.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gitmetrics import snapshot as snapmod
from gitmetrics.errors import SnapshotError, StoreError, warn
from gitmetrics.snapshot import Retention, Snapshot, StatePolicy, Thinning
from gitmetrics.store import incoming, locks
from gitmetrics.store.format import (
    LATEST,
    SNAPSHOT_DIR,
    in_layout,
    is_snapshot_path,
    write_root,
)
from gitmetrics.store.objects import Trees, remove
from gitmetrics.store.reader import HistoryEntry

if TYPE_CHECKING:
    from gitmetrics.store.repo import Store

MAX_RETRIES = 50
#: How many earlier collections a deriver is shown.
DERIVE_HISTORY = 30

T = TypeVar("T")


@dataclass(frozen=True)
class DeriveContext:
    """What a deriver sees when a snapshot becomes the newest one."""

    snapshot: Snapshot
    #: earlier collections, newest first (up to DERIVE_HISTORY), not including ``snapshot``
    previous: Sequence[HistoryEntry]
    #: reads a file of the tree being committed, as it is before the derived files are
    #: applied (so the new snapshot, latest.json and per-file detail, and the derived files
    #: of the tree being replaced); ``None`` when absent
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
    #: the store's branch (``main``), for links to its files on a git host
    branch: str = "main"
    #: the commits the new one is made on: its parent, or the two sides of a merge
    heads: Sequence[str] = ()
    #: the collections reachable from some commits (``heads`` for every earlier one), newest
    #: commit first, read from the commit messages alone: walking them reads no file
    history: Callable[[Sequence[str]], Iterator[HistoryEntry]] = lambda heads: iter(())
    #: the blob id of a file in the tree of an earlier commit, or (``None``) of the tree
    #: being committed; ``None`` when absent. Equal ids are equal contents, so an earlier
    #: version of a file is compared without reading either
    blob_id: Callable[[str | None, str], bytes | None] = lambda commit, path: None
    #: the content of a blob :attr:`blob_id` gave
    blob: Callable[[bytes], bytes] = lambda sha: b""


#: Builds the derived files (README.md, badges, ...) for the newest snapshot;
#: a value of ``None`` removes that path from the tree.
Deriver = Callable[[DeriveContext], Mapping[str, bytes | None]]


@dataclass(frozen=True)
class CommitResult:
    """What a commit of one snapshot did."""

    commit: str
    snapshot_path: str
    pruned: tuple[str, ...]
    retries: int
    parent: str | None
    #: a backfill placed in history: the merge that now heads the branch (``commit`` is
    #: the collection itself, on the collection before its time)
    merge: str | None = None
    #: the state the collection made (what ``latest.json`` holds)
    state: Snapshot | None = None
    #: repositories that left the state (no longer in the config)
    removed: tuple[str, ...] = ()


@contextlib.contextmanager
def locked(store: Store) -> Iterator[None]:
    """Hold the store's write lock; what a killed writer left behind is cleared first."""
    gitdir = store.gitdir
    try:
        with locks.write_lock(gitdir) as crashed:
            if crashed:
                locks.sweep(gitdir, None if store.bare else Path(store.repo.path))
            incoming.sweep(gitdir)
            for stale in (gitdir / "objects" / "pack").glob("*.lock"):
                locks.clear_stale(stale)  # a pack index a killed writer left half-written
            for name in ("HEAD.lock", "index.lock", "packed-refs.lock", "config.lock"):
                locks.clear_stale(gitdir / name)
            locks.clear_stale(gitdir / (store.branch_ref().decode() + ".lock"))
            yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        # a failed write() or flush() names no file: the message names the store
        raise OSError(exc.errno, exc.strerror, str(store.path)) from exc


def move_branch(store: Store, old: str | None, new: str) -> bool:
    """Move the branch from ``old`` (``None``: create it) to ``new``; False when it moved."""
    from dulwich.file import FileLocked

    ref = store.branch_ref()
    refs = store.repo.refs
    msg = b"gitmetrics: commit"
    for _ in range(3):
        try:
            if old is None:
                return bool(refs.add_if_new(ref, new.encode(), message=msg))
            return bool(refs.set_if_equals(ref, old.encode(), new.encode(), message=msg))
        except FileLocked as exc:
            if not locks.clear_stale(Path(os.fsdecode(exc.lockfilename))):
                return False
        except OSError:
            # the ref did not move (dulwich renames last); drop the lock it left
            remove(store.gitdir / f"{ref.decode()}.lock")
            raise
    return False


@dataclass(frozen=True)
class Landed:
    """A commit that moved the branch."""

    commit: str
    parent: str
    retries: int


def land(
    store: Store,
    build: Callable[[str, bytes], tuple[bytes, str, T] | None],
    what: str,
    commit_time: int | None = None,
) -> tuple[Landed, T] | None:
    """Commit on top of the head by compare-and-swap (call under the write lock).

    ``build(parent, parent_tree)`` returns the new tree, the message and a value handed
    back, or ``None`` when there is nothing to commit. When another writer moved the
    branch meanwhile, ``build`` runs again on the new head; the work tree follows once
    the branch has moved (``what`` names the change if that fails).
    """
    for attempt in range(MAX_RETRIES):
        old = store.head()
        parent = old or write_root(store)
        built = build(parent, store.repo[parent.encode()].tree)
        if built is None:
            return None
        tree_id, text, value = built
        commit_id = store.commit_tree(tree_id, [parent], text, commit_time)
        # the branch may not exist yet (a `git init` repository): create it then
        if store.move_branch(old, commit_id):
            store.sync_after(commit_id, what)
            return Landed(commit_id, parent, attempt), value
        time.sleep(0.01 * (attempt + 1))
    raise StoreError(
        f"{store.path}: the branch kept moving; gave up after {MAX_RETRIES} attempts",
        "another process is committing continuously; try again",
    )


def commit_snapshot(
    store: Store,
    snap: Snapshot,
    *,
    retention: Retention,
    message: str | None = None,
    commit_time: int | None = None,
    policy: StatePolicy = StatePolicy(),
) -> CommitResult:
    """Commit one collection as the new state; rebuilt when the branch moved.

    ``snap`` is what the collection measured; it is laid over the state of the head it
    lands on (:func:`~gitmetrics.snapshot.fold`), so a collection that measured one repo
    keeps every other one. The state is validated here (the edge) and written both as
    the collection's snapshot file and as ``latest.json``. ``commit_time`` (Unix seconds)
    dates the commit, for imported history; default now.
    """
    snapmod.validate(snapmod.to_dict(snap))  # an invalid collection never gets further
    with store.locked():
        return land_collection(store, snap, retention, policy, commit_time, message)


def land_collection(
    store: Store,
    snap: Snapshot,
    retention: Retention,
    policy: StatePolicy,
    commit_time: int | None,
    message: str | None = None,
) -> CommitResult:
    """:func:`snapshot_tree` on top of the head by compare-and-swap (under the write lock)."""

    def build(parent: str, base: bytes) -> tuple[bytes, str, Built]:
        return snapshot_tree(store, snap, parent, base, retention, message, policy)

    done = land(store, build, "the collection", commit_time)
    assert done is not None  # a snapshot always changes the tree
    landed, (snap_path, pruned, state, gone) = done
    return CommitResult(
        landed.commit,
        snap_path,
        tuple(pruned),
        landed.retries,
        landed.parent,
        state=state,
        removed=tuple(gone),
    )


#: what :func:`snapshot_tree` hands back: the snapshot file's path, the paths retention
#: pruned, the state written and the repositories that left it
Built = tuple[str, list[str], Snapshot, list[str]]


def snapshot_tree(
    store: Store,
    snap: Snapshot,
    parent: str,
    base: bytes,
    retention: Retention,
    message: str | None = None,
    policy: StatePolicy = StatePolicy(),
) -> tuple[bytes, str, Built]:
    """The tree of ``parent`` (tree ``base``) with the collection ``snap`` laid over its
    state, the commit message, and what :data:`Built` names; the blobs are written."""
    from dulwich.objects import Blob

    before = state_of(store, base)
    state = snapmod.fold(before, snap, policy)
    data = snapmod.to_json(state)  # validates
    blob = Blob.from_string(data)
    extra = list(extra_blobs(state, snap))
    store.add_objects([blob, *(b for _, b in extra)])
    snap_path = snapmod.file_name(state, data)
    repeat = 0
    while store.lookup(base, snap_path) is not None:
        repeat += 1  # the same figures twice in one second: a new name
        snap_path = snapmod.file_name(state, data, repeat)
    # only the changed paths are touched: a store with 10,000 snapshot files
    # costs what a store with ten does
    changes: dict[str, bytes | None] = {snap_path: blob.id, LATEST: blob.id}
    changes.update({p: b.id for p, b in extra})
    pruned: list[str] = []
    if not isinstance(retention, int) or retention > 0:
        snaps = dict.fromkeys(store.snapshot_paths(base), b"")
        snaps[snap_path] = blob.id
        pruned = prune(snaps, retention)
        changes.update(dict.fromkeys(pruned, None))
    gone = snapmod.removed(before, state)
    changes.update({snapmod.files_path(n): None for n in gone if in_layout(snapmod.files_path(n))})
    if store.derive is not None:
        paths = set(store.tree_files(base)) | {snap_path}
        paths.difference_update(pruned)
        changes.update(
            derived(
                store,
                state,
                parent,
                _ids(store, base, changes),
                paths=tuple(sorted(paths)),
                snapshot_path=snap_path,
            )
        )
    prev = next(iter(store.history(limit=1, rev=parent)), None)
    text = message or commit_message(state, snap_path, prev, gone)
    return store.update_tree(base, changes), text, (snap_path, pruned, state, list(gone))


def record_pr(store: Store, key: str, snap: Snapshot) -> tuple[str, str]:
    """Commit ``snap`` (a pull request's measurement) as a collection whose parent is the
    branch's head, on ``refs/gitmetrics/pr/<key>`` (replaced when it exists): the branch,
    its state and its work tree do not move. Returns the ref and the commit."""
    from gitmetrics.store.format import pr_ref

    ref = pr_ref(key)
    snapmod.validate(snapmod.to_dict(snap))
    with store.locked():
        parent = store.head() or write_root(store)
        tree, text, _ = snapshot_tree(store, snap, parent, store.repo[parent.encode()].tree, 0)
        commit = store.commit_tree(tree, [parent], text)
        store.repo.refs.set_if_equals(
            ref.encode(), None, commit.encode(), message=b"gitmetrics: patch --record"
        )
    return ref, commit


def state_of(store: Store, tree: bytes | None) -> Snapshot | None:
    """The state ``latest.json`` of a tree holds (``None``: no collection yet).

    A ``latest.json`` of a newer schema stops the write with the message to upgrade; one
    that cannot be read at all is treated as no state (the collections are all in history).
    """
    try:
        return read_state(store, tree)
    except SnapshotError as exc:
        if "newer" in exc.message:
            raise
        warn(f"{exc.message}; starting the state afresh from this collection")
        return None


def read_state(store: Store, tree: bytes | None) -> Snapshot | None:
    """The state ``latest.json`` of a tree holds; ``SnapshotError`` when it cannot be read."""
    sha = None if tree is None else store.lookup(tree, LATEST)
    return None if sha is None else snapmod.read_stored(store.blob(sha), LATEST)


def extra_blobs(state: Snapshot, collection: Snapshot) -> Iterator[tuple[str, Any]]:
    """The per-file detail of each repository the collection measured and the state took
    (written only then: a carried repository's detail stays as it is)."""
    from dulwich.objects import Blob

    for r in collection.repositories:
        kept = state.repo(r.name)
        if (
            r.detail is None
            or kept is None
            or kept.carried
            or not in_layout(snapmod.files_path(r.name))
        ):
            continue
        yield snapmod.files_path(r.name), Blob.from_string(r.detail)


def commit_files(store: Store, changes: Mapping[str, bytes | None], message: str) -> str | None:
    """Commit a few files (``None`` removes one) on top of the head; no snapshot involved.

    Returns the new commit, or ``None`` when nothing changed. Snapshot files are refused.
    """
    from dulwich.objects import Blob

    for path in changes:
        if is_snapshot_path(path):
            raise StoreError(f"{path!r} is a snapshot file; only collect writes those")
    blobs = {p: Blob.from_string(c) for p, c in changes.items() if c is not None}
    edits = {p: None if c is None else blobs[p].id for p, c in changes.items()}

    def build(parent: str, base: bytes) -> tuple[bytes, str, None] | None:
        tree_id = store.update_tree(base, edits)  # only the changed paths are read
        return None if tree_id == base else (tree_id, message, None)

    with store.locked():
        store.add_objects(list(blobs.values()))
        done = land(store, build, "the change")
    return None if done is None else done[0].commit


def apply_derived(
    store: Store,
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
    for path, sha in derived(
        store,
        snap,
        parent,
        before.get,
        previous=previous,
        sides=sides,
        paths=tuple(sorted(before)),
        snapshot_path=snapshot_path,
    ).items():
        if sha is None:
            files.pop(path, None)
        else:
            files[path] = sha


def derived(
    store: Store,
    snap: Snapshot,
    parent: str | None,
    ids: Callable[[str], bytes | None],
    *,
    previous: Sequence[HistoryEntry] | None = None,
    sides: Sequence[str] = (),
    paths: Sequence[str] = (),
    snapshot_path: str = "",
) -> dict[str, bytes | None]:
    """The derived files for ``snap`` as ``path -> blob id`` (``None``: remove the path);
    ``ids`` gives the blob id of a file of the tree being committed."""
    if store.derive is None:
        return {}
    from dulwich.objects import Blob

    if previous is None:
        previous = list(store.history(limit=DERIVE_HISTORY, rev=parent)) if parent else []
    heads = list(sides) or ([parent] if parent else [])

    def earlier() -> Iterator[tuple[HistoryEntry, Snapshot]]:
        # a derived view must never stop a commit: what is unreadable is skipped
        return store.readable(store.walk_history(heads))

    def read(path: str) -> bytes | None:
        sha = ids(path)
        return None if sha is None else store.blob(sha)

    made = store.derive(
        DeriveContext(
            snap,
            previous,
            read,
            paths=paths,
            earlier=earlier,
            snapshot_path=snapshot_path,
            branch=store.branch_ref().decode().removeprefix("refs/heads/"),
            heads=tuple(heads),
            history=store.walk_history,
            blob_id=_blob_ids(store, ids),
            blob=store.blob,
        )
    )
    out: dict[str, bytes | None] = {}
    blobs: list[Any] = []
    for path, content in made.items():
        if is_snapshot_path(path):
            raise StoreError(f"derived file {path!r} would overwrite a snapshot")
        if not in_layout(path):
            # the store never writes what it would refuse to pull
            raise StoreError(f"derived file {path!r} is outside the store's layout")
        if content is None:
            out[path] = None
            continue
        blob = Blob.from_string(content)
        blobs.append(blob)
        out[path] = blob.id
    store.add_objects(blobs)
    return out


def _ids(
    store: Store, base: bytes | None, changes: Mapping[str, bytes | None]
) -> Callable[[str], bytes | None]:
    """The blob id of a file of the tree being built: ``changes`` first, then ``base``."""

    def blob_id(path: str) -> bytes | None:
        if path in changes:
            return changes[path]
        return None if base is None else store.lookup(base, path)

    return blob_id


def _blob_ids(
    store: Store, ids: Callable[[str], bytes | None]
) -> Callable[[str | None, str], bytes | None]:
    """:attr:`DeriveContext.blob_id`: ``ids`` for the tree being committed, else a look-up
    in the commit's tree. Trees are read once each (the newest few kept): consecutive
    collections share most of theirs, so walking back through many costs one read of the
    trees each one changed."""
    trees = Trees(store.repo.object_store)
    roots: dict[str, bytes] = {}

    def blob_id(commit: str | None, path: str) -> bytes | None:
        if commit is None:
            return ids(path)
        root = roots.get(commit)
        if root is None:
            root = roots[commit] = store.repo[commit.encode()].tree
        return trees.lookup(root, path)

    return blob_id


def prune(files: dict[str, T], retention: Retention) -> list[str]:
    """Drop all but the newest ``retention`` snapshot files from ``files`` (0 keeps all),
    or those a thinning policy does not keep."""
    snaps = sorted(p for p in files if p.startswith(SNAPSHOT_DIR + "/") and p.endswith(".json"))
    if isinstance(retention, Thinning):
        keep = snapmod.thinned(snaps, retention)
        gone = [p for p in snaps if p not in keep]
        for p in gone:
            del files[p]
        return gone
    if retention <= 0:
        return []
    # names start with the timestamp, so path order is time order
    doomed = snaps[:-retention] if len(snaps) > retention else []
    for p in doomed:
        del files[p]
    return doomed


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def commit_message(
    snap: Snapshot, snap_path: str, previous: HistoryEntry | None, removed: Sequence[str] = ()
) -> str:
    """Subject with the headline figures, then trailers that ``history`` reads back.

    The figures are the state's; ``Measured`` and ``Carried`` say how much of it this
    collection measured. Repositories that left the state are named in the body.
    """
    from gitmetrics.store.reader import TRAILER_PREFIX

    s = snap.summary
    avg = "n/a" if s.avg_coverage is None else f"{s.avg_coverage:.1f}%"
    delta = ""
    if previous is not None and previous.avg_coverage is not None and s.avg_coverage is not None:
        delta = f" ({s.avg_coverage - previous.avg_coverage:+.1f})"
    failed = f", {s.repos_failed} failed" if s.repos_failed else ""
    measured = len(snap.measured_names)
    repos = (
        f"{s.repos_count} repos"
        if not s.repos_carried
        else (f"{measured} of {s.repos_count} repos measured")
    )
    subject = f"collect: {repos}, avg {avg}{delta}{failed}"
    trailers = {
        "Schema": str(snap.schema_version),
        "Snapshot": snap_path,
        "Timestamp": snap.timestamp,
        "Avg-Coverage": _fmt(s.avg_coverage),
        "Weighted-Coverage": _fmt(s.weighted_coverage),
        "Branch-Coverage": _fmt(s.branch_coverage),
        "Repos": str(s.repos_count),
        "Files": str(s.total_files_tested),
        "Failed": str(s.repos_failed),
        "Host": snap.host,
        "Measured": str(measured),
        "Carried": str(s.repos_carried),
        "Stale": str(s.repos_stale),
    }
    body = "\n".join(f"{TRAILER_PREFIX}{k}: {v}" for k, v in trailers.items())
    gone = ""
    if removed:
        gone = (
            "Removed from the state (no longer in repos.yaml): "
            + ", ".join(" ".join(n.split()) for n in removed)
            + "\n\n"
        )
    return f"{subject}\n\n{gone}{body}\n"
