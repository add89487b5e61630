"""Errors a user can act on; each message names the place and says what to do."""

from __future__ import annotations


class GitmetricsError(Exception):
    """Base class: a user-facing error, printed without a traceback, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(GitmetricsError):
    """repos.yaml is missing, unreadable or invalid."""


class ReportError(GitmetricsError):
    """A coverage report is missing, unreadable, malformed or hostile."""


class SnapshotError(GitmetricsError):
    """A snapshot does not validate, or is newer than this gitmetrics understands."""


class StoreError(GitmetricsError):
    """The metrics repository is missing, locked, or cannot be written."""


class SyncError(GitmetricsError):
    """A push, pull or sync with a remote failed."""


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
