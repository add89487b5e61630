"""Go coverprofiles: the traps listed in FORMATS.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics.errors import ReportError
from gitmetrics.formats import gocover

from .conftest import FIXTURES

GO = FIXTURES / "go"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cover.out"
    path.write_text(text)
    return path


def test_coverpkg_duplicates_are_merged_not_double_counted() -> None:
    cov = gocover.parse(GO / "coverpkg-atomic" / "cover.out")
    assert (cov.lines_covered, cov.lines_valid) == (13, 17)
    # summed in atomic mode: Total's first block ran once in mathx's and 3 times in shapes'
    mathx = next(f for f in cov.files if f.path.endswith("mathx.go"))
    assert mathx.lines is not None
    key = gocover.statement_id((15, 49, 17, 27), 0)
    assert mathx.lines[key] == 1


def test_set_mode_duplicates_are_ored(tmp_path: Path) -> None:
    text = "mode: set\na.go:1.1,2.2 3 1\na.go:1.1,2.2 3 1\na.go:3.1,4.2 1 0\n"
    cov = gocover.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (3, 4)
    assert cov.files[0].lines is not None
    assert set(cov.files[0].lines.values()) == {0, 1}


def test_statements_are_weighted() -> None:
    cov = gocover.parse(GO / "set" / "cover.out")
    # 13 blocks in mathx, one with 2 statements: the total counts statements, not blocks
    assert (cov.lines_covered, cov.lines_valid) == (12, 17)
    assert cov.branches_valid is None


def test_concatenated_profiles_repeat_the_mode_line() -> None:
    whole = gocover.parse(GO / "count" / "cover.out")
    concat = gocover.parse(GO / "concatenated" / "cover.out")
    assert (concat.lines_covered, concat.lines_valid) == (whole.lines_covered, whole.lines_valid)


def test_mixed_modes_are_refused(tmp_path: Path) -> None:
    text = "mode: set\na.go:1.1,2.2 1 1\nmode: count\nb.go:1.1,2.2 1 4\n"
    with pytest.raises(ReportError, match=r"cover\.out: line 3: mode 'count' after mode 'set'"):
        gocover.parse(_write(tmp_path, text))


def test_block_with_changed_statement_count_is_refused(tmp_path: Path) -> None:
    text = "mode: count\na.go:1.1,2.2 1 1\na.go:1.1,2.2 2 1\n"
    with pytest.raises(ReportError, match=r"line 3: .*different sources"):
        gocover.parse(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "lineno"),
    [
        ("mode: set\na.go:1.1,2.2 1 -1\n", 2),
        ("mode: set\na.go:1.1,2.2 one 1\n", 2),
        ("mode: set\na.go 1 1\n", 2),
        ("mode: sometimes\n", 1),
        ("a.go:1.1,2.2 1 1\n", 1),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, text: str, lineno: int) -> None:
    with pytest.raises(ReportError, match=rf"cover\.out: line {lineno}: "):
        gocover.parse(_write(tmp_path, text))


def test_mode_only_profile_is_valid_with_no_rate(tmp_path: Path) -> None:
    cov = gocover.parse(_write(tmp_path, "mode: set\n"))
    assert cov.line_rate is None
    assert cov.files == ()


def test_statement_ids_round_trip() -> None:
    key = gocover.statement_id((5, 29, 6, 11), 3)
    assert gocover.block_of(key) == ((5, 29, 6, 11), 3)


def test_windows_style_paths_with_drive_letter(tmp_path: Path) -> None:
    cov = gocover.parse(_write(tmp_path, "mode: set\nC:\\src\\a.go:1.1,2.2 1 1\n"))
    assert cov.files[0].path == "C:/src/a.go"
