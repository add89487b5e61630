"""Real reports of the formats read since 0.3, from public repositories: the producer's totals.

The reports and their totals are in ``shared/realworld/manifest.json`` beside the checkout
(the cases are other people's files: they are read from there, never copied in). Each case
whose manifest format is a ``new:`` one must give exactly the totals the manifest records,
be detected by its content, and keep its per-file detail consistent with its totals.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import formats

ROOT = Path(__file__).resolve().parents[2]


def _realworld() -> Path | None:
    override = os.environ.get("GITMETRICS_REALWORLD")
    candidates = [Path(override)] if override else []
    # the main checkout has shared/ beside it; a worktree one level further down
    candidates += [ROOT.parent / "shared" / "realworld", ROOT.parents[1] / "shared" / "realworld"]
    return next((c for c in candidates if (c / "manifest.json").is_file()), None)


REALWORLD = _realworld()
MANIFEST: dict[str, Any] = (
    json.loads((REALWORLD / "manifest.json").read_text()) if REALWORLD else {"cases": []}
)

#: the manifest's description of a new format -> gitmetrics' name for it
NEW_FORMATS: dict[str, str] = {
    "new:OpenCover XML (coverlet)": "opencover",
    "new:coverlet native JSON": "coverlet-json",
    "new:SimpleCov .resultset.json": "simplecov-resultset",
    "new:SimpleCov JSON formatter coverage/coverage.json (Ruby)": "simplecov-json",
    "new:Coveralls JSON (ExCoveralls, Elixir)": "coveralls",
    "new:Dart package:coverage JSON (coverage/coverage.json)": "dart-json",
}

#: formats whose producers count every file they list, code or not (ExCoveralls lists a
#: file with no relevant line, e.g. a module of declarations): the manifest counts those
LISTS_EVERY_FILE = {"coveralls"}

CASES = [c for c in MANIFEST["cases"] if c["format"] in NEW_FORMATS]
needs_realworld = pytest.mark.skipif(REALWORLD is None, reason="shared/realworld is not here")


def _path(case: dict[str, Any]) -> Path:
    assert REALWORLD is not None
    return REALWORLD / case["file"]


@needs_realworld
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_gives_the_producers_totals(case: dict[str, Any]) -> None:
    expected = case["expected"]
    cov = formats.parse(_path(case))
    assert cov.format == NEW_FORMATS[case["format"]]
    got = {
        "lines_covered": cov.lines_covered,
        "lines_valid": cov.lines_valid,
        "branches_covered": cov.branches_covered,
        "branches_valid": cov.branches_valid,
        "files": len(cov.files) if cov.format in LISTS_EVERY_FILE else cov.files_tested,
    }
    assert got == {k: expected[k] for k in got}
    for rate, key in ((cov.line_rate, "line_coverage"), (cov.branch_rate, "branch_coverage")):
        if expected[key] is None:
            assert rate is None
        else:
            assert rate is not None
            assert round(rate, 2) == pytest.approx(expected[key], abs=0.011)


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
    new = {c["format"] for c in MANIFEST["cases"] if c["format"].startswith("new:")}
    assert new <= set(NEW_FORMATS)
