"""Reading the store's own snapshots: the fast construction gives exactly the model the
constructor gives, for every field, and a malformed entry is still a clear error."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gitmetrics import snapshot
from gitmetrics.errors import SnapshotError
from gitmetrics.snapshot import RepoResult, ReportRef, Source

FULL = RepoResult(
    name="api",
    role="service",
    coverage=71.05,
    files_tested=3,
    lines_covered=54,
    lines_valid=76,
    branch_coverage=50.0,
    branches_covered=1,
    branches_valid=2,
    format="cobertura",
    report="coverage.xml",
    reports=(ReportRef("coverage.xml", "cobertura", "ab" * 32, 54, 76),),
    source=Source("c0ffee" * 6 + "c0ff", "main", True),
    log="ran",
    duration_ms=12,
    warnings=("totals disagree",),
    stale_report=True,
    measured_at="2026-11-24T10:00:00Z",
    host="ci-1",
    carried=True,
    stale=True,
    last_error="boom",
    last_error_at="2026-11-25T10:00:00Z",
)
FAILED = RepoResult(name="web", role="frontend", status="error", error="no report", coverage=None)


@pytest.mark.parametrize("result", (FULL, FAILED), ids=("every-field", "failed"))
def test_a_stored_entry_reads_back_as_the_constructor_builds_it(result: RepoResult) -> None:
    snap = snapshot.build([result], "ci-1", "2026-11-25T10:00:00Z")
    data = snapshot.to_json(snap)
    read = snapshot.read_stored(data)
    assert snapshot.to_json(read) == data  # every field written is read back
    got = read.repositories[0]
    built = RepoResult(**{f.name: getattr(got, f.name) for f in dataclasses.fields(RepoResult)})
    assert got == built and repr(got) == repr(built) and got.ok == built.ok
    assert isinstance(got.reports, tuple) and isinstance(got.warnings, tuple)
    assert dataclasses.replace(got, coverage=1.0).coverage == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.coverage = 2.0  # type: ignore[misc]


def test_an_entry_of_schema_1_keeps_the_defaults() -> None:
    entry = {"name": "api", "role": "service", "status": "ok", "coverage": 50.0}
    read = snapshot._repo_from(entry)
    assert read == RepoResult(name="api", role="service", coverage=50.0)
    assert read.files_tested == 0 and read.reports == () and read.source is None
    assert read.detail is None and read.warnings == ()


def test_an_entry_without_a_name_is_a_clear_error() -> None:
    data = json.loads(snapshot.to_json(snapshot.build([FULL], "ci-1", "2026-11-25T10:00:00Z")))
    del data["repositories"][0]["name"]
    with pytest.raises(SnapshotError, match="missing 'name'"):
        snapshot.read_stored(json.dumps(data), "x.json")


def test_a_report_entry_read_directly_is_the_one_the_constructor_builds() -> None:
    ref = {"path": "coverage.xml", "format": "cobertura", "sha256": "ab" * 32}
    got = snapshot._ref_from(ref)
    assert got == ReportRef("coverage.xml", "cobertura", "ab" * 32)
    assert repr(got) == repr(ReportRef("coverage.xml", "cobertura", "ab" * 32))
    assert got.lines_covered is None and got.lines_valid is None


@pytest.mark.parametrize(
    "change",
    (
        lambda ref: ref.pop("sha256"),
        lambda ref: ref.update(unknown=1),
    ),
    ids=("a field missing", "a key that is no field"),
)
def test_a_report_entry_that_does_not_fit_is_a_clear_error(change: object) -> None:
    data = json.loads(snapshot.to_json(snapshot.build([FULL], "ci-1", "2026-11-25T10:00:00Z")))
    change(data["repositories"][0]["reports"][0])  # type: ignore[operator]
    with pytest.raises(SnapshotError, match=r"x\.json: not a snapshot gitmetrics can read"):
        snapshot.read_stored(json.dumps(data), "x.json")


def test_a_derived_key_of_an_entry_is_no_attribute() -> None:
    entry = {"name": "api", "role": "service", "status": "ok", "age": 3, "source": None}
    read = snapshot._repo_from(entry)
    assert "age" not in vars(read) and read.source is None
    assert read == RepoResult(name="api", role="service")
