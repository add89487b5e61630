"""One table of exit codes (errors.ExitCode), the same in every command.

0 ok; 1 a user error (config, store, network, file system); 2 usage (typer's); 3 the
command worked and a gate failed. Each command is run for each code it can give.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from gitmetrics.cli import app
from gitmetrics.errors import ExitCode, GitmetricsError
from tests.conftest import git

ROOT = Path(__file__).resolve().parents[2]

#: every command, and what it needs so that only the option under test is wrong
COMMANDS = {
    "init": [], "collect": [], "history": [], "schema": [], "status": [], "report": [],
    "diff": [], "trends": [], "dashboard": [], "check": [], "watch": [], "issues": [],
    "gc": [], "verify": [], "push": [], "pull": [], "sync": [], "clone": ["url"],
    "import": ["dir"], "patch": [], "export": [], "files": ["repo"], "explain": [], "flaky": [],
}  # fmt: skip


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "repos.yaml").write_text((ROOT / "repos.yaml").read_text())
    return tmp_path


def test_the_table() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("ERROR", 1),
        ("USAGE", 2),
        ("GATE", 3),
        ("INTERRUPTED", 130),
        ("PIPE", 141),
    ]
    assert GitmetricsError("x").exit_code == ExitCode.ERROR


def test_every_command_is_in_the_table() -> None:
    names = {c.name for c in typer.main.get_command(app).commands.values()}  # type: ignore[attr-defined]
    assert names == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_usage_error_is_2(command: str) -> None:
    code, _, err = run(command, *COMMANDS[command], "--no-such-option")
    assert code == ExitCode.USAGE, err
    assert "No such option" in err


@pytest.mark.parametrize(
    "command",
    ["status", "report", "diff", "explain", "flaky", "trends", "history", "dashboard", "check",
     "gc", "verify", "push", "pull", "sync"],
)  # fmt: skip
def test_a_missing_store_is_a_user_error_1(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    code, out, err = run(command, "--store", missing, "--json")
    assert code == ExitCode.ERROR, (out, err)
    error = json.loads(out)["error"]
    assert error["exit_code"] == 1 and error["code"] in ("store", "sync"), error


@pytest.mark.parametrize(
    "command", ["collect", "watch", "issues", "import", "init", "clone", "patch"]
)
def test_a_broken_config_is_a_user_error_1(command: str, tmp_path: Path) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text("repos: [\n")
    args = {"import": [tmp_path], "clone": [tmp_path / "remote"], "init": [tmp_path / "m"]}
    code, out, err = run(
        command, *args.get(command, []), "-c", cfg, "--once" if command == "watch" else "--json"
    )
    assert code == ExitCode.ERROR, (out, err)
    assert "repos.yaml" in out + err


def test_schema_of_an_unknown_name_is_1() -> None:
    assert run("schema", "nope")[0] == ExitCode.ERROR


def test_a_failed_gate_is_3_in_every_gate(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    assert run("collect", "-c", cfg)[0] == ExitCode.OK
    assert run("check", "-c", cfg)[0] == ExitCode.GATE  # min_coverage 80: some are below
    assert run("check", "-c", cfg, "--min-coverage", "1")[0] == ExitCode.OK
    assert run("collect", "-c", cfg, "--fail-below", "99")[0] == ExitCode.GATE
    assert run("collect", "-c", cfg, "--fail-below", "1")[0] == ExitCode.OK
    assert run("watch", "-c", cfg, "--once", "--threshold", "99")[0] == ExitCode.GATE
    assert run("watch", "-c", cfg, "--once", "--threshold", "1")[0] == ExitCode.OK
    (workspace / "examples/legacy-tools/coverage.xml").write_bytes(b"garbage")
    assert run("collect", "-c", cfg)[0] == ExitCode.OK  # a failed repo is recorded
    assert run("collect", "-c", cfg, "--strict")[0] == ExitCode.GATE
    # every repository failed: nothing to gate, an error
    code, _, err = run("collect", "-c", cfg, "--repo", "legacy-tools", "--strict")
    assert code == ExitCode.ERROR and "nothing was collected" in err
    assert run("verify", "-c", cfg)[0] == ExitCode.OK
    store = workspace / "metrics"
    git(
        "-C",
        store,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x\n\nGitmetrics-Snapshot: ../x\nGitmetrics-Timestamp: now",
    )
    assert run("verify", "-c", cfg)[0] == ExitCode.GATE
