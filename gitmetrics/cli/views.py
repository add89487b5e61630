"""Reading the history: ``status``, ``report``, ``diff`` and ``trends``."""

from pathlib import Path
from typing import Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    MarkdownOpt,
    RepoOpt,
    RoleOpt,
    SinceOpt,
    StoreOpt,
    api,
    app,
    console,
    handle_errors,
    pick_format,
    show,
)
from gitmetrics.cli.common import (
    views as terminal,
)
from gitmetrics.duration import UNITS_HELP
from gitmetrics.errors import GitmetricsError
from gitmetrics.render.escape import terminal as escaped

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


@app.command()
@handle_errors
def status(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    repo: RepoOpt = None,
    role: RoleOpt = None,
    min_coverage: MinOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Show the newest snapshot, worst first, with the change since the previous one."""
    out = pick_format(format, json_out)
    view = api.status(
        config=config, store=store, repo=repo or (), role=role or (), min_coverage=min_coverage
    )
    show("status", out, view, terminal.status)


#: report's --format: the files it writes first, its default markdown
REPORT_FORMATS = ("markdown", "json", "csv", "html", "table")


@app.command()
@handle_errors
def report(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="markdown, json, csv, html, or table (the terminal; not with --output).",
            metavar="FORMAT",
        ),
    ] = "markdown",
    json_out: JsonOpt = False,
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
    out = pick_format(format, json_out, formats=REPORT_FORMATS, default="markdown")
    if out == "table" and output is not None:
        raise GitmetricsError(
            "--format table draws in the terminal", "drop --output, or pick a file format"
        )
    view = api.report(
        config=config, store=store, last=last, repo=repo or (), role=role or (),
        min_coverage=min_coverage,
    )  # fmt: skip
    if output is None:
        show("report", out, view, terminal.report)
        return
    from gitmetrics.render.registry import text

    _write(output, text("report", out, view), "report")
    console.print(f"Wrote {out} report of {len(view.rows)} repos to {escaped(str(output))}")


def _write(output: Path, text: str, what: str) -> None:
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GitmetricsError(f"{output}: cannot write the {what}: {exc.strerror}") from None


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
        typer.Option(
            "--since",
            help="Compare the collection as of this long ago (30m, 7d, 2w, 3mo; units: "
            f"{UNITS_HELP}) with B.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Compare the collection as of this date (2026-11-01) with B."),
    ] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    markdown_out: MarkdownOpt = False,
    format: FormatOpt = "table",
    files: Annotated[
        bool,
        typer.Option(
            "--files",
            help="Per repository, the files that moved too: added, removed, and the line "
            "ranges that became uncovered or covered.",
        ),
    ] = False,
) -> None:
    """Show the per-repository change between two snapshots (repos added and removed too)."""
    out = pick_format(format, json_out, markdown_out)
    view = api.diff(a, b, since=since, at=at, config=config, store=store, files=files)
    show("diff", out, view, terminal.diff)


PointHelp = (
    "a git revision of the metrics repo (HEAD~3), a snapshot file name, or a date (2026-11-01, 7d)"
)


@app.command()
@handle_errors
def files(
    repo: Annotated[str, typer.Argument(help="The repository (its name in repos.yaml).")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help=f"Its files as of this collection: {PointHelp}. Default: the newest."
        ),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help=f"Compare with this collection ({PointHelp}). Default: the repo's previous "
            "measurement.",
        ),
    ] = None,
    path: Annotated[
        list[str] | None,
        typer.Option(
            "--path",
            "-p",
            help="Only the files matching this glob ('src/api/**', '*.py'; repeatable).",
            show_default=False,
        ),
    ] = None,
    dirs: Annotated[
        bool, typer.Option("--dirs", help="One row per directory (the files' parents).")
    ] = False,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            min=1,
            help="One row per directory, cut to this many levels (--depth 1: top directories).",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="path, coverage (worst first), missed (most missed lines first) or change "
            "(biggest drop first).",
        ),
    ] = "path",
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Show a repository's files (or directories) at a point: lines, branches, the change
    against another point, and the missed lines."""
    out = pick_format(format, json_out)
    view = api.files(
        repo, config=config, store=store, at=at, against=against, paths=path or (),
        dirs=dirs, depth=depth, sort=sort,
    )  # fmt: skip
    show("files", out, view, terminal.files)


OptionalRepo = Annotated[
    str | None,
    typer.Argument(
        help="The repository (its name in repos.yaml). Default: every repository.",
        show_default=False,
    ),
]


@app.command()
@handle_errors
def explain(
    repo: OptionalRepo = None,
    a: Annotated[
        str | None,
        typer.Option(
            "--from",
            help=f"The older point ({PointHelp}). Default: the collection before --to; "
            "without --from and --to: the last drop.",
            show_default=False,
        ),
    ] = None,
    b: Annotated[
        str | None,
        typer.Option(
            "--to",
            help=f"The newer point ({PointHelp}). Default: the newest; without --from and "
            "--to: the last drop.",
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    markdown_out: MarkdownOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Explain a change of coverage (default: the last drop): per repository that moved,
    its source commit range, the commits that touched the files that moved (when the
    source repository is on this machine), the files and the lines that lost coverage."""
    out = pick_format(format, json_out, markdown_out)
    view = api.explain(repo, a=a, b=b, config=config, store=store)
    show("explain", out, view, terminal.explain)


@app.command()
@handle_errors
def flaky(
    repo: OptionalRepo = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            help="Read the newest N collections (default: 50, or all of --since).",
            show_default=False,
        ),
    ] = None,
    since: SinceOpt = None,
    untouched: Annotated[
        bool,
        typer.Option(
            "--untouched",
            help="Also compare measurements of two source commits when no commit between "
            "them touched any measured file (needs the source repository on this machine).",
        ),
    ] = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Show files and lines whose covered state changed between two measurements of the
    same source commit (a test that covers them only sometimes)."""
    out = pick_format(format, json_out)
    view = api.flaky(
        repo, limit=limit, since=since, untouched=untouched, config=config, store=store
    )
    show("flaky", out, view, terminal.flaky)


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
    format: FormatOpt = "table",
) -> None:
    """Show each repository's coverage over time: sparkline, change, slope per week, forecast."""
    out = pick_format(format, json_out)
    view = api.trends(
        config=config,
        store=store,
        repo=repo or (),
        role=role or (),
        days=days,
        forecast_days=30 if forecast else None,
        min_coverage=min_coverage,
    )
    show("trends", out, view, lambda con, v: terminal.trends(con, v, plot=plot))
