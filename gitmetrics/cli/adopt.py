"""Adopting gitmetrics: ``import`` existing history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitmetrics import api
from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    StoreOpt,
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
            help="A directory of seed metrics_*.json files, or saved Codecov/Coveralls JSON.",
            show_default=False,
            metavar="PATH...",
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="seed, codecov or coveralls (default: recognised by content).",
            show_default=False,
            metavar="KIND",
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            "-r",
            help="The repository a Codecov or Coveralls file belongs to.",
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
