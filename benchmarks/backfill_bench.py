"""Backfill (``collect --at`` older than the newest) against a normal commit on top.

A backfill writes the collection on the collection before its time, then merges it with the
head (the merge re-derives README, badges and, with ``dashboard: true``, the dashboard from
the whole history). Both are measured in the same run on the same store, median of
``--runs`` commits each; the ratio is backfill / on top.

    python benchmarks/backfill_bench.py --collections 1000 --repos 10 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitmetrics import snapshot as snapmod
from gitmetrics.config import Config
from gitmetrics.derive import make_deriver
from gitmetrics.snapshot import RepoResult
from gitmetrics.store import init
from gitmetrics.store.backfill import commit_at

START = datetime(2025, 1, 1, tzinfo=UTC)


def snap(i: int, repos: int, minutes: int = 0) -> snapmod.Snapshot:
    when = START + timedelta(hours=6 * i, minutes=minutes)
    results = [
        RepoResult(
            name=f"repo{r:03d}",
            role="service",
            coverage=snapmod.pct(500 + (i * 7 + r) % 400, 1000),
            files_tested=10,
            lines_covered=500 + (i * 7 + r) % 400,
            lines_valid=1000,
        )
        for r in range(repos)
    ]
    return snapmod.build(results, host="bench", timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--collections", type=int, default=1000)
    ap.add_argument("--repos", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for dashboard in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "metrics"
            st = init(path)
            for i in range(args.collections):
                st.commit_snapshot(snap(i, args.repos), retention=30)
            cfg = Config(
                path=path.parent / "repos.yaml",
                store=path,
                repos=(),
                raw={"dashboard": dashboard},
            )
            st.derive = make_deriver(cfg)
            n = args.collections
            st.commit_snapshot(snap(n, args.repos), retention=30)  # the page exists from here
            top, back = [], []
            for k in range(args.runs):
                t = time.process_time()
                st.commit_snapshot(snap(n + 1 + k, args.repos), retention=30)
                top.append(time.process_time() - t)
                t = time.process_time()
                # between two collections in the middle of the history
                commit_at(st, snap(n // 2 + k, args.repos, minutes=30), retention=30)
                back.append(time.process_time() - t)
            a, b = statistics.median(top), statistics.median(back)
            print(
                f"dashboard={str(dashboard).lower():5}  collections={n}  repos={args.repos}  "
                f"on top {a * 1000:7.1f} ms CPU  backfill {b * 1000:7.1f} ms CPU  "
                f"ratio {b / a:5.2f}"
            )
            st.close()


if __name__ == "__main__":
    main()
