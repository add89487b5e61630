"""Every command's output as plain data, in the one JSON vocabulary of ``docs/json.md``.

The same thing has the same name in every output: a repository's line coverage is always
``line_coverage``, the metrics-repo commit of a collection is always ``collection``, the
time of a collection always ``at``, the path of its snapshot file always ``snapshot_path``.
``--format json`` prints this data; ``csv`` and ``markdown`` tables take their columns from
it. The store's own files (snapshots, ``latest.json``) keep their format: this module is
only what commands print. Each output has a JSON Schema in ``schemas/output/``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitmetrics.errors import GitmetricsError
    from gitmetrics.explain import End, Explained, Flaky, RepoExplained
    from gitmetrics.filesview import FilesView, Point
    from gitmetrics.historyview import HistoryRow
    from gitmetrics.perfile import Figures, FileChange
    from gitmetrics.rules import Breach, CheckResult
    from gitmetrics.snapshot import RepoResult, Snapshot, Summary
    from gitmetrics.store.gate import Audit
    from gitmetrics.store.pack import GcResult
    from gitmetrics.store.sync import SyncResult
    from gitmetrics.trends import Forecast
    from gitmetrics.views import (
        DiffEnd,
        DiffRow,
        DiffView,
        ReportRow,
        ReportView,
        StatusRow,
        StatusView,
        Totals,
        TrendRow,
        TrendsView,
    )

from gitmetrics.percent import rounded

Data = dict[str, Any]


def _two(x: float | None) -> float | None:
    """A figure as JSON writes it: two decimals, never rounded to 0 or 100."""
    return None if x is None else rounded(x, 2)


# --- the parts every output shares -----------------------------------------------------


def totals(t: Totals) -> Data:
    """The summary under a table: averages, counts per rating, averages per role."""
    return {
        "repos": t.repos,
        "avg_line_coverage": t.avg_coverage,
        "weighted_line_coverage": t.weighted_coverage,
        "branch_coverage": t.branch_coverage,
        "files": t.files,
        "ratings": dict(t.counts),
        "roles": [
            {"role": r.role, "avg_line_coverage": _two(r.avg_coverage), "repos": r.repos}
            for r in t.roles
        ],
    }


def summary(s: Summary) -> Data:
    """A collection's summary over the repositories it holds."""
    return {
        "repos": s.repos_count,
        "repos_ok": s.repos_ok,
        "repos_failed": s.repos_failed,
        "avg_line_coverage": s.avg_coverage,
        "weighted_line_coverage": s.weighted_coverage,
        "branch_coverage": s.branch_coverage,
        "lines_covered": s.lines_covered,
        "lines_valid": s.lines_valid,
        "branches_covered": s.branches_covered,
        "branches_valid": s.branches_valid,
        "files": s.total_files_tested,
    }


def measured(r: RepoResult) -> Data:
    """One repository as a collection measured it."""
    return {
        "repo": r.name,
        "role": r.role,
        "status": r.status,
        "error": r.error,
        "line_coverage": r.coverage if r.ok else None,
        "branch_coverage": r.branch_coverage if r.ok else None,
        "lines_covered": r.lines_covered,
        "lines_valid": r.lines_valid,
        "branches_covered": r.branches_covered,
        "branches_valid": r.branches_valid,
        "files": r.files_tested,
        "format": r.format,
        "report": r.report,
        "stale_report": r.stale_report,
        "source_commit": r.source.commit if r.source is not None else None,
        "warnings": list(r.warnings),
    }


def forecast(f: Forecast | None) -> Data | None:
    """Where a series is heading (``trends --forecast``)."""
    if f is None:
        return None
    return {
        "verdict": f.verdict,
        "slope_per_week": f.slope_per_week,
        "r2": f.r2,
        "projected": f.projected,
        "days": f.days,
        "threshold": f.threshold,
        "crossing": f.crossing,
        "crossing_date": None if f.crossing_date is None else f.crossing_date.isoformat(),
        "crossing_text": f.crossing_text,
    }


def error(exc: GitmetricsError) -> Data:
    """A user error under ``--json``: ``{"error": {"message", "hint", "code", "exit_code"}}``."""
    return {
        "error": {
            "message": exc.message,
            "hint": exc.hint,
            "code": exc.code,
            "exit_code": int(exc.exit_code),
        }
    }


