"""The core loop: ``init``, ``collect``, ``history`` and ``schema``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    console_err,
    handle_errors,
    print_json,
    progress_enabled,
)
from gitmetrics.errors import ConfigError, GitmetricsError
from gitmetrics.render import fmt

if TYPE_CHECKING:
    from gitmetrics.config import Config
    from gitmetrics.snapshot import RepoResult, Snapshot


def Table(*args: Any, **kwargs: Any) -> Any:
    """rich's Table, imported on first use: `gitmetrics --help` never needs it."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


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
    from gitmetrics import config as configmod
    from gitmetrics import store as storemod

    cfg = load_config(config, required=store is None and config is not None)
    if cfg is None and store is None and not configmod.config_path(config).exists():
        cfg = None
    return storemod.open_store(store_path(cfg, store))


@app.command()
@handle_errors
def init(
    path: Annotated[
        Path | None,
        typer.Argument(help="Where to create the store (default: `store:` in the config)."),
    ] = None,
    bare: Annotated[bool, typer.Option("--bare", help="Create a bare repository.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Create an empty metrics repository (collect also creates it on first use)."""
    from gitmetrics import store as storemod

    target = path if path is not None else store_path(load_config(config, required=False), None)
    st = storemod.init(target, bare=bare)
    console.print(f"Metrics repository ready at [bold]{escape(str(st.path))}[/]")


@app.command()
@handle_errors
def collect(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    repo: Annotated[
        list[str] | None,
        typer.Option("--repo", "-r", help="Only this repository (repeatable)."),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="Only repositories with this role (repeatable)."),
    ] = None,
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
    json_out: JsonOpt = False,
) -> None:
    """Read every repository's coverage report and commit one snapshot to the metrics repo."""
    from gitmetrics import collect as collectmod
    from gitmetrics import snapshot as snapmod
    from gitmetrics import store as storemod
    from gitmetrics.derive import make_deriver

    cfg = load_config(config)
    assert cfg is not None
    repos = cfg.select(tuple(repo or ()), tuple(role or ()))
    if not repos:
        raise ConfigError(
            f"{cfg.path}: no repositories to collect"
            + (" match the filters" if repo or role else " (the `repos:` list is empty)"),
            "add entries under `repos:`" if not (repo or role) else "check --repo/--role",
        )
    options = collectmod.Options(run=run, jobs=jobs)
    snap = _collect_with_progress(cfg, repos, options)
    data = snapmod.to_json(snap)  # validates before anything is written
    result: dict[str, Any] = {"commit": None, "snapshot_path": None, "dry_run": dry_run}
    if snap.summary.repos_ok == 0:
        _render_collect(snap, json_out, result)
        raise GitmetricsError(
            "nothing was collected: every repository failed, so no snapshot was committed",
            "fix the errors above, then run collect again",
        )
    if not dry_run:
        st = storemod.init(store_path(cfg, store))
        st.derive = make_deriver(cfg)
        done = st.commit_snapshot(snap, retention=cfg.retention)
        result.update(
            commit=done.commit, snapshot_path=done.snapshot_path, pruned=list(done.pruned)
        )
    else:
        result["snapshot_path"] = snapmod.file_name(snap, data)
    _render_collect(snap, json_out, result)
    if strict and snap.summary.repos_failed:
        raise typer.Exit(1)


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
            progress.update(task, advance=1, description=escape(r.name))

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
                escape(r.name),
                escape(r.role),
                fmt.pct(r.coverage),
                fmt.pct(r.branch_coverage),
                str(r.files_tested),
                escape(f"{r.report} ({r.format})"),
            )
        else:
            table.add_row(
                escape(r.name), escape(r.role), "[red]error[/]", "", "", "[red]see below[/]"
            )
    console.print(table)
    failures = [r for r in snap.repositories if not r.ok]
    if failures:
        console.print("\n[bold red]Errors:[/]")
        for r in failures:
            # one unwrapped line each, so paths and log names can be copied
            console.print(f"  [bold]{escape(r.name)}[/]: {escape(r.error or '')}", soft_wrap=True)
    s = snap.summary
    failed = f", [red]{s.repos_failed} failed[/]" if s.repos_failed else ""
    console.print(
        f"\n{s.repos_ok} of {s.repos_count} repos measured{failed}: "
        f"avg [bold]{fmt.pct(s.avg_coverage)}[/], lines-weighted {fmt.pct(s.weighted_coverage)}, "
        f"{s.total_files_tested} files"
    )
    if result.get("commit"):
        console.print(f"Committed {result['commit'][:10]}: {escape(result['snapshot_path'])}")
        if result.get("pruned"):
            console.print(
                f"Retention pruned {len(result['pruned'])} old snapshot file(s) from the tree"
            )
    elif result.get("dry_run") and s.repos_ok:
        console.print("Dry run: snapshot is valid; nothing was committed.")


@app.command()
@handle_errors
def history(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many collections to show.")
    ] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Show the coverage trend of the last collections, read from git history."""
    st = open_store(config, store)
    entries = list(st.history(limit=limit + 1))  # one more, for the oldest row's trend
    if not entries:
        raise GitmetricsError(
            f"{st.path}: the metrics repository has no collections yet",
            "run `gitmetrics collect` first",
        )
    from gitmetrics.trends import change

    rows = []
    for i, e in enumerate(entries[:limit]):
        prev = entries[i + 1] if i + 1 < len(entries) else None
        delta = change(e.avg_coverage, prev.avg_coverage if prev else None)
        rows.append((e, delta))
    if json_out:
        print_json(
            [
                {
                    "commit": e.commit,
                    "timestamp": e.timestamp,
                    "avg_coverage": e.avg_coverage,
                    "weighted_coverage": e.weighted_coverage,
                    "repos": e.repos,
                    "failed": e.failed,
                    "files": e.files,
                    "host": e.host,
                    "snapshot": e.snapshot_path,
                    "change": d,
                }
                for e, d in rows
            ]
        )
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("Timestamp")
    table.add_column("Avg Coverage", justify="right")
    table.add_column("Repos", justify="right")
    table.add_column("Files", justify="right")
    table.add_column("Trend", justify="right")
    for e, d in rows:
        repos = str(e.repos) if not e.failed else f"{e.repos} [red]({e.failed} failed)[/]"
        table.add_row(
            fmt.short_time(e.timestamp),
            fmt.pct(e.avg_coverage),
            repos,
            str(e.files),
            fmt.trend_markup(d),
        )
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
