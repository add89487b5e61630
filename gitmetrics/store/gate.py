"""The trust gate: everything a remote sends is checked here before it can touch the store.

A fetch lands in a quarantine (see :mod:`gitmetrics.store.incoming`); :func:`check` walks
every commit the store does not have yet and refuses the whole remote on the first thing
gitmetrics would not have written itself:

- a tree entry that is not a regular file (mode 100644) or a directory: symlinks, gitlinks
  and executables are refused;
- a path outside the store's layout (:func:`in_layout`): no ``..``, no absolute path, no
  ``.git`` in any spelling, because every name must match a short portable pattern;
- an object whose bytes do not hash to its id (damaged, or forged in a remote's files);
- a blob over the size cap, a snapshot that does not validate (or is newer than this
  gitmetrics), a ``latest.json``, alert state or issues file that does not parse, a
  ``.gitmetrics.json`` with a newer ``store_version``;
- a collection commit whose trailers do not parse, whose ``Gitmetrics-Schema`` is newer
  than this gitmetrics, or that names a snapshot its own tree does not hold.

Objects already in the store were written or checked by gitmetrics, so they are trusted and
never walked again: a pull costs what it brings, not the size of the history.
:func:`audit` runs the same checks over a store's own history with nothing trusted, and
reports every problem instead of stopping at the first (``gitmetrics verify``).
"""

from __future__ import annotations

import json
import stat
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitmetrics.config import DEFAULT_MAX_REMOTE_FILE_BYTES
from gitmetrics.errors import GitmetricsError, SyncError
from gitmetrics.render import escape
from gitmetrics.store.format import (
    COMPONENT,
    STORE_MARKER,
    STORE_VERSION,
    in_layout,
    marker_version,
)
from gitmetrics.store.objects import FILE_MODE, GITLINK_MODE, TREE_MODE

#: Largest commit object: a collection's message is a subject and a dozen trailers.
MAX_COMMIT_BYTES = 64 * 1024

#: How many trees' entries the walk keeps for looking up snapshot paths.
LISTED_TREES = 64


@dataclass(frozen=True)
class Limits:
    """What a remote may send."""

    max_file_bytes: int = DEFAULT_MAX_REMOTE_FILE_BYTES
    #: tree paths the config adds to the layout (an ``issues_file:`` inside the store)
    extra_paths: tuple[str, ...] = ()


class Refused(GitmetricsError):
    """What the gate found; turned into a :class:`SyncError` naming the remote."""


@dataclass(frozen=True)
class Problem:
    """One thing gitmetrics would not have written: where it is and what is wrong."""

    commit: str
    #: the file or directory of the commit's tree (``""``: the commit itself, its message)
    path: str
    message: str
    hint: str | None = None


#: Told each problem of a tree as it is found, with its path (see :func:`walk`).
Report = Callable[[Refused, str], None]


def check(
    objects: Any,
    head: str,
    *,
    trusted: Callable[[bytes], bool],
    limits: Limits = Limits(),
    where: str = "the remote",
) -> int:
    """Check every commit reachable from ``head`` that is not ``trusted``; returns how many.

    ``objects`` is an object store that holds the fetched objects (the quarantine);
    ``trusted(sha)`` says whether the store already has an object. Raises
    :class:`SyncError` naming the commit and path of the first problem found.
    """
    if not trusted(head.encode()):
        _looks_like_store(objects, head, where)

    def refuse(problem: Problem) -> None:
        raise refusal(where, f"commit {problem.commit[:10]}: {problem.message}", problem.hint)

    return walk(objects, head, trusted=trusted, limits=limits, report=refuse)[0]


@dataclass(frozen=True)
class Audit:
    """What :func:`audit` found in a whole history."""

    commits: int
    collections: int
    problems: tuple[Problem, ...]


def audit(objects: Any, head: str, *, limits: Limits = Limits()) -> Audit:
    """Check every commit reachable from ``head`` with nothing trusted, reporting every problem.

    Each object is checked once, so a bad file is reported with the first (newest) commit
    found holding it; a commit whose own object cannot be read is reported and not followed.
    """
    problems: list[Problem] = []
    commits, collections = walk(
        objects, head, trusted=lambda _: False, limits=limits, report=problems.append
    )
    return Audit(commits, collections, tuple(problems))


