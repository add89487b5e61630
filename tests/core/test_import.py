"""``gitmetrics import``: seed metrics files, Codecov API v2 and Coveralls pages become
collections dated by their own timestamps, in time order, once, with nothing invented."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import fsck, git, invoke

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
_runner = CliRunner()


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "repos.yaml"
    path.write_text(
        "store: metrics\nrepos:\n"
        "  - {name: api, path: api, role: service}\n"
        "  - {name: web, path: web, role: frontend}\n"
    )
    return path


def _seed_copy(tmp_path: Path) -> Path:
    """The seed directory with file times the reverse of the files' own timestamps."""
    seed = tmp_path / "data" / "metrics"
    shutil.copytree(FIXTURES / "seed", seed, symlinks=True)
    names = sorted(p.name for p in seed.glob("metrics_*.json"))
    for i, name in enumerate(reversed(names)):
        os.utime(seed / name, (1_000_000 + i, 1_000_000 + i))
    return seed


def _log(store: Path) -> list[tuple[int, str]]:
    """(commit time, subject) of the collections, oldest first (the real git CLI)."""
    out = git("-C", store, "log", "--reverse", "--format=%ct %s").splitlines()
    return [(int(t), s) for t, s in (line.split(" ", 1) for line in out)][1:]  # not the root


