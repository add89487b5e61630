"""Sync between machines: ``push``, ``pull``, ``sync`` and ``clone``."""

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
    handle_errors,
    pick_format,
    show,
)
from gitmetrics.cli.common import (
    views as terminal,
)

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


def _run(action: str, out: str, opts: "api.SyncOptions") -> None:
    show("sync", out, api.sync(action, opts), terminal.sync)


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
    format: FormatOpt = "table",
) -> None:
    """Send new snapshots to the remote; merges first when another machine pushed (never forces)."""
    opts = api.SyncOptions(config, store, remote, username, allow_unrelated, timeout)
    _run("push", pick_format(format, json_out), opts)


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
    format: FormatOpt = "table",
) -> None:
    """Fetch the remote's snapshots and merge them into the store."""
    opts = api.SyncOptions(config, store, remote, username, allow_unrelated, timeout)
    _run("pull", pick_format(format, json_out), opts)


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
    format: FormatOpt = "table",
) -> None:
    """Pull then push in one step: afterwards both sides have the same history."""
    opts = api.SyncOptions(config, store, remote, username, allow_unrelated, timeout)
    _run("sync", pick_format(format, json_out), opts)


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
    format: FormatOpt = "table",
) -> None:
    """Start a store from an existing remote and remember it for push/pull/sync."""
    out = pick_format(format, json_out)
    done = api.clone(url, path, config=config, username=username, bare=bare, timeout=timeout)
    show("clone", out, done, terminal.clone)
