"""repos.yaml: loading, defaults, Mahavishnu entries, and messages that name the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmetrics import config
from gitmetrics.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "repos.yaml"
    path.write_text(text)
    return path


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    cfg = config.load(_write(tmp_path, "repos:\n  - name: a\n    path: src/a\n"))
    assert cfg.store == tmp_path / "metrics"
    assert cfg.retention == 30 and cfg.min_coverage == 80.0 and cfg.remote is None
    (repo,) = cfg.repos
    assert repo.path == tmp_path / "src/a" and repo.role == "unknown" and repo.coverage == ()


def test_coverage_as_string_or_list(tmp_path: Path) -> None:
    cfg = config.load(
        _write(
            tmp_path,
            "repos:\n  - {name: a, path: a, coverage: x.xml}\n"
            "  - {name: b, path: b, coverage: [back/c.json, front/lcov.info], format: lcov}\n",
        )
    )
    assert cfg.repos[0].coverage == ("x.xml",)
    assert cfg.repos[1].coverage == ("back/c.json", "front/lcov.info")
    assert cfg.repos[1].format == "lcov"


def test_mahavishnu_entries_load_unchanged(tmp_path: Path) -> None:
    text = """
repos:
  - name: mahavishnu
    package: mahavishnu
    path: /opt/mahavishnu
    nickname: vishnu
    role: orchestrator
    tags: [python, mcp]
    description: Multi-engine orchestration
    mcp: native
    audit: {last: 2026-01-01}
    some_future_field: 42
"""
    (repo,) = config.load(_write(tmp_path, text)).repos
    assert repo.role == "orchestrator"
    assert repo.extra["nickname"] == "vishnu" and repo.extra["tags"] == ["python", "mcp"]
    assert "some_future_field" not in repo.extra


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repos:\n  - name: a\n    path: [x\n", "repos.yaml:4:1: invalid YAML"),
        ("repos:\n  - name: a\n", "repos.yaml:2: repos[0]: 'path' is a required property"),
        (
            "repos:\n  - name: a\n    path: a\n  - name: b\n    path: 7\n",
            "repos.yaml:5: repos[1].path: must be a string",
        ),
        ("retension: 3\nrepos: []\n", "unknown key ('retension' was unexpected)"),
        ("retention: -1\nrepos: []\n", "retention: -1 is out of range"),
        (
            "repos:\n  - {name: a, path: a}\n  - {name: a, path: b}\n",
            "repos[1].name: 'a' is already used by repos[0]",
        ),
        ("- just a list\n", "the top level must be a mapping"),
        ("repos:\n  - {name: a, path: a, coverage: []}\n", "repos[0].coverage"),
    ],
)
def test_bad_config_names_file_and_place(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config.load(_write(tmp_path, text))
    assert message in str(err.value)
    assert "repos.yaml" in str(err.value)


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "nope.yaml")


def test_env_var_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("repos: []\n")
    monkeypatch.setenv("GITMETRICS_CONFIG", str(other))
    assert config.config_path() == other
    assert config.load().repos == ()
