"""Work-tree sync: a normal (non-bare) store's files and index follow its branch head.

Commits are written without the work tree; once the branch has moved, the files that
changed are written (or removed) and the index entries for them replaced in place.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gitmetrics.errors import StoreError, after_commit_error
from gitmetrics.store import index as indexmod
from gitmetrics.store import locks
from gitmetrics.store.format import STORE_MARKER
from gitmetrics.store.objects import FILE_MODE, remove

if TYPE_CHECKING:
    from gitmetrics.store.repo import Store

#: Records which tree the index holds after a sync (see :func:`sync`).
SYNC_MARK = "gitmetrics-worktree"


def sync(store: Store) -> None:
    """Bring the work tree and index to the branch head (call under the write lock).

    When the index is exactly as the last sync left it (its size and mtime are recorded
    with the tree it holds), only the paths that differ between that tree and the new
    head are written; otherwise every path is compared, as after a crash or a git
    command run by hand.
    """
    if store.bare:
        return
    head = store.head()
    new_tree = None if head is None else store.repo[head.encode()].tree
    top = Path(store.repo.path)
    index_path = store.gitdir / "index"
    synced = _synced_tree(store, index_path)
    made: set[Path] = set()  # directories known to exist
    if synced is not None and new_tree is not None:
        entries: dict[bytes, bytes | None] = {}
        for path, sha in store.diff_trees(synced, new_tree).items():
            target = top / path
            if sha is None:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                _prune_empty_dirs(target.parent, top)
                made.clear()  # it may have removed one
                entries[path.encode()] = None
                continue
            _write_file(store, target, sha, made)
            entries[path.encode()] = indexmod.entry_bytes(path.encode(), os.lstat(target), sha)
        locks.clear_stale(store.gitdir / "index.lock")
        if indexmod.update(index_path, entries):
            _mark_synced(store, index_path, new_tree)
            return
    # the index was changed by someone else (or is in a format we leave to dulwich):
    # compare every path (dulwich's index module is imported only here: 7 ms)
    from dulwich.index import Index, index_entry_from_stat

    index = Index(str(index_path), read=index_path.exists())
    wanted = store.files_at(head) if head is not None else {}
    current = {path.decode(): entry for path, entry in index.items()}
    gone = [p for p in current if p not in wanted]
    for path, sha in wanted.items():
        target = top / path
        entry = current.get(path)
        if entry is not None and getattr(entry, "sha", None) == sha and target.exists():
            continue
        _write_file(store, target, sha, made)
        index[path.encode()] = index_entry_from_stat(os.lstat(target), sha, FILE_MODE)
    for path in gone:
        target = top / path
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        if path.encode() in index:
            del index[path.encode()]
        _prune_empty_dirs(target.parent, top)
        made.clear()
    locks.clear_stale(store.gitdir / "index.lock")
    index.write()
    _mark_synced(store, index_path, new_tree)


def sync_after(store: Store, commit: str, what: str) -> None:
    """:func:`sync` once ``commit`` has landed: an OSError then says so."""
    try:
        sync(store)
    except OSError as exc:
        remove(store.gitdir / "index.lock")  # ours: a stale one was cleared before
        raise after_commit_error(
            exc,
            store.path,
            commit,
            what,
            "the work tree of the store is behind it",
            f"run `gitmetrics init {store.path}` to bring the work tree up to date "
            "(the next collect does too)",
        ) from exc


def update(store: Store) -> None:
    """Bring the work tree up to the branch head (after a sync that failed, say).

    Only a gitmetrics store's (its tree holds the marker): never another repository's.
    """
    with store.locked():
        head = store.head()
        if head is None or store.lookup(store.repo[head.encode()].tree, STORE_MARKER) is None:
            return
        sync(store)


def _write_file(store: Store, target: Path, sha: bytes, made: set[Path]) -> None:
    top = Path(store.repo.path)
    if not target.is_relative_to(top) or any(
        part in (".", "..") or (part.casefold().startswith(".git") and part != STORE_MARKER)
        for part in target.relative_to(top).parts
    ):
        # the gate keeps such paths out of the store; never write one regardless
        raise StoreError(f"{store.path}: refusing to write {str(target)!r} into the work tree")
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    tmp = target.with_name(f".{target.name}.gitmetrics-tmp")
    try:
        tmp.write_bytes(store.blob(sha))
        tmp.replace(target)
    except OSError:
        remove(tmp)
        raise


def _synced_tree(store: Store, index_path: Path) -> bytes | None:
    """The tree the index holds, if the index is untouched since the last sync."""
    try:
        tree, size, mtime = (store.gitdir / SYNC_MARK).read_text().split()
        st = index_path.stat()
    except (OSError, ValueError):
        return None
    if (str(st.st_size), str(st.st_mtime_ns)) != (size, mtime):
        return None
    sha = tree.encode()
    return sha if store.has_object(tree) else None


def _mark_synced(store: Store, index_path: Path, tree: bytes | None) -> None:
    mark = store.gitdir / SYNC_MARK
    if tree is None:
        mark.unlink(missing_ok=True)
        return
    st = index_path.stat()
    tmp = mark.with_name(mark.name + ".tmp")
    tmp.write_text(f"{tree.decode()} {st.st_size} {st.st_mtime_ns}\n")
    tmp.replace(mark)


def _prune_empty_dirs(directory: Path, top: Path) -> None:
    while directory != top and directory.is_relative_to(top):
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
