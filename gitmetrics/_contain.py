"""Run one ``command:`` contained; started by :mod:`gitmetrics.command` as a script.

This file is run as ``python -I _contain.py SPEC`` (standard library only, nothing from
gitmetrics), one process per command, so that each command has a keeper of its own:

- The keeper makes itself a child subreaper (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``):
  whatever the command starts and leaves behind, even a ``setsid`` or double-fork daemon,
  is reparented to the keeper instead of init, so "everything the command started" is
  exactly the keeper's descendants. When the command exits, times out or the keeper is
  told to stop (SIGTERM/SIGINT/SIGHUP from gitmetrics, or the death of gitmetrics itself
  through ``PR_SET_PDEATHSIG``), every descendant is sent SIGTERM, then SIGKILL, until none
  is left.
- Without a subreaper (not Linux), the keeper kills what it can see: the command's own
  session, its process group and the descendants it can find through ``/proc``; a process
  that left the session and whose parent exited escapes (it belongs to init by then).
- The command's output (stdout and stderr) goes through a pipe to a log that keeps only
  the last ``log_max_bytes`` bytes: the log file's body is a ring of that size, put back in
  order when the command ends, with a line at the top saying how much was dropped.

The keeper prints one JSON object on its stdout when it is done: how the command ended
and what was cleaned up. Its exit code is 0 unless the keeper itself failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
#: after SIGTERM, how long the leftovers get to exit before SIGKILL
GRACE = 1.0
#: how long the keeper keeps trying to kill what is left before it gives up
KILL_DEADLINE = 10.0
#: after the last writer died, how long to wait for the rest of the output
DRAIN_DEADLINE = 2.0
_READ = 1 << 16
_COPY = 1 << 20


def _prctl(option: int, value: int) -> bool:
    """``prctl(option, value)``; False where there is no prctl or it failed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


class RingLog:
    """A log file whose body keeps the last ``cap`` bytes written to it."""

    def __init__(self, path: str, cap: int, head: bytes) -> None:
        self.path = Path(path)
        self.cap = max(1, cap)
        self.head = head
        self.fh = self.path.open("wb", buffering=0)
        self.fh.write(head)
        self.total = 0

    def write(self, data: bytes) -> None:
        """Append ``data``; past ``cap`` bytes, the oldest are overwritten."""
        view = memoryview(data)
        while view:
            pos = self.total % self.cap
            n = min(len(view), self.cap - pos)
            if self.total >= self.cap or pos == 0:
                self.fh.seek(len(self.head) + pos)
            self.fh.write(view[:n])
            self.total += n
            view = view[n:]

    def _read_ring(self, ring: BinaryIO, start: int, end: int) -> bytes:
        """Up to 4 KiB of the body from ``start`` (below ``end``)."""
        ring.seek(len(self.head) + start)
        return ring.read(min(4096, end - start))

    def close(self, notes: Iterable[str]) -> int:
        """Finish the log with ``notes`` at its end; the bytes dropped are returned."""
        tail = "".join(f"\n[gitmetrics] {note}\n" for note in notes).encode()
        if self.total <= self.cap:
            self.fh.seek(len(self.head) + self.total)
            self.fh.write(tail)
            self.fh.truncate()
            self.fh.close()
            return 0
        # the ring wrapped: its oldest byte is at `pos`; write it out in order
        pos = self.total % self.cap
        tmp = self.path.with_name(self.path.name + ".tmp")
        with self.path.open("rb") as ring, tmp.open("wb") as out:
            # start at a line: skip the partial line the ring begins with, if it is short
            first = self._read_ring(ring, pos, self.cap)[:4096]
            if len(first) < 4096:
                first += self._read_ring(ring, 0, pos)[: 4096 - len(first)]
            skip = first.find(b"\n") + 1
            kept = self.cap - skip
            dropped = self.total - kept
            out.write(self.head)
            out.write(
                f"[gitmetrics] the output was {self.total:,} bytes: the first {dropped:,} were"
                f" dropped, the last {kept:,} are below (log_max_bytes: {self.cap:,})\n".encode()
            )
            for start, end in ((pos, self.cap), (0, pos)):
                ring.seek(len(self.head) + start)
                left = end - start
                while left > 0:
                    chunk = ring.read(min(_COPY, left))
                    if not chunk:
                        break
                    left -= len(chunk)
                    if skip:
                        cut = min(skip, len(chunk))
                        chunk, skip = chunk[cut:], skip - cut
                    out.write(chunk)
            out.write(tail)
        self.fh.close()
        tmp.replace(self.path)
        return dropped


