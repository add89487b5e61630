"""Every view as the terminal shows it: rich tables and lines, printed on a given console.

Each function takes the console to print on and the data an :mod:`gitmetrics.api`
function returned; nothing here reads a store or a config.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitmetrics import percent
from gitmetrics.render import fmt
from gitmetrics.render.escape import terminal, visible

if TYPE_CHECKING:
    from rich.console import Console

    from gitmetrics.rules import CheckResult
    from gitmetrics.snapshot import Snapshot
    from gitmetrics.store.gate import Audit
    from gitmetrics.store.pack import GcResult
    from gitmetrics.store.sync import SyncResult
    from gitmetrics.views import DiffView, HistoryRow, StatusView, Totals, TrendsView


def Table(*args: Any, **kwargs: Any) -> Any:
    """rich's Table, imported on first use: `gitmetrics --help` never needs it."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


def _plain_table(*columns: tuple[str, str]) -> Any:
    """A borderless table with these (heading, justify) columns."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in columns:
        table.add_column(name, justify=justify)
    return table


def _counted(covered: int | None, total: int | None, stored: float | None) -> percent.Number | None:
    """A percentage as shown: from the counts when there are any, else the stored figure."""
    exact = percent.exact(covered, total)
    return stored if exact is None else exact


# --- collect -----------------------------------------------------------------------------


def collect(
    console: Console, snap: Snapshot, result: Mapping[str, Any], state: Snapshot | None = None
) -> None:
    """The repositories measured, the failures, the summary, the state, what was committed."""
    table = Table(title=None, box=None, pad_edge=False, header_style="bold")
    table.add_column("Repository")
    table.add_column("Role")
    table.add_column("Coverage", justify="right")
    table.add_column("Branches", justify="right")
    table.add_column("Files", justify="right")
    table.add_column("Report")
    for r in snap.repositories:
        if r.ok:
            table.add_row(
                terminal(r.name),
                terminal(r.role),
                fmt.pct(percent.of(r)),
                fmt.pct(_counted(r.branches_covered, r.branches_valid, r.branch_coverage)),
                str(r.files_tested),
                terminal(f"{r.report} ({r.format})")
                + (" [yellow]stale: older than HEAD[/]" if r.stale_report else ""),
            )
        else:
            table.add_row(
                terminal(r.name), terminal(r.role), "[red]error[/]", "", "", "[red]see below[/]"
            )
    console.print(table)
    failures = [r for r in snap.repositories if not r.ok]
    if failures:
        console.print("\n[bold red]Errors:[/]")
        for r in failures:
            # one unwrapped line each, so paths and log names can be copied
            console.print(
                f"  [bold]{terminal(r.name)}[/]: {terminal(r.error or '')}", soft_wrap=True
            )
    warned = [(r.name, w) for r in snap.repositories for w in r.warnings]
    if warned:
        console.print("\n[bold yellow]Warnings:[/]")
        for name, warning in warned:
            console.print(f"  [bold]{terminal(name)}[/]: {terminal(warning)}", soft_wrap=True)
    s = snap.summary
    failed = f", [red]{s.repos_failed} failed[/]" if s.repos_failed else ""
    console.print(
        f"\n{s.repos_ok} of {s.repos_count} repos measured{failed}: "
        f"avg [bold]{fmt.pct(s.avg_coverage)}[/], lines-weighted {fmt.pct(s.weighted_coverage)}, "
        f"{s.total_files_tested} files"
    )
    if state is not None and state.summary.repos_carried:
        t = state.summary
        stale = f", [yellow]{t.repos_stale} stale[/]" if t.repos_stale else ""
        console.print(
            f"State: {t.repos_count} repos ({t.repos_carried} carried{stale}): "
            f"avg [bold]{fmt.pct(t.avg_coverage)}[/], lines-weighted {fmt.pct(t.weighted_coverage)}"
        )
    gone = result.get("removed")
    if gone:
        console.print(
            f"Removed from the state (no longer in repos.yaml): {terminal(', '.join(gone))}"
        )
    if result.get("commit"):
        console.print(f"Committed {result['commit'][:10]}: {terminal(result['snapshot_path'])}")
        if result.get("pruned"):
            console.print(
                f"Retention pruned {len(result['pruned'])} old snapshot file(s) from the tree"
            )
    elif result.get("dry_run") and s.repos_ok:
        console.print("Dry run: snapshot is valid; nothing was committed.")
    issues = result.get("issues")
    if issues:
        acts = issues["actions"]
        verb = "written" if issues["written"] else "not written (dry run)"
        if not acts:
            console.print(f"Coordination issues: no change ({terminal(issues['file'])})")
        else:
            console.print(f"Coordination issues {verb}: {terminal(issues['file'])}")
        for a in acts:
            console.print(
                f"  {a['action']:<8} {terminal(a['id'])}  {terminal(a['repo'])} "
                f"{fmt.pct(a['coverage'])} (target {a['target']:g}%)"
            )


def below(console: Console, floor: float, lines: tuple[str, ...]) -> None:
    """What ``--fail-below`` failed on."""
    for line in lines:
        console.print(f"[red]below {floor:g}%:[/] {terminal(line)}")


# --- history -------------------------------------------------------------------------------


#: the history table's columns: heading, width, right-aligned (known before any row is read)
_HISTORY_STORE = (("Timestamp", 16, False), ("Avg Coverage", 12, True), ("Repos", 15, True),
                  ("Measured", 8, True), ("Files", 7, True), ("Trend", 8, True))  # fmt: skip
_HISTORY_REPO = (("Timestamp", 16, False), ("Coverage", 8, True), ("Branches", 8, True),
                 ("Files", 7, True), ("Status", 6, False), ("Trend", 8, True))  # fmt: skip


def _fixed(cells: Sequence[tuple[str, str]], columns: Sequence[tuple[str, int, bool]]) -> str:
    """One line of (text, markup) cells padded to the columns' widths, two spaces apart."""
    out = []
    for (plain, markup), (_, width, right) in zip(cells, columns, strict=True):
        pad = " " * max(0, width - len(plain))
        out.append(pad + markup if right else markup + pad)
    return "  ".join(out).rstrip()


