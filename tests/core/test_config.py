"""repos.yaml: loading, defaults, Mahavishnu entries, and messages that name the place."""

from __future__ import annotations

import json
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


# --- repository names ---------------------------------------------------------------------

LONGEST = "n" * config.NAME_MAX


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a\0b", r"'a\x00b' contains a control character ('\x00')"),
        ("a\nb", r"'a\nb' contains a control character ('\n')"),
        ("api\x1b[31m", r"'api\x1b[31m' contains a control character ('\x1b')"),
        ("api\x9b2J", r"contains a control character ('\x9b')"),
        ("x" * 240, f"'{'x' * 40}...' is 240 characters long (at most 100)"),
        (LONGEST + "n", "is 101 characters long"),
        ("average", "'average' is reserved"),
        ("AVERAGE", "'AVERAGE' is reserved"),
        ("../x", "'../x' starts with '.'"),
        (".git", "'.git' starts with '.'"),
        (".", "'.' starts with '.'"),
        ("-rf", "'-rf' starts with '-'"),
        ("a/b", "'a/b' contains '/'"),
        ("my repo", "'my repo' contains ' '"),
        ("a|b", "'a|b' contains '|'"),
        ("café", "'café' contains 'é'"),
        ("nul", "is a Windows device name"),
        ("Com1.tools", "is a Windows device name"),
    ],
)
def test_unusable_names_are_refused_with_place_and_rule(
    tmp_path: Path, name: str, problem: str
) -> None:
    entry = "repos:\n  - name: ok\n    path: a\n  - path: b\n    name: {}\n"
    # a JSON string is a YAML string: every character arrives as written
    path = _write(tmp_path, entry.format(json.dumps(name)))
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert err.value.message.startswith(f"{path}:5: repos[1].name: ")
    assert problem in err.value.message
    assert err.value.hint == config.NAME_RULE
    assert "\n" not in err.value.message and "\x1b" not in err.value.message


@pytest.mark.parametrize("name", ["a", "9", LONGEST, "web.api_v2-x", "averages", "console", "Null"])
def test_portable_names_load(tmp_path: Path, name: str) -> None:
    text = f"repos:\n  - {{name: {json.dumps(name)}, path: a}}\n"
    (repo,) = config.load(_write(tmp_path, text)).repos
    assert repo.name == name


def test_names_differing_only_in_case_are_one_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        config.load(
            _write(tmp_path, "repos:\n  - {name: Api, path: a}\n  - {name: api, path: b}\n")
        )
    assert "repos.yaml:3: repos[1].name: 'api' is the name of repos[0] ('Api') in another case" in (
        err.value.message
    )


@pytest.mark.parametrize(
    "name",
    [
        "a",
        LONGEST,
        "x.y_z-1",
        "average",
        "AVERAGE",
        "nul",
        "nul.x",
        "Lpt9",
        "com10",
        "a\0",
        "",
        "n" * 101,
        "../x",
        ".git",
        "my repo",
        "café",
        "a\n",
    ],
)
def test_schema_and_config_agree_on_names(name: str) -> None:
    from gitmetrics import schema

    by_schema = not schema.errors(schema.REPOS, {"repos": [{"name": name, "path": "a"}]})
    assert by_schema == (config.name_problem(name) is None)


@pytest.mark.parametrize(
    "name", ["api", "web.v2", "libfoo_core", "a" * 100, "average", "nul", "my repo", "Zähler"]
)
def test_stored_names_take_every_configured_name_and_what_0_1_0_allowed(name: str) -> None:
    """A snapshot holds what repos.yaml allows, and what 0.1.0 allowed (so its stores stay
    readable): reserved names, spaces, any letters."""
    import re

    from gitmetrics import schema

    stored = schema.load(schema.SNAPSHOT)["$defs"]["repository"]["properties"]["name"]
    assert re.search(stored["pattern"], name)