# --- views -------------------------------------------------------------------------------


def ages(r: StatusRow | ReportRow | DiffRow | TrendRow | Breach) -> Data:
    """A repository row's ``measured_at``, ``age``, ``carried`` and ``stale`` (a breach of
    the lines-weighted floor names no repository: ``null``, ``null``, ``false``, ``false``)."""
    return {"measured_at": r.measured_at, "age": r.age, "carried": r.carried, "stale": r.stale}


def status_row(r: StatusRow) -> Data:
    """One repository of ``status``."""
    return {
        "repo": r.name,
        "role": r.role,
        "rating": r.status,
        "line_coverage": r.coverage,
        "branch_coverage": r.branch_coverage,
        "lines_covered": r.lines_covered,
        "lines_valid": r.lines_valid,
        "files": r.files,
        "previous_line_coverage": r.previous,
        "change": r.change,
        "error": r.error,
        "stale_report": r.stale_report,
        **ages(r),
    }


def status(v: StatusView) -> Data:
    """``status``: the newest collection, worst first."""
    return {
        "collection": v.commit,
        "at": v.timestamp,
        "snapshot_path": v.snapshot_path,
        "host": v.host,
        "previous_at": v.previous_timestamp,
        "min_coverage": v.min_coverage,
        "rows": [status_row(r) for r in v.rows],
        "totals": totals(v.totals),
    }


def report_row(r: ReportRow, stamps: Sequence[str]) -> Data:
    """One repository of ``report``."""
    return {
        "repo": r.name,
        "role": r.role,
        "rating": r.status,
        "line_coverage": r.current,
        "previous_line_coverage": r.previous,
        "change": r.change,
        "best_line_coverage": r.best,
        "worst_line_coverage": r.worst,
        "branch_coverage": r.branch_coverage,
        "files": r.files,
        "points": [{"at": t, "line_coverage": v} for t, v in zip(stamps, r.trend, strict=True)],
        "sparkline": r.sparkline,
        "slope_per_week": r.slope_per_week,
        "error": r.error,
        **ages(r),
    }


def report(v: ReportView) -> Data:
    """``report``: the newest collection with each repository's history."""
    return {
        "collection": v.commit,
        "at": v.timestamp,
        "snapshot_path": v.snapshot_path,
        "host": v.host,
        "min_coverage": v.min_coverage,
        "collections": v.collections,
        "window": v.window,
        "average_points": [
            {"at": t, "avg_line_coverage": a}
            for t, a in zip(v.trend_timestamps, v.average_trend, strict=True)
        ],
        "rows": [report_row(r, v.trend_timestamps) for r in v.rows],
        "totals": totals(v.totals),
    }


def _side(status: str | None, line: float | None, branch: float | None) -> Data | None:
    if status is None:
        return None
    return {"status": status, "line_coverage": line, "branch_coverage": branch}


def diff_row(r: DiffRow) -> Data:
    """One repository of ``diff``: its two sides (``null``: not in that collection)."""
    return {
        "repo": r.name,
        "role": r.role,
        "kind": r.kind,
        "change": r.change,
        "before": _side(r.status_before, r.before, r.branch_before),
        "after": _side(r.status_after, r.after, r.branch_after),
        **ages(r),
    }


def diff_end(e: DiffEnd) -> Data:
    """One side of ``diff``: the collection, and how it was asked for."""
    return {
        "spec": e.spec,
        "collection": e.commit,
        "at": e.timestamp,
        "snapshot_path": e.snapshot_path,
        "avg_line_coverage": e.avg_coverage,
        "weighted_line_coverage": e.weighted_coverage,
    }


def diff(v: DiffView) -> Data:
    """``diff``: the change per repository between two collections (``files`` with
    ``--files``)."""
    out = {
        "a": diff_end(v.a),
        "b": diff_end(v.b),
        "avg_line_coverage_change": v.avg_change,
        "weighted_line_coverage_change": v.weighted_change,
        "rows": [diff_row(r) for r in v.rows],
        "kinds": dict(v.counts),
    }
    if v.files is not None:
        out["files"] = [
            {"repo": f.repo, "note": f.note, "files": [file_change(c) for c in f.changes]}
            for f in v.files
        ]
    return out