def history(
    console: Console, rows: Iterable[HistoryRow], *, repo: str | None, role: str | None
) -> None:
    """Collections newest first, printed as they come (a row is never held back for widths)."""
    rows = iter(rows)
    first = next(rows, None)  # an error (an unknown repository, say) comes before any output
    if repo is not None or role is not None:
        what = f"repository {repo}" if repo is not None else f"role {role}"
        console.print(f"History of {terminal(what)}")
    columns = _HISTORY_REPO if repo is not None else _HISTORY_STORE
    console.print(_fixed([(c, f"[bold]{c}[/]") for c, _, _ in columns], columns), soft_wrap=True)
    if first is None:
        return
    for r in itertools.chain([first], rows):
        trend = fmt.trend_text(r.change)
        cells = [(fmt.short_time(r.timestamp),) * 2, (fmt.pct(r.avg_coverage),) * 2]
        if repo is not None:
            state = r.status or ""
            shown = f"[red]{state}[/]" if state == "error" else f"[dim]{state}[/]"
            cells += [(fmt.pct(r.branch_coverage),) * 2, (str(r.files),) * 2, (state, shown)]
        else:
            failed = f" ({r.failed} failed)" if r.failed else ""
            repos = f"{r.repos}{failed}"
            cells += [(repos, f"{r.repos}[red]{failed}[/]" if failed else repos)]
            measured = str(r.repos if r.measured is None else r.measured)
            cells += [(measured,) * 2, (str(r.files),) * 2]
        cells.append((trend, fmt.trend_markup(r.change)))
        console.print(_fixed(cells, columns), soft_wrap=True)


# --- status, diff, trends ----------------------------------------------------------------


def totals_line(t: Totals) -> str:
    """``12 repos: 8 good, ... Average 81.2%, lines-weighted 79.9%. By role: ...``."""
    counts = ", ".join(f"{n} {fmt.status_markup(k)}" for k, n in t.counts.items() if n)
    roles = ", ".join(f"{terminal(r.role)} {fmt.pct(r.avg_coverage)}" for r in t.roles)
    return (
        f"{t.repos} repos: {counts}. Average [bold]{fmt.pct(t.avg_coverage)}[/], "
        f"lines-weighted {fmt.pct(t.weighted_coverage)}" + (f". By role: {roles}" if roles else "")
    )


