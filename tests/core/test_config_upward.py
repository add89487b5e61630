"""repos.yaml is found in the current directory or above it, the nearest first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitmetrics import config
from tests.helpers import invoke

LCOV = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "lcov" / "c8" / "lcov.info"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(config.ENV_CONFIG, raising=False)
    root = tmp_path / "project"
    (root / "app" / "src" / "deep").mkdir(parents=True)
    shutil.copy(LCOV, root / "app" / "lcov.info")
    (root / "repos.yaml").write_text("store: metrics\nrepos:\n  - {name: app, path: app}\n")
    return root


def test_found_from_a_subdirectory(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "app" / "src" / "deep")
    assert config.config_path() == project / "repos.yaml"
    result = invoke("collect", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    (repo,) = json.loads(result.stdout)["snapshot"]["repositories"]
    assert (repo["name"], repo["status"], repo["report"]) == ("app", "ok", "lcov.info")
    # the store is where the found config says, not under the current directory
    assert invoke("collect").exit_code == 0
    assert (project / "metrics" / "latest.json").is_file()
    assert not (project / "app" / "src" / "deep" / "metrics").exists()


def test_the_nearest_wins_and_the_environment_first(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "app" / "repos.yaml").write_text("repos: []\n")
    monkeypatch.chdir(project / "app" / "src")
    assert config.config_path() == project / "app" / "repos.yaml"
    monkeypatch.chdir(project)
    assert config.config_path() == Path("repos.yaml")  # here: shown as ./repos.yaml was
    monkeypatch.setenv(config.ENV_CONFIG, "/elsewhere/repos.yaml")
    assert config.config_path() == Path("/elsewhere/repos.yaml")


def test_none_found_is_the_usual_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.ENV_CONFIG, raising=False)
    monkeypatch.chdir(tmp_path)
    result = invoke("collect")
    assert result.exit_code == 1
    assert "repos.yaml: config file not found" in result.output
