"""Locking for the metrics repository: one writer at a time per machine, stale locks cleared.

dulwich writes every ref, the index and every loose object through ``<file>.lock``
(created with O_EXCL, then renamed). A process killed mid-write leaves that file behind
and every later write of the same file fails. gitmetrics therefore does all its writes
while holding an ``flock`` on ``<gitdir>/gitmetrics.lock``. The kernel drops an flock
when its process dies, so while we hold it no other gitmetrics process is writing: a
``.lock`` older than :data:`FOREIGN_GRACE` seconds is stale (its gitmetrics writer is
gone). The grace period protects a short-lived lock of a foreign git process (the
git CLI holds ref locks for milliseconds).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from gitmetrics.errors import StoreError

LOCK_NAME = "gitmetrics.lock"
FOREIGN_GRACE = 2.0
WAIT_SECONDS = 120.0


@contextlib.contextmanager
def write_lock(gitdir: Path, timeout: float = WAIT_SECONDS) -> Iterator[bool]:
    """Hold the store's writer lock; waits for another gitmetrics writer up to ``timeout``.

    Yields True when the previous holder died before finishing (its PID is still in the
    lock file), so the caller can sweep what a killed writer may have left behind.
    """
    path = gitdir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{gitdir}: another gitmetrics process has held the store for "
                        f"{timeout:.0f}s",
                        "wait for it to finish, then try again",
                    ) from None
                time.sleep(0.02)
        crashed = bool(os.pread(fd, 64, 0).strip())
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield crashed
        os.ftruncate(fd, 0)  # a clean finish: the next writer has nothing to sweep
    finally:
        os.close(fd)  # closing releases the flock


def clear_stale(lockfile: Path, grace: float = FOREIGN_GRACE) -> bool:
    """Remove ``lockfile`` if it is stale (call only under :func:`write_lock`).

    Waits up to ``grace`` seconds for a foreign process to release a young lock.
    Returns True when the lock is gone (removed by us or released).
    """
    deadline = time.monotonic() + grace + 0.5
    while True:
        try:
            age = time.time() - lockfile.stat().st_mtime
        except FileNotFoundError:
            return True
        if age >= grace:
            with contextlib.suppress(FileNotFoundError):
                lockfile.unlink()
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def sweep(gitdir: Path, worktree: Path | None) -> list[Path]:
    """Remove what a killed writer left: dulwich ``.lock`` files and our temp files (a pack
    being written, the work tree's files).

    Call only under :func:`write_lock` after it reported a crash. Object locks are only
    ever dulwich's (git writes objects through ``tmp_obj_*`` files), and ref locks get
    the same grace period as in :func:`clear_stale`.
    """
    removed: list[Path] = []
    for pattern in ("objects/??/*.lock", "objects/pack/*.lock", "refs/**/*.lock", "*.lock"):
        for lock in gitdir.glob(pattern):
            if lock.name != LOCK_NAME and clear_stale(lock):
                removed.append(lock)
    for tmp in gitdir.glob("objects/pack/tmp_whole_*"):  # a pack being written (pack.py)
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    if worktree is not None:
        for tmp in worktree.glob("**/.*.gitmetrics-tmp"):
            if ".git" not in tmp.relative_to(worktree).parts:
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed
