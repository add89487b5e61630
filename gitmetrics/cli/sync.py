"""Sync between machines: ``push``, ``pull``, ``sync`` and ``clone``."""

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
from gitmetrics.render import terminal as show
from gitmetrics.render.escape import terminal

if TYPE_CHECKING:
    from gitmetrics import api
else:
    api = lazy_module("gitmetrics.api")

RemoteOpt = Annotated[
    str | None,
    typer.Option(
        "--remote",
        help="Git remote: a path, file://, ssh://, user@host:path, git:// or https:// "
        "(default: `remote:` in the config, else the store's recorded origin).",
        show_default=False,
    ),
]
UsernameOpt = Annotated[
    str | None,
    typer.Option(
        "--username",
        help="User name sent with $GITMETRICS_TOKEN over https "
        "(default: `remote_username:` in the config, else x-access-token).",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0.1,
        help="Seconds to wait for the remote to connect and for each answer "
        "(default: `network_timeout:` in the config, else 60).",
        show_default=False,
    ),
]
UnrelatedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unrelated",
        help="Merge a remote store whose history shares no commit with this one.",
    ),
]


def _run(action: str, json_out: bool, opts: api.SyncOptions) -> None:
    result = api.sync(action, opts)
    if json_out:
        print_json(result.to_dict())
    else:
        show.sync(console, result)


@app.command()
@handle_errors
def push(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    remote: RemoteOpt = None,
    username: UsernameOpt = None,
    allow_unrelated: UnrelatedOpt = False,
    timeout: TimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send new snapshots to the remote; merges first when another machine pushed (never forces)."""
    _run(
        "push", json_out, api.SyncOptions(config, store, remote, username, allow_unrelated, timeout)
    )


@app.command()
@handle_errors
def pull(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    remote: RemoteOpt = None,
    username: UsernameOpt = None,
    allow_unrelated: UnrelatedOpt = False,
    timeout: TimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fetch the remote's snapshots and merge them into the store."""
    _run(
        "pull", json_out, api.SyncOptions(config, store, remote, username, allow_unrelated, timeout)
    )


@app.command()
@handle_errors
def sync(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    remote: RemoteOpt = None,
    username: UsernameOpt = None,
    allow_unrelated: UnrelatedOpt = False,
    timeout: TimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Pull then push in one step: afterwards both sides have the same history."""
    _run(
        "sync", json_out, api.SyncOptions(config, store, remote, username, allow_unrelated, timeout)
    )


@app.command()
@handle_errors
def clone(
    url: Annotated[str, typer.Argument(help="The remote to copy (any URL `--remote` takes).")],
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Where to create the store (default: `store:` in the config, else ./metrics)."
        ),
    ] = None,
    config: ConfigOpt = None,
    username: UsernameOpt = None,
    bare: Annotated[bool, typer.Option("--bare", help="Create a bare repository.")] = False,
    timeout: TimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Start a store from an existing remote and remember it for push/pull/sync."""
    done = api.clone(url, path, config=config, username=username, bare=bare, timeout=timeout)
    if json_out:
        print_json({**done.result.to_dict(), "store": str(done.store)})
        return
    console.print(f"Cloned into [bold]{terminal(str(done.store))}[/]")
    show.sync(console, done.result)
