"""The bundled examples: each committed report parses to the counts its tool printed."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitmetrics import formats
from tests.helpers import ROOT, git

EXAMPLES = ROOT / "examples"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (EXAMPLES / "expected.json").read_text(encoding="utf-8")
)

#: Build products that must never be committed inside an example.
BUILD_PRODUCTS = ("node_modules", "__pycache__", ".coverage", "*.o", "*.gcda", "*.gcno", "build")


def config() -> dict[str, Any]:
    """The example repos.yaml, read as plain YAML."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "repos.yaml").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_report_matches_the_tool(name: str) -> None:
    expected = EXPECTED[name]
    report = EXAMPLES / name / expected["report"]
    cov = formats.parse(report, expected["format"])
    assert cov.format == expected["format"]
    assert cov.lines_covered == expected["lines_covered"]
    assert cov.lines_valid == expected["lines_valid"]
    assert cov.branches_covered == expected["branches_covered"]
    assert cov.branches_valid == expected["branches_valid"]
    assert cov.files_tested > 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_format_is_detected_by_content(name: str) -> None:
    expected = EXPECTED[name]
    assert formats.detect(EXAMPLES / name / expected["report"]) == expected["format"]


def test_repos_yaml_lists_every_example() -> None:
    repos = config()["repos"]
    by_name = {r["name"]: r for r in repos}
    assert set(EXPECTED) <= set(by_name)
    for name, expected in EXPECTED.items():
        repo = by_name[name]
        assert (ROOT / repo["path"]).resolve() == (EXAMPLES / name).resolve()
        if "coverage" in repo:
            assert repo["coverage"] == expected["report"]


def test_omitted_coverage_is_found_by_discovery() -> None:
    missing = [r for r in config()["repos"] if "coverage" not in r]
    assert missing, "one example should rely on auto-detection"
    for repo in missing:
        root = ROOT / repo["path"]
        found = formats.candidate_paths(root)
        expected = EXPECTED[repo["name"]]
        assert found[:1] == [root / expected["report"]]
        assert formats.detect(found[0]) == expected["format"]


def test_examples_hold_no_build_products() -> None:
    # Only what git tracks counts: ignored local build output is fine.
    tracked = [Path(p) for p in git("ls-files", "examples", cwd=ROOT).splitlines()]
    assert tracked
    bad = [
        p
        for p in tracked
        if any(fnmatch.fnmatch(part, pat) for part in p.parts for pat in BUILD_PRODUCTS)
    ]
    assert not bad
