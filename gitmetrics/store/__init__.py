"""The metrics repository (the only part of gitmetrics that touches dulwich)."""

from gitmetrics.store.repo import (
    LATEST,
    CommitResult,
    DeriveContext,
    Deriver,
    HistoryEntry,
    Store,
    check_path,
    commit_message,
    init,
    open_store,
    prune,
    source_of,
)

__all__ = [
    "LATEST",
    "CommitResult",
    "DeriveContext",
    "Deriver",
    "HistoryEntry",
    "Store",
    "check_path",
    "commit_message",
    "init",
    "open_store",
    "prune",
    "source_of",
]
