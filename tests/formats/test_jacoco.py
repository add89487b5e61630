"""JaCoCo traps: counters at every level, absent BRANCH, groups, bad counters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError
from gitmetrics.formats import clover, cobertura, jacoco

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports" / "jacoco"
# reports written by JaCoCo itself, with the CSV report of the same run beside them
REAL = sorted(p.with_name("expected.json") for p in FIXTURES.glob("*/jacoco.csv"))
DOCTYPE = '<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'


def _write(tmp_path: Path, body: str, name: str = "jacoco.xml") -> Path:
    path = tmp_path / name
    text = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{DOCTYPE}\n{body}\n'
    path.write_text(text, encoding="utf-8")
    return path


def _counter(kind: str, missed: int | str, covered: int | str) -> str:
    return f'<counter type="{kind}" missed="{missed}" covered="{covered}"/>'


def _sourcefile(name: str, lines: str, counters: str) -> str:
    return f'<sourcefile name="{name}">{lines}{counters}</sourcefile>'


@pytest.mark.parametrize("expected_path", REAL, ids=lambda p: p.parent.name)
def test_totals_equal_the_csv_report_beside_it(expected_path: Path) -> None:
    # JaCoCo's CSV (written in the same run) has one row per class: its LINE columns
    # add up to the report-level LINE counter
    cov = jacoco.parse(expected_path.parent / "jacoco.xml")
    with (expected_path.parent / "jacoco.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert cov.lines_covered == sum(int(r["LINE_COVERED"]) for r in rows)
    assert cov.lines_valid == sum(int(r["LINE_COVERED"]) + int(r["LINE_MISSED"]) for r in rows)
    branches = sum(int(r["BRANCH_COVERED"]) + int(r["BRANCH_MISSED"]) for r in rows)
    assert cov.branches_valid == (branches or None)


def test_real_report_files_and_line_maps() -> None:
    cov = jacoco.parse(FIXTURES / "java-branches" / "jacoco.xml")
    by_path = {f.path: f for f in cov.files}
    assert set(by_path) == {"calc/Calc.java", "calc/Main.java"}
    calc = by_path["calc/Calc.java"]
    assert (calc.lines_covered, calc.lines_valid) == (7, 12)
    assert (calc.branches_covered, calc.branches_valid) == (6, 10)
    assert calc.lines is not None and calc.branches is not None
    assert sum(1 for h in calc.lines.values() if h) == 7
    assert len(calc.branches) == 10
    assert by_path["calc/Main.java"].branches_valid is None


def test_only_report_level_counters_are_totals(tmp_path: Path) -> None:
    # counters at method, class, sourcefile, package and group level carry other numbers
    body = (
        "<report name='r'>"
        "<group name='module-a'>"
        "<package name='a/b'>"
        "<class name='a/b/X' sourcefilename='X.java'>"
        "<method name='m' desc='()V' line='3'>"
        f"{_counter('LINE', 100, 100)}{_counter('BRANCH', 100, 100)}</method>"
        f"{_counter('LINE', 50, 50)}</class>"
        + _sourcefile(
            "X.java",
            "<line nr='3' mi='0' ci='2' mb='1' cb='1'/><line nr='4' mi='3' ci='0' mb='0' cb='0'/>",
            _counter("LINE", 1, 1) + _counter("BRANCH", 1, 1),
        )
        + f"{_counter('LINE', 20, 20)}</package>"
        f"{_counter('LINE', 30, 30)}</group>"
        f"{_counter('INSTRUCTION', 9, 9)}{_counter('LINE', 1, 1)}{_counter('BRANCH', 1, 1)}"
        f"{_counter('METHOD', 0, 1)}"
        "</report>"
    )
    cov = jacoco.parse(_write(tmp_path, body))
    assert (cov.lines_covered, cov.lines_valid) == (1, 2)
    assert (cov.branches_covered, cov.branches_valid) == (1, 2)
    # files inside a <group> (multi-module aggregate reports) are found too
    assert [f.path for f in cov.files] == ["a/b/X.java"]
    assert cov.files[0].lines == {3: 1, 4: 0}
    assert cov.files[0].branches == {"3:0": 1, "3:1": 0}


def test_counter_order_does_not_matter(tmp_path: Path) -> None:
    body = f"<report name='r'>{_counter('LINE', 2, 3)}<package name='p'></package></report>"
    cov = jacoco.parse(_write(tmp_path, body))
    assert (cov.lines_covered, cov.lines_valid) == (3, 5)


def test_absent_branch_counter_is_none(tmp_path: Path) -> None:
    body = f"<report name='r'>{_counter('INSTRUCTION', 1, 1)}{_counter('LINE', 1, 4)}</report>"
    cov = jacoco.parse(_write(tmp_path, body))
    assert cov.branches_covered is None and cov.branches_valid is None
    assert cov.branch_rate is None


def test_report_without_any_counter_has_zero_lines(tmp_path: Path) -> None:
    # JaCoCo writes no counter with a 0 total: an empty report is 0 of 0, not an error
    cov = jacoco.parse(_write(tmp_path, "<report name='r'><sessioninfo id='x'/></report>"))
    assert (cov.lines_covered, cov.lines_valid) == (0, 0)
    assert cov.line_rate is None
    assert cov.files == ()


def test_same_file_name_in_two_packages_is_two_files(tmp_path: Path) -> None:
    sf = _sourcefile("Util.java", "<line nr='1' mi='0' ci='1'/>", _counter("LINE", 0, 1))
    body = (
        f"<report name='r'><package name='a'>{sf}</package><package name='b'>{sf}</package>"
        f"<package name=''>{sf}</package>{_counter('LINE', 0, 3)}</report>"
    )
    cov = jacoco.parse(_write(tmp_path, body))
    assert [f.path for f in cov.files] == ["a/Util.java", "b/Util.java", "Util.java"]
    assert cov.files_tested == 3


@pytest.mark.parametrize(
    ("counter", "message"),
    [
        (_counter("LINE", -1, 2), "missed is not a non-negative whole number"),
        (_counter("LINE", 1, "many"), "covered is not a non-negative whole number"),
        ('<counter type="LINE" missed="1"/>', "has no covered attribute"),
        (_counter("BRANCH", "1e3", 0), "missed is not a non-negative whole number"),
    ],
)
def test_bad_counters_name_the_file_and_line(counter: str, message: str, tmp_path: Path) -> None:
    path = _write(tmp_path, f"<report name='r'>\n{counter}\n</report>")
    with pytest.raises(ReportError) as info:
        jacoco.parse(path)
    assert info.value.message.startswith(f"{path}: line 3: <counter> ")
    assert message in info.value.message


def test_bad_line_element(tmp_path: Path) -> None:
    body = "<report name='r'><package name='p'>" + _sourcefile(
        "A.java", "\n<line nr='1' mi='x' ci='0'/>", ""
    )
    path = _write(tmp_path, body + "</package></report>")
    with pytest.raises(ReportError, match=r"jacoco\.xml: line 3: <line> mi is not a non-") as err:
        jacoco.parse(path)
    assert "'x'" not in str(err.value)


def test_gcovr_lines_without_instruction_counts_use_the_counters() -> None:
    # gcovr --jacoco: <line nr="4"/>, valid by JaCoCo's DTD (mi/ci/mb/cb are #IMPLIED)
    cov = jacoco.parse(FIXTURES / "gcovr-c" / "jacoco.xml")
    assert (cov.lines_covered, cov.lines_valid) == (12, 23)
    assert (cov.branches_covered, cov.branches_valid) == (4, 12)
    by_path = {f.path: f for f in cov.files}
    calc = by_path["calc.c"]
    assert (calc.lines_covered, calc.lines_valid) == (8, 18)
    assert (calc.branches_covered, calc.branches_valid) == (3, 10)
    # which lines ran is not in the report: no line map is made up
    assert calc.lines is None
    assert calc.branches is not None and len(calc.branches) == 10


@pytest.mark.parametrize(
    "report", sorted(FIXTURES.glob("*/jacoco.xml")), ids=lambda p: p.parent.name
)
def test_real_reports_agree_with_themselves(report: Path) -> None:
    assert jacoco.parse(report).warnings == ()


def test_counters_that_disagree_with_the_lines_are_kept_with_a_warning(tmp_path: Path) -> None:
    sf = _sourcefile(
        "A.java",
        "<line nr='1' mi='0' ci='3' mb='1' cb='1'/><line nr='2' mi='2' ci='0'/>",
        _counter("LINE", 1, 1),
    )
    body = f"<report name='r'><package name='p'>{sf}</package>"
    path = _write(tmp_path, body + _counter("LINE", 3, 5) + _counter("BRANCH", 0, 2) + "</report>")
    cov = jacoco.parse(path)
    assert (cov.lines_covered, cov.lines_valid) == (5, 8)
    assert (cov.branches_covered, cov.branches_valid) == (2, 2)
    assert cov.warnings == (
        "report LINE counter 5/8 disagrees with its <line> elements (1/2); the counter is kept",
        "report BRANCH counter 2/2 disagrees with its <line> elements (1/2); the counter is kept",
    )


def test_line_without_counts_and_no_file_counter_is_refused(tmp_path: Path) -> None:
    body = "<report name='r'><package name='p'>" + _sourcefile("a.c", "\n<line nr='4'/>", "")
    path = _write(tmp_path, body + _counter("LINE", 0, 1) + "</package></report>")
    with pytest.raises(ReportError, match=r"jacoco\.xml: line 3: <line> has no ci"):
        jacoco.parse(path)


def test_sourcefile_without_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "<report name='r'><package name='p'><sourcefile/></package></report>")
    with pytest.raises(ReportError, match="<sourcefile> has no name"):
        jacoco.parse(path)


@pytest.mark.parametrize(
    "report",
    [
        FIXTURES.parent / "cobertura" / "gcovr-c" / "coverage.xml",
        FIXTURES.parent / "clover" / "phpunit-pcov" / "clover.xml",
    ],
)
def test_other_formats_are_refused(report: Path) -> None:
    with pytest.raises(ReportError) as info:
        jacoco.parse(report)
    assert info.value.message.startswith(f"{report}: line ")
    assert "root element is <coverage>, not <report>" in info.value.message


def test_detection_by_content(tmp_path: Path) -> None:
    for expected_path in REAL:
        report = expected_path.parent / json.loads(expected_path.read_text())["report"]
        head = report.read_bytes()[:65536]
        assert jacoco.detect(report, head)
        assert not cobertura.detect(report, head)
        assert not clover.detect(report, head)
    # no DOCTYPE (some tools strip it), but JaCoCo's elements
    assert jacoco.detect(tmp_path, b"<report name='r'><sessioninfo id='a' start='1' dump='2'/>")
    assert jacoco.detect(tmp_path, b"<?xml version='1.0'?><report name='r'><counter type='LINE'")
    # some other <report>
    assert not jacoco.detect(tmp_path, b"<?xml version='1.0'?><report><testsuite/></report>")


def test_registered() -> None:
    assert formats.get("jacoco") is jacoco
    for name in (
        "jacoco.xml",
        "target/site/jacoco/jacoco.xml",
        "target/site/jacoco-aggregate/jacoco.xml",
    ):
        assert name in jacoco.FILENAMES
