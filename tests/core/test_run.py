"""`collect --run` is contained: no secrets in the child, nothing it started survives, a
bounded log. Real commands, real processes, checked by PID through /proc."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitmetrics import _contain, command, config
from gitmetrics.errors import ConfigError
from tests.helpers import invoke

REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "lcov" / "c8" / "lcov.info"
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

# Starts what a test suite may leave behind, each writing its own PID, then waits until
# all have: a background child, a `setsid` daemon (its own session and group) and a
# double-fork daemon whose parent exits at once (it belongs to nobody in the tree).
SPAWN = """\
echo $$ > main.pid
sleep 1000 & echo $! > bg.pid
setsid sh -c 'echo $$ > daemon.pid; exec sleep 1000' &
sh -c "setsid sh -c 'echo \\$\\$ > double.pid; exec sleep 1000' &"
while ! [ -s bg.pid ] || ! [ -s daemon.pid ] || ! [ -s double.pid ]; do sleep 0.02; done
"""
PIDS = ("main", "bg", "daemon", "double")


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _pids(repo: Path) -> dict[str, int]:
    return {name: int((repo / f"{name}.pid").read_text()) for name in PIDS}


def _running_in(directory: Path) -> list[int]:
    """Live processes whose working directory is inside ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = (entry / "cwd").readlink()
        except OSError:
            continue
        if cwd.is_relative_to(directory) and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _assert_all_gone(tmp_path: Path, pids: dict[str, int]) -> None:
    """None of ``pids`` lives, and nothing else runs in ``tmp_path`` (e.g. the keeper)."""
    assert [name for name, pid in pids.items() if _alive(pid)] == []
    assert _running_in(tmp_path) == []


