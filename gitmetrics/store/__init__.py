"""The metrics repository (the only part of gitmetrics that touches dulwich)."""

from gitmetrics.store.repo import (
    LATEST,
    CommitResult,
    Deriver,
    HistoryEntry,
    Store,
    commit_message,
    init,
    open_store,
    prune,
)

__all__ = [
    "LATEST",
    "CommitResult",
    "Deriver",
    "HistoryEntry",
    "Store",
    "commit_message",
    "init",
    "open_store",
    "prune",
]
