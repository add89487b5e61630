"""Reading a store's own history: ``status``, ``trends``, ``report``, ``verify`` and a
full read of every snapshot, on a store of 1,000 collections of 20 repositories.

Run: .venv/bin/python benchmarks/store_reads.py [--store DIR] [--collections N] [--repos N]

The store is built once (kept at ``--store``); each command runs as its own process, best
of three by CPU time. To compare with another checkout, run this script with ``PYTHONPATH`` set to
that checkout's source tree.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLI = "from gitmetrics.cli import main; main()"


def build(path: Path, collections: int, repos: int) -> None:
    """A bare store of ``collections`` snapshots of ``repos`` repositories, 8 hours apart."""
    from gitmetrics import snapshot, store
    from gitmetrics.snapshot import RepoResult

    st = store.init(path, bare=True)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(collections):
        results = [
            RepoResult(
                name=f"repo{r:02d}",
                role="app",
                coverage=float(50 + (i * 7 + r) % 50),
                files_tested=10 + r,
                lines_covered=500 + (i + r) % 400,
                lines_valid=1000,
                format="lcov",
                report="coverage/lcov.info",
            )
            for r in range(repos)
        ]
        when = (start + timedelta(hours=8 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        st.commit_snapshot(snapshot.build(results, "bench", when), retention=0)
    st.close()


def best_of(argv: list[str], runs: int = 3) -> float:
    """The least CPU time (user + system) of ``runs`` runs: steadier than wall time on a
    shared machine."""
    best = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", CLI, *argv], capture_output=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        best = min(best, cpu)
    return best


def read_all(path: Path, runs: int = 3) -> tuple[int, float]:
    from gitmetrics import store

    best, count = float("inf"), 0
    for _ in range(runs):
        st = store.open_store(path)
        start = time.process_time()
        count = sum(1 for _ in st.snapshots())
        best = min(best, time.process_time() - start)
        st.close()
    return count, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--collections", type=int, default=1000)
    parser.add_argument("--repos", type=int, default=20)
    args = parser.parse_args()
    path = args.store or Path(tempfile.mkdtemp(prefix="gitmetrics-reads-")) / "store"
    if not path.exists():
        build(path, args.collections, args.repos)
    out = path.parent / "report.md"
    commands = {
        "status": ["status"],
        "trends (30 days)": ["trends"],
        "trends --days 400": ["trends", "--days", "400"],
        "report": ["report", "--output", str(out)],
        "report --last 1000": ["report", "--last", "1000", "--output", str(out)],
    }
    for label, argv in commands.items():
        print(f"{label:22s} {best_of([*argv, '--store', str(path)]):6.2f} s CPU")
    count, seconds = read_all(path)
    print(f"{'read all snapshots':22s} {seconds:6.2f} s CPU ({count} snapshots, in process)")


if __name__ == "__main__":
    main()
