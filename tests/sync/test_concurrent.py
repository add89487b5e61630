"""Several machines collecting and pushing at once: separate processes, real races."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gitmetrics import store as storemod
from gitmetrics.store import sync as S
from tests.helpers import fsck, git
from tests.sync.conftest import bare_remote, run_worker, snap, snapshot_paths_in_history

ROUNDS = 3


@pytest.mark.slow
@pytest.mark.parametrize(
    ("clones", "transport"), [(2, "git"), (4, "git"), (2, "file")], ids=["2-git", "4-git", "2-file"]
)
def test_concurrent_clones_lose_nothing(
    clones: int, transport: str, git_daemon: tuple[str, Path], tmp_path: Path
) -> None:
    daemon_url, base = git_daemon
    bare = bare_remote(base / "metrics.git")
    url = f"{daemon_url}/metrics.git" if transport == "git" else bare.as_uri()
    remote = S.make_remote(url, env={})
    # the shared history starts once (one machine's first push); the others clone it
    seed = storemod.init(tmp_path / "seed")
    seed.commit_snapshot(snap("seed", 0), retention=30)
    S.push(seed, remote, retention=30)
    seed.close()
    stores = []
    for i in range(clones):
        st, _ = S.clone(tmp_path / f"clone{i}", remote, retention=30)
        st.close()
        stores.append(tmp_path / f"clone{i}")

    expected: set[tuple[str, str]] = {("seed", "000000")}
    outputs = []
    for rnd in range(ROUNDS):
        procs = []
        for i, path in enumerate(stores):
            minute = rnd * 10 + i
            # clone 1 keeps only 2 snapshot files in its tree: merges must still keep all
            retention = 2 if i == 1 else 30
            procs.append(run_worker(path, url, f"runner{i}", minute, retention))
            expected.add((f"runner{i}", f"00{minute:02d}00"))
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "Traceback" not in err
            outputs.append(json.loads(out))

    assert all(o["action"] == "push" for o in outputs)
    assert sum(o["collections_sent"] for o in outputs) == clones * ROUNDS
    # every clone but the first to push in a round had to merge
    assert sum(o["merged"] for o in outputs) >= ROUNDS * (clones - 1)
    print("attempts:", sorted(o["attempts"] for o in outputs))
    # the remote has every snapshot of every clone, says git
    found = {
        (m.group(2), m.group(1))
        for p in snapshot_paths_in_history(bare)
        if (m := re.search(r"metrics_\d{8}_(\d{6})_(runner\d|seed)_", p))
    }
    assert found == expected
    plain = tmp_path / "plain"
    git("clone", "-q", url if transport == "file" else str(bare), plain)
    subjects = git("log", "--format=%s", cwd=plain).splitlines()
    assert sum(s.startswith("collect:") for s in subjects) == clones * ROUNDS + 1
    fsck(bare)
    fsck(plain / ".git")
    # every clone converges on the remote's head and tree
    head = git("--git-dir", bare, "rev-parse", "main").strip()
    for path in stores:
        st = storemod.open_store(path)
        try:
            S.pull(st, remote, retention=30)
            assert st.head() == head
            assert len(list(st.history())) == clones * ROUNDS + 1
        finally:
            st.close()
        fsck(path / ".git")
        assert git("status", "--porcelain", cwd=path) == ""
