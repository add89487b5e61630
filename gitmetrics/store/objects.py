"""Objects and trees: blobs written, trees built, changed in place, looked up and compared.

Every function takes dulwich's object store (``odb``); ``where`` names the store in errors.
Only the trees on changed paths are ever read or rebuilt, so a store of 10,000 snapshot
files costs what a store of ten does.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gitmetrics.errors import StoreError
from gitmetrics.store import locks
from gitmetrics.store.format import SNAPSHOT_DIR

#: The modes of tree entries: a regular file, a directory, a submodule commit (gitlink).
FILE_MODE = 0o100644
TREE_MODE = 0o040000
GITLINK_MODE = 0o160000
#: Who writes every commit of a store.
IDENT = b"gitmetrics <gitmetrics@localhost>"


def remove(path: Path) -> None:
    """Remove a file if it is there; on a failing file system, leave it."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


#: git's own default for loose objects (``core.looseCompression``): the fastest level; a
#: pack (``gitmetrics gc``) compresses again
GIT_LOOSE_LEVEL = 1


def git_loose_level(repo: Any, config: Any) -> None:
    """Write loose objects at git's default level, not zlib's (dulwich's default, about 3x
    slower), unless ``config`` (the store's) sets ``core.looseCompression`` or
    ``core.compression``."""
    for key in (b"looseCompression", b"compression"):
        if config.has_section((b"core",)) and key in config[(b"core",)]:
            return
    repo.object_store.loose_compression_level = GIT_LOOSE_LEVEL


def add(odb: Any, objects: Sequence[Any], where: Path) -> None:
    """Write ``objects``; a lock a killed writer left on one is cleared (under the store lock)."""
    from dulwich.file import FileLocked

    for obj in objects:
        for _ in range(3):
            try:
                odb.add_object(obj)
                break
            except FileLocked as exc:
                # a writer killed mid-object left its lock; we hold the store lock
                locks.clear_stale(Path(os.fsdecode(exc.lockfilename)))
            except OSError:
                # a full disk fails dulwich's flush before its rename, and the lock file
                # stays (git fsck: "bad sha1 file"); it is ours, under the store lock
                name = obj.id.decode()
                remove(Path(odb.path) / name[:2] / f"{name[2:]}.lock")
                raise
        else:
            raise StoreError(f"{where}: object {obj.id.decode()} stays locked")


def blob(odb: Any, sha: bytes) -> bytes:
    """The content of a blob."""
    data: bytes = odb[sha].as_raw_string()
    return data


def commit_tree(
    odb: Any,
    tree_id: bytes,
    parents: Sequence[str],
    text: str,
    where: Path,
    commit_time: int | None = None,
) -> str:
    """Write a commit of ``tree_id`` (gitmetrics as author, UTC); returns its id."""
    from dulwich.objects import Commit, ObjectID

    commit = Commit()
    commit.tree = ObjectID(tree_id)
    commit.parents = [ObjectID(p.encode()) for p in parents]
    commit.author = commit.committer = IDENT
    commit.author_time = commit.commit_time = (
        int(time.time()) if commit_time is None else commit_time
    )
    commit.author_timezone = commit.commit_timezone = 0
    commit.encoding = b"UTF-8"
    commit.message = text.encode()
    add(odb, [commit], where)
    return str(commit.id.decode())


def write_tree(odb: Any, files: Mapping[str, bytes], where: Path) -> bytes:
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
    add(odb, trees, where)
    return root


def entries(odb: Any, tree_id: bytes | None) -> dict[bytes, tuple[int, bytes]]:
    """``name -> (mode, sha)`` of one tree object (empty for ``None``)."""
    if tree_id is None:
        return {}
    return {e.path: (e.mode, e.sha) for e in odb[tree_id].iteritems()}


def update_tree(
    odb: Any, tree_id: bytes | None, changes: Mapping[str, bytes | None], where: Path
) -> bytes:
    """Write the tree of ``tree_id`` with ``changes`` applied (``None`` removes a path).

    Only the trees on changed paths are rebuilt; every other subtree keeps its id.
    Returns the new root tree id.
    """
    from dulwich.objects import ObjectID, Tree

    written: list[Any] = []

    def apply(tid: bytes | None, sub: Mapping[str, bytes | None]) -> bytes | None:
        found = entries(odb, tid)
        nested: dict[str, dict[str, bytes | None]] = {}
        for path, sha in sub.items():
            head, sep, rest = path.partition("/")
            if sep:
                nested.setdefault(head, {})[rest] = sha
            elif sha is None:
                found.pop(head.encode(), None)
            else:
                found[head.encode()] = (FILE_MODE, sha)
        for name, inner in nested.items():
            key = name.encode()
            old = found.get(key)
            child = old[1] if old is not None and stat.S_ISDIR(old[0]) else None
            new = apply(child, inner)
            if new is None:
                found.pop(key, None)
            else:
                found[key] = (TREE_MODE, new)
        if not found:
            return None
        tree = Tree()
        for name_b, (mode, sha_b) in found.items():
            tree.add(name_b, mode, ObjectID(sha_b))
        written.append(tree)
        return bytes(tree.id)

    root = apply(tree_id, changes)
    if root is None:  # the root stays, even empty
        empty = Tree()
        written.append(empty)
        root = bytes(empty.id)
    add(odb, written, where)
    return root


