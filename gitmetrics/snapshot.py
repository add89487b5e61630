"""The snapshot and the state: coverage figures, their JSON form and their validation.

A *collection* measures some repositories (:func:`build`); the *state* is every
repository's latest measurement, each with its ``measured_at`` (:func:`fold` lays a
collection over the state before it; :func:`merge_states` joins two states by taking,
per repository, the newest measurement). A stored snapshot file of schema 2 is the state
after its collection, with ``measured`` naming what that collection measured; a snapshot
of schema 1 (gitmetrics 0.1.0) is read as the state of the repositories it lists,
measured at its timestamp.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from gitmetrics import __version__, percent, schema
from gitmetrics.errors import SnapshotError
from gitmetrics.timestamps import now_timestamp as now_timestamp
from gitmetrics.timestamps import parse_timestamp as parse_timestamp

SCHEMA_VERSION = schema.SCHEMA_VERSION
_T = TypeVar("_T")
#: the schema versions this gitmetrics reads (it writes the newest)
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Source:
    """Where the measured code came from: the repository's HEAD when collected."""

    commit: str | None
    branch: str | None
    dirty: bool
    #: the HEAD commit's committer time (Unix seconds); only read while collecting, to
    #: flag a report older than the code it claims to measure; not stored
    committed_at: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ReportRef:
    """One report file that was read for a repository."""

    path: str
    format: str
    sha256: str
    lines_covered: int | None = None
    lines_valid: int | None = None


@dataclass(frozen=True)
class RepoResult:
    """The figures of one repository in a snapshot (``status`` ok or error)."""

    name: str
    role: str
    status: str = "ok"
    error: str | None = None
    coverage: float | None = None
    #: ``None``: the source did not record it (an imported Codecov trend, Coveralls)
    files_tested: int | None = 0
    lines_covered: int | None = None
    lines_valid: int | None = None
    branch_coverage: float | None = None
    branches_covered: int | None = None
    branches_valid: int | None = None
    format: str | None = None
    report: str | None = None
    reports: tuple[ReportRef, ...] = ()
    source: Source | None = None
    log: str | None = None
    duration_ms: int | None = None
    #: short notes on reports that were read but are not self-consistent
    warnings: tuple[str, ...] = ()
    #: a report was last written before the repository's HEAD commit: it may not
    #: measure the code at HEAD
    stale_report: bool = False
    #: when this measurement was made (the timestamp of the collection that made it);
    #: ``None`` only before it is part of a collection
    measured_at: str | None = None
    #: the host that measured it
    host: str | None = None
    #: in a state: not measured by the collection of that state (kept from an earlier one)
    carried: bool = False
    #: in a state: older than the repository's ``max_age`` at the state's timestamp
    stale: bool = False
    #: in a state: why the newest attempt to measure it failed, when an earlier
    #: measurement is carried instead
    last_error: str | None = None
    #: when that attempt was made (its collection's timestamp)
    last_error_at: str | None = None
    #: the per-file detail of this measurement, as the bytes of ``repos/<name>/files.json``
    #: (only on a collection's own results; never in a snapshot file)
    detail: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """True when the repository was measured."""
        return self.status == "ok"


@dataclass(frozen=True)
class Summary:
    """Totals over all repositories of a snapshot."""

    avg_coverage: float | None
    weighted_coverage: float | None
    branch_coverage: float | None
    repos_count: int
    repos_ok: int
    repos_failed: int
    total_files_tested: int
    lines_covered: int
    lines_valid: int
    branches_covered: int | None
    branches_valid: int | None
    #: repositories the collection tried to measure (``None``: every one, schema 1)
    repos_measured: int | None = None
    #: repositories of the state kept from an earlier collection
    repos_carried: int = 0
    #: repositories older than their ``max_age``
    repos_stale: int = 0