def _epoch(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def test_seed_directory_imports_in_timestamp_order_once(tmp_path: Path, cfg: Path) -> None:
    seed = _seed_copy(tmp_path)
    result = invoke("import", "-c", cfg, seed)
    assert result.exit_code == 0, result.output
    assert "skipped latest.json" in result.stdout
    assert "Imported 3 collection(s): 2025-02-28T09:00:00Z to 2025-03-02T09:00:00Z" in (
        result.stdout
    )
    store = tmp_path / "metrics"
    fsck(store)
    times = [t for t, _ in _log(store)]
    stamps = ["2025-02-28T09:00:00Z", "2025-03-01T09:00:00Z", "2025-03-02T09:00:00Z"]
    assert times == [_epoch(s) for s in stamps]  # commit time is the timestamp, not the mtime

    latest = json.loads((store / "latest.json").read_text())
    assert latest["timestamp"] == "2025-03-02T09:00:00Z"
    assert latest["host"] == "import-seed"
    repos = {r["name"]: r for r in latest["repositories"]}
    # the seed has a percentage only: no line counts are made up
    assert repos["api"]["coverage"] == 72.25
    assert repos["api"]["lines_covered"] is None and repos["api"]["lines_valid"] is None
    assert repos["api"]["files_tested"] == 41
    # coverage null in the newest seed entry: web's earlier figure is carried, marked
    assert repos["web"]["carried"] and repos["web"]["last_error"]
    assert repos["api"]["carried"] is False

    head = git("-C", store, "rev-parse", "HEAD")
    again = invoke("import", "-c", cfg, seed)
    assert again.exit_code == 0
    assert "Imported 0 collection(s); 3 already in the store" in again.stdout
    assert git("-C", store, "rev-parse", "HEAD") == head

    # every view reads the imported history, null counts and all
    for args in (["status"], ["history"], ["report"], ["status", "--json"]):
        shown = invoke(*args, "-c", cfg)
        assert shown.exit_code == 0, (args, shown.output)
    history = json.loads(invoke("history", "-c", cfg, "--json").stdout)
    assert len(history) == 3


def test_codecov_commits_keep_their_counts_and_commit(tmp_path: Path, cfg: Path) -> None:
    result = invoke("import", "-c", cfg, "--repo", "api", FIXTURES / "codecov-commits.json")
    assert result.exit_code == 0, result.output
    # the commit Codecov has no totals for is not a collection
    assert "Imported 2 collection(s): 2025-04-01T10:00:00Z to 2025-04-02T14:05:11Z" in (
        result.stdout
    )
    latest = json.loads((tmp_path / "metrics" / "latest.json").read_text())
    (api,) = latest["repositories"]
    assert (api["name"], api["role"]) == ("api", "service")
    assert (api["lines_covered"], api["lines_valid"], api["files_tested"]) == (960, 1200, 18)
    assert api["coverage"] == 80.0
    assert api["source"] == {
        "commit": "3f9d0c7e2b1a4d5c6e7f8091a2b3c4d5e6f70812",
        "branch": "main",
        "dirty": False,
    }
    assert "branches_valid" not in api or api["branches_valid"] is None
    assert [t for t, _ in _log(tmp_path / "metrics")] == [
        _epoch("2025-04-01T10:00:00Z"),
        _epoch("2025-04-02T14:05:11Z"),
    ]


def test_coveralls_maps_its_repo_name_and_older_history_is_refused(
    tmp_path: Path, cfg: Path
) -> None:
    result = invoke(
        "import",
        "-c",
        cfg,
        "--json",
        FIXTURES / "coveralls-builds.json",  # names its repo: acme/web is `web`
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [i["at"] for i in data["imported"]] == [
        "2025-05-05T08:30:00Z",
        "2025-05-06T08:30:00Z",
    ]
    latest = json.loads((tmp_path / "metrics" / "latest.json").read_text())
    (web,) = latest["repositories"]
    assert (web["name"], web["coverage"], web["lines_valid"]) == ("web", 62.5, None)
    assert web["files_tested"] is None  # Coveralls' builds do not count files

    trend = invoke("import", "-c", cfg, "--repo", "api", FIXTURES / "codecov-coverage-trend.json")
    # older than what the store holds: refused, nothing written
    assert trend.exit_code == 1
    assert "imported history must come before it" in trend.output
    assert len(_log(tmp_path / "metrics")) == 2


def test_codecov_trend_averages_have_no_counts(tmp_path: Path, cfg: Path) -> None:
    result = invoke(
        "import",
        "-c",
        cfg,
        "-r",
        "api",
        "--from",
        "codecov",
        FIXTURES / "codecov-coverage-trend.json",
    )
    assert result.exit_code == 0, result.output
    latest = json.loads((tmp_path / "metrics" / "latest.json").read_text())
    (api,) = latest["repositories"]
    assert (api["coverage"], api["lines_covered"], api["source"]) == (75.5, None, None)
    assert api["files_tested"] is None  # a trend has no file count: absent, not 0
    assert latest["summary"]["total_files_tested"] == 0
    # every view shows the figure as not recorded
    for view in (["status"], ["report"], ["history", "--repo", "api"], ["trends"]):
        shown = invoke(*view, "-c", cfg)
        assert shown.exit_code == 0, shown.output
    status = invoke("status", "-c", cfg, "--json")
    assert json.loads(status.stdout)["rows"][0]["files"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["codecov-commits.json"], "pass --repo NAME"),
        (["-r", "nope", "codecov-commits.json"], "--repo nope: no such repository in repos.yaml"),
        (["coveralls-other.json"], "repo_name 'acme/billing' matches no repository"),
        (["not-an-export.json"], "neither a seed metrics file"),
        (["--from", "sonar", "codecov-commits.json"], "--from sonar: unknown"),
    ],
)
def test_what_cannot_be_mapped_is_refused(
    tmp_path: Path, cfg: Path, args: list[str], message: str
) -> None:
    other = json.loads((FIXTURES / "coveralls-builds.json").read_text())
    for build in other["builds"]:
        build["repo_name"] = "acme/billing"
    (tmp_path / "coveralls-other.json").write_text(json.dumps(other))
    (tmp_path / "not-an-export.json").write_text('{"coverage": 50}')
    shutil.copy(FIXTURES / "codecov-commits.json", tmp_path)
    resolved = [str(tmp_path / a) if a.endswith(".json") else a for a in args]
    result = invoke("import", "-c", cfg, *resolved)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "metrics").exists()


def test_dry_run_commits_nothing(tmp_path: Path, cfg: Path) -> None:
    result = invoke("import", "-c", cfg, "--dry-run", _seed_copy(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Would import 3 collection(s)" in result.stdout
    assert not (tmp_path / "metrics").exists()
