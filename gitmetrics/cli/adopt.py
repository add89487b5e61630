"""Adopting gitmetrics: ``import`` existing history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitmetrics import api
from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    handle_errors,
    print_json,
)
from gitmetrics.render.escape import terminal


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
