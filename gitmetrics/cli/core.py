"""The core loop: ``init``, ``collect``, ``history`` and ``schema``."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    console_err,
    handle_errors,
    print_json,
    progress_enabled,
)
from gitmetrics.errors import ConfigError, GitmetricsError, Interrupted, after_commit_error
from gitmetrics.render import fmt
from gitmetrics.render.escape import terminal

if TYPE_CHECKING:
    from gitmetrics.config import Config
    from gitmetrics.snapshot import RepoResult, Snapshot


def load_config(config: Path | None, *, required: bool = True) -> Config | None:
    """The config, or ``None`` when it is optional and absent."""
    from gitmetrics import config as configmod

    path = configmod.config_path(config)
    if not required and config is None and not path.exists():
        return None
    return configmod.load(path)


def store_path(cfg: Config | None, store: Path | None) -> Path:
    """``--store``, else the config's ``store:``, else ./metrics."""
    from gitmetrics import config as configmod

    if store is not None:
        return store
    if cfg is not None:
        return cfg.store
    return Path(configmod.DEFAULT_STORE)


def open_store(config: Path | None, store: Path | None) -> Any:
    """Open the metrics repository named by the options (config optional with --store)."""
    from gitmetrics import store as storemod

    cfg = None if store is not None else load_config(config, required=config is not None)
    return storemod.open_store(store_path(cfg, store))


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
    from gitmetrics import store as storemod

    cfg = load_config(config, required=False)
    target = path if path is not None else store_path(cfg, None)
    st = storemod.init(target, bare=bare)
    st.update_worktree()  # an existing store's work tree may be behind (a full disk, say)
    console.print(f"Metrics repository ready at [bold]{terminal(str(st.path))}[/]")
    if remote is not None:
        from gitmetrics.cli.sync import attach_remote, render

        render(attach_remote(st, cfg, remote, None), json_out=False)


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
    from gitmetrics.command import interrupts

    cfg = load_config(config)
    assert cfg is not None
    try:
        with interrupts():
            done = run_collect(
                cfg,
                store,
                repo=tuple(repo or ()),
                role=tuple(role or ()),
                run=run,
                jobs=jobs,
                dry_run=dry_run,
                create_issues=create_issues,
                issue_floor=min_coverage,
            )
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT.value
        console_err.print(
            f"[bold red]collect: interrupted by {signal.Signals(signum).name}[/]"
            + (": every command it ran was stopped with what it started" if run else "")
        )
        raise typer.Exit(exc.exit_code if isinstance(exc, Interrupted) else 128 + signum) from None
    _render_collect(done.snapshot, json_out, done.result)
    if done.snapshot.summary.repos_ok == 0:
        raise GitmetricsError(
            "nothing was collected: every repository failed, so no snapshot was committed",
            "fix the errors above, then run collect again",
        )
    if strict and done.snapshot.summary.repos_failed:
        raise typer.Exit(1)
    if fail_below is not None:
        below = below_floor(done.snapshot, fail_below)
        if below:
            for line in below:
                console_err.print(f"[red]below {fail_below:g}%:[/] {terminal(line)}")
            raise typer.Exit(1)


@dataclass(frozen=True)
class Collected:
    """One collection's snapshot and what was done with it (the collect command's data)."""

    snapshot: Snapshot
    result: dict[str, Any]


def run_collect(
    cfg: Config,
    store: Path | None,
    *,
    repo: tuple[str, ...] = (),
    role: tuple[str, ...] = (),
    run: bool = False,
    jobs: int | None = None,
    dry_run: bool = False,
    create_issues: bool = False,
    issue_floor: float | None = None,
) -> Collected:
    """Collect the selected repositories and commit the snapshot (the body of ``collect``).

    When every repository failed nothing is committed; the caller decides what to say.
    """
    from gitmetrics import collect as collectmod
    from gitmetrics import snapshot as snapmod
    from gitmetrics import store as storemod
    from gitmetrics.derive import make_deriver

    repos = cfg.select(repo, role)
    if not repos:
        raise ConfigError(
            f"{cfg.path}: no repositories to collect"
            + (" match the filters" if repo or role else " (the `repos:` list is empty)"),
            "add entries under `repos:`" if not (repo or role) else "check --repo/--role",
        )
    if not dry_run:
        storemod.check_path(store_path(cfg, store))  # before minutes of measuring, not after
    options = collectmod.Options(run=run, jobs=jobs)
    snap = _collect_with_progress(cfg, repos, options)
    data = snapmod.to_json(snap)  # validates before anything is written
    result: dict[str, Any] = {"commit": None, "snapshot_path": None, "dry_run": dry_run}
    if snap.summary.repos_ok == 0:
        return Collected(snap, result)
    issues = _issue_writer(cfg, store_path(cfg, store), issue_floor) if create_issues else None
    if not dry_run:
        st = storemod.init(store_path(cfg, store))
        derive = make_deriver(cfg)
        if issues is not None and issues.contributor is not None:
            derive = _with(derive, issues.contributor)
        st.derive = derive
        done = st.commit_snapshot(snap, retention=cfg.retention)
        result.update(
            commit=done.commit, snapshot_path=done.snapshot_path, pruned=list(done.pruned)
        )
    else:
        result["snapshot_path"] = snapmod.file_name(snap, data)
    if issues is not None:
        try:
            result["issues"] = issues.finish(snap, dry_run)
        except OSError as exc:
            if result["commit"] is None:
                raise
            raise after_commit_error(
                exc,
                issues.loc.file,
                result["commit"],
                "the collection",
                f"the issues file {issues.loc.describe()} was not updated",
                "run `gitmetrics collect --create-issues` again",
            ) from exc
    return Collected(snap, result)


