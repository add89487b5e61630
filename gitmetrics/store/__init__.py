"""The metrics repository (the only part of gitmetrics that touches dulwich)."""

from typing import TYPE_CHECKING, Any

from gitmetrics.store.format import LATEST
from gitmetrics.store.opening import check_path, init, open_store
from gitmetrics.store.reader import HistoryEntry
from gitmetrics.store.repo import Store

if TYPE_CHECKING:
    from gitmetrics.store.provenance import source_of
    from gitmetrics.store.writer import CommitResult, DeriveContext, Deriver, prune

#: names of the commit writer, loaded on first use (`history` and the views never write)
_WRITER = frozenset({"CommitResult", "DeriveContext", "Deriver", "prune"})


def __getattr__(name: str) -> Any:
    if name in _WRITER:
        from gitmetrics.store import writer

        return getattr(writer, name)
    if name == "source_of":  # collect's, with the snapshot model it returns
        from gitmetrics.store.provenance import source_of

        return source_of
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
