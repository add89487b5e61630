"""coverage.py data files: combining, remapping onto the source, and refusing clearly."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import coveragepy_data

from .conftest import FIXTURES

PLAIN = FIXTURES / "coverage-data" / "plain"
PARALLEL = FIXTURES / "coverage-data" / "parallel-branch"
SOURCES = FIXTURES.parent / "sources"


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_user_files_are_never_modified(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(PARALLEL, repo)
    before = _digest(repo)
    report = next(repo.glob(".coverage.*"))
    cov = coveragepy_data.parse(report)
    assert (cov.lines_covered, cov.lines_valid) == (13, 17)
    assert _digest(repo) == before


def test_parallel_files_are_combined_from_any_of_them() -> None:
    totals = {
        (c.lines_covered, c.lines_valid, c.branches_covered, c.branches_valid)
        for c in (coveragepy_data.parse(p) for p in sorted(PARALLEL.glob(".coverage.*")))
    }
    assert totals == {(13, 17, 7, 10)}


def test_one_parallel_file_alone(tmp_path: Path) -> None:
    first = sorted(PARALLEL.glob(".coverage.*"))[0]
    shutil.copy(first, tmp_path / first.name)
    shutil.copytree(PARALLEL / "pycalc", tmp_path / "pycalc")
    cov = coveragepy_data.parse(tmp_path / first.name)
    # one run alone covers less than the combination
    assert cov.lines_covered < 13
    assert cov.branches_valid == 10


def test_paths_are_repo_relative_after_remapping() -> None:
    cov = coveragepy_data.parse(PLAIN / ".coverage")
    assert sorted(f.path for f in cov.files) == [
        "pycalc/__init__.py",
        "pycalc/calc.py",
        "pycalc/empty.py",
    ]
    assert cov.branches_valid is None


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copy(PLAIN / ".coverage", tmp_path / ".coverage")
    with pytest.raises(ReportError) as err:
        coveragepy_data.parse(tmp_path / ".coverage")
    assert ".coverage: a coverage.py data file needs the source it measured" in err.value.message
    assert "pycalc/" in err.value.message
    assert err.value.hint is not None and "source" in err.value.hint


def test_coverage_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "coverage", None)
    with pytest.raises(ReportError, match="needs the `coverage` package") as err:
        coveragepy_data.parse(PLAIN / ".coverage")
    assert err.value.hint is not None and "gitmetrics[coverage]" in err.value.hint


@pytest.mark.parametrize(
    "content",
    [b"!coverage.py: This is a private format, don't read it directly!{}", b"\x00\x01garbage"],
)
def test_not_sqlite_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / ".coverage").write_bytes(content)
    with pytest.raises(ReportError, match=r"\.coverage: not a coverage\.py SQLite data file"):
        coveragepy_data.parse(tmp_path / ".coverage")


def test_truncated_sqlite_is_refused(tmp_path: Path) -> None:
    data = (PLAIN / ".coverage").read_bytes()
    (tmp_path / ".coverage").write_bytes(data[:5000])
    with pytest.raises(ReportError, match=r"\.coverage"):
        coveragepy_data.parse(tmp_path / ".coverage")


def test_remap_prefers_the_longest_suffix(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "a").mkdir(parents=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "pkg" / "a" / "m.py").write_text("")
    (tmp_path / "a" / "m.py").write_text("")
    found = coveragepy_data.remap("/ci/build/pkg/a/m.py", tmp_path.resolve())
    assert found == tmp_path.resolve() / "pkg" / "a" / "m.py"
    assert coveragepy_data.remap("C:\\work\\pkg\\a\\m.py", tmp_path.resolve()) == found
    assert coveragepy_data.remap("/ci/elsewhere.py", tmp_path.resolve()) is None


def test_detect_needs_sqlite_and_the_name() -> None:
    head = (PLAIN / ".coverage").read_bytes()[:100]
    assert coveragepy_data.detect(PLAIN / ".coverage", head)
    assert not coveragepy_data.detect(PLAIN / "other.db", head)


def test_sibling_files_that_are_not_data_are_skipped(tmp_path: Path) -> None:
    shutil.copytree(PLAIN, tmp_path / "repo")
    (tmp_path / "repo" / ".coverage.orig").write_text("not a data file")
    cov = coveragepy_data.parse(tmp_path / "repo" / ".coverage")
    assert (cov.lines_covered, cov.lines_valid) == (11, 17)


def _run(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.slow
def test_totals_equal_coverage_report_with_the_repos_config(tmp_path: Path) -> None:
    """Run coverage for real, with an exclusion in .coveragerc, then move the checkout."""
    ran = tmp_path / "ci" / "checkout"
    shutil.copytree(SOURCES / "pycalc", ran)
    (ran / ".coveragerc").write_text("[run]\nbranch = True\n[report]\nexclude_also = def unused\n")
    _run(ran, "run", "--source=pycalc", "run_b.py")
    printed = _run(ran, "report", "--precision=2")
    total = next(line for line in printed.splitlines() if line.startswith("TOTAL")).split()
    stmts, miss, branches = (int(x) for x in total[1:4])
    moved = tmp_path / "elsewhere" / "repo"
    shutil.move(ran, moved)
    cov = coveragepy_data.parse(moved / ".coverage")
    assert (cov.lines_valid, cov.lines_valid - cov.lines_covered) == (stmts, miss)
    assert cov.branches_valid == branches
    assert cov.branches_covered is not None
    # coverage report's TOTAL mixes statements and branches
    mixed = 100 * (cov.lines_covered + cov.branches_covered) / (stmts + branches)
    assert f"{mixed:.2f}%" == total[-1]
    assert stmts < 17  # the repository's exclusion was honoured


def test_a_measured_file_that_never_ran_counts_as_in_coverage_report() -> None:
    # pycalc/report.py is in the data (found by --source) with no arcs at all
    cov = coveragepy_data.parse(FIXTURES / "coverage-data" / "never-run" / ".coverage")
    by_path = {f.path: f for f in cov.files}
    report = by_path["pycalc/report.py"]
    assert (report.lines_covered, report.lines_valid) == (0, 8)
    assert (report.branches_covered, report.branches_valid) == (0, 2)
    assert (cov.lines_covered, cov.lines_valid) == (11, 25)


@pytest.mark.slow
@pytest.mark.parametrize("branch", [True, False], ids=["arcs", "lines"])
def test_never_imported_module_matches_coverage_report(tmp_path: Path, branch: bool) -> None:
    """Run coverage for real on a package with a module no test imports."""
    ran = tmp_path / "ci" / "checkout"
    shutil.copytree(SOURCES / "pycalc", ran)
    (ran / "pycalc" / "unused.py").write_text(
        "def f(x):\n    if x:\n        return 1\n    return 2\n"
    )
    _run(ran, "run", *(["--branch"] if branch else []), "--source=pycalc", "run_a.py")
    printed = _run(ran, "report", "--precision=2")
    assert "pycalc/unused.py" in printed
    total = next(line for line in printed.splitlines() if line.startswith("TOTAL")).split()
    moved = tmp_path / "elsewhere" / "repo"
    shutil.move(ran, moved)
    cov = coveragepy_data.parse(moved / ".coverage")
    assert (cov.lines_valid, cov.lines_valid - cov.lines_covered) == (int(total[1]), int(total[2]))
    if branch:
        assert cov.branches_valid == int(total[3])