def walk(
    objects: Any,
    head: str,
    *,
    trusted: Callable[[bytes], bool],
    limits: Limits,
    report: Callable[[Problem], None],
) -> tuple[int, int]:
    """Check each commit from ``head`` that is not ``trusted``; ``report`` is given a
    :class:`Problem` for each thing found (and may raise to stop).

    Commits are checked oldest first (parents before children), so a problem is named with
    the commit that brought it. Returns how many commits and collections were checked.
    """
    from gitmetrics.store.reader import newer_schema, parse_trailers_strict

    def tell(commit_id: str) -> Report:
        def found(problem: Refused, path: str) -> None:
            report(Problem(commit_id, path, problem.message, problem.hint))

        return found

    # first the commits alone, in an order where every parent comes before its children
    commits: dict[bytes, Any] = {}
    order: list[bytes] = []
    stack: list[tuple[bytes, bool]] = [(head.encode(), False)]
    while stack:
        sha, parents_done = stack.pop()
        if parents_done:
            order.append(sha)
            continue
        if sha in commits or trusted(sha):
            continue
        try:
            commit = _read(objects, sha, "commit", MAX_COMMIT_BYTES)
        except Refused as exc:
            commits[sha] = None
            tell(sha.decode())(exc, "")
            continue
        commits[sha] = commit
        stack.append((sha, True))
        stack.extend((parent, False) for parent in reversed(commit.parents))
    trees = _Trees(objects, trusted, limits)
    collections = 0
    for sha in order:
        commit, commit_id = commits[sha], sha.decode()
        found = tell(commit_id)
        # what the first parent's tree holds at the same path was checked (or trusted) there
        parent = commits.get(commit.parents[0]) if commit.parents else None
        if parent is None and commit.parents and trusted(commit.parents[0]):
            parent = _parent_in_store(objects, commit.parents[0])
        trees.check(commit.tree, "", found, like=None if parent is None else parent.tree)
        try:
            entry = parse_trailers_strict(commit_id, commit.message)
        except ValueError as exc:
            found(Refused(f"its message has a malformed trailer: {exc}"), "")
            entry = None
        if entry is not None:
            collections += 1
            if (why := newer_schema(entry)) is not None:
                found(Refused(f"its message has {why}", "upgrade gitmetrics"), "")
            if not trees.holds(commit.tree, entry.snapshot_path):
                missing = f"its trailers name {entry.snapshot_path}, which it does not hold"
                found(Refused(missing), "")
    return len(order), collections


def _parent_in_store(objects: Any, sha: bytes) -> Any:
    """The store's own commit ``sha`` (a parent of the first new commit), or None."""
    try:
        return objects[sha]
    except Exception:
        return None


def _looks_like_store(objects: Any, head: str, where: str) -> None:
    """Refuse at once a remote whose branch is plainly something else (a project's repo)."""
    try:
        names = {e.path for e in objects[objects[head.encode()].tree].iteritems()}
    except Exception:
        return  # unreadable: the full check says exactly what is wrong
    if not names & {b".gitmetrics.json", b"latest.json", b"snapshots"}:
        raise SyncError(
            f"{where}: not a gitmetrics store (refs/heads/main has no .gitmetrics.json, "
            "latest.json or snapshots/); nothing was changed",
            "point --remote at a metrics repository, or at an empty repository",
        )


def refusal(where: str, detail: str, hint: str | None = None) -> SyncError:
    return SyncError(
        f"{where}: refused: {detail}; nothing was changed",
        hint
        or "the remote is not a gitmetrics store or has been tampered with; "
        "check what pushed to it (`git log --stat` there)",
    )


