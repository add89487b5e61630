"""Patch coverage equals diff-cover's on the same diff and the same report made by a real
tool: the total, each file's figure and its missing lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitmetrics.cli import app

pytestmark = pytest.mark.slow

REPORTS = [
    "coverage.xml",
    "gcovr-cobertura.xml",
    "gcovr.info",
    "gcovr-clover.xml",
]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def diff_cover(root: Path, report: str, *extra: str) -> dict[str, Any]:
    out = root / f"{report}.diff-cover.json"
    tool = Path(sys.executable).with_name("diff-cover")
    proc = subprocess.run(
        [
            str(tool),
            report,
            "--compare-branch",
            "origin/main",
            "--format",
            f"json:{out}",
            "-q",
            *extra,
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def ours(root: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["patch", "--path", str(root), "-f", "json", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def compare(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    measured = {f["path"]: f for f in mine["files"] if f["coverable"]}
    assert sorted(measured) == sorted(theirs["src_stats"])
    for path, stats in theirs["src_stats"].items():
        f = measured[path]
        assert f["missing_lines"] == stats["violation_lines"], path
        assert f["coverable"] - f["covered"] == len(stats["violation_lines"])
        assert f["covered"] == len(stats["covered_lines"]), path
        assert f["percent"] == pytest.approx(stats["percent_covered"], abs=0.005), path
    assert mine["coverable"] == theirs["total_num_lines"]
    assert mine["missing"] == theirs["total_num_violations"]
    assert int(mine["percent"]) == theirs["total_percent_covered"]


@pytest.mark.parametrize("report", REPORTS)
def test_same_figures_as_diff_cover(changed_repo: Path, report: str) -> None:
    if not (changed_repo / report).exists():
        pytest.skip("gcc and gcov are needed for gcovr's reports")
    theirs = diff_cover(changed_repo, report)
    mine = ours(changed_repo, "--report", str(changed_repo / report))
    assert theirs["total_num_lines"] > 0  # the comparison must compare something
    assert theirs["total_num_violations"] > 0
    compare(mine, theirs)


def test_same_figures_with_the_diff_in_a_file(changed_repo: Path, tmp_path: Path) -> None:
    diff = subprocess.run(
        ["git", "diff", "--no-color", "origin/main...HEAD"],
        cwd=changed_repo,
        capture_output=True,
        check=True,
    ).stdout
    (tmp_path / "change.diff").write_bytes(diff)
    theirs = diff_cover(changed_repo, "coverage.xml", "--diff-file", str(tmp_path / "change.diff"))
    mine = ours(
        changed_repo,
        "--report",
        str(changed_repo / "coverage.xml"),
        "--diff-file",
        str(tmp_path / "change.diff"),
    )
    compare(mine, theirs)


def test_gcovr_jacoco_has_no_line_hits(changed_repo: Path) -> None:
    # gcovr's JaCoCo writes <line nr> without ci: which lines ran is not in the report
    # (diff-cover reads every such line as missed)
    if not (changed_repo / "gcovr-jacoco.xml").exists():
        pytest.skip("gcc and gcov are needed for gcovr's reports")
    result = CliRunner().invoke(
        app,
        ["patch", "--path", str(changed_repo), "--report", str(changed_repo / "gcovr-jacoco.xml")],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "gcovr-jacoco.xml: jacoco cannot give patch coverage: it has no per-line data" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_same_figures_as_diff_cover_on_jacoco(tmp_path: Path) -> None:
    """JaCoCo's own XML (the agent's, tests/fixtures/reports/jacoco/java-branches) of the
    sources it measured, committed as a change to an older version of them."""
    from tests.conftest import git

    sources = FIXTURES / "sources" / "java-calc" / "src"
    root = tmp_path / "java"
    (root / "src" / "calc").mkdir(parents=True)
    calc = (sources / "calc" / "Calc.java").read_text().splitlines(keepends=True)
    # the base: no sign() and another unused()
    base = calc[:10] + calc[19:25] + ["        return n;\n", "    }\n", "}\n"]
    (root / "src" / "calc" / "Calc.java").write_text("".join(base))
    (root / "src" / "calc" / "Main.java").write_text((sources / "calc" / "Main.java").read_text())
    git("init", "-q", "-b", "main", root)
    git("add", ".", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    git("checkout", "-q", "-b", "work", cwd=root)
    (root / "src" / "calc" / "Calc.java").write_text("".join(calc))
    (root / "src" / "plain").mkdir()
    (root / "src" / "plain" / "Greeter.java").write_text(
        (sources / "plain" / "Greeter.java").read_text()
    )
    report = root / "jacoco.xml"
    report.write_bytes(
        (FIXTURES / "reports" / "jacoco" / "java-branches" / "jacoco.xml").read_bytes()
    )
    git("add", "src", cwd=root)
    git("commit", "-qm", "work", cwd=root)
    tool = Path(sys.executable).with_name("diff-cover")
    out = tmp_path / "dc.json"
    subprocess.run(
        [
            str(tool),
            "jacoco.xml",
            "--compare-branch",
            "main",
            "--src-roots",
            "src",
            "--format",
            f"json:{out}",
            "-q",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    theirs = json.loads(out.read_text())
    assert theirs["total_num_violations"] > 0
    mine = ours(root, "--report", str(report), "--base", "main", "--src-root", "src")
    compare(mine, theirs)


def fixture_change(tmp_path: Path, sources: Path, names: list[str], report: Path) -> Path:
    """A repository whose branch turns older versions of ``names`` (without their middle
    third; the last name absent) into the fixture sources a real tool measured."""
    from tests.conftest import git

    root = tmp_path / "repo"
    root.mkdir()
    git("init", "-q", "-b", "main", root)
    for name in names[:-1]:
        lines = (sources / name).read_text().splitlines(keepends=True)
        third = len(lines) // 3
        (root / name).write_text("".join(lines[:third] + lines[2 * third :]))
    git("add", ".", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    git("checkout", "-q", "-b", "work", cwd=root)
    for name in names:
        (root / name).write_text((sources / name).read_text())
    git("add", ".", cwd=root)
    git("commit", "-qm", "work", cwd=root)
    (root / report.name).write_bytes(report.read_bytes())
    return root


@pytest.mark.parametrize(
    ("sources", "names", "report", "extra"),
    [
        ("jscalc", ["test.js", "calc.js"], "lcov/c8/lcov.info", []),
        ("jscalc", ["test.js", "calc.js"], "lcov/nyc/lcov.info", []),
        # nyc wrote absolute paths of the checkout it ran in
        (
            "js-calc",
            ["calc.js", "util.js"],
            "clover/nyc-js/clover.xml",
            ["--src-root", "/tmp/jsrun"],
        ),
    ],
)
def test_same_figures_as_diff_cover_on_istanbul_reports(
    tmp_path: Path, sources: str, names: list[str], report: str, extra: list[str]
) -> None:
    """c8's and nyc's LCOV and nyc's Clover (tests/fixtures/reports), over the sources they
    measured committed as a change."""
    root = fixture_change(
        tmp_path, FIXTURES / "sources" / sources, names, FIXTURES / "reports" / report
    )
    name = Path(report).name
    tool = Path(sys.executable).with_name("diff-cover")
    out = tmp_path / "dc.json"
    subprocess.run(
        [str(tool), name, "--compare-branch", "main", "--format", f"json:{out}", "-q"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    theirs = json.loads(out.read_text())
    assert theirs["total_num_violations"] > 0
    mine = ours(root, "--report", str(root / name), "--base", "main", *extra)
    compare(mine, theirs)
