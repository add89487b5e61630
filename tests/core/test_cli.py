"""The CLI through typer's CliRunner, on copies of the bundled examples."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.core
import typer.main

from gitmetrics import __version__
from gitmetrics.cli import app
from tests.helpers import ROOT_COMMIT, ROOT_SUBJECT, commands, docs_text, fsck, git, invoke

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the examples with a config of its own, and no store yet."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    text = (ROOT / "repos.yaml").read_text()
    (tmp_path / "repos.yaml").write_text(text)
    return tmp_path


def run(*args: str | Path) -> tuple[int, str, str]:
    result = invoke(*args)
    return result.exit_code, result.stdout, result.stderr


def test_collect_then_history(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    code, out, _ = run("collect", "-c", cfg)
    assert code == 0, out
    assert "4 of 4 repos measured: avg 66.3%, lines-weighted 64.3%, 8 files" in out
    assert "inventory-api  service      83.6%     75.0%" in out
    store = workspace / "metrics"
    fsck(store)
    assert git("-C", store, "log", "--format=%s").splitlines() == [
        "collect: 4 repos, avg 66.3%",
        ROOT_SUBJECT,
    ]
    assert git("-C", store, "rev-list", "--max-parents=0", "HEAD").strip() == ROOT_COMMIT
    summary = json.loads((store / "latest.json").read_text())["summary"]
    assert summary["avg_coverage"] == 66.34 and summary["repos_count"] == 4

    code, out, _ = run("collect", "-c", cfg, "--repo", "legacy-tools")
    assert code == 0
    code, out, _ = run("history", "-c", cfg)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == [
        "Timestamp",
        "Avg",
        "Coverage",
        "Repos",
        "Measured",
        "Files",
        "Trend",
    ]
    # `--repo legacy-tools` measured one repo and kept the other three: the state's
    # average did not move
    assert lines[1].split()[2:6] == ["66.3%", "4", "1", "8"] and "=" in lines[1]
    assert "66.3%" in lines[2] and lines[2].rstrip().endswith("-")
    latest = json.loads((store / "latest.json").read_text())
    assert latest["schema_version"] == 2 and latest["measured"] == ["legacy-tools"]
    carried = {r["name"]: r["carried"] for r in latest["repositories"]}
    assert carried == {
        "inventory-api": True,
        "legacy-tools": False,
        **{n: True for n in carried if n not in ("inventory-api", "legacy-tools")},
    }


def test_collect_json_and_history_json(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    code, out, _ = run("collect", "-c", cfg, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["collection"] and data["snapshot_path"].startswith("snapshots/")
    assert [r["repo"] for r in data["rows"]][2] == "inventory-api"
    assert data["rows"][2]["line_coverage"] == 83.64 and data["summary"]["repos_ok"] == 4
    names = [r["name"] for r in data["snapshot"]["repositories"]]
    assert names == ["billing-web", "geometry-c", "inventory-api", "legacy-tools"]
    repo = data["snapshot"]["repositories"][2]
    assert repo["lines_covered"] == 46 and repo["lines_valid"] == 55
    assert repo["branches_covered"] == 12 and repo["format"] == "coverage-json"
    assert len(repo["reports"][0]["sha256"]) == 64
    code, out, _ = run("history", "-c", cfg, "--json")
    (entry,) = json.loads(out)
    assert entry["collection"] == data["collection"] and entry["avg_line_coverage"] == 66.34


def test_filters_by_role_and_unknown_repo(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    code, out, _ = run(
        "collect", "-c", cfg, "--role", "service", "--role", "library", "--dry-run", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert [r["name"] for r in data["snapshot"]["repositories"]] == ["geometry-c", "inventory-api"]
    assert data["collection"] is None and not (workspace / "metrics").exists()
    code, _, err = run("collect", "-c", cfg, "--repo", "nope")
    assert code == 1 and "no repo named 'nope'" in err


def test_dry_run_commits_nothing(workspace: Path) -> None:
    code, out, _ = run("collect", "-c", workspace / "repos.yaml", "--dry-run")
    assert code == 0 and "Dry run: snapshot is valid; nothing was committed." in out
    assert not (workspace / "metrics").exists()


def test_a_failing_repo_is_recorded_and_the_rest_committed(workspace: Path) -> None:
    (workspace / "examples/geometry-c/coverage.xml").write_text("<coverage><unclosed")
    shutil.rmtree(workspace / "examples/billing-web")
    cfg = workspace / "repos.yaml"
    code, out, _ = run("collect", "-c", cfg, "--json")
    assert code == 0
    repos = {r["name"]: r for r in json.loads(out)["snapshot"]["repositories"]}
    assert repos["geometry-c"]["status"] == "error"
    assert "coverage.xml" in repos["geometry-c"]["error"]
    assert repos["billing-web"]["error"].startswith("repos.yaml: repos[1].path: ")
    assert repos["billing-web"]["error"].endswith("billing-web does not exist")
    assert repos["inventory-api"]["status"] == "ok"
    latest = json.loads((workspace / "metrics/latest.json").read_text())
    assert latest["summary"]["repos_failed"] == 2 and latest["summary"]["repos_ok"] == 2
    code, _, _ = run("collect", "-c", cfg, "--strict")
    assert code == 3  # committed, and the gate failed
    fsck(workspace / "metrics")


def test_missing_report_names_the_config_place(workspace: Path) -> None:
    (workspace / "examples/inventory-api/coverage.json").unlink()
    code, out, _ = run(
        "collect", "-c", workspace / "repos.yaml", "--repo", "inventory-api", "--json"
    )
    assert code == 1  # nothing collected: nothing committed
    (repo,) = json.loads(out)["snapshot"]["repositories"]
    assert repo["error"].startswith("repos.yaml: repos[0].coverage: ")
    assert "run `gitmetrics collect --run`" in repo["error"]
    assert not (workspace / "metrics").exists()


def test_nothing_collected_commits_nothing(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    run("collect", "-c", cfg)
    head = git("-C", workspace / "metrics", "rev-parse", "HEAD")
    (workspace / "examples/legacy-tools/coverage.xml").write_bytes(b"\x00\x01garbage")
    code, _, err = run("collect", "-c", cfg, "--repo", "legacy-tools")
    assert code == 1 and "nothing was collected" in err
    assert git("-C", workspace / "metrics", "rev-parse", "HEAD") == head


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repos: [\n", "invalid YAML"),
        (
            "repos:\n  - name: x\n    path: 1\n",
            "repos.yaml:3: repos[0].path: must be a string, not int",
        ),
        ("store: metrics\n", "'repos' is a required property"),
    ],
)
def test_bad_config_exits_1_without_traceback(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "repos.yaml").write_text(text)
    code, out, err = run("collect", "-c", tmp_path / "repos.yaml")
    assert code == 1
    assert message in err and "Traceback" not in err + out
    assert not (tmp_path / "metrics").exists()


def test_history_on_a_missing_or_empty_store(tmp_path: Path) -> None:
    code, _, err = run("history", "--store", tmp_path / "none")
    assert code == 1 and "no metrics repository here" in err
    run("init", tmp_path / "empty")
    code, _, err = run("history", "--store", tmp_path / "empty")
    assert code == 1 and "has no collections yet" in err


def test_init_creates_a_store_plain_git_reads(tmp_path: Path) -> None:
    code, out, _ = run("init", tmp_path / "m")
    assert code == 0 and "Metrics repository ready" in out
    assert git("-C", tmp_path / "m", "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    code, _, _ = run("init", tmp_path / "bare.git", "--bare")
    assert git("-C", tmp_path / "bare.git", "rev-parse", "--is-bare-repository").strip() == "true"


def test_schema_prints_valid_json() -> None:
    code, out, _ = run("schema")
    assert code == 0 and json.loads(out)["title"] == "gitmetrics coverage snapshot"
    code, out, _ = run("schema", "repos")
    assert json.loads(out)["title"].startswith("gitmetrics configuration")
    code, _, err = run("schema", "nope")
    assert code == 1 and "unknown schema" in err


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"gitmetrics {__version__}"


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0 and "Usage:" in out
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    cmd = group.commands[command]
    assert cmd.help, f"{command} has no help text"
    for param in cmd.params:
        if isinstance(param, typer.core.TyperOption) and param.name != "help":
            assert param.help, f"{command} {param.opts} has no help text"


@pytest.mark.parametrize("command", commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = docs_text()
    assert f"gitmetrics {command}" in readme, f"`gitmetrics {command}` is not documented"


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from gitmetrics.cli import main; main()",
            "history",
            "--store",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    line = next(x for x in ci.splitlines() if x.startswith("cmd="))
    command = line.split("=", 1)[1].strip("'")
    assert f"```sh\n{command}\n```" in readme
    assert "pytest" in command and 'pip install -e ".[test]"' in command


def test_every_config_key_is_in_the_readme() -> None:
    from gitmetrics import schema

    readme = docs_text()
    repos = schema.load(schema.REPOS)
    keys = [*repos["properties"], *repos["$defs"]["repo"]["properties"]]
    missing = [k for k in keys if f"{k}:" not in readme and f"`{k}`" not in readme]
    assert missing == [], f"not documented in the README: {missing}"


def test_command_modules_keep_their_annotations_evaluated() -> None:
    """typer reads every command's options from its annotations on each run. Written as
    strings (``from __future__ import annotations``) they are evaluated again each time,
    every ``typer.Option(...)`` in them remade: building the 24 commands took 52 ms
    instead of 14 ms, on every run of every command."""
    from gitmetrics import cli

    folder = Path(cli.__file__).parent
    for module in sorted(folder.glob("*.py")):
        text = module.read_text()
        if "@app.command" in text:
            assert "from __future__ import annotations" not in text, module.name
