"""Adopting gitmetrics: ``import`` existing history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    StoreOpt,
    api,
    app,
    handle_errors,
    pick_format,
    show,
)
from gitmetrics.render import terminal


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
