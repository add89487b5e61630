"""`gitmetrics history --all` in each format, before (15ef444) and after the JSON vocabulary.

    python benchmarks/history_formats.py STORE OLD_TREE

STORE: a metrics repository (the figures in RESULTS.md: 3,000 collections of 5 repositories);
OLD_TREE: the sources of the commit to compare with (``git archive 15ef444 | tar -x -C DIR``).
Each is a ratio against ``git log`` of the same store, measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(cmd: list[str], env: dict[str, str] | None = None, runs: int = 5) -> float:
    """The median wall time of ``runs`` runs of ``cmd``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    store, old = sys.argv[1], sys.argv[2]
    git = median_seconds(["git", "-C", store, "log", "--format=%H%x00%B"])
    for label, tree in (("before", old), ("after", str(ROOT))):
        env = {**os.environ, "PYTHONPATH": tree}
        for fmt in (["--json"], [], ["--format", "csv"]):
            cmd = [sys.executable, "-c", "from gitmetrics.cli import main; main()"]
            took = median_seconds([*cmd, "history", "--all", "--store", store, *fmt], env)
            shown = " ".join(fmt) or "table"
            print(
                f"{label:7} history --all {shown:14} {took * 1000:7.0f} ms "
                f"{took / git:6.2f}x git log ({git * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
