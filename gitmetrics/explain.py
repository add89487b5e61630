"""The data behind ``explain`` and ``flaky``: why coverage moved between two collections, and
which lines change their covered state when the code they measure did not change.

``explain`` compares two collections (default: the last drop) per repository that moved: its
source commit range, its files that moved (:func:`gitmetrics.views.diff_files`, worst first)
with the lines that lost coverage, and the commits of that range that touched those files,
read from the source repository when it is on this machine
(:func:`gitmetrics.store.sourcelog.commit_range`). :func:`short` is the same, cut to two
lines, for the alerts of ``check`` and ``watch``.

``flaky`` walks a window of collections per repository and compares each measurement with
the one before it when both measured the same source commit (and neither was dirty): any
line whose covered state changed there flipped without a change of code.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from gitmetrics import percent, perfile, trends
from gitmetrics.errors import StoreError
from gitmetrics.filesview import named
from gitmetrics.history import Collection, Files, Query, newest, parse_when, query, readable
from gitmetrics.perfile import FileChange
from gitmetrics.snapshot import FileDetail, RepoResult, Snapshot, from_ranges, ranges
from gitmetrics.views import diff_files

if TYPE_CHECKING:
    from pathlib import Path

    from gitmetrics.config import Config
    from gitmetrics.rules import Breach
    from gitmetrics.store import Store

#: how many collections ``explain`` looks back for the last drop
LOOK_BACK = 1000
#: how many files the short form of an alert names
SHORT_FILES = 2


@dataclass(frozen=True)
class End:
    """One side of an explanation: how it was asked for, and which collection it is."""

    spec: str
    collection: str
    timestamp: str
    avg_coverage: float | None


@dataclass(frozen=True)
class Commit:
    """A commit of the source range that touched files that moved."""

    commit: str
    author: str
    date: str
    subject: str
    files: tuple[str, ...]
    #: its web address (``commit_url:`` of repos.yaml), when there is a template
    url: str | None = None


@dataclass(frozen=True)
class RepoExplained:
    """One repository between the two sides."""

    repo: str
    role: str | None
    before: float | None
    after: float | None
    change: float | None
    #: its source commits measured on the older and the newer side
    old_commit: str | None
    new_commit: str | None
    #: its files that moved, worst first
    files: tuple[FileChange, ...]
    #: why the files cannot be compared fully (no per-file detail on a side), else ``None``
    files_note: str | None
    #: the commits of ``old..new`` that touched the files that moved, newest first
    commits: tuple[Commit, ...]
    #: how many commits ``old..new`` holds (``None`` when the range was not read)
    range_commits: int | None
    #: the walk of the range stopped at its bound
    truncated: bool
    #: why the range's commits were not read, else ``None``
    source_note: str | None
    #: a side measured a work tree with uncommitted changes (not in any commit of the range)
    dirty: bool = False

    @property
    def lost(self) -> tuple[FileChange, ...]:
        """The files that lost covered lines (or were removed with some), worst first."""
        return tuple(f for f in self.files if f.uncovered)


@dataclass(frozen=True)
class Explained:
    """Why coverage moved from ``a`` to ``b``: the repositories that moved, worst first."""

    a: End
    b: End
    #: the repository asked about (``None``: the whole picture)
    repo: str | None
    #: ``True`` when the two sides were found as the last drop
    last_drop: bool
    avg_change: float | None
    repos: tuple[RepoExplained, ...]


def _exact(r: RepoResult | None) -> Fraction | None:
    return None if r is None else percent.of(r)


def _fell(older: Snapshot, newer: Snapshot, name: str | None) -> bool:
    names = [name] if name is not None else [r.name for r in newer.repositories]
    for n in names:
        before, after = _exact(older.repo(n)), _exact(newer.repo(n))
        if before is not None and after is not None and after < before:
            return True
    if name is None:
        a, b = older.summary.avg_coverage, newer.summary.avg_coverage
        return a is not None and b is not None and b < a
    return False


def last_drop(store: Store, name: str | None) -> tuple[Collection, Collection]:
    """The newest pair of consecutive collections where ``name``'s coverage (without a
    name: the average or any repository's) fell; ``StoreError`` when there is none."""
    newer: Collection | None = None
    seen = 0
    for c in readable(query(store, Query(limit=LOOK_BACK))):
        seen += 1
        if newer is not None and _fell(c.snapshot, newer.snapshot, name):
            return c, newer
        newer = c
    if seen == 0:
        newest(store, 1)  # the usual message for an empty store
    if seen == 1:
        raise StoreError(
            f"{store.path}: only one collection: nothing to compare it with",
            "collect again after a change, or name two points: explain --from A --to B",
        )
    if name is not None:
        what = f"{name}'s coverage did not fall"
    else:
        what = "neither the average nor any repository's coverage fell"
    raise StoreError(
        f"{store.path}: {what} between two consecutive collections of the last {seen}",
        "name the two points to compare: explain --from A --to B",
    )


