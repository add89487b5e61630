"""Store maintenance: ``gc`` packs the metrics repository, ``verify`` checks all of it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from gitmetrics import api
else:
    api = lazy_module("gitmetrics.api")


@app.command()
@handle_errors
def gc(config: ConfigOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Pack the metrics repository: one pack, snapshots stored as deltas, loose objects removed."""
    done = api.gc(config=config, store=store)
    if json_out:
        print_json(dataclasses.asdict(done))
    else:
        show.gc(console, done)


@app.command()
@handle_errors
def verify(config: ConfigOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Check every commit of the store: trailers, snapshots, layout (exit 1 on a problem)."""
    found = api.verify(config=config, store=store)
    if json_out:
        print_json({"store": found.store, "ok": found.ok, **dataclasses.asdict(found.audit)})
    else:
        show.verify(console, found.store, found.audit)
    if not found.ok:
        raise typer.Exit(1)
