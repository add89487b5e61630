"""Clover traps: <file> under <package>, metrics after files, 0 conditionals, test projects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError
from gitmetrics.formats import clover, cobertura, jacoco

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports" / "clover"
REAL = sorted(FIXTURES.glob("*/expected.json"))


def _write(tmp_path: Path, body: str, name: str = "clover.xml") -> Path:
    path = tmp_path / name
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<coverage generated="1" clover="4.4.1">\n{body}\n</coverage>\n'
    )
    path.write_text(text, encoding="utf-8")
    return path


def _metrics(statements: int, covered: int, conditionals: int = 0, covered_cond: int = 0) -> str:
    return (
        f'<metrics statements="{statements}" coveredstatements="{covered}"'
        f' conditionals="{conditionals}" coveredconditionals="{covered_cond}"'
        ' methods="1" coveredmethods="1" elements="1" coveredelements="1"/>'
    )


def test_openclover_layout_with_packages_and_test_project(tmp_path: Path) -> None:
    # OpenClover nests <file> in <package> and adds a <testproject> for the test sources,
    # which is not part of the project's coverage
    body = (
        '<project timestamp="1" name="calc">'
        + _metrics(5, 3, 4, 3)
        + '<package name="com.example">'
        + _metrics(5, 3, 4, 3)
        + '<file name="Calc.java" path="/src/main/java/com/example/Calc.java">'
        + _metrics(4, 2, 4, 3)
        + '<class name="Calc">'
        + _metrics(99, 99)
        + "</class>"
        '<line num="3" count="1" type="method" signature="add(int,int) : int"/>'
        '<line num="4" count="1" type="stmt"/>'
        '<line num="5" count="0" type="stmt"/>'
        '<line num="6" count="2" truecount="1" falsecount="1" type="cond"/>'
        '<line num="7" count="0" truecount="1" falsecount="0" type="cond"/>'
        "</file>"
        '<file name="Main.java" path="/src/main/java/com/example/Main.java">'
        + _metrics(1, 1)
        + '<line num="2" count="1" type="stmt"/></file>'
        "</package></project>"
        '<testproject timestamp="1" name="tests">'
        + _metrics(50, 50, 10, 10)
        + '<package name="t"><file name="CalcTest.java" path="/src/test/CalcTest.java">'
        + _metrics(50, 50)
        + "</file></package></testproject>"
    )
    cov = clover.parse(_write(tmp_path, body))
    assert (cov.lines_covered, cov.lines_valid) == (3, 5)
    assert (cov.branches_covered, cov.branches_valid) == (3, 4)
    assert [f.path for f in cov.files] == [
        "/src/main/java/com/example/Calc.java",
        "/src/main/java/com/example/Main.java",
    ]
    calc = cov.files[0]
    assert (calc.lines_covered, calc.lines_valid, calc.branches_covered) == (2, 4, 3)
    # the method signature line is not a statement
    assert calc.lines == {4: 1, 5: 0, 6: 1, 7: 0}  # hit or not: counts are not kept
    assert calc.branches == {"6:0:true": 1, "6:0:false": 1, "7:0:true": 1, "7:0:false": 0}
    assert cov.files[1].branches_valid is None


def test_zero_conditionals_is_none(tmp_path: Path) -> None:
    body = f'<project timestamp="1">{_metrics(4, 4, 0, 0)}</project>'
    cov = clover.parse(_write(tmp_path, body))
    assert cov.branches_covered is None and cov.branches_valid is None
    assert cov.branch_rate is None


def test_metrics_after_the_files_and_files_without_metrics(tmp_path: Path) -> None:
    # PHPUnit's order; a <file> without its own <metrics> gets counts from its lines
    body = (
        '<project timestamp="1">'
        '<file name="/app/src/a.php"><line num="3" type="stmt" count="0"/>'
        '<line num="4" type="stmt" count="2"/></file>'
        f"{_metrics(2, 1)}</project>"
    )
    cov = clover.parse(_write(tmp_path, body))
    assert (cov.lines_covered, cov.lines_valid) == (1, 2)
    assert cov.files[0].path == "/app/src/a.php"
    assert (cov.files[0].lines_covered, cov.files[0].lines_valid) == (1, 2)


def test_real_reports_file_counts_add_up() -> None:
    for expected_path in REAL:
        expected = json.loads(expected_path.read_text())
        cov = clover.parse(expected_path.parent / expected["report"])
        assert sum(f.lines_valid for f in cov.files) == cov.lines_valid
        assert sum(f.lines_covered for f in cov.files) == cov.lines_covered
        if "Devel::Cover" in expected["tool"]:
            continue  # one <line> per statement, several on one source line
        for f in cov.files:
            assert f.lines is not None and len(f.lines) == f.lines_valid


def test_nyc_branches_per_file() -> None:
    cov = clover.parse(FIXTURES / "nyc-js" / "clover.xml")
    calc = next(f for f in cov.files if f.path.endswith("/calc.js"))
    assert (calc.branches_covered, calc.branches_valid) == (6, 8)
    assert calc.branches is not None and calc.branches["9:0:false"] == 0


def test_zero_statements_is_valid_data(tmp_path: Path) -> None:
    cov = clover.parse(_write(tmp_path, f'<project timestamp="1">{_metrics(0, 0)}</project>'))
    assert (cov.lines_covered, cov.lines_valid) == (0, 0)
    assert cov.line_rate is None


def test_project_without_metrics(tmp_path: Path) -> None:
    path = _write(tmp_path, '<project timestamp="1"><file name="a.php"/></project>')
    with pytest.raises(ReportError, match=r"clover\.xml: <project> has no <metrics>"):
        clover.parse(path)


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        (
            '<metrics statements="-2" coveredstatements="0"/>',
            "<metrics> statements is not a non-negative whole number",
        ),
        (
            '<metrics statements="2" coveredstatements="two"/>',
            "coveredstatements is not a non-negative whole number",
        ),
        ('<metrics statements="2" coveredstatements="3"/>', "3 of 2 statements"),
        ('<metrics coveredstatements="3"/>', "has no statements attribute"),
        (
            '<metrics statements="2" coveredstatements="1" conditionals="1"'
            ' coveredconditionals="2"/>',
            "2 of 1 conditionals",
        ),
    ],
)
def test_bad_metrics_name_the_file_and_line(metrics: str, message: str, tmp_path: Path) -> None:
    path = _write(tmp_path, f'<project timestamp="1">\n{metrics}\n</project>')
    with pytest.raises(ReportError) as info:
        clover.parse(path)
    assert info.value.message.startswith(f"{path}: line 4: <metrics> ")
    assert message in info.value.message


def test_bad_line_count(tmp_path: Path) -> None:
    body = (
        f'<project>{_metrics(1, 1)}<file name="a">\n<line num="1" count="lots"/></file></project>'
    )
    with pytest.raises(
        ReportError, match=r"clover\.xml: line 4: <line> count is not a non-"
    ) as err:
        clover.parse(_write(tmp_path, body))
    assert "lots" not in str(err.value)


def test_file_without_name(tmp_path: Path) -> None:
    body = f"<project>{_metrics(1, 1)}<package><file/></package></project>"
    with pytest.raises(ReportError, match="<file> has neither path nor name"):
        clover.parse(_write(tmp_path, body))


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (FIXTURES.parent / "jacoco" / "java-branches" / "jacoco.xml", "root element is <report>"),
        (FIXTURES.parent / "cobertura" / "nyc-js" / "cobertura-coverage.xml", "no <metrics>"),
    ],
)
def test_other_formats_are_refused(report: Path, message: str) -> None:
    with pytest.raises(ReportError) as info:
        clover.parse(report)
    assert str(report) in info.value.message
    assert message in info.value.message


def test_detection_by_content(tmp_path: Path) -> None:
    for expected_path in REAL:
        report = expected_path.parent / json.loads(expected_path.read_text())["report"]
        head = report.read_bytes()[:65536]
        assert clover.detect(report, head)
        assert not cobertura.detect(report, head)
        assert not jacoco.detect(report, head)
    # no generated= attribute, but a <project> child after a comment
    assert clover.detect(tmp_path, b"<coverage>\n<!-- x -->\n<project name='a'>")
    assert not clover.detect(tmp_path, b"<coverage line-rate='1' timestamp='1'><sources>")
    assert not clover.detect(tmp_path, b"<coverage><sources>")


def test_registered() -> None:
    assert formats.get("clover") is clover
    assert "clover.xml" in clover.FILENAMES


def test_devel_cover_statements_are_not_lines() -> None:
    cov = clover.parse(FIXTURES / "devel-cover-perl" / "clover.xml")
    calc = next(f for f in cov.files if f.path == "lib/Calc.pm")
    assert (calc.lines_covered, calc.lines_valid) == (12, 18)
    assert calc.lines is not None and len(calc.lines) == 14
    # two conditions on line 13, neither with a count attribute
    assert calc.branches == {"13:0:true": 1, "13:0:false": 0, "13:1:true": 1, "13:1:false": 0}
