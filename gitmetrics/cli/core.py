"""The core loop: ``init``, ``collect``, ``history`` and ``schema``."""

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    RepoOpt,
    RoleOpt,
    SinceOpt,
    StoreOpt,
    api,
    app,
    console,
    console_err,
    echo_chunks,
    gate,
    handle_errors,
    pick_format,
    progress_enabled,
    show,
    show_failed,
)
from gitmetrics.cli.common import (
    views as terminal,
)
from gitmetrics.errors import Interrupted
from gitmetrics.render.escape import terminal as escaped

if TYPE_CHECKING:
    from gitmetrics.snapshot import RepoResult


@app.command()
@handle_errors
def init(
    path: Annotated[
        Path | None,
        typer.Argument(help="Where to create the store (default: `store:` in the config)."),
    ] = None,
    bare: Annotated[bool, typer.Option("--bare", help="Create a bare repository.")] = False,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            help="Start from this git remote: record it as origin and pull its snapshots.",
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Create an empty metrics repository (collect also creates it on first use).

    On an existing store, bring its work tree up to date (after a full disk, say).
    """
    out = pick_format(format, json_out)
    done = api.init(path, config=config, bare=bare, remote=remote)
    show("init", out, done, terminal.init)


@app.command()
@handle_errors
def collect(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    repo: RepoOpt = None,
    role: RoleOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build and validate the snapshot; commit nothing.")
    ] = False,
    run: Annotated[
        bool,
        typer.Option("--run", help="Run each repo's `command:` first to produce its report."),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 (a gate failed) if any repository failed.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Repositories read in parallel.", show_default=False
        ),
    ] = None,
    fail_below: Annotated[
        float | None,
        typer.Option(
            "--fail-below",
            min=0,
            max=100,
            help="After committing, exit 3 (a gate failed) if the average or any measured "
            "repository's line coverage is below N percent.",
            show_default=False,
        ),
    ] = None,
    create_issues: Annotated[
        bool,
        typer.Option(
            "--create-issues",
            help="Open, update or resolve a coordination issue for each repository below "
            "the floor (file: `issues_file:`, default coordination/issues.yaml in the store).",
        ),
    ] = False,
    min_coverage: Annotated[
        float | None,
        typer.Option(
            "--min-coverage",
            min=0,
            max=100,
            help="Floor for --create-issues (default: the rules' floor of each repository, "
            "else `min_coverage`).",
            show_default=False,
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Date the collection by TIME instead of now, to rebuild history from saved "
            "reports: an ISO 8601 time with its offset (2026-11-03T14:05:00+01:00), a date "
            "(its midnight UTC) or a duration ago (3d). Placed in history by its time; "
            "latest.json and the README keep the newest collection.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Read every repository's coverage report and commit one snapshot to the metrics repo."""
    out = pick_format(format, json_out)
    opts = api.CollectOptions(
        config, store, tuple(repo or ()), tuple(role or ()), run, jobs, dry_run,
        create_issues, min_coverage, fail_below, at,
    )  # fmt: skip
    done = _collect_interruptible(opts)
    if done.nothing:
        error = api.nothing_collected("fix the errors of each repository, then run collect again")
        show_failed("collect", out, done, terminal.collect, error)
    show("collect", out, done, terminal.collect)
    if fail_below is not None and done.below:
        terminal.below(console_err, fail_below, done.below)
    gate(done.gate_failed(strict=strict))


def _collect_interruptible(opts: "api.CollectOptions") -> "api.Collected":
    """``api.collect`` with a progress bar; a signal stops it with the shell's exit code."""
    from gitmetrics.command import interrupts

    try:
        with interrupts():
            return _collect_with_progress(opts)
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT.value
        console_err.print(
            f"[bold red]collect: interrupted by {signal.Signals(signum).name}[/]"
            + (": every command it ran was stopped with what it started" if opts.run else "")
        )
        raise typer.Exit(exc.exit_code if isinstance(exc, Interrupted) else 128 + signum) from None


def _collect_with_progress(opts: "api.CollectOptions") -> "api.Collected":
    cfg = api.require_config(opts.config)
    if not progress_enabled():
        return api.collect(opts, cfg=cfg)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]collect[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console_err,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(cfg.select(opts.repo, opts.role)))

        def advance(r: "RepoResult") -> None:
            progress.update(task, advance=1, description=escaped(r.name))

        return api.collect(opts, cfg=cfg, on_result=advance)


@app.command()
@handle_errors
def history(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many collections to show.")
    ] = 10,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Show every collection (no --limit).")
    ] = False,
    since: SinceOpt = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo", "-r", help="That repository's own history (coverage per collection)."
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", help="The average of the repositories with this role over time."),
    ] = None,
    pr: Annotated[
        str | None,
        typer.Option(
            "--pr",
            metavar="KEY",
            help="The history of the pull request KEY recorded by `patch --record KEY`: its "
            "measurement, then the default branch's collections it stands on.",
            show_default=False,
        ),
    ] = None,
    component: Annotated[
        str | None,
        typer.Option(
            "--component",
            help="That component's history (`components:` in repos.yaml): its files' line "
            "coverage per collection.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Show the coverage trend of the last collections, read from git history."""
    out = pick_format(format, json_out)
    shown = None if all_ or (since and limit == 10) else limit
    rows = api.history(
        config=config, store=store, limit=shown, since=since, repo=repo, role=role, pr=pr,
        component=component,
    )  # fmt: skip
    if out == "table":
        terminal.history(console, rows, repo=repo, role=role, component=component)
    else:
        from gitmetrics.render.registry import history_chunks

        echo_chunks(history_chunks(out, rows, repo=repo, role=role, component=component))


@app.command()
@handle_errors
def schema(
    name: Annotated[
        str,
        typer.Argument(
            help="Which schema: `snapshot`, `state` (latest.json), `repos` (the config file), "
            "or an output's "
            "(`status`, `error`, ...; `list` names them all).",
            metavar="NAME",
        ),
    ] = "snapshot",
) -> None:
    """Print a JSON Schema: of a snapshot, of repos.yaml, or of a command's --json output.

    NAME: `snapshot`, `repos`, or a command (`status`, `history`, `error`, ...; the list:
    `gitmetrics schema list`).
    """
    typer.echo(api.schema(name), nl=False)
