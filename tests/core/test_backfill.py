"""``collect --at``: history rebuilt from saved reports, each collection in its place by
its time, while latest.json and the README keep showing the newest state."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gitmetrics import api
from gitmetrics.cli import app
from gitmetrics.errors import ConfigError
from tests.conftest import fsck, git

REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "lcov"
#: two real reports with different figures, so each collection can be told apart
LOW, HIGH = REPORTS / "c8" / "lcov.info", REPORTS / "nyc" / "lcov.info"
_runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    """The CLI in this process; an exception fails the test instead of becoming exit 1."""
    return _runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    path = tmp_path / "repos.yaml"
    path.write_text(
        "store: metrics\ndashboard: true\nrepos:\n"
        "  - {name: app, path: app, coverage: lcov.info, format: lcov}\n"
    )
    return path


def _collect(cfg: Path, report: Path, *args: str) -> Result:
    shutil.copy(report, cfg.parent / "app" / "lcov.info")
    return invoke("collect", "-c", cfg, "--json", *args)


def _epoch(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _log(store: Path) -> list[tuple[int, int, int, str]]:
    """(author time, committer time, parents, subject) newest first (the real git CLI)."""
    out = git("-C", store, "log", "--date-order", "--format=%at %ct %p|%s").splitlines()
    rows = []
    for line in out:
        head, subject = line.split("|", 1)
        at, ct, *parents = head.split()
        rows.append((int(at), int(ct), len(parents), subject))
    return rows


def test_backfilled_collections_take_their_place_and_latest_stays_newest(
    tmp_path: Path, cfg: Path
) -> None:
    store = tmp_path / "metrics"
    newest = json.loads(_collect(cfg, HIGH, "--at", "2026-11-05T12:00:00Z").stdout)
    assert newest["snapshot"]["timestamp"] == "2026-11-05T12:00:00Z"
    assert newest["merge"] is None  # the newest goes on top
    first = json.loads(_collect(cfg, LOW, "--at", "2026-11-01").stdout)
    assert first["snapshot"]["timestamp"] == "2026-11-01T00:00:00Z"
    assert first["merge"] is not None  # placed before every collection
    result = _collect(cfg, LOW, "--at", "2026-11-03T10:00:00+02:00")
    middle = json.loads(result.stdout)
    assert middle["snapshot"]["timestamp"] == "2026-11-03T08:00:00Z"
    head = git("-C", store, "rev-parse", "HEAD").strip()
    assert middle["merge"] == head

    # the collection's commit is dated by the given time, author and committer alike
    for done in (newest, first, middle):
        at, ct = git("-C", store, "log", "-1", "--format=%at %ct", done["collection"]).split()
        assert int(at) == int(ct) == _epoch(done["snapshot"]["timestamp"])
    # git log (by date) shows the collections in time order, merges aside
    collections = [(at, s) for at, _, parents, s in _log(store) if parents == 1]
    assert [at for at, _ in collections] == sorted((at for at, _ in collections), reverse=True)
    assert len(collections) == 3
    fsck(store)

    # history puts the backfilled ones in their place
    hist = json.loads(invoke("history", "-c", cfg, "--json").stdout)
    rows = hist if isinstance(hist, list) else hist.get("collections", hist.get("rows"))
    stamps = [r["at"] for r in rows]
    assert stamps == ["2026-11-05T12:00:00Z", "2026-11-03T08:00:00Z", "2026-11-01T00:00:00Z"]

    # latest.json, the README and the dashboard describe the newest, not the last written
    latest = json.loads((store / "latest.json").read_text())
    assert latest["timestamp"] == "2026-11-05T12:00:00Z"
    assert latest["summary"] == newest["snapshot"]["summary"]
    readme = (store / "README.md").read_text()
    assert "Newest collection: 2026-11-05 12:00 UTC" in readme
    assert "(last 3 collections)" in readme
    page = (store / "dashboard" / "index.html").read_text()
    data = json.loads(re.search(r'id="gm-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert data["series"]["t"] == sorted(
        _epoch(s) for s in ("2026-11-01T00:00:00Z", "2026-11-03T08:00:00Z", "2026-11-05T12:00:00Z")
    )
    assert git("-C", store, "status", "--porcelain").strip() == ""

    # a normal collection afterwards goes on top, as always
    now = json.loads(_collect(cfg, LOW).stdout)
    assert now["merge"] is None
    assert (
        json.loads((store / "latest.json").read_text())["timestamp"] == now["snapshot"]["timestamp"]
    )
    fsck(store)


def test_a_backfill_run_twice_adds_nothing(tmp_path: Path, cfg: Path) -> None:
    store = tmp_path / "metrics"
    assert _collect(cfg, HIGH, "--at", "2026-11-05").exit_code == 0
    assert _collect(cfg, LOW, "--at", "2026-11-02").exit_code == 0
    head = git("-C", store, "rev-parse", "HEAD").strip()
    again = _collect(cfg, LOW, "--at", "2026-11-02")
    assert again.exit_code == 1
    assert "already has a collection" in again.output
    assert "2026-11-02T00:00:00Z" in again.output
    assert git("-C", store, "rev-parse", "HEAD").strip() == head


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2999-01-01", "is in the future"),
        ("2026-11-31", "is not a date"),
        ("last tuesday", "is not a date"),
    ],
)
def test_a_time_that_cannot_be_one_is_refused_before_measuring(
    tmp_path: Path, cfg: Path, at: str, message: str
) -> None:
    result = _collect(cfg, LOW, "--at", at)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.output
    assert "--at" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "metrics").exists()  # nothing was written


def test_coordination_issues_are_not_made_from_a_backfill(tmp_path: Path, cfg: Path) -> None:
    result = _collect(cfg, LOW, "--at", "2026-11-01", "--create-issues")
    assert result.exit_code == 1
    assert "--create-issues cannot go with --at" in result.output
    assert not (tmp_path / "metrics").exists()


def test_backfill_time_is_utc_whole_seconds() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert api.backfill_time("2026-11-03T14:05:09.75+01:00", now) == "2026-11-03T13:05:09Z"
    assert api.backfill_time("2026-11-03T14:05:09", now) == "2026-11-03T14:05:09Z"
    assert api.backfill_time("2d", now) == "2026-11-29T12:00:00Z"
    with pytest.raises(ConfigError, match="in the future"):
        api.backfill_time("2026-12-01T12:00:01Z", now)


def test_a_directory_of_dated_reports_is_imported_in_place_once(tmp_path: Path, cfg: Path) -> None:
    store = tmp_path / "metrics"
    newest = json.loads(_collect(cfg, HIGH, "--at", "2026-11-10T06:00:00Z").stdout)
    saved = tmp_path / "artifacts"
    (saved / "2026-11-03").mkdir(parents=True)
    shutil.copy(LOW, saved / "2026-11-03" / "lcov.info")
    shutil.copy(HIGH, saved / "coverage-20261105_101500.info")
    (saved / "README.txt").write_text("saved by the nightly job\n")
    result = invoke("import", "-c", cfg, "--from", "reports", "--repo", "app", "--json", saved)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [i["at"] for i in data["imported"]] == [
        "2026-11-03T00:00:00Z",
        "2026-11-05T10:15:00Z",
    ]
    assert data["skipped"] == ["README.txt: no date in its name (2026-11-03, 20261103_101500, ...)"]
    hist = json.loads(invoke("history", "-c", cfg, "--json").stdout)
    rows = hist if isinstance(hist, list) else hist.get("collections", hist.get("rows"))
    assert [r["at"] for r in rows] == [
        "2026-11-10T06:00:00Z",
        "2026-11-05T10:15:00Z",
        "2026-11-03T00:00:00Z",
    ]
    latest = json.loads((store / "latest.json").read_text())
    assert latest["timestamp"] == "2026-11-10T06:00:00Z"
    assert latest["summary"] == newest["snapshot"]["summary"]
    # each report's figures, as collect reads them
    low = json.loads(_collect(cfg, LOW, "--dry-run").stdout)["snapshot"]["repositories"][0]
    commits = [i["collection"] for i in data["imported"]]
    for commit in commits:
        at = git("-C", store, "log", "-1", "--format=%at", commit).strip()
        assert int(at) in (_epoch("2026-11-03T00:00:00Z"), _epoch("2026-11-05T10:15:00Z"))
    snap_path = git("-C", store, "show", "-s", "--format=%B", commits[0])
    path = re.search(r"Gitmetrics-Snapshot: (\S+)", snap_path).group(1)  # type: ignore[union-attr]
    first = json.loads(git("-C", store, "show", f"{commits[0]}:{path}"))
    (app,) = first["repositories"]
    assert (app["lines_covered"], app["lines_valid"]) == (low["lines_covered"], low["lines_valid"])
    assert first["host"] == "import-reports"
    fsck(store)
    again = invoke("import", "-c", cfg, "--from", "reports", "--repo", "app", "--json", saved)
    assert json.loads(again.stdout)["already"] == 2
    assert json.loads(again.stdout)["imported"] == []


def test_a_dated_file_that_is_no_report_stops_the_import(tmp_path: Path, cfg: Path) -> None:
    assert _collect(cfg, HIGH, "--at", "2026-11-10").exit_code == 0
    head = git("-C", tmp_path / "metrics", "rev-parse", "HEAD").strip()
    saved = tmp_path / "artifacts"
    saved.mkdir()
    shutil.copy(LOW, saved / "lcov-2026-11-01.info")
    (saved / "lcov-2026-11-02.info").write_text("not a coverage report\n")
    result = invoke("import", "-c", cfg, "--from", "reports", "--repo", "app", saved)
    assert result.exit_code == 1
    assert "lcov-2026-11-02.info" in result.output
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    assert git("-C", tmp_path / "metrics", "rev-parse", "HEAD").strip() == head
    missing = invoke("import", "-c", cfg, "--from", "reports", saved)
    assert missing.exit_code == 1 and "pass --repo NAME" in missing.output


def test_dates_in_report_names() -> None:
    from gitmetrics.importing import dated

    assert dated("2026-11-03/coverage.xml") == "2026-11-03T00:00:00Z"
    assert dated("coverage-20261105_101500.xml") == "2026-11-05T10:15:00Z"
    assert dated("run-2026-11-05T10:15:00+01:00.json") == "2026-11-05T09:15:00Z"
    assert dated("build-7/lcov-2026-11-05T1015Z.info") == "2026-11-05T10:15:00Z"
    assert dated("lcov-2026-13-05.info") is None
    assert dated("lcov.info") is None
