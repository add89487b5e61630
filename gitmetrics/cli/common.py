"""What every command shares: the app, consoles, common options, error handling."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
import typer.core
from rich.console import Console

from gitmetrics.duration import UNITS_HELP
from gitmetrics.errors import ExitCode, GitmetricsError, forget_warnings, os_error
from gitmetrics.render.escape import terminal

#: typer's type labels (``<int range>``) as ``--help`` shows them; ``None``: nothing (a flag)
_PLAIN = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "NUMBER",
          "float range": "NUMBER", "file": "FILE", "dir": "DIR", "path": "PATH", "Path": "PATH",
          "bool": None}  # fmt: skip


def plain_type(label: str | None, many: bool = False) -> str | None:
    """What ``--help`` shows for typer's ``<label>``: ``INTEGER``, ``NUMBER``, ``FILE``,
    ``TEXT...`` for a repeatable one, nothing for a flag (not ``<bool>``, ``<list[str]>``)."""
    if label is None:
        return None
    inner = label.removeprefix("<").removesuffix(">")
    if inner.startswith("list[") and inner.endswith("]"):
        inner, many = inner[5:-1], True
    if inner in _PLAIN and _PLAIN[inner] is None:
        return None
    text = _PLAIN.get(inner) or (inner if "|" in inner else inner.upper())
    return text + ("..." if many else "")


class _PlainOption(typer.core.TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        return plain_type(self.display_type(ctx), self.multiple)


class _PlainArgument(typer.core.TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return None  # the name column shows it already
        return plain_type(self.display_type(ctx), self.nargs == -1)


def plain_metavars(params: Iterable[Any]) -> None:
    """Show plain types in ``--help`` (DESIGN: what a person reads, not Python's names)."""
    for param in params:
        if type(param) is typer.core.TyperOption:
            param.__class__ = _PlainOption
        elif type(param) is typer.core.TyperArgument:
            param.__class__ = _PlainArgument


class _Group(typer.core.TyperGroup):
    """The app's group: every command's help shows plain types (:func:`plain_metavars`)."""

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)
        plain_metavars(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            plain_metavars(command.get_params(ctx))
        return command


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


#: the api, loaded on its first use (``--help`` and ``--version`` never need it); every
#: command module takes it from here, and the terminal renderers (``views``) likewise
if TYPE_CHECKING:
    from gitmetrics import api as api
    from gitmetrics.render import terminal as _terminal

    views = _terminal
else:
    api = lazy_module("gitmetrics.api")
    views = lazy_module("gitmetrics.render.terminal")


app = typer.Typer(
    cls=_Group,
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
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts (the same as --format json).")
]
RepoOpt = Annotated[
    list[str] | None,
    typer.Option("--repo", "-r", help="Only this repository (repeatable).", show_default=False),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only collections since then: a duration ago (30m, 12h, 7d, 2w, 3mo; "
        f"units: {UNITS_HELP}) or a date (2026-11-01).",
    ),
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
    unreadable path) into a message on stderr, or under ``--json`` / ``--format json``
    into ``{"error": {...}}`` on stdout, and its exit code (1)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        forget_warnings()
        width = _width()  # $COLUMNS as the command starts (tests run many in one process)
        if width is not None:
            console.width = width
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            # the reader of stdout stopped reading (`| head`): stop quietly, as git does;
            # stdout is pointed at /dev/null so the interpreter's last flush cannot fail
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(ExitCode.PIPE) from None
        except (GitmetricsError, OSError) as exc:
            error = user_error(exc, func.__name__.rstrip("_"))
            if kwargs.get("json_out") or kwargs.get("format") == "json":
                print_error_json(error)
            else:
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


def print_error_json(exc: GitmetricsError) -> None:
    """A user-facing error as ``{"error": {"message", "hint", "code", "exit_code"}}`` on stdout."""
    from gitmetrics.render import data
    from gitmetrics.render.registry import json_text

    typer.echo(json_text(data.error(exc)), nl=False)


def progress_enabled() -> bool:
    """Progress bars only where a person watches (a terminal, not CI logs)."""
    return console_err.is_terminal and not os.environ.get("CI")


FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Output: table (the terminal), json, markdown or csv.",
        metavar="FORMAT",
    ),
]
MarkdownOpt = Annotated[
    bool, typer.Option("--markdown", help="Print Markdown (the same as --format markdown).")
]


def pick_format(
    fmt: str,
    json_out: bool = False,
    markdown_out: bool = False,
    *,
    formats: Sequence[str] = (),
    default: str = "table",
) -> str:
    """The output format of ``--format``, ``--json`` or ``--markdown`` (one of them).

    ``formats``: what this command's ``--format`` takes (default: table, json, markdown, csv);
    ``default``: its default, which ``--json`` or ``--markdown`` replace.
    """
    from gitmetrics.render import FORMATS

    known = tuple(formats) or FORMATS
    if fmt not in known:
        raise GitmetricsError(f"--format {fmt}: unknown format", f"use one of: {', '.join(known)}")
    aliases = [name for name, on in (("json", json_out), ("markdown", markdown_out)) if on]
    if len(aliases) > 1 or (aliases and fmt != default and fmt != aliases[0]):
        raise GitmetricsError(
            "--json, --markdown and --format exclude each other", "pick one of them"
        )
    return aliases[0] if aliases else fmt


def show(name: str, fmt: str, view: Any, table: Callable[[Console, Any], None]) -> None:
    """``view`` of output ``name`` on stdout: ``table`` draws it in the terminal, the
    registry renders json, markdown or csv."""
    if fmt == "table":
        table(console, view)
        return
    from gitmetrics.render.registry import text

    typer.echo(text(name, fmt, view), nl=False)


def show_failed(
    name: str, fmt: str, view: Any, table: Callable[[Console, Any], None], error: GitmetricsError
) -> None:
    """``view`` of a command that failed after doing some of its work, then ``error``.

    Under json one document: the output's data with an ``error`` member beside it.
    """
    if fmt != "json":
        show(name, fmt, view, table)
        raise error
    from gitmetrics.render import data
    from gitmetrics.render.registry import json_text, plain

    typer.echo(json_text({**plain(name, view), **data.error(error)}), nl=False)
    raise typer.Exit(error.exit_code)


def echo_chunks(chunks: Iterable[str]) -> None:
    """Text on stdout as it comes (a streamed list, a streamed table)."""
    for chunk in chunks:
        typer.echo(chunk, nl=False)


def gate(failed: bool) -> None:
    """End the command with :attr:`ExitCode.GATE` when its gate failed."""
    if failed:
        raise typer.Exit(ExitCode.GATE)
