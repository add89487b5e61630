"""Measure gitmetrics against git and the bare parsers; print one Markdown table.

    python benchmarks/run.py [--quick]
                             [--only parse,collect,commit,history,size,dashboard,derive,views,help]
                             [--parse cobertura,lcov,jacoco,...]

Every figure is a ratio against a baseline measured in the same run on the same inputs,
so runs on different machines compare. Inputs are synthetic and built under a temp dir
that is removed at the end. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import gen  # noqa: E402

PY = sys.executable
# the package on sys.path (a checkout run from anywhere), not only the installed script
GITMETRICS = [
    PY,
    "-c",
    "import sys; from gitmetrics.cli import main; sys.argv[0] = 'gitmetrics'; main()",
]
ROWS: list[tuple[str, str, str, str, str]] = []


def row(group: str, what: str, ours: str, base: str, ratio: str) -> None:
    """Record and show one result."""
    ROWS.append((group, what, ours, base, ratio))
    print(f"  {group:8} {what:52} {ours:>14} {base:>14} {ratio:>8}", flush=True)


def best(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def median(fn: Callable[[], object], repeat: int) -> float:
    """The median of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_peak(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one gitmetrics command."""
    t = time.perf_counter()
    proc = subprocess.run([PY, "-c", CLI_PEAK, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed: {proc.stderr}")
    peak = [line for line in proc.stderr.splitlines() if line.startswith("VmHWM ")]
    return wall, int(peak[-1].split()[1])


def ms(s: float) -> str:
    return f"{s * 1000:,.1f} ms" if s < 10 else f"{s:,.1f} s"


def mb(n: float) -> str:
    return f"{n / 1e6:,.2f} MB"


def x(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


# --- parse ---------------------------------------------------------------------------


def floor_xml(path: Path, handlers: bool = False) -> None:
    import xml.parsers.expat

    p = xml.parsers.expat.ParserCreate()
    if handlers:
        p.StartElementHandler = lambda name, attrs: None
        p.EndElementHandler = lambda name: None
    with path.open("rb") as fh:
        p.ParseFile(fh)


def floor_json(path: Path) -> None:
    with path.open("rb") as fh:
        json.load(fh)


def floor_lcov(path: Path) -> None:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line.partition(":")


FLOORS = {
    "cobertura": floor_xml,
    "jacoco": floor_xml,
    "coverage-json": floor_json,
    "lcov": floor_lcov,
}

# ru_maxrss survives exec on Linux (a child of a big parent reports the parent's peak), so
# peaks are read from /proc/self/status: VmHWM belongs to the process image alone
STATUS = "def vm(key):\n    for line in open('/proc/self/status'):\n        if line.startswith(key):\n            return int(line.split()[1]) * 1024\n"
PEAK_SCRIPT = (
    STATUS
    + """
import sys, time
from pathlib import Path
from gitmetrics import formats
before = vm("VmRSS")
t = time.perf_counter()
cov = formats.parse(Path(sys.argv[1]), sys.argv[2], max_bytes=1 << 31)
print(time.perf_counter() - t, before, vm("VmHWM"))
"""
)
CLI_PEAK = (
    STATUS
    + """
import atexit, sys
atexit.register(lambda: sys.stderr.write(f"VmHWM {vm('VmHWM')}\\n"))
from gitmetrics.cli import main
sys.argv[0] = "gitmetrics"
main()
"""
)


def bench_parse(tmp: Path, quick: bool, kinds: set[str] | None = None) -> None:
    from gitmetrics import formats

    size = 5_000_000 if quick else 20_000_000
    big = 20_000_000 if quick else 100_000_000
    cases = {
        **{kind: (name, make, kind) for kind, (name, make) in gen.REPORTS.items()},
        **gen.PARSE_ONLY,
    }
    for kind, (name, make, fmt) in cases.items():
        if kinds is not None and kind not in kinds:
            continue
        path = tmp / f"parse-{kind}-{name}"
        make(path, size)
        n = path.stat().st_size
        ours = best(lambda p=path, f=fmt: formats.parse(p, f, max_bytes=1 << 31), 2)
        floor = best(lambda p=path, f=fmt: FLOORS[f](p), 2)
        row(
            "parse",
            f"{kind} {mb(n)} (MB/s; floor: bare parser)",
            f"{n / ours / 1e6:.1f} MB/s",
            f"{n / floor / 1e6:.1f} MB/s",
            f"{floor / ours:.2f}",
        )
        if FLOORS[fmt] is floor_xml:
            noop = best(lambda p=path: floor_xml(p, handlers=True), 2)
            row(
                "parse",
                f"{kind}: floor 2, expat calling a no-op Python handler per tag",
                f"{n / ours / 1e6:.1f} MB/s",
                f"{n / noop / 1e6:.1f} MB/s",
                f"{noop / ours:.2f}",
            )
        bigpath = tmp / f"big-{kind}-{name}"
        make(bigpath, big)
        out = subprocess.run(
            [PY, "-c", PEAK_SCRIPT, str(bigpath), fmt],
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE.parent,
        ).stdout.split()
        _, rss0, rss1 = float(out[0]), int(out[1]), int(out[2])
        nb = bigpath.stat().st_size
        row(
            "parse",
            f"{kind} {mb(nb)}: peak memory over start (vs file size)",
            mb(rss1 - rss0),
            mb(nb),
            x(rss1 - rss0, nb),
        )
        bigpath.unlink()
        path.unlink()


# --- collect -------------------------------------------------------------------------


def _copy_and_commit(config: Path, work: Path) -> float:
    """The baseline: copy every repository's report into a git work tree, then
    ``git add -A && git commit`` (wall seconds)."""
    import yaml

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    gen.git("init", "-q", "-b", "main", cwd=work)
    repos = yaml.safe_load(config.read_text())["repos"]
    t = time.perf_counter()
    for r in repos:
        src = config.parent / r["path"]
        for report in src.iterdir():
            if report.is_file() and report.name != "README.md":
                (work / r["name"]).mkdir(exist_ok=True)
                shutil.copyfile(report, work / r["name"] / report.name)
    gen.git("add", "-A", cwd=work)
    gen.git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "c", cwd=work)
    return time.perf_counter() - t


def bench_collect(tmp: Path, quick: bool) -> None:
    """collect committing into a new store: the default workers against ``--jobs 1`` and
    against copying the reports into git (best of 2 each)."""
    counts = (10, 100) if quick else (10, 100, 1000)
    root = tmp / "repos"
    for n in counts:
        config = gen.repos(root, n)
        store = tmp / f"collect-store-{n}"

        def once(*extra: str, config: Path = config, store: Path = store) -> tuple[float, int]:
            shutil.rmtree(store, ignore_errors=True)
            return run_peak(["collect", "-c", str(config), "--store", str(store), *extra])

        one = min((once("-j", "1") for _ in range(2)), key=lambda r: r[0])
        par = min((once() for _ in range(2)), key=lambda r: r[0])
        base = min(_copy_and_commit(config, tmp / f"collect-git-{n}") for _ in range(2))
        row("collect", f"{n} repos committed, --jobs 1 / default (speedup)",
            ms(par[0]), ms(one[0]), f"{one[0] / par[0]:.2f}")  # fmt: skip
        row("collect", f"{n} repos committed, default vs cp + git add + commit",
            ms(par[0]), ms(base), x(par[0], base))  # fmt: skip
        row("collect", f"{n} repos, peak memory (default vs --jobs 1)",
            mb(par[1]), mb(one[1]), x(par[1], one[1]))  # fmt: skip


# --- store: commit, history, size ---------------------------------------------------------


def commit_gitmetrics(path: Path, snaps: list[tuple[object, bytes]]) -> list[float]:
    from gitmetrics import store as storemod

    times = []
    for snap, _ in snaps:
        t = time.perf_counter()
        st = storemod.open_store(path)
        st.commit_snapshot(snap, retention=0)  # type: ignore[arg-type]
        st.close()
        times.append(time.perf_counter() - t)
    return times


def commit_git(path: Path, snaps: list[tuple[object, bytes]]) -> list[float]:
    from gitmetrics import snapshot as snapmod

    times = []
    for snap, data in snaps:
        rel = snapmod.file_name(snap, data)  # type: ignore[arg-type]
        t = time.perf_counter()
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        (path / "latest.json").write_bytes(data)
        gen.git("add", rel, "latest.json", cwd=path)
        gen.git("commit", "-q", "-m", "collect", cwd=path)
        times.append(time.perf_counter() - t)
    return times


def bench_store(tmp: Path, quick: bool, what: set[str]) -> None:
    sizes = (1, 1000) if quick else (1, 1000, 10_000)
    for n in sizes:
        path = tmp / f"store-{n}"
        gen.store(path, 10, n, retention=0)
        gen.unpack(path)  # gitmetrics leaves a store loose until `gitmetrics gc`
        extra = list(gen.snapshots(10, n + 3))[n:]
        if "commit" in what:
            copy = tmp / f"store-{n}-git"
            shutil.copytree(path, copy, symlinks=True)
            ours = statistics.median(commit_gitmetrics(path, extra))
            theirs = statistics.median(commit_git(copy, extra))
            row(
                "commit",
                f"1 snapshot into {n:,} (retention 0, loose) vs git add+commit",
                ms(ours),
                ms(theirs),
                x(ours, theirs),
            )
            shutil.rmtree(copy)
        if "history" in what and n >= 1000:
            bench_history(path, n, "loose")
            pack_store(path)
            bench_history(path, n, "packed")
        shutil.rmtree(path)
    if "size" in what:
        bench_size(tmp, quick)


# --- dashboard: the commit with `dashboard: true`, and `gitmetrics dashboard` -------------

# `gitmetrics dashboard` in this process; prints its CPU seconds and peak RSS. With
# NOVALIDATE=1 the schema check answers yes without looking (benchmark only), which
# measures what reading costs besides validation.
DASHBOARD_CLI = """
import os, resource, sys
if os.environ.get("NOVALIDATE") == "1":
    import gitmetrics.schema
    gitmetrics.schema.is_valid = lambda name, instance: True
from gitmetrics.cli import main
sys.argv = ["gitmetrics", "dashboard", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
ru = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM, not ru_maxrss: Linux keeps the parent's ru_maxrss across exec
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
sys.stderr.write(f"CPU {ru.ru_utime + ru.ru_stime}\\nPEAK {int(hwm[0]) * 1024}\\n")
"""


def dashboard_cli(store: Path, out: Path, validate: bool) -> tuple[float, int]:
    """CPU seconds and peak RSS (bytes) of `gitmetrics dashboard` on ``store``."""
    env = {**os.environ, "NOVALIDATE": "0" if validate else "1"}
    args = ["--store", str(store), "-o", str(out)]
    proc = subprocess.run([PY, "-c", DASHBOARD_CLI, *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"dashboard failed: {proc.stderr}")
    found = dict(line.split() for line in proc.stderr.splitlines() if line[:4] in ("CPU ", "PEAK"))
    return float(found["CPU"]), int(found["PEAK"])


def commit_derived(path: Path, snaps: list[tuple[object, bytes]], dashboard: bool) -> list[float]:
    """CPU seconds per commit with the real deriver, ``dashboard: true`` or not (CPU, not
    wall: on a shared machine the wall time of a 50 ms commit moved by 3x between runs)."""
    from gitmetrics import config as configmod
    from gitmetrics import store as storemod
    from gitmetrics.derive import make_deriver

    text = f"store: metrics\ndashboard: {str(dashboard).lower()}\nrepos: []\n"
    cfg = configmod.parse(text, path / "repos.yaml")
    times = []
    for snap, _ in snaps:
        t = time.process_time()
        st = storemod.open_store(path)
        st.derive = make_deriver(cfg)
        st.commit_snapshot(snap, retention=0)  # type: ignore[arg-type]
        st.close()
        times.append(time.process_time() - t)
    return times


#: per-file detail of this many files a repository in the last dashboard commit rows (a fifth
#: of the repositories measured differently in each collection, as their reports are)
DERIVE_FILES = 50


def bench_dashboard(tmp: Path, quick: bool, page: bool = True) -> None:
    """The commit rows; with ``page``, `gitmetrics dashboard` of a big store as well."""
    for repos, files in ((10, 0), (100, 0), (100, DERIVE_FILES)):
        n = 1000
        path = tmp / f"dash-{n}-{repos}-{files}"
        gen.store(path, repos, n, retention=0, files=files)
        gen.unpack(path)
        extra = list(gen.snapshots(repos, n + 12, files=files))[n:]
        plain = tmp / f"dash-{n}-{repos}-{files}-plain"
        shutil.copytree(path, plain, symlinks=True)
        first = commit_derived(path, extra[:1], dashboard=True)[0]
        ours = statistics.median(commit_derived(path, extra[1:], dashboard=True))
        theirs = statistics.median(commit_derived(plain, extra[1:], dashboard=False))
        what = f"{n:,} x {repos} repos" + (f", {files} files each" if files else "")
        row(
            "dashboard",
            f"commit into {what}, dashboard: true vs false (CPU, median of 11)",
            ms(ours),
            ms(theirs),
            x(ours, theirs),
        )
        row(
            "dashboard",
            f"first commit with dashboard: true into {what} (reads all) vs false",
            ms(first),
            ms(theirs),
            x(first, theirs),
        )
        shutil.rmtree(path)
        shutil.rmtree(plain)
    if not page:
        return
    n = 2000 if quick else 10_000
    path = tmp / f"dash-{n}"
    gen.store(path, 100, n, retention=30)
    out = tmp / "dashboard.html"
    cpu, peak = dashboard_cli(path, out, validate=True)
    rest, rest_peak = dashboard_cli(path, out, validate=False)
    size = out.stat().st_size
    what = f"`gitmetrics dashboard` of {n:,} x 100"
    row("dashboard", f"{what}: CPU (vs the 10 s target)", f"{cpu:,.1f} s", "10.0 s", x(cpu, 10))
    row("dashboard", f"{what}: peak memory (vs 300 MB)", mb(peak), mb(300e6), x(peak, 300e6))
    row(
        "dashboard",
        f"{what}: CPU, validation vs the rest",
        f"{cpu - rest:,.1f} s",
        f"{rest:,.1f} s",
        x(cpu - rest, rest),
    )
    row(
        "dashboard",
        f"{what}: peak memory without validation",
        mb(rest_peak),
        mb(300e6),
        x(rest_peak, 300e6),
    )
    row("dashboard", f"{what}: page size (vs 20 MB)", mb(size), mb(20e6), x(size, 20e6))
    shutil.rmtree(path)


# --- views: status, report, diff, trends, history against git reading the same objects -----

#: argv of each view command (``--store`` is added), and the view it is
VIEWS: dict[str, list[str]] = {
    "status": ["status"],
    "report": ["report", "--format", "markdown", "-o", os.devnull],
    "diff": ["diff"],
    "trends": ["trends"],
    "history --all": ["history", "--all"],
    "history --all --json": ["history", "--all", "--json"],
}


def cpu_of(
    argv: list[str],
    repeat: int,
    stdin: bytes | None = None,
    prepare: Callable[[], None] | None = None,
) -> float:
    """The median CPU seconds (user + system) of ``repeat`` runs of a whole process
    (``prepare`` is called before each, outside the time)."""
    times = []
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def in_process(label: str, path: Path) -> float:
    """CPU seconds of one view in this process: the api call and its rendering, no start-up."""
    import io

    from rich.console import Console

    from gitmetrics import api
    from gitmetrics.render import registry, terminal

    console = Console(file=io.StringIO(), width=120, highlight=False, emoji=False)
    start = time.process_time()
    if label == "status":
        terminal.status(console, api.status(store=path))
    elif label == "report":
        registry.text("report", "markdown", api.report(store=path))
    elif label == "diff":
        terminal.diff(console, api.diff(store=path))
    elif label == "trends":
        terminal.trends(console, api.trends(store=path))
    elif label == "history --all":
        terminal.history(console, api.history(store=path, limit=None), repo=None, role=None)
    else:
        rows = api.history(store=path, limit=None)
        "".join(registry.history_chunks("json", rows, repo=None, role=None))
    return time.process_time() - start


def blobs_read(label: str, path: Path) -> list[str]:
    """The snapshot blobs a view reads (what git is asked to read for the same figures)."""
    from gitmetrics import api
    from gitmetrics import store as storemod

    count = {"status": 2, "diff": 2}.get(label)
    if label == "trends":
        count = api.trends(store=path).collections
    st = storemod.open_store(path)
    try:
        found = []
        for e in st.history(limit=count):
            sha = st.lookup(st.repo[e.commit.encode()].tree, e.snapshot_path)
            assert sha is not None
            found.append(sha.decode())
        return found
    finally:
        st.close()


#: what `history` shows, as git log writes it from the same trailers
GIT_LOG_FORMAT = "--format=%H " + " ".join(
    f"%(trailers:key=Gitmetrics-{key},valueonly,separator=%x2C)"
    for key in ("Timestamp", "Avg-Coverage", "Weighted-Coverage", "Repos", "Failed", "Files",
                "Host", "Snapshot")
)  # fmt: skip


#: Views that keep each older collection's figures in the store's local cache
#: (`gitmetrics.store.cache`): measured with no cache file (cold) and with it (warm).
CACHED_VIEWS = ("report", "trends")


def drop_cache(path: Path) -> None:
    """Remove the store's local figures cache (a checkout without one has nothing to remove)."""
    for gitdir in (path / ".git", path):
        (gitdir / "gitmetrics-figures").unlink(missing_ok=True)


def bench_views(tmp: Path, quick: bool) -> None:
    sizes = (300, 1000) if quick else (1000, 10_000)
    repeat = 3 if quick else 5
    inside: dict[tuple[str, int], float] = {}
    labels: list[str] = []
    for n in sizes:
        path = tmp / f"views-{n}"
        gen.store(path, 100, n, retention=30)
        for view, argv in VIEWS.items():
            cases = [(f"{view} (cold cache)", True), (f"{view} (warm cache)", False)]
            for label, cold in cases if view in CACHED_VIEWS else [(view, False)]:
                if label not in labels:
                    labels.append(label)
                before = (lambda: drop_cache(path)) if cold else None  # noqa: B023
                in_process(view, path)  # warm: the cache filled; cold: dropped before each
                ours = cpu_of([*GITMETRICS, *argv, "--store", str(path)], repeat, prepare=before)
                runs = []
                for _ in range(3 if n < 5000 else 2):
                    if before is not None:
                        before()
                    runs.append(in_process(view, path))
                inside[label, n] = min(runs)
                if view.startswith("history"):
                    base = cpu_of(["git", "-C", str(path), "log", GIT_LOG_FORMAT], repeat)
                    what = "git log --format (the same trailers)"
                else:
                    shas = blobs_read(view, path)
                    stdin = "".join(f"{sha}\n" for sha in shas).encode()
                    base = cpu_of(["git", "-C", str(path), "cat-file", "--batch"], repeat, stdin)
                    what = f"git cat-file --batch of its {len(shas):,} snapshot(s)"
                row("views", f"`{label}` on {n:,} x 100: process CPU vs {what}", ms(ours),
                    ms(base), x(ours, base))  # fmt: skip
                row("views", f"`{label}` on {n:,} x 100: in-process CPU (no start-up) vs the same",
                    ms(inside[label, n]), ms(base), x(inside[label, n], base))  # fmt: skip
        shutil.rmtree(path)
    small, big = sizes
    for label in labels:
        row("views", f"`{label}`: in-process CPU on {big:,} vs on {small:,} collections",
            ms(inside[label, big]), ms(inside[label, small]),
            x(inside[label, big], inside[label, small]))  # fmt: skip
    start = cpu_of([*GITMETRICS, "--version"], repeat)
    bare = cpu_of([PY, "-c", "pass"], repeat)
    row("views", "start-up: `gitmetrics --version` vs `python -c pass`", ms(start), ms(bare),
        x(start, bare))  # fmt: skip


def pack_store(path: Path) -> None:
    """Pack as users do: `gitmetrics gc` (git's own repack when this checkout has no gc)."""
    try:
        from gitmetrics.store import open_store, pack
    except ImportError:
        gen.git("repack", "-q", "-a", "-d", cwd=path)
        return
    pack.gc(open_store(path))


def bench_history(path: Path, n: int, kind: str) -> None:
    from gitmetrics import store as storemod

    def api(limit: int | None) -> int:
        st = storemod.open_store(path)
        got = len(list(st.history(limit=limit)))
        st.close()
        return got

    def git_log(limit: int | None) -> None:
        gen.git("log", *([f"-{limit}"] if limit else []), "--format=%H%x00%B", cwd=path)

    assert api(None) == n + 3 or api(None) == n, api(None)
    for limit in (10, None):
        ours = best(lambda lim=limit: api(lim), 3)
        theirs = best(lambda lim=limit: git_log(lim), 3)
        label = f"--limit {limit}" if limit else "all"
        row(
            "history",
            f"{label} over {n:,} ({kind}; Store.history vs git log)",
            ms(ours),
            ms(theirs),
            x(ours, theirs),
        )
    cli = median(
        lambda: subprocess.run(
            [*GITMETRICS, "history", "-n", "10", "--store", str(path)],
            capture_output=True,
            check=True,
        ),
        3,
    )
    bare = median(lambda: git_log(10), 3)
    row(
        "history",
        f"`gitmetrics history -n 10` over {n:,} ({kind}; CLI vs git log -10)",
        ms(cli),
        ms(bare),
        x(cli, bare),
    )


def bench_size(tmp: Path, quick: bool) -> None:
    n, repos = (300, 100) if quick else (1000, 100)
    path = tmp / "store-size"
    raw = gen.store(path, repos, n, retention=30)
    gen.unpack(path)
    loose = gen.du(path)
    row(
        "size",
        f"{n:,} snapshots of {repos} repos: loose, per snapshot (vs raw JSON)",
        f"{loose / n / 1e3:,.1f} KB",
        f"{raw / n / 1e3:,.1f} KB",
        x(loose, raw),
    )
    gitcopy = tmp / "store-size-git"
    shutil.copytree(path, gitcopy, symlinks=True)
    t = time.perf_counter()
    gen.git("gc", "-q", "--prune=now", cwd=gitcopy)
    git_t = time.perf_counter() - t
    git_size = gen.apparent(gitcopy)
    try:
        from gitmetrics.store import pack  # noqa: F401
    except ImportError:
        row("size", "gitmetrics gc: not available", "-", mb(git_size), "-")
        row(
            "size",
            f"git gc pack vs raw JSON ({git_t:.1f} s)",
            mb(git_size),
            mb(raw),
            x(git_size, raw),
        )
        return
    t = time.perf_counter()
    subprocess.run([*GITMETRICS, "gc", "--store", str(path)], check=True, capture_output=True)
    ours_t = time.perf_counter() - t
    ours = gen.apparent(path)
    gen.git("fsck", "--strict", "--no-progress", cwd=path)
    row(
        "size",
        f"after `gitmetrics gc` ({ours_t:.1f} s) vs `git gc` ({git_t:.1f} s)",
        mb(ours),
        mb(git_size),
        x(ours, git_size),
    )
    row(
        "size",
        "after `gitmetrics gc`, per snapshot (vs raw JSON)",
        f"{ours / n / 1e3:.2f} KB",
        f"{raw / n / 1e3:.1f} KB",
        x(ours, raw),
    )
    shutil.rmtree(gitcopy)
    shutil.rmtree(path)


# --- start-up ----------------------------------------------------------------------------

BARE_TYPER = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    "Say hello."
    print(name)
@app.command()
def bye() -> None:
    "Say bye."
if __name__ == "__main__":
    app()
"""


def bench_help(tmp: Path, quick: bool) -> None:
    script = tmp / "bare_typer.py"
    script.write_text(BARE_TYPER)
    repeat = 5 if quick else 11

    def ours() -> None:
        subprocess.run([*GITMETRICS, "--help"], capture_output=True, check=True)

    def bare() -> None:
        subprocess.run([PY, str(script), "--help"], capture_output=True, check=True)

    ours(), bare()  # warm the page cache and .pyc files
    a, b = median(ours, repeat), median(bare, repeat)
    row("startup", "`gitmetrics --help` vs a bare typer app", ms(a), ms(b), x(a, b))


# --- main ----------------------------------------------------------------------------------


def machine() -> str:
    mem = 0
    with Path("/proc/meminfo").open() as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    git_v = gen.git("--version").decode().strip()
    return (
        f"{os.cpu_count()} cores, {mem / 2**30:.1f} GiB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}, {git_v}"
    )


def compile_bytecode() -> None:
    """Compile gitmetrics to bytecode, as installing the package does (pip compiles it):
    with PYTHONDONTWRITEBYTECODE=1 set, every timed process would otherwise compile
    gitmetrics from source while its dependencies' bytecode came with their install."""
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parent / "gitmetrics")], check=True)