@dataclass(frozen=True)
class Snapshot:
    """One collection: when, where, by what, and per-repository results."""

    timestamp: str
    host: str
    repositories: tuple[RepoResult, ...]
    summary: Summary
    tool_version: str = __version__
    schema_version: int = SCHEMA_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the repositories this collection measured, ok or not (``None``: all it lists)
    measured: tuple[str, ...] | None = None

    @property
    def when(self) -> datetime:
        """The timestamp as an aware UTC datetime."""
        return parse_timestamp(self.timestamp)

    def repo(self, name: str) -> RepoResult | None:
        """The result of one repository, or ``None`` when it is not in this snapshot."""
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, RepoResult]:
        """Each repository's result by name (the first, should a name be listed twice)."""
        found: dict[str, RepoResult] = {}
        for r in self.repositories:
            found.setdefault(r.name, r)
        return found

    @property
    def measured_names(self) -> tuple[str, ...]:
        """What the collection measured (a schema-1 snapshot: every repository it lists)."""
        if self.measured is not None:
            return self.measured
        return tuple(r.name for r in self.repositories)


def rounded(value: float | None, digits: int = 2) -> float | None:
    """Percentages are stored with 2 decimals; the counts beside them are exact."""
    return None if value is None else round(value, digits)


def pct(covered: int | None, total: int | None) -> float | None:
    """``covered / total`` in percent with 2 decimals (never 100 or 0 unless exactly so)."""
    return percent.rounded_counts(covered, total, 2)


def summarize(results: Iterable[RepoResult], attempted: int | None = None) -> Summary:
    """The summary of a set of results: plain mean and lines-weighted coverage.

    ``attempted``: how many repositories the collection measured (a state's summary).
    """
    results = list(results)
    measured = [r for r in results if r.ok and r.coverage is not None]
    lines_c = sum(r.lines_covered or 0 for r in measured)
    lines_v = sum(r.lines_valid or 0 for r in measured)
    with_branches = [r for r in measured if r.branches_valid is not None]
    br_c = sum(r.branches_covered or 0 for r in with_branches) if with_branches else None
    br_v = sum(r.branches_valid or 0 for r in with_branches) if with_branches else None
    mean = percent.mean_value(r.coverage or 0.0 for r in measured)
    avg = None if mean is None else percent.rounded(mean, 2)
    return Summary(
        avg_coverage=avg,
        weighted_coverage=pct(lines_c, lines_v),
        branch_coverage=pct(br_c, br_v),
        repos_count=len(results),
        repos_ok=sum(1 for r in results if r.ok),
        repos_failed=sum(1 for r in results if not r.ok),
        total_files_tested=sum(r.files_tested or 0 for r in results if r.ok),
        lines_covered=lines_c,
        lines_valid=lines_v,
        branches_covered=br_c,
        branches_valid=br_v,
        repos_measured=attempted,
        repos_carried=sum(1 for r in results if r.carried),
        repos_stale=sum(1 for r in results if r.stale),
    )


def build(results: Iterable[RepoResult], host: str, timestamp: str | None = None) -> Snapshot:
    """A collection of ``results``, sorted by repository name, each measured now on ``host``."""
    when = timestamp or now_timestamp()
    ordered = tuple(
        replace(r, measured_at=when, host=host, carried=False, stale=False, last_error=None)
        for r in sorted(results, key=lambda r: r.name)
    )
    return Snapshot(
        timestamp=when,
        host=host,
        repositories=ordered,
        summary=summarize(ordered, len(ordered)),
        measured=tuple(r.name for r in ordered),
    )


# --- the state ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatePolicy:
    """What the config says about the state: which repositories it holds, when one is stale."""

    #: the repositories of the config (``None``: keep every one the state holds)
    keep: frozenset[str] | None = None
    #: seconds after which a measurement is stale (``None``: never)
    max_age: float | None = None
    #: per-repository ``max_age`` overriding the global one
    repo_max_age: Mapping[str, float | None] = field(default_factory=dict)

    def max_age_of(self, name: str) -> float | None:
        """The ``max_age`` of one repository, in seconds (``None``: never stale)."""
        return self.repo_max_age.get(name, self.max_age)


