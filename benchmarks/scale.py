"""Provenance, clone/pull, gc and start-up against git and a bare typer app (issue 19).

    python benchmarks/scale.py [--quick] [--only provenance,sync,gc,startup]

One Markdown table; every figure is a ratio to a baseline measured in the same run on the
same inputs. Inputs are built under a temp dir that is removed at the end:

- provenance: a 20,000-file git repository; ``source_of`` (in this process, as collect
  calls it) against ``git status -uno --porcelain``;
- sync: a store of 10,000 collections (``--quick``: 2,000) of 10 repositories, cloned,
  then pulled one newer collection (into a copy of the clone) and 500, then one pushed,
  over a local path and over a real ``git daemon`` on 127.0.0.1, against ``git clone
  --no-local``, ``git pull --ff-only`` and ``git push``;
- gc: the synthetic 1,000 x 100 store (loose, as gitmetrics leaves it) and a small real
  store written by ``gitmetrics collect`` from the real reports of ``examples/`` and
  ``../shared/realworld`` (11 repositories, 30 collections, reports swapped between
  collections); CPU is user+system of the process and its children, memory its peak RSS;
- startup: ``gitmetrics --help`` and ``gitmetrics history --limit 10`` against a bare
  typer app with as many commands.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import gen  # noqa: E402
from run import compile_bytecode, median, ms, x  # noqa: E402  (one set of figure helpers for every table)

PY = sys.executable
CLI = [PY, "-c", "import sys; from gitmetrics.cli import main; sys.argv[0] = 'gitmetrics'; main()"]
REALWORLD = ROOT.parent / "shared" / "realworld"
ROWS: list[tuple[str, str, str, str, str]] = []


def row(group: str, what: str, ours: str, base: str, ratio: str) -> None:
    ROWS.append((group, what, ours, base, ratio))
    print(f"  {group:10} {what:60} {ours:>12} {base:>12} {ratio:>8}", flush=True)


def measured(args: list[str | Path], cwd: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user+system, children included) and peak RSS (bytes).

    Run through /usr/bin/time, a small process: ru_maxrss survives exec on Linux, so a
    child forked straight from this (large) process would report this one's peak.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        t = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-o", out.name, "-f", "%U %S %M", *map(str, args)],
            cwd=cwd,
            capture_output=True,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError(f"{args} failed: {proc.stderr.decode()}")
        user, system, kb = Path(out.name).read_text().split()[-3:]
    return wall, float(user) + float(system), int(kb) * 1024


# --- provenance ----------------------------------------------------------------------


def source_repo(path: Path, files: int) -> None:
    """A git repository of ``files`` small files in nested directories, committed."""
    gen.git("init", "-q", "-b", "main", str(path))
    for i in range(files):
        d = path / f"pkg{i % 40:02d}" / f"mod{i % 25:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"file{i:05d}.py").write_text(f"# file {i}\nVALUE = {i}\n")
    gen.git("add", "-A", cwd=path)
    gen.git("-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "-m", "init", cwd=path)


def bench_provenance(tmp: Path, quick: bool) -> None:
    from gitmetrics.store.provenance import source_of

    n = 20_000
    path = tmp / "source"
    source_repo(path, n)
    (path / "coverage.xml").write_text("<coverage/>")  # untracked, as a fresh report is
    repeat = 5 if quick else 9

    def git_status() -> None:
        gen.git("status", "-uno", "--porcelain", cwd=path)

    git_status()
    for label in ("clean", "one tracked file changed"):
        if label != "clean":
            target = path / "pkg00" / "mod00" / "file00000.py"
            target.write_text("# changed\n")
        first = median(lambda: source_of(path), 1)
        mine, git = [], []
        for _ in range(repeat):  # interleaved: the machine's load hits both alike
            mine.append(median(lambda: source_of(path), 1))
            git.append(median(git_status, 1))
        ours, theirs = statistics.median(mine), statistics.median(git)
        got = source_of(path)
        assert got is not None and got.dirty == (label != "clean"), got
        row(
            "provenance",
            f"source_of, {n:,} files, {label} (vs git status -uno)",
            ms(ours),
            ms(theirs),
            x(ours, theirs),
        )
        row(
            "provenance",
            "  the same, first call in the process (vs git status -uno)",
            ms(first),
            ms(theirs),
            x(first, theirs),
        )
    shutil.rmtree(path)


# --- sync: clone and pull ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_daemon(base: Path, *, push: bool = False) -> tuple[subprocess.Popen[bytes], int]:
    """A real ``git daemon`` on 127.0.0.1 serving ``base`` (``push``: receive-pack too)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            *(["--enable=receive-pack"] if push else []),
            f"--base-path={base}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("git daemon did not start")


