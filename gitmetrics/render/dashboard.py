"""The HTML dashboard: one self-contained file (styles, script, data) that makes no requests."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from itertools import islice
from typing import TYPE_CHECKING, Any

from gitmetrics import __version__
from gitmetrics import dashboard as shape
from gitmetrics import snapshot as snapmod
from gitmetrics.config import Config
from gitmetrics.errors import GitmetricsError
from gitmetrics.history import Collection
from gitmetrics.render import escape
from gitmetrics.snapshot import FileDetail, Snapshot, parse_timestamp

if TYPE_CHECKING:
    from gitmetrics.store import DeriveContext, HistoryEntry

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
    before = data_of_page(ctx.read(DERIVED_PATH))
    series = continued(ctx, newest, before)
    if series is None:
        # the newest by time, which a snapshot from a clock behind the others is not
        series, newest = rebuilt(ctx, newest)
        before = None
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
        files=newest_files(ctx, newest, before),
    )
    return {DERIVED_PATH: render(data).encode()}


def newest_files(
    ctx: DeriveContext, newest: Collection, before: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Each repository's files table, with the change against its previous different
    measurement: what ``gitmetrics dashboard`` gives (:func:`gitmetrics.api.file_tables`),
    the newest collection's metrics commit aside (``None``: the one being committed).

    ``before`` is the data of the page this commit replaces, when the series continues it:
    a repository whose detail is the one that page showed keeps its table (the change, and
    how many collections back it is, one more), so only the repositories measured
    differently are read and compared; the others, and every one on any other commit (the
    first page, a rebuild, a merge), are found by one walk back through the history
    (:func:`gitmetrics.filesview.previous_different`). A blob that cannot be read leaves
    its table out, or its change.
    """
    from gitmetrics.filesview import previous_different

    mine: dict[str, bytes] = {}
    for r in newest.snapshot.repositories:
        sha = ctx.blob_id(None, snapmod.files_path(r.name))
        if sha is not None:
            mine[r.name] = sha
    if not mine:
        return {}
    carried = _carried(ctx, newest, before, mine)
    found = previous_different(
        _earlier(ctx, newest),
        {name: sha for name, sha in mine.items() if name not in carried},
        lambda e, name: ctx.blob_id(e.commit, snapmod.files_path(name)),
    )
    snaps: dict[str, Snapshot | None] = {}

    def snapshot(entry: HistoryEntry) -> Snapshot | None:
        if entry.commit not in snaps:  # many repositories are against the same collection
            snaps[entry.commit] = _snapshot_at(ctx, entry)
        return snaps[entry.commit]

    left = shape.MAX_FILES_TOTAL
    out: dict[str, Any] = {}
    for name, sha in mine.items():
        limit = min(shape.MAX_FILES, left)
        if name in carried:
            table = _continued_table(ctx, newest, name, sha, carried[name], limit)
        else:
            table = _table(ctx, newest, name, sha, found.get(name), limit, snapshot)
        if table is not None:
            out[name] = table
            left -= len(table["rows"])
    return out


def _carried(
    ctx: DeriveContext,
    newest: Collection,
    before: Mapping[str, Any] | None,
    mine: Mapping[str, bytes],
) -> dict[str, tuple[int, dict[str, Any]]]:
    """The tables of the page being replaced that hold for the commit being made, each with
    the bound of files it was made with: only when that page is the one the collection
    before this one wrote as the newest (so its tables are that collection's, against the
    history before it), and only those of a repository whose detail is still the same."""
    if before is None or len(ctx.heads) != 1 or newest.commit is not None or not ctx.previous:
        return {}
    e1 = ctx.previous[0]
    last, files = before.get("last"), before.get("files")
    if not isinstance(last, dict) or not isinstance(files, dict):
        return {}
    if last.get("commit") is not None or last.get("timestamp") != e1.timestamp:
        return {}
    page = ctx.blob_id(None, DERIVED_PATH)
    if page is None or page != ctx.blob_id(e1.commit, DERIVED_PATH):
        return {}
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    left = shape.MAX_FILES_TOTAL
    for name, table in files.items():
        if not _a_table(table):
            return {}  # not a page this version wrote: the bounds cannot be followed
        limit = min(shape.MAX_FILES, left)
        left -= len(table["rows"])
        sha = mine.get(name)
        if sha is not None and sha == ctx.blob_id(e1.commit, snapmod.files_path(name)):
            out[name] = (limit, table)
    return out


_TABLE_KEYS = ["at", "against", "count", "rows", "removed", "total", "change"]


def _a_table(table: Any) -> bool:
    """True for a files table as :func:`gitmetrics.dashboard.file_table` makes it (the page
    came from the store, maybe from a remote)."""
    if not isinstance(table, dict) or list(table) != _TABLE_KEYS:
        return False
    if not isinstance(table["rows"], list) or not isinstance(table["removed"], list):
        return False
    against = table["against"]
    if against is None:
        return True
    return (
        isinstance(against, dict)
        and isinstance(against.get("collection"), str)
        and type(against.get("back")) is int
        and against["back"] >= 1
    )