def measured_at(r: RepoResult, snap: Snapshot) -> str:
    """When ``r`` was measured: its own ``measured_at``, else its snapshot's timestamp."""
    return r.measured_at or snap.timestamp


def age_seconds(measured: str, at: str | datetime) -> int:
    """Whole seconds from ``measured`` to ``at`` (never negative: clocks are skewed)."""
    end = at if isinstance(at, datetime) else parse_timestamp(at)
    return max(0, int((end - parse_timestamp(measured)).total_seconds()))


def ages(r: RepoResult | None, at: str | None) -> dict[str, Any]:
    """A row's ``measured_at``, ``age`` (seconds as of ``at``), ``carried`` and ``stale``."""
    if r is None:
        return {"measured_at": None, "age": None, "carried": False, "stale": False}
    when = r.measured_at or at
    return {
        "measured_at": when,
        "age": None if when is None or at is None else age_seconds(when, at),
        "carried": r.carried,
        "stale": r.stale,
    }


def _aged(r: RepoResult, at: str, policy: StatePolicy) -> RepoResult:
    limit = policy.max_age_of(r.name)
    stale = limit is not None and age_seconds(r.measured_at or at, at) > limit
    return r if r.stale == stale else replace(r, stale=stale)


def _state(
    repos: Iterable[RepoResult],
    timestamp: str,
    host: str,
    measured: tuple[str, ...],
    policy: StatePolicy,
) -> Snapshot:
    kept = [r for r in repos if policy.keep is None or r.name in policy.keep]
    ordered = tuple(_aged(r, timestamp, policy) for r in sorted(kept, key=lambda r: r.name))
    return Snapshot(
        timestamp=timestamp,
        host=host,
        repositories=ordered,
        summary=summarize(ordered, len(measured)),
        measured=measured,
    )


def as_state(snap: Snapshot) -> list[RepoResult]:
    """The repositories of a stored snapshot as state entries, each with its ``measured_at``.

    A schema-1 snapshot is the state of the repositories it lists, measured at its
    timestamp on its host.
    """
    return [
        r if r.measured_at is not None else replace(r, measured_at=snap.timestamp, host=snap.host)
        for r in snap.repositories
    ]


def fold(
    previous: Snapshot | None, collection: Snapshot, policy: StatePolicy = StatePolicy()
) -> Snapshot:
    """The state after ``collection``: its measurements laid over the state before it.

    A repository the collection did not measure is carried forward unchanged (marked
    carried, its ``measured_at`` kept). A failed attempt does not replace an earlier good
    measurement: that one is carried, with ``last_error`` saying why. A measurement older
    than the one the state holds (a backfill) does not replace it. Repositories the
    policy does not keep (gone from repos.yaml) leave the state.
    """
    state: dict[str, RepoResult] = {}
    if previous is not None:
        state = {r.name: replace(r, carried=True) for r in as_state(previous)}
    for m in as_state(collection):
        old = state.get(m.name)
        # the collection wins a tie: it is the newer of two made in the same second
        newer = old is None or (m.measured_at or "") >= (old.measured_at or "")
        if old is None or (newer and (m.ok or not old.ok)):
            state[m.name] = replace(m, carried=False, last_error=None, last_error_at=None)
        elif newer and not m.ok:
            when = m.measured_at
            state[m.name] = replace(old, carried=True, last_error=m.error, last_error_at=when)
    return _state(
        state.values(), collection.timestamp, collection.host, collection.measured_names, policy
    )


def entry_key(r: RepoResult) -> tuple[str, str, str, str]:
    """The order of two state entries of one repository: newest ``measured_at`` first, then
    the newest failed attempt since, then the host, then the entry's own bytes
    (deterministic on every machine)."""
    body = dumps([_repo_dict(replace(r, carried=False, stale=False)), r.last_error])
    key = hashlib.sha256(body).hexdigest()
    return (r.measured_at or "", r.last_error_at or "", r.host or "", key)


