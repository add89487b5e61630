"""Sync between machines: ``push``, ``pull``, ``sync`` and ``clone``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    handle_errors,
    print_json,
)
from gitmetrics.cli.core import load_config, store_path
from gitmetrics.errors import SyncError
from gitmetrics.render.escape import terminal

if TYPE_CHECKING:
    from gitmetrics.config import Config
    from gitmetrics.store import Store
    from gitmetrics.store.sync import Remote, SyncResult

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


def _optional_config(config: Path | None) -> Config | None:
    from gitmetrics import config as configmod

    if config is None and not configmod.config_path(None).exists():
        return None
    return load_config(config)


def make_remote(
    cfg: Config | None, url: str | None, username: str | None, timeout: float | None = None
) -> Remote:
    """The remote named by the options, then the config (a path there is relative to it)."""
    from gitmetrics import config as configmod
    from gitmetrics.store import sync as syncmod

    if url is None and cfg is not None and cfg.remote:
        url = cfg.remote
        if syncmod.transport_kind(url) == "local" and not Path(url).expanduser().is_absolute():
            url = str(cfg.path.resolve().parent / url)
    if url is None:
        raise SyncError(
            "no remote to sync with",
            "set `remote:` in repos.yaml, pass --remote URL, or start with `gitmetrics clone URL`",
        )
    if username is None and cfg is not None:
        username = cfg.raw.get("remote_username")
    if timeout is None:
        timeout = cfg.network_timeout if cfg is not None else configmod.DEFAULT_NETWORK_TIMEOUT
    return syncmod.make_remote(url, username=username, timeout=timeout)


def limits(cfg: Config | None, store: Path) -> Any:
    """What a remote may send, from the config (its cap, its issues file in the store)."""
    from gitmetrics import coordination
    from gitmetrics.store import gate

    if cfg is None:
        return gate.Limits()
    extra = coordination.location(cfg, store).tree_path
    return gate.Limits(
        max_file_bytes=cfg.max_remote_file_bytes, extra_paths=(extra,) if extra else ()
    )


def _deriving_store(cfg: Config | None, path: Path) -> Store:
    from gitmetrics import config as configmod
    from gitmetrics import store as storemod
    from gitmetrics.derive import make_deriver

    st = storemod.open_store(path)
    base = cfg or configmod.Config(path=configmod.config_path(None), store=path, repos=())
    st.derive = make_deriver(base)
    return st


def _retention(cfg: Config | None) -> int:
    from gitmetrics import config as configmod

    return cfg.retention if cfg is not None else configmod.DEFAULT_RETENTION


def _run(
    action: str,
    config: Path | None,
    store: Path | None,
    remote: str | None,
    username: str | None,
    allow_unrelated: bool,
    json_out: bool,
    timeout: float | None,
) -> None:
    from gitmetrics.store import sync as syncmod

    cfg = _optional_config(config)
    st = _deriving_store(cfg, store_path(cfg, store))
    try:
        recorded = syncmod.recorded_url(st)
        if remote is None and (cfg is None or not cfg.remote):
            remote = recorded
        rem = make_remote(cfg, remote, username, timeout)
        ops = {"push": syncmod.push, "pull": syncmod.pull, "sync": syncmod.sync}
        result = ops[action](
            st,
            rem,
            retention=_retention(cfg),
            allow_unrelated=allow_unrelated,
            limits=limits(cfg, st.path),
        )
        if recorded is None:
            # like git clone: the first remote a store syncs with becomes its origin
            syncmod.record_remote(st, rem)
    finally:
        st.close()
    render(result, json_out)


def render(result: SyncResult, json_out: bool) -> None:
    """Print what moved (or the JSON of it)."""
    if json_out:
        print_json(result.to_dict())
        return
    verb = {"push": "Pushed to", "pull": "Pulled from", "sync": "Synced with"}[result.action]
    console.print(f"{verb} [bold]{terminal(result.remote)}[/]")
    if result.up_to_date:
        console.print("  already up to date")
    else:
        console.print(
            f"  received {_n(result.commits_received, 'commit')} "
            f"({_n(result.snapshots_received, 'snapshot')}), "
            f"sent {_n(result.commits_sent, 'commit')} "
            f"({_n(result.snapshots_sent, 'snapshot')})"
        )
        how = "merged both histories" if result.merged else ""
        how = how or ("fast-forward" if result.fast_forward else "")
        if how:
            console.print(f"  {how}")
    if result.attempts > 1:
        console.print(f"  the remote moved meanwhile: merged and retried ({result.attempts} tries)")
    head = result.head[:10] if result.head else "(empty)"
    console.print(f"  head {head}")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


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
    _run("push", config, store, remote, username, allow_unrelated, json_out, timeout)


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
    _run("pull", config, store, remote, username, allow_unrelated, json_out, timeout)


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
    _run("sync", config, store, remote, username, allow_unrelated, json_out, timeout)


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
    from gitmetrics.store import sync as syncmod

    cfg = _optional_config(config)
    target = path if path is not None else store_path(cfg, None)
    rem = _named_remote(cfg, url, username, timeout)
    st, result = syncmod.clone(
        target, rem, retention=_retention(cfg), bare=bare, limits=limits(cfg, target)
    )
    st.close()
    if json_out:
        print_json({**result.to_dict(), "store": str(target)})
        return
    console.print(f"Cloned into [bold]{terminal(str(target))}[/]")
    render(result, json_out=False)


def attach_remote(store: Store, cfg: Config | None, url: str, username: str | None) -> Any:
    """Record ``url`` as the store's origin and pull it (used by ``init --remote``)."""
    from gitmetrics import config as configmod
    from gitmetrics.derive import make_deriver
    from gitmetrics.store import sync as syncmod

    rem = _named_remote(cfg, url, username, None)
    base = cfg or configmod.Config(path=configmod.config_path(None), store=store.path, repos=())
    store.derive = make_deriver(base)
    syncmod.record_remote(store, rem)
    return syncmod.pull(store, rem, retention=_retention(cfg), limits=limits(cfg, store.path))


def _named_remote(
    cfg: Config | None, url: str, username: str | None, timeout: float | None
) -> Remote:
    """A remote given on the command line (never the config's `remote:`), config defaults."""
    return make_remote(
        None,
        url,
        username or (cfg.raw.get("remote_username") if cfg else None),
        timeout if timeout is not None or cfg is None else cfg.network_timeout,
    )