def bench_sync(tmp: Path, quick: bool) -> None:
    n, new = (2000, 500) if quick else (10_000, 500)
    remotes = tmp / "remotes"
    remotes.mkdir()
    full = remotes / "full.git"
    gen.store(full, 10, n + new, retention=30, bare=True)
    older = remotes / "older.git"
    shutil.copytree(full, older, symlinks=True)
    old_head = gen.git("rev-parse", f"main~{new}", cwd=full).decode().strip()
    gen.git("update-ref", "refs/heads/main", old_head, cwd=older)
    one = remotes / "one.git"  # one collection ahead of older.git: the everyday pull
    shutil.copytree(older, one, symlinks=True)
    one_head = gen.git("rev-parse", f"main~{new - 1}", cwd=full).decode().strip()
    gen.git("update-ref", "refs/heads/main", one_head, cwd=one)
    daemon, port = start_daemon(remotes, push=True)
    try:
        for kind, where in (
            ("local", lambda name: str(remotes / name)),
            ("daemon", lambda name: f"git://127.0.0.1:{port}/{name}"),
        ):
            sync_rows(tmp, kind, where, n, new)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait()


def sync_rows(tmp: Path, kind: str, where: Callable[[str], str], n: int, new: int) -> None:
    clone_url = where("older.git")
    ours_t, theirs_t, pull_ours, pull_theirs = [], [], [], []
    one_ours: list[float] = []
    one_theirs: list[float] = []
    push_ours: list[float] = []
    push_theirs: list[float] = []
    for attempt in range(3):
        mine, theirs = tmp / f"{kind}-mine-{attempt}", tmp / f"{kind}-git-{attempt}"
        w, _, _ = measured([*CLI, "clone", clone_url, mine])
        ours_t.append(w)
        extra = ["--no-local"] if kind == "local" else []
        w, _, _ = measured(["git", "clone", "-q", *extra, clone_url, theirs])
        theirs_t.append(w)
        # the remote moves on by one collection: both pull it into a copy of their clone
        for side, clone in (("ours", mine), ("theirs", theirs)):
            copy = clone.with_name(clone.name + "-one")
            shutil.copytree(clone, copy, symlinks=True)
            if side == "ours":
                w, _, _ = measured([*CLI, "pull", "--remote", where("one.git"), "--store", copy])
                one_ours.append(w)
            else:
                args = ["git", "pull", "-q", "--ff-only", where("one.git"), "main"]
                w, _, _ = measured(args, cwd=copy)
                one_theirs.append(w)
            shutil.rmtree(copy)
        # the remote moves on by `new` collections: both pull from the full store
        full = where("full.git")
        w, _, _ = measured([*CLI, "pull", "--remote", full, "--store", mine])
        pull_ours.append(w)
        w, _, _ = measured(["git", "pull", "-q", "--ff-only", full, "main"], cwd=theirs)
        pull_theirs.append(w)
        assert gen.git("rev-parse", "HEAD", cwd=mine) == gen.git("rev-parse", "HEAD", cwd=theirs)
        # one new collection pushed into the full store: ours, and git pushing the same
        # commit from the same store to another copy of the remote
        commit_one(mine, attempt)
        remotes = tmp / "remotes"
        for name in ("push-ours.git", "push-git.git"):
            shutil.rmtree(remotes / name, ignore_errors=True)
            shutil.copytree(remotes / "full.git", remotes / name, symlinks=True)
        w, _, _ = measured([*CLI, "push", "--remote", where("push-ours.git"), "--store", mine])
        push_ours.append(w)
        w, _, _ = measured(["git", "push", "-q", where("push-git.git"), "main"], cwd=mine)
        push_theirs.append(w)
        shutil.rmtree(mine)
        shutil.rmtree(theirs)
    a, b = statistics.median(push_ours), statistics.median(push_theirs)
    row("sync", f"push 1 collection into {n + new:,}, {kind} (vs git push)", ms(a), ms(b), x(a, b))
    a, b = statistics.median(ours_t), statistics.median(theirs_t)
    row("sync", f"clone {n:,} collections, {kind} (vs git clone)", ms(a), ms(b), x(a, b))
    a, b = statistics.median(one_ours), statistics.median(one_theirs)
    row("sync", f"pull 1 new collection, {kind} (vs git pull --ff-only)", ms(a), ms(b), x(a, b))
    a, b = statistics.median(pull_ours), statistics.median(pull_theirs)
    row(
        "sync", f"pull {new} new collections, {kind} (vs git pull --ff-only)", ms(a), ms(b), x(a, b)
    )


