"""Cobertura traps: repeated lines, missing counts, "no branches" spellings, bad counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError
from gitmetrics.formats import clover, cobertura, jacoco

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
REAL = sorted((FIXTURES / "cobertura").glob("*/expected.json"))
COUNTS = re.compile(r'\s(lines|branches)-(covered|valid)="\d+"')


def _write(tmp_path: Path, text: str, name: str = "coverage.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _cobertura(root_attrs: str, classes: str) -> str:
    return (
        '<?xml version="1.0" ?>\n'
        f"<coverage {root_attrs}>\n"
        "<sources><source>/src</source></sources>\n"
        f'<packages><package name="p"><classes>\n{classes}\n</classes></package></packages>\n'
        "</coverage>\n"
    )


def _class(filename: str, lines: str, name: str = "c") -> str:
    return f'<class name="{name}" filename="{filename}"><methods/><lines>{lines}</lines></class>'


@pytest.mark.parametrize("expected_path", REAL, ids=lambda p: p.parent.name)
def test_line_elements_give_the_printed_totals_when_root_counts_are_gone(
    expected_path: Path, tmp_path: Path
) -> None:
    # every real producer's root counts equal the deduplicated class-level <line> elements,
    # so a producer that omits the counts still gets the totals its tool printed
    expected = json.loads(expected_path.read_text())
    original = (expected_path.parent / expected["report"]).read_text()
    stripped = COUNTS.sub("", original, count=4)
    assert "lines-valid" not in stripped.split("<sources>")[0]
    cov = cobertura.parse(_write(tmp_path, stripped))
    assert (cov.lines_covered, cov.lines_valid) == (
        expected["lines_covered"],
        expected["lines_valid"],
    )
    assert (cov.branches_covered, cov.branches_valid) == (
        expected["branches_covered"],
        expected["branches_valid"],
    )


@pytest.mark.parametrize("expected_path", REAL, ids=lambda p: p.parent.name)
def test_per_file_counts_add_up_to_the_root_counts(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())
    cov = cobertura.parse(expected_path.parent / expected["report"])
    assert sum(f.lines_valid for f in cov.files) == cov.lines_valid
    assert sum(f.lines_covered for f in cov.files) == cov.lines_covered
    for f in cov.files:
        assert f.lines is not None
        assert len(f.lines) == f.lines_valid


def test_gcovr_method_lines_are_not_counted_twice() -> None:
    cov = cobertura.parse(FIXTURES / "cobertura" / "gcovr-c" / "coverage.xml")
    by_path = {f.path: f for f in cov.files}
    assert set(by_path) == {"calc.c", "main.c"}
    assert by_path["calc.c"].lines_valid == 18
    assert by_path["calc.c"].branches_valid == 10
    assert by_path["calc.c"].branches_covered == 3


def test_pytest_cov_line_map_and_branches() -> None:
    cov = cobertura.parse(FIXTURES / "cobertura" / "pytest-cov-branch" / "coverage.xml")
    calc = next(f for f in cov.files if f.path == "calc.py")
    assert calc.lines is not None and calc.branches is not None
    assert calc.lines[9] == 1 and calc.lines[10] == 0
    # condition-coverage="50% (1/2)" on line 9
    assert calc.branches["9:0"] == 1 and calc.branches["9:1"] == 0


def test_repeated_lines_across_classes_are_counted_once(tmp_path: Path) -> None:
    # coverlet and Java Cobertura write one <class> per (inner/partial) class, all with the
    # same filename and overlapping lines
    classes = "\n".join(
        [
            _class("src/a.cs", '<line number="1" hits="0"/><line number="2" hits="3"/>', "A"),
            _class("src/a.cs", '<line number="1" hits="2"/><line number="3" hits="0"/>', "A.B"),
            _class("src/b.cs", '<line number="1" hits="0"/>', "B"),
        ]
    )
    cov = cobertura.parse(_write(tmp_path, _cobertura('line-rate="0.5"', classes)))
    assert (cov.lines_covered, cov.lines_valid) == (2, 4)
    assert [f.path for f in cov.files] == ["src/a.cs", "src/b.cs"]
    a = cov.files[0]
    assert a.lines == {1: 1, 2: 1, 3: 0}
    assert cov.files_tested == 2


def test_root_counts_win_over_the_line_elements(tmp_path: Path) -> None:
    # the root counts are what the producing tool printed; lines are only a fallback
    classes = _class("a.py", '<line number="1" hits="1"/>')
    text = _cobertura('lines-valid="10" lines-covered="7" line-rate="0.7"', classes)
    cov = cobertura.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (7, 10)
    # the disagreement is recorded, not hidden
    assert cov.warnings == (
        "root lines-covered/lines-valid 7/10 disagree with its <line> elements (1/1);"
        " the root's figures are kept",
    )


@pytest.mark.parametrize("expected_path", REAL, ids=lambda p: p.parent.name)
def test_real_reports_agree_with_themselves(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())
    assert cobertura.parse(expected_path.parent / expected["report"]).warnings == ()


def test_branch_counts_the_lines_do_not_carry_are_a_warning(tmp_path: Path) -> None:
    # jest's flat Cobertura: the root counts branches its <line> elements never mention
    text = _cobertura(
        'lines-valid="1" lines-covered="1" line-rate="1" branches-valid="6" branches-covered="6"',
        _class("a.js", '<line number="1" hits="1"/>'),
    )
    cov = cobertura.parse(_write(tmp_path, text))
    assert (cov.branches_covered, cov.branches_valid) == (6, 6)
    assert cov.warnings == (
        "root branches-covered/branches-valid 6/6 disagree with its <line> elements (0/0);"
        " the root's figures are kept",
    )


def test_a_report_without_line_elements_has_nothing_to_disagree_with(tmp_path: Path) -> None:
    text = _cobertura('lines-valid="10" lines-covered="7" line-rate="0.7"', "")
    assert cobertura.parse(_write(tmp_path, text)).warnings == ()


def test_repeated_branch_lines_take_the_best_copy(tmp_path: Path) -> None:
    classes = "\n".join(
        [
            _class(
                "a.java", '<line number="5" hits="1" branch="true" condition-coverage="50% (1/2)"/>'
            ),
            _class(
                "a.java",
                '<line number="5" hits="1" branch="true" condition-coverage="100% (2/2)"/>',
            ),
        ]
    )
    cov = cobertura.parse(_write(tmp_path, _cobertura('line-rate="1"', classes)))
    assert (cov.branches_covered, cov.branches_valid) == (2, 2)


@pytest.mark.parametrize(
    "attrs",
    [
        'branches-valid="0" branches-covered="0" branch-rate="0"',
        'branches-valid="0" branches-covered="0" branch-rate="1"',
        'branches-valid="0" branches-covered="0" branch-rate="1.0"',
        'branch-rate="1.0"',
        'branch-rate="0"',
        "",
    ],
)
def test_no_branches_in_any_spelling_is_none(attrs: str, tmp_path: Path) -> None:
    text = _cobertura(
        f'lines-valid="2" lines-covered="1" line-rate="0.5" {attrs}',
        _class("a.py", '<line number="1" hits="1"/><line number="2" hits="0"/>'),
    )
    cov = cobertura.parse(_write(tmp_path, text))
    assert cov.branches_valid is None and cov.branches_covered is None
    assert cov.branch_rate is None
    assert cov.files[0].branches is None


@pytest.mark.parametrize(
    ("attrs", "lines", "branches"),
    [
        # MATLAB's CoberturaFormat measures no branches and writes NaN for their counts
        (
            'branch-rate="NaN" branches-covered="NaN" branches-valid="NaN" complexity="NaN"'
            ' line-rate="0.5" lines-covered="7" lines-valid="9"',
            (7, 9),
            (None, None),
        ),
        # NaN line counts: the <line> elements stand in for them, as for absent counts
        ('line-rate="NaN" lines-covered="NaN" lines-valid="nan"', (1, 2), (None, None)),
    ],
)
def test_nan_counts_are_no_data(
    attrs: str, lines: tuple[int, int], branches: tuple[None, None], tmp_path: Path
) -> None:
    text = _cobertura(
        attrs, _class("a.m", '<line hits="5" number="1"/><line hits="0" number="2"/>')
    )
    cov = cobertura.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == lines
    assert (cov.branches_covered, cov.branches_valid) == branches


def test_branch_rate_is_never_trusted(tmp_path: Path) -> None:
    text = _cobertura(
        'lines-valid="1" lines-covered="1" line-rate="1" branch-rate="0.99"'
        ' branches-valid="3" branches-covered="1"',
        _class("a.py", '<line number="1" hits="1"/>'),
    )
    cov = cobertura.parse(_write(tmp_path, text))
    assert (cov.branches_covered, cov.branches_valid) == (1, 3)


def test_branches_from_condition_coverage_without_root_counts(tmp_path: Path) -> None:
    lines = (
        '<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"/>'
        '<line number="2" hits="1" branch="true" condition-coverage="75% (3/4)"/>'
        '<line number="3" hits="0" branch="false"/>'
    )
    cov = cobertura.parse(_write(tmp_path, _cobertura('line-rate="0.66"', _class("a.c", lines))))
    assert (cov.lines_covered, cov.lines_valid) == (2, 3)
    assert (cov.branches_covered, cov.branches_valid) == (4, 6)
    assert cov.files[0].branches == {
        "1:0": 1,
        "1:1": 0,
        "2:0": 1,
        "2:1": 1,
        "2:2": 1,
        "2:3": 0,
    }


def test_zero_coverable_lines_is_valid_data(tmp_path: Path) -> None:
    text = _cobertura(
        'lines-valid="0" lines-covered="0" line-rate="1" branches-valid="0" branches-covered="0"',
        _class("empty.py", ""),
    )
    cov = cobertura.parse(_write(tmp_path, text))
    assert (cov.lines_covered, cov.lines_valid) == (0, 0)
    assert cov.line_rate is None
    assert cov.files_tested == 0
    assert [f.path for f in cov.files] == ["empty.py"]


def test_windows_paths_are_normalised(tmp_path: Path) -> None:
    text = _cobertura('line-rate="1"', _class("src\\pkg\\a.cs", '<line number="1" hits="1"/>'))
    cov = cobertura.parse(_write(tmp_path, text))
    assert cov.files[0].path == "src/pkg/a.cs"


@pytest.mark.parametrize(
    ("root", "line", "message"),
    [
        (
            'lines-valid="-1" lines-covered="0"',
            '<line number="1" hits="1"/>',
            "lines-valid is not a non-negative whole number",
        ),
        (
            'lines-valid="ten" lines-covered="1"',
            '<line number="1" hits="1"/>',
            "lines-valid is not a non-negative whole number",
        ),
        (
            'lines-valid="1.5" lines-covered="1"',
            '<line number="1" hits="1"/>',
            "lines-valid is not a non-negative whole number",
        ),
        ('lines-valid="3" lines-covered="4"', '<line number="1" hits="1"/>', "4 of 3 lines"),
        ('branches-valid="2" branches-covered="5"', "", "5 of 2 branches"),
        ("", '<line number="x" hits="1"/>', "<line> number is not a non-negative whole number"),
        ("", '<line number="1" hits="-3"/>', "<line> hits is not a non-negative whole number"),
        ("", '<line hits="1"/>', "has no number"),
        ("", '<line number="1" hits="1" condition-coverage="50% (3/2)"/>', "3 of 2 branches"),
        ("", '<line number="1" hits="1" condition-coverage="half"/>', "condition-coverage"),
    ],
)
def test_bad_counts_name_the_file_and_line(
    root: str, line: str, message: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, _cobertura(f'line-rate="1" {root}', _class("a.py", line)))
    with pytest.raises(ReportError) as info:
        cobertura.parse(path)
    assert info.value.message.startswith(f"{path}: line ")
    assert message in info.value.message
    # the value itself is never quoted: a report may be a link to a secret
    for bad in ("ten", "1.5", "-1", "-3", "half", '"x"'):
        assert bad not in info.value.message.removeprefix(str(path))


def test_class_without_filename(tmp_path: Path) -> None:
    text = _cobertura('line-rate="1"', '<class name="x"><lines/></class>')
    path = _write(tmp_path, text)
    with pytest.raises(ReportError, match=r"coverage\.xml: line 5: <class> has no filename"):
        cobertura.parse(path)


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (FIXTURES / "jacoco" / "java-branches" / "jacoco.xml", "root element is <report>"),
        (FIXTURES / "clover" / "nyc-js" / "clover.xml", "neither line-rate nor lines-valid"),
    ],
)
def test_other_formats_are_refused(report: Path, message: str) -> None:
    with pytest.raises(ReportError) as info:
        cobertura.parse(report)
    assert str(report) in info.value.message
    assert message in info.value.message


def test_detection_by_content(tmp_path: Path) -> None:
    for expected_path in REAL:
        report = expected_path.parent / json.loads(expected_path.read_text())["report"]
        head = report.read_bytes()[:65536]
        assert cobertura.detect(report, head)
        assert not jacoco.detect(report, head)
        assert not clover.detect(report, head)
    other = [FIXTURES / "jacoco" / "java-branches" / "jacoco.xml"]
    other += [FIXTURES / "clover" / "nyc-js" / "clover.xml"]
    for report in other:
        assert not cobertura.detect(report, report.read_bytes()[:65536])
    assert not cobertura.detect(tmp_path / "x", b'{"coverage": 1}')
    assert not cobertura.detect(tmp_path / "x", b"")
    # a minimal report written by hand, with a comment and a BOM before the root
    head = b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c -->\n<coverage line-rate="1">'
    assert cobertura.detect(tmp_path / "x", head)


def test_registered() -> None:
    assert formats.get("cobertura") is cobertura
    assert "coverage.xml" in cobertura.FILENAMES
    assert "cobertura-coverage.xml" in cobertura.FILENAMES
    assert not any(p.endswith("*.xml") for p in cobertura.FILENAMES)
