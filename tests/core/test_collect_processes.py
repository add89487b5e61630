"""Big reports are parsed in worker processes: the same results as in one process, a pool
that cannot run falls back to parsing here, and an interrupted collect leaves no worker."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitmetrics import collect, config
from tests.helpers import git, realworld

#: real reports of several formats, 50 KB to 1.6 MB
BIG = [
    ("rust-llvmcov-lcov-bigbits/lcov.info", "lcov.info"),
    ("coverlet-cobertura-edlib/coverage.cobertura.xml", "coverage.xml"),
    ("jacoco-gradle-closure/jacocoTestReport.xml", "jacoco.xml"),
    ("gcovr5-cobertura/coverage.gcovr.xml", "coverage.xml"),
    ("coverlet-opencover-aspnet/coverage.opencover.xml", "coverage.opencover.xml"),
]


def workspace(tmp: Path, copies: int = 2) -> Path:
    """A repos.yaml of ``copies`` x the big real reports, one repository each."""
    base = realworld()
    if base is None:
        pytest.skip("../shared/realworld is not on this machine")
    lines = ["store: metrics", "repos:"]
    for n in range(copies):
        for i, (case, name) in enumerate(BIG):
            repo = tmp / f"r{n}-{i}"
            repo.mkdir()
            shutil.copy(base / "cases" / case, repo / name)
            lines.append(f"  - name: r{n}-{i}\n    path: r{n}-{i}\n    coverage: {name}")
    cfg = tmp / "repos.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


@pytest.mark.slow
def test_worker_processes_give_what_one_process_gives(tmp_path: Path) -> None:
    cfg = config.load(workspace(tmp_path))
    one = collect.collect_all(cfg, cfg.repos, options=collect.Options(jobs=1))
    parsers = collect.Parsers(2, 0)
    many = [collect.collect_one(cfg, r, parsers=parsers) for r in cfg.repos]
    assert parsers._pool is not None and not parsers.broken  # the workers did the parsing
    parsers.close()
    assert len(many) == len(one.repositories) == 10
    for a, b in zip(one.repositories, many, strict=True):
        assert a.ok and b.ok, (a.error, b.error)
        assert (a.lines_covered, a.lines_valid, a.branches_covered, a.branches_valid) == (
            b.lines_covered,
            b.lines_valid,
            b.branches_covered,
            b.branches_valid,
        )
        assert a.detail == b.detail and a.reports == b.reports and a.warnings == b.warnings


@pytest.mark.slow
def test_a_report_that_fails_in_a_worker_fails_as_it_does_here(tmp_path: Path) -> None:
    cfg_path = workspace(tmp_path, copies=1)
    bad = tmp_path / "r0-0" / "lcov.info"
    bad.write_bytes(bad.read_bytes()[:40_000] + b"\x00garbage\nDA:x,y\n")
    cfg = config.load(cfg_path)
    here = collect.collect_one(cfg, cfg.repos[0])
    parsers = collect.Parsers(2, 0)
    there = collect.collect_one(cfg, cfg.repos[0], parsers=parsers)
    assert parsers._pool is not None
    parsers.close()
    assert here.status == there.status == "error"
    assert here.error == there.error and "lcov.info" in (here.error or "")


def test_a_pool_that_cannot_start_falls_back_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    cfg = config.load(workspace(tmp_path, copies=1))

    def broken(self: collect.Parsers) -> object:
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(collect.Parsers, "_processes", broken)
    parsers = collect.Parsers(2, 0)
    results = [collect.collect_one(cfg, r, parsers=parsers) for r in cfg.repos]
    assert parsers.broken and all(r.ok for r in results)


@pytest.mark.slow
def test_an_interrupted_collect_leaves_no_worker_and_no_commit(tmp_path: Path) -> None:
    cfg = workspace(tmp_path, copies=12)  # enough work to be interrupted in the middle
    exe = Path(sys.executable).with_name("gitmetrics")
    proc = subprocess.Popen(
        [str(exe), "collect", "-c", str(cfg), "--jobs", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline and not workers:
        time.sleep(0.05)
        workers = _children(proc.pid)
    assert workers, "no worker process was started"
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err, err.decode()
    time.sleep(0.5)
    left = [p for p in _group(proc.pid) if p != proc.pid]
    assert not left, f"worker processes left running: {left}"
    store = tmp_path / "metrics"
    if (store / ".git").exists():
        assert git("-C", store, "rev-list", "--all").strip() == ""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _group(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_small_reports_of_a_small_collect_stay_here(tmp_path: Path) -> None:
    """In a small collect, small reports stay in this process: no pool is started."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "lcov.info").write_text("SF:a.py\nDA:1,1\nDA:2,0\nend_of_record\n")
    cfg_path = tmp_path / "repos.yaml"
    cfg_path.write_text("store: metrics\nrepos:\n  - name: a\n    path: a\n")
    cfg = config.load(cfg_path)
    parsers = collect.Parsers(2)
    r = collect.collect_one(cfg, cfg.repos[0], parsers=parsers)
    assert r.ok and parsers._pool is None
    assert json.loads(r.detail or b"{}")["files"][0]["covered"] == "1"
