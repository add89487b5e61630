"""Shared helpers for the format tests."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


@pytest.fixture
def fixtures() -> Path:
    """The directory of real reports made by the producing tools."""
    return FIXTURES
