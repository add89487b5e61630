"""Backfill: a collection dated before the newest one, placed where its time puts it.

A collection older than the store's newest cannot simply go on top of the branch: it
would become the latest state. It is committed on the collection just before its time
(a side branch of one commit, dated by its timestamp) and that commit is merged with the
head by sync's merge, which keeps the newest snapshot as ``latest.json`` and regenerates
the derived files from it. History walks commits by their time, so ``gitmetrics history``
and ``git log`` show the backfilled collection in its place; nothing already in the
history is rewritten, so stores that synced before still merge with this one.
"""

from __future__ import annotations

from datetime import datetime

from gitmetrics import snapshot as snapmod
from gitmetrics.errors import StoreError
from gitmetrics.snapshot import Retention, Snapshot, StatePolicy, parse_timestamp
from gitmetrics.store.format import write_root
from gitmetrics.store.reader import HistoryEntry
from gitmetrics.store.repo import Store
from gitmetrics.store.sync import merge_commit
from gitmetrics.store.writer import CommitResult, land_collection, snapshot_tree


def _when(entry: HistoryEntry) -> datetime:
    return parse_timestamp(entry.timestamp)


def commit_at(
    store: Store, snap: Snapshot, *, retention: Retention, policy: StatePolicy = StatePolicy()
) -> CommitResult:
    """Commit ``snap`` dated by its own timestamp (commit, author and snapshot time).

    Newer than every collection, it goes on top; older, it is placed in history as the
    module says, and ``CommitResult.merge`` is the merge that now heads the branch. A
    collection from the same host at the same time already in history is refused: a
    backfill run twice adds nothing.
    """
    snapmod.validate(snapmod.to_dict(snap))  # an invalid collection never gets further
    when = int(snap.when.timestamp())
    with store.locked():
        head = store.head()
        entries = list(store.history(rev=head)) if head is not None else []
        for e in entries:
            if e.host == snap.host and _when(e) == snap.when:
                raise StoreError(
                    f"{store.path}: the history already has a collection from {snap.host} at "
                    f"{snap.timestamp} (commit {e.commit[:10]}); nothing was committed",
                    "a backfill adds each time once; give another --at to add another",
                )
        if head is None or all(_when(e) <= snap.when for e in entries):
            return land_collection(store, snap, retention, policy, when)
        before = [e for e in entries if _when(e) <= snap.when]
        place = max(before, key=_when) if before else None
        parent = place.commit if place is not None else write_root(store)
        base = store.repo[parent.encode()].tree
        tree, text, (path, pruned, _, gone) = snapshot_tree(
            store, snap, parent, base, retention, policy=policy
        )
        side = store.commit_tree(tree, [parent], text, when)
        after = "before every collection" if place is None else f"after {place.timestamp}"
        merge = merge_commit(
            store,
            head,
            side,
            retention=retention,
            subject=f"backfill: the collection of {snap.timestamp}, placed {after}",
        )
        if not store.move_branch(head, merge):
            raise StoreError(
                f"{store.path}: the branch moved while the backfill was written",
                "another program wrote to the store; run the command again",
            )
        store.sync_after(merge, "the collection")
        return CommitResult(
            side,
            path,
            tuple(pruned),
            0,
            parent,
            merge,
            state=store.state(merge),
            removed=tuple(gone),
        )
