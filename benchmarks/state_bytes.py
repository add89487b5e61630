"""Store bytes added by a 1-repo collection in a 1,000-repo state, before and after gc.

    .venv/bin/python benchmarks/state_bytes.py [--repos 1000] [--rounds 20]

A store is seeded with one full collection of N repositories (with per-file detail),
then ``rounds`` collections each measure one repository (its report changed). Printed:
the loose bytes added per 1-repo collection, the pack size after ``gitmetrics gc``
minus the packed seed, divided the same way, and, as the baseline measured in the same run, the same figures
for a collection that measures all N repositories.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitmetrics import snapshot as snapmod
from gitmetrics.snapshot import FileDetail, RepoResult, StatePolicy
from gitmetrics.store import init
from gitmetrics.store.pack import gc, objects_size


def result(name: str, covered: int) -> RepoResult:
    files = [
        FileDetail(f"src/m{i}.py", covered // 10, 100, None, None, tuple(range(1, covered // 10 + 1)),
                   tuple(range(covered // 10 + 1, 101)))
        for i in range(10)
    ]  # fmt: skip
    return RepoResult(
        name=name,
        role="service",
        coverage=snapmod.pct(covered, 1000),
        files_tested=10,
        lines_covered=covered,
        lines_valid=1000,
        format="lcov",
        report="lcov.info",
        detail=snapmod.files_json(name, "lcov", files),
    )


def run(repos: int, rounds: int, every: bool) -> tuple[float, float]:
    names = [f"repo{i:04d}" for i in range(repos)]
    policy = StatePolicy(keep=frozenset(names))
    with tempfile.TemporaryDirectory() as tmp:
        st = init(Path(tmp) / "m")
        seed = snapmod.build([result(n, 500) for n in names], "ci", "2026-01-01T00:00:00Z")
        st.commit_snapshot(seed, retention=30, policy=policy)
        gc(st)
        start = objects_size(st.gitdir)
        for k in range(rounds):
            chosen = names if every else [names[k % repos]]
            when = f"2026-01-01T01:{k // 60:02d}:{k % 60:02d}Z"
            snap = snapmod.build([result(n, 600 + k) for n in chosen], "ci", when)
            st.commit_snapshot(snap, retention=30, policy=policy)
        loose = (objects_size(st.gitdir) - start) / rounds
        gc(st)
        packed = (objects_size(st.gitdir) - start) / rounds
        st.close()
    return loose, packed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    one = run(args.repos, args.rounds, every=False)
    full = run(args.repos, max(2, args.rounds // 4), every=True)
    print(f"{args.repos} repos in the state, {args.rounds} collections each")
    print(f"1-repo collection: {one[0] / 1024:8.1f} KiB loose, {one[1] / 1024:8.1f} KiB after gc")
    print(f"all-repo baseline: {full[0] / 1024:8.1f} KiB loose, {full[1] / 1024:8.1f} KiB after gc")


if __name__ == "__main__":
    main()