def _read(objects: Any, sha: bytes, kind: str, cap: int) -> Any:
    """An object of the expected ``kind``, refused when missing, malformed or too large."""
    try:
        type_num, raw = objects.get_raw(sha)
    except KeyError:
        raise Refused(f"object {sha.decode()[:10]} is missing") from None
    except Exception as exc:
        raise Refused(f"object {sha.decode()[:10]} cannot be read ({type(exc).__name__})") from None
    names = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}
    if names.get(type_num) != kind:
        raise Refused(f"object {sha.decode()[:10]} is a {names.get(type_num, '?')}, not a {kind}")
    if len(raw) > cap:
        raise Refused(
            f"object {sha.decode()[:10]} is {len(raw):,} bytes, over the cap of {cap:,}"
            + (" (max_remote_file_bytes in repos.yaml)" if kind == "blob" else "")
        )
    if object_id(type_num, raw) != sha:
        # a loose object is read without this check: damaged on disk, or forged
        raise Refused(f"object {sha.decode()[:10]} does not match its id (damaged or forged)")
    if kind == "blob":
        return bytes(raw)
    from dulwich.objects import ObjectID, ShaFile

    try:
        obj = ShaFile.from_raw_string(type_num, raw, sha=ObjectID(sha))
        if kind == "commit":
            obj.check()  # a tree's names and modes get checks of our own, with their paths
    except Exception as exc:
        raise Refused(f"{kind} {sha.decode()[:10]} is malformed ({_why(exc)})") from None
    if kind == "tree" and _canonical(obj) != bytes(raw):
        # unsorted, duplicated or zero-padded entries: git fsck would flag the store
        raise Refused(f"tree {sha.decode()[:10]} is not in git's canonical form")
    return obj


def object_id(type_num: int, raw: bytes) -> bytes:
    """The id git gives an object of this type and these bytes (hex)."""
    import hashlib

    from dulwich.objects import object_header

    return hashlib.sha1(object_header(type_num, len(raw)) + bytes(raw)).hexdigest().encode()


def _canonical(tree: Any) -> bytes:
    from dulwich.objects import Tree

    fresh = Tree()
    for item in tree.iteritems():
        fresh.add(item.path, item.mode, item.sha)
    return bytes(fresh.as_raw_string())


def _why(exc: BaseException) -> str:
    text = " ".join(str(a) for a in exc.args if isinstance(a, str))
    return text[:200] or type(exc).__name__


@dataclass
class _Trees:
    """Checks trees and what is under them, each object once per walk."""

    objects: Any
    trusted: Callable[[bytes], bool]
    limits: Limits
    seen_trees: set[bytes] = field(default_factory=set)
    seen_blobs: set[tuple[bytes, str]] = field(default_factory=set)
    #: the entries of the trees read last (a commit's own trees are read just before its
    #: snapshot path is looked up in them), so no tree is read twice
    listed: OrderedDict[bytes, dict[bytes, tuple[int, bytes]]] = field(default_factory=OrderedDict)

    def _listing(self, tree_id: bytes) -> dict[bytes, tuple[int, bytes]] | None:
        found = self.listed.get(tree_id)
        if found is None:
            try:
                tree = self.objects[tree_id]  # a tree of the store, or one refused already
                found = {e.path: (e.mode, e.sha) for e in tree.iteritems()}
            except Exception:
                return None
            self._remember(tree_id, found)
        return found

    def _remember(self, tree_id: bytes, listing: dict[bytes, tuple[int, bytes]]) -> None:
        self.listed[tree_id] = listing
        if len(self.listed) > LISTED_TREES:
            self.listed.popitem(last=False)

    def holds(self, tree_id: bytes, path: str) -> bool:
        """True when ``path`` is a file of the tree (new or known subtrees alike)."""
        parts = path.encode().split(b"/")
        for depth, part in enumerate(parts):
            listing = self._listing(tree_id)
            found = None if listing is None else listing.get(part)
            if found is None:
                return False
            mode, tree_id = found
            if depth == len(parts) - 1:
                return mode == FILE_MODE
            if mode != TREE_MODE:
                return False
        return False

    def check(self, tree_id: bytes, prefix: str, report: Report, like: bytes | None = None) -> None:
        """Check one tree and everything new under it (known trees are skipped).

        ``like``: the tree at the same path in the commit's first parent, checked before
        or trusted; an entry the same there (name, mode and object) was checked as what
        it is at this path, so it is not read again (a collection adds one snapshot to a
        folder of many: the others are not parsed and validated again).
        """
        if tree_id in self.seen_trees or self.trusted(tree_id):
            return
        self.seen_trees.add(tree_id)
        try:
            tree = _read(self.objects, tree_id, "tree", self.limits.max_file_bytes)
        except Refused as exc:
            report(Refused(f"{prefix or '/'}: {exc.message}"), prefix or "/")
            return
        names: set[bytes] = set()
        self._remember(tree_id, {e.path: (e.mode, e.sha) for e in tree.iteritems()})
        before = (self._listing(like) if like is not None else None) or {}
        for entry in tree.iteritems():
            try:
                self._entry(entry, prefix, names, report, before.get(entry.path))
            except Refused as exc:
                report(exc, prefix + _shown(entry.path))

    def _entry(
        self,
        entry: Any,
        prefix: str,
        names: set[bytes],
        report: Report,
        before: tuple[int, bytes] | None = None,
    ) -> None:
        """Check one entry of a tree (and what is under it); ``Refused`` for a problem.

        ``before``: the mode and object at the same path in the parent's tree."""
        raw_name = entry.path
        if raw_name in names:
            raise Refused(f"{prefix}{_shown(raw_name)}: the name appears twice in one tree")
        names.add(raw_name)
        if before == (entry.mode, entry.sha):
            return  # checked at this very path in the parent (its name and mode too)
        try:
            name = raw_name.decode("ascii")
        except UnicodeDecodeError:
            raise Refused(f"{prefix}{_shown(raw_name)}: not a name gitmetrics writes") from None
        path = prefix + name
        if entry.mode == TREE_MODE:
            if not COMPONENT.fullmatch(name) or name.endswith("."):
                raise Refused(f"{_shown(path.encode())}/: not a directory of the store's layout")
            like = before[1] if before is not None and before[0] == TREE_MODE else None
            self.check(entry.sha, path + "/", report, like)
            return
        if entry.mode != FILE_MODE:
            kind = _mode_kind(entry.mode)
            raise Refused(f"{_shown(path.encode())}: a {kind} (mode {entry.mode:o}); only files")
        if not in_layout(path, self.limits.extra_paths):
            raise Refused(f"{_shown(path.encode())}: not a file of the store's layout")
        kind = _parsed_kind(path)
        if (entry.sha, kind) in self.seen_blobs:
            return
        self.seen_blobs.add((entry.sha, kind))
        # a blob the store has is parsed again when it turns up where gitmetrics reads it
        if kind or not self.trusted(entry.sha):
            data = _read(self.objects, entry.sha, "blob", self.limits.max_file_bytes)
            _check_blob(path, kind, data)


