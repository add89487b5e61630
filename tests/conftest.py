"""Fixtures shared by every test package; the helpers themselves are in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Re-exported for the modules (and branches) that still import them from here.
from tests.helpers import (  # noqa: F401
    GIT_ENV,
    ROOT_COMMIT,
    ROOT_SUBJECT,
    fsck,
    git,
    inject,
    make_snapshot,
    repo_result,
    trailers,
)


@pytest.fixture
def store_dir(tmp_path: Path) -> Iterator[Path]:
    """A path for a new metrics repository."""
    yield tmp_path / "metrics"
