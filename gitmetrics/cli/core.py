"""The core loop: ``init``, ``collect``, ``history`` and ``schema``."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gitmetrics import api
from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    RepoOpt,
    RoleOpt,
    StoreOpt,
    app,
    console,
    console_err,
    handle_errors,
    pick_format,
    print_json,
    print_text,
    progress_enabled,
    stream_json,
)
from gitmetrics.duration import UNITS_HELP
from gitmetrics.errors import GitmetricsError, Interrupted
from gitmetrics.render import terminal as show
from gitmetrics.render.escape import terminal

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
) -> None:
    """Create an empty metrics repository (collect also creates it on first use).

    On an existing store, bring its work tree up to date (after a full disk, say).
    """
    done = api.init(path, config=config, bare=bare, remote=remote)
    console.print(f"Metrics repository ready at [bold]{terminal(str(done.path))}[/]")
    if done.pulled is not None:
        show.sync(console, done.pulled)


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
        bool, typer.Option("--strict", help="Exit 1 if any repository failed.")
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
            help="After committing, exit 1 if the average or any measured repository's "
            "line coverage is below N percent.",
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
    json_out: JsonOpt = False,
) -> None:
    """Read every repository's coverage report and commit one snapshot to the metrics repo."""
    opts = api.CollectOptions(
        config, store, tuple(repo or ()), tuple(role or ()), run, jobs, dry_run,
        create_issues, min_coverage, fail_below,
    )  # fmt: skip
    done = _collect_interruptible(opts)
    if json_out:
        state = None if done.state is None else snapmod_dict(done.state)
        print_json({**done.result, "snapshot": _snapshot_dict(done), "state": state})
    else:
        show.collect(console, done.snapshot, done.result, done.state)
    if done.nothing:
        raise GitmetricsError(
            "nothing was collected: every repository failed, so no snapshot was committed",
            "fix the errors above, then run collect again",
        )
    if strict and done.snapshot.summary.repos_failed:
        raise typer.Exit(1)
    if fail_below is not None and done.below:
        show.below(console_err, fail_below, done.below)
        raise typer.Exit(1)


def _snapshot_dict(done: api.Collected) -> dict[str, Any]:
    return snapmod_dict(done.snapshot)


def snapmod_dict(snap: Any) -> dict[str, Any]:
    """A snapshot (what was measured) or a state as plain data."""
    from gitmetrics import snapshot as snapmod

    return snapmod.to_dict(snap)


def _collect_interruptible(opts: api.CollectOptions) -> api.Collected:
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


def _collect_with_progress(opts: api.CollectOptions) -> api.Collected:
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

        def advance(r: RepoResult) -> None:
            progress.update(task, advance=1, description=terminal(r.name))

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
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only collections since then: a duration ago (30m, 12h, 7d, 2w, 3mo; "
            f"units: {UNITS_HELP}) or a date (2026-11-01).",
        ),
    ] = None,
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
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Show the coverage trend of the last collections, read from git history."""
    out = pick_format(format, json_out)
    shown = None if all_ or (since and limit == 10) else limit
    rows = api.history(config=config, store=store, limit=shown, since=since, repo=repo, role=role)
    if out == "table":
        show.history(console, rows, repo=repo, role=role)
    elif out == "json":
        stream_json(rows)
    else:
        print_text("history", out, rows)


@app.command()
@handle_errors
def schema(
    name: Annotated[
        str,
        typer.Argument(
            help="Which schema: `snapshot`, `state` (latest.json) or `repos` (the config file)."
        ),
    ] = "snapshot",
) -> None:
    """Print the JSON Schema of a snapshot (or of repos.yaml)."""
    typer.echo(api.schema(name), nl=False)
