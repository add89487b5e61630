"""Derived files: what every commit writes beside the snapshot (README.md, badges, ...).

Each contributor takes the config and the :class:`~gitmetrics.store.DeriveContext` of the
new newest snapshot and returns ``path -> bytes`` (``None`` removes a path). The store
calls the combined deriver for every commit and for every merge made by sync, so the
derived files always describe the newest snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from gitmetrics.config import Config

if TYPE_CHECKING:
    from gitmetrics.store import DeriveContext, Deriver

Contributor = Callable[[Config, "DeriveContext"], Mapping[str, bytes | None]]


def contributors() -> list[Contributor]:
    """Every contributor, imported lazily (only commands that commit pay for them)."""
    from gitmetrics.render import dashboard, metrics_readme

    found: list[Contributor] = [metrics_readme.contribute, dashboard.derived]
    return found


def make_deriver(cfg: Config) -> Deriver:
    """One deriver for the store that runs every contributor for ``cfg``."""

    def derive(ctx: DeriveContext) -> Mapping[str, bytes | None]:
        out: dict[str, bytes | None] = {}
        for contributor in contributors():
            out.update(contributor(cfg, ctx))
        return out

    return derive
