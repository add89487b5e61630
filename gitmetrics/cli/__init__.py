"""The ``gitmetrics`` command line: parse options, call one core function, render."""

from __future__ import annotations

import os
import sys

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
    every = app.registered_commands
    only_invoked(sys.argv[1:])
    try:
        app()
    finally:
        app.registered_commands = every  # main() called again in this process sees them all


def only_invoked(args: list[str]) -> None:
    """Keep on ``app`` only the command that ``args`` name first, when they name one.

    typer builds every registered command's options from its signature on each run, though
    it runs one (24 commands: 12 ms, against 1 ms for commands of one option each); the
    command's own ``--help``, errors and output do not depend on its siblings. The root's
    ``--help``, an unknown name (typer's suggestions) and shell completion keep them all.
    """
    if not args or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return
    wanted = [
        c
        for c in app.registered_commands
        if (c.name or typer.main.get_command_name(getattr(c.callback, "__name__", ""))) == args[0]
    ]
    if len(wanted) == 1:
        app.registered_commands = wanted


__all__ = ["app", "main"]