def status(console: Console, view: StatusView) -> None:
    """The newest snapshot, worst first."""
    table = _plain_table(
        ("Repository", "left"),
        ("Role", "left"),
        ("Coverage", "right"),
        ("", "left"),
        ("Branches", "right"),
        ("Files", "right"),
        ("Change", "right"),
        ("Age", "right"),
        ("Status", "left"),
    )
    for r in view.rows:
        style = fmt.STATUS_STYLE.get(r.status, "")
        note = fmt.age_note(r.carried, r.stale)
        table.add_row(
            terminal(r.name),
            terminal(r.role),
            fmt.pct(_counted(r.lines_covered, r.lines_valid, r.coverage)),
            f"[{style}]{fmt.bar(r.coverage)}[/]",
            fmt.pct(r.branch_coverage),
            str(r.files),
            fmt.trend_markup(r.change),
            fmt.age(r.age),
            fmt.status_markup(r.status)
            + (f" [yellow]({note})[/]" if note else "")
            + (f" [dim]{terminal(r.error)}[/]" if r.error else "")
            + (" [yellow]stale report[/]" if r.stale_report else ""),
        )
    console.print(
        f"Snapshot {fmt.short_time(view.timestamp)} UTC from {terminal(view.host)}"
        + (
            f", change since {fmt.short_time(view.previous_timestamp)}"
            if view.previous_timestamp
            else " (the first collection)"
        )
        + f"; good at {view.min_coverage:g}% or more\n"
    )
    console.print(table)
    console.print("\n" + totals_line(view.totals))


def diff(console: Console, view: DiffView) -> None:
    """Both ends, then one row per repository, then the averages and the counts."""
    console.print(
        f"{fmt.short_time(view.a.timestamp)} ({terminal(view.a.spec)}, {view.a.commit[:10]}) → "
        f"{fmt.short_time(view.b.timestamp)} ({terminal(view.b.spec)}, {view.b.commit[:10]})\n"
    )
    table = _plain_table()
    table.add_column("Repository")
    table.add_column("Role")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("")
    for r in view.rows:
        kind = {
            "added": "[cyan]added[/]",
            "removed": "[magenta]removed[/]",
            "failed": "[red]failed[/]",
        }.get(r.kind, "")
        table.add_row(
            terminal(r.name),
            terminal(r.role),
            "error" if r.status_before == "error" else fmt.pct(r.before),
            "error" if r.status_after == "error" else fmt.pct(r.after),
            fmt.trend_markup(r.change),
            kind,
        )
    console.print(table)
    c = view.counts
    console.print(
        f"\nAverage {fmt.pct(view.a.avg_coverage)} → [bold]{fmt.pct(view.b.avg_coverage)}[/] "
        f"({fmt.trend_markup(view.avg_change)}); lines-weighted "
        f"{fmt.pct(view.a.weighted_coverage)} → {fmt.pct(view.b.weighted_coverage)}. "
        f"{c['changed']} changed, {c['failed']} failed, {c['same']} unchanged, {c['added']} added, "
        f"{c['removed']} removed"
    )


