"""Each repository's CI collects its own repository and pushes: 20 runners at once.

Every runner is a separate process running ``gitmetrics collect --repo X && gitmetrics
push`` (tests/sync/runner.py) from its own store into one remote, all started together:
the worst race there is. Every collection must land (git log of the remote counts them),
the remote's state must hold every repository with its last measurement and its badge,
and git fsck --strict must find nothing. benchmarks/runners.py runs the full 20 x 5.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import fsck, git
from tests.sync.conftest import bare_remote
from tests.sync.runner import covered_lines, make_runner, repo_names

RUNNERS = 20
ROUNDS = 1  # the benchmark runs 5; one round of 20 already takes ~30 s on 2 cores
RUNNER = Path(__file__).with_name("runner.py")


def run_round(folders: list[Path], names: list[str], rnd: int) -> list[dict[str, Any]]:
    """Start every runner's job at once; their outputs once all are done."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(RUNNER), str(f), name, str(rnd)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for f, name in zip(folders, names, strict=True)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        assert "Traceback" not in err
        outputs.append(json.loads(out))
    return outputs


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["path", "git"])
def test_twenty_runners_each_collect_their_repo_and_push(
    transport: str, git_daemon: tuple[str, Path], tmp_path: Path
) -> None:
    daemon_url, base = git_daemon
    bare = bare_remote(base / "metrics.git")
    url = f"{daemon_url}/metrics.git" if transport == "git" else str(bare)
    names = repo_names(RUNNERS)
    folders = [make_runner(tmp_path / f"ci-{n}", url, names) for n in names]

    outputs = [o for rnd in range(ROUNDS) for o in run_round(folders, names, rnd)]

    pushes = [o["push"] for o in outputs]
    assert all(p["action"] == "push" for p in pushes)
    assert sum(p["collections_sent"] for p in pushes) == RUNNERS * ROUNDS
    attempts = sorted(p["attempts"] for p in pushes)
    print("attempts per push:", attempts)
    assert attempts[0] == 1  # someone lands first
    assert attempts[-1] > 1  # and the others really raced
    # every collection is in the remote's history, says git
    plain = tmp_path / "plain"
    git("clone", "-q", str(bare), plain)
    subjects = git("log", "--format=%s", cwd=plain).splitlines()
    assert sum(s.startswith("collect:") for s in subjects) == RUNNERS * ROUNDS
    fsck(bare)
    fsck(plain / ".git")
    # the state: every repository, each with its own runner's last measurement
    state = json.loads((plain / "latest.json").read_text())
    got = {r["name"]: r["lines_covered"] for r in state["repositories"]}
    assert got == {n: covered_lines(n, ROUNDS - 1) for n in names}
    assert not any(r["stale"] for r in state["repositories"])
    badges = {p.name for p in (plain / "badges").iterdir()}
    assert badges == {f"{n}.svg" for n in names} | {"average.svg"}
    for n in names:
        assert f"{got[n]}" in (plain / "badges" / f"{n}.svg").read_text()
