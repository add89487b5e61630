"""Adopting gitmetrics: ``import`` existing history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    handle_errors,
    lazy_module,
    print_json,
)
from gitmetrics.render.escape import terminal

if TYPE_CHECKING:
    from gitmetrics import api
else:
    api = lazy_module("gitmetrics.api")


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
) -> None:
    """Import existing history: one collection per file entry, dated by its own timestamp.

    Importing the same files again adds nothing.
    """
    done = api.import_history(
        sources, kind=kind, repo=repo, dry_run=dry_run, config=config, store=store
    )
    new, already, commits = done.imported, done.already, done.commits
    if json_out:
        print_json(
            {
                "imported": [
                    {"timestamp": s.timestamp, "host": s.host, "repos": len(s.repositories)}
                    for s in new
                ],
                "already": already,
                "commits": list(commits),
                "skipped": list(done.skipped),
                "dry_run": dry_run,
            }
        )
        return
    for note in done.skipped:
        console.print(f"[dim]skipped {terminal(note)}[/]")
    verb = "Would import" if dry_run else "Imported"
    span = f": {new[0].timestamp} to {new[-1].timestamp}" if new else ""
    console.print(f"{verb} {len(new)} collection(s){span}; {already} already in the store")
