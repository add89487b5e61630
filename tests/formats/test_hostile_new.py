"""Hostile input to the parsers added since 0.3: a ReportError naming the file and the place.

Each format has a small valid report (written here by hand after the producer's docs) and
edits of it: a wrong type, a negative count, a count past 2**53 and a 5000-digit one.
The bad value is never quoted back: reports are other people's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError


@dataclass(frozen=True)
class Sample:
    """A small valid report of a format, the name it is written as, and its totals."""

    fmt: str
    name: str
    text: str
    totals: tuple[int, int, int | None, int | None]
    #: for the bad-value edits: the text to replace, its replacement with ``{}`` for the
    #: bad value, and where the error must point
    slot: tuple[str, str, str]


OPENCOVER = """<?xml version="1.0" encoding="utf-8"?>
<CoverageSession>
  <Summary numSequencePoints="3" visitedSequencePoints="2" numBranchPoints="2"
    visitedBranchPoints="1" sequenceCoverage="66.67" branchCoverage="50" />
  <Modules>
    <Module skippedDueTo="MissingPdb"><ModulePath>Skipped.dll</ModulePath>
      <Files><File uid="1" fullPath="C:\\src\\Skipped.cs" /></Files>
    </Module>
    <Module hash="X">
      <ModulePath>App.dll</ModulePath>
      <Files><File uid="1" fullPath="C:\\src\\App\\Calc.cs" /></Files>
      <Classes><Class><FullName>App.Calc</FullName><Methods>
        <Method><Name>System.Int32 App.Calc::Add(System.Int32)</Name><FileRef uid="1" />
          <SequencePoints>
            <SequencePoint vc="3" sl="5" el="5" fileid="1" />
            <SequencePoint vc="0" sl="6" el="6" fileid="1" />
            <SequencePoint vc="1" sl="7" el="7" />
          </SequencePoints>
          <BranchPoints>
            <BranchPoint vc="1" sl="6" offset="4" offsetend="6" path="0" fileid="1" />
            <BranchPoint vc="0" sl="6" offset="4" offsetend="9" path="1" fileid="1" />
          </BranchPoints>
          <MethodPoint vc="3" sl="5" fileid="1" />
        </Method>
      </Methods></Class></Classes>
    </Module>
  </Modules>
