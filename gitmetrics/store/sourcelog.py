"""The commits of a source repository between two measurements, and the files they touched.

This reads a collected repository (the ``path:`` of repos.yaml), not the store; it lives
here because the store package is the one that reads git (with dulwich: no hook, no
config-driven program ever runs). The source repository is untrusted: what is walked and
what is kept are bounded, and author and subject are cut to a line of bounded length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: at most this many commits are walked in one range
MAX_WALK = 10_000
#: at most this many commits that touched the files are kept
MAX_LISTED = 50
#: author names and subjects are cut to this many characters
MAX_TEXT = 200


@dataclass(frozen=True)
class SourceCommit:
    """One commit of the range that touched some of the files asked about."""

    commit: str
    author: str
    date: str
    subject: str
    #: the files asked about that it touched (paths relative to the repository's ``path:``)
    files: tuple[str, ...]


@dataclass(frozen=True)
class SourceRange:
    """The commits ``old..new`` of a source repository, or why they cannot be read."""

    old: str | None
    new: str | None
    #: ``None`` when the range was read; else one line saying why not
    note: str | None = None
    #: commits in ``old..new`` (counted up to :data:`MAX_WALK`)
    commits: int = 0
    #: the walk stopped at :data:`MAX_WALK`
    truncated: bool = False
    touching: tuple[SourceCommit, ...] = ()

    @property
    def available(self) -> bool:
        """True when the source repository held both commits."""
        return self.note is None


def _line(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").splitlines()[0] if raw.strip() else ""
    return text[:MAX_TEXT]


def _author(raw: bytes) -> str:
    name = raw.split(b"<", 1)[0].strip() or raw
    return _line(name)


def _changed(store: Any, tree: Any, parent_tree: Any) -> set[bytes]:
    from dulwich.diff_tree import tree_changes

    found: set[bytes] = set()
    for change in tree_changes(store, parent_tree, tree):
        for side in (change.old, change.new):
            if side is not None and side.path is not None:
                found.add(side.path)
    return found


def commit_range(path: Path, old: str | None, new: str | None, files: Iterable[str]) -> SourceRange:
    """The commits of the repository at ``path`` in ``old..new`` that touched ``files``.

    A merge touched a file when it differs from every parent there (git's default).
    """
    from dulwich.errors import MissingCommitError, NotGitRepository
    from dulwich.repo import Repo

    if old is None or new is None:
        return SourceRange(old, new, "the measurements do not both record a source commit")
    try:
        repo = Repo.discover(str(path))
    except (NotGitRepository, OSError):
        return SourceRange(old, new, f"the source repository is not on this machine ({path})")
    try:
        top = Path(repo.path).resolve()
        try:
            inner = path.resolve().relative_to(top).as_posix()
        except ValueError:
            inner = "."
        prefix = "" if inner == "." else inner + "/"
        wanted = {(prefix + f).encode(): f for f in files}
        store: Any = repo.object_store
        for sha in (old, new):
            try:
                obj = store[sha.encode()]
            except (KeyError, ValueError):
                obj = None
            if obj is None or obj.type_name != b"commit":
                return SourceRange(old, new, f"{path} does not hold the commit {sha[:10]}")
        try:
            return _walk(store, old, new, wanted)
        except (MissingCommitError, KeyError):
            # a shallow clone (CI checkouts often are) ends its history at a commit whose
            # parents it does not hold
            return SourceRange(
                old,
                new,
                f"{path} does not hold the whole history from {old[:10]} to {new[:10]} "
                "(a shallow clone?)",
            )
    finally:
        repo.close()


def _walk(store: Any, old: str, new: str, wanted: dict[bytes, str]) -> SourceRange:
    from dulwich.walk import Walker

    count, truncated = 0, False
    touching: list[SourceCommit] = []
    include: list[Any] = [new.encode()]
    exclude: list[Any] = [old.encode()]
    for entry in Walker(store, include=include, exclude=exclude):
        count += 1
        if count > MAX_WALK:
            count, truncated = MAX_WALK, True
            break
        commit = entry.commit
        parents: list[Any] = list(commit.parents) or [None]
        hit: set[bytes] | None = None
        for p in parents:
            parent_tree = None if p is None else store[p].tree
            changed = _changed(store, commit.tree, parent_tree) & set(wanted)
            hit = changed if hit is None else hit & changed
        if hit and len(touching) < MAX_LISTED:
            when = datetime.fromtimestamp(commit.author_time, UTC)
            touching.append(
                SourceCommit(
                    commit=commit.id.decode(),
                    author=_author(commit.author),
                    date=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    subject=_line(commit.message),
                    files=tuple(sorted(wanted[p] for p in hit)),
                )
            )
    return SourceRange(old, new, None, count, truncated, tuple(touching))
