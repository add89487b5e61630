"""The store's format: its layout constants, the shared root commit, creating and opening.

Every store begins with the same root commit holding ``.gitmetrics.json`` (its kind and
``store_version``); a repository whose branch lacks it is not a store, and one that
records a newer ``store_version`` than this gitmetrics knows is refused, never written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from gitmetrics import snapshot as snapmod
from gitmetrics.errors import StoreError

if TYPE_CHECKING:
    from gitmetrics.store.repo import Store

BRANCH = b"refs/heads/main"
LATEST = "latest.json"
SNAPSHOT_DIR = "snapshots"

#: The one file of the root commit every store starts from (and keeps).
STORE_MARKER = ".gitmetrics.json"
#: The store format this gitmetrics reads and writes.
STORE_VERSION = 1
#: The root commit is the same bytes on every machine, so stores created apart (one per
#: CI runner, say) share history and sync merges them instead of refusing them as unrelated.
ROOT_TIME = 1577836800  # 2020-01-01T00:00:00Z
ROOT_MESSAGE = (
    "gitmetrics: start of a metrics repository\n\n"
    "Every gitmetrics store begins with this same commit, so stores created on\n"
    "different machines share history and can be synced.\n"
)


def is_snapshot_path(path: str) -> bool:
    """True for ``latest.json`` and the files under ``snapshots/`` (only collect writes them)."""
    return path == LATEST or path.startswith(SNAPSHOT_DIR + "/")


def marker_bytes() -> bytes:
    """The content of ``.gitmetrics.json`` in the root commit."""
    return snapmod.dumps({"kind": "gitmetrics-store", "store_version": STORE_VERSION})


def marker_version(data: bytes) -> int | None:
    """The ``store_version`` a ``.gitmetrics.json`` records (``None``: none readable)."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    version = value.get("store_version") if isinstance(value, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def newer_store_error(where: str, version: int) -> StoreError:
    """The refusal of a store (or remote) whose format is newer than this gitmetrics."""
    return StoreError(
        f"{where}: written by a newer gitmetrics: upgrade (store_version {version}; "
        f"this gitmetrics knows {STORE_VERSION})",
        "upgrade gitmetrics (pip install -U gitmetrics); nothing was changed",
    )


def write_root(store: Store) -> str:
    """Write the shared root commit (identical bytes everywhere) and return its id."""
    from dulwich.objects import Blob

    blob = Blob.from_string(marker_bytes())
    store.add_objects([blob])
    return store.write_commit({STORE_MARKER: blob.id}, [], ROOT_MESSAGE, commit_time=ROOT_TIME)


def only_root(store: Store) -> bool:
    """True when the branch holds nothing but the shared root (no collection yet)."""
    head = store.head()
    if head is None:
        return False
    commit = store.repo[head.encode()]
    return (
        not commit.parents
        and commit.commit_time == ROOT_TIME
        and commit.message == ROOT_MESSAGE.encode()
        and set(store.files_at(head)) == {STORE_MARKER}
    )


def check_path(path: Path) -> bool:
    """Whether ``path`` is a store already; ``StoreError`` unless it can become one.

    It can when it does not exist, is an empty directory, or is a git repository with no
    commit and nothing in its work tree. Nothing is written.
    """
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        Repo(str(path)).close()
    except NotGitRepository:
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise StoreError(
                f"{path}: exists and is not empty, but is not a git repository",
                "choose another `store:` path in repos.yaml or --store",
            ) from None
        return False
    open_store(path).close()
    return True


def init(path: Path, *, bare: bool = False) -> Store:
    """Create a metrics repository at ``path`` (or open it when it is one already)."""
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    from gitmetrics.store.repo import Store

    if check_path(path):
        return open_store(path)
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo.init_bare(str(path)) if bare else Repo.init(str(path), mkdir=False)
    try:
        repo.refs.set_symbolic_ref(Ref(b"HEAD"), Ref(BRANCH))
        cfg = repo.get_config()
        cfg.set((b"gc",), b"auto", b"0")  # packing is an explicit command
        cfg.set((b"gitmetrics",), b"storeVersion", str(STORE_VERSION).encode())
        cfg.write_to_path()
    finally:
        repo.close()
    store = Store(path)
    with store.locked():
        store.move_branch(None, write_root(store))
        store.sync_worktree()
    return store


def open_store(path: Path) -> Store:
    """Open an existing metrics repository; ``StoreError`` when there is none.

    A git repository that is not a gitmetrics store (its branch has no ``.gitmetrics.json``:
    a project's own checkout, say) is refused, so gitmetrics never commits onto it; so is a
    store written by a newer gitmetrics (a newer ``store_version``).
    """
    from gitmetrics.store.repo import Store

    if not path.exists():
        raise StoreError(
            f"{path}: no metrics repository here",
            "run `gitmetrics collect` (it creates the store) or `gitmetrics init`",
        )
    store = Store(path)
    _ = store.repo  # raises StoreError when not a repository
    try:
        _check_is_store(store)
    except StoreError:
        store.close()
        raise
    return store


def _configured_version(store: Store) -> int | None:
    try:
        raw: bytes = store.repo.get_config().get((b"gitmetrics",), b"storeVersion")
    except KeyError:
        return None
    try:
        return int(raw.decode().strip())
    except (ValueError, UnicodeDecodeError):
        return None


def _check_is_store(store: Store) -> None:
    configured = _configured_version(store)
    if configured is not None and configured > STORE_VERSION:
        raise newer_store_error(f"{store.path} (git config gitmetrics.storeVersion)", configured)
    head = store.head()
    if head is None:
        # a repository without a commit (`git init metrics`) is a store to be: nothing in it
        # may be overwritten, so its work tree must be empty
        if store.bare or not any(p.name != ".git" for p in store.path.iterdir()):
            return
        what = "has no commit yet but its directory is not empty"
    else:
        try:
            tree = store.repo[head.encode()].tree
        except KeyError:
            raise StoreError(
                f"{store.path}: the branch points at a missing commit {head[:10]}"
            ) from None
        marker = store.lookup(tree, STORE_MARKER)
        if marker is not None:
            version = marker_version(store.blob(marker))
            if version is not None and version > STORE_VERSION:
                raise newer_store_error(f"{store.path}/{STORE_MARKER}", version)
            return
        what = f"has no {STORE_MARKER} on its branch"
    raise StoreError(
        f"{store.path}: is a git repository but not a gitmetrics store (it {what})",
        "gitmetrics writes only into its own stores: choose another path for `store:` in "
        "repos.yaml or --store (a new or empty directory)",
    )
