"""The store's format: its layout, the shared root commit, the store marker and version.

Every store begins with the same root commit holding ``.gitmetrics.json`` (its kind and
``store_version``); a repository whose branch lacks it is not a store, and one that
records a newer ``store_version`` than this gitmetrics knows is refused, never written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gitmetrics.errors import StoreError

if TYPE_CHECKING:
    from gitmetrics.store.repo import Store

BRANCH = b"refs/heads/main"
#: The remote's branch as the last fetch saw it (as git names it)
REMOTE_REF = b"refs/remotes/origin/main"
#: where ``gitmetrics patch --record KEY`` keeps a pull request's measurement: a ref of its
#: own beside the branch, never on it (sync pushes and fetches the branch alone)
PR_REFS = "refs/gitmetrics/pr/"
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


#: One path component: portable on every file system git hosts run on, never hidden.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_LAYOUT = re.compile(
    r"|".join(
        [
            r"\.gitmetrics\.json",
            r"README\.md",
            r"latest\.json",
            rf"snapshots/\d{{4}}/\d{{2}}/{_NAME}\.json",
            rf"badges/{_NAME}\.svg",
            r"alerts/state\.json",
            r"coordination/issues\.yaml",
            r"dashboard/index\.html",
            rf"repos/{_NAME}/files\.json",
        ]
    )
)
COMPONENT = re.compile(_NAME)


def pr_ref(key: str) -> str:
    """``refs/gitmetrics/pr/<key>``; ``StoreError`` for a key that is not one path
    component of letters, digits, ``.``, ``_`` and ``-`` (a PR number, a branch's slug)."""
    if COMPONENT.fullmatch(key) is None or key.endswith((".", ".lock")):
        raise StoreError(
            f"{key!r}: not a pull-request key",
            "use the PR's number or a slug: letters, digits, . _ - (up to 128, not starting "
            "with . or -)",
        )
    return PR_REFS + key


def in_layout(path: str, extra: Iterable[str] = ()) -> bool:
    """True for a path gitmetrics itself writes in a store (``extra``: configured paths)."""
    if path in extra:
        return all(COMPONENT.fullmatch(part) and not part.endswith(".") for part in path.split("/"))
    return _LAYOUT.fullmatch(path) is not None and not any(
        part.endswith(".") for part in path.split("/")
    )


def is_snapshot_path(path: str) -> bool:
    """True for ``latest.json`` and the files under ``snapshots/`` (only collect writes them)."""
    return path == LATEST or path.startswith(SNAPSHOT_DIR + "/")


def marker_bytes() -> bytes:
    """The content of ``.gitmetrics.json`` in the root commit."""
    from gitmetrics import snapshot as snapmod

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
