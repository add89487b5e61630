"""The CI recipes of docs/ci.md run as written: their shell steps, extracted from the page,
install a wheel of this tree into a fresh virtual environment and collect and push to a
local bare repository and to a smart-HTTP server demanding a token, from an empty remote."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import git
from tests.sync.conftest import TOKEN, USER, bare_remote

ROOT = Path(__file__).resolve().parents[2]
LCOV = ROOT / "tests" / "fixtures" / "reports" / "lcov" / "c8" / "lcov.info"
RECIPE = re.compile(r"<!-- recipe: ([a-z-]+) -->\n```[a-z]*\n(.*?)```", re.S)

pytestmark = pytest.mark.slow


def recipes() -> dict[str, str]:
    """The marked blocks of docs/ci.md by name."""
    return dict(RECIPE.findall((ROOT / "docs" / "ci.md").read_text()))


def github_steps(text: str) -> tuple[dict[str, str], list[str]]:
    """The job's env and the scripts of its ``run:`` steps (``uses:`` steps are the runner's)."""
    (job,) = yaml.safe_load(text)["jobs"].values()
    steps = [s["run"] for s in job["steps"] if "run" in s]
    for s in job["steps"]:
        assert "run" in s or s["uses"].split("@")[0] in {
            "actions/checkout",
            "actions/setup-python",
        }
    return {k: str(v) for k, v in job.get("env", {}).items()}, steps


def gitlab_steps(text: str) -> tuple[dict[str, str], list[str]]:
    """The job's variables and its script lines (GitLab stops at the first that fails)."""
    (job,) = yaml.safe_load(text).values()
    return {k: str(v) for k, v in job.get("variables", {}).items()}, list(job["script"])


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this worktree, built once per test session."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("gitmetrics-*.whl")
    return found


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A fresh virtual environment with nothing installed; its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    return tmp_path / "venv" / "bin"


def runner_dir(tmp_path: Path, name: str, username: str | None) -> Path:
    """A fresh checkout on a fresh runner: repos.yaml and one repository with a report."""
    work = tmp_path / name
    (work / "app").mkdir(parents=True)
    shutil.copy(LCOV, work / "app" / "lcov.info")
    user = f"remote_username: {username}\n" if username else ""
    (work / "repos.yaml").write_text(
        f"store: metrics\n{user}repos:\n  - {{name: app, path: app}}\n"
    )
    return work