def _before(store: Store, c: Collection) -> Collection:
    for n, older in enumerate(readable(query(store, Query(rev=c.entry.commit, limit=2)))):
        if n == 1:
            return older
    raise StoreError(
        f"no collection before {c.entry.commit[:10]}: nothing to compare it with",
        "name an earlier point with --from",
    )


def _end(spec: str, c: Collection) -> End:
    return End(spec, c.entry.commit, c.snapshot.timestamp, c.snapshot.summary.avg_coverage)


def _commit_of(r: RepoResult | None) -> str | None:
    return None if r is None or r.source is None else r.source.commit


def _source(
    cfg: Config | None, name: str, old: str | None, new: str | None, paths: Sequence[str]
) -> tuple[tuple[Commit, ...], int | None, bool, str | None]:
    from gitmetrics.store.sourcelog import commit_range

    if old is not None and old == new:
        return (), 0, False, None
    conf = None if cfg is None else next((r for r in cfg.repos if r.name == name), None)
    if cfg is None:
        return (), None, False, "no repos.yaml was read: its source repository's path is unknown"
    if conf is None:
        return (), None, False, f"{name!r} is not in {cfg.path.name}: no source repository path"
    if not paths:
        return (), None, False, "no file moved: no commit to look for"
    found = commit_range(conf.path, old, new, paths)
    if not found.available:
        return (), None, False, found.note
    commits = tuple(
        Commit(c.commit, c.author, c.date, c.subject, c.files, conf.commit_link(c.commit))
        for c in found.touching
    )
    return commits, found.commits, found.truncated, None


def _moved_names(a: Snapshot, b: Snapshot) -> list[str]:
    names = [r.name for r in b.repositories]
    return [
        n for n in names if _exact(a.repo(n)) is not None and _exact(b.repo(n)) != _exact(a.repo(n))
    ]


def explain_pair(
    store: Store, cfg: Config | None, a: Collection, b: Collection, names: Sequence[str]
) -> list[RepoExplained]:
    """Per repository of ``names``, why it moved from ``a`` to ``b`` (in the order given)."""
    out: list[RepoExplained] = []
    for found in diff_files(store, a, b, names):
        ra, rb = a.snapshot.repo(found.repo), b.snapshot.repo(found.repo)
        either = rb if rb is not None else ra
        old, new = _commit_of(ra), _commit_of(rb)
        before = None if ra is None or not ra.ok else ra.coverage
        after = None if rb is None or not rb.ok else rb.coverage
        commits, count, truncated, note = _source(
            cfg, found.repo, old, new, [f.path for f in found.changes]
        )
        out.append(
            RepoExplained(
                repo=found.repo,
                role=None if either is None else either.role,
                before=before,
                after=after,
                change=trends.change(after, before),
                old_commit=old,
                new_commit=new,
                files=found.changes,
                files_note=found.note,
                commits=commits,
                range_commits=count,
                truncated=truncated,
                source_note=note,
                dirty=any(
                    r is not None and r.source is not None and r.source.dirty for r in (ra, rb)
                ),
            )
        )
    return out


def known(store: Store, cfg: Config | None, c: Collection, name: str) -> None:
    """``StoreError`` when ``name`` is neither in ``c`` nor in the config."""
    if c.snapshot.repo(name) is not None:
        return
    if cfg is not None and any(r.name == name for r in cfg.repos):
        return
    there = sorted(r.name for r in c.snapshot.repositories)
    raise StoreError(
        f"no repository {name!r} in the newest collection of {store.path}"
        + ("" if cfg is None else f" nor in {cfg.path.name}"),
        f"repositories there: {', '.join(there) or 'none'}",
    )


