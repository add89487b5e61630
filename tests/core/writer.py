"""A separate process that commits snapshots into a store (used by the crash tests).

Usage: python -m tests.core.writer STORE COUNT HOST [RETENTION]
"""

from __future__ import annotations

import sys
from pathlib import Path

from gitmetrics import snapshot, store
from gitmetrics.snapshot import RepoResult


def main() -> None:
    """Commit COUNT snapshots, each with distinct figures, printing each commit."""
    path, count, host = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    retention = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    st = store.init(path)
    for i in range(count):
        result = RepoResult(
            name="api",
            role="service",
            coverage=snapshot.pct(i % 100, 100),
            files_tested=1,
            lines_covered=i % 100,
            lines_valid=100,
        )
        snap = snapshot.build([result], host=f"{host}-{i}")
        done = st.commit_snapshot(snap, retention=retention)
        print(done.commit, flush=True)


if __name__ == "__main__":
    main()
