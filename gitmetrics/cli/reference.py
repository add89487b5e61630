"""The command-line reference: every command's ``--help`` as Markdown (``docs/cli.md``).

``python -m gitmetrics.cli.reference > docs/cli.md`` regenerates the page. The help is
rendered by the plain (non-rich) formatter at a fixed width, so the page is the same on
every machine and terminal; ``tests/test_docs.py`` fails when the committed page is not
what this prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import typer
import typer.core

from gitmetrics.cli import app

#: The width the help is wrapped at, whatever the terminal.
WIDTH = 100

REGENERATE = "python -m gitmetrics.cli.reference > docs/cli.md"


def _plain(command: Any) -> None:
    """Render ``command`` (and its subcommands) without rich panels or colour."""
    if isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup):
        command.rich_markup_mode = None


def _walk(command: Any, ctx: typer.Context) -> Iterator[tuple[str, str]]:
    """(path, plain help) of ``command`` and of every subcommand below it, in --help order."""
    _plain(command)
    yield ctx.command_path, command.get_help(ctx).rstrip()
    for name in command.list_commands(ctx) if isinstance(command, typer.core.TyperGroup) else []:
        sub = command.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        sub_ctx = typer.Context(
            sub, info_name=name, parent=ctx, terminal_width=WIDTH, max_content_width=WIDTH
        )
        yield from _walk(sub, sub_ctx)


def sections() -> list[tuple[str, str]]:
    """(``gitmetrics CMD``, its --help) for the app and every command."""
    root = typer.main.get_command(app)
    settings = dict(root.context_settings)
    settings.update(terminal_width=WIDTH, max_content_width=WIDTH, color=False)
    ctx = typer.Context(root, info_name="gitmetrics", **settings)
    return list(_walk(root, ctx))


def _anchor(title: str) -> str:
    return title.lower().replace(" ", "-")


def markdown() -> str:
    """The whole reference page."""
    parts = sections()
    lines = [
        "# Command-line reference",
        "",
        "The `--help` of every command, generated from the commands themselves. Do not edit",
        "this page by hand; regenerate it with",
        "",
        "```sh",
        REGENERATE,
        "```",
        "",
        "What each command does, with examples of its output: the",
        "[documentation index](README.md).",
        "",
    ]
    lines += [f"- [`{title}`](#{_anchor(title)})" for title, _ in parts]
    for title, text in parts:
        lines += ["", f"## {title}", "", "```text", text, "```"]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