def newest(a: RepoResult, b: RepoResult) -> RepoResult:
    """The newer of two measurements of one repository (``a`` when they are the same)."""
    return b if entry_key(b) > entry_key(a) else a


def merge_states(a: Snapshot, b: Snapshot, policy: StatePolicy = StatePolicy()) -> Snapshot:
    """The state of two machines joined: per repository the newest measurement.

    The same result whichever side is ``a``: the newer state (by timestamp, then host)
    gives the timestamp, host and ``measured`` of the result.
    """
    first, second = sorted((a, b), key=lambda s: (s.timestamp, s.host, s.measured_names))
    found: dict[str, RepoResult] = {}
    for r in [*as_state(first), *as_state(second)]:
        found[r.name] = r if r.name not in found else newest(found[r.name], r)
    measured = set(second.measured_names)
    merged = [
        replace(r, carried=r.name not in measured or r.measured_at != second.timestamp)
        for r in found.values()
    ]
    return _state(merged, second.timestamp, second.host, second.measured_names, policy)


def removed(previous: Snapshot | None, state: Snapshot) -> list[str]:
    """The repositories of ``previous`` that left ``state`` (no longer in the config)."""
    if previous is None:
        return []
    names = {r.name for r in state.repositories}
    return sorted(r.name for r in previous.repositories if r.name not in names)


# --- JSON -----------------------------------------------------------------------


def to_dict(snap: Snapshot) -> dict[str, Any]:
    """The snapshot as plain data, in the shape of snapshot.schema.json.

    Schema 2 adds, per repository, ``measured_at``, ``host``, ``carried``, ``stale`` and
    ``age`` (whole seconds from ``measured_at`` to the snapshot's timestamp), and the
    ``measured`` list; every field of schema 1 keeps its name and meaning.
    """
    out: dict[str, Any] = {
        "schema_version": snap.schema_version,
        "timestamp": snap.timestamp,
        "host": snap.host,
        "tool": {"name": "gitmetrics", "version": snap.tool_version},
        "summary": _summary_dict(snap.summary, snap.schema_version),
        "repositories": [_repo_dict(r, snap) for r in snap.repositories],
    }
    if snap.schema_version >= 2:
        out["measured"] = list(snap.measured_names)
    return out


def to_json(snap: Snapshot) -> bytes:
    """Stable JSON: sorted keys, indent 2, a final newline; validated first."""
    data = to_dict(snap)
    validate(data)
    return dumps(data)


def dumps(data: Any) -> bytes:
    """The one JSON encoding gitmetrics writes: sorted keys, indent 2, newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def content_id(data: bytes) -> str:
    """A short hash of a snapshot's bytes, used to make its file name unique."""
    return hashlib.sha256(data).hexdigest()[:10]


def validate(data: Any, origin: str = "snapshot", name: str = schema.SNAPSHOT) -> None:
    """Check plain data against schema ``name``; ``SnapshotError`` names the field (and
    says to upgrade for a newer ``schema_version``)."""
    if isinstance(data, dict):
        version = data.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise SnapshotError(
                f"{origin}: schema_version {version} is newer than this gitmetrics "
                f"understands ({SCHEMA_VERSION})",
                "upgrade gitmetrics: pip install -U gitmetrics",
            )
    problems = schema.errors(name, data)
    if problems:
        parts, message = problems[0]
        raise SnapshotError(f"{origin}: {schema.json_path(parts)}: {message}")


def from_json(data: bytes | str, origin: str = "snapshot") -> Snapshot:
    """Parse and validate a snapshot; refuses a newer schema_version."""
    return _read_json(data, origin, schema.SNAPSHOT, "snapshot", from_dict, trusted=False)


