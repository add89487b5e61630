"""Markdown that pastes well into an issue, a pull request or a README (GitHub flavour)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gitmetrics.render import fmt
from gitmetrics.render.escape import markdown as escape
from gitmetrics.render.escape import markdown_code
from gitmetrics.views import DiffRow, DiffView, RepoFiles, ReportRow, ReportView, StatusRow, Totals

if TYPE_CHECKING:  # annotations only: rules (and its config and formats) load when checking
    from gitmetrics.explain import Explained
    from gitmetrics.perfile import Figures
    from gitmetrics.rules import Breach, CheckResult

#: The columns of the per-repository report table, in every format that has headings.
REPORT_HEADERS = (
    "Repository",
    "Role",
    "Coverage",
    "Previous",
    "Change",
    "Best",
    "Worst",
    "Trend",
    "Slope",
    "Age",
    "Status",
)

#: status -> a marker that reads without color
STATUS_ICON = {
    "good": "🟢",
    "fair": "🟡",
    "needs work": "🔴",
    "error": "⚠️",
    "no data": "⚪",
}


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """A pipe table; columns listed in ``right`` are right-aligned."""
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(cells) + " |" for cells in rows),
    ]
    return "\n".join(lines) + "\n"


def status_cell(status: str) -> str:
    """``🟢 good``."""
    return f"{STATUS_ICON.get(status, '')} {status}".strip()


def totals_line(t: Totals) -> str:
    """``**Average 71.4%** · lines-weighted 68.0% · 2 good, ...``."""
    counts = ", ".join(f"{n} {k}" for k, n in t.counts.items() if n)
    roles = ", ".join(f"{escape(r.role)} {fmt.pct(r.avg_coverage)}" for r in t.roles)
    parts = [
        f"**Average {fmt.pct(t.avg_coverage)}**",
        f"lines-weighted {fmt.pct(t.weighted_coverage)}",
        f"{t.repos} repos: {counts or 'none'}",
    ]
    if roles:
        parts.append(f"by role: {roles}")
    return " · ".join(parts) + "\n"


def age_mark(r: StatusRow | ReportRow | DiffRow | Breach) -> str:
    """`` (carried)``, `` (carried, stale)``, or nothing for a repository measured fresh."""
    note = fmt.age_note(r.carried, r.stale)
    return f" ({note})" if note else ""


def status_table(
    rows: Sequence[StatusRow], badges: bool = False, commits: Mapping[str, str] | None = None
) -> str:
    """The newest snapshot as a table (optionally with each repository's badge, and a
    ``Commit`` column of ready cells by repository name: the measured source commit)."""
    headers = ["Repository", "Role", "Coverage", "Branches", "Files", "Change", "Age", "Status"]
    out = []
    for r in rows:
        cells = [
            escape(r.name),
            escape(r.role),
            fmt.pct(r.coverage),
            fmt.pct(r.branch_coverage),
            fmt.count(r.files),
            fmt.trend_text(r.change),
            fmt.age(r.age),
            status_cell(r.status) + age_mark(r),
        ]
        if commits is not None:
            cells.append(commits.get(r.name, ""))
        if badges:
            cells.append(
                f"![{escape(r.name)}](badges/{badge_file(r.name)})" if has_badge(r.name) else ""
            )
        out.append(cells)
    extra = [*(["Commit"] if commits is not None else []), *(["Badge"] if badges else [])]
    return table([*headers, *extra], out, right=(2, 3, 4, 5, 6))


def has_badge(name: str) -> bool:
    """Whether a repository gets ``badges/<name>.svg``: only names repos.yaml allows today.

    A store of gitmetrics 0.1.0 may hold others (spaces, any letters); they are shown
    everywhere, but never become a file name.
    """
    from gitmetrics.config import name_problem

    return name_problem(name) is None


def badge_file(name: str) -> str:
    """The URL path segment of a repository's badge (spaces and the like encoded)."""
    from urllib.parse import quote

    return quote(f"{name}.svg")


