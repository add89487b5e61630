"""``collect --run``: a repo's ``command:`` run contained.

The command is code under test, so it is trusted with nothing gitmetrics holds:

- its environment is gitmetrics' own minus gitmetrics' secrets (:func:`child_env`), with
  the variables named in ``pass_env:`` let through again;
- it runs in a session of its own under a keeper process (``gitmetrics/_contain.py``)
  that kills everything the command started when the command exits, times out, or
  collect is interrupted, and keeps only the last ``log_max_bytes`` of its output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from gitmetrics.config import Config, RepoConfig
from gitmetrics.errors import GitmetricsError, Interrupted

#: every variable whose name starts with this is gitmetrics' own and never reaches a command
SECRET_PREFIX = "GITMETRICS_"
KEEPER = Path(__file__).with_name("_contain.py")
#: beyond the command's own timeout, how long to wait for the keeper to clean up
KEEPER_GRACE = 60.0


def secret_names(config: Config) -> set[str]:
    """The variables the config names as secrets: SMTP password, webhook tokens."""
    from gitmetrics import notify

    names: set[str] = set()
    for channel in notify.channels(config):
        if isinstance(channel, notify.EmailChannel) and channel.password_env:
            names.add(channel.password_env)
        if isinstance(channel, notify.WebhookChannel) and channel.token_env:
            names.add(channel.token_env)
    return names


def child_env(
    config: Config, repo: RepoConfig, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of ``repo``'s command: ``environ`` without gitmetrics' secrets.

    Removed: every ``GITMETRICS_*`` variable (``GITMETRICS_TOKEN`` among them) and every
    variable named by ``password_env:`` or ``token_env:`` under ``notify:``. Names listed
    in ``pass_env:`` (top level and the repo's own) are kept even so.
    """
    environ = os.environ if environ is None else environ
    denied = secret_names(config)
    allowed = set(repo.pass_env)
    return {
        name: value
        for name, value in environ.items()
        if name in allowed or not (name.startswith(SECRET_PREFIX) or name in denied)
    }


class Commands:
    """The keepers of the commands running now, so that an interrupt stops them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self.stopped = False

    def start(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """Start a keeper, unless :meth:`stop` was called."""
        with self._lock:
            if self.stopped:
                raise GitmetricsError("command not started: collect was interrupted")
            proc = subprocess.Popen(argv, **kwargs)
            self._live.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[bytes]) -> None:
        """``proc`` has finished."""
        with self._lock:
            self._live.discard(proc)

    def stop(self) -> None:
        """Tell every keeper to kill its command's tree; start no new command."""
        with self._lock:
            self.stopped = True
            for proc in self._live:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)


def run(config: Config, repo: RepoConfig, log: Path, commands: Commands | None = None) -> None:
    """Run ``repo``'s ``command:`` in it, contained, output to ``log``; ``GitmetricsError``
    when it fails, times out or is stopped."""
    assert repo.command is not None
    spec = {
        "command": repo.command,
        "parent": os.getpid(),
        "log": str(log),
        "log_max_bytes": repo.log_max_bytes,
        "timeout": repo.timeout,
        "head": f"$ cd {shlex.quote(str(repo.path))} && {repo.command}\n",
    }
    argv = [sys.executable, "-I", str(KEEPER), json.dumps(spec)]
    options: dict[str, Any] = {
        "cwd": repo.path,
        "env": child_env(config, repo),
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        # away from the terminal's process group: Ctrl-C reaches gitmetrics, which stops it
        "start_new_session": True,
    }
    commands = commands or Commands()
    try:
        proc = commands.start(argv, **options)
    except OSError as exc:
        raise GitmetricsError(f"cannot run the command: {exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(timeout=repo.timeout + KEEPER_GRACE)
    except subprocess.TimeoutExpired:  # the keeper itself is stuck: never seen
        proc.kill()
        out, err = proc.communicate()
    finally:
        commands.done(proc)
    try:
        result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise GitmetricsError(
            f"the command's keeper failed (exit code {proc.returncode}): {last[0]}",
            f"see the log: {log}",
        ) from None
    _outcome(repo, log, result)


def _outcome(repo: RepoConfig, log: Path, result: Mapping[str, Any]) -> None:
    """``GitmetricsError`` unless the command exited with 0."""
    hint = f"see the log: {log}"
    outcome = result.get("outcome")
    if outcome == "timeout":
        raise GitmetricsError(f"command timed out after {repo.timeout:g}s: {repo.command}", hint)
    if outcome == "stopped":
        raise GitmetricsError(f"command stopped: collect was interrupted: {repo.command}", hint)
    if outcome != "exited":
        raise GitmetricsError(f"cannot run the command: {result.get('error')}", hint)
    if "signal" in result:
        name = _signal_name(int(result["signal"]))
        raise GitmetricsError(f"command was killed by {name}: {repo.command}", hint)
    code = int(result.get("returncode", 0))
    if code != 0:
        raise GitmetricsError(f"command failed with exit code {code}: {repo.command}", hint)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM raise :class:`Interrupted` in the main thread.

    SIGTERM would otherwise end gitmetrics on the spot, leaving its commands running;
    as an exception it unwinds through :func:`gitmetrics.collect.collect_all`, which
    stops them. Outside the main thread this does nothing (signals go to the main one).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