def read_stored(data: bytes | str, origin: str = "snapshot") -> Snapshot:
    """A snapshot the store wrote itself: parsed, not validated against the schema again.

    The store validated it before committing it (or the trust gate did, before admitting
    it), so only what is cheap is checked: a newer ``schema_version`` is refused, and data
    that does not fit the model raises :class:`SnapshotError` instead of crashing a reader.
    ``gitmetrics verify`` is the full check.
    """
    return _read_json(data, origin, schema.SNAPSHOT, "snapshot", from_dict, trusted=True)


def _read_json(
    data: bytes | str,
    origin: str,
    name: str,
    kind: str,
    build: Callable[[Any], _T],
    *,
    trusted: bool,
) -> _T:
    """JSON of schema ``name`` read into the model by ``build``: validated first unless
    ``trusted`` (the store's own), and always when it says it is newer (the message that
    says to upgrade); data that does not fit the model is a :class:`SnapshotError`."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{origin}: not valid JSON: {exc}") from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if not trusted or (isinstance(version, int) and version > SCHEMA_VERSION):
        validate(raw, origin, name)
    try:
        return build(raw)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        what = f"missing {exc.args[0]!r}" if isinstance(exc, KeyError) else "malformed"
        raise SnapshotError(
            f"{origin}: not a {kind} gitmetrics can read ({what})",
            "run `gitmetrics verify` to check the whole store",
        ) from None


def from_dict(raw: Mapping[str, Any]) -> Snapshot:
    """Plain data back into a :class:`Snapshot` (validated by the caller, or trusted)."""
    s = raw["summary"]
    measured = raw.get("measured")
    return Snapshot(
        timestamp=raw["timestamp"],
        host=raw["host"],
        tool_version=raw["tool"]["version"],
        schema_version=raw["schema_version"],
        summary=Summary(**{k: s[k] for k in Summary.__dataclass_fields__ if k in s}),
        repositories=tuple(_repo_from(r) for r in raw["repositories"]),
        measured=None if measured is None else tuple(measured),
    )


#: the summary's fields that schema 1 does not have
_SUMMARY_V2 = ("repos_measured", "repos_carried", "repos_stale")


def _summary_dict(s: Summary, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    return {
        k: getattr(s, k)
        for k in Summary.__dataclass_fields__
        if version >= 2 or k not in _SUMMARY_V2
    }


def _repo_dict(r: RepoResult, snap: Snapshot | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": r.name,
        "role": r.role,
        "status": r.status,
        "coverage": r.coverage,
        "files_tested": r.files_tested,
    }
    optional = {
        "error": r.error,
        "lines_covered": r.lines_covered,
        "lines_valid": r.lines_valid,
        "branch_coverage": r.branch_coverage,
        "branches_covered": r.branches_covered,
        "branches_valid": r.branches_valid,
        "format": r.format,
        "report": r.report,
        "log": r.log,
        "duration_ms": r.duration_ms,
    }
    out.update(optional)
    if r.status == "ok":
        out.pop("error")
    if r.log is None:
        out.pop("log")
    if r.duration_ms is None:
        out.pop("duration_ms")
    if r.warnings:
        # only when there are some: a snapshot without warnings keeps its old bytes
        out["warnings"] = list(r.warnings)
    if r.stale_report:
        out["stale_report"] = True
    out["reports"] = [{k: v for k, v in vars(ref).items() if v is not None} for ref in r.reports]
    out["source"] = (
        None
        if r.source is None
        else {"commit": r.source.commit, "branch": r.source.branch, "dirty": r.source.dirty}
    )
    if snap is not None and snap.schema_version >= 2:
        when = measured_at(r, snap)
        out["measured_at"] = when
        out["host"] = r.host or snap.host
        out["age"] = age_seconds(when, snap.timestamp)
        out["carried"] = r.carried
        out["stale"] = r.stale
        if r.last_error is not None:
            out["last_error"] = r.last_error
            out["last_error_at"] = r.last_error_at or snap.timestamp
    return out


#: what a stored repository entry may give :func:`_repo_from` as it is (the rest are built)
_REPO_PLAIN = frozenset(RepoResult.__dataclass_fields__) - {
    "reports",
    "source",
    "warnings",
    "detail",
}
_REF_FIELDS = frozenset(ReportRef.__dataclass_fields__)
_REF_NEEDED = frozenset(("path", "format", "sha256"))
_new = object.__new__


def _repo_from(d: Mapping[str, Any]) -> RepoResult:
    """A stored repository entry as a :class:`RepoResult`, its fields set directly.

    The entry was validated before the store wrote it, so its values already have the
    model's types; a field it does not give keeps the class default, a key that is no
    field (``age``, derived) is left out. This skips the frozen ``__init__`` (a call that
    sets 26 fields one by one), the most of reading a snapshot.
    """
    values = dict(d)
    d["name"], d["role"], d["status"]  # a KeyError names what is missing
    for k in values.keys() - _REPO_PLAIN:
        if k == "reports":
            values[k] = tuple([_ref_from(ref) for ref in d[k]])
        elif k == "source" and d[k] is not None:
            values[k] = _source_from(d[k])
        elif k == "warnings":
            values[k] = tuple(d[k])
        else:
            del values[k]
    r: RepoResult = _new(RepoResult)
    r.__dict__.update(values)
    return r


_SOURCE_STORED = frozenset(("commit", "branch", "dirty"))


def _source_from(src: Mapping[str, Any]) -> Source:
    """A stored source entry as a :class:`Source`, set directly like :func:`_repo_from`."""
    if src.keys() != _SOURCE_STORED:
        return Source(src["commit"], src["branch"], src["dirty"])  # what a KeyError names
    s: Source = _new(Source)
    s.__dict__.update(src)
    return s


def _ref_from(ref: Mapping[str, Any]) -> ReportRef:
    """A stored report entry as a :class:`ReportRef`, set directly like :func:`_repo_from`."""
    if not _REF_NEEDED <= ref.keys() <= _REF_FIELDS:
        return ReportRef(**ref)  # the TypeError that names what does not fit
    r: ReportRef = _new(ReportRef)
    r.__dict__.update(ref)
    return r


# --- retention -------------------------------------------------------------------------


@dataclass(frozen=True)
class Thinning:
    """A thinning retention: every snapshot file of the last ``all`` seconds, then the
    newest of each UTC day, ISO week and month for as long as each says (``None``:
    forever; ``0``: not at all). Ages are counted back from the newest snapshot file, so
    the kept set depends on the files alone: the same tree on every machine."""

    all: float | None = 7 * 86400
    daily: float | None = 90 * 86400
    weekly: float | None = 2 * 365 * 86400
    monthly: float | None = None


#: ``retention:``: how many snapshot files to keep (0: all), or a thinning policy
Retention = int | Thinning

_STAMP = re.compile(r"metrics_(\d{8})_(\d{6})_")


def thinned(paths: Iterable[str], policy: Thinning) -> set[str]:
    """The snapshot files ``policy`` keeps (files whose name has no time are kept)."""
    dated: list[tuple[datetime, str]] = []
    kept: set[str] = set()
    for p in paths:
        m = _STAMP.search(p.rsplit("/", 1)[-1])
        if m is None:
            kept.add(p)
            continue
        dated.append((datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S"), p))
    if not dated:
        return kept
    dated.sort(reverse=True)  # newest first; equal times by path, the same everywhere
    newest = dated[0][0]

    def within(when: datetime, limit: float | None) -> bool:
        return limit is None or (newest - when).total_seconds() <= limit

    buckets: set[tuple[str, object]] = set()
    for when, p in dated:
        if within(when, policy.all) and policy.all != 0:
            kept.add(p)
        for kind, limit, key in (
            ("d", policy.daily, when.date()),
            ("w", policy.weekly, when.isocalendar()[:2]),
            ("m", policy.monthly, (when.year, when.month)),
        ):
            if limit != 0 and within(when, limit) and (kind, key) not in buckets:
                buckets.add((kind, key))
                kept.add(p)  # the newest of its day, week or month
    return kept


# --- per-file detail --------------------------------------------------------------------

FILES_NAME = "files.json"


@dataclass(frozen=True)
class FileDetail:
    """One file of a repository's measurement: counts and the covered and missed lines."""

    path: str
    lines_covered: int
    lines_valid: int
    branches_covered: int | None
    branches_valid: int | None
    #: line numbers, or ``None`` when the format has no line map
    covered: tuple[int, ...] | None
    missed: tuple[int, ...] | None


