"""Store maintenance: ``gc`` packs the metrics repository."""

from __future__ import annotations

from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    handle_errors,
    print_json,
)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)  # pragma: no cover - the loop always returns


@app.command()
@handle_errors
def gc(config: ConfigOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Pack the metrics repository: one pack, snapshots stored as deltas, loose objects removed."""
    from gitmetrics.cli.core import open_store
    from gitmetrics.store import pack

    st = open_store(config, store)
    done = pack.gc(st)
    if json_out:
        print_json(
            {
                "objects": done.objects,
                "deltas": done.deltas,
                "loose_removed": done.loose_removed,
                "packs_removed": done.packs_removed,
                "bytes_before": done.bytes_before,
                "bytes_after": done.bytes_after,
            }
        )
        return
    if not done.objects:
        console.print("Nothing to pack: the metrics repository is empty.")
        return
    console.print(
        f"Packed {done.objects:,} objects ({done.deltas:,} as deltas) into one pack; "
        f"removed {done.loose_removed:,} loose objects and {done.packs_removed} old pack(s)."
    )
    console.print(f"Objects on disk: {_size(done.bytes_before)} -> {_size(done.bytes_after)}")
