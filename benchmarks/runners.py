"""Many runners: each repository's CI collects its own repository and pushes.

``python benchmarks/runners.py [--runners 20] [--rounds 5] [--transport path|git]``

Shared branch (what gitmetrics recommends): N runners, each a separate process running
``gitmetrics collect --repo X && gitmetrics push`` (tests/sync/runner.py) from its own
store into one bare remote, all N started together each round (the worst race). Measured:
the wall time of all rounds and the attempts each push needed (retries = attempts - 1).

Per-runner branches (the alternative): the same runners and collections, but each runner
pushes its store's ``main`` to ``runner/<name>`` with plain ``git push`` (no race), and a
scheduled job after every round fetches every ``runner/*`` branch and folds them into
``main`` with gitmetrics' own merge (``store.sync.merge_commit``), then pushes ``main``.
Measured: the runners' wall time, and the merge job's time per round. Both run in the
same process, on the same machine, one after the other: compare them, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gitmetrics import config as configmod  # noqa: E402
from gitmetrics import store as storemod  # noqa: E402
from gitmetrics.derive import make_deriver  # noqa: E402
from gitmetrics.store import sync as S  # noqa: E402
from tests.sync.runner import covered_lines, make_runner, repo_names  # noqa: E402

RUNNER = ROOT / "tests" / "sync" / "runner.py"


def git(*args: str | Path) -> str:
    return subprocess.run(
        ["git", *map(str, args)], check=True, capture_output=True, text=True
    ).stdout


def run_round(folders: list[Path], names: list[str], rnd: int, branches: bool) -> list[Any]:
    procs = [
        subprocess.Popen(
            [sys.executable, str(RUNNER), str(f), n, str(rnd)]
            + ([f"runner/{n}"] if branches else []),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f, n in zip(folders, names, strict=True)
    ]
    out = []
    for p in procs:
        o, e = p.communicate()
        if p.returncode:
            raise SystemExit(f"a runner failed:\n{e[-3000:]}")
        out.append(json.loads(o))
    return out


def daemon(base: Path) -> tuple[subprocess.Popen[bytes], str]:
    from scale import start_daemon

    proc, port = start_daemon(base, push=True)
    return proc, f"git://127.0.0.1:{port}"


def shared(tmp: Path, names: list[str], rounds: int, url: str, bare: Path) -> dict[str, Any]:
    folders = [make_runner(tmp / f"ci-{n}", url, names) for n in names]
    attempts: list[int] = []
    start = time.perf_counter()
    for rnd in range(rounds):
        attempts += [o["push"]["attempts"] for o in run_round(folders, names, rnd, False)]
    wall = time.perf_counter() - start
    subjects = git("--git-dir", bare, "log", "--format=%s", "main").splitlines()
    landed = sum(s.startswith("collect:") for s in subjects)
    state = json.loads(git("--git-dir", bare, "show", "main:latest.json"))
    ok = {r["name"]: r["lines_covered"] for r in state["repositories"]} == {
        n: covered_lines(n, rounds - 1) for n in names
    }
    git("--git-dir", bare, "fsck", "--strict")
    return {"wall": wall, "attempts": attempts, "landed": landed, "state_ok": ok}


def merge_job(job: Path, url: str, bare: Path, cfg: configmod.Config) -> None:
    """Fetch every runner/* branch, fold them into main with gitmetrics' merge, push."""
    git("-C", job, "fetch", "-q", url, "+refs/heads/runner/*:refs/remotes/runner/*")
    st = storemod.open_store(job)
    st.derive = make_deriver(cfg)
    st.policy = cfg.state_policy()
    try:
        refs = git("-C", job, "for-each-ref", "--format=%(objectname)", "refs/remotes/runner")
        for theirs in refs.split():
            ours = st.head()
            assert ours is not None
            if st.only_root():
                new = theirs
            elif theirs in git("-C", job, "rev-list", ours).split():
                continue
            else:
                new = S.merge_commit(st, ours, theirs, retention=cfg.retention)
            assert st.move_branch(ours, new)
        head = st.head()
    finally:
        st.close()
    git("-C", job, "push", "-q", url, f"{head}:refs/heads/main")


def branches(tmp: Path, names: list[str], rounds: int, url: str, bare: Path) -> dict[str, Any]:
    folders = [make_runner(tmp / f"ci-{n}", url, names) for n in names]
    job = make_runner(tmp / "merge-job", url, names)
    cfg = configmod.load(job / "repos.yaml")
    storemod.init(job / "store").close()
    runners = merges = 0.0
    per_merge: list[float] = []
    for rnd in range(rounds):
        t = time.perf_counter()
        run_round(folders, names, rnd, True)
        runners += time.perf_counter() - t
        t = time.perf_counter()
        merge_job(job / "store", url, bare, cfg)
        per_merge.append(time.perf_counter() - t)
        merges += per_merge[-1]
    subjects = git("--git-dir", bare, "log", "--format=%s", "main").splitlines()
    state = json.loads(git("--git-dir", bare, "show", "main:latest.json"))
    ok = {r["name"]: r["lines_covered"] for r in state["repositories"]} == {
        n: covered_lines(n, rounds - 1) for n in names
    }
    git("--git-dir", bare, "fsck", "--strict")
    return {
        "runners": runners,
        "merge_total": merges,
        "merge_per_round": per_merge,
        "landed": sum(s.startswith("collect:") for s in subjects),
        "state_ok": ok,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runners", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--transport", choices=["path", "git"], default="path")
    a = ap.parse_args()
    names = repo_names(a.runners)
    results = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        proc = None
        for kind, fn in (("shared", shared), ("branches", branches)):
            base = tmp / kind
            base.mkdir()
            bare = base / "metrics.git"
            git("init", "-q", "--bare", "--initial-branch=main", bare)
            url = str(bare)
            if a.transport == "git":
                proc, root = daemon(base)
                url = f"{root}/metrics.git"
            try:
                results[kind] = fn(base, names, a.rounds, url, bare)
            finally:
                if proc is not None:
                    proc.terminate()
                    proc.wait()
    s, b = results["shared"], results["branches"]
    retries = [x - 1 for x in s["attempts"]]
    print(f"{a.runners} runners x {a.rounds} rounds over {a.transport}")
    print(
        f"shared main: wall {s['wall']:.1f} s, {s['landed']} of {a.runners * a.rounds} "
        f"collections landed, state ok: {s['state_ok']}; retries per push "
        f"min {min(retries)} / median {statistics.median(retries):g} / max {max(retries)}, "
        f"total {sum(retries)}"
    )
    per = b["merge_per_round"]
    print(
        f"per-runner branches: runners {b['runners']:.1f} s + merge job {b['merge_total']:.1f} s "
        f"(per round min {min(per):.2f} / median {statistics.median(per):.2f} / max "
        f"{max(per):.2f} s) = {b['runners'] + b['merge_total']:.1f} s, {b['landed']} landed, "
        f"state ok: {b['state_ok']}"
    )
    print(f"ratio shared / branches (wall): {s['wall'] / (b['runners'] + b['merge_total']):.2f}")
    print(json.dumps({"shared": s, "branches": b}))


if __name__ == "__main__":
    main()