def figures(f: Figures | None) -> Data | None:
    """A file's or a directory's counts and the percentages made from them."""
    if f is None:
        return None
    return {
        "lines_covered": f.lines_covered,
        "lines_valid": f.lines_valid,
        "line_coverage": f.coverage,
        "branches_covered": f.branches_covered,
        "branches_valid": f.branches_valid,
        "branch_coverage": f.branch_coverage,
        "files": f.files,
    }


def file_change(c: FileChange) -> Data:
    """One file between two measurements: its sides and the lines whose state changed."""
    return {
        "path": c.path,
        "kind": c.kind,
        "change": c.change,
        "before": figures(c.before),
        "after": figures(c.after),
        "uncovered": c.uncovered,
        "covered": c.covered,
        "new_missed": c.new_missed,
    }


def _point(p: Point | None) -> Data | None:
    if p is None:
        return None
    return {
        "spec": p.spec,
        "collection": p.collection,
        "at": p.timestamp,
        "source_commit": p.source_commit,
    }


def files(v: FilesView) -> Data:
    """``files``: a repository's files (or directories) at a point, with their change."""
    return {
        "repo": v.repo,
        "at": _point(v.at),
        "against": _point(v.against),
        "unit": v.unit,
        "depth": v.depth,
        "paths": list(v.globs),
        "sort": v.sort,
        "rows": [
            {
                "path": r.path,
                **(figures(r.figures) or {}),
                "missed": r.figures.missed,
                "missing": r.missing,
                "kind": r.kind,
                "change": r.change,
            }
            for r in v.rows
        ],
        "total": figures(v.total),
        "total_before": figures(v.total_before),
        "change": v.change,
        "removed": list(v.removed),
    }


def _end(e: End) -> Data:
    return {
        "spec": e.spec,
        "collection": e.collection,
        "at": e.timestamp,
        "avg_line_coverage": e.avg_coverage,
    }


def explained_repo(r: RepoExplained) -> Data:
    """One repository of ``explain``: its change, source range, commits and files."""
    return {
        "repo": r.repo,
        "role": r.role,
        "before": {"line_coverage": r.before, "source_commit": r.old_commit},
        "after": {"line_coverage": r.after, "source_commit": r.new_commit},
        "change": r.change,
        "source": {
            "commits_in_range": r.range_commits,
            "truncated": r.truncated,
            "note": r.source_note,
            "dirty": r.dirty,
            "commits": [
                {
                    "commit": c.commit,
                    "author": c.author,
                    "date": c.date,
                    "subject": c.subject,
                    "files": list(c.files),
                    "url": c.url,
                }
                for c in r.commits
            ],
        },
        "files_note": r.files_note,
        "files": [file_change(c) for c in r.files],
    }


def explain(v: Explained) -> Data:
    """``explain``: why coverage moved between two collections, per repository."""
    return {
        "a": _end(v.a),
        "b": _end(v.b),
        "repo": v.repo,
        "last_drop": v.last_drop,
        "avg_line_coverage_change": v.avg_change,
        "repos": [explained_repo(r) for r in v.repos],
    }


def explain_rows(d: Data) -> list[Data]:
    """``explain`` as table rows: one per file that moved, with its repository."""
    return [
        {"repo": r["repo"], "repo_change": r["change"], **f} for r in d["repos"] for f in r["files"]
    ]


def flaky(v: Flaky) -> Data:
    """``flaky``: files whose lines flipped between measurements of one source commit."""
    return {
        "repo": v.repo,
        "collections": v.collections,
        "newest": v.newest,
        "oldest": v.oldest,
        "compared": v.compared,
        "untouched": v.untouched,
        "flips": [
            {
                "repo": f.repo,
                "path": f.path,
                "lines": f.lines,
                "flips": f.flips,
                "source_commits": list(f.source_commits),
                "collections": list(f.collections),
            }
            for f in v.flips
        ],
    }


def trend_row(r: TrendRow, *, average: bool = False) -> Data:
    """One series of ``trends``: a repository's, or (``average``) the plain mean's."""
    figure = "avg_line_coverage" if average else "line_coverage"
    return {
        "repo": None if average else r.name,
        "role": None if average else r.role,
        "points": [{"at": t, figure: v} for t, v in zip(r.timestamps, r.values, strict=True)],
        "sparkline": r.sparkline,
        figure: r.current,
        "change": r.change,
        "slope_per_week": r.slope_per_week,
        "forecast": forecast(r.forecast),
        **({} if average else ages(r)),
    }


