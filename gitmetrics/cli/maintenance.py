"""Store maintenance: ``gc`` packs the metrics repository."""

from __future__ import annotations

import dataclasses

from gitmetrics import api
from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    handle_errors,
    print_json,
)
from gitmetrics.render import terminal as show


@app.command()
@handle_errors
def gc(config: ConfigOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Pack the metrics repository: one pack, snapshots stored as deltas, loose objects removed."""
    done = api.gc(config=config, store=store)
    if json_out:
        print_json(dataclasses.asdict(done))
    else:
        show.gc(console, done)
