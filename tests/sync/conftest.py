"""Helpers for the sync tests: stores, snapshots, and real git servers on 127.0.0.1.

Every server is started by a fixture on a free port of 127.0.0.1 and stopped by it:
- ``git daemon`` with receive-pack enabled (``git://``),
- ``git http-backend`` behind a small CGI server written here with http.server, which
  demands Basic auth with a known user name and token (smart HTTP over plain http://;
  gitmetrics sends a token over http:// only to 127.0.0.1/localhost),
- a fake ``ssh`` (a script given as GIT_SSH_COMMAND) that runs the git command locally.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import snapshot as snapmod
from gitmetrics import store as storemod
from gitmetrics.snapshot import RepoResult
from gitmetrics.store import Store
from tests.helpers import git

TOKEN = "tok-S3cr3t-5a9c1f0e7d"
USER = "ci-bot"


def snap(host: str, minute: int, second: int = 0, cov: float = 50.0) -> snapmod.Snapshot:
    """A small valid snapshot at 2026-01-01 00:<minute>:<second>Z."""
    r = RepoResult(
        name="alpha",
        role="lib",
        coverage=cov,
        files_tested=3,
        lines_covered=int(cov),
        lines_valid=100,
        format="lcov",
        report="lcov.info",
    )
    hour, minute = divmod(minute, 60)
    return snapmod.build(
        [r], host=host, timestamp=f"2026-01-01T{hour:02d}:{minute:02d}:{second:02d}Z"
    )


def collect(st: Store, host: str, minute: int, second: int = 0, retention: int = 30) -> str:
    """Commit one snapshot; returns its path in the tree."""
    return st.commit_snapshot(snap(host, minute, second), retention=retention).snapshot_path


def bare_remote(path: Path) -> Path:
    """An empty bare repository made by git itself."""
    git("init", "-q", "--bare", "--initial-branch=main", path)
    return path


def pushed_and_pulled(
    new_store: Callable[..., Store], remote: Any, count: int, *, retention: int = 30
) -> tuple[Store, Store]:
    """Stores ``a`` and ``b``: ``a`` collected minutes 1 to ``count`` and pushed them to
    ``remote``, ``b`` pulled them."""
    from gitmetrics.store import sync

    a, b = new_store("a"), new_store("b")
    for minute in range(1, count + 1):
        collect(a, "runner-a", minute)
    sync.push(a, remote, retention=retention)
    sync.pull(b, remote, retention=retention)
    return a, b


def without_root(st: Store) -> str:
    """Move the branch to a copy of its head with no parent: a history without the shared root.

    That is what a store made before stores had a shared root looks like (or one that was
    rewritten by hand); it shares no commit with any other store.
    """
    head = st.head()
    assert head is not None
    text = st.repo[head.encode()].message.decode()
    orphan = st.write_commit(st.files_at(head), [], text)
    git("update-ref", "refs/heads/main", orphan, head, cwd=st.path)
    assert git("rev-list", "main", cwd=st.path).split() == [orphan]
    return orphan


def snapshot_paths_in_history(gitdir: Path, ref: str = "main") -> set[str]:
    """Every snapshot file ever added on ``ref``, according to git log."""
    out = git(
        "--git-dir",
        gitdir,
        "log",
        "--no-renames",
        "--format=",
        "--name-only",
        "--diff-filter=A",
        ref,
    )
    return {line for line in out.splitlines() if line.startswith("snapshots/")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited early")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def new_store(tmp_path: Path) -> Iterator[object]:
    """Factory: ``new_store(name)`` creates a store under tmp_path (closed at the end)."""
    made: list[Store] = []

    def make(name: str, bare: bool = False) -> Store:
        st = storemod.init(tmp_path / name, bare=bare)
        made.append(st)
        return st

    yield make
    for st in made:
        st.close()


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``git daemon`` on 127.0.0.1 with receive-pack; yields (base URL, base directory)."""
    base = tmp_path / "daemon"
    base.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--informative-errors",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        yield f"git://127.0.0.1:{port}", base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _GitHTTP(BaseHTTPRequestHandler):
    """Smart HTTP: checks Basic auth, then runs ``git http-backend`` as a CGI."""

    root: Path
    token: str
    user: str
    seen_auth: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._body() if self.command == "POST" else b""
        auth = self.headers.get("Authorization", "")
        self.seen_auth.append(auth)
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        if auth != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": self.user,
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GATEWAY_INTERFACE": "CGI/1.1",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(
            ["git", "http-backend"], input=body, capture_output=True, env=env, check=False
        )
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = proc.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """Smart-HTTP git server on 127.0.0.1 demanding USER/TOKEN; yields (URL, root, auths)."""
    root = tmp_path / "http"
    root.mkdir()
    seen: list[str] = []
    handler = type(
        "Handler", (_GitHTTP,), {"root": root, "token": TOKEN, "user": USER, "seen_auth": seen}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


FAKE_SSH = """#!/bin/sh
# A stand-in for ssh: skips ssh's options, then runs the git command on this machine.
while [ $# -gt 0 ]; do
  case "$1" in
    -x|-T) shift ;;
    -p|-i|-l) shift 2 ;;
    -o) case "$2" in *GIT_PROTOCOL=*) export GIT_PROTOCOL="${2#*GIT_PROTOCOL=}" ;; esac; shift 2 ;;
    *) break ;;
  esac
done
echo "$1" >> "$FAKE_SSH_LOG"
shift
exec sh -c "$*"
"""


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """GIT_SSH_COMMAND pointing at a script that runs the remote git command locally."""
    script = tmp_path / "fake-ssh"
    script.write_text(FAKE_SSH)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "fake-ssh.log"
    monkeypatch.setenv("GIT_SSH_COMMAND", str(script))
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    return log


WORKER = Path(__file__).with_name("worker.py")


def run_worker(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``worker.py`` (collect then `gitmetrics push`) as a separate process."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def tree_of(gitdir: Path, ref: str = "main") -> str:
    return git("--git-dir", gitdir, "rev-parse", f"{ref}^{{tree}}").strip()


def copy_store(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
