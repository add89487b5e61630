"""`gitmetrics watch`: one round, and a real process stopped by a signal; collect --fail-below."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.gates.conftest import git, make_repo, write_config
from tests.helpers import ROOT_SUBJECT, fsck, invoke

ROOT = Path(__file__).resolve().parents[2]

#: the CLI with the stand-in report format registered (the real parsers live elsewhere)
LAUNCH = (
    "import gitmetrics.formats as f; f.FORMATS['gates-test'] = 'tests.gates.fakefmt'; "
    "from gitmetrics.cli import main; main()"
)


def two_repos(tmp_path: Path, extra: dict[str, object] | None = None) -> Path:
    make_repo(tmp_path, "api", 70)
    make_repo(tmp_path, "web", 90)
    return write_config(tmp_path / "repos.yaml", {"api": "service", "web": "frontend"}, extra)


def test_watch_once_collects_and_checks(tmp_path: Path) -> None:
    cfg = two_repos(tmp_path)
    res = invoke("watch", "--once", "-c", str(cfg), "--threshold", "75")
    assert res.exit_code == 3, res.output  # a rule is broken: the gate's code
    flat = " ".join(res.output.split())
    assert "watch: round 1" in flat
    assert "collected 2 of 2 repos: avg 80.0%, committed" in flat
    assert "breach api: min_coverage: coverage 70.00% is below the floor of 75%" in flat
    log = git(tmp_path / "metrics", "log", "--format=%s").splitlines()
    assert log == ["collect: 2 repos, avg 80.0%", ROOT_SUBJECT]
    # no rules and nothing to notify: a round is just a collection
    res = invoke("watch", "--once", "-c", str(cfg))
    assert res.exit_code == 0 and "breach" not in res.output


def test_watch_once_fails_when_nothing_is_collected(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "repos.yaml", {"ghost": "service"})
    res = invoke("watch", "--once", "-c", str(cfg))
    assert res.exit_code == 1
    assert "nothing was collected" in " ".join(res.output.split())


def test_bad_interval_is_refused(tmp_path: Path) -> None:
    cfg = two_repos(tmp_path)
    res = invoke("watch", "-c", str(cfg), "--interval", "soon")
    assert res.exit_code == 1 and "--interval: 'soon' is not a duration" in res.output


def _spawn(cfg: Path, *args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    env.pop("GITMETRICS_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "watch", "-c", str(cfg), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str]) -> None:
    while True:
        line = lines.get(timeout=60)
        seen.append(line)
        if text in line:
            return


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "interval", "wait_for"),
    [
        (signal.SIGTERM, "1h", "next round in 1h"),  # stopped while sleeping
        (signal.SIGINT, "1s", "watch: round 2"),  # a short interval: several rounds
    ],
)
def test_watch_stops_cleanly_on_a_signal(
    tmp_path: Path, sig: signal.Signals, interval: str, wait_for: str
) -> None:
    cfg = two_repos(tmp_path)
    proc, lines = _spawn(cfg, "--interval", interval)
    seen: list[str] = []
    try:
        _wait_for(lines, wait_for, seen)
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while not lines.empty():
        seen.append(lines.get())
    out = "".join(seen)
    assert rc == 0, out
    assert f"watch: stopped by {sig.name} after" in out
    assert "Traceback" not in out
    rounds = int(out.split(f"stopped by {sig.name} after ")[1].split(" ")[0])
    *collected, root = git(tmp_path / "metrics", "log", "--format=%s").splitlines()
    assert root == ROOT_SUBJECT
    assert all(subject.startswith("collect: 2 repos, avg 80.0%") for subject in collected)
    assert len(collected) == rounds >= (2 if sig == signal.SIGINT else 1)
    fsck(tmp_path / "metrics")


def test_collect_fail_below(tmp_path: Path) -> None:
    cfg = two_repos(tmp_path)
    res = invoke("collect", "-c", str(cfg), "--fail-below", "75")
    assert res.exit_code == 3
    flat = " ".join(res.output.split())
    assert "below 75%: api 70.00%" in flat and "web" not in flat.split("below 75%")[1]
    # the snapshot is committed all the same (on top of the shared root)
    assert git(tmp_path / "metrics", "log", "--format=%s").splitlines() == [
        "collect: 2 repos, avg 80.0%",
        ROOT_SUBJECT,
    ]
    # average 80%: passes at 70 and fails at 81 for the average as well
    assert invoke("collect", "-c", str(cfg), "--fail-below", "70").exit_code == 0
    res = invoke("collect", "-c", str(cfg), "--fail-below", "81", "--json")
    assert res.exit_code == 3
    assert "below 81%: average 80.00%" in " ".join(res.output.split())
    data = json.loads(res.stdout)
    assert data["snapshot"]["summary"]["avg_coverage"] == 80.0