def build_explain(
    store: Store,
    cfg: Config | None,
    name: str | None = None,
    *,
    a: str | None = None,
    b: str | None = None,
    now: datetime | None = None,
) -> Explained:
    """Why ``name``'s coverage (or every repository's) moved from ``a`` to ``b``; without
    either, the last drop; with ``b`` alone, from the collection before it; with ``a``
    alone, to the newest."""
    if name is not None:
        known(store, cfg, newest(store, 1)[0], name)
    drop = a is None and b is None
    if drop:
        ca, cb = last_drop(store, name)
        spec_a, spec_b = "before the drop", "the drop"
    else:
        cb = named(store, b, now) if b is not None else newest(store, 1)[0]
        ca = named(store, a, now) if a is not None else _before(store, cb)
        spec_a, spec_b = a or "previous", b or "latest"
    sa, sb = ca.snapshot, cb.snapshot
    names = [name] if name is not None else _moved_names(sa, sb)
    found = explain_pair(store, cfg, ca, cb, names)
    found.sort(key=lambda r: (r.change is None, r.change or 0.0, r.repo))
    return Explained(
        a=_end(spec_a, ca),
        b=_end(spec_b, cb),
        repo=name,
        last_drop=drop,
        avg_change=trends.change(sb.summary.avg_coverage, sa.summary.avg_coverage),
        repos=tuple(found),
    )


# --- the short form in alerts ------------------------------------------------------------

#: the rules whose breach is a drop (``check``'s ``max_drop`` and ``max_drop_over``)
DROPS = ("max_drop", "max_drop_over")


#: what the source line adds when a side measured uncommitted changes
DIRTY = " (a side measured uncommitted changes: they are in no commit of the range)"


def source_line(r: RepoExplained) -> str:
    """The source range of one repository and what was read of it, in a line
    (``0123abcd..4567ef01: 2 commits, 1 touched the files that moved``)."""
    rng = f"{(r.old_commit or '?')[:10]}..{(r.new_commit or '?')[:10]}"
    if r.old_commit is not None and r.old_commit == r.new_commit:
        return f"{r.old_commit[:10]} on both sides (the same source commit)" + (
            DIRTY if r.dirty else ""
        )
    if r.source_note is not None:
        return f"{rng}; its commits not read: {r.source_note}"
    n = r.range_commits or 0
    more = "+" if r.truncated else ""
    touched = f"{len(r.commits)} touched" if r.commits else "none touched"
    line = f"{rng}: {n}{more} commit{'s' if n != 1 else ''}, {touched} the files that moved"
    return line + (DIRTY if r.dirty else "")


def _first_line(r: RepoExplained) -> str:
    line = "source " + source_line(r)
    if r.commits:
        top = r.commits[0]
        line += f'; newest {top.commit[:10]} "{top.subject}" by {top.author}'
    return line


def _second_line(r: RepoExplained) -> str | None:
    lost = r.lost[:SHORT_FILES]
    if not lost:
        return None
    parts = []
    for f in lost:
        how = f" ({f.change:+.2f} points)" if f.change is not None else f" ({f.kind})"
        parts.append(f"{f.path} lines {f.uncovered}{how}")
    more = len(r.lost) - len(lost)
    return "lost coverage: " + "; ".join(parts) + (f" (+{more} more files)" if more else "")


def short_lines(r: RepoExplained) -> tuple[str, ...]:
    """One repository's explanation in one or two lines (source range, top files lost)."""
    second = _second_line(r)
    return (_first_line(r), *([second] if second is not None else []))


def short(
    store: Store, cfg: Config | None, breaches: Iterable[Breach], points: Iterable[Collection]
) -> dict[str, tuple[str, ...]]:
    """Per drop breach (by :attr:`Breach.key`), its explanation in one or two lines, from
    the collections the rules compared (``points``)."""
    by_commit: Mapping[str | None, Collection] = {c.commit: c for c in points}
    out: dict[str, tuple[str, ...]] = {}
    for br in breaches:
        if br.rule not in DROPS or br.repo is None:
            continue
        a, b = by_commit.get(br.from_snapshot), by_commit.get(br.to_snapshot)
        if a is None or b is None:
            continue
        (found,) = explain_pair(store, cfg, a, b, [br.repo])
        out[br.key] = short_lines(found)
    return out


# --- flaky -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flip:
    """One file of a repository whose lines changed their covered state with no change of
    source commit."""

    repo: str
    path: str
    #: the lines that flipped, as ranges
    lines: str
    #: how many times its lines flipped (pairs of measurements of one source commit that
    #: disagree on them)
    flips: int
    #: the source commits measured when they flipped (both ends of a pair of commits
    #: with ``untouched``)
    source_commits: tuple[str, ...]
    #: the collections where a flip was seen (newest first)
    collections: tuple[str, ...]


@dataclass(frozen=True)
class Flaky:
    """``flaky``: the files whose lines flipped in a window of collections."""

    repo: str | None
    #: the collections read (newest first: the first and the last of the window)
    collections: int
    newest: str | None
    oldest: str | None
    #: pairs of measurements compared (of the same source commit, or with ``untouched`` of
    #: commits whose range touched no measured file)
    compared: int
    flips: tuple[Flip, ...]
    untouched: bool = False


