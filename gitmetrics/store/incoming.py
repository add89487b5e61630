"""The quarantine: where a fetch lands until the trust gate has checked it.

A fetch writes into a bare repository of its own under ``<gitdir>/gitmetrics-incoming/``,
whose object store borrows the store's objects (``objects/info/alternates``), so the remote
is told what we have and sends only what is new. Nothing of the store changes while objects
arrive, so no lock is needed for the network part. Once :mod:`gitmetrics.store.gate` has
accepted the objects they are moved into the store (packs by rename: cheap and atomic),
under the store's lock; a refused remote's quarantine is deleted, and the store is exactly
as it was. A quarantine left by a killed process is swept by the next writer.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitmetrics.store.repo import Store

INCOMING = "gitmetrics-incoming"
#: How many of our commits a fetch names to the remote as ones it has ("have" lines): the
#: heads (ours and the remote's as last fetched) and their nearest ancestors. dulwich would
#: name every commit of the history (a git server answers only after the last), so each
#: pull walked the whole history; a remote that has none of these sends a little more
#: than it must, never less.
HAVES = 256
#: A quarantine older than this is swept even when its process id is alive again.
STALE_SECONDS = 24 * 3600


@dataclass
class Quarantine:
    """A bare repository that receives a fetch, borrowing the store's objects."""

    path: Path
    _repo: Any = field(default=None, repr=False)
    #: the objects a fetch read whole and wrote here (hex id -> type number and bytes),
    #: so that the gate checks them without reading them back from the pack
    arrived: dict[bytes, tuple[int, bytes]] = field(default_factory=dict, repr=False)

    @property
    def repo(self) -> Any:
        """The dulwich ``Repo`` to fetch into."""
        if self._repo is None:
            from dulwich.repo import Repo

            self._repo = Repo(str(self.path))
            self._repo.get_graph_walker = functools.partial(_bounded_walker, self._repo)
        return self._repo

    def add_whole(self, objects: list[tuple[bytes, int, bytes]]) -> None:
        """Write objects read whole (hex id, type number, bytes; their ids checked) as one
        pack, and keep them for the gate (see :attr:`arrived`)."""
        from gitmetrics.store.pack import write_whole

        write_whole(self.path / "objects" / "pack", objects)
        self.arrived.update((sha, (type_num, raw)) for sha, type_num, raw in objects)

    def objects(self) -> Any:
        """What the gate reads: the objects that arrived whole, then the quarantine's store
        (what the fetch wrote otherwise, and through it the store's own objects)."""
        store = self.repo.object_store
        return _Arrived(self.arrived, store) if self.arrived else store

    def close(self) -> None:
        """Release dulwich's file handles."""
        if self._repo is not None:
            # the store's objects, opened through the alternates file, are not closed by
            # dulwich with the repository
            for alternate in getattr(self._repo.object_store, "_alternates", None) or ():
                alternate.close()
            self._repo.close()
            self._repo = None

    def discard(self) -> None:
        """Delete the quarantine and everything fetched into it."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)


class _Arrived:
    """An object store's reads, answered first from objects held in memory."""

    def __init__(self, arrived: dict[bytes, tuple[int, bytes]], store: Any) -> None:
        self.arrived, self.store = arrived, store

    def get_raw(self, sha: bytes) -> tuple[int, bytes]:
        found = self.arrived.get(sha)
        return found if found is not None else self.store.get_raw(sha)

    def __getitem__(self, sha: bytes) -> Any:
        found = self.arrived.get(sha)
        if found is None:
            return self.store[sha]
        from dulwich.objects import ObjectID, ShaFile

        return ShaFile.from_raw_string(found[0], found[1], sha=ObjectID(sha))

    def __contains__(self, sha: bytes) -> bool:
        return sha in self.arrived or sha in self.store


class _Bounded:
    """dulwich's graph walker, telling at most :data:`HAVES` commits."""

    def __init__(self, walker: Any, limit: int) -> None:
        self._walker = walker
        self._left = limit
        self.told = 0  #: how many "have" lines were told

    def __getattr__(self, name: str) -> Any:
        return getattr(self._walker, name)

    def __next__(self) -> bytes | None:
        if self._left <= 0:
            return None
        sha: bytes | None = next(self._walker)
        if sha is not None:
            self._left -= 1
            self.told += 1
        return sha

    next = __next__

    def __iter__(self) -> _Bounded:
        return self


def _bounded_walker(repo: Any, heads: list[bytes] | None = None) -> _Bounded:
    return _Bounded(type(repo).get_graph_walker(repo, heads), HAVES)


@contextlib.contextmanager
def quarantine(store: Store) -> Iterator[Quarantine]:
    """A fresh quarantine for one fetch; always deleted at the end (moved objects are kept)."""
    from dulwich.repo import Repo

    top = store.gitdir / INCOMING
    top.mkdir(exist_ok=True)
    path = top / f"{os.getpid()}-{secrets.token_hex(4)}"
    Repo.init_bare(str(path), mkdir=True).close()
    objects = Path(store.repo.object_store.path).resolve()
    (path / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    q = Quarantine(path)
    head = store.head()
    if head is not None:
        # the fetch tells the remote what we have from the refs of its target: our head,
        # and the remote's head as last fetched (it has that one, whatever we did since)
        q.repo.refs[b"refs/heads/main"] = head.encode()
        seen = store.remote_head()
        if seen is not None and seen != head:
            q.repo.refs[b"refs/heads/origin"] = seen.encode()
    try:
        yield q
    finally:
        q.discard()
        with contextlib.suppress(OSError):
            top.rmdir()  # only when no other fetch is using it: a store as it was


def admit(q: Quarantine, store: Store) -> int:
    """Move every object of the quarantine into the store (call under the store's lock).

    Pack files are renamed data file first, index last: a pack becomes visible only once
    whole. Returns how many files were moved.
    """
    q.close()
    source = q.path / "objects"
    target = Path(store.repo.object_store.path)
    moved = 0
    packs = source / "pack"
    if packs.is_dir():
        names = sorted(packs.iterdir(), key=lambda p: p.suffix == ".idx")  # .idx last
        (target / "pack").mkdir(exist_ok=True)
        for src in names:
            if src.suffix not in (".pack", ".idx") or src.name.startswith("tmp"):
                continue
            dest = target / "pack" / src.name
            if not dest.exists():
                src.replace(dest)
                moved += 1
    for sub in sorted(source.iterdir()):
        if len(sub.name) != 2 or not sub.is_dir():
            continue
        for src in sub.iterdir():
            if len(src.name) != 38:
                continue
            dest = target / sub.name / src.name
            if not dest.exists():
                dest.parent.mkdir(exist_ok=True)
                src.replace(dest)
                moved += 1
    if moved:
        store.refresh()
    return moved


def sweep(gitdir: Path) -> list[Path]:
    """Remove quarantines whose process is gone (call under the store's write lock)."""
    top = gitdir / INCOMING
    removed: list[Path] = []
    if not top.is_dir():
        return removed
    for path in top.iterdir():
        pid_text = path.name.split("-", 1)[0]
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if pid_text.isdigit() and _alive(int(pid_text)) and age < STALE_SECONDS:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
