"""Creating and opening a store: only an empty place or a gitmetrics store is used.

A repository whose branch lacks ``.gitmetrics.json`` is not a store (a project's own
checkout, say) and is never written to; one that records a newer ``store_version`` than
this gitmetrics knows is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitmetrics.errors import StoreError
from gitmetrics.store.format import (
    BRANCH,
    STORE_MARKER,
    STORE_VERSION,
    marker_version,
    newer_store_error,
    write_root,
)
from gitmetrics.store.repo import Store

#: ``<gitdir>/gitmetrics-checked``: the branch's commit that last passed the check that
#: this is a store (its tree has the marker, of a version this gitmetrics reads), with
#: the version checked against; the check is not made again while both are the same.
CHECKED = "gitmetrics-checked"


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
    if not path.exists():
        raise StoreError(
            f"{path}: no metrics repository here",
            "run `gitmetrics collect` (it creates the store) or `gitmetrics init`",
        )
    store = Store(path)
    if store.plain() is None:  # read as plain files (store/plain.py), or by dulwich
        _ = store.repo  # raises StoreError when not a repository
    try:
        _check_is_store(store)
    except StoreError:
        store.close()
        raise
    return store


def _configured_version(store: Store) -> int | None:
    plain = store.plain()
    if plain is not None:
        found = plain.get(b"gitmetrics", b"storeVersion")
        if found is None:
            return None
        raw = found
    else:
        try:
            raw = store.config.get((b"gitmetrics",), b"storeVersion")
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
        memo = store.gitdir / CHECKED
        passed = f"{head} {STORE_VERSION}\n"
        try:
            if memo.read_text() == passed:
                return  # this very commit passed the check below before
        except (OSError, ValueError):
            pass
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
            tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
            try:
                tmp.write_text(passed)
                tmp.replace(memo)
            except OSError:
                tmp.unlink(missing_ok=True)  # a read-only store: checked again next time
            return
        what = f"has no {STORE_MARKER} on its branch"
    raise StoreError(
        f"{store.path}: is a git repository but not a gitmetrics store (it {what})",
        "gitmetrics writes only into its own stores: choose another path for `store:` in "
        "repos.yaml or --store (a new or empty directory)",
    )