def _proc_table() -> dict[int, tuple[int, int, str]] | None:
    """pid -> (parent pid, session id, state) of every process, or None without /proc."""
    try:
        names = [p.name for p in Path("/proc").iterdir()]
    except OSError:
        return None
    table: dict[int, tuple[int, int, str]] = {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            stat = Path("/proc", name, "stat").read_bytes()
        except OSError:
            continue  # gone meanwhile
        # the command name is in parentheses and may hold anything: split after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 4:
            table[int(name)] = (int(fields[1]), int(fields[3]), fields[0].decode())
    return table


def _targets(me: int, session: int | None) -> list[int]:
    """The live processes to kill: the keeper's descendants and the command's session."""
    table = _proc_table()
    if table is None:
        return []
    children: dict[int, list[int]] = {}
    for pid, (ppid, _sid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = [me]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    if session is not None:
        found.update(pid for pid, (_p, sid, _s) in table.items() if sid == session)
    found.discard(me)
    return sorted(pid for pid in found if table[pid][2] != "Z")


class Keeper:
    """One command, its output and everything it starts."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.me = os.getpid()
        self.main: int | None = None
        self.status: int | None = None  # the command's wait status, once reaped
        self.stop: list[int] = []
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_stop)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # wakes select()

    def _on_stop(self, signum: int, frame: object) -> None:
        self.stop.append(signum)

    def reap(self) -> None:
        """Collect every child that exited; remember the command's status."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.main:
                self.status = status

    def run(self) -> dict[str, Any]:
        """Run the command to its end, its timeout or a stop; clean up; say what happened."""
        spec = self.spec
        subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != int(spec["parent"]):
            self.stop.append(signal.SIGHUP)  # gitmetrics died before the line above
        log = RingLog(spec["log"], int(spec["log_max_bytes"]), spec["head"].encode())
        out_r, out_w = os.pipe()
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", spec["command"]],
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                start_new_session=True,
            )
        except OSError as exc:
            os.close(out_w)
            os.close(out_r)
            log.close([f"could not start the command: {exc}"])
            return {"outcome": "error", "error": str(exc)}
        os.close(out_w)
        self.main = proc.pid
        proc.returncode = 0  # reaped below, by waitpid(-1); Popen must not wait for it
        deadline = time.monotonic() + float(spec["timeout"])
        outcome = "exited"
        reading: int | None = out_r
        while True:
            self.reap()
            if self.status is not None:
                break
            if self.stop:
                outcome = "stopped"
                break
            left = deadline - time.monotonic()
            if left <= 0:
                outcome = "timeout"
                break
            fds = [self.wake_r] if reading is None else [self.wake_r, reading]
            ready, _, _ = select.select(fds, [], [], min(left, 1.0))
            if self.wake_r in ready:
                self._drain_wake()
            if reading is not None and reading in ready:
                data = os.read(reading, _READ)
                if data:
                    log.write(data)
                else:
                    os.close(reading)
                    reading = None
        leftover, survivors = self.kill_all()
        if reading is not None:
            self._drain(reading, log)
        notes = []
        if outcome == "timeout":
            notes.append(
                f"timed out after {float(spec['timeout']):g}s: the command and everything it"
                " started were killed"
            )
        elif outcome == "stopped":
            notes.append(
                f"stopped by {signal.Signals(self.stop[0]).name}: the command and everything it"
                " started were killed"
            )
        if outcome == "exited" and leftover:
            notes.append(
                f"the command exited and left {leftover} process(es) running: they were killed"
            )
        if survivors:
            notes.append(f"{survivors} process(es) could not be killed")
        dropped = log.close(notes)
        result: dict[str, Any] = {
            "outcome": outcome,
            "leftover": leftover,
            "survivors": survivors,
            "subreaper": subreaper,
            "dropped": dropped,
        }
        if self.status is not None:
            if os.WIFSIGNALED(self.status):
                result["signal"] = os.WTERMSIG(self.status)
            else:
                result["returncode"] = os.waitstatus_to_exitcode(self.status)
        return result

    def _drain_wake(self) -> None:
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def _drain(self, fd: int, log: RingLog) -> None:
        """The output still in the pipe; bounded in time, should a writer have escaped."""
        end = time.monotonic() + DRAIN_DEADLINE
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                break
            data = os.read(fd, _READ)
            if not data:
                break
            log.write(data)
        os.close(fd)

    def kill_all(self) -> tuple[int, int]:
        """Kill every process the command started: (how many were left, how many survived).

        With a subreaper, every live descendant hangs off the keeper, so the loop ends
        only when a scan of ``/proc`` finds none (a child forked while its parent was being
        killed is reparented to the keeper and found by the next scan).
        """
        session = self.main
        if _proc_table() is None:  # no /proc: the command's process group is all we know
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if session is not None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(session, sig)
                time.sleep(GRACE if sig == signal.SIGTERM else 0.05)
                self.reap()
            return 0, 0
        seen: set[int] = set()
        sig = signal.SIGTERM
        end = time.monotonic() + KILL_DEADLINE
        while True:
            self.reap()
            targets = _targets(self.me, session)
            if not targets or time.monotonic() > end:
                break
            for pid in targets:
                seen.add(pid)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            self._wait_gone(GRACE if sig == signal.SIGTERM else 0.05)
            sig = signal.SIGKILL
        self.reap()
        survivors = len(_targets(self.me, session))
        return len(seen - {self.main}), survivors

    def _wait_gone(self, seconds: float) -> None:
        """Reap children for up to ``seconds``, returning early once none is alive."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.reap()
            if not _targets(self.me, self.main):
                return
            time.sleep(0.01)


def main(argv: list[str]) -> int:
    """Run the command described by the JSON in ``argv[1]``; print the outcome as JSON."""
    spec = json.loads(argv[1])
    result = Keeper(spec).run()
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