def report(view: ReportView) -> str:
    """The report: headline, summary, one row per repository with its trend."""
    lines = [
        "## Coverage report\n",
        f"Snapshot of {fmt.short_time(view.timestamp)} UTC from {markdown_code(view.host)} "
        f"(commit `{view.commit[:10]}`), {view.collections} collections in history; "
        f"trend over the last {view.window}. Good at {view.min_coverage:g}% or more.\n",
        totals_line(view.totals),
    ]
    headers = list(REPORT_HEADERS)
    rows = [
        [
            escape(r.name),
            escape(r.role),
            fmt.pct(r.current),
            fmt.pct(r.previous),
            fmt.trend_text(r.change),
            fmt.pct(r.best),
            fmt.pct(r.worst),
            f"`{r.sparkline}`" if r.sparkline.strip() else "-",
            fmt.slope(r.slope_per_week),
            fmt.age(r.age),
            status_cell(r.status) + age_mark(r),
        ]
        for r in view.rows
    ]
    lines.append(table(headers, rows, right=(2, 3, 4, 5, 6, 8, 9)))
    errors = [r for r in view.rows if r.error]
    if errors:
        lines.append("\nErrors:\n")
        lines.extend(f"- **{escape(r.name)}**: {escape(r.error or '')}" for r in errors)
        lines.append("")
    return "\n".join(lines)


def diff(view: DiffView) -> str:
    """Per-repository change between two snapshots."""
    a, b = view.a, view.b
    head = (
        f"## Coverage change: {fmt.short_time(a.timestamp)} → {fmt.short_time(b.timestamp)}\n\n"
        f"Average {fmt.pct(a.avg_coverage)} → **{fmt.pct(b.avg_coverage)}** "
        f"({fmt.trend_text(view.avg_change)}), lines-weighted {fmt.pct(a.weighted_coverage)} → "
        f"{fmt.pct(b.weighted_coverage)} ({fmt.trend_text(view.weighted_change)}). "
        f"From `{a.commit[:10]}` ({escape(a.spec)}) to `{b.commit[:10]}` ({escape(b.spec)}).\n"
    )
    rows = [
        [
            escape(r.name),
            escape(r.role),
            _cov(r.before, r.status_before),
            _cov(r.after, r.status_after),
            fmt.trend_text(r.change),
            fmt.age(r.age),
            r.kind + age_mark(r),
        ]
        for r in view.rows
    ]
    headers = ["Repository", "Role", "Before", "After", "Change", "Age", "Kind"]
    body = table(headers, rows, right=(2, 3, 4, 5))
    return head + "\n" + body + "".join(_moved_files(m) for m in view.files or ())


def _moved_files(moved: RepoFiles) -> str:
    """``diff --files``: one repository's files that moved, as a section of their own."""
    if not moved.changes and not moved.note:
        return ""
    out = f"\n### {escape(moved.repo)}: {fmt.plural(len(moved.changes), 'file')} moved\n\n"
    if moved.note:
        out += f"{escape(moved.note)}\n\n"
    rows = [
        [
            escape(c.path),
            c.kind,
            "-" if c.before is None else fmt.pct(c.before.exact, 2),
            "-" if c.after is None else fmt.pct(c.after.exact, 2),
            fmt.trend_text(c.change),
            escape(c.uncovered or ""),
            escape(c.covered or ""),
        ]
        for c in moved.changes
    ]
    headers = ["File", "Kind", "Before", "After", "Change", "Now uncovered", "Covered"]
    return out + (table(headers, rows, right=(2, 3, 4)) if rows else "")


def _cov(value: float | None, status: str | None) -> str:
    if status is None:
        return "-"
    if status == "error":
        return "error"
    return fmt.pct(value)


def breach_range(b: Breach) -> str:
    """``earlier..latest`` source commits, or the latest alone when there is no earlier one."""
    if b.from_commit and b.from_commit != b.to_commit:
        return f"{b.from_commit[:10]}..{(b.to_commit or '?')[:10]}"
    return b.to_commit[:10] if b.to_commit else "-"


