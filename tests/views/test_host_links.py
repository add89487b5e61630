"""The metrics README's links on a git host: ``web_url:`` (badge embeds), ``commit_url:``
(source commits), ``dashboard_url:`` and the dashboard link; templates checked at load."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gitmetrics import config as configmod
from gitmetrics.cli import app
from gitmetrics.errors import ConfigError
from tests.conftest import git

LCOV = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "lcov" / "c8" / "lcov.info"
_runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    """The CLI in this process; an exception fails the test instead of becoming exit 1."""
    return _runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _source_repo(path: Path) -> str:
    """A git repository holding a report; returns its HEAD commit (the git CLI's word)."""
    path.mkdir()
    shutil.copy(LCOV, path / "lcov.info")
    git("init", "-q", "-b", "main", path)
    git("-C", path, "add", "lcov.info")
    git("-C", path, "commit", "-q", "-m", "one")
    return git("-C", path, "rev-parse", "HEAD").strip()


def _readme(tmp_path: Path, top: str, repo: str = "") -> tuple[str, str]:
    """The README of a store after one collection with ``top`` keys in repos.yaml."""
    commit = _source_repo(tmp_path / "app")
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        f"store: metrics\n{top}repos:\n  - {{name: app, path: app, coverage: lcov.info{repo}}}\n"
    )
    result = invoke("collect", "-c", cfg, "--json")
    assert result.exit_code == 0, result.output
    return (tmp_path / "metrics" / "README.md").read_text(), commit


def test_without_web_url_the_readme_says_how_to_set_it(tmp_path: Path) -> None:
    text, commit = _readme(tmp_path, "")
    assert "YOUR-GIT-HOST" not in text and "OWNER/METRICS-REPO" not in text
    assert "set `web_url:` in repos.yaml" in text
    assert "| Embed |" not in text
    # the source commit is shown, unlinked without commit_url
    assert f"| `{commit[:10]}` |" in text
    assert "## Dashboard" not in text  # no dashboard: true


def test_web_url_gives_badge_snippets_commit_links_and_the_dashboard(tmp_path: Path) -> None:
    text, commit = _readme(
        tmp_path,
        "dashboard: true\nweb_url: https://github.com/acme/metrics/\n"
        "commit_url: https://github.com/acme/{repo}/commit/{commit}\n",
    )
    assert "set `web_url:`" not in text
    raw = "https://github.com/acme/metrics/raw/main/badges"
    assert f"`[![coverage]({raw}/average.svg)](https://github.com/acme/metrics/)`" in text
    assert f"`[![coverage]({raw}/app.svg)](https://github.com/acme/metrics/)`" in text
    assert f"[`{commit[:10]}`](https://github.com/acme/app/commit/{commit})" in text
    assert "## Dashboard" in text
    assert "[`dashboard/index.html`](dashboard/index.html)" in text
    assert (tmp_path / "metrics" / "dashboard" / "index.html").is_file()
    # every absolute link is one of the configured addresses
    links = re.findall(r"\]\((https?://[^)]+)\)", text)
    assert links and all(link.startswith("https://github.com/acme/") for link in links)


def test_a_repo_commit_url_overrides_and_gitlab_raw_links(tmp_path: Path) -> None:
    text, commit = _readme(
        tmp_path,
        "dashboard: true\nweb_url: https://gitlab.example.com/acme/metrics\n"
        "dashboard_url: https://acme.gitlab.io/metrics/dashboard/\n"
        "commit_url: https://github.com/acme/{repo}/commit/{commit}\n",
        ", commit_url: 'https://gitlab.example.com/acme/the-app/-/commit/{commit}'",
    )
    assert "https://gitlab.example.com/acme/metrics/-/raw/main/badges/app.svg" in text
    assert f"(https://gitlab.example.com/acme/the-app/-/commit/{commit})" in text
    assert "github.com" not in text  # the repo's own template wins
    assert "[the dashboard](https://acme.gitlab.io/metrics/dashboard/)" in text


def test_raw_url_template_overrides_the_derived_one(tmp_path: Path) -> None:
    text, _ = _readme(
        tmp_path,
        "web_url: https://git.example.com/acme/metrics\n"
        "raw_url: https://git.example.com/acme/metrics/raw/branch/{branch}/{path}\n",
    )
    assert "https://git.example.com/acme/metrics/raw/branch/main/badges/app.svg" in text


@pytest.mark.parametrize(
    ("yaml_text", "place", "problem"),
    [
        ("web_url: ftp://git.example.com/m\n", ":1: web_url:", "not an http:// or https://"),
        ("web_url: 'javascript:alert(1)'\n", ":1: web_url:", "contains '('"),
        ("web_url: https://x.example/{repo}\n", ":1: web_url:", "unknown placeholder {repo}"),
        (
            "commit_url: https://x.example/{repo}/commit/{sha}\n",
            ":1: commit_url:",
            "unknown placeholder {sha} (known: {repo}, {commit})",
        ),
        ("commit_url: https://x.example/{repo}\n", ":1: commit_url:", "put {commit} where"),
        ("commit_url: 'https://x.example/{commit'\n", ":1: commit_url:", "unmatched"),
        ("raw_url: https://x.example/raw/{branch}\n", ":1: raw_url:", "put {path} where"),
        ("dashboard_url: 'https://x.example/a page'\n", ":1: dashboard_url:", "contains ' '"),
    ],
)
def test_a_bad_link_is_refused_at_load_naming_the_file_and_key(
    tmp_path: Path, yaml_text: str, place: str, problem: str
) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(yaml_text + "repos: []\n")
    with pytest.raises(ConfigError) as exc:
        configmod.load(cfg)
    assert f"repos.yaml{place}" in exc.value.message
    assert problem in exc.value.message
    assert exc.value.hint is not None and "docs/configuration.md" in exc.value.hint


def test_a_repo_commit_url_is_checked_with_its_place(tmp_path: Path) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        "repos:\n  - {name: a, path: a}\n  - name: b\n    path: b\n"
        "    commit_url: http://x.example/{repo}/{oops}\n"
    )
    result = invoke("status", "-c", cfg)
    assert result.exit_code == 1
    assert "repos.yaml:5: repos[1].commit_url:" in result.output
    assert "unknown placeholder {oops}" in result.output
    assert "Traceback" not in result.output


def test_commit_links_are_filled_and_encoded() -> None:
    cfg = configmod.parse(
        "commit_url: https://h.example/{repo}/commit/{commit}\nrepos:\n  - {name: a.b, path: x}\n",
        Path("repos.yaml"),
    )
    assert cfg.commit_link("a.b", "0" * 40) == f"https://h.example/a.b/commit/{'0' * 40}"
    assert cfg.commit_link("nope", "0" * 40) is None
    assert cfg.raw_link("badges/a.svg") is None  # no web_url, no raw link
    # the JSON Schema knows every key, so `gitmetrics schema repos` documents them
    schema = json.loads(invoke("schema", "repos").stdout)
    for key in ("web_url", "raw_url", "dashboard_url", "commit_url"):
        assert key in schema["properties"]
    assert "commit_url" in schema["$defs"]["repo"]["properties"]