def run_steps(
    steps: list[str], cwd: Path, env: dict[str, str], shell: list[str]
) -> list[subprocess.CompletedProcess[str]]:
    """Each step in its own shell, stopping at the first that fails (as runners do)."""
    done = []
    for script in steps:
        assert "${{" not in script, script  # expressions only in env, which is stubbed
        proc = subprocess.run(
            [*shell, script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
        )
        done.append(proc)
        if proc.returncode != 0:
            break
    return done


def base_env(venv: Path, stub: dict[str, str]) -> dict[str, str]:
    """The runner's environment: no gitmetrics variables of ours, the fresh venv first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITMETRICS_")}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{venv}{os.pathsep}{env['PATH']}"
    env["CI"] = "true"
    return {**env, **stub}


def snapshots_on(bare: Path) -> int:
    out = git("--git-dir", bare, "ls-tree", "-r", "--name-only", "main", "snapshots")
    return len(out.split())


@pytest.fixture
def remotes(
    tmp_path: Path, http_server: tuple[str, Path, list[str]]
) -> list[tuple[str, Path, str | None]]:
    """(URL, bare repository, user name) of an empty local remote and an empty HTTP one."""
    url, root, _ = http_server
    local = bare_remote(tmp_path / "remote.git")
    served = bare_remote(root / "metrics.git")
    return [(str(local), local, None), (f"{url}/metrics.git", served, USER)]


def _check_recipe(
    tmp_path: Path,
    venv: Path,
    wheel: Path,
    remotes: list[tuple[str, Path, str | None]],
    steps: list[str],
    recipe_env: dict[str, str],
    shell: list[str],
    extra: dict[str, str],
) -> None:
    assert "GITMETRICS_PACKAGE" in recipe_env and "GITMETRICS_REMOTE" in recipe_env
    for i, (url, bare, user) in enumerate(remotes):
        stub = {
            **recipe_env,
            "GITMETRICS_PACKAGE": str(wheel),
            "GITMETRICS_REMOTE": url,
            "GITMETRICS_TOKEN": TOKEN,
            **extra,
        }
        # the first run meets an empty remote; the second, on another fresh runner, its data
        for run in (1, 2):
            work = runner_dir(tmp_path, f"runner-{i}-{run}", user)
            done = run_steps(steps, work, base_env(venv, stub), shell)
            last = done[-1]
            assert last.returncode == 0, (url, last.args, last.stdout, last.stderr)
            assert len(done) == len(steps)
            assert snapshots_on(bare) == run, url
            assert TOKEN not in "".join(p.stdout + p.stderr for p in done)


def test_github_actions_recipe(
    tmp_path: Path, venv: Path, wheel: Path, remotes: list[tuple[str, Path, str | None]]
) -> None:
    env, steps = github_steps(recipes()["github"])
    assert not any("pip install gitmetrics" in s for s in steps)
    summary = tmp_path / "summary.md"
    _check_recipe(
        tmp_path,
        venv,
        wheel,
        remotes,
        steps,
        env,
        ["bash", "-e", "-c"],
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert "app" in summary.read_text()


def test_a_refused_token_stops_the_github_job_with_the_reason(
    tmp_path: Path, venv: Path, wheel: Path, remotes: list[tuple[str, Path, str | None]]
) -> None:
    env, steps = github_steps(recipes()["github"])
    url, bare, user = remotes[1]
    stub = {**env, "GITMETRICS_PACKAGE": str(wheel), "GITMETRICS_REMOTE": url}
    stub["GITMETRICS_TOKEN"] = "wrong"
    work = runner_dir(tmp_path, "runner", user)
    done = run_steps(steps, work, base_env(venv, stub), ["bash", "-e", "-c"])
    assert len(done) == 2  # installed, then stopped at the first network step
    assert done[-1].returncode == 1
    assert "authentication failed" in done[-1].stderr
    assert git("--git-dir", bare, "for-each-ref").strip() == ""


def test_gitlab_ci_recipe(
    tmp_path: Path, venv: Path, wheel: Path, remotes: list[tuple[str, Path, str | None]]
) -> None:
    env, steps = gitlab_steps(recipes()["gitlab"])
    _check_recipe(
        tmp_path, venv, wheel, remotes, steps, env, ["sh", "-e", "-c"], {"GITLAB_CI": "true"}
    )


def test_cron_and_systemd_job_script(
    tmp_path: Path, wheel: Path, remotes: list[tuple[str, Path, str | None]]
) -> None:
    found = recipes()
    home = tmp_path / "opt-gitmetrics"  # the install recipe makes the venv itself
    job = tmp_path / "gitmetrics-collect"
    job.write_text(found["host-job"])
    job.chmod(0o755)
    install = run_steps(
        [found["host-install"]],
        tmp_path,
        base_env(
            Path("/nonexistent"), {"GITMETRICS_HOME": str(home), "GITMETRICS_PACKAGE": str(wheel)}
        ),
        ["sh", "-e", "-c"],
    )
    assert install[-1].returncode == 0, install[-1].stderr
    for i, (url, bare, user) in enumerate(remotes):
        for run in (1, 2):
            work = runner_dir(tmp_path, f"host-{i}-{run}", user)
            env = base_env(
                Path("/nonexistent"),
                {
                    "GITMETRICS_HOME": str(home),
                    "GITMETRICS_DIR": str(work),
                    "GITMETRICS_REMOTE": url,
                    "GITMETRICS_TOKEN": TOKEN,
                },
            )
            proc = subprocess.run([str(job)], env=env, capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, (url, proc.stdout, proc.stderr)
            assert snapshots_on(bare) == run


def test_the_readme_recipe_runs_the_tested_steps() -> None:
    readme = (ROOT / "docs" / "gates.md").read_text()
    block = readme.split("# .github/workflows/coverage.yml\n", 1)[1].split("```", 1)[0]
    env, steps = github_steps(block)
    _, tested = github_steps(recipes()["github"])
    strip = [s.split("#")[0].strip() for s in steps]
    assert strip[0].startswith('python -m pip install "git+https://')
    assert strip[1:] == [s.strip() for s in tested[1:-1]]  # the tested ones but the summary
    assert "pip install gitmetrics" not in readme and "|| true" not in block
    assert set(env) == {"GITMETRICS_REMOTE", "GITMETRICS_TOKEN"}


@pytest.mark.slow
def test_the_wheel_ships_every_schema(wheel: Path) -> None:
    import zipfile

    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("gitmetrics/schemas/")}
    source = {
        "gitmetrics/schemas/" + p.relative_to(ROOT / "schemas").as_posix()
        for p in (ROOT / "schemas").rglob("*.json")
    }
    assert source <= shipped and "gitmetrics/schemas/output/status.schema.json" in shipped
