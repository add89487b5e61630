"""The pull-request recipes of docs/ci.md run as written: on a local repository with a
pull-request branch and a bare ``origin``, with ``gh`` and ``glab`` replaced by stubs that
record each call. The first run creates the comment, the next one edits it; both fail the
job on the gate after posting."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.sync.conftest import bare_remote, git
from tests.sync.test_ci_recipes import (
    base_env,
    github_steps,
    gitlab_steps,
    recipes,
    run_steps,
)

# the fixtures of the scheduled recipes: a wheel of this tree, a fresh virtual environment
from tests.sync.test_ci_recipes import venv as venv
from tests.sync.test_ci_recipes import wheel as wheel

pytestmark = pytest.mark.slow

MARKER = "<!-- gitmetrics-patch -->"

#: a stand-in for gh and glab: logs its arguments (one JSON list a line) and the body file
#: it was given; answers a read of the comments with $STUB_ANSWER
STUB = """#!/bin/sh
python3 - "$@" <<'PY'
import json, os, sys
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps([os.path.basename(os.environ.get("STUB_NAME", "stub")), *args]) + "\\n")
for i, a in enumerate(args):
    body = a[len("body=@"):] if a.startswith("body=@") else None
    if a == "--body-file":
        body = args[i + 1]
    if body:
        with open(body) as fh, open(os.environ["STUB_LOG"] + ".body", "w") as out:
            out.write(fh.read())
if "-X" not in args and args[:2] != ["pr", "comment"]:
    sys.stdout.write(os.environ.get("STUB_ANSWER", ""))
PY
"""

CALC = """\
def add(a, b):
    return a + b
"""

CALC_PR = """\
def add(a, b):
    return a + b


def sign(x):
    if x > 0:
        return 1
    return -1


def unused():
    y = 1
    return y
"""

TEST = """\
from calc import add, sign


def test_it():
    assert add(1, 2) == 3
    assert sign(1) == 1
