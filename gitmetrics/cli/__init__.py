"""The ``gitmetrics`` command line: parse options, call one core function, render."""

from __future__ import annotations

import typer

from gitmetrics import __version__
from gitmetrics.cli.common import app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gitmetrics {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Track test coverage across many repositories, with a git repository as the database."""


# Each module registers its commands on ``app``; the import order is the order in --help.
from gitmetrics.cli import adopt as _adopt  # noqa: E402,F401
from gitmetrics.cli import (  # noqa: E402
    core,  # noqa: F401
    views,  # noqa: F401
)
from gitmetrics.cli import dashboard as _dashboard  # noqa: E402,F401
from gitmetrics.cli import gates as _gates  # noqa: E402,F401
from gitmetrics.cli import maintenance as _maintenance  # noqa: E402,F401
from gitmetrics.cli import patch as _patch  # noqa: E402,F401
from gitmetrics.cli import sync as _sync  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
