"""What every command shares: the app, consoles, common options, error handling."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from gitmetrics.errors import GitmetricsError, forget_warnings, os_error
from gitmetrics.render.escape import terminal


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, executed on first use of one of its names (``--help`` and
    ``--version`` never need :mod:`gitmetrics.api`)."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module


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


FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Output: table (the terminal), json, markdown or csv.",
    ),
]
MarkdownOpt = Annotated[
    bool, typer.Option("--markdown", help="Print Markdown (the same as --format markdown).")
]


def pick_format(fmt: str, json_out: bool = False, markdown_out: bool = False) -> str:
    """The output format of ``--format``, ``--json`` or ``--markdown`` (one of them)."""
    from gitmetrics.render.registry import FORMATS

    if fmt not in FORMATS:
        raise GitmetricsError(
            f"--format {fmt}: unknown format", f"use one of: {', '.join(FORMATS)}"
        )
    aliases = [name for name, on in (("json", json_out), ("markdown", markdown_out)) if on]
    if len(aliases) > 1 or (aliases and fmt != "table" and fmt != aliases[0]):
        raise GitmetricsError(
            "--json, --markdown and --format exclude each other", "pick one of them"
        )
    return aliases[0] if aliases else fmt


def print_text(view_name: str, fmt: str, view: Any) -> None:
    """``view`` rendered as ``fmt`` on stdout (json, markdown or csv)."""
    from gitmetrics.render.registry import text

    typer.echo(text(view_name, fmt, view), nl=False)


def stream_json(rows: Iterable[Any]) -> None:
    """A JSON list on stdout, written a row at a time."""
    from gitmetrics.render.registry import json_stream

    for chunk in json_stream(rows):
        typer.echo(chunk, nl=False)