def breach_subject(b: Breach, everything: str = "(all)") -> str:
    """What a broken rule is about: a repository, a component, or ``everything``."""
    if b.component is not None:
        return f"component {b.component}"
    return b.repo or everything


def breach_value(b: Breach) -> tuple[str, str]:
    """The value and the limit of a broken rule, as shown."""
    if b.rule in ("min_coverage", "min_weighted_coverage", "component_min_coverage"):
        return f"{b.value:.2f}%", f"{b.limit:g}%"
    return f"-{b.value:.2f} pts", f"{b.limit:g} pts"


def check(result: CheckResult) -> str:
    """The check as Markdown, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    n = len(result.breaches)
    head = (
        "## gitmetrics check: all rules pass"
        if result.ok
        else f"## gitmetrics check: {n} rule{'s' if n != 1 else ''} broken"
    )
    where = f" (metrics commit `{result.snapshot[:10]}`)" if result.snapshot else ""
    lines = [
        head,
        "",
        f"Collection of {escape(result.timestamp)}{where}: "
        f"{len(result.checked)} repositories checked"
        + (f", {len(result.unmeasured)} not measured" if result.unmeasured else "")
        + ".",
    ]
    if result.breaches:
        lines += [
            "",
            "| Repository | Rule | Value | Limit | Age | Source commits | Detail |",
            "|---|---|---:|---:|---:|---|---|",
        ]
        for b in result.breaches:
            value, limit = breach_value(b)
            rng = breach_range(b)
            rng = f"`{rng}`" if rng != "-" else rng
            who = escape(breach_subject(b)) + age_mark(b)
            detail = "<br>".join(escape(x) for x in (b.message, *b.explained))
            age = fmt.age(b.age)
            lines.append(f"| {who} | `{b.rule}` | {value} | {limit} | {age} | {rng} | {detail} |")
    return "\n".join(lines) + "\n"


def _fig(f: Figures | None) -> str:
    return "-" if f is None else f"{f.lines_covered}/{f.lines_valid} ({fmt.pct(f.exact, 2)})"


def explain(view: Explained) -> str:
    """Why coverage moved, per repository: source range, commits, files and lines."""
    from gitmetrics.explain import source_line

    a, b = view.a, view.b
    what = "The last drop" if view.last_drop else "From"
    lines = [
        f"## Why coverage moved: {fmt.short_time(a.timestamp)} → {fmt.short_time(b.timestamp)}",
        "",
        f"{what}: `{a.collection[:10]}` ({escape(a.spec)}) → `{b.collection[:10]}` "
        f"({escape(b.spec)}); average {fmt.pct(a.avg_coverage)} → {fmt.pct(b.avg_coverage)} "
        f"({fmt.trend_text(view.avg_change)}).",
    ]
    if not view.repos:
        lines += ["", "No repository's coverage moved."]
    for r in view.repos:
        lines += [
            "",
            f"### {escape(r.repo)}: {fmt.pct(r.before, 2)} → {fmt.pct(r.after, 2)} "
            f"({fmt.trend_text(r.change)})",
            "",
            f"Source {escape(source_line(r))}.",
        ]
        if r.commits:
            rows = [
                [f"`{c.commit[:10]}`", escape(c.date), escape(c.author), escape(c.subject),
                 escape(", ".join(c.files))]
                for c in r.commits
            ]  # fmt: skip
            lines += [
                "",
                table(["Commit", "Date", "Author", "Subject", "Files"], rows).rstrip("\n"),
            ]
        if r.files_note:
            lines += ["", escape(r.files_note) + "."]
        if r.files:
            rows = [
                [escape(f.path), f.kind, _fig(f.before), _fig(f.after), fmt.trend_text(f.change),
                 escape(f.uncovered or ""), escape(f.new_missed or "")]
                for f in r.files
            ]  # fmt: skip
            headers = ["File", "Kind", "Before", "After", "Change", "Lost coverage", "New missed"]
            lines += ["", table(headers, rows, right=(2, 3, 4)).rstrip("\n")]
    return "\n".join(lines) + "\n"
