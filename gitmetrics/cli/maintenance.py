"""Store maintenance: ``gc`` packs the metrics repository, ``verify`` checks all of it."""

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    StoreOpt,
    api,
    app,
    gate,
    handle_errors,
    pick_format,
    show,
)
from gitmetrics.cli.common import (
    views as terminal,
)


@app.command()
@handle_errors
def gc(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Pack the metrics repository: one pack, snapshots stored as deltas, loose objects removed."""
    out = pick_format(format, json_out)
    show("gc", out, api.gc(config=config, store=store), terminal.gc)


@app.command()
@handle_errors
def verify(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Check every commit of the store: trailers, snapshots, layout (exit 3 on a problem)."""
    out = pick_format(format, json_out)
    found = api.verify(config=config, store=store)
    show("verify", out, found, terminal.verify)
    gate(not found.ok)