def trends(console: Console, view: TrendsView, *, plot: bool = False) -> None:
    """Sparkline, change, slope (and forecast) per repository, the average last."""
    console.print(
        f"{view.collections} collections from {fmt.short_time(view.start)} to "
        f"{fmt.short_time(view.end)} (last {view.days} days)\n"
    )
    table = _plain_table()
    table.add_column("Repository")
    table.add_column("Trend")
    table.add_column("Now", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("Slope", justify="right")
    if view.forecast_days:
        table.add_column(f"In {view.forecast_days} days", justify="right")
        table.add_column(f"Crossing {view.min_coverage:g}%")
    for i, r in enumerate([*view.rows, view.average]):
        cells = [
            f"[bold]{terminal(r.name)}[/]" if r is view.average else terminal(r.name),
            r.sparkline,
            fmt.pct(r.current),
            fmt.trend_markup(r.change),
            fmt.slope(r.slope_per_week),
        ]
        if r.forecast is not None:
            f = r.forecast
            projected = fmt.pct(f.projected) if f.projected is not None else "-"
            note = f.crossing_text
            if f.verdict in ("flat", "noisy", "too few points"):
                note = f"{f.verdict}: {note}"
            cells += [projected, terminal(note)]
        table.add_row(*cells, end_section=i == len(view.rows) - 1)
    console.print(table)
    if plot:
        from gitmetrics.render.plot import plot as draw

        series = [("average", view.average.values), *((r.name, r.values) for r in view.rows)]
        lines, legend = draw(series)
        console.print()
        for line in lines:
            console.print(terminal(line))
        console.print("  ".join(f"{m} {terminal(n)}" for m, n in legend))


def dashboard(console: Console, output: str, snapshots: int, size: int, at: str | None) -> None:
    """Where the page was written and how big it is."""
    console.print(
        f"Wrote [bold]{terminal(output)}[/] ({snapshots} snapshots, "
        f"{size / 1024:,.0f} KiB)" + (f" as of {terminal(at)}" if at else "")
    )


# --- gates -----------------------------------------------------------------------------


def check(console: Console, result: CheckResult) -> None:
    """The check as a table in the terminal."""
    from gitmetrics.render.markdown import breach_range, breach_value

    where = f", metrics commit {result.snapshot[:10]}" if result.snapshot else ""
    unmeasured = f", {len(result.unmeasured)} not measured" if result.unmeasured else ""
    console.print(
        f"Checked {len(result.checked)} repositories{unmeasured} "
        f"(collection of {terminal(result.timestamp)}{where})"
    )
    if result.ok:
        console.print("[green]All rules pass.[/]")
        return
    table = _plain_table(
        ("Repository", "left"),
        ("Rule", "left"),
        ("Value", "right"),
        ("Limit", "right"),
        ("Source commits", "left"),
    )
    for b in result.breaches:
        value, limit = breach_value(b)
        table.add_row(
            terminal(b.repo or "(all)"), b.rule, f"[red]{value}[/]", limit, breach_range(b)
        )
    console.print(table)
    console.print("")
    for b in result.breaches:
        console.print(
            f"[red]✗[/] {terminal(b.repo or '(all repositories)')}: {terminal(b.message)}"
        )
    n = len(result.breaches)
    console.print(f"\n[red]{n} rule{'s' if n != 1 else ''} broken.[/]")


def issues(console: Console, shown: Sequence[Any], where: str, *, filtered: bool) -> None:
    """The coordination issues as a table."""
    from gitmetrics import coordination

    if not shown:
        console.print(f"No issues in {terminal(where)}" + (" match" if filtered else ""))
        return
    table = _plain_table()
    for col in ("ID", "Status", "Priority", "Repos", "Coverage", "Target", "Updated", "Title"):
        table.add_column(col, justify="right" if col in ("Coverage", "Target") else "left")
    for i in shown:
        meta = i.get("metadata") or {}
        cov = meta.get("current_coverage")
        target = meta.get("target_coverage")
        st_text = str(i.get("status", "pending"))
        color = "green" if st_text in coordination.CLOSED else "yellow"
        table.add_row(
            terminal(str(i.get("id"))),
            f"[{color}]{terminal(st_text)}[/]",
            terminal(str(i.get("priority", ""))),
            terminal(", ".join(map(str, i.get("repos") or []))),
            fmt.pct(cov) if isinstance(cov, int | float) else "-",
            fmt.pct(target, 0) if isinstance(target, int | float) else "-",
            terminal(str(i.get("updated", ""))[:16].replace("T", " ")),
            terminal(str(i.get("title", ""))),
        )
    console.print(table)
    console.print(f"\n{len(shown)} issue(s) in {terminal(where)}")


# --- sync and maintenance --------------------------------------------------------------


def sync(console: Console, result: SyncResult) -> None:
    """What moved between the store and the remote."""
    verb = {"push": "Pushed to", "pull": "Pulled from", "sync": "Synced with"}[result.action]
    console.print(f"{verb} [bold]{terminal(result.remote)}[/]")
    if result.up_to_date:
        console.print("  already up to date")
    else:
        console.print(
            f"  received {_n(result.commits_received, 'commit')} "
            f"({_n(result.snapshots_received, 'snapshot')}), "
            f"sent {_n(result.commits_sent, 'commit')} "
            f"({_n(result.snapshots_sent, 'snapshot')})"
        )
        how = "merged both histories" if result.merged else ""
        how = how or ("fast-forward" if result.fast_forward else "")
        if how:
            console.print(f"  {how}")
    if result.attempts > 1:
        console.print(f"  the remote moved meanwhile: merged and retried ({result.attempts} tries)")
    head = result.head[:10] if result.head else "(empty)"
    console.print(f"  head {head}")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def size(n: float) -> str:
    """``812 B``, ``1.5 KB``, ``3.2 MB``: decimal units."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)  # pragma: no cover - the loop always returns


def gc(console: Console, done: GcResult) -> None:
    """What packing did."""
    if not done.objects:
        console.print("Nothing to pack: the metrics repository is empty.")
        return
    console.print(
        f"Packed {done.objects:,} objects ({done.deltas:,} as deltas) into one pack; "
        f"removed {done.loose_removed:,} loose objects and {done.packs_removed} old pack(s)."
    )
    console.print(f"Objects on disk: {size(done.bytes_before)} -> {size(done.bytes_after)}")


def verify(console: Console, store: str, found: Audit) -> None:
    """One line per problem (commit and what is wrong), then a one-line summary."""
    for p in found.problems:
        console.print(f"commit {p.commit[:10]}: {visible(p.message)}", markup=False, soft_wrap=True)
    counted = f"{found.commits:,} commits ({found.collections:,} collections) of {store}"
    if found.problems:
        console.print(f"{len(found.problems)} problem(s) in {counted}", markup=False)
    else:
        console.print(f"verified {counted}: no problems", markup=False)
