"""Adopting gitmetrics: ``import`` existing history."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    RepoOpt,
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
from gitmetrics.render.escape import terminal as escaped


@app.command("import")
@handle_errors
def import_(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="A directory of seed metrics_*.json files, saved Codecov/Coveralls JSON, "
            "or (--from reports) a directory of one repository's saved coverage reports.",
            show_default=False,
            metavar="PATH...",
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="seed, codecov, coveralls or reports (default: recognised by content; "
            "reports: each file a coverage report dated by its name, e.g. "
            "coverage-2026-11-03T101500Z.xml, placed in history by that time).",
            show_default=False,
            metavar="KIND",
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            "-r",
            help="The repository a Codecov or Coveralls file, or saved reports, belong to.",
            show_default=False,
            metavar="NAME",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check the files; commit nothing.")
    ] = False,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Import existing history: one collection per file entry, dated by its own timestamp.

    Importing the same files again adds nothing.
    """
    out = pick_format(format, json_out)
    done = api.import_history(
        sources, kind=kind, repo=repo, dry_run=dry_run, config=config, store=store
    )
    show("import", out, done, terminal.imported)


@app.command("export")
@handle_errors
def export(
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="csv, jsonl, parquet (needs pyarrow: gitmetrics[parquet]) or sqlite.",
            metavar="FORMAT",
        ),
    ] = "csv",
    files: Annotated[
        bool,
        typer.Option("--files", help="One row per file per measurement instead of per repository."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (replaced whole when complete); csv and jsonl "
            "go to stdout without it.",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", min=1, help="Only the newest N collections.", metavar="INTEGER"
        ),
    ] = None,
    since: SinceOpt = None,
    repo: RepoOpt = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Export the history as rows for a database: one per repository per collection (or
    with --files one per file per measurement), oldest first."""
    done = api.export(
        config=config,
        store=store,
        fmt=format,
        files=files,
        output=output,
        stdout=sys.stdout if output is None else None,
        limit=limit,
        since=since,
        repo=repo or (),
    )
    if done.output is not None:
        console.print(f"Exported {done.rows:,} rows ({done.table}) to {escaped(str(done.output))}")
