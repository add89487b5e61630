"""Several writers at once, and writers killed with SIGKILL at random moments."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitmetrics import store
from tests.helpers import ROOT_COMMIT, fsck, git, make_snapshot, repo_result

ROOT = Path(__file__).resolve().parents[2]


def _writer(path: Path, count: int, host: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.writer", str(path), str(count), host],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _leftovers(path: Path) -> list[Path]:
    """Lock and temp files a killed writer left (our own flock file is permanent)."""
    found = [p for p in path.rglob("*.lock") if p.name != "gitmetrics.lock"]
    return found + list(path.rglob("*.gitmetrics-tmp"))


def test_two_processes_collecting_at_once_both_land(store_dir: Path) -> None:
    store.init(store_dir)
    procs = [_writer(store_dir, 8, f"host{n}") for n in range(2)]
    commits = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        commits += out.split()
    st = store.open_store(store_dir)
    hosts = {e.host for e in st.history()}
    assert len(commits) == 16
    assert hosts == {f"host{n}-{i}" for n in range(2) for i in range(8)}
    # the 16 collections on top of the shared root, which init wrote
    revs = git("-C", store_dir, "rev-list", "HEAD").split()
    # exactly the 16 collections, on top of the shared root that init wrote
    assert sorted(revs[:-1]) == sorted(commits) and revs[-1] == ROOT_COMMIT
    fsck(store_dir)
    assert git("-C", store_dir, "status", "--porcelain") == ""


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_a_usable_store(store_dir: Path) -> None:
    store.init(store_dir)
    rng = random.Random(20261124)
    kills = leftovers = rounds = 0
    # 12 kills at least, and more (up to 40) until one lands mid-write: where a kill lands
    # depends on the machine's speed and load, and a run with none would test nothing
    while rounds < 12 or (leftovers == 0 and rounds < 40):
        round_ = rounds
        rounds += 1
        proc = _writer(store_dir, 1000, f"victim{round_}")
        # wait until it is committing (start-up time varies with the machine's load), then
        # kill it at a random moment of its commit loop
        assert proc.stdout is not None and proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        kills += proc.returncode == -signal.SIGKILL
        leftovers += bool(_leftovers(store_dir))
        # the next collect must work with no manual repair
        st = store.open_store(store_dir)
        snap = make_snapshot(
            1, [repo_result("api", 40 + round_)], host=f"after{round_}", hour=round_
        )
        done = st.commit_snapshot(snap, retention=5)
        assert st.head() == done.commit
        fsck(store_dir)
        assert git("-C", store_dir, "status", "--porcelain") == ""
        assert _leftovers(store_dir) == []
        st.close()
    assert kills == rounds
    assert leftovers > 0, "no kill landed mid-write: the test did not exercise recovery"
    entries = list(store.open_store(store_dir).history())
    assert {f"after{r}" for r in range(rounds)} <= {e.host for e in entries}


@pytest.mark.slow
def test_a_live_writers_lock_is_never_taken(store_dir: Path) -> None:
    """While one process holds the store's writer lock, another waits instead of clearing it."""
    from gitmetrics.store import locks

    store.init(store_dir)
    st = store.open_store(store_dir)
    lockfile = st.gitdir / "refs" / "heads" / "main.lock"
    with locks.write_lock(st.gitdir):
        lockfile.write_text("in progress\n")
        proc = _writer(store_dir, 1, "waiting")
        time.sleep(3)  # longer than the grace period for foreign locks
        assert proc.poll() is None, "the second writer must wait for the lock"
        assert lockfile.exists()
        lockfile.unlink()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    fsck(store_dir)