def component_trend(r: TrendRow) -> Data:
    """One component's series in ``trends``."""
    return {
        "component": r.name,
        "points": [
            {"at": t, "line_coverage": v} for t, v in zip(r.timestamps, r.values, strict=True)
        ],
        "sparkline": r.sparkline,
        "line_coverage": r.current,
        "change": r.change,
        "slope_per_week": r.slope_per_week,
        "forecast": forecast(r.forecast),
    }


def trends(v: TrendsView) -> Data:
    """``trends``: each repository's line coverage over the window."""
    return {
        "from": v.start,
        "to": v.end,
        "days": v.days,
        "collections": v.collections,
        "min_coverage": v.min_coverage,
        "forecast_days": v.forecast_days,
        "average": trend_row(v.average, average=True),
        "rows": [trend_row(r) for r in v.rows],
        "components": [component_trend(r) for r in v.components],
    }


def history_row(
    r: HistoryRow, *, repo: str | None = None, role: str | None = None, component: str | None = None
) -> Data:
    """One collection of ``history``: the whole store's, a role's, one repository's or one
    component's."""
    base: Data = {
        "collection": r.commit,
        "at": r.timestamp,
        "snapshot_path": r.snapshot,
        "host": r.host,
    }
    if component is not None:
        return {
            **base,
            "component": component,
            "status": r.status,
            "line_coverage": r.avg_coverage,
            "branch_coverage": r.branch_coverage,
            "repos": r.repos,
            "files": r.files,
            "change": r.change,
        }
    if repo is not None:
        return {
            **base,
            "repo": repo,
            "status": r.status,
            "line_coverage": r.avg_coverage,
            "branch_coverage": r.branch_coverage,
            "files": r.files,
            "change": r.change,
        }
    return {
        **base,
        **({"role": role} if role is not None else {}),
        "avg_line_coverage": r.avg_coverage,
        "weighted_line_coverage": r.weighted_coverage,
        "branch_coverage": r.branch_coverage,
        "repos": r.repos,
        "repos_failed": r.failed,
        "repos_measured": r.measured,
        "repos_carried": r.carried,
        "repos_stale": r.stale,
        "files": r.files,
        "change": r.change,
    }


# --- gates -------------------------------------------------------------------------------


def breach(b: Breach) -> Data:
    """One broken rule; ``value`` and ``limit`` are in the rule's unit (docs/json.md)."""
    before = None
    if b.from_snapshot is not None or b.from_timestamp is not None:
        before = {
            "collection": b.from_snapshot,
            "at": b.from_timestamp,
            "source_commit": b.from_commit,
        }
    return {
        "repo": b.repo,
        "role": b.role,
        "rule": b.rule,
        "value": b.value,
        "limit": b.limit,
        "message": b.message,
        "from": before,
        "to": {"collection": b.to_snapshot, "at": b.to_timestamp, "source_commit": b.to_commit},
        **ages(b),
        **({"component": b.component} if b.component is not None else {}),
        "explained": list(b.explained),
    }


def check(r: CheckResult) -> Data:
    """``check``: the rules on the newest collection."""
    return {
        "ok": r.ok,
        "collection": r.snapshot,
        "at": r.timestamp,
        "checked": list(r.checked),
        "unmeasured": list(r.unmeasured),
        "breaches": [breach(b) for b in r.breaches],
    }


def issues(found: Any) -> list[Any]:
    """``issues`` (an ``api.Issues``): the coordination file's entries as written there."""
    from gitmetrics.coordination import plain

    return list(plain(list(found.shown)))


# --- collect and the store ---------------------------------------------------------------


def _issue_actions(issues: Mapping[str, Any] | None) -> Data | None:
    if not issues:
        return None
    return {
        "file": issues["file"],
        "written": issues["written"],
        "actions": [
            {
                "id": a["id"],
                "repo": a["repo"],
                "action": a["action"],
                "line_coverage": _two(a["coverage"]),
                "target": a["target"],
            }
            for a in issues["actions"]
        ],
    }