def _issue_writer(cfg: Config, store: Path, floor: float | None) -> Any:
    from gitmetrics import coordination, rules

    loc = coordination.location(cfg, store)

    def read_current() -> bytes | None:
        if loc.file is not None:
            return loc.file.read_bytes() if loc.file.exists() else None
        from gitmetrics import store as storemod

        if not store.exists():
            return None
        st = storemod.open_store(store)
        try:
            return st.read_file(loc.tree_path or "") if st.head() else None
        finally:
            st.close()

    return coordination.IssueWriter(loc, rules.floor_for(cfg, floor), read_current, [])


def _with(base: Any, extra: Any) -> Any:
    def derive(ctx: Any) -> Any:
        return {**base(ctx), **extra(ctx)}

    return derive


def below_floor(snap: Snapshot, floor: float) -> list[str]:
    """What ``--fail-below`` fails on: the plain average and each measured repository."""
    out = []
    avg = snap.summary.avg_coverage
    if avg is not None and avg < floor:
        out.append(f"average {fmt.pct(avg, 2)}")
    out += [
        f"{r.name} {fmt.pct(r.coverage, 2)}"
        for r in snap.repositories
        if r.ok and r.coverage is not None and r.coverage < floor
    ]
    return out


def _collect_with_progress(cfg: Config, repos: Any, options: Any) -> Snapshot:
    from gitmetrics import collect as collectmod
    from gitmetrics.store import source_of

    if not progress_enabled():
        return collectmod.collect_all(cfg, repos, options=options, provenance=source_of)
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
        task = progress.add_task("", total=len(repos))

        def advance(r: RepoResult) -> None:
            progress.update(task, advance=1, description=terminal(r.name))

        return collectmod.collect_all(
            cfg, repos, options=options, provenance=source_of, on_result=advance
        )


def _render_collect(snap: Snapshot, json_out: bool, result: dict[str, Any]) -> None:
    from gitmetrics import snapshot as snapmod

    if json_out:
        print_json({**result, "snapshot": snapmod.to_dict(snap)})
        return
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
                fmt.pct(r.coverage),
                fmt.pct(r.branch_coverage),
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
            "--since", help="Only collections since then: 7d, 12h, 2w, 3m or a date (2026-11-01)."
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
) -> None:
    """Show the coverage trend of the last collections, read from git history."""
    from gitmetrics.views import build_history, to_data

    st = open_store(config, store)
    rows = build_history(
        st,
        limit=None if all_ or (since and limit == 10) else limit,
        since_text=since,
        name=repo,
        role=role,
    )
    if json_out:
        print_json(to_data(rows))
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("Timestamp")
    if repo is not None:
        table.add_column("Coverage", justify="right")
        table.add_column("Branches", justify="right")
        table.add_column("Files", justify="right")
        table.add_column("Status")
    else:
        table.add_column("Avg Coverage", justify="right")
        table.add_column("Repos", justify="right")
        table.add_column("Files", justify="right")
    table.add_column("Trend", justify="right")
    for r in rows:
        if repo is not None:
            state = r.status or ""
            shown = f"[red]{state}[/]" if state == "error" else f"[dim]{state}[/]"
            table.add_row(
                fmt.short_time(r.timestamp),
                fmt.pct(r.avg_coverage),
                fmt.pct(r.branch_coverage),
                str(r.files),
                shown,
                fmt.trend_markup(r.change),
            )
            continue
        repos = str(r.repos) if not r.failed else f"{r.repos} [red]({r.failed} failed)[/]"
        table.add_row(
            fmt.short_time(r.timestamp),
            fmt.pct(r.avg_coverage),
            repos,
            str(r.files),
            fmt.trend_markup(r.change),
        )
    if repo is not None or role is not None:
        what = f"repository {repo}" if repo is not None else f"role {role}"
        console.print(f"History of {terminal(what)}")
    console.print(table)


@app.command()
@handle_errors
def schema(
    name: Annotated[
        str, typer.Argument(help="Which schema: `snapshot` or `repos` (the config file).")
    ] = "snapshot",
) -> None:
    """Print the JSON Schema of a snapshot (or of repos.yaml)."""
    from gitmetrics import schema as schemamod

    files = {"snapshot": schemamod.SNAPSHOT, "repos": schemamod.REPOS}
    if name not in files:
        raise GitmetricsError(f"unknown schema {name!r}", "use `snapshot` or `repos`")
    typer.echo(schemamod.schema_text(files[name]), nl=False)
