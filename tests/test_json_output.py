"""Every command's --json on a real store validates against its schema in schemas/output/.

One workspace (the bundled examples, their config, a store built by the commands
themselves, a bare remote made by git) goes through every command that prints data; each
output is checked against the schema of its command, and the vocabulary is checked to
be one: no output uses an old name for a thing the vocabulary names.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitmetrics import schema
from gitmetrics.cli import app
from tests.conftest import git

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests/fixtures/import/seed"

#: names the vocabulary replaced: none may appear as a key in any output (docs/json.md)
OLD_NAMES = {"coverage", "current", "avg_coverage", "weighted_coverage", "timestamp", "snapshots",
             "previous_timestamp", "trend", "average_trend", "counts", "snapshots_sent",
             "snapshots_received", "before_coverage", "name"}  # fmt: skip


def keys(value: Any, *, skip: tuple[str, ...] = ("snapshot", "state")) -> Iterator[str]:
    """Every key of a JSON value, at any depth (``skip``: members in a format of their own,
    the stored snapshot and state documents)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            if k not in skip:
                yield from keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys(v)


class Workspace:
    """The examples, their repos.yaml, and a store and a remote the commands build."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(ROOT / "examples", root / "examples")
        (root / "repos.yaml").write_text((ROOT / "repos.yaml").read_text())
        self.cfg = root / "repos.yaml"
        self.store = root / "metrics"
        self.remote = root / "remote.git"
        git("init", "-q", "--bare", "--initial-branch=main", self.remote)

    def run(self, *args: str | Path, code: int = 0) -> Any:
        """``gitmetrics ARGS`` in the workspace: its exit code checked, its stdout as JSON."""
        result = CliRunner().invoke(
            app, [str(a) for a in args], env={"COLUMNS": "200"}, catch_exceptions=False
        )
        assert result.exit_code == code, (args, result.output)
        return json.loads(result.stdout)


def valid(name: str, data: Any) -> Any:
    """``data`` satisfies the schema of output ``name`` and uses no replaced name."""
    problems = schema.output_errors(name, data)
    assert not problems, (name, problems)
    old = set(keys(data)) & OLD_NAMES
    assert not old, (name, old)
    return data


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every command's --json, run once in order on one workspace."""
    ws = Workspace(tmp_path_factory.mktemp("json"))
    c, st = ("-c", ws.cfg), ("--store", ws.store)
    got: dict[str, Any] = {}
    got["init"] = ws.run("init", ws.store, "--json")
    got["import"] = ws.run("import", SEED, *st, "--json")
    got["collect"] = ws.run("collect", *c, "--json")
    got["collect --dry-run"] = ws.run("collect", *c, "--dry-run", "--json")
    (ws.root / "examples/legacy-tools/coverage.xml").write_bytes(b"garbage")
    got["collect --repo legacy-tools"] = ws.run(
        "collect", *c, "--repo", "legacy-tools", "--json", code=1
    )
    got["collect --strict"] = ws.run("collect", *c, "--strict", "--json", code=3)
    got["status"] = ws.run("status", *c, "--json")
    got["report"] = ws.run("report", *c, "--json")
    got["diff"] = ws.run("diff", *c, "--format", "json")
    got["diff --files"] = ws.run("diff", *c, "--files", "--format", "json")
    got["files"] = ws.run("files", "inventory-api", *c, "--json")
    got["files --dirs"] = ws.run("files", "inventory-api", *c, "--dirs", "--json")
    got["explain"] = ws.run("explain", *c, "--from", "HEAD~1", "--json")
    got["explain inventory-api"] = ws.run(
        "explain", "inventory-api", *c, "--from", "HEAD~2", "--to", "HEAD", "--json"
    )
    got["flaky"] = ws.run("flaky", *c, "--json")
    got["trends"] = ws.run("trends", *c, "--forecast", "--json")
    got["history"] = ws.run("history", *c, "--all", "--json")
    got["history --repo"] = ws.run("history", *c, "--repo", "inventory-api", "--json")
    got["history --role"] = ws.run("history", *c, "--role", "service", "--json")
    got["check"] = ws.run("check", *c, "--json", code=3)
    got["check --min-coverage 1"] = ws.run("check", *c, "--min-coverage", "1", "--json")
    got["issues"] = ws.run("issues", *c, "--all", "--json")
    got["dashboard"] = ws.run("dashboard", *c, "-o", ws.root / "d.html", "--json")
    got["push"] = ws.run("push", *c, "--remote", ws.remote, "--json")
    got["pull"] = ws.run("pull", *c, "--remote", ws.remote, "--json")
    got["sync"] = ws.run("sync", *c, "--remote", ws.remote, "--json")
    got["clone"] = ws.run("clone", ws.remote, ws.root / "second", "--json")
    got["init --remote"] = ws.run("init", ws.root / "third", "--remote", ws.remote, "--json")
    diff = ws.root / "change.diff"
    diff.write_bytes(
        b"diff --git a/inventory/pricing.py b/inventory/pricing.py\n"
        b"--- a/inventory/pricing.py\n+++ b/inventory/pricing.py\n@@ -1,0 +2,2 @@\n+a\n+b\n"
    )
    got["patch"] = ws.run(
        "patch", *c, "--repo", "inventory-api", "--diff-file", diff, "--max-drop", "5", "--json"
    )
    got["gc"] = ws.run("gc", *c, "--json")
    got["verify"] = ws.run("verify", *c, "--json")
    rounds = CliRunner().invoke(
        app, ["watch", *c, "--once", "--json", "--threshold", "99"], catch_exceptions=False
    )
    assert rounds.exit_code == 3, rounds.output
    got["watch"] = [json.loads(line) for line in rounds.stdout.splitlines()]
    got["error"] = ws.run("status", "--store", ws.root / "nowhere", "--json", code=1)
    return got