def _mode_kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if mode == GITLINK_MODE:
        return "gitlink (submodule)"
    if mode == 0o100755:
        return "executable file"
    return "special entry"


def _shown(raw: bytes) -> str:
    """A path as it may be printed: anything odd made visible, never raw."""
    return escape.visible(raw.decode("utf-8", "backslashreplace"), 200)


def _parsed_kind(path: str) -> str:
    """How gitmetrics reads a file back: ``snapshot``, ``json``, ``yaml``, or ``""`` (never)."""
    if path == "latest.json" or path.startswith("snapshots/"):
        return "snapshot"
    if path.startswith("repos/"):
        return "files"
    if path.endswith(".json"):
        return "json"
    if path.endswith(".yaml"):
        return "yaml"
    return ""


def _check_blob(path: str, kind: str, data: bytes) -> None:
    """Parse what gitmetrics reads back: snapshots, ``latest.json``, its JSON and YAML state."""
    from gitmetrics import snapshot as snapmod

    if kind == "snapshot":
        try:
            snapmod.from_json(data, path)
        except GitmetricsError as exc:
            raise Refused(exc.message, exc.hint) from None
    elif kind == "files":
        try:
            snapmod.read_files(data, path)
        except GitmetricsError as exc:
            raise Refused(exc.message, exc.hint) from None
    elif kind == "json":
        try:
            value = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise Refused(f"{path}: not valid JSON") from None
        if not isinstance(value, dict):
            raise Refused(f"{path}: not a JSON object")
        if path == STORE_MARKER:
            version = marker_version(data)
            if version is not None and version > STORE_VERSION:
                raise Refused(
                    f"{path}: written by a newer gitmetrics: upgrade (store_version "
                    f"{version}; this gitmetrics knows {STORE_VERSION})",
                    "upgrade gitmetrics (pip install -U gitmetrics), then sync again",
                )
    elif kind == "yaml":
        import yaml

        try:
            value = yaml.safe_load(data)
        except (yaml.YAMLError, UnicodeDecodeError):
            raise Refused(f"{path}: not valid YAML") from None
        if value is not None and not isinstance(value, dict | list):
            raise Refused(f"{path}: not a YAML mapping")
