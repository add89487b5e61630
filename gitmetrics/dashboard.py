"""Shape a coverage history into the compact data the HTML dashboard draws (pure functions).

The page gets columns, not snapshots: one array of times, one array of average coverage,
and per repository one array of coverage in hundredths of a percent (``null`` where the
repository was absent or failed). Source commits change rarely, so they are stored as runs
``[first_index, commit]``. Everything about the newest snapshot of the window (cards,
table, errors) is given ready to show, with text formatted by :mod:`gitmetrics.render.fmt`
so the page reads exactly like the terminal views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gitmetrics.render import fmt
from gitmetrics.snapshot import RepoResult, Snapshot
from gitmetrics.trends import change

#: Version of the embedded data; the page refuses what it does not know.
DATA_VERSION = 1
#: Below this (and below min_coverage) a repository "needs work".
FAIR_COVERAGE = 60.0


@dataclass(frozen=True)
class Point:
    """One collection of the history: its snapshot and, when known, its metrics commit."""

    snapshot: Snapshot
    commit: str | None = None


def window(points: Sequence[Point], days: int | None) -> list[Point]:
    """The points (oldest first) within ``days`` of the newest one; all when ``days`` is None."""
    ordered = sorted(points, key=lambda p: p.snapshot.when)
    if days is None or not ordered:
        return ordered
    start = ordered[-1].snapshot.when - timedelta(days=days)
    return [p for p in ordered if p.snapshot.when >= start]


def status_of(coverage: float | None, min_coverage: float) -> str:
    """``good`` (>= min_coverage), ``fair`` (>= 60), ``poor`` (needs work) or ``none``."""
    if coverage is None:
        return "none"
    if coverage >= min_coverage:
        return "good"
    if coverage >= FAIR_COVERAGE:
        return "fair"
    return "poor"


def _hundredths(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _measured(r: RepoResult | None) -> float | None:
    return r.coverage if r is not None and r.ok else None


def build(
    points: Sequence[Point],
    *,
    min_coverage: float = 80.0,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
) -> dict[str, Any]:
    """The dashboard data of a history (any order): columns for charts, rows for the table."""
    shown = window(points, days)
    if not shown:
        raise ValueError("a dashboard needs at least one snapshot")
    snaps = [p.snapshot for p in shown]
    last = snaps[-1]
    prev = snaps[-2] if len(snaps) > 1 else None
    first = snaps[0]

    names = sorted({r.name for s in snaps for r in s.repositories})
    index = {n: i for i, n in enumerate(names)}
    roles: dict[str, str] = {}
    cov: list[list[int | None]] = [[None] * len(snaps) for _ in names]
    src: list[list[list[Any]]] = [[] for _ in names]
    for j, s in enumerate(snaps):
        for r in s.repositories:
            i = index[r.name]
            roles[r.name] = r.role  # the newest role wins
            cov[i][j] = _hundredths(_measured(r))
            commit = r.source.commit if r.source is not None else None
            runs = src[i]
            if commit is not None and (not runs or runs[-1][1] != commit):
                runs.append([j, commit])

    summary = last.summary
    avg_prev = prev.summary.avg_coverage if prev is not None else None
    d_prev = change(summary.avg_coverage, avg_prev)
    d_window = change(summary.avg_coverage, first.summary.avg_coverage) if prev else None
    cards = [
        _card("Average coverage", fmt.pct(summary.avg_coverage), "mean over repositories"),
        _card(
            "Lines-weighted",
            fmt.pct(summary.weighted_coverage),
            f"{summary.lines_covered:,} of {summary.lines_valid:,} lines",
        ),
        _card(
            "Repositories",
            str(summary.repos_count),
            f"{summary.repos_ok} measured, {summary.repos_failed} failed",
        ),
        _card("Files", f"{summary.total_files_tested:,}", "tested files"),
        _card(
            "Since previous",
            fmt.trend_text(d_prev),
            "no earlier snapshot" if prev is None else f"vs {fmt.short_time(prev.timestamp)}",
            trend=d_prev,
        ),
        _card(
            "Over the window",
            fmt.trend_text(d_window),
            f"{len(snaps)} snapshots since {fmt.short_time(first.timestamp)}",
            trend=d_window,
        ),
    ]

    rows = []
    for r in last.repositories:
        before = _measured(prev.repo(r.name)) if prev is not None else None
        delta = change(_measured(r), before)
        rows.append(
            {
                "name": r.name,
                "role": r.role,
                "status": r.status,
                "coverage": _measured(r),
                "coverage_text": fmt.pct(_measured(r)) if r.ok else "error",
                "branch": r.branch_coverage if r.ok else None,
                "branch_text": fmt.pct(r.branch_coverage) if r.ok else "-",
                "files": r.files_tested if r.ok else None,
                "change": delta,
                "change_text": fmt.trend_text(delta),
                "level": status_of(_measured(r), min_coverage) if r.ok else "error",
                "commit": (r.source.commit or "") if r.source is not None else "",
                "error": r.error if not r.ok else None,
            }
        )

    by_role: dict[str, list[float]] = {}
    for r in last.repositories:
        value = _measured(r)
        if value is not None:
            by_role.setdefault(r.role, []).append(value)
    role_avgs = [
        {
            "role": role,
            "count": len(values),
            "avg": round(sum(values) / len(values), 2),
            "avg_text": fmt.pct(round(sum(values) / len(values), 2)),
            "level": status_of(round(sum(values) / len(values), 2), min_coverage),
        }
        for role, values in sorted(by_role.items())
    ]

    return {
        "version": DATA_VERSION,
        "generated": generated,
        "at": at,
        "min_coverage": min_coverage,
        "fair_coverage": FAIR_COVERAGE,
        "days": days,
        "last": {"timestamp": last.timestamp, "host": last.host, "commit": shown[-1].commit},
        "cards": cards,
        "series": {
            "t": [int(s.when.timestamp()) for s in snaps],
            "commit": [p.commit[:10] if p.commit else None for p in shown],
            "avg": [_hundredths(s.summary.avg_coverage) for s in snaps],
            "names": names,
            "roles": [roles[n] for n in names],
            "cov": cov,
            "src": [[[j, c[:10]] for j, c in runs] for runs in src],
        },
        "rows": rows,
        "roles": role_avgs,
        "errors": [{"name": r["name"], "error": r["error"]} for r in rows if r["error"]],
    }


def _card(title: str, value: str, note: str, trend: float | None = None) -> dict[str, Any]:
    from gitmetrics.trends import direction

    return {"title": title, "value": value, "note": note, "trend": direction(trend)}