"""


def checkout(tmp_path: Path, name: str) -> Path:
    """A pull request's checkout: `main` on a bare origin, HEAD below 80 %."""
    work = tmp_path / name
    work.mkdir()
    git("init", "-q", "-b", "main", work)
    (work / "calc.py").write_text(CALC)
    (work / ".gitignore").write_text(".coverage\ncoverage.xml\npatch.md\n__pycache__/\n")
    git("add", ".", cwd=work)
    git("commit", "-qm", "base", cwd=work)
    origin = bare_remote(tmp_path / f"{name}-origin.git")
    git("remote", "add", "origin", origin, cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    git("checkout", "-q", "-b", "pr", cwd=work)
    (work / "calc.py").write_text(CALC_PR)
    (work / "test_calc.py").write_text(TEST)
    git("add", ".", cwd=work)
    git("commit", "-qm", "sign", cwd=work)
    return work


def stubs(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "stubs"
    bin_dir.mkdir()
    for name in ("gh", "glab"):
        (bin_dir / name).write_text(STUB.replace('os.environ.get("STUB_NAME", "stub")', repr(name)))
        (bin_dir / name).chmod(0o755)
    return bin_dir


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def run_job(
    steps: list[str],
    work: Path,
    bin_venv: Path,
    env: dict[str, str],
    shell: list[str],
    bin_dir: Path,
) -> list[subprocess.CompletedProcess[str]]:
    full = base_env(bin_venv, env)
    full["PATH"] = f"{bin_dir}:{full['PATH']}"
    return run_steps(steps, work, full, shell)


def test_github_pull_request_recipe(tmp_path: Path, venv: Path, wheel: Path) -> None:
    env, steps = github_steps(recipes()["github-patch"])
    assert set(env) == {"GITMETRICS_PACKAGE", "GH_TOKEN", "PR", "BASE_REF"}
    bin_dir = stubs(tmp_path)
    log = tmp_path / "gh.log"
    summary = tmp_path / "summary.md"
    stub = {
        "GITMETRICS_PACKAGE": str(wheel),
        "GH_TOKEN": "gh-token",
        "PR": "7",
        "BASE_REF": "main",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_STEP_SUMMARY": str(summary),
        "STUB_LOG": str(log),
    }
    for run, answer in ((1, ""), (2, "4242\n")):
        work = checkout(tmp_path, f"gh-{run}")
        log.write_text("")
        done = run_job(
            steps, work, venv, {**stub, "STUB_ANSWER": answer}, ["bash", "-e", "-c"], bin_dir
        )
        assert len(done) == len(steps)
        last = done[-1]
        assert last.returncode == 3, (last.stdout, last.stderr)
        made = calls(log)
        assert made[0][:3] == ["gh", "api", "repos/acme/app/issues/7/comments"]
        if run == 1:
            assert made[1] == ["gh", "pr", "comment", "7", "--body-file", "patch.md"]
        else:
            assert made[1] == [
                "gh",
                "api",
                "-X",
                "PATCH",
                "repos/acme/app/issues/comments/4242",
                "-F",
                "body=@patch.md",
            ]
        body = (tmp_path / "gh.log.body").read_text()
        assert body.startswith(MARKER + "\n")
        assert "Patch coverage 72.7% (8 of 11 changed lines): below 80.0%" in body
        assert "| `calc.py` | 4 / 7 | 57.1% | 8, 12-13 |" in body
    assert summary.read_text().count(MARKER) == 2


def test_a_broken_run_posts_nothing(tmp_path: Path, venv: Path, wheel: Path) -> None:
    _, steps = github_steps(recipes()["github-patch"])
    bin_dir = stubs(tmp_path)
    log = tmp_path / "gh.log"
    log.write_text("")
    work = checkout(tmp_path, "broken")
    stub = {
        "GITMETRICS_PACKAGE": str(wheel),
        "PR": "7",
        "BASE_REF": "no-such-branch",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "STUB_LOG": str(log),
    }
    done = run_job(steps, work, venv, stub, ["bash", "-e", "-c"], bin_dir)
    last = done[-1]
    assert last.returncode == 1
    assert "--base origin/no-such-branch: no such branch or commit" in last.stderr
    assert log.read_text() == ""


def test_gitlab_merge_request_recipe(tmp_path: Path, venv: Path, wheel: Path) -> None:
    env, steps = gitlab_steps(recipes()["gitlab-patch"])
    bin_dir = stubs(tmp_path)
    log = tmp_path / "glab.log"
    notes = "projects/12/merge_requests/3/notes"
    stub = {
        **env,
        "GITMETRICS_PACKAGE": str(wheel),
        "GITLAB_CI": "true",
        "CI_PROJECT_ID": "12",
        "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "GITLAB_TOKEN": "glpat-x",
        "STUB_LOG": str(log),
    }
    others = [{"id": 1, "body": "LGTM"}]
    for run, existing in ((1, others), (2, [*others, {"id": 99, "body": MARKER + "\n## old"}])):
        work = checkout(tmp_path, f"gl-{run}")
        # the job fetches the target branch itself: the checkout has no origin/main yet
        git("update-ref", "-d", "refs/remotes/origin/main", cwd=work)
        log.write_text("")
        answer = json.dumps(existing)
        done = run_job(
            steps, work, venv, {**stub, "STUB_ANSWER": answer}, ["sh", "-e", "-c"], bin_dir
        )
        assert len(done) == len(steps), [shlex.join(map(str, d.args)) for d in done]
        assert done[-1].returncode == 3, done[-1].stderr
        made = calls(log)
        assert made[0] == ["glab", "api", f"{notes}?per_page=100"]
        if run == 1:
            assert made[1] == ["glab", "api", "-X", "POST", notes, "-F", "body=@patch.md"]
        else:
            assert made[1] == ["glab", "api", "-X", "PUT", f"{notes}/99", "-F", "body=@patch.md"]
        body = (tmp_path / "glab.log.body").read_text()
        assert body.startswith(MARKER + "\n")
        assert "| `calc.py` | 4 / 7 | 57.1% | 8, 12-13 |" in body
