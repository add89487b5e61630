"""The same source measured by two producers: each parser gives what its producer printed.

The figures may differ between producers, and gitmetrics must not "correct" either one:
a team compares a repository with itself over time, measured by the same tool.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics import formats

REPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


def _counts(case: str, name: str, fmt: str) -> tuple[int, int, int | None, int | None]:
    cov = formats.parse(REPORTS / case / name, fmt)
    return cov.lines_covered, cov.lines_valid, cov.branches_covered, cov.branches_valid


def test_nyc_and_c8_over_the_same_javascript() -> None:
    """tests/fixtures/sources/jscalc (calc.js, 25 lines), one run of test.js.

    nyc instruments the source and counts a line when a statement starts on it: 12
    coverable lines. c8 reads V8's byte-range coverage and counts every line inside a
    range V8 reports, blank lines and closing braces included: 25 lines. Both printed
    their own totals (nyc ``Lines 83.33% (10/12)``, c8 ``Lines 84% (21/25)``).
    """
    nyc = _counts("lcov/nyc", "lcov.info", "lcov")
    c8 = _counts("lcov/c8", "lcov.info", "lcov")
    assert nyc == (10, 12, 5, 10)
    assert c8 == (21, 25, 5, 8)
    # the same two producers agree with themselves across their report formats
    assert _counts("istanbul-summary/nyc", "coverage-summary.json", "istanbul-summary") == nyc
    assert _counts("istanbul-final/c8", "coverage-final.json", "istanbul-final") == c8


def test_lcov_and_gcovr_over_the_same_c_program() -> None:
    """tests/fixtures/sources/cprog (calc.c), the same two runs measured by both tools.

    Both read gcc's gcov data, so they agree: lcov ``lines 77.3% (17 of 22)``, gcovr
    ``lines: 77.3% (17 out of 22)``, branches 9 of 14 for both.
    """
    lcov = _counts("lcov/concatenated-runs", "lcov.info", "lcov")
    gcovr_summary = _counts("gcovr-summary/gcc", "coverage-summary.json", "gcovr-summary")
    gcovr_json = _counts("gcovr-json/gcc", "coverage.json", "gcovr-json")
    assert lcov == gcovr_summary == gcovr_json == (17, 22, 9, 14)


def test_coverage_py_and_pytest_cov_over_the_same_python() -> None:
    """tests/fixtures/sources/pycalc: coverage.py over run_a.py, pytest-cov over check_calc.py.

    Same measuring engine, different test drivers: the figures differ because the
    pytest run exercises more code (13 of 17 lines against 11 of 17), not because the
    producers count differently; coverage.py's own LCOV export of the first run agrees
    with its JSON to the line.
    """
    assert _counts("coverage-json/branch", "coverage.json", "coverage-json") == (11, 17, 5, 10)
    assert _counts("lcov/coveragepy-branch", "lcov.info", "lcov") == (11, 17, 5, 10)
    assert _counts("coverage-json/pytest-cov-branch", "coverage.json", "coverage-json") == (
        13,
        17,
        7,
        10,
    )
