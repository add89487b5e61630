"""One CI runner in the concurrency tests: commit a snapshot, then `gitmetrics push`.

Run as a separate process: ``python worker.py STORE REMOTE HOST MINUTE [RETENTION]``.
Prints the JSON that `gitmetrics push --json` prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gitmetrics import snapshot as snapmod
from gitmetrics import store as storemod
from gitmetrics.cli import main
from gitmetrics.snapshot import RepoResult


def run(store: Path, remote: str, host: str, minute: int, retention: int) -> None:
    st = storemod.open_store(store)
    r = RepoResult(
        name="alpha",
        role="lib",
        coverage=float(minute % 100),
        files_tested=1,
        lines_covered=minute % 100,
        lines_valid=100,
    )
    hour, mm = divmod(minute, 60)
    snap = snapmod.build([r], host=host, timestamp=f"2026-01-01T{hour:02d}:{mm:02d}:00Z")
    st.commit_snapshot(snap, retention=retention)
    st.close()
    sys.argv = ["gitmetrics", "push", "--store", str(store), "--remote", remote, "--json"]
    main()


if __name__ == "__main__":
    a = sys.argv[1:]
    run(Path(a[0]), a[1], a[2], int(a[3]), int(a[4]) if len(a) > 4 else 30)
