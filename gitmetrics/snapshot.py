"""The snapshot: one collection of coverage figures, its JSON form and its validation."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitmetrics import __version__, percent, schema
from gitmetrics.errors import SnapshotError

SCHEMA_VERSION = 1


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

    @property
    def when(self) -> datetime:
        """The timestamp as an aware UTC datetime."""
        return parse_timestamp(self.timestamp)

    def repo(self, name: str) -> RepoResult | None:
        """The result of one repository, or ``None`` when it is not in this snapshot."""
        return next((r for r in self.repositories if r.name == name), None)


def rounded(value: float | None, digits: int = 2) -> float | None:
    """Percentages are stored with 2 decimals; the counts beside them are exact."""
    return None if value is None else round(value, digits)


def pct(covered: int | None, total: int | None) -> float | None:
    """``covered / total`` in percent with 2 decimals (never 100 or 0 unless exactly so)."""
    found = percent.exact(covered, total)
    return None if found is None else percent.rounded(found, 2)


def summarize(results: Iterable[RepoResult]) -> Summary:
    """The summary of a set of results: plain mean and lines-weighted coverage."""
    results = list(results)
    measured = [r for r in results if r.ok and r.coverage is not None]
    lines_c = sum(r.lines_covered or 0 for r in measured)
    lines_v = sum(r.lines_valid or 0 for r in measured)
    with_branches = [r for r in measured if r.branches_valid is not None]
    br_c = sum(r.branches_covered or 0 for r in with_branches) if with_branches else None
    br_v = sum(r.branches_valid or 0 for r in with_branches) if with_branches else None
    mean = percent.mean(percent.value(r.coverage or 0.0) for r in measured)
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
    )


def now_timestamp() -> str:
    """The current UTC time, ISO 8601 with a ``Z`` and whole seconds."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 UTC timestamp as written in snapshots."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def build(results: Iterable[RepoResult], host: str, timestamp: str | None = None) -> Snapshot:
    """A snapshot of ``results``, sorted by repository name."""
    ordered = tuple(sorted(results, key=lambda r: r.name))
    return Snapshot(
        timestamp=timestamp or now_timestamp(),
        host=host,
        repositories=ordered,
        summary=summarize(ordered),
    )


# --- JSON -----------------------------------------------------------------------


def to_dict(snap: Snapshot) -> dict[str, Any]:
    """The snapshot as plain data, in the shape of snapshot.schema.json."""
    return {
        "schema_version": snap.schema_version,
        "timestamp": snap.timestamp,
        "host": snap.host,
        "tool": {"name": "gitmetrics", "version": snap.tool_version},
        "summary": _summary_dict(snap.summary),
        "repositories": [_repo_dict(r) for r in snap.repositories],
    }


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


def validate(data: Any, origin: str = "snapshot") -> None:
    """Check plain data against the schema; ``SnapshotError`` names the field."""
    if isinstance(data, dict):
        version = data.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise SnapshotError(
                f"{origin}: schema_version {version} is newer than this gitmetrics "
                f"understands ({SCHEMA_VERSION})",
                "upgrade gitmetrics: pip install -U gitmetrics",
            )
    problems = schema.errors(schema.SNAPSHOT, data)
    if problems:
        parts, message = problems[0]
        raise SnapshotError(f"{origin}: {schema.json_path(parts)}: {message}")


def from_json(data: bytes | str, origin: str = "snapshot") -> Snapshot:
    """Parse and validate a snapshot; refuses a newer schema_version."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{origin}: not valid JSON: {exc}") from None
    validate(raw, origin)
    return from_dict(raw)


def read_stored(data: bytes | str, origin: str = "snapshot") -> Snapshot:
    """A snapshot the store wrote itself: parsed, not validated against the schema again.

    The store validated it before committing it (or the trust gate did, before admitting
    it), so only what is cheap is checked: a newer ``schema_version`` is refused, and data
    that does not fit the model raises :class:`SnapshotError` instead of crashing a reader.
    ``gitmetrics verify`` is the full check.
    """
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{origin}: not valid JSON: {exc}") from None
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        validate(raw, origin)  # the message that says to upgrade
    try:
        return from_dict(raw)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        what = f"missing {exc.args[0]!r}" if isinstance(exc, KeyError) else "malformed"
        raise SnapshotError(
            f"{origin}: not a snapshot gitmetrics can read ({what})",
            "run `gitmetrics verify` to check the whole store",
        ) from None


def from_dict(raw: Mapping[str, Any]) -> Snapshot:
    """Plain data back into a :class:`Snapshot` (validated by the caller, or trusted)."""
    s = raw["summary"]
    return Snapshot(
        timestamp=raw["timestamp"],
        host=raw["host"],
        tool_version=raw["tool"]["version"],
        schema_version=raw["schema_version"],
        summary=Summary(**{k: s[k] for k in Summary.__dataclass_fields__}),
        repositories=tuple(_repo_from(r) for r in raw["repositories"]),
    )


def _summary_dict(s: Summary) -> dict[str, Any]:
    return {k: getattr(s, k) for k in Summary.__dataclass_fields__}


def _repo_dict(r: RepoResult) -> dict[str, Any]:
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
    return out


def _repo_from(d: Mapping[str, Any]) -> RepoResult:
    src = d.get("source")
    return RepoResult(
        name=d["name"],
        role=d["role"],
        status=d["status"],
        error=d.get("error"),
        coverage=d.get("coverage"),
        files_tested=d.get("files_tested", 0),
        lines_covered=d.get("lines_covered"),
        lines_valid=d.get("lines_valid"),
        branch_coverage=d.get("branch_coverage"),
        branches_covered=d.get("branches_covered"),
        branches_valid=d.get("branches_valid"),
        format=d.get("format"),
        report=d.get("report"),
        reports=tuple(ReportRef(**ref) for ref in d.get("reports", ())),
        source=None if src is None else Source(src["commit"], src["branch"], src["dirty"]),
        log=d.get("log"),
        duration_ms=d.get("duration_ms"),
        warnings=tuple(d.get("warnings", ())),
        stale_report=bool(d.get("stale_report", False)),
    )


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
