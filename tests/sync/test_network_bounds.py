"""Network I/O is bounded and never under the store's lock; a killed push never locks a remote.

A stalled server is a real listener on 127.0.0.1 that accepts connections and never
answers. Pushes run as real processes, so they can be killed as a CI job would be.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitmetrics.errors import SyncError
from gitmetrics.store import Store
from gitmetrics.store import sync as S
from tests.helpers import fsck, git
from tests.sync.conftest import bare_remote, collect, snapshot_paths_in_history

NewStore = Callable[..., Store]


@pytest.fixture
def stalled() -> Iterator[tuple[int, list[socket.socket]]]:
    """A listener on 127.0.0.1 that accepts and then says nothing: (port, accepted)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        server.close()


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["git", "http"])
def test_a_stalled_remote_times_out_with_a_clear_message(
    scheme: str, stalled: tuple[int, list[socket.socket]], new_store: NewStore
) -> None:
    port, accepted = stalled
    st = new_store("a")
    collect(st, "runner-a", 1)
    before = st.head()
    remote = S.make_remote(f"{scheme}://127.0.0.1:{port}/metrics.git", env={}, timeout=1)
    started = time.monotonic()
    for op in (S.pull, S.push):
        with pytest.raises(SyncError, match=r"no answer from the remote within 1s") as exc:
            op(st, remote, retention=30)
        assert "network_timeout" in (exc.value.hint or "")
    assert time.monotonic() - started < 30  # bounded: without a timeout this never returns
    assert accepted, "the client never connected"
    assert st.head() == before
    assert not (st.gitdir / "gitmetrics-incoming").exists()


@pytest.mark.slow
def test_a_collect_lands_while_a_push_waits_on_a_stalled_remote(
    stalled: tuple[int, list[socket.socket]], new_store: NewStore
) -> None:
    port, accepted = stalled
    st = new_store("a")
    collect(st, "runner-a", 1)
    push = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from gitmetrics.cli import main; main()",
            "push",
            "--store",
            str(st.path),
            "--remote",
            f"git://127.0.0.1:{port}/metrics.git",
            "--timeout",
            "8",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert accepted, "the push never connected"
        collect(st, "runner-a", 2)  # the store is not locked while the push waits
        assert push.poll() is None, "the push should still be waiting for the remote"
    finally:
        _, err = push.communicate(timeout=60)
    assert push.returncode == 1, err
    assert "no answer from the remote within 8s while fetching" in err
    assert "Traceback" not in err
    assert len(snapshot_paths_in_history(st.gitdir)) == 2
    fsck(st.gitdir)


HOLD_REF_LOCK = """
import os, sys, time
from pathlib import Path
from dulwich import refs

REMOTE = Path(sys.argv[2]).resolve()


def holding(real, new_at):
    def hold(self, name, *args, **kwargs):
        top = Path(os.fsdecode(self.path)).resolve()
        if top != REMOTE:  # the local store: as usual
            return real(self, name, *args, **kwargs)
        # what a push killed while writing the remote's branch leaves: the ref's .lock
        (top / (name.decode() + ".lock")).write_bytes(args[new_at] + b"\\n")
        print("locked", flush=True)
        time.sleep(3600)
    return hold


refs.DiskRefsContainer.set_if_equals = holding(refs.DiskRefsContainer.set_if_equals, 1)
refs.DiskRefsContainer.add_if_new = holding(refs.DiskRefsContainer.add_if_new, 0)
from gitmetrics.cli import main
sys.argv = ["gitmetrics", "push", "--store", sys.argv[1], "--remote", sys.argv[2]]
main()
"""


@pytest.mark.slow
def test_a_push_killed_while_it_holds_the_remote_branch_lock(
    new_store: NewStore, tmp_path: Path
) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    collect(b, "runner-b", 2)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_REF_LOCK, str(a.path), str(bare)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "locked", proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    lock = bare / "refs" / "heads" / "main.lock"
    assert lock.exists()
    # as a stale lock looks once its writer is long gone
    old = time.time() - 60
    os.utime(lock, (old, old))
    result = S.push(b, S.make_remote(str(bare), env={}), retention=30)
    assert result.commits_sent >= 1
    assert not lock.exists()
    assert git("--git-dir", bare, "rev-parse", "main").strip() == b.head()
    result = S.push(a, S.make_remote(str(bare), env={}), retention=30)  # and the killed one
    assert result.merged
    assert len(snapshot_paths_in_history(bare)) == 2
    fsck(bare)


@pytest.mark.slow
def test_a_young_remote_lock_of_a_live_writer_is_left_alone(
    new_store: NewStore, tmp_path: Path
) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    st = new_store("a")
    collect(st, "runner-a", 1)
    lock = bare / "refs" / "heads" / "main.lock"
    lock.write_text("busy\n")  # fresh: a git process writing the ref right now
    keep_touching = threading.Event()

    def touch() -> None:
        while not keep_touching.is_set():
            os.utime(lock)
            time.sleep(0.2)

    thread = threading.Thread(target=touch, daemon=True)
    thread.start()
    try:
        with pytest.raises(SyncError, match="stays locked") as exc:
            S.push(st, S.make_remote(str(bare), env={}), retention=30, attempts=2)
        assert "refs/heads/main.lock" in (exc.value.hint or "")
    finally:
        keep_touching.set()
        thread.join()
    assert lock.read_text() == "busy\n"


def test_an_old_remote_lock_left_by_any_killed_writer_is_cleared(
    new_store: NewStore, tmp_path: Path
) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    st = new_store("a")
    collect(st, "runner-a", 1)
    lock = bare / "refs" / "heads" / "main.lock"
    lock.write_text("left by a git push killed long ago\n")
    old = time.time() - 60
    os.utime(lock, (old, old))
    S.push(st, S.make_remote(str(bare), env={}), retention=30)
    assert not lock.exists()
    assert git("--git-dir", bare, "rev-parse", "main").strip() == st.head()
