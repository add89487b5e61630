"""Real reports of the formats read since 0.3, from public repositories: the producer's totals.

The totals are checked with every other case in test_realworld.py; the reports are in ``shared/realworld/manifest.json`` beside the checkout
(the cases are other people's files: they are read from there, never copied in). Each case
whose manifest format is a ``new:`` one must give exactly the totals the manifest records,
be detected by its content, and keep its per-file detail consistent with its totals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitmetrics import formats
from tests.formats.test_realworld import CASES as ALL_CASES
from tests.formats.test_realworld import READ_AS, REALWORLD

NEW_FORMATS = {k: v for k, v in READ_AS.items() if k.startswith("new:")}
CASES = [c for c in ALL_CASES if c["format"] in NEW_FORMATS]
needs_realworld = pytest.mark.skipif(REALWORLD is None, reason="shared/realworld is not here")


def _path(case: dict[str, Any]) -> Path:
    assert REALWORLD is not None
    return REALWORLD / case["file"]


@needs_realworld
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_is_detected_by_content(case: dict[str, Any]) -> None:
    path = _path(case)
    assert formats.detect_content(path) == NEW_FORMATS[case["format"]]
    assert formats.detect(path) == NEW_FORMATS[case["format"]]


@needs_realworld
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_per_file_detail_adds_up_to_the_totals(case: dict[str, Any]) -> None:
    cov = formats.parse(_path(case))
    assert sum(f.lines_covered for f in cov.files) == cov.lines_covered
    assert sum(f.lines_valid for f in cov.files) == cov.lines_valid
    if cov.branches_valid is None:
        assert all(f.branches_valid is None for f in cov.files)
    else:
        assert sum(f.branches_valid or 0 for f in cov.files) == cov.branches_valid
        assert sum(f.branches_covered or 0 for f in cov.files) == cov.branches_covered
    for f in cov.files:
        assert "\\" not in f.path
        if f.lines is not None:
            assert (f.lines.covered, len(f.lines)) == (f.lines_covered, f.lines_valid)


@needs_realworld
def test_every_new_format_of_the_manifest_is_read() -> None:
    new = {c["format"] for c in ALL_CASES if c["format"].startswith("new:")}
    assert new <= set(NEW_FORMATS)
