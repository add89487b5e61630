"""Store maintenance: ``gc`` packs the metrics repository, ``verify`` checks all of it."""

from __future__ import annotations

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
from gitmetrics.render.escape import visible


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


@app.command()
@handle_errors
def verify(config: ConfigOpt = None, store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Check every commit of the store: trailers, snapshots, layout (exit 1 on a problem)."""
    # readers trust what the store wrote; this is the gate's check of what a remote sends,
    # over the whole history with nothing trusted
    from gitmetrics import store as storemod
    from gitmetrics.cli.core import load_config, store_path
    from gitmetrics.cli.sync import limits
    from gitmetrics.store import gate

    cfg = load_config(config, required=config is not None)
    st = storemod.open_store(store_path(cfg, store))
    try:
        head = st.head()
        found = (
            gate.audit(st.repo.object_store, head, limits=limits(cfg, st.path))
            if head is not None
            else gate.Audit(0, 0, ())
        )
    finally:
        st.close()
    if json_out:
        print_json(
            {
                "store": str(st.path),
                "ok": not found.problems,
                "commits": found.commits,
                "collections": found.collections,
                "problems": [
                    {"commit": p.commit, "path": p.path, "message": p.message, "hint": p.hint}
                    for p in found.problems
                ],
            }
        )
    else:
        for p in found.problems:
            console.print(
                f"commit {p.commit[:10]}: {visible(p.message)}", markup=False, soft_wrap=True
            )
        counted = f"{found.commits:,} commits ({found.collections:,} collections) of {st.path}"
        if found.problems:
            console.print(f"{len(found.problems)} problem(s) in {counted}", markup=False)
        else:
            console.print(f"verified {counted}: no problems", markup=False)
    if found.problems:
        raise typer.Exit(1)