</CoverageSession>
"""

COVERLET_JSON = """{
  "App.dll": {
    "C:\\\\src\\\\App\\\\Calc.cs": {
      "App.Calc": {
        "System.Int32 App.Calc::Add(System.Int32)": {
          "Lines": {"5": 3, "6": 0, "7": 1},
          "Branches": [
            {"Line": 6, "Offset": 4, "EndOffset": 6, "Path": 0, "Ordinal": 0, "Hits": 1},
            {"Line": 6, "Offset": 4, "EndOffset": 9, "Path": 1, "Ordinal": 1, "Hits": 0}
          ]
        },
        "System.Int32 App.Calc::<Add>b__0()": {"Lines": {"7": 2}, "Branches": []}
      }
    }
  }
}
"""

RESULTSET = """{
  "RSpec": {
    "coverage": {
      "/src/lib/calc.rb": {
        "lines": [null, 1, 1, 0, null, 2],
        "branches": {"[:if, 0, 3, 4, 5, 7]": {"[:then, 1, 4, 6, 4, 9]": 0, "[:else, 2, 6, 6, 6, 9]": 2}}
      },
      "/src/lib/old.rb": [1, null, 0]
    },
    "timestamp": 1700000000
  },
  "Minitest": {
    "coverage": {"/src/lib/calc.rb": {"lines": [null, 0, 0, 3, null, 0], "branches": {}}},
    "timestamp": 1700000001
  }
}
"""

SIMPLECOV_FORMATTER = """{
  "meta": {"simplecov_version": "0.21.2"},
  "coverage": {
    "/src/lib/calc.rb": {
      "lines": [null, 1, 1, 0, null, 2, "ignored", "ignored"],
      "branches": [
        {"type": "then", "start_line": 4, "end_line": 4, "coverage": 0},
        {"type": "else", "start_line": 6, "end_line": 6, "coverage": 2}
      ]
    }
  },
  "groups": {}
}
"""

SIMPLECOV_GEM = """{
  "timestamp": 1700000000,
  "command_name": "RSpec",
  "files": [
    {"filename": "/src/lib/calc.rb", "covered_percent": 75.0,
     "coverage": {"lines": [null, 1, 1, 0, null, 2]}, "covered_strength": 1.0,
     "covered_lines": 3, "lines_of_code": 4},
    {"filename": "/src/lib/old.rb", "covered_percent": 50.0, "coverage": [1, null, 0],
     "covered_lines": 1, "lines_of_code": 2}
  ],
  "metrics": {"covered_percent": 66.67, "covered_strength": 1.0, "covered_lines": 4,
              "total_lines": 6}
}
"""

COVERALLS = """{
  "service_name": "github", "repo_token": "not-a-real-token",
  "source_files": [
    {"name": "lib/calc.ex", "source_digest": "0", "coverage": [null, 1, 0, 4, null],
     "branches": [3, 0, 0, 2, 3, 0, 1, 0]},
    {"name": "lib/empty.ex", "coverage": [null, null]},
    {"name": "lib/calc.ex", "coverage": [null, 0, 2, 0, null]}
  ]
}
"""

DART = """{"type": "CodeCoverage", "coverage": [
  {"source": "package:calc/calc.dart", "script": {"type": "@Script", "uri": "package:calc/calc.dart"},
   "hits": [3, 1, 4, 0, 5, 2, "7-8", 0], "branchHits": [4, 0, 5, 2]},
  {"source": "package:calc/calc.dart", "hits": [4, 3, 9, 0], "branchHits": [4, 1]}
]}
"""

JACOCO_CSV = """\
GROUP,PACKAGE,CLASS,INSTRUCTION_MISSED,INSTRUCTION_COVERED,BRANCH_MISSED,BRANCH_COVERED,\
LINE_MISSED,LINE_COVERED,COMPLEXITY_MISSED,COMPLEXITY_COVERED,METHOD_MISSED,METHOD_COVERED
app,calc,Calc,19,24,4,6,5,7,4,5,1,3
app,calc,Calc.Inner,1,2,0,0,1,1,0,1,0,1
app,calc,Main,3,22,0,0,1,3,1,1,1,1
"""

LLVM_COV = """{"data": [{"files": [{"filename": "/src/calc.c",
  "segments": [[1, 10, 2, true, true, false], [3, 1, 0, true, true, false],
               [4, 2, 0, false, false, false]],
  "branches": [[2, 5, 2, 9, 2, 0, 0, 0, 4]], "expansions": [],
  "summary": {"lines": {"count": 4, "covered": 2, "percent": 50},
              "branches": {"count": 2, "covered": 1, "notcovered": 1, "percent": 50}}}],
  "functions": [],
  "totals": {"lines": {"count": 4, "covered": 2, "percent": 50},
             "branches": {"count": 2, "covered": 1, "notcovered": 1, "percent": 50}}}],
 "type": "llvm.coverage.json.export", "version": "2.0.1"}
"""

COVDIR = """{"children": {
  "src": {"children": {
     "calc.rs": {"coverage": [-1, 2, 0, 1, -1], "coveragePercent": 66.67, "linesCovered": 2,
                 "linesMissed": 1, "linesTotal": 3, "name": "calc.rs"}},
          "coveragePercent": 66.67, "linesCovered": 2, "linesMissed": 1, "linesTotal": 3,
          "name": "src"}},
 "coveragePercent": 66.67, "linesCovered": 2, "linesMissed": 1, "linesTotal": 3, "name": ""}
