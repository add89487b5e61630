"""The report in every file format: the same :class:`ReportView`, four renderers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from gitmetrics.render import escape, fmt, markdown
from gitmetrics.views import ReportView, to_data

CSV_COLUMNS = (
    "name",
    "role",
    "status",
    "current",
    "previous",
    "change",
    "best",
    "worst",
    "branch_coverage",
    "files",
    "slope_per_week",
    "trend",
    "error",
)


def to_json(view: ReportView) -> str:
    """The report as JSON (sorted keys, indent 2)."""
    text = json.dumps(to_data(view), indent=2, sort_keys=True, ensure_ascii=False)
    return escape.json_text(text) + "\n"


def to_csv(view: ReportView) -> str:
    """One row per repository; the trend is its values joined by spaces (oldest first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in view.rows:
        values = {
            **{k: getattr(r, k) for k in CSV_COLUMNS if k != "trend"},
            "trend": " ".join("" if v is None else f"{v:g}" for v in r.trend),
        }
        writer.writerow([_csv_cell(values[k]) for k in CSV_COLUMNS])
    return out.getvalue()


def _csv_cell(value: object) -> object:
    """Text with its control characters shown (a CSV is often read in a terminal)."""
    if value is None:
        return ""
    return escape.visible(value) if isinstance(value, str) else value


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}th,td{padding:.3rem .7rem;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}.up{color:#2a7d2a}.down{color:#c0392b}
.bar{display:inline-block;height:.6rem;background:#4c1;vertical-align:middle}
.s-good{color:#2a7d2a}.s-fair{color:#b58900}.s-needs-work{color:#c0392b}.s-error{color:#c0392b}
.spark{font-family:monospace}
""".strip()


def to_html(view: ReportView) -> str:
    """A self-contained HTML page (inline CSS, no scripts, every value escaped)."""
    e = escape.html
    t = view.totals
    counts = ", ".join(f"{n} {k}" for k, n in t.counts.items() if n)
    rows = []
    for r in view.rows:
        d = fmt.direction_class(r.change)
        width = 0 if r.current is None else round(r.current)
        rows.append(
            "<tr>"
            f"<td>{e(r.name)}</td><td>{e(r.role)}</td>"
            f'<td class="n">{e(fmt.pct(r.current))} '
            f'<span class="bar" style="width:{width / 2:.0f}px"></span></td>'
            f'<td class="n">{e(fmt.pct(r.previous))}</td>'
            f'<td class="n {d}">{e(fmt.trend_text(r.change))}</td>'
            f'<td class="n">{e(fmt.pct(r.best))}</td><td class="n">{e(fmt.pct(r.worst))}</td>'
            f'<td class="spark">{e(r.sparkline)}</td>'
            f'<td class="n">{e(fmt.slope(r.slope_per_week))}</td>'
            f'<td class="s-{r.status.replace(" ", "-")}">{e(r.status)}'
            f"{'' if not r.error else ': ' + e(r.error)}</td>"
            "</tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in markdown.REPORT_HEADERS)
    roles = ", ".join(f"{e(r.role)} {e(fmt.pct(r.avg_coverage))}" for r in t.roles)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Coverage report {e(fmt.short_time(view.timestamp))}</title>"
        f"<style>{_CSS}</style></head><body>\n"
        f"<h1>Coverage report</h1>\n<p>Snapshot of {e(fmt.short_time(view.timestamp))} UTC "
        f"from {e(view.host)} (commit <code>{e(view.commit[:10])}</code>), "
        f"{view.collections} collections; trend over the last {view.window}.</p>\n"
        f"<p><strong>Average {e(fmt.pct(t.avg_coverage))}</strong>, lines-weighted "
        f"{e(fmt.pct(t.weighted_coverage))}; {t.repos} repos: {e(counts)}; by role: {roles}</p>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n"
        "</body></html>\n"
    )


RENDERERS: dict[str, Callable[[ReportView], str]] = {
    "json": to_json,
    "markdown": markdown.report,
    "csv": to_csv,
    "html": to_html,
}
