"""``dashboard``: one self-contained HTML page of the whole coverage history."""

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
    console,
    handle_errors,
    pick_format,
    show,
)
from gitmetrics.cli.common import (
    views as terminal,
)


@app.command()
@handle_errors
def dashboard(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The HTML file to write.", dir_okay=False),
    ] = Path("dashboard.html"),
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the page in your web browser afterwards.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Show the dashboard as it was at this revision of the metrics repo "
            "(a commit id, tag or HEAD~N).",
            show_default=False,
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            help="Only the last N days before the newest snapshot (default: all history).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Write an HTML dashboard (one file, works offline) of the coverage history."""
    out = pick_format(format, json_out)
    done = api.dashboard(config=config, store=store, output=output, at=at, days=days)
    show("dashboard", out, done, terminal.dashboard)
    if open_page:
        import webbrowser

        if not webbrowser.open(output.resolve().as_uri()):
            console.print("No web browser found; open the file yourself.")