def main() -> None:
    compile_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs (under 2 min)")
    parser.add_argument(
        "--only",
        default="parse,collect,commit,history,size,dashboard,views,help",
        help="comma-separated groups to run (derive: the dashboard group's commit rows only)",
    )
    parser.add_argument(
        "--parse",
        default=None,
        help="comma-separated reports of the parse group (default all): "
        + ", ".join([*gen.REPORTS, *gen.PARSE_ONLY]),
    )
    args = parser.parse_args()
    what = set(args.only.split(","))
    kinds = set(args.parse.split(",")) if args.parse else None
    if kinds and kinds - {*gen.REPORTS, *gen.PARSE_ONLY}:
        parser.error(
            f"unknown report for --parse: {', '.join(sorted(kinds - {*gen.REPORTS, *gen.PARSE_ONLY}))}"
        )
    started = time.perf_counter()
    print(
        f"gitmetrics benchmarks ({'quick' if args.quick else 'full'}), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n{machine()}\n",
        flush=True,
    )
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])
    with tempfile.TemporaryDirectory(prefix="gitmetrics-bench-") as t:
        tmp = Path(t)
        if "help" in what:
            bench_help(tmp, args.quick)
        if "parse" in what:
            bench_parse(tmp, args.quick, kinds)
        if "collect" in what:
            bench_collect(tmp, args.quick)
        if what & {"commit", "history", "size"}:
            bench_store(tmp, args.quick, what)
        if what & {"dashboard", "derive"}:
            # derive: only the commit rows of the dashboard group
            bench_dashboard(tmp, args.quick, page="dashboard" in what)
        if "views" in what:
            bench_views(tmp, args.quick)
    print("\n| group | measure | gitmetrics | baseline | ratio |\n|---|---|---:|---:|---:|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
