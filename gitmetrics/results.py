"""The api's typed inputs and frozen results (:mod:`gitmetrics.api` names each of them).

They live apart from the api's functions because making a frozen dataclass costs about
0.6 ms (its generated methods are compiled when the class is made): a command that needs
none of them (``history``, the views, ``--help``) does not pay for the thirteen. The api
imports this module in the functions that take or return one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitmetrics.config import Config
    from gitmetrics.errors import GitmetricsError
    from gitmetrics.notify import Channel, Delivery
    from gitmetrics.rules import CheckResult, Rules
    from gitmetrics.snapshot import Snapshot
    from gitmetrics.store.gate import Audit
    from gitmetrics.store.sync import SyncResult


@dataclass(frozen=True)
class Initialized:
    """A store made ready, and what was pulled into it from ``--remote``."""

    path: Path
    pulled: SyncResult | None


@dataclass(frozen=True)
class CollectOptions:
    """What ``collect`` was asked to do."""

    config: Path | None = None
    store: Path | None = None
    repo: tuple[str, ...] = ()
    role: tuple[str, ...] = ()
    run: bool = False
    jobs: int | None = None
    dry_run: bool = False
    create_issues: bool = False
    #: the floor of --create-issues (default: the rules' floor of each repository)
    issue_floor: float | None = None
    #: --fail-below: the figures below it are listed in the result
    fail_below: float | None = None
    #: --at: the time the collection is dated by (a backfill), as given
    at: str | None = None


@dataclass(frozen=True)
class Collected:
    """One collection's snapshot and what was done with it (the collect command's data)."""

    #: what this collection measured
    snapshot: Snapshot
    result: dict[str, Any]
    #: what --fail-below fails on (empty without it)
    below: tuple[str, ...] = ()
    #: the state after it: every configured repository's latest measurement (``None``
    #: when nothing was committed)
    state: Snapshot | None = None

    @property
    def nothing(self) -> bool:
        """True when every repository failed, so nothing was committed."""
        return self.snapshot.summary.repos_ok == 0

    def gate_failed(self, *, strict: bool) -> bool:
        """True when ``--strict`` and a repository failed, or a figure is below --fail-below."""
        return bool(self.below) or (strict and self.snapshot.summary.repos_failed > 0)


@dataclass(frozen=True)
class Dashboard:
    """The dashboard page written: where, of how many snapshots, as of which revision."""

    output: Path
    snapshots: int
    #: the commit the page shows (``None`` never: an empty store is an error)
    rev: str | None
    bytes: int
    at: str | None


@dataclass(frozen=True)
class Exported:
    """An export written: how many rows of which kind, in which format, where."""

    format: str
    #: ``repos`` (a row per repository per collection) or ``files`` (per file per measurement)
    kind: str
    #: the table the rows are (sqlite's table name)
    table: str
    rows: int
    #: ``None``: written to stdout
    output: Path | None


@dataclass(frozen=True)
class WatchPlan:
    """What every round of ``watch`` does, decided once before the first."""

    cfg: Config
    store: Path | None
    interval: float
    rules: Rules
    channels: tuple[Channel, ...]
    run: bool = False
    create_issues: bool = False
    threshold: float | None = None


@dataclass(frozen=True)
class Round:
    """One round of ``watch``: the collection, the check, the alerts, and what went wrong."""

    collected: Collected
    check: CheckResult | None = None
    deliveries: tuple[Delivery, ...] = ()
    #: how many alert channels the round could use
    channels: int = 0
    #: the error that ended the round after what is above was done (reported, not raised)
    error: GitmetricsError | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the commit, how many rules broke, the deliveries."""
        return {
            "commit": self.collected.result.get("commit"),
            "breaches": 0 if self.check is None else len(self.check.breaches),
            "deliveries": [vars(d) for d in self.deliveries],
        }


@dataclass(frozen=True)
class Issues:
    """The coordination issues shown by ``issues``, and the file they were read from."""

    shown: tuple[Any, ...]
    where: str
    filtered: bool = False


@dataclass(frozen=True)
class SyncOptions:
    """Where ``push``/``pull``/``sync`` talk to and how."""

    config: Path | None = None
    store: Path | None = None
    remote: str | None = None
    username: str | None = None
    allow_unrelated: bool = False
    timeout: float | None = None


@dataclass(frozen=True)
class Cloned:
    """A store made from a remote."""

    store: Path
    result: SyncResult


@dataclass(frozen=True)
class Verified:
    """What ``gitmetrics verify`` found: the gate's checks over a store's whole history."""

    store: str
    audit: Audit

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.audit.problems


@dataclass(frozen=True)
class Imported:
    """What ``gitmetrics import`` added (or, with ``dry_run``, would add)."""

    imported: tuple[Snapshot, ...]
    already: int
    commits: tuple[str, ...]
    skipped: tuple[str, ...]
    dry_run: bool


@dataclass(frozen=True)
class PatchOptions:
    """What ``gitmetrics patch`` measures: a repo of the config, or a path and reports."""

    config: Path | None = None
    repo: str | None = None
    path: Path | None = None
    reports: tuple[Path, ...] = ()
    report_format: str | None = None
    base: str | None = None
    diff_file: Path | None = None
    src_roots: tuple[str, ...] = ()
    fail_under: float | None = None
    max_drop: float | None = None
    #: commit the measurement to the store on ``refs/gitmetrics/pr/<record>``
    record: str | None = None
