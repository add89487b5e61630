"""A report read as the wrong format says what it is; names shared by formats go by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError

from .conftest import FIXTURES
from .test_hostile_new import SAMPLES

LCOV = FIXTURES / "lcov" / "lcov-gcc" / "lcov.info"


def test_a_report_of_another_format_names_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_bytes(LCOV.read_bytes())
    with pytest.raises(ReportError) as err:
        formats.parse(path, "coverage-json")
    assert err.value.message == (
        f"{path}: this is an LCOV tracefile (format `lcov`), not coverage.py's JSON report"
    )
    assert err.value.hint is not None and "`format: lcov`" in err.value.hint


def test_a_file_read_by_its_name_only_says_so(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_text('{"something": "else"}')
    assert formats.detect_content(path) is None
    with pytest.raises(ReportError) as err:
        formats.parse(path)
    assert str(path) in err.value.message
    assert err.value.hint == (
        "its content matches no format gitmetrics reads: it was read as"
        " coverage.py's JSON report because of its file name only"
    )


def test_a_damaged_report_of_the_named_format_keeps_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "lcov.info"
    path.write_text("SF:a.c\nDA:1,x\nend_of_record\n")
    with pytest.raises(ReportError, match=r"lcov\.info: line 2"):
        formats.parse(path, "lcov")


def test_every_format_has_a_producer_for_messages() -> None:
    assert set(formats.PRODUCERS) == set(formats.FORMATS)


@pytest.mark.parametrize(
    ("case", "producer"),
    [
        ("coverlet-json", "coverlet's JSON report"),
        ("simplecov-json", "SimpleCov's JSON formatter output"),
        ("simplecov-json/gem", "SimpleCov's JSON formatter output"),
        ("dart-json", "Dart's package:coverage JSON"),
    ],
)
def test_a_coverage_json_that_is_not_coveragepys(tmp_path: Path, case: str, producer: str) -> None:
    path = tmp_path / "coverage.json"
    path.write_text(SAMPLES[case].text)
    fmt = SAMPLES[case].fmt
    assert formats.detect(path) == fmt
    with pytest.raises(ReportError) as err:
        formats.parse(path, "coverage-json")
    assert err.value.message == (
        f"{path}: this is {producer} (format `{fmt}`), not coverage.py's JSON report"
    )
    assert "NoneType" not in str(err.value)