def ranges(lines: Iterable[int]) -> str:
    """Line numbers as compact ranges: ``[1, 2, 3, 7, 9, 10]`` -> ``"1-3,7,9-10"``."""
    out: list[str] = []
    start = prev = None
    for n in sorted(set(lines)):
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
        start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)


def from_ranges(text: str) -> list[int]:
    """:func:`ranges` read back."""
    found: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        found.extend(range(int(first), int(last or first) + 1))
    return found


def files_path(name: str) -> str:
    """Where a repository's per-file detail lives in the store."""
    return f"repos/{name}/{FILES_NAME}"


def files_json(name: str, fmt: str, files: Iterable[FileDetail]) -> bytes:
    """The per-file detail blob: the same measurement gives the same bytes (no time in it)."""
    rows = []
    for f in sorted(files, key=lambda f: f.path):
        rows.append(
            {
                "path": f.path,
                "lines_covered": f.lines_covered,
                "lines_valid": f.lines_valid,
                "branches_covered": f.branches_covered,
                "branches_valid": f.branches_valid,
                "covered": None if f.covered is None else ranges(f.covered),
                "missed": None if f.missed is None else ranges(f.missed),
            }
        )
    data = {"schema_version": SCHEMA_VERSION, "repository": name, "format": fmt, "files": rows}
    validate(data, files_path(name), schema.FILES)
    return dumps(data)