def _setup(tmp_path: Path, entry: str, top: str = "", script: str = "") -> Path:
    """A config with one repo ``app``; ``script`` is written to app/run.sh."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "run.sh").write_text(script)
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(f"{top}repos:\n  - {{name: app, path: app, coverage: out.info, {entry}}}\n")
    return cfg


def _collect(cfg: Path) -> dict[str, object]:
    result = invoke("collect", "-c", str(cfg), "--run", "--dry-run", "--json")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data = json.loads(result.stdout)
    (repo,) = data["snapshot"]["repositories"]
    return dict(repo)


@pytest.fixture(autouse=True)
def _logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITMETRICS_LOG_DIR", str(tmp_path / "logs"))


# --- the environment ------------------------------------------------------------------


def test_the_child_gets_no_secret_and_what_pass_env_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "GITMETRICS_TOKEN": "tok-123",
        "GITMETRICS_SMTP_PASSWORD": "smtp-456",
        "MAIL_PASSWORD": "mail-789",  # named by notify.email.password_env
        "HOOK_TOKEN": "hook-000",  # named by a webhook's token_env
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SHARED_SETTING", "kept")
    monkeypatch.setenv("REPO_SETTING", "kept too")
    monkeypatch.setenv("GITMETRICS_FEATURE", "asked for")
    top = (
        "pass_env: [SHARED_SETTING]\n"
        "notify:\n"
        "  email: {host: smtp.example.invalid, from: a@b.c, to: d@e.f, username: u,"
        " password_env: MAIL_PASSWORD}\n"
        "  webhooks:\n"
        "    - {url: 'https://hooks.example.invalid/x', token_env: HOOK_TOKEN}\n"
    )
    cfg = _setup(
        tmp_path,
        f"command: 'env -0 > env.bin; cp {REPORT} out.info',"
        " pass_env: [REPO_SETTING, GITMETRICS_FEATURE]",
        top,
    )
    repo = _collect(cfg)
    assert repo["status"] == "ok", repo
    env = dict(
        item.split("=", 1)
        for item in (tmp_path / "app" / "env.bin").read_text().split("\0")
        if "=" in item
    )
    for name, value in secrets.items():
        assert name not in env
        assert value not in "".join(env.values())
    assert env["SHARED_SETTING"] == "kept" and env["REPO_SETTING"] == "kept too"
    assert env["GITMETRICS_FEATURE"] == "asked for"  # pass_env wins over the deny list
    assert env["PATH"] == os.environ["PATH"]
    assert "GITMETRICS_LOG_DIR" not in env


def test_child_env_merges_the_global_and_the_repo_lists(tmp_path: Path) -> None:
    path = tmp_path / "repos.yaml"
    path.write_text(
        "pass_env: [GITMETRICS_A]\nrepos:\n"
        "  - {name: x, path: x, pass_env: [GITMETRICS_B, GITMETRICS_A]}\n"
        "  - {name: y, path: y}\n"
    )
    cfg = config.load(path)
    environ = {"GITMETRICS_A": "1", "GITMETRICS_B": "2", "C": "3", "GITMETRICS_TOKEN": "t"}
    assert cfg.repos[0].pass_env == ("GITMETRICS_A", "GITMETRICS_B")
    assert command.child_env(cfg, cfg.repos[0], environ) == {
        "GITMETRICS_A": "1",
        "GITMETRICS_B": "2",
        "C": "3",
    }
    assert command.child_env(cfg, cfg.repos[1], environ) == {"GITMETRICS_A": "1", "C": "3"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pass_env: HOME\n", "repos.yaml:1: pass_env: must be a list, not str"),
        (
            "pass_env: [ok, 'not a name']\n",
            "repos.yaml:1: pass_env[1]: 'not a name' does not match",
        ),
        ("log_max_bytes: 10\n", "repos.yaml:1: log_max_bytes: 10 is out of range (minimum 1024)"),
        ("log_max_bytes: 1MB\n", "repos.yaml:1: log_max_bytes: must be a whole number, not str"),
        (
            "repos:\n  - {name: a, path: a, pass_env: [1]}\n",
            "repos.yaml:2: repos[0].pass_env[0]: must be a string, not int",
        ),
        (
            "repos:\n  - {name: a, path: a, log_max_bytes: -1}\n",
            "repos.yaml:2: repos[0].log_max_bytes: -1 is out of range",
        ),
    ],
)
def test_bad_new_keys_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "repos.yaml"
    path.write_text(text if "repos:" in text else text + "repos: []\n")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert message in str(err.value)


def test_defaults_of_the_new_keys(tmp_path: Path) -> None:
    path = tmp_path / "repos.yaml"
    path.write_text("log_max_bytes: 4096\nrepos:\n  - {name: a, path: a}\n")
    (repo,) = config.load(path).repos
    assert repo.pass_env == ()
    assert repo.log_max_bytes == 4096
    path.write_text("repos:\n  - {name: a, path: a, log_max_bytes: 2048}\n")
    (repo,) = config.load(path).repos
    assert repo.log_max_bytes == 2048
    path.write_text("repos:\n  - {name: a, path: a}\n")
    assert config.load(path).repos[0].log_max_bytes == 10 * 1024 * 1024


# --- the process tree -----------------------------------------------------------------


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize(
    ("entry", "tail", "error", "note"),
    [
        (
            f"command: 'sh run.sh; cp {REPORT} out.info'",
            "",
            None,
            "the command exited and left 3 process(es) running: they were killed",
        ),
        (
            # time enough to start everything on a busy machine: the PIDs are read afterwards
            "command: 'sh run.sh', timeout: 3",
            "sleep 1000\n",
            "command timed out after 3s: sh run.sh",
            "timed out after 3s: the command and everything it started were killed",
        ),
    ],
    ids=["exits", "times out"],
)
def test_everything_the_command_started_is_killed_when_it_ends(
    tmp_path: Path, entry: str, tail: str, error: str | None, note: str
) -> None:
    repo = _collect(_setup(tmp_path, entry, script=SPAWN + tail))
    assert repo.get("error") is None or str(repo["error"]).startswith(str(error))
    assert (repo["status"] == "ok") is (error is None), repo
    _assert_all_gone(tmp_path, _pids(tmp_path / "app"))
    log = Path(str(repo["log"])).read_text()
    assert note in log
    assert "could not be killed" not in log


@linux_only
@pytest.mark.slow
def test_a_command_that_ignores_sigterm_is_killed_all_the_same(tmp_path: Path) -> None:
    stubborn = (
        "trap '' TERM\necho $$ > main.pid\nsh -c \"trap '' TERM; sleep 1000\" &\nsleep 1000\n"
    )
    cfg = _setup(tmp_path, "command: 'sh run.sh', timeout: 2", script=stubborn)
    repo = _collect(cfg)
    assert str(repo["error"]).startswith("command timed out")
    assert not _alive(int((tmp_path / "app" / "main.pid").read_text()))
    assert _running_in(tmp_path) == []


def _start_collect(tmp_path: Path, cfg: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GITMETRICS_LOG_DIR": str(tmp_path / "logs")}
    main = "from gitmetrics.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", main, "collect", "-c", str(cfg), "--run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    """Until ``path`` exists; fails (instead of hanging) if that never happens."""
    for _ in range(3000):
        if path.exists():
            return
        if proc.poll() is not None:
            pytest.fail(f"collect ended first: {proc.communicate()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail(f"{path} never appeared")


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_collect_kills_the_commands_tree(
    tmp_path: Path, signum: int, code: int
) -> None:
    cfg = _setup(tmp_path, "command: 'sh run.sh'", script=SPAWN + "touch ready\nsleep 1000\n")
    proc = _start_collect(tmp_path, cfg)
    _wait_for(tmp_path / "app" / "ready", proc)
    pids = _pids(tmp_path / "app")
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    name = signal.Signals(signum).name
    assert f"collect: interrupted by {name}: every command it ran was stopped" in err
    assert "Traceback" not in err
    _assert_all_gone(tmp_path, pids)  # the keeper too
    assert not (tmp_path / "metrics").exists()  # nothing was committed


@linux_only
@pytest.mark.slow
def test_when_collect_is_killed_its_commands_die_with_it(tmp_path: Path) -> None:
    cfg = _setup(tmp_path, "command: 'sh run.sh'", script=SPAWN + "touch ready\nsleep 1000\n")
    proc = _start_collect(tmp_path, cfg)
    _wait_for(tmp_path / "app" / "ready", proc)
    pids = _pids(tmp_path / "app")
    proc.kill()  # SIGKILL: no handler runs; the keeper learns of it from the kernel
    proc.communicate()
    for _ in range(3000):
        if not _running_in(tmp_path):
            break
        time.sleep(0.01)
    _assert_all_gone(tmp_path, pids)


def test_a_command_killed_by_a_signal_is_an_error(tmp_path: Path) -> None:
    cfg = _setup(tmp_path, "command: 'kill -9 $$'")
    repo = _collect(cfg)
    assert str(repo["error"]).startswith("command was killed by SIGKILL: kill -9 $$")


# --- the log --------------------------------------------------------------------------


@pytest.mark.slow
def test_the_log_keeps_the_last_bytes_of_a_flood(tmp_path: Path) -> None:
    flood = "yes 0123456789abcdef | head -c 50000000; echo THE-END"
    cfg = _setup(tmp_path, f"command: '{flood}; cp {REPORT} out.info'", "log_max_bytes: 1048576\n")
    repo = _collect(cfg)
    assert repo["status"] == "ok", repo
    log = Path(str(repo["log"]))
    assert log.stat().st_size <= 1048576 + 1024
    text = log.read_text()
    head, note, body = text.split("\n", 2)
    assert head == f"$ cd {tmp_path / 'app'} && {flood}; cp {REPORT} out.info"
    total = 50_000_000 + len("THE-END\n")
    kept = len(body)
    assert note == (
        f"[gitmetrics] the output was {total:,} bytes: the first {total - kept:,} were"
        f" dropped, the last {kept:,} are below (log_max_bytes: 1,048,576)"
    )
    assert 1048576 - 17 <= kept <= 1048576
    # `head -c` cut the last line of `yes` short; the log starts at a whole line
    assert body.endswith("0123456789abcdef\n01234567THE-END\n")
    assert set(body.splitlines()[:-1]) == {"0123456789abcdef"}


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 250, 1000])
def test_ring_log_keeps_exactly_the_tail(tmp_path: Path, size: int) -> None:
    data = b"".join(b"line %d\n" % i for i in range(1000))[:size]
    log = _contain.RingLog(str(tmp_path / "x.log"), 100, b"$ head\n")
    for i in range(0, len(data), 7):  # in odd pieces, as a pipe gives them
        log.write(data[i : i + 7])
    dropped = log.close(["done"])
    text = (tmp_path / "x.log").read_bytes()
    assert text.startswith(b"$ head\n") and text.endswith(b"\n[gitmetrics] done\n")
    body = text.removeprefix(b"$ head\n").removesuffix(b"\n[gitmetrics] done\n")
    if size <= 100:
        assert dropped == 0 and body == data
    else:
        note, kept = body.split(b"\n", 1)
        assert dropped == size - len(kept) and kept == data[dropped:]
        assert dropped >= size - 100 and data[dropped - 1 : dropped] == b"\n"
        assert note.startswith(f"[gitmetrics] the output was {size:,} bytes".encode())