def _continued_table(
    ctx: DeriveContext,
    newest: Collection,
    name: str,
    sha: bytes,
    carried: tuple[int, dict[str, Any]],
    limit: int,
) -> dict[str, Any] | None:
    """A table of the page being replaced, for the commit being made: the point it is
    compared with is one collection further back (out of reach past ``LOOK_BACK``)."""
    from gitmetrics.filesview import LOOK_BACK

    was, table = carried
    against = table["against"]
    if against is not None:
        against = {**against, "back": against["back"] + 1}
        if against["back"] > LOOK_BACK:
            against = None
    if was == limit and (against is None) == (table["against"] is None):
        return {**table, "at": shape.file_point(newest, name), "against": against}
    # another bound, or nothing to compare with any more: made again from the details
    theirs = None if against is None else _detail(ctx, against["collection"], name)
    return _made(ctx, newest, name, sha, theirs, against if theirs is not None else None, limit)


def _table(
    ctx: DeriveContext,
    newest: Collection,
    name: str,
    sha: bytes,
    other: tuple[HistoryEntry, int] | None,
    limit: int,
    snapshot: Callable[[HistoryEntry], Snapshot | None],
) -> dict[str, Any] | None:
    """A repository's table made from its detail and that of ``other`` (its previous
    different measurement, and how many collections back it is)."""
    theirs, against = None, None
    if other is not None:
        entry, back = other
        theirs = _detail(ctx, entry.commit, name)
        snap = snapshot(entry) if theirs is not None else None
        if snap is None:
            theirs = None
        else:
            against = shape.file_point(Collection.read(entry, snap), name, back)
    return _made(ctx, newest, name, sha, theirs, against, limit)


def _made(
    ctx: DeriveContext,
    newest: Collection,
    name: str,
    sha: bytes,
    theirs: list[FileDetail] | None,
    against: dict[str, Any] | None,
    limit: int,
) -> dict[str, Any] | None:
    try:
        found = snapmod.read_files(ctx.blob(sha), snapmod.files_path(name), trusted=True)
    except GitmetricsError:
        return None
    return shape.file_table(
        found, theirs, at=shape.file_point(newest, name), against=against, limit=limit
    )


def _detail(ctx: DeriveContext, commit: str, name: str) -> list[FileDetail] | None:
    """``name``'s per-file detail in the tree of ``commit`` (``None``: none, or unreadable)."""
    path = snapmod.files_path(name)
    sha = ctx.blob_id(commit, path)
    if sha is None:
        return None
    try:
        return snapmod.read_files(ctx.blob(sha), f"{path}@{commit[:10]}", trusted=True)
    except GitmetricsError:
        return None


def _snapshot_at(ctx: DeriveContext, entry: HistoryEntry) -> Snapshot | None:
    sha = ctx.blob_id(entry.commit, entry.snapshot_path)
    if sha is None:
        return None
    try:
        return snapmod.read_stored(ctx.blob(sha), f"{entry.snapshot_path}@{entry.commit[:10]}")
    except GitmetricsError:
        return None


def _earlier(ctx: DeriveContext, newest: Collection) -> Iterator[HistoryEntry]:
    """The collections before ``newest``, newest commit first, as ``gitmetrics dashboard``
    walks them: from the commit being made, or from ``newest``'s own commit when it is one
    already in the history (a merge's, or the newest by time when this one is older)."""
    from gitmetrics.filesview import LOOK_BACK

    commit = newest.commit
    if commit is None and len(ctx.heads) > 1:
        for e in islice(ctx.history(ctx.heads), LOOK_BACK):
            if e.snapshot_path == newest.path:
                commit = e.commit
                break
    if commit is None:
        yield from (e for e in ctx.history(ctx.heads) if e.snapshot_path != newest.path)
        return
    walk = ctx.history([commit])
    next(walk, None)  # newest itself
    yield from walk


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


def data_of_page(page: bytes | None) -> dict[str, Any] | None:
    """The data embedded in a page (``None``: none that can be read)."""
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
    return data if isinstance(data, dict) else None


def series_of_page(page: bytes | None) -> shape.Series | None:
    """The series a page written by this version carries, or ``None``."""
    data = data_of_page(page)
    return None if data is None else shape.Series.from_page(data)


def continued(
    ctx: DeriveContext, newest: Collection, before: Mapping[str, Any] | None
) -> shape.Series | None:
    """The series of the parent's page (its data ``before``) with ``newest`` appended, or
    ``None`` if it cannot be trusted.

    The series must hold every recent collection (``ctx.previous``) by its
    commit, its one collection without a commit (the newest when it was written) must be
    one of them (same time), and ``newest`` must come after all of it.
    """
    s = None if before is None else shape.Series.from_page(before)
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
