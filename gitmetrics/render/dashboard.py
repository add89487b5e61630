"""The HTML dashboard: one self-contained file (styles, script, data) that makes no requests."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from gitmetrics import __version__
from gitmetrics import dashboard as shape
from gitmetrics import snapshot as snapmod
from gitmetrics.config import Config
from gitmetrics.errors import GitmetricsError
from gitmetrics.history import Collection
from gitmetrics.render import escape
from gitmetrics.snapshot import Snapshot, parse_timestamp

if TYPE_CHECKING:
    from gitmetrics.store import DeriveContext

#: Where ``collect`` writes the dashboard in the metrics repository (``dashboard: true``).
DERIVED_PATH = "dashboard/index.html"

_PLACEHOLDER = re.compile(r"@@([A-Z]+)@@")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_DATA_OPEN = '<script type="application/json" id="gm-data">'


@cache
def template() -> str:
    """The page template shipped beside this module."""
    return resources.files("gitmetrics.render").joinpath("dashboard.html").read_text("utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def embed_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return escape.json_text(text, for_html=True)


@cache
def content_security_policy(page: str) -> str:
    """Nothing may load; only this page's own style and script (by hash) may run."""
    styles = " ".join(_sha256(m) for m in _STYLE.findall(page))
    scripts = " ".join(_sha256(m) for m in _SCRIPT.findall(page))
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


def render(data: Mapping[str, Any]) -> str:
    """The whole page for data made by :func:`gitmetrics.dashboard.build`."""
    page = template()
    # the hashes cover the template's own <style> and <script>, which hold no placeholders
    values = {
        "CSP": content_security_policy(page),
        "VERSION": __version__,
        "DATA": embed_json(data),
    }
    # one pass, so text inserted for one placeholder is never scanned for another
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), page)


def render_points(
    points: Iterable[Collection],
    *,
    min_coverage: float,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
) -> str:
    """Shape a history and render it as one page."""
    data = shape.build(
        list(points), min_coverage=min_coverage, days=days, generated=generated, at=at
    )
    return render(data)


def enabled(cfg: Config) -> bool:
    """True when repos.yaml asks for the dashboard in the metrics repo (``dashboard: true``)."""
    return cfg.raw.get("dashboard") is True


def derived(cfg: Config, ctx: DeriveContext) -> Mapping[str, bytes | None]:
    """``dashboard/index.html`` of the whole history, for the git host's pages feature.

    A commit on top of a collection whose page is there reads the columns back from that
    page and appends the new snapshot; anything else (the first commit with
    ``dashboard: true``, a merge, a page that does not match the history) reads the whole
    history again. Both give the same bytes.
    """
    if not enabled(cfg):
        # turned off: drop the page we wrote before, so a stale one is never served
        return {DERIVED_PATH: None} if ctx.read(DERIVED_PATH) is not None else {}
    own = _own_snapshot(ctx)
    newest = Collection.of(own, None, ctx.snapshot_path)
    series = continued(ctx, newest)
    if series is None:
        # the newest by time, which a snapshot from a clock behind the others is not
        series, newest = rebuilt(ctx, newest)
    if own is not ctx.snapshot and newest.path == ctx.snapshot_path:
        # a sync merge: the series has each collection's own figures, the cards and the
        # table the joined state the merge writes as latest.json
        newest = Collection.of(ctx.snapshot, None, ctx.snapshot_path)
    from gitmetrics.rules import floor_for

    data = shape.page_data(
        series,
        newest,
        min_coverage=cfg.min_coverage,
        generated=ctx.snapshot.timestamp,
        floor=floor_for(cfg),
        commit_urls=cfg.commit_urls(),
        files=_newest_files(ctx, newest),
    )
    return {DERIVED_PATH: render(data).encode()}


def _newest_files(ctx: DeriveContext, newest: Collection) -> dict[str, Any]:
    """Each repository's files table as the tree being committed holds it, without the
    change: the previous different measurement is in an earlier tree, which a deriver does
    not read (see docs/dashboard.md). A blob that cannot be read leaves its table out."""
    out: dict[str, Any] = {}
    left = shape.MAX_FILES_TOTAL
    at = newest.snapshot.timestamp
    for r in newest.snapshot.repositories:
        raw = ctx.read(snapmod.files_path(r.name))
        if raw is None:
            continue
        try:
            found = snapmod.read_files(raw, snapmod.files_path(r.name), trusted=True)
        except GitmetricsError:
            continue
        source = r.source.commit if r.source is not None else None
        point = {"collection": None, "timestamp": r.measured_at or at, "source": source}
        table = shape.file_table(
            found, None, at=point, against=None, limit=min(shape.MAX_FILES, left)
        )
        table["compared"] = False
        out[r.name] = table
        left -= len(table["rows"])
    return out


def _own_snapshot(ctx: DeriveContext) -> Snapshot:
    """The newest collection's own snapshot: ``ctx.snapshot`` unless a merge joined it with
    the other side's state (then the collection's file in the tree differs from it)."""
    data = ctx.read(ctx.snapshot_path) if ctx.snapshot_path else None
    if data is None:
        return ctx.snapshot
    try:
        own = snapmod.read_stored(data, ctx.snapshot_path)
    except GitmetricsError:
        return ctx.snapshot
    return ctx.snapshot if own == ctx.snapshot else own


def rebuilt(ctx: DeriveContext, newest: Collection) -> tuple[shape.Series, Collection]:
    """The series of every collection reachable from the commit being made, read again."""
    seen = {newest.path}

    def points() -> Iterator[Collection]:
        yield newest
        for entry, snap in ctx.earlier():
            if entry.snapshot_path not in seen:  # a merge sees the newest on one side too
                seen.add(entry.snapshot_path)
                yield Collection.read(entry, snap)

    return shape.series(points())


def series_of_page(page: bytes | None) -> shape.Series | None:
    """The series a page written by this version carries, or ``None``."""
    if page is None:
        return None
    # what _DATA matches, found with two plain searches (a regex scan of 1 MB takes 15 ms)
    text = page.decode("utf-8", "replace")
    start = text.find(_DATA_OPEN)
    end = text.find("</script>", start) if start >= 0 else -1
    if end < 0:
        return None
    try:
        data = json.loads(text[start + len(_DATA_OPEN) : end])
    except ValueError:
        return None
    return shape.Series.from_page(data)


def continued(ctx: DeriveContext, newest: Collection) -> shape.Series | None:
    """The parent's page's series with ``newest`` appended, or ``None`` if it cannot be trusted.

    The series must hold every recent collection (``ctx.previous``) by its
    commit, its one collection without a commit (the newest when it was written) must be
    one of them (same time), and ``newest`` must come after all of it.
    """
    s = series_of_page(ctx.read(DERIVED_PATH))
    if s is None:
        return None
    if s.commit.count(None) != 1:
        return None
    known = set(s.commit)
    unknown: int | None = s.commit.index(None)  # the collection made with the series
    for entry in ctx.previous:
        short = entry.commit[: shape.SHORT]
        if short in known:
            continue
        if unknown is None or s.t[unknown] != int(parse_timestamp(entry.timestamp).timestamp()):
            return None  # a collection the series does not know
        s.commit[unknown] = short
        known.add(short)
        unknown = None
    last = s.last_key()
    if unknown is not None or last is None or (newest.snapshot.when, newest.path) <= last:
        return None
    shape.extend(s, newest)
    return s
