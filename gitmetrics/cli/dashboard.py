"""``dashboard``: one self-contained HTML page of the whole coverage history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

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
from gitmetrics.errors import GitmetricsError
from gitmetrics.render.escape import terminal


@app.command()
@handle_errors
def dashboard(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The HTML file to write.", dir_okay=False),
    ] = Path("dashboard.html"),
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the page in your web browser afterwards.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Show the dashboard as it was at this revision of the metrics repo "
            "(a commit id, tag or HEAD~N).",
            show_default=False,
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            help="Only the last N days before the newest snapshot (default: all history).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write an HTML dashboard (one file, works offline) of the coverage history."""
    from gitmetrics import dashboard as shape
    from gitmetrics import store as storemod
    from gitmetrics.render.dashboard import render
    from gitmetrics.snapshot import now_timestamp, parse_timestamp

    cfg = load_config(config, required=config is not None or store is None)
    from gitmetrics import config as configmod

    min_coverage = cfg.min_coverage if cfg is not None else configmod.DEFAULT_MIN_COVERAGE
    st = storemod.open_store(store_path(cfg, store))
    try:
        rev = st.resolve(at) if at is not None else st.head()
        entries = list(st.history(rev=rev)) if rev is not None else []
        if not entries:
            raise GitmetricsError(
                f"{st.path}: the metrics repository has no collections"
                + (f" at {at}" if at else " yet"),
                "run `gitmetrics collect` first" if at is None else "see `gitmetrics history`",
            )
        if days is not None:
            # trailers carry the timestamp: skip reading snapshots outside the window
            newest = max(parse_timestamp(e.timestamp) for e in entries)
            start = newest - timedelta(days=days)
            entries = [e for e in entries if parse_timestamp(e.timestamp) >= start]
        # one snapshot at a time: only the columns and the newest snapshot are kept
        data = shape.build(
            _stored(st, entries),
            min_coverage=min_coverage,
            days=days,
            generated=now_timestamp(),
            at=at,
        )
    finally:
        st.close()
    page = render(data)
    count = len(data["series"]["t"])
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise GitmetricsError(
            f"{output}: cannot write the dashboard: {exc.strerror or exc}",
            "choose another --output path",
        ) from None
    if json_out:
        print_json(
            {
                "output": str(output),
                "snapshots": count,
                "at": rev,
                "bytes": len(page.encode()),
            }
        )
    else:
        console.print(
            f"Wrote [bold]{terminal(str(output))}[/] ({count} snapshots, "
            f"{len(page.encode()) / 1024:,.0f} KiB)" + (f" as of {terminal(at)}" if at else "")
        )
    if open_page:
        import webbrowser

        if not webbrowser.open(output.resolve().as_uri()):
            console.print("No web browser found; open the file yourself.")


def _stored(st: Any, entries: Iterable[Any]) -> Iterator[Any]:
    """Each collection's snapshot file as data (the store's own, so not validated again)."""
    import json

    from gitmetrics import dashboard as shape
    from gitmetrics.errors import warn

    objects = st.repo.object_store
    for e in entries:
        sha = st.lookup(st.repo[e.commit.encode()].tree, e.snapshot_path)
        try:
            data = json.loads(objects.get_raw(sha)[1]) if sha is not None else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            warn(f"skipped collection {e.commit[:10]}: no readable {e.snapshot_path}")
            continue
        yield shape.Stored(data, e.commit, e.snapshot_path)
