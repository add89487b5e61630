"""LCOV: the traps listed in FORMATS.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import lcov

from .conftest import FIXTURES

RUN1 = FIXTURES / "lcov" / "lcov-gcc" / "lcov.info"
CONCAT = FIXTURES / "lcov" / "concatenated-runs" / "lcov.info"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lcov.info"
    path.write_text(text)
    return path


def test_repeated_sf_records_are_merged_per_line() -> None:
    cov = lcov.parse(CONCAT)
    assert len(cov.files) == 1
    assert (cov.lines_covered, cov.lines_valid) == (17, 22)
    assert (cov.branches_covered, cov.branches_valid) == (9, 14)
    assert cov.files[0].lines is not None
    # line 16 ran 3 times in run 1 and 5 times in run 2
    assert cov.files[0].lines[16] == 1


def test_summary_records_are_ignored(tmp_path: Path) -> None:
    text = "SF:a.c\nDA:1,1\nDA:2,0\nLF:99\nLH:98\nBRF:7\nBRH:7\nend_of_record\n"
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (1, 2)
    assert cov.branches_valid is None


def test_missing_summary_records_are_fine(tmp_path: Path) -> None:
    text = "SF:a.c\nDA:1,1\nDA:2,0\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nend_of_record\n"
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (1, 2)
    assert (cov.branches_covered, cov.branches_valid) == (1, 2)


def test_dash_taken_means_zero_and_merges_with_counts(tmp_path: Path) -> None:
    text = "SF:a.c\nDA:1,1\nBRDA:1,0,0,-\nend_of_record\nSF:a.c\nBRDA:1,0,0,3\nend_of_record\n"
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.branches_covered, cov.branches_valid) == (1, 1)
    assert cov.files[0].branches == {"1,0,0": 1}


def test_branch_expression_with_commas(tmp_path: Path) -> None:
    text = (
        "SF:a.rs\nDA:3,1\n"
        "BRDA:3,0,(a, b) => true,2\n"
        "BRDA:3,0,(a, b) => false,0\n"
        "BRDA:3,0,jump to line 4,-\n"
        "end_of_record\n"
    )
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.branches_covered, cov.branches_valid) == (1, 3)
    assert cov.files[0].branches is not None
    assert cov.files[0].branches["3,0,(a, b) => true"] == 1


def test_lcov2_records_and_checksums_are_tolerated(tmp_path: Path) -> None:
    text = (
        "VER:1.2\nTN:unit\nSF:a.c\nFNL:0,1,4\nFNA:0,2,main\nFNF:1\nFNH:1\n"
        "DA:1,2,abcdef0123\nDA:3,0,ffff\nMCDC:3,2,t,1,0,a\nend_of_record\n"
    )
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (1, 2)


def test_coveragepy_lcov_branch_names_with_spaces() -> None:
    cov = lcov.parse(FIXTURES / "lcov" / "coveragepy-branch" / "lcov.info")
    assert (cov.branches_covered, cov.branches_valid) == (5, 10)
    assert cov.files_tested == 1


def test_windows_paths_are_normalised(tmp_path: Path) -> None:
    cov = lcov.parse(_write(tmp_path, "SF:C:\\src\\a.c\nDA:1,1\nend_of_record\n"))
    assert cov.files[0].path == "C:/src/a.c"


@pytest.mark.parametrize(
    ("text", "lineno"),
    [
        ("SF:a.c\nDA:1\nend_of_record\n", 2),
        ("SF:a.c\nDA:x,1\nend_of_record\n", 2),
        ("SF:a.c\nDA:1,-3\nend_of_record\n", 2),
        ("SF:a.c\nDA:1,1\nBRDA:1,0,1\nend_of_record\n", 3),
        ("SF:a.c\nBRDA:1,0,0,many\nend_of_record\n", 2),
        ("DA:1,1\n", 1),
        ("SF:a.c\nDA:1,1\nthis is not lcov\n", 3),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, text: str, lineno: int) -> None:
    with pytest.raises(ReportError, match=rf"lcov\.info: line {lineno}: "):
        lcov.parse(_write(tmp_path, text))


def test_line_zero_counts_as_lcov_counts_it(tmp_path: Path) -> None:
    # `lcov --summary` (1.16) on this file: 1 of 3 lines, 1 of 2 branches
    text = "TN:\nSF:a.py\nDA:0,0\nDA:1,1\nDA:2,0\nBRDA:0,0,0,1\nBRDA:0,0,1,-\nend_of_record\n"
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (1, 3)
    assert (cov.branches_covered, cov.branches_valid) == (1, 2)
    # line 0 in two records of one file is one line, hit if either hit it: 2 of 3
    text = "SF:a.py\nDA:0,1\nDA:1,1\nDA:2,0\nend_of_record\nSF:a.py\nDA:0,0\nend_of_record\n"
    cov = lcov.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (2, 3)


def test_only_functions_and_no_lines_is_valid_with_no_rate(tmp_path: Path) -> None:
    cov = lcov.parse(_write(tmp_path, "TN:\nSF:a.c\nFN:1,main\nend_of_record\n"))
    assert cov.line_rate is None
    assert cov.files_tested == 0


def test_detect_needs_sf_and_da() -> None:
    assert lcov.detect(RUN1, RUN1.read_bytes()[:65536])
    assert not lcov.detect(RUN1, b"mode: set\nx.go:1.1,2.2 1 1\n")
    assert not lcov.detect(RUN1, b'{"SF:": 1}')