"""

SONAR = """<?xml version="1.0"?>
<coverage version="1">
  <file path="src/hello/NoConditions.xoo">
    <lineToCover lineNumber="6" covered="true"/>
    <lineToCover lineNumber="7" covered="false"/>
  </file>
  <file path="src/hello/WithConditions.xoo">
    <lineToCover lineNumber="3" covered="true" branchesToCover="2" coveredBranches="1"/>
  </file>
  <file path="src/hello/NoConditions.xoo">
    <lineToCover lineNumber="7" covered="true"/>
  </file>
</coverage>
"""

PHPUNIT_XML = """<?xml version="1.0"?>
<phpunit xmlns="https://schema.phpunit.de/coverage/1.0">
  <build time="now" phpunit="9.6.7" coverage="9.2.26"/>
  <project source="/src">
    <directory name="/">
      <totals><lines total="30" comments="2" code="28" executable="6" executed="4" percent="66.67"/></totals>
      <directory name="Util">
        <totals><lines total="9" comments="0" code="9" executable="2" executed="1" percent="50"/></totals>
        <file name="Text.php" href="Util/Text.php.xml">
          <totals><lines total="9" comments="0" code="9" executable="2" executed="1" percent="50"/></totals>
        </file>
      </directory>
      <file name="Calc.php" href="Calc.php.xml">
        <totals><lines total="21" comments="2" code="19" executable="4" executed="3" percent="75"/></totals>
      </file>
    </directory>
  </project>
</phpunit>
"""

TARPAULIN = """{"files": [
  {"path": ["/", "src", "calc", "src", "lib.rs"], "content": "pub fn add() {}",
   "traces": [{"line": 3, "address": [4096], "length": 1, "stats": {"Line": 2}, "fn_name": "add"},
              {"line": 4, "address": [4100], "length": 1, "stats": {"Line": 0}, "fn_name": "add"}],
   "covered": 1, "coverable": 2}],
 "coverage": 50.0, "covered": 1, "coverable": 2}