#: each run above, and the schema its output must satisfy
RUNS = {
    "init": "init",
    "init --remote": "init",
    "import": "import",
    "collect": "collect",
    "collect --dry-run": "collect",
    "collect --repo legacy-tools": "collect",
    "collect --strict": "collect",
    "status": "status",
    "report": "report",
    "diff": "diff",
    "diff --files": "diff",
    "files": "files",
    "files --dirs": "files",
    "explain": "explain",
    "explain inventory-api": "explain",
    "flaky": "flaky",
    "trends": "trends",
    "history": "history",
    "history --repo": "history",
    "history --role": "history",
    "check": "check",
    "check --min-coverage 1": "check",
    "issues": "issues",
    "dashboard": "dashboard",
    "push": "sync",
    "pull": "sync",
    "sync": "sync",
    "clone": "clone",
    "patch": "patch",
    "gc": "gc",
    "verify": "verify",
    "error": "error",
}


@pytest.mark.slow
@pytest.mark.parametrize("run", sorted(RUNS))
def test_every_output_validates_against_its_schema(outputs: dict[str, Any], run: str) -> None:
    valid(RUNS[run], outputs[run])


@pytest.mark.slow
def test_a_watch_round_is_one_line_of_json(outputs: dict[str, Any]) -> None:
    (round_,) = outputs["watch"]
    valid("watch", round_)
    assert round_["round"] == 1 and round_["check"]["ok"] is False


def test_every_schema_has_a_run_and_every_schema_is_a_schema() -> None:
    import jsonschema

    assert set(RUNS.values()) | {"watch"} == set(schema.output_names())
    for name in [*schema.output_names(), schema.VOCABULARY]:
        jsonschema.Draft202012Validator.check_schema(json.loads(schema.output_schema(name)))


@pytest.mark.slow
def test_the_same_things_have_the_same_names(outputs: dict[str, Any]) -> None:
    collect, status, history = outputs["collect"], outputs["status"], outputs["history"]
    # one collection: the same commit id and time under the same names everywhere
    assert history[0]["collection"] == status["collection"]
    assert history[0]["at"] == status["at"]
    assert outputs["check"]["collection"] == status["collection"]
    # one repository's line coverage, wherever it is shown
    api = next(r for r in collect["rows"] if r["repo"] == "inventory-api")
    row = next(r for r in status["rows"] if r["repo"] == "inventory-api")
    (one,) = [r for r in outputs["history --repo"] if r["collection"] == status["collection"]]
    assert api["line_coverage"] == row["line_coverage"] == one["line_coverage"] == 83.64
    assert api["branch_coverage"] == row["branch_coverage"] == one["branch_coverage"]
    assert api["branch_coverage"] is not None
    # the collection's own branch figure is in history (not always null)
    assert history[0]["branch_coverage"] == collect["summary"]["branch_coverage"] is not None


@pytest.mark.slow
def test_an_error_is_json_on_stdout_with_its_exit_code(outputs: dict[str, Any]) -> None:
    error = outputs["error"]["error"]
    assert error["code"] == "store" and error["exit_code"] == 1
    assert "no metrics repository" in error["message"] and error["hint"]
    failed = outputs["collect --repo legacy-tools"]
    assert failed["error"]["message"].startswith("nothing was collected")
    assert failed["collection"] is None and failed["rows"][0]["status"] == "error"


def test_a_config_error_under_format_json(tmp_path: Path) -> None:
    (tmp_path / "repos.yaml").write_text("repos: [\n")
    result = CliRunner().invoke(
        app, ["collect", "-c", str(tmp_path / "repos.yaml"), "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    data = valid("error", json.loads(result.stdout))
    assert data["error"]["code"] == "config" and "repos.yaml" in data["error"]["message"]
    assert result.stderr == ""  # the error went to stdout as JSON, not to stderr as text


@pytest.mark.slow
def test_patch_compares_with_the_stored_measurement(outputs: dict[str, Any]) -> None:
    patch = outputs["patch"]
    assert patch["coverable"] > 0
    base = patch["project"]["base"]
    assert base["found_by"] == "newest"  # a diff file has no merge base
    assert base["collection"] in {row["collection"] for row in outputs["history"]}
    assert patch["project"]["change"] is not None
