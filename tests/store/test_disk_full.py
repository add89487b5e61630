"""A full or read-only disk under the store: one-line errors, a valid store, nothing lost.

The store lives on a small tmpfs mounted for the test (root only; skipped elsewhere), filled
to many levels of free space, so the failure lands at every step of a collection: the lock,
the objects, the branch move, the work tree after the commit.
"""

from __future__ import annotations

import errno
import gc
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gitmetrics.errors import os_problem
from tests.helpers import fsck, git, invoke

runner = CliRunner()
#: free bytes left on the file system before each collection; tmpfs counts whole pages
LEVELS = range(0, 132 * 1024, 4096)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted afterwards."""
    mount = tmp_path / "fs"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        gc.collect()  # dulwich's open files of stores a failed command left unclosed
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _workspace(root: Path, store: Path) -> Path:
    for name in ("api", "web", "cli"):
        (root / name).mkdir()
        _report(root / name, 1)
    config = root / "repos.yaml"
    config.write_text(
        f"store: {store}\ndashboard: true\nretention: 0\nrepos:\n"
        + "".join(
            f"  - {{name: {n}, path: {n}, coverage: lcov.info, role: service}}\n"
            for n in ("api", "web", "cli")
        )
    )
    return config


def _report(repo: Path, variant: int) -> None:
    lines = "".join(f"DA:{i},{(i * variant) % 3}\n" for i in range(1, 120))
    (repo / "lcov.info").write_text(f"SF:src/main.py\n{lines}end_of_record\n")


def _fill(mount: Path, leave: int) -> Path:
    """A file that leaves ``leave`` bytes free on ``mount``."""
    filler = mount / "filler"
    filler.unlink(missing_ok=True)
    st = os.statvfs(mount)
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def _head(store: Path) -> str:
    return git("-C", store, "rev-parse", "HEAD").strip()


def _leftovers(store: Path) -> list[str]:
    locks = [p for p in (store / ".git").rglob("*.lock") if p.name != "gitmetrics.lock"]
    temps = [p for p in store.rglob(".*.gitmetrics-tmp") if ".git" not in p.parts]
    return [str(p) for p in locks + temps]


def _one_line_error(result: Result) -> str:
    """The error line; the only other line is its hint."""
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("  hint: "), result.stderr
    return lines[0]


@pytest.mark.slow
def test_collect_on_a_filling_disk(small_fs: Path, tmp_path: Path) -> None:
    store = small_fs / "metrics"
    config = _workspace(tmp_path, store)
    assert invoke("collect", "-c", config).exit_code == 0
    landed = [_head(store)]
    before_commit = after_commit = 0
    for i, leave in enumerate(LEVELS, start=2):
        _report(tmp_path / "api", i)  # new figures: every collection is a new commit
        filler = _fill(small_fs, leave)
        old = _head(store)
        result = invoke("collect", "-c", config)
        new = _head(store)
        if new != old:
            landed.append(new)
        if result.exit_code != 0:
            assert result.exit_code == 1
            line = _one_line_error(result)
            assert "No space left on device" in line and str(store) in line
            if new != old:
                after_commit += 1
                assert f"the collection is committed as {new[:10]}" in line
                assert f"gitmetrics init {store}" in result.stderr
            else:
                before_commit += 1
                assert "committed" not in line
                assert "run `gitmetrics collect` again" in result.stderr
        fsck(store)
        assert _leftovers(store) == []
        filler.unlink()
        if after_commit == 1 and new != old and result.exit_code:
            # the first time the work tree is behind, `init` brings it up to date
            assert invoke("init", store).exit_code == 0
            assert git("-C", store, "status", "--porcelain") == ""
    # the sweep reached every kind of failure (else it proves less than it claims)
    assert before_commit >= 3 and after_commit >= 2, (before_commit, after_commit)

    _report(tmp_path / "api", 999)
    assert invoke("collect", "-c", config).exit_code == 0
    history = git("-C", store, "log", "--format=%H").split()
    assert set(landed) <= set(history) and history[0] not in landed
    assert git("-C", store, "status", "--porcelain") == ""  # the work tree caught up
    fsck(store)


def test_a_read_only_store_is_a_one_line_error(small_fs: Path, tmp_path: Path) -> None:
    store = small_fs / "metrics"
    config = _workspace(tmp_path, store)
    assert invoke("collect", "-c", config).exit_code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        _report(tmp_path / "api", 2)
        result = invoke("collect", "-c", config)
        assert result.exit_code == 1
        line = _one_line_error(result)
        assert "Read-only file system" in line and str(store) in line
        assert "the file system is read-only" in result.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    fsck(store)
    assert invoke("collect", "-c", config).exit_code == 0


def test_an_error_that_names_no_file_names_the_place_given() -> None:
    problem, fix = os_problem(OSError(errno.ENOSPC, "No space left on device"), "/srv/metrics")
    assert problem == "/srv/metrics: No space left on device"
    assert fix == "free space on the file system that holds it"
    named = OSError(errno.EDQUOT, "Disk quota exceeded", "/srv/metrics/README.md")
    assert os_problem(named, "/srv/metrics")[0] == "/srv/metrics/README.md: Disk quota exceeded"
    assert os_problem(OSError("odd\nerror"))[0] == "odd error"


def test_an_issues_file_on_a_full_disk_says_the_collection_landed(
    small_fs: Path, tmp_path: Path
) -> None:
    store = tmp_path / "metrics"
    config = _workspace(tmp_path, store)
    issues = small_fs / "issues.yaml"
    config.write_text(config.read_text() + f"issues_file: {issues}\n")
    _fill(small_fs, 0)
    result = invoke("collect", "-c", config, "--create-issues")
    assert result.exit_code == 1
    line = _one_line_error(result)
    head = _head(store)
    assert line.startswith(f"error: {issues}: No space left on device; ")
    assert f"the collection is committed as {head[:10]}, but the issues file {issues}" in line
    assert "run `gitmetrics collect --create-issues` again" in result.stderr
    assert git("-C", store, "status", "--porcelain") == ""
    assert not issues.exists() and list(small_fs.glob(".issues.yaml.*")) == []
