"""The metrics repository (the only part of gitmetrics that touches dulwich)."""

from gitmetrics.store.format import LATEST
from gitmetrics.store.opening import check_path, init, open_store
from gitmetrics.store.provenance import source_of
from gitmetrics.store.reader import HistoryEntry
from gitmetrics.store.repo import Store
from gitmetrics.store.writer import CommitResult, DeriveContext, Deriver, prune

__all__ = [
    "LATEST",
    "CommitResult",
    "DeriveContext",
    "Deriver",
    "HistoryEntry",
    "Store",
    "check_path",
    "init",
    "open_store",
    "prune",
    "source_of",
]