def read_files(data: bytes, origin: str, *, trusted: bool = False) -> list[FileDetail]:
    """A per-file detail blob read back (``SnapshotError`` when it is not one).

    ``trusted``: the store's own blob (validated before it was committed or admitted), so
    it is parsed, not validated against the schema again, as :func:`read_stored` does.
    """
    return _read_json(data, origin, schema.FILES, "per-file detail", _details, trusted=trusted)


def _details(raw: Mapping[str, Any]) -> list[FileDetail]:
    return [
        FileDetail(
            f["path"],
            f["lines_covered"],
            f["lines_valid"],
            f["branches_covered"],
            f["branches_valid"],
            None if f["covered"] is None else tuple(from_ranges(f["covered"])),
            None if f["missed"] is None else tuple(from_ranges(f["missed"])),
        )
        for f in raw["files"]
    ]


_HOST_RE = re.compile(r"[^A-Za-z0-9-]+")


def safe_host(host: str) -> str:
    """A host name usable in a file name: letters, digits and dashes only."""
    return _HOST_RE.sub("-", host).strip("-")[:40] or "host"


def file_name(snap: Snapshot, data: bytes, repeat: int = 0) -> str:
    """``snapshots/YYYY/MM/metrics_YYYYMMDD_HHMMSS_<host>_<id>.json`` for a snapshot.

    ``repeat`` > 0 names the n-th identical collection made in the same second on the
    same host, which would otherwise get the same name.
    """
    t = snap.when
    ident = content_id(data if not repeat else data + f"#{repeat}".encode())
    return f"snapshots/{t:%Y}/{t:%m}/metrics_{t:%Y%m%d_%H%M%S}_{safe_host(snap.host)}_{ident}.json"
