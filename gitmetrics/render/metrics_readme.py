"""The metrics repository's README.md and badges, regenerated on every commit.

The README shows, on any git host, the newest table, a mermaid ``xychart-beta`` of the
average over the last collections, each repository's badge, and links to the JSON files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from gitmetrics import snapshot as snapmod
from gitmetrics import trends
from gitmetrics.config import Config
from gitmetrics.errors import GitmetricsError
from gitmetrics.render import badge, escape, fmt, markdown
from gitmetrics.snapshot import Snapshot
from gitmetrics.views import coverage_by_name, status_rows, totals

if TYPE_CHECKING:
    from gitmetrics.store import DeriveContext, HistoryEntry

README = "README.md"
BADGE_DIR = "badges"
AVERAGE_BADGE = f"{BADGE_DIR}/average.svg"
#: How many collections the chart shows, and how many snapshot files are linked.
CHART_POINTS = 30
LINKED_SNAPSHOTS = 5


def badge_path(name: str) -> str:
    """``badges/<repo>.svg`` (the repository name as written in the snapshot)."""
    return f"{BADGE_DIR}/{name}.svg"


#: The git host draws mermaid in its own light or dark theme, and mermaid's default line
#: is nearly white on a light page: explicit colours of mid lightness that keep a WCAG
#: contrast of 4:1 or more on white and on a dark page (#0d1117), with no background of
#: the chart's own.
LINE_COLOR = "#0b7bd3"
TEXT_COLOR = "#808080"
CHART_THEME = (
    '%%{init: {"theme": "base", "themeVariables": {"xyChart": {'
    '"backgroundColor": "transparent", '
    f'"plotColorPalette": "{LINE_COLOR}", '
    + ", ".join(
        f'"{k}": "{TEXT_COLOR}"'
        for k in (
            "titleColor",
            "xAxisLabelColor",
            "xAxisTitleColor",
            "xAxisTickColor",
            "xAxisLineColor",
            "yAxisLabelColor",
            "yAxisTitleColor",
            "yAxisTickColor",
            "yAxisLineColor",
        )
    )
    + "}}}}%%"
)
#: x-axis labels shown at most; the others are blanked so they do not overprint
MAX_LABELS = 12
#: what a blanked label is made of (U+200B ZERO WIDTH SPACE, which no trim removes)
BLANK = "\u200b"


def thin_labels(labels: Sequence[str], most: int = MAX_LABELS) -> list[str]:
    """``labels`` with at most ``most`` kept, evenly spaced, first and last included.

    A blanked label is a run of zero-width spaces of its own length: the x axis is a band
    scale in which equal labels would be one band, so each stays distinct while showing
    nothing. Not plain spaces: mermaid trims labels, and blanks of spaces all became the
    one empty label, every blanked point drawn at the same x (a zigzag line).
    """
    n = len(labels)
    if n <= most:
        return list(labels)
    keep = {round(i * (n - 1) / (most - 1)) for i in range(most)}
    return [label if i in keep else BLANK * (i + 1) for i, label in enumerate(labels)]


def chart(points: Sequence[tuple[str, float]], title: str = "Average coverage (%)") -> str:
    """A mermaid ``xychart-beta`` line chart of ``(timestamp, value)`` points, oldest first."""
    days = [t[5:10] for t, _ in points]
    labels = days if len(set(days)) == len(days) else [fmt.short_time(t)[5:] for t, _ in points]
    values = [v for _, v in points]
    lo = max(0, math.floor(min(values) / 10) * 10 - 10) if values else 0
    hi = min(100, math.ceil(max(values) / 10) * 10 + 10) if values else 100
    if hi <= lo:
        lo, hi = 0, 100
    labels = thin_labels(labels)
    xs = ", ".join(f'"{label}"' for label in labels)
    ys = ", ".join(f"{v:g}" for v in values)
    return (
        "```mermaid\n"
        f"{CHART_THEME}\n"
        "xychart-beta\n"
        f'    title "{title}"\n'
        f"    x-axis [{xs}]\n"
        f'    y-axis "Coverage (%)" {lo} --> {hi}\n'
        f"    line [{ys}]\n"
        "```\n"
    )


def _previous_snapshot(ctx: DeriveContext) -> Snapshot | None:
    for entry in ctx.previous[:1]:
        data = ctx.read(entry.snapshot_path)
        if data is not None:
            try:
                return snapmod.read_stored(data, entry.snapshot_path)
            except GitmetricsError:
                return None
    return None


def commit_cells(snap: Snapshot, cfg: Config | None) -> dict[str, str] | None:
    """The ``Commit`` cell of each repository measured at a known source commit, linked
    through its ``commit_url:`` when it has one; ``None`` when no repository has a commit."""
    cells: dict[str, str] = {}
    for r in snap.repositories:
        if r.source is None or r.source.commit is None:
            continue
        shown = escape.markdown_code(r.source.commit[:10])
        link = cfg.commit_link(r.name, r.source.commit) if cfg is not None else None
        cells[r.name] = shown if link is None else f"[{shown}]({link})"
    return cells or None


def readme(
    snap: Snapshot,
    snapshot_path: str,
    previous: Sequence[HistoryEntry],
    prev_snap: Snapshot | None,
    min_coverage: float,
    present: set[str],
    *,
    cfg: Config | None = None,
    branch: str = "main",
) -> str:
    """The README text for ``snap`` as the newest collection (``cfg``: its links)."""
    earlier = None if prev_snap is None else coverage_by_name(prev_snap)
    rows = status_rows(snap.repositories, earlier, min_coverage, snap.timestamp)
    t = totals(snap.repositories, [r.status for r in rows])
    s = snap.summary
    older = [(e.timestamp, e.avg_coverage) for e in reversed(previous[: CHART_POINTS - 1])]
    series = [(ts, v) for ts, v in [*older, (snap.timestamp, s.avg_coverage)] if v is not None]
    prev_avg = next((e.avg_coverage for e in previous[:1]), None)
    out = [
        "# Coverage metrics\n",
        f"![average coverage]({AVERAGE_BADGE})\n",
        f"Newest collection: {fmt.short_time(snap.timestamp)} UTC on {escape.markdown_code(snap.host)}"
        f" ({s.repos_count} repositories, {s.repos_failed} failed). Average "
        f"**{fmt.pct(s.avg_coverage)}** ({fmt.trend_text(trends.change(s.avg_coverage, prev_avg))}"
        f" since the previous collection), lines-weighted {fmt.pct(s.weighted_coverage)}. "
        f"Good means {min_coverage:g}% or more.\n",
        "This file, `latest.json` and `badges/` are regenerated by gitmetrics on every "
        "collection; do not edit them by hand.\n",
        "## Latest\n",
        markdown.status_table(rows, badges=True, commits=commit_cells(snap, cfg)),
        markdown.totals_line(t),
    ]
    if series:
        out += [f"## Trend of the average (last {len(series)} collections)\n", chart(series)]
    out += dashboard_section(cfg, present)
    out += [
        "## Files\n",
        "- [`latest.json`](latest.json): the whole state (every repository's latest measurement)",
    ]
    newest = [snapshot_path, *(e.snapshot_path for e in previous)]
    linked = [p for p in newest if p in present][:LINKED_SNAPSHOTS]
    out += [f"- [`{p.rsplit('/', 1)[-1]}`]({quote(p)})" for p in linked]
    out += [
        "- `snapshots/YYYY/MM/`: one file per collection; older ones are in the git history",
        "",
        "## Badges\n",
    ]
    embed = cfg is not None and cfg.raw_link(AVERAGE_BADGE, branch) is not None
    if cfg is not None and embed:
        out += [
            "Each repository can show its own badge in its README: paste the snippet of its "
            "row (the image is the badge's file here as the git host serves it raw; it links "
            "to this page).\n",
            "| Badge | File | Embed |",
            "| --- | --- | --- |",
        ]
    else:
        out += [
            "To embed these badges elsewhere, set `web_url:` in repos.yaml to this "
            "repository's address on your git host (for instance "
            "`https://github.com/OWNER/METRICS`): this section then shows the snippet to "
            "paste for each badge.\n",
            "| Badge | File |",
            "| --- | --- |",
        ]
    named = sorted(r.name for r in rows if markdown.has_badge(r.name))
    for label, path in [("average", AVERAGE_BADGE), *((n, badge_path(n)) for n in named)]:
        link = quote(path)
        row = f"| ![{escape.markdown(label)}]({link}) | [{escape.markdown_code(path)}]({link}) |"
        if cfg is not None and embed:
            row += f" {escape.markdown_code(embed_snippet(cfg, path, branch))} |"
        out.append(row)
    return "\n".join(out) + "\n"


def embed_snippet(cfg: Config, path: str, branch: str = "main") -> str:
    """The markdown that shows the badge ``path`` elsewhere, linking to the metrics repo."""
    image = f"![coverage]({cfg.raw_link(path, branch)})"
    return f"[{image}]({cfg.web_url})" if cfg.web_url else image


def dashboard_section(cfg: Config | None, present: set[str]) -> list[str]:
    """A link to the dashboard page when the store writes one (``dashboard: true``)."""
    from gitmetrics.render.dashboard import DERIVED_PATH, enabled

    if cfg is None or not enabled(cfg):
        return []
    out = ["## Dashboard\n"]
    if cfg.dashboard_url is not None:
        out.append(
            f"The whole history, drawn: [the dashboard]({cfg.dashboard_url}) "
            f"(the page [`{DERIVED_PATH}`]({DERIVED_PATH}) of this repository, published).\n"
        )
    else:
        out.append(
            f"The whole history, drawn: [`{DERIVED_PATH}`]({DERIVED_PATH}), one page that "
            "works offline. A git host shows its source: open it from a clone, or publish "
            "it with the host's pages feature and set `dashboard_url:` in repos.yaml to "
            "link the published page here.\n"
        )
    return out


def contribute(cfg: Config, ctx: DeriveContext) -> Mapping[str, bytes | None]:
    """README.md and badges for the newest snapshot; badges of vanished repos removed."""
    snap = ctx.snapshot
    snapshot_path = ctx.snapshot_path or snapmod.file_name(snap, snapmod.to_json(snap))
    prev_snap = _previous_snapshot(ctx)
    earlier = None if prev_snap is None else coverage_by_name(prev_snap)
    rows = status_rows(snap.repositories, earlier, cfg.min_coverage, snap.timestamp)
    out: dict[str, bytes | None] = {}
    for r in rows:
        if markdown.has_badge(r.name):
            out[badge_path(r.name)] = badge.coverage_badge(r.coverage, r.status).encode()
    avg = snap.summary.avg_coverage
    out[AVERAGE_BADGE] = badge.coverage_badge(
        avg, trends.status(avg, cfg.min_coverage), label="average coverage"
    ).encode()
    for path in ctx.paths:
        if path.startswith(BADGE_DIR + "/") and path not in out:
            out[path] = None
    present = set(ctx.paths) | {snapshot_path}
    text = readme(
        snap,
        snapshot_path,
        ctx.previous,
        prev_snap,
        cfg.min_coverage,
        present,
        cfg=cfg,
        branch=ctx.branch,
    )
    out[README] = text.encode()
    return out
