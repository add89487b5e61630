"""Errors a user can act on; each message names the place and says what to do."""

from __future__ import annotations

import errno
import os
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of every command (docs/gates.md, "Exit codes")."""

    #: the command did what was asked (a collection with some failed repositories too)
    OK = 0
    #: a user error: the config, the store, a report, the network, the file system
    ERROR = 1
    #: a usage error: an unknown option, a bad value (typer's own)
    USAGE = 2
    #: the command worked and a gate failed: a rule is broken (check, watch --once), a
    #: repository failed (collect --strict), a figure is below --fail-below, verify found
    #: a problem
    GATE = 3
    #: interrupted by SIGINT (Ctrl-C); SIGTERM is 143: the shell's 128 + the signal's number
    INTERRUPTED = 130
    #: the reader of stdout went away (``gitmetrics export | head``): 128 + SIGPIPE, as git
    PIPE = 141


class GitmetricsError(Exception):
    """Base class: a user-facing error, printed without a traceback, exit code 1."""

    exit_code: int = ExitCode.ERROR
    #: what kind of error, for scripts (``{"error": {"code": ...}}`` under ``--json``)
    code = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(GitmetricsError):
    """repos.yaml is missing, unreadable or invalid."""

    code = "config"


class ReportError(GitmetricsError):
    """A coverage report is missing, unreadable, malformed or hostile."""

    code = "report"


class SnapshotError(GitmetricsError):
    """A snapshot does not validate, or is newer than this gitmetrics understands."""

    code = "snapshot"


class StoreError(GitmetricsError):
    """The metrics repository is missing, locked, or cannot be written."""

    code = "store"


class SyncError(GitmetricsError):
    """A push, pull or sync with a remote failed."""

    code = "sync"


# --- warnings ---------------------------------------------------------------------------

_warned: set[str] = set()


def warn(message: str) -> None:
    """Tell the user about something skipped (once per message), on stderr.

    Readers use it for what they step over (an unreadable collection in history, say), so
    a command keeps working and says what it left out.
    """
    import sys

    if message in _warned:
        return
    _warned.add(message)
    print(f"warning: {message}", file=sys.stderr)


def forget_warnings() -> None:
    """Start a new command: warnings already given may be given again."""
    _warned.clear()


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; unwinds like Ctrl-C so that what was started is stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 SIGTERM)."""
        return 128 + self.signum


class AfterCommitError(StoreError):
    """A commit landed, but something written after it (the work tree, a file) was not."""

    def __init__(self, message: str, hint: str | None, commit: str) -> None:
        super().__init__(message, hint)
        self.commit = commit


#: What to do about the usual OSErrors of a command that writes files.
_FIXES = {
    errno.ENOSPC: "free space on the file system that holds it",
    errno.EDQUOT: "free space or raise your disk quota",
    errno.EROFS: "the file system is read-only: remount it read-write or choose another path",
    errno.EACCES: "check the permissions of that path and of its directory",
    errno.EPERM: "check the permissions of that path and of its directory",
    errno.ENAMETOOLONG: "the path is too long for its file system: choose a shorter one",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n)",
    errno.ENFILE: "the system has too many open files: close some programs",
    errno.EIO: "the disk reported an I/O error: check it",
}


def os_problem(exc: OSError, where: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """``(path: what happened, what to fix)`` for an OSError, one line each.

    ``where`` names the place when the error does not (a failed ``write()`` names no file).
    """
    what = " ".join((exc.strerror or str(exc) or type(exc).__name__).split())
    found = exc.filename if exc.filename is not None else exc.filename2
    fix = _FIXES.get(exc.errno or 0, "fix the cause")
    place = where if found is None else found
    if place is None:
        return what, fix
    return f"{os.fsdecode(place)}: {what}", fix


def os_error(exc: OSError, command: str) -> GitmetricsError:
    """An OSError of ``gitmetrics <command>`` as a user error: where, what, what to do."""
    problem, fix = os_problem(exc)
    error = GitmetricsError(problem, f"{fix}, then run `gitmetrics {command}` again")
    error.code = "os"
    return error


def after_commit_error(
    exc: OSError,
    where: str | os.PathLike[str] | None,
    commit: str,
    what: str,
    missing: str,
    then: str,
) -> AfterCommitError:
    """An OSError once ``commit`` landed: says that ``what`` is committed, what is
    ``missing``, and ``then`` what to do."""
    problem, fix = os_problem(exc, where)
    return AfterCommitError(
        f"{problem}; {what} is committed as {commit[:10]}, but {missing}",
        f"{fix}, then {then}",
        commit,
    )