def collect(done: Any, *, document: bool = True) -> Data:
    """``collect`` (an ``api.Collected``): what was measured and committed, and with
    ``document`` the snapshot as stored (its own format: ``gitmetrics schema snapshot``)."""
    from gitmetrics import snapshot as snapmod

    snap: Snapshot = done.snapshot
    result: Mapping[str, Any] = done.result
    out: Data = {
        "collection": result.get("commit"),
        "at": snap.timestamp,
        "snapshot_path": result.get("snapshot_path"),
        "host": snap.host,
        "dry_run": bool(result.get("dry_run")),
        # a backfill (--at) older than the newest collection: the merge that placed it
        "merge": result.get("merge"),
        "pruned": list(result.get("pruned") or []),
        "summary": summary(snap.summary),
        "rows": [measured(r) for r in snap.repositories],
        "issues": _issue_actions(result.get("issues")),
        "below": list(done.below),
    }
    if document:
        out["snapshot"] = snapmod.to_dict(snap)
        state: Snapshot | None = done.state
        out["state"] = None if state is None else snapmod.to_dict(state)
    return out


def sync(r: SyncResult) -> Data:
    """``push``, ``pull``, ``sync``: what moved between the store and the remote."""
    return {
        "action": r.action,
        "remote": r.remote,
        "head": r.head,
        "remote_head": r.remote_head,
        "commits_sent": r.commits_sent,
        "commits_received": r.commits_received,
        "collections_sent": r.snapshots_sent,
        "collections_received": r.snapshots_received,
        "merged": r.merged,
        "fast_forward": r.fast_forward,
        "attempts": r.attempts,
        "up_to_date": r.up_to_date,
    }


def init(done: Any) -> Data:
    """``init`` (an ``api.Initialized``): the store, and what ``--remote`` pulled into it."""
    return {"store": str(done.path), "pulled": None if done.pulled is None else sync(done.pulled)}


def clone(done: Any) -> Data:
    """``clone`` (an ``api.Cloned``): the new store and what was fetched."""
    return {"store": str(done.store), **sync(done.result)}


def gc(done: GcResult) -> Data:
    """``gc``: what packing did."""
    return dataclasses.asdict(done)


def verify(found: Any) -> Data:
    """``verify`` (an ``api.Verified``): every problem found (``commit``: any commit)."""
    audit: Audit = found.audit
    return {
        "store": found.store,
        "ok": found.ok,
        "commits": audit.commits,
        "collections": audit.collections,
        "problems": [
            {"commit": p.commit, "path": p.path, "message": p.message, "hint": p.hint}
            for p in audit.problems
        ],
    }


def dashboard(done: Any) -> Data:
    """``dashboard`` (an ``api.Dashboard``): the page written."""
    return {
        "output": str(done.output),
        "collections": done.snapshots,
        "collection": done.rev,
        "revision": done.at,
        "bytes": done.bytes,
    }


def imported(done: Any) -> Data:
    """``import`` (an ``api.Imported``): the collections added (or that would be), oldest first."""
    new: Sequence[Snapshot] = done.imported
    commits: Sequence[str] = done.commits
    ids: list[str | None] = list(commits) if len(commits) == len(new) else [None] * len(new)
    return {
        "dry_run": done.dry_run,
        "imported": [
            {"collection": c, "at": s.timestamp, "host": s.host, "repos": len(s.repositories)}
            for s, c in zip(new, ids, strict=True)
        ],
        "already": done.already,
        "skipped": list(done.skipped),
    }


def watch_round(number: int, at: str, done: Any, failure: GitmetricsError | None) -> Data:
    """One round of ``watch`` (an ``api.Round``, ``None`` when it failed before collecting):
    what was collected, the check, the alerts, the error that ended it."""
    deliveries: Sequence[Any] = () if done is None else done.deliveries
    checked: CheckResult | None = None if done is None else done.check
    collected = None
    if done is not None and not done.collected.nothing:
        collected = collect(done.collected, document=False)
    return {
        "round": number,
        "at": at,
        "collect": collected,
        "check": None if checked is None else check(checked),
        "deliveries": [
            {
                "channel": d.channel,
                "ok": d.ok,
                "new": d.new,
                "recovered": d.recovered,
                "error": d.error,
            }
            for d in deliveries
        ],
        "error": None if failure is None else error(failure)["error"],
    }