"""

SAMPLES: dict[str, Sample] = {
    "opencover": Sample(
        "opencover",
        "coverage.opencover.xml",
        OPENCOVER,
        (2, 3, 1, 2),
        ('vc="0" sl="6"', "vc='{}' sl='6'", "line 16: <SequencePoint> vc"),
    ),
    "coverlet-json": Sample(
        "coverlet-json",
        "coverage.json",
        COVERLET_JSON,
        (2, 3, 1, 2),
        ('"6": 0', '"6": {}', "module 1, file 1, class 1, method 1: Lines entry 2"),
    ),
    "simplecov-resultset": Sample(
        "simplecov-resultset",
        ".resultset.json",
        RESULTSET,
        (5, 6, 1, 2),
        (
            '9]": 0',
            '9]": {}',
            "command 1, file 1: branches entry 1, arm 1",
        ),
    ),
    "simplecov-json": Sample(
        "simplecov-json",
        "coverage.json",
        SIMPLECOV_FORMATTER,
        (3, 4, 1, 2),
        ('"coverage": 0', '"coverage": {}', "coverage entry 1: branches[0].coverage"),
    ),
    "coveralls": Sample(
        "coveralls",
        "coveralls.json",
        COVERALLS,
        (3, 3, 1, 2),
        ("3, 0, 1, 0]", "3, 0, 1, {}]", "source_files[0].branches[7]"),
    ),
    "dart-json": Sample(
        "dart-json",
        "coverage.json",
        DART,
        (3, 6, 2, 2),
        ("[4, 3, 9, 0]", "[4, 3, 9, {}]", "coverage[1].hits[3]"),
    ),
    "jacoco-csv": Sample(
        "jacoco-csv",
        "jacoco.csv",
        JACOCO_CSV,
        (11, 18, 6, 10),
        ("Main,3,22,0,0,1,3", "Main,3,22,0,0,{},3", "line 4: LINE_MISSED"),
    ),
    "llvm-cov-json": Sample(
        "llvm-cov-json",
        "llvm-cov.json",
        LLVM_COV,
        (2, 4, 1, 2),
        (
            '"totals": {"lines": {"count": 4',
            '"totals": {{"lines": {{"count": {}',
            "data[0].totals.lines.count",
        ),
    ),
    "grcov-covdir": Sample(
        "grcov-covdir",
        "covdir.json",
        COVDIR,
        (2, 3, None, None),
        ("[-1, 2, 0, 1", "[-1, 2, {}, 1", "children entry 1.children entry 1.coverage[2]"),
    ),
    "sonar-generic": Sample(
        "sonar-generic",
        "sonar-coverage.xml",
        SONAR,
        (3, 3, 1, 2),
        ('branchesToCover="2"', "branchesToCover='{}'", "line 8: <lineToCover> branchesToCover"),
    ),
    "phpunit-xml": Sample(
        "phpunit-xml",
        "index.xml",
        PHPUNIT_XML,
        (4, 6, None, None),
        ('executable="4"', "executable='{}'", "line 14: <lines> executable"),
    ),
    "tarpaulin-json": Sample(
        "tarpaulin-json",
        "tarpaulin-report.json",
        TARPAULIN,
        (1, 2, None, None),
        ('{"Line": 0}', '{{"Line": {}}}', "files[0].traces[1].stats.Line"),
    ),
    "simplecov-json/gem": Sample(
        "simplecov-json",
        "coverage.json",
        SIMPLECOV_GEM,
        (4, 6, None, None),
        ('"lines_of_code": 2', '"lines_of_code": {}', "files[1].lines_of_code"),
    ),
}
FORMATS = sorted(SAMPLES)
JSON_FORMATS = {case for case, s in SAMPLES.items() if s.name.endswith(".json")}


def _write(tmp_path: Path, case: str, text: str | bytes) -> Path:
    path = tmp_path / SAMPLES[case].name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _refused(path: Path, case: str) -> ReportError:
    with pytest.raises(ReportError) as err:
        formats.get(SAMPLES[case].fmt).parse(path)
    assert str(path) in err.value.message
    assert "Traceback" not in str(err.value)
    return err.value


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_sample_gives_its_totals(tmp_path: Path, fmt: str) -> None:
    sample = SAMPLES[fmt]
    path = _write(tmp_path, fmt, sample.text)
    cov = formats.get(sample.fmt).parse(path)
    got = (cov.lines_covered, cov.lines_valid, cov.branches_covered, cov.branches_valid)
    assert got == sample.totals
    assert formats.detect_content(path) == sample.fmt


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated(tmp_path: Path, fmt: str, cut: float) -> None:
    text = SAMPLES[fmt].text
    _refused(_write(tmp_path, fmt, text[: int(len(text) * cut)]), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("content", [b"", b" \n\n", b"\x00\x01garbage\xff" + os.urandom(512)])
def test_empty_or_binary(tmp_path: Path, fmt: str, content: bytes) -> None:
    _refused(_write(tmp_path, fmt, content), fmt)


BAD_VALUES = ["-7", "1.5", "x7", "90071992547409930", "9" * 5000, "null", '"37"', "[17]"]


def _bad_cases() -> list[tuple[str, str]]:
    # in CSV a quoted field is its text: "37" is a fine count there, not a bad value
    return [
        (fmt, bad)
        for fmt in FORMATS
        for bad in BAD_VALUES
        if not (SAMPLES[fmt].name.endswith(".csv") and bad == '"37"')
    ]


@pytest.mark.parametrize(("fmt", "bad"), _bad_cases())
def test_bad_values_name_the_place_and_are_not_quoted(tmp_path: Path, fmt: str, bad: str) -> None:
    sample = SAMPLES[fmt]
    old, template, where = sample.slot
    assert old in sample.text
    err = _refused(_write(tmp_path, fmt, sample.text.replace(old, template.format(bad), 1)), fmt)
    if fmt in JSON_FORMATS and bad in ("x7", "9" * 5000):
        where = "JSON" if bad == "x7" else "digit"  # not JSON / too long for any count
    assert where in err.message
    if bad != "null":  # the word for what was found
        assert bad.strip('"[]') not in str(err).replace(str(tmp_path), "")
