"""Reading the history: ``status``, ``report``, ``diff`` and ``trends``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    RepoOpt,
    RoleOpt,
    StoreOpt,
    Table,
    app,
    console,
    handle_errors,
)
from gitmetrics.cli.core import load_config, store_path
from gitmetrics.errors import GitmetricsError
from gitmetrics.render import fmt
from gitmetrics.render.escape import terminal

MinOpt = Annotated[
    float | None,
    typer.Option(
        "--min-coverage",
        min=0,
        max=100,
        help="The 'good' threshold in percent (default: `min_coverage` in the config, else 80).",
        show_default=False,
    ),
]


def open_for_reading(config: Path | None, store: Path | None) -> tuple[Any, float]:
    """The store named by the options and the config's ``min_coverage`` (80 without one)."""
    from gitmetrics import store as storemod

    cfg = load_config(config, required=config is not None)
    from gitmetrics import config as configmod

    minimum = cfg.min_coverage if cfg is not None else configmod.DEFAULT_MIN_COVERAGE
    return storemod.open_store(store_path(cfg, store)), minimum


def _print_json(view: Any) -> None:
    from gitmetrics.cli.common import print_json
    from gitmetrics.views import to_data

    print_json(to_data(view))


def _totals_line(t: Any) -> str:
    counts = ", ".join(f"{n} {fmt.status_markup(k)}" for k, n in t.counts.items() if n)
    roles = ", ".join(f"{terminal(r.role)} {fmt.pct(r.avg_coverage)}" for r in t.roles)
    return (
        f"{t.repos} repos: {counts}. Average [bold]{fmt.pct(t.avg_coverage)}[/], "
        f"lines-weighted {fmt.pct(t.weighted_coverage)}" + (f". By role: {roles}" if roles else "")
    )


@app.command()
@handle_errors
def status(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    repo: RepoOpt = None,
    role: RoleOpt = None,
    min_coverage: MinOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the newest snapshot, worst first, with the change since the previous one."""
    from gitmetrics.views import build_status

    st, minimum = open_for_reading(config, store)
    view = build_status(
        st,
        min_coverage if min_coverage is not None else minimum,
        names=tuple(repo or ()),
        roles=tuple(role or ()),
    )
    if json_out:
        _print_json(view)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in (
        ("Repository", "left"),
        ("Role", "left"),
        ("Coverage", "right"),
        ("", "left"),
        ("Branches", "right"),
        ("Files", "right"),
        ("Change", "right"),
        ("Status", "left"),
    ):
        table.add_column(name, justify=justify)
    for r in view.rows:
        style = fmt.STATUS_STYLE.get(r.status, "")
        table.add_row(
            terminal(r.name),
            terminal(r.role),
            fmt.pct(r.coverage),
            f"[{style}]{fmt.bar(r.coverage)}[/]",
            fmt.pct(r.branch_coverage),
            str(r.files),
            fmt.trend_markup(r.change),
            fmt.status_markup(r.status)
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
    console.print("\n" + _totals_line(view.totals))


@app.command()
@handle_errors
def report(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    format: Annotated[
        str,
        typer.Option("--format", "-f", help="json, markdown, csv or html."),
    ] = "markdown",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of stdout.", dir_okay=False
        ),
    ] = None,
    last: Annotated[
        int, typer.Option("--last", "-n", min=2, help="Collections in each repo's trend.")
    ] = 10,
    repo: RepoOpt = None,
    role: RoleOpt = None,
    min_coverage: MinOpt = None,
) -> None:
    """Write one report (current, previous, change, best, worst, trend per repo) as a file."""
    from gitmetrics.render.report import RENDERERS
    from gitmetrics.views import build_report

    if format not in RENDERERS:
        raise GitmetricsError(
            f"--format {format}: unknown report format", f"use one of: {', '.join(RENDERERS)}"
        )
    st, minimum = open_for_reading(config, store)
    view = build_report(
        st,
        min_coverage if min_coverage is not None else minimum,
        window=last,
        names=tuple(repo or ()),
        roles=tuple(role or ()),
    )
    text = RENDERERS[format](view)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GitmetricsError(f"{output}: cannot write the report: {exc.strerror}") from None
    console.print(f"Wrote {format} report of {len(view.rows)} repos to {terminal(str(output))}")


@app.command()
@handle_errors
def diff(
    a: Annotated[
        str | None,
        typer.Argument(
            help="Older side: a git revision of the metrics repo (HEAD~3, a commit), "
            "a snapshot file name, or a date (2026-11-01, 7d). Default: the previous collection.",
            show_default=False,
        ),
    ] = None,
    b: Annotated[
        str | None,
        typer.Argument(help="Newer side, same forms. Default: the newest.", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Compare the collection as of this long ago (7d, 2w) with B."),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Compare the collection as of this date (2026-11-01) with B."),
    ] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    markdown_out: Annotated[
        bool, typer.Option("--markdown", help="Print a markdown table (for issues and PRs).")
    ] = False,
) -> None:
    """Show the per-repository change between two snapshots (repos added and removed too)."""
    from gitmetrics.views import build_diff

    chosen = [x for x in (since, at) if x is not None]
    if len(chosen) > 1 or (chosen and a is not None and b is not None):
        raise GitmetricsError(
            "diff takes two snapshots at most", "give A and B, or --since/--at and an optional B"
        )
    if chosen:
        a, b = chosen[0], a if a is not None else b
    st, _ = open_for_reading(config, store)
    view = build_diff(st, a, b)
    if json_out:
        _print_json(view)
        return
    if markdown_out:
        from gitmetrics.render import markdown

        typer.echo(markdown.diff(view), nl=False)
        return
    console.print(
        f"{fmt.short_time(view.a.timestamp)} ({terminal(view.a.spec)}, {view.a.commit[:10]}) → "
        f"{fmt.short_time(view.b.timestamp)} ({terminal(view.b.spec)}, {view.b.commit[:10]})\n"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
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


@app.command()
@handle_errors
def trends(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    repo: RepoOpt = None,
    role: RoleOpt = None,
    days: Annotated[
        int, typer.Option("--days", "-d", min=1, help="Window: days up to the newest collection.")
    ] = 30,
    forecast: Annotated[
        bool,
        typer.Option(
            "--forecast", help="Project 30 days ahead and the date min_coverage is crossed."
        ),
    ] = False,
    plot: Annotated[
        bool, typer.Option("--plot", help="Draw the average and the chosen repos as a chart.")
    ] = False,
    min_coverage: MinOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show each repository's coverage over time: sparkline, change, slope per week, forecast."""
    from gitmetrics.views import build_trends

    st, minimum = open_for_reading(config, store)
    view = build_trends(
        st,
        min_coverage if min_coverage is not None else minimum,
        days=days,
        names=tuple(repo or ()),
        roles=tuple(role or ()),
        forecast_days=30 if forecast else None,
    )
    if json_out:
        _print_json(view)
        return
    console.print(
        f"{view.collections} collections from {fmt.short_time(view.start)} to "
        f"{fmt.short_time(view.end)} (last {view.days} days)\n"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("Repository")
    table.add_column("Trend")
    table.add_column("Now", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("Slope", justify="right")
    if forecast:
        table.add_column("In 30 days", justify="right")
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
