"""Stale reports: a configured report is the one read or an error (never another file),
and a report older than the repository's HEAD commit is flagged in the snapshot and shown."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from typer.testing import CliRunner

from gitmetrics import snapshot
from tests.helpers import git, invoke, make_snapshot, repo_result

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
LCOV = FIXTURES / "lcov" / "c8" / "lcov.info"
COBERTURA = FIXTURES / "cobertura" / "gcovr-c" / "coverage.xml"
_runner = CliRunner()


#: 2026-11-10 12:00:00 UTC
HEAD_TIME = 1794312000


def _git_repo(path: Path, when: int = HEAD_TIME) -> None:
    """A git repository whose HEAD commit has committer time ``when``."""
    path.mkdir()
    git("init", "-q", "-b", "main", path)
    (path / "a.txt").write_text("a")
    git("-C", path, "add", "a.txt")
    date = f"@{when} +0000"
    git(
        "-C",
        path,
        "commit",
        "-q",
        "-m",
        "one",
        env={"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date},
    )
    assert git("-C", path, "log", "-1", "--format=%ct").strip() == str(when)


def _collect(tmp_path: Path, body: str, *extra: str) -> tuple[int, dict[str, dict[str, object]]]:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(body)
    result = invoke(*["collect", "-c", str(cfg), "--dry-run", "--json", *extra])
    data = json.loads(result.stdout)
    return result.exit_code, {r["name"]: r for r in data["snapshot"]["repositories"]}


def test_a_report_older_than_head_is_flagged_and_a_newer_one_is_not(tmp_path: Path) -> None:
    for name in ("old", "new"):
        _git_repo(tmp_path / name)
        shutil.copy(LCOV, tmp_path / name / "lcov.info")
    os.utime(tmp_path / "old" / "lcov.info", (HEAD_TIME - 60, HEAD_TIME - 60))
    os.utime(tmp_path / "new" / "lcov.info", (HEAD_TIME + 60, HEAD_TIME + 60))
    (tmp_path / "plain").mkdir()  # no git repository: nothing to compare with
    shutil.copy(LCOV, tmp_path / "plain" / "lcov.info")
    os.utime(tmp_path / "plain" / "lcov.info", (0, 0))
    body = "repos:\n" + "".join(f"  - {{name: {n}, path: {n}}}\n" for n in ("old", "new", "plain"))
    code, repos = _collect(tmp_path, body)
    assert code == 0
    assert repos["old"]["status"] == "ok"
    assert repos["old"]["stale_report"] is True
    assert "stale_report" not in repos["new"]
    assert "stale_report" not in repos["plain"]

    result = invoke(*["collect", "-c", str(tmp_path / "repos.yaml"), "--dry-run"])
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "stale: older than HEAD" in lines["old"]
    assert "stale" not in lines["new"]


def test_stale_report_round_trips_and_is_absent_when_false() -> None:
    fresh = make_snapshot(1, [repo_result("a", 50)])
    stale = make_snapshot(1, [repo_result("a", 50, stale_report=True)])
    assert "stale_report" not in snapshot.to_dict(fresh)["repositories"][0]
    data = snapshot.to_json(stale)  # validated against the schema
    assert json.loads(data)["repositories"][0]["stale_report"] is True
    assert snapshot.from_json(data).repositories[0].stale_report is True


def test_status_shows_a_stale_report(tmp_path: Path) -> None:
    _git_repo(tmp_path / "svc")
    shutil.copy(LCOV, tmp_path / "svc" / "lcov.info")
    os.utime(tmp_path / "svc" / "lcov.info", (HEAD_TIME - 3600, HEAD_TIME - 3600))
    cfg = tmp_path / "repos.yaml"
    cfg.write_text("store: metrics\nrepos:\n  - {name: svc, path: svc}\n")
    assert invoke(*["init", "-c", str(cfg)]).exit_code == 0
    assert invoke(*["collect", "-c", str(cfg)]).exit_code == 0
    result = invoke(*["status", "-c", str(cfg)])
    assert result.exit_code == 0
    assert "stale report" in result.stdout
    data = json.loads(invoke(*["status", "-c", str(cfg), "--json"]).stdout)
    assert data["rows"][0]["stale_report"] is True


def test_a_missing_report_of_the_configured_format_is_an_error_not_another_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "app").mkdir()
    shutil.copy(COBERTURA, tmp_path / "app" / "coverage.xml")  # an unrelated older report
    _code, repos = _collect(tmp_path, "repos:\n  - {name: app, path: app, format: lcov}\n")
    assert repos["app"]["status"] == "error"
    assert "repos[0].format: lcov: no lcov report found" in str(repos["app"]["error"])
    assert "lcov.info" in str(repos["app"]["error"])
    # the report of the configured format is read when it is there
    shutil.copy(LCOV, tmp_path / "app" / "lcov.info")
    _code, repos = _collect(tmp_path, "repos:\n  - {name: app, path: app, format: lcov}\n")
    assert repos["app"]["status"] == "ok"
    assert repos["app"]["report"] == "lcov.info"


def test_a_missing_configured_path_is_an_error_not_another_file(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    shutil.copy(LCOV, tmp_path / "app" / "lcov.info")  # there, but not the one configured
    body = "repos:\n  - {name: app, path: app, coverage: build/lcov.info}\n"
    _code, repos = _collect(tmp_path, body)
    assert repos["app"]["status"] == "error"
    assert "repos[0].coverage: " in str(repos["app"]["error"])
    assert "does not exist" in str(repos["app"]["error"])
