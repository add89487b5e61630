"""What every command shares: the app, consoles, common options, error handling."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from gitmetrics.errors import GitmetricsError, forget_warnings, os_error
from gitmetrics.render.escape import terminal

app = typer.Typer(
    name="gitmetrics",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _width() -> int | None:
    """The terminal's width; 120 columns when output goes to a file or a pipe."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    return None if sys.stdout.isatty() else 120


# no highlighting and no :emoji: codes: text from a config or a snapshot is shown as it is
console = Console(highlight=False, emoji=False, width=_width())
# messages are never wrapped: a path or URL must stay on one line to be copied
console_err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="GITMETRICS_CONFIG",
        help="Config file (default: $GITMETRICS_CONFIG, else the nearest repos.yaml here or above).",
        show_default=False,
        dir_okay=False,
    ),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Metrics repository (default: `store:` in the config, else ./metrics).",
        show_default=False,
        file_okay=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
RepoOpt = Annotated[
    list[str] | None,
    typer.Option("--repo", "-r", help="Only this repository (repeatable).", show_default=False),
]
RoleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--role", help="Only repositories with this role (repeatable).", show_default=False
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`GitmetricsError` or an ``OSError`` (a full disk, a read-only or
    unreadable path) into a message on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        forget_warnings()
        try:
            return func(*args, **kwargs)
        except (GitmetricsError, OSError) as exc:
            error = user_error(exc, func.__name__)
            report_error(error)
            raise typer.Exit(error.exit_code) from None

    return wrapper


def user_error(exc: GitmetricsError | OSError, command: str) -> GitmetricsError:
    """``exc`` as a user-facing error of ``gitmetrics <command>``."""
    return exc if isinstance(exc, GitmetricsError) else os_error(exc, command)


def report_error(exc: GitmetricsError) -> None:
    """Print a user-facing error (and its hint) on stderr."""
    console_err.print(f"[bold red]error:[/] {terminal(exc.message)}")
    if exc.hint:
        console_err.print(f"  [dim]hint:[/] {terminal(exc.hint)}")


def print_json(data: Any) -> None:
    """JSON on stdout, stable and readable (sorted keys, indent 2)."""
    from gitmetrics.render.escape import json_text

    typer.echo(json_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)))


def progress_enabled() -> bool:
    """Progress bars only where a person watches (a terminal, not CI logs)."""
    return console_err.is_terminal and not os.environ.get("CI")


def Table(*args: Any, **kwargs: Any) -> Any:
    """rich's Table, imported on first use: `gitmetrics --help` never needs it."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)
