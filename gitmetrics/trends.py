"""Pure functions over coverage series: changes, arrows, regressions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

#: Changes smaller than this (in points) read as "no change".
EPSILON = 0.005


def change(current: float | None, previous: float | None) -> float | None:
    """``current - previous`` in points, ``None`` when either is missing."""
    if current is None or previous is None:
        return None
    return round(current - previous, 2)


def direction(delta: float | None) -> str:
    """``up``, ``down``, ``same`` or ``none`` for a change in points."""
    if delta is None:
        return "none"
    if delta > EPSILON:
        return "up"
    if delta < -EPSILON:
        return "down"
    return "same"


def changes(series: Sequence[float | None]) -> list[float | None]:
    """Change of each value against the one before it (oldest first; first is ``None``)."""
    return [None, *(change(b, a) for a, b in itertools.pairwise(series))]