def _window(
    store: Store, limit: int | None, since: str | None, now: datetime | None
) -> list[Collection]:
    cut = parse_when(since, now) if since else None
    q = Query(limit=limit if limit is not None or cut is not None else 50, since=cut)
    return list(readable(query(store, q)))


def build_flaky(
    store: Store,
    cfg: Config | None,
    name: str | None = None,
    *,
    limit: int | None = None,
    since: str | None = None,
    untouched: bool = False,
    now: datetime | None = None,
) -> Flaky:
    """The files of ``name`` (or of every repository) whose lines changed their covered
    state between two measurements of the same source commit, within the window (at most
    ``limit`` collections, or those since ``since``; default: the newest 50). With
    ``untouched``, also between two source commits when the source repository is on this
    machine and no commit between them touched any file of the measurements."""
    cols = _window(store, limit, since, now)
    if not cols:
        newest(store, 1)  # the usual message
    if name is not None:
        known(store, cfg, cols[0], name)
    names = (
        [name]
        if name is not None
        else sorted({r.name for c in cols for r in c.snapshot.repositories})
    )
    files = Files(store)
    flips: list[Flip] = []
    compared = 0
    for n in names:
        conf = None if cfg is None else next((r for r in cfg.repos if r.name == n), None)
        source = conf.path if untouched and conf is not None else None
        found, pairs = _flaky_repo(files, cols, n, source)
        flips.extend(found)
        compared += pairs
    flips.sort(key=lambda f: (-f.flips, f.repo, f.path))
    return Flaky(
        repo=name,
        collections=len(cols),
        newest=cols[0].entry.commit if cols else None,
        oldest=cols[-1].entry.commit if cols else None,
        compared=compared,
        flips=tuple(flips),
        untouched=untouched,
    )


def _untouched(
    source: Path | None, a: str, b: str, fa: Sequence[FileDetail], fb: Sequence[FileDetail]
) -> bool:
    """True when no commit of ``a..b`` of the source repository at ``source`` touched any
    file of either measurement (read in full: a walk cut at its bound does not count)."""
    from gitmetrics.store.sourcelog import commit_range

    if source is None:
        return False
    paths = sorted({f.path for f in fa} | {f.path for f in fb})
    found = commit_range(source, a, b, paths)
    return found.available and not found.truncated and not found.touching


def _flaky_repo(
    files: Files, cols: Sequence[Collection], name: str, source: Path | None
) -> tuple[list[Flip], int]:
    """``name``'s flips over ``cols`` and how many pairs of measurements were compared;
    with ``source`` (its source repository), pairs of different source commits whose range
    touched none of the measured files count too."""
    # the distinct measurements of ``name``, oldest first: (collection, blob, source commit)
    measured: list[tuple[Collection, bytes, str | None]] = []
    for c in reversed(cols):
        r = c.snapshot.repo(name)
        sha = files.blob_id(c, name)
        if r is None or not r.ok or sha is None:
            continue
        if measured and measured[-1][1] == sha:
            continue  # carried, or the same bytes measured again: nothing flipped
        src = r.source
        commit = None if src is None or src.dirty else src.commit
        measured.append((c, sha, commit))
    per_file: dict[str, set[int]] = {}
    seen_in: dict[str, list[str]] = {}
    commits_of: dict[str, list[str]] = {}
    pairs = 0
    for (ca, _, a_commit), (cb, _, b_commit) in itertools.pairwise(measured):
        if a_commit is None or b_commit is None:
            continue
        fa, fb = files.of(ca, name) or [], files.of(cb, name) or []
        if a_commit != b_commit and not _untouched(source, a_commit, b_commit, fa, fb):
            continue
        pairs += 1
        for ch in perfile.compare(fa, fb):
            if ch.kind != perfile.CHANGED:
                continue
            lines = [*from_ranges(ch.uncovered or ""), *from_ranges(ch.covered or "")]
            if not lines:
                continue
            per_file.setdefault(ch.path, set()).update(lines)
            seen_in.setdefault(ch.path, []).append(cb.entry.commit)
            known_commits = commits_of.setdefault(ch.path, [])
            known_commits.extend(
                x for x in dict.fromkeys((a_commit, b_commit)) if x not in known_commits
            )
    out = [
        Flip(
            repo=name,
            path=path,
            lines=ranges(lines),
            flips=len(seen_in[path]),
            source_commits=tuple(commits_of[path]),
            collections=tuple(reversed(seen_in[path])),
        )
        for path, lines in per_file.items()
    ]
    return out, pairs
