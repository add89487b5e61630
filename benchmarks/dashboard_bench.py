"""How fast the dashboard renders in headless Chromium, for long histories.

Run: .venv/bin/python benchmarks/dashboard_bench.py [--snapshots 10000] [--repos 100]
     [--files 200]

Prints a table: page size, time to shape the data in Python, and the time the browser
took from navigation start until the page was drawn (script done, then first frame after
it), with the ratio against a baseline page of 10 snapshots of the same repositories
rendered in the same run. Also times `gitmetrics dashboard` reading a real store.
``--files N`` gives each repository a files table of N files (bounded as the page bounds
it, ``MAX_FILES`` each and ``MAX_FILES_TOTAL`` in all) and times drawing a repository's
page (its chart, files table and source commits) once the overview is drawn.
Needs Debian's chromium and chromium-driver (.ci/install-browser). Never run by the tests.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gitmetrics import dashboard as shape
from gitmetrics import snapshot as snapmod
from gitmetrics.history import Collection
from gitmetrics.render import dashboard as page
from gitmetrics.snapshot import RepoResult, Source

START = datetime(2025, 1, 1, tzinfo=UTC)


def history(snapshots: int, repos: int) -> list[Collection]:
    """A synthetic history: coverage drifting per repository, new source commits now and then."""
    points = []
    names = [f"service-{r:03d}" for r in range(repos)]
    for j in range(snapshots):
        results = []
        for r, name in enumerate(names):
            valid = 2000 + 37 * r
            covered = int(valid * (0.45 + 0.5 * ((r * 7919 + j * (r % 5 + 1)) % 1000) / 1000))
            failed = (j + r) % 997 == 0
            results.append(
                RepoResult(name=name, role=f"role-{r % 6}", status="error", error="no report")
                if failed
                else RepoResult(
                    name=name,
                    role=f"role-{r % 6}",
                    coverage=snapmod.pct(covered, valid),
                    files_tested=10 + r,
                    lines_covered=covered,
                    lines_valid=valid,
                    source=Source(f"{(j // 12) * 1000 + r:010x}{r:030x}", "main", False),
                )
            )
        when = START + timedelta(hours=j)
        snap = snapmod.build(results, host="ci", timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        points.append(Collection.of(snap, f"{j:040x}"))
    return points


def file_tables(repos: int, files: int) -> dict[str, Any]:
    """Synthetic files tables, ``files`` per repository, bounded as the page bounds them."""
    from gitmetrics.snapshot import FileDetail

    out: dict[str, Any] = {}
    left = shape.MAX_FILES_TOTAL
    for r in range(repos):
        mine = [
            FileDetail(
                f"src/pkg{f % 17}/mod_{f:05d}.py", (f * 7919 + r) % 97, 97, None, None, None, None
            )
            for f in range(files)
        ]
        theirs = [
            FileDetail(d.path, min(97, d.lines_covered + f % 3), 97, None, None, None, None)
            for f, d in enumerate(mine)
        ]
        point = {"collection": f"{r:040x}", "timestamp": "2025-01-01T00:00:00Z", "source": None}
        out[f"service-{r:03d}"] = shape.file_table(
            mine, theirs, at=point, against=point, limit=min(shape.MAX_FILES, left)
        )
        left -= len(out[f"service-{r:03d}"]["rows"])
    return out


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tempfile.mkdtemp(prefix='gm-bench-chromium-')}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(
        service=Service(executable_path="/usr/bin/chromedriver"), options=options
    )


def render_times(driver: Any, path: Path, runs: int) -> tuple[float, float, float]:
    """Median (script done, first frame drawn, wall clock around driver.get) in ms."""
    from selenium.webdriver.support.ui import WebDriverWait

    script, painted, wall = [], [], []
    for run in range(runs + 1):  # the first load warms the browser and the file cache
        driver.get("about:blank")
        started = time.perf_counter()
        driver.get(path.as_uri())
        WebDriverWait(driver, 120).until(
            lambda d: d.execute_script("return document.documentElement.dataset.ready === '1'")
        )
        elapsed = (time.perf_counter() - started) * 1000
        s, p = driver.execute_script(
            "return [window.gmDashboard.scriptMs, window.gmDashboard.paintedMs]"
        )
        if run == 0:
            continue
        script.append(s)
        painted.append(p)
        wall.append(elapsed)
    return statistics.median(script), statistics.median(painted), statistics.median(wall)


def store_read(snapshots: int, repos: int) -> tuple[float, float]:
    """Seconds to commit a history to a real store, and for `gitmetrics dashboard` to read it."""
    from typer.testing import CliRunner

    from gitmetrics import store as storemod
    from gitmetrics.cli import app

    tmp = Path(tempfile.mkdtemp(prefix="gm-bench-store-"))
    st = storemod.init(tmp / "metrics")
    started = time.perf_counter()
    for p in history(snapshots, repos):
        st.commit_snapshot(p.snapshot, retention=30)
    committed = time.perf_counter() - started
    st.close()
    started = time.perf_counter()
    result = CliRunner().invoke(
        app, ["dashboard", "--store", str(tmp / "metrics"), "-o", str(tmp / "d.html")]
    )
    assert result.exit_code == 0, result.output
    return committed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=10_000)
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store-snapshots", type=int, default=200)
    parser.add_argument("--files", type=int, default=0, help="files per repository")
    args = parser.parse_args()

    out = Path(tempfile.mkdtemp(prefix="gm-bench-"))
    sizes = [10, 1000, args.snapshots] if args.snapshots > 1000 else [10, args.snapshots]
    rows = []
    driver = browser()
    try:
        for n in sizes:
            points = history(n, args.repos)
            started = time.perf_counter()
            data = shape.build(
                points,
                min_coverage=80,
                commit_urls={
                    f"service-{r:03d}": "https://git.example.com/{repo}/commit/{commit}"
                    for r in range(args.repos)
                },
                files=file_tables(args.repos, args.files) if args.files else None,
            )
            html = page.render(data)
            shaped = (time.perf_counter() - started) * 1000
            target = out / f"dashboard-{n}.html"
            target.write_text(html, encoding="utf-8")
            script, painted, wall = render_times(driver, target, args.runs)
            drawn = driver.execute_script("return window.gmDashboard.drawnPoints()")
            repo_ms = statistics.median(
                driver.execute_script("return window.gmDashboard.showRepo('service-007')")
                for _ in range(args.runs)
            )
            rows.append((n, len(html.encode()), shaped, script, painted, wall, drawn, repo_ms))
    finally:
        driver.quit()

    base = rows[0][4]
    print(
        f"dashboard render, {args.repos} repositories, median of {args.runs} loads after a warm-up"
    )
    print(
        f"{'snapshots':>9} {'values':>9} {'page KiB':>9} {'shape ms':>9} {'script ms':>10} "
        f"{'drawn ms':>9} {'wall ms':>8} {'points':>8} {'x base':>7} {'repo page ms':>12}"
    )
    for n, size, shaped, script, painted, wall, drawn, repo_ms in rows:
        print(
            f"{n:>9,} {n * args.repos:>9,} {size / 1024:>9,.0f} {shaped:>9,.0f} "
            f"{script:>10,.0f} {painted:>9,.0f} {wall:>8,.0f} {drawn:>8,} {painted / base:>7.1f}"
            f" {repo_ms:>12,.0f}"
        )
    if args.store_snapshots:
        committed, read = store_read(args.store_snapshots, 20)
        print(
            f"\nstore: {args.store_snapshots} collections of 20 repositories committed in "
            f"{committed:.1f} s; `gitmetrics dashboard` read them and wrote the page in "
            f"{read:.2f} s ({read / args.store_snapshots * 1000:.1f} ms per snapshot)"
        )


if __name__ == "__main__":
    main()
