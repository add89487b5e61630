"""push, pull, sync, clone and init --remote through the CLI, and where the token goes."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitmetrics.cli import common
from gitmetrics.store import Store
from gitmetrics.store import open_store as open_st
from tests.helpers import DOCS, ROOT_COMMIT, git, invoke
from tests.sync.conftest import TOKEN, USER, bare_remote, collect, free_port, without_root

NewStore = Callable[..., Store]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no repos.yaml here unless a test writes one
    monkeypatch.delenv("GITMETRICS_CONFIG", raising=False)
    monkeypatch.delenv("GITMETRICS_TOKEN", raising=False)
    # long temporary paths stay on one line, whatever the terminal of the test run
    monkeypatch.setattr(common.console, "width", 300)
    monkeypatch.setattr(common.console_err, "width", 300)
    return CliRunner()


def run(runner: CliRunner, *args: str | Path, code: int = 0) -> Any:
    result = invoke(*args)
    assert result.exit_code == code, result.output
    return result


def state(path: Path) -> dict[str, Any]:
    """What a user could see change in a store: refs, config, index and work tree."""
    refs = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=path)
    files = {
        str(p.relative_to(path)): p.read_bytes()
        for p in path.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    gitdir = path / ".git"
    return {
        "refs": refs,
        "head": (gitdir / "HEAD").read_bytes(),
        "config": (gitdir / "config").read_bytes(),
        "index": (gitdir / "index").read_bytes(),
        "files": files,
    }


def test_push_pull_sync_and_what_they_print(
    runner: CliRunner, new_store: NewStore, tmp_path: Path
) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    out = run(runner, "push", "--store", a.path, "--remote", bare).output
    assert (
        out.splitlines()
        == [
            f"Pushed to {bare}",
            "  received 0 commits (0 snapshots), sent 2 commits (1 snapshot)",  # and the root
            f"  head {a.head()[:10]}",  # type: ignore[index]
        ]
    )
    data = json.loads(run(runner, "pull", "--store", b.path, "--remote", bare, "--json").output)
    assert data["action"] == "pull" and data["fast_forward"] and data["commits_received"] == 1
    assert data["head"] == a.head() and data["collections_received"] == 1
    collect(a, "runner-a", 2)
    collect(b, "runner-b", 3)
    run(runner, "push", "--store", a.path, "--remote", bare)
    out = run(runner, "sync", "--store", b.path, "--remote", bare).output
    assert "received 1 commit (1 snapshot), sent 2 commits (1 snapshot)" in out
    assert "merged both histories" in out
    out = run(runner, "pull", "--store", a.path, "--remote", bare).output
    assert "fast-forward" in out and "received 2 commits (1 snapshot)" in out
    assert "already up to date" in run(runner, "sync", "--store", a.path, "--remote", bare).output
    history = json.loads(run(runner, "history", "--store", a.path, "--json").output)
    assert len(history) == 3


def test_clone_records_the_remote_and_init_remote(runner: CliRunner, tmp_path: Path) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    out = run(runner, "clone", bare, "first").output
    assert out.startswith("Cloned into first\n")  # an empty remote: a store at the shared root
    st = open_st(tmp_path / "first")
    assert st.head() == ROOT_COMMIT
    collect(st, "runner-a", 1)
    st.close()
    run(runner, "push", "--store", "first")  # the remote recorded by clone
    assert f"url = {bare}" in (tmp_path / "first/.git/config").read_text()
    data = json.loads(run(runner, "clone", bare, "second", "--json").output)
    assert data["collections_received"] == 1 and data["store"] == "second"
    assert (tmp_path / "second/latest.json").exists()
    # plain git agrees: the store is a normal clone of the remote
    assert git("rev-parse", "origin/main", cwd=tmp_path / "second").strip() == data["head"]
    run(runner, "clone", "remote.git", "fourth")  # a relative path is recorded absolute
    assert f"url = {bare}\n" in (tmp_path / "fourth/.git/config").read_text()
    out = run(runner, "init", "third", "--remote", bare).output
    assert "Metrics repository ready at third" in out and "fast-forward" in out
    assert (tmp_path / "third/latest.json").exists()
    err = run(runner, "clone", bare, "second", code=1).output
    assert "already exists and is not empty" in err


def test_remote_from_the_config(runner: CliRunner, tmp_path: Path) -> None:
    bare_remote(tmp_path / "shared" / "remote.git")
    (tmp_path / "repos.yaml").write_text(
        "store: metrics\nremote: shared/remote.git\nretention: 5\n"
        f"remote_username: {USER}\nrepos: []\n"
    )
    st = open_st_init(tmp_path / "metrics")
    collect(st, "runner-a", 1)
    st.close()
    out = run(runner, "push").output
    assert f"Pushed to {tmp_path / 'shared/remote.git'}" in out
    err = run(runner, "push", "--remote", "", code=1).output
    assert "the remote URL is empty" in err


def open_st_init(path: Path) -> Store:
    from gitmetrics import store as storemod

    return storemod.init(path)


def test_no_remote_at_all(runner: CliRunner, new_store: NewStore) -> None:
    st = new_store("a")
    err = run(runner, "push", "--store", st.path, code=1).output
    assert "no remote to sync with" in err and "gitmetrics clone" in err


def test_errors_exit_1_and_leave_the_store_alone(
    runner: CliRunner,
    new_store: NewStore,
    tmp_path: Path,
    http_server: tuple[str, Path, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, root, _ = http_server
    bare_remote(root / "metrics.git")
    other = new_store("other")
    collect(other, "elsewhere", 9)
    without_root(other)  # a history that shares no commit with st's
    unrelated = bare_remote(tmp_path / "unrelated.git")
    run(runner, "push", "--store", other.path, "--remote", unrelated)
    st = new_store("a")
    collect(st, "runner-a", 1)
    before = state(st.path)
    port = free_port()
    cases = [
        (["--remote", f"git://127.0.0.1:{port}/m.git"], "cannot reach the remote"),
        (["--remote", str(tmp_path / "nothing-here")], "no git repository there"),
        (["--remote", unrelated], "history is unrelated"),
        (["--remote", f"{url}/metrics.git", "--username", USER], "authentication failed"),
    ]
    monkeypatch.setenv("GITMETRICS_TOKEN", "wrong-token-4711")
    for args, message in cases:
        for command in ("push", "pull", "sync"):
            result = run(runner, command, "--store", st.path, *args, code=1)
            assert message in result.output, (command, args)
            assert "Traceback" not in result.output and "wrong-token-4711" not in result.output
            assert state(st.path) == before


def test_the_token_never_shows(
    runner: CliRunner,
    new_store: NewStore,
    tmp_path: Path,
    http_server: tuple[str, Path, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url, root, seen = http_server
    bare = bare_remote(root / "metrics.git")
    remote = f"{url}/metrics.git"
    monkeypatch.setenv("GITMETRICS_TOKEN", TOKEN)
    (tmp_path / "repos.yaml").write_text(
        f"store: a\nremote: {remote}\nremote_username: {USER}\nrepos: []\n"
    )
    outputs = []
    st = new_store("a")
    collect(st, "runner-a", 1)
    outputs.append(run(runner, "push").output)
    outputs.append(run(runner, "clone", remote, "b", "--username", USER, "--json").output)
    b = open_st(tmp_path / "b")
    collect(b, "runner-b", 2)
    b.close()
    collect(st, "runner-a", 3)
    outputs.append(run(runner, "push").output)
    outputs.append(run(runner, "sync", "--store", "b", "--username", USER, "--json").output)
    outputs.append(run(runner, "pull").output)
    outputs.append(run(runner, "pull", "--username", "somebody-else", code=1).output)
    outputs.append(run(runner, "history", "--store", "b").output)
    assert any(TOKEN not in a and a for a in seen)  # the server did receive it, encoded
    for text in [*outputs, caplog.text]:
        assert TOKEN not in text
    for path in (tmp_path / "a", tmp_path / "b", bare):
        for f in path.rglob("*"):
            if f.is_file():
                assert TOKEN.encode() not in f.read_bytes(), f
        gitdir = path / ".git" if (path / ".git").exists() else path
        objects = subprocess.run(
            ["git", "--git-dir", str(gitdir), "cat-file", "--batch-all-objects", "--batch"],
            capture_output=True,
            check=True,
        ).stdout
        assert objects and TOKEN.encode() not in objects
    config = (tmp_path / "b/.git/config").read_text()
    assert f"url = {remote}\n" in config and TOKEN not in config


def test_every_sync_command_has_help(runner: CliRunner) -> None:
    for command in ("push", "pull", "sync", "clone"):
        out = run(runner, command, "--help").output
        assert "--json" in out
    assert "--remote" in run(runner, "init", "--help").output
    readme = (DOCS / "sync.md").read_text()
    assert "# Sync between machines\n" in readme
    for command in ("push", "pull", "sync", "clone", "init --remote"):
        assert f"gitmetrics {command}" in readme