def lookup(
    odb: Any,
    tree_id: bytes,
    path: str,
    read: Callable[[Any, bytes], dict[bytes, tuple[int, bytes]]] | None = None,
) -> bytes | None:
    """The blob id at ``path`` under ``tree_id``, or ``None`` when there is no such file
    (``read`` reads one tree's entries: :func:`entries`, or :class:`Trees`' cache)."""
    read = read or entries
    sha = tree_id
    *dirs, leaf = path.split("/")
    for part in dirs:
        entry = read(odb, sha).get(part.encode())
        if entry is None or not stat.S_ISDIR(entry[0]):
            return None
        sha = entry[1]
    found = read(odb, sha).get(leaf.encode())
    return None if found is None or stat.S_ISDIR(found[0]) else found[1]


class Trees:
    """Tree objects read once each, the newest ``keep`` kept: looking a file up in the trees
    of many consecutive commits, which share most of their subtrees, reads each subtree once."""

    def __init__(self, odb: Any, keep: int = 256) -> None:
        self.odb = odb
        self.keep = keep
        self._seen: dict[bytes, dict[bytes, tuple[int, bytes]]] = {}

    def entries(self, odb: Any, tree_id: bytes) -> dict[bytes, tuple[int, bytes]]:
        """:func:`entries` of one tree, read once."""
        found = self._seen.pop(tree_id, None)
        if found is None:
            found = entries(odb, tree_id)
            while len(self._seen) >= self.keep:
                del self._seen[next(iter(self._seen))]
        self._seen[tree_id] = found  # the most recently used last
        return found

    def lookup(self, tree_id: bytes, path: str) -> bytes | None:
        """:func:`lookup` through the cache."""
        return lookup(self.odb, tree_id, path, self.entries)


def tree_files(odb: Any, tree_id: bytes) -> dict[str, bytes]:
    """``path -> blob id`` for every file under a tree."""
    out: dict[str, bytes] = {}
    stack: list[tuple[str, bytes]] = [("", tree_id)]
    while stack:
        prefix, tid = stack.pop()
        for entry in odb[tid].iteritems():
            name = prefix + entry.path.decode()
            if stat.S_ISDIR(entry.mode):
                stack.append((name + "/", entry.sha))
            else:
                out[name] = entry.sha
    return out


def snapshot_paths(odb: Any, tree_id: bytes | None) -> list[str]:
    """Every snapshot file under ``snapshots/`` in a tree (only that subtree is read)."""
    if tree_id is None:
        return []
    top = entries(odb, tree_id).get(SNAPSHOT_DIR.encode())
    if top is None or not stat.S_ISDIR(top[0]):
        return []
    return [f"{SNAPSHOT_DIR}/{p}" for p in tree_files(odb, top[1])]


def diff_trees(odb: Any, old: bytes, new: bytes) -> dict[str, bytes | None]:
    """``path -> blob id`` for files that differ (``None``: gone); equal subtrees skipped."""
    out: dict[str, bytes | None] = {}

    def walk(prefix: str, a: bytes | None, b: bytes | None) -> None:
        if a == b:
            return
        left, right = entries(odb, a), entries(odb, b)
        for name in left.keys() | right.keys():
            path = prefix + name.decode()
            la, rb = left.get(name), right.get(name)
            l_dir = la is not None and stat.S_ISDIR(la[0])
            r_dir = rb is not None and stat.S_ISDIR(rb[0])
            if l_dir or r_dir:
                walk(path + "/", la[1] if l_dir and la else None, rb[1] if r_dir and rb else None)
            if rb is not None and not r_dir:
                if la is None or la[1] != rb[1] or l_dir:
                    out[path] = rb[1]
            elif la is not None and not l_dir:
                out[path] = None

    walk("", old, new)
    return out
