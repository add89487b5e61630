"""Timestamps as snapshots write them: ISO 8601 UTC with a ``Z``, whole seconds.

Apart from :mod:`gitmetrics.snapshot` (which names both) so that reading the history's
trailers (``history``, the store) needs none of the snapshot model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def now_timestamp() -> str:
    """The current UTC time, ISO 8601 with a ``Z`` and whole seconds."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=1 << 16)
def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 UTC timestamp as written in snapshots (each text parsed once: a view
    reads the same few timestamps for every repository)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
