"""Real reports from public repositories give exactly the totals their producers print.

The reports and their expected totals live outside the project, in the shared
``realworld/`` set (``manifest.json`` beside ``cases/``): they are read from there, never
copied in. Every case runs, and a case of a format gitmetrics does not read fails. Set
``GITMETRICS_REALWORLD`` to use another copy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitmetrics import formats
from tests.helpers import realworld

REALWORLD = realworld()
CASES: list[dict[str, Any]] = (
    json.loads((REALWORLD / "manifest.json").read_text())["cases"] if REALWORLD else []
)

#: the manifest's name of a format -> gitmetrics' name, where the two differ
READ_AS: dict[str, str] = {
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


def _format(case: dict[str, Any]) -> str:
    """The gitmetrics format of a case (every format of the manifest is read)."""
    label: str = case["format"]
    name = READ_AS.get(label, label)
    assert name in formats.names(), f"format {case.get('real_format', label)} is not read"
    return name


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@pytest.mark.skipif(REALWORLD is None, reason="the shared realworld/ reports are not here")
@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c["id"]))
def test_real_report_gives_the_producers_totals(case: dict[str, Any]) -> None:
    assert REALWORLD is not None
    fmt = _format(case)
    path = REALWORLD / case["file"]
    expected = case["expected"]
    cov = formats.parse(path, fmt)
    got = {
        "lines_covered": cov.lines_covered,
        "lines_valid": cov.lines_valid,
        "branches_covered": cov.branches_covered,
        "branches_valid": cov.branches_valid,
        "files": len(cov.files) if fmt in LISTS_EVERY_FILE else cov.files_tested,
        "line_coverage": _percent(cov.line_rate),
        "branch_coverage": _percent(cov.branch_rate),
    }
    want = {k: expected[k] for k in got}
    # the manifest rounds to 2 decimals, as the producers print them
    want["line_coverage"] = _percent(want["line_coverage"])
    want["branch_coverage"] = _percent(want["branch_coverage"])
    assert got == want


@pytest.mark.skipif(REALWORLD is None, reason="the shared realworld/ reports are not here")
@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.get("format_required")], ids=lambda c: str(c["id"])
)
def test_real_report_is_detected_as_its_format(case: dict[str, Any]) -> None:
    assert REALWORLD is not None
    fmt = _format(case)
    assert formats.detect(REALWORLD / case["file"]) == fmt


#: the formats that record a warning where a report's declared totals and its lines disagree
WARNS = {"cobertura", "jacoco"}


@pytest.mark.skipif(REALWORLD is None, reason="the shared realworld/ reports are not here")
@pytest.mark.parametrize(
    "case", [c for c in CASES if c["format"] in WARNS], ids=lambda c: str(c["id"])
)
def test_a_report_that_disagrees_with_itself_gets_a_warning(case: dict[str, Any]) -> None:
    assert REALWORLD is not None
    cov = formats.parse(REALWORLD / case["file"], _format(case))
    # the manifest notes where the file's own elements add up to other figures
    assert bool(cov.warnings) == ("file recount figures differ" in case["note"])
