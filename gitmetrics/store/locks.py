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
def write_lock(gitdir: Path, timeout: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the store's writer lock; waits for another gitmetrics writer up to ``timeout``."""
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
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
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