def commit_one(path: Path, attempt: int) -> None:
    """One more collection in the store at ``path``: its state again, from another host."""
    from gitmetrics import snapshot, store

    st = store.open_store(path)
    try:
        head = st.head()
        state = st.state(head) if head is not None else None
        assert state is not None
        snap = snapshot.build(
            list(state.repositories), host=f"pusher{attempt}", timestamp="2031-01-01T00:00:00Z"
        )
        st.commit_snapshot(snap, retention=30)
    finally:
        st.close()


# --- gc ------------------------------------------------------------------------------------


def real_store(tmp: Path, collections: int) -> Path:
    """A store written by `gitmetrics collect` from real reports, swapped between runs."""
    manifest = json.loads((REALWORLD / "manifest.json").read_text())
    known = {"cobertura", "lcov", "jacoco", "clover"}
    cases = [c for c in manifest["cases"] if c["format"] in known]
    examples = [
        ("inventory-api", "coverage.json"),
        ("billing-web", "coverage/lcov.info"),
        ("geometry-c", "coverage.xml"),
        ("legacy-tools", "coverage.xml"),
    ]
    rng = random.Random(19)
    base = tmp / "real"
    base.mkdir()
    repos = []
    for name, report in examples:
        repos.append((name, report, [ROOT / "examples" / name / report]))
    by_format: dict[str, list[Path]] = {}
    for c in cases:
        by_format.setdefault(c["format"], []).append(REALWORLD / c["file"])
    for i in range(7):
        fmt = sorted(by_format)[i % len(by_format)]
        choices = by_format[fmt]
        report = f"report-{fmt}.{'info' if fmt == 'lcov' else 'xml'}"
        repos.append((f"real-{i}", report, choices[i // len(by_format) :] + choices))
    lines = ["store: metrics", "retention: 30", "repos:"]
    for name, report, _ in repos:
        d = base / name
        d.mkdir()
        gen.git("init", "-q", "-b", "main", str(d))
        lines += [f"  - name: {name}", f"    path: {name}", f"    coverage: {report}"]
    config = base / "repos.yaml"
    config.write_text("\n".join(lines) + "\n")
    for k in range(collections):
        for name, report, choices in repos:
            d = base / name
            if k == 0 or rng.random() < 0.3:  # a new commit and another real report
                src = choices[0] if k == 0 else rng.choice(choices)
                (d / report).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, d / report)
                (d / "src.txt").write_text(f"{name} {k}\n")
                gen.git("add", "-A", cwd=d)
                gen.git(
                    "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "-m", "c", cwd=d
                )
        subprocess.run([*CLI, "collect", "-c", str(config)], check=True, capture_output=True)
    return base / "metrics"


def bench_gc(tmp: Path, quick: bool) -> None:
    synthetic = tmp / "gc-synthetic"
    n = 300 if quick else 1000
    gen.store(synthetic, 100, n, retention=30)
    gen.unpack(synthetic)
    real = real_store(tmp, 30)
    for label, path in ((f"synthetic {n:,} x 100", synthetic), ("real 30 x 11", real)):
        copy = path.with_name(path.name + "-git")
        shutil.copytree(path, copy, symlinks=True)
        _, g_cpu, g_rss = measured(["git", "gc", "-q", "--prune=now"], cwd=copy)
        git_size = gen.apparent(copy)
        _, o_cpu, o_rss = measured([*CLI, "gc", "--store", path])
        ours = gen.apparent(path)
        gen.git("fsck", "--strict", "--no-progress", cwd=path)
        row("gc", f"{label}: CPU (vs git gc)", ms(o_cpu), ms(g_cpu), x(o_cpu, g_cpu))
        row(
            "gc",
            f"{label}: peak memory (vs git gc)",
            f"{o_rss / 1e6:,.1f} MB",
            f"{g_rss / 1e6:,.1f} MB",
            x(o_rss, g_rss),
        )
        row(
            "gc",
            f"{label}: objects size (vs git gc)",
            f"{ours / 1e3:,.1f} KB",
            f"{git_size / 1e3:,.1f} KB",
            x(ours, git_size),
        )
        shutil.rmtree(copy)


# --- startup -------------------------------------------------------------------------------


def bare_typer(commands: int) -> str:
    lines = ["import typer", "app = typer.Typer()"]
    for i in range(commands):
        lines += [
            "@app.command()",
            f"def cmd{i}(name: str = typer.Option('x', help='A name.')) -> None:",
            f"    'Command {i}.'",
            "    print(name)",
        ]
    lines += ["if __name__ == '__main__':", "    app()"]
    return "\n".join(lines) + "\n"


def bench_startup(tmp: Path, quick: bool) -> None:
    from gitmetrics.cli import app

    count = len(app.registered_commands)
    script = tmp / "bare_typer.py"
    script.write_text(bare_typer(count))
    compile_bytecode()  # both sides start from bytecode
    store = tmp / "startup-store"
    gen.store(store, 10, 1000, retention=30)
    repeat = 7 if quick else 15

    def run(*args: str | Path) -> Callable[[], None]:
        return lambda: subprocess.run([*map(str, args)], capture_output=True, check=True)

    cases = [
        ("--help", run(*CLI, "--help"), run(PY, script, "--help")),
        (
            "history --limit 10",
            run(*CLI, "history", "--limit", "10", "--store", store),
            run(PY, script, "cmd0", "--name", "y"),
        ),
    ]
    for label, ours, bare in cases:
        ours(), bare()  # warm the page cache and .pyc files
        samples: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}
        for _ in range(repeat):  # interleaved: the machine's load hits both alike
            for side, fn in (("ours", ours), ("bare", bare)):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall = median(fn, 1)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                samples[side].append((wall, cpu))
        for i, what in ((0, "wall"), (1, "CPU")):
            a = statistics.median(t[i] for t in samples["ours"])
            b = statistics.median(t[i] for t in samples["bare"])
            row(
                "startup",
                f"`gitmetrics {label}` vs a bare typer app of {count} commands, {what}",
                ms(a),
                ms(b),
                x(a, b),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="provenance,sync,gc,startup")
    parser.add_argument(
        "--realworld", type=Path, default=REALWORLD, help="the shared real-world reports"
    )
    args = parser.parse_args()
    globals()["REALWORLD"] = args.realworld
    what = set(args.only.split(","))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gitmetrics-scale-") as t:
        tmp = Path(t)
        if "startup" in what:
            bench_startup(tmp, args.quick)
        if "provenance" in what:
            bench_provenance(tmp, args.quick)
        if "sync" in what:
            bench_sync(tmp, args.quick)
        if "gc" in what:
            bench_gc(tmp, args.quick)
    print("\n| group | measure | gitmetrics | baseline | ratio |\n|---|---|---:|---:|---:|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")
    print(
        f"\ntotal {time.perf_counter() - started:.0f} s, {resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime:.0f} s CPU in children"
    )


if __name__ == "__main__":
    main()
