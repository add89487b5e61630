"""The report as a self-contained HTML page (its json, markdown and csv: the registry)."""

from __future__ import annotations

from gitmetrics.render import escape, fmt, markdown
from gitmetrics.views import ReportView

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
            f'<td class="n">{e(fmt.age(r.age))}</td>'
            f'<td class="s-{r.status.replace(" ", "-")}">{e(r.status)}'
            f"{e(markdown.age_mark(r))}{'' if not r.error else ': ' + e(r.error)}</td>"
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
