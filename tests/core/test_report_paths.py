"""Report paths: never followed out of the repository, only regular files, never blocking,
and errors that never quote a report (they are committed and pushed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import collect, config, formats
from gitmetrics.errors import ConfigError, ReportError
from gitmetrics.snapshot import RepoResult
from tests.helpers import git, invoke

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
LCOV = FIXTURES / "lcov" / "c8" / "lcov.info"


def _one(tmp_path: Path, entry: str = "", top: str = "") -> RepoResult:
    """Collect the repo ``app`` (``entry`` adds to its config) in this process."""
    cfg_path = tmp_path / "repos.yaml"
    cfg_path.write_text(f"{top}repos:\n  - {{name: app, path: app{entry}}}\n")
    cfg = config.load(cfg_path)
    return _within(10, lambda: collect.collect_one(cfg, cfg.repos[0]))


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``, failing the test instead of hanging if it blocks (e.g. on a FIFO)."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((call(), None))
        except Exception as exc:
            box.append((None, exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still blocked after {seconds}s")
    value, error = box[0]
    if error is not None:
        raise error
    return value


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    path.mkdir()
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the repository, such as a credentials file."""
    path = tmp_path / "credentials"
    path.write_text("TOKEN=ghp_s3cr3tv4lu3\n")
    return path


# --- inside or outside the repository ------------------------------------------------


def test_a_symlink_inside_the_repository_is_read(tmp_path: Path, repo: Path) -> None:
    (repo / "build").mkdir()
    shutil.copy(LCOV, repo / "build" / "lcov.info")
    (repo / "lcov.info").symlink_to("build/lcov.info")
    result = _one(tmp_path, ", coverage: lcov.info")
    assert result.status == "ok" and result.lines_covered == 21
    assert _one(tmp_path).status == "ok"  # found by detection too


def test_a_symlink_out_of_the_repository_is_refused(
    tmp_path: Path, repo: Path, secret: Path
) -> None:
    (repo / "lcov.info").symlink_to(secret)
    result = _one(tmp_path, ", coverage: lcov.info")
    assert result.status == "error"
    assert result.error == (
        f"repos.yaml: repos[0].coverage: {repo / 'lcov.info'} leads outside the repository"
        " (through a symbolic link) (put the report inside the repository, or set"
        " `follow_symlinks: true` for this repo in repos.yaml to read it anyway)"
    )
    detected = _one(tmp_path)  # an auto-detected candidate follows the same rule
    assert detected.error is not None
    assert detected.error.startswith(f"{repo / 'lcov.info'} leads outside the repository")


def test_follow_symlinks_reads_a_report_outside(tmp_path: Path, repo: Path) -> None:
    outside = tmp_path / "shared" / "lcov.info"
    outside.parent.mkdir()
    shutil.copy(LCOV, outside)
    (repo / "lcov.info").symlink_to(outside)
    result = _one(tmp_path, ", coverage: lcov.info, follow_symlinks: true")
    assert result.status == "ok" and result.lines_covered == 21
    assert _one(tmp_path, ", coverage: ../shared/lcov.info, follow_symlinks: true").status == "ok"


@pytest.mark.parametrize(
    ("coverage", "how"),
    [("../shared/lcov.info", "through `..`"), ("ABSOLUTE", "an absolute path")],
)
def test_a_path_out_of_the_repository_is_refused(
    tmp_path: Path, repo: Path, coverage: str, how: str
) -> None:
    outside = tmp_path / "shared" / "lcov.info"
    outside.parent.mkdir()
    shutil.copy(LCOV, outside)
    coverage = str(outside) if coverage == "ABSOLUTE" else coverage
    result = _one(tmp_path, f", coverage: {coverage}")
    assert result.error is not None
    assert f"leads outside the repository ({how})" in result.error
    # `..` that stays inside is fine
    shutil.copy(LCOV, repo / "lcov.info")
    (repo / "sub").mkdir()
    assert _one(tmp_path, ", coverage: sub/../lcov.info").status == "ok"


def test_the_repository_itself_may_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(LCOV, real / "lcov.info")
    (tmp_path / "app").symlink_to(real)
    assert _one(tmp_path, ", coverage: lcov.info").status == "ok"


def test_follow_symlinks_is_false_unless_set_to_a_boolean(tmp_path: Path) -> None:
    path = tmp_path / "repos.yaml"
    path.write_text(
        "repos:\n  - {name: a, path: a}\n  - {name: b, path: b, follow_symlinks: true}\n"
    )
    assert [r.follow_symlinks for r in config.load(path).repos] == [False, True]
    path.write_text("repos:\n  - {name: a, path: a, follow_symlinks: 'yes'}\n")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert str(err.value) == (f"{path}:2: repos[0].follow_symlinks: must be true or false, not str")


# --- not a regular file ---------------------------------------------------------------


def test_a_fifo_is_refused_at_once(tmp_path: Path, repo: Path) -> None:
    fifo = repo / "coverage.xml"
    os.mkfifo(fifo)  # nobody ever writes to it: opening it for reading would block
    result = _one(tmp_path, ", coverage: coverage.xml")
    assert result.error == (
        f"repos.yaml: repos[0].coverage: {fifo} is not a regular file (a FIFO)"
        " (point `coverage:` at the report file itself)"
    )
    detected = _one(tmp_path)
    assert detected.error == f"{fifo} is not a regular file (a FIFO) (point `coverage:` at" + (
        " the report file itself)"
    )
    # the parsers' own open refuses it too, without blocking, whatever the format
    for fmt in (None, "cobertura", "lcov", "coverage-json", "go"):
        with pytest.raises(ReportError, match=r"coverage\.xml: not a regular file \(a FIFO\)"):
            _within(10, lambda f=fmt: formats.parse(fifo, f))  # type: ignore[misc]


def test_a_directory_is_refused(tmp_path: Path, repo: Path) -> None:
    (repo / "reports").mkdir()
    result = _one(tmp_path, ", coverage: reports")
    assert result.error is not None
    assert result.error.startswith(
        f"repos.yaml: repos[0].coverage: {repo / 'reports'} is not a regular file (a directory)"
    )
    # a directory with a report's name is no candidate: the next one is read
    (repo / "coverage.json").mkdir()
    shutil.copy(LCOV, repo / "lcov.info")
    assert _one(tmp_path).status == "ok"


def test_a_device_is_refused(tmp_path: Path, repo: Path) -> None:
    (repo / "coverage.xml").symlink_to("/dev/zero")
    # a link to /dev/zero leads out of the repository
    result = _one(tmp_path, ", coverage: coverage.xml")
    assert result.error is not None and "leads outside the repository" in result.error
    # followed, it is still no regular file: never read (it would never end)
    result = _one(tmp_path, ", coverage: coverage.xml, follow_symlinks: true")
    assert result.error is not None
    assert "is not a regular file (a character device)" in result.error
    with pytest.raises(ReportError, match=r"not a regular file \(a character device\)"):
        formats.parse(repo / "coverage.xml")


def test_a_device_node_in_the_repository_is_refused(tmp_path: Path, repo: Path) -> None:
    node = repo / "coverage.xml"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    result = _one(tmp_path)
    assert result.error == (
        f"{node} is not a regular file (a character device) (point `coverage:` at the report"
        " file itself)"
    )


def test_a_socket_is_refused(tmp_path: Path, repo: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(repo / "lcov.info"))
        result = _one(tmp_path, ", coverage: lcov.info")
    finally:
        sock.close()
    assert result.error is not None and "is not a regular file (a socket)" in result.error


def test_a_dangling_link_does_not_exist(tmp_path: Path, repo: Path) -> None:
    (repo / "lcov.info").symlink_to("gone.info")
    result = _one(tmp_path, ", coverage: lcov.info")
    assert result.error is not None and result.error.startswith(
        f"repos.yaml: repos[0].coverage: {repo / 'lcov.info'} does not exist"
    )
    assert _one(tmp_path).error == (
        f"{repo}: no coverage report found (set `coverage:` for this repo in repos.yaml, or"
        " produce a report (coverage.json, coverage.xml, lcov.info, ...))"
    )


# --- errors never quote a report ------------------------------------------------------

MARK = "ghp_s3cr3tv4lu3"

# name, content: reports whose broken place holds a secret-looking string
BROKEN = [
    ("lcov.info", f"TN:\nSF:a.c\nDA:1,{MARK}\nend_of_record\n"),
    ("lcov.info", f"TN:\nSF:a.c\nDA:1,1\n{MARK}\nend_of_record\n"),
    ("lcov.info", f"TN:\nSF:a.c\n{MARK}=1\nend_of_record\n"),
    ("lcov.info", f"SF:a.c\nBRDA:1,{MARK}\nend_of_record\n"),
    ("lcov.info", f"SF:a.c\nDA:1,1\n{MARK.lower()}: x\nend_of_record\n"),
    ("cover.out", f"mode: {MARK}\n"),
    ("cover.out", f"mode: set\na.go:1.1,2.2 1 {MARK}\n"),
    ("cover.out", f"mode: set\n{MARK}\n"),
    ("coverage.xml", f"TOKEN={MARK}\n"),
    ("coverage.xml", f'<coverage lines-valid="{MARK}" lines-covered="1" line-rate="1"/>'),
    ("coverage.xml", f"<{MARK}/>"),
    ("coverage.xml", f'<?xml version="1.0" encoding="{MARK}"?><coverage/>'),
    ("coverage.xml", f'<coverage line-rate="1">{MARK} <</coverage>'),
    (
        "coverage.xml",
        '<coverage line-rate="1"><packages><package><classes><class filename="a.py">'
        f'<lines><line number="1" hits="1" condition-coverage="{MARK}"/></lines>'
        "</class></classes></package></packages></coverage>",
    ),
    ("jacoco.xml", f'<report name="r"><counter type="LINE" missed="1" covered="{MARK}"/></report>'),
    ("coverage.json", json.dumps({"meta": {"format": MARK}, "totals": {}, "files": {}})),
    (
        "coverage.json",
        json.dumps({"meta": {"format": 3}, "totals": {"covered_lines": MARK}, "files": {}}),
    ),
    ("coverage.json", '{"meta": {"format": 3}, "totals": ' + MARK + "}"),
    ("coverage.json", '{"meta": "' + MARK),
    (
        "coverage-summary.json",
        json.dumps({"total": {"lines": {"total": MARK, "covered": 1}, "statements": {}}}),
    ),
]


@pytest.mark.parametrize(("name", "content"), BROKEN)
def test_an_error_never_quotes_the_report(tmp_path: Path, name: str, content: str) -> None:
    """A real collect into a real store: the secret is in no file of any commit."""
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / name).write_text(content)
    (tmp_path / "good").mkdir()
    shutil.copy(LCOV, tmp_path / "good" / "lcov.info")
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        f"repos:\n  - {{name: bad, path: bad, coverage: {name}}}\n  - {{name: good, path: good}}\n"
    )
    result = invoke("collect", "-c", str(cfg), "--json")
    assert result.exception is None, result.output
    repos = {r["name"]: r for r in json.loads(result.stdout)["snapshot"]["repositories"]}
    error = repos["bad"]["error"]
    assert error.startswith(str(tmp_path / "bad" / name)), error
    assert MARK not in error and MARK.lower() not in error
    assert MARK not in result.output
    store = tmp_path / "metrics"
    revisions = git("-C", store, "rev-list", "--all").split()
    assert len(revisions) == 2  # the root commit and this collection
    found = git("-C", store, "grep", "-i", "-I", "-e", "s3cr3t", *revisions, check=False)
    assert found == ""
    assert "s3cr3t" not in git("-C", store, "log", "-p", "--all")
    latest = (store / "latest.json").read_text()
    assert "s3cr3t" not in latest and '"status": "error"' in latest


def test_a_followed_link_to_a_secret_is_not_quoted_either(
    tmp_path: Path, repo: Path, secret: Path
) -> None:
    (repo / "coverage.xml").symlink_to(secret)
    result = _one(tmp_path, ", coverage: coverage.xml, follow_symlinks: true")
    assert result.error == (
        f"{repo / 'coverage.xml'}: line 1: not an XML report (it does not start with '<')"
        " (its content matches no format gitmetrics reads: it was read as a Cobertura XML"
        " report because of its file name only)"
    )
    for fmt in formats.names():
        if fmt == "coverage-data":
            continue
        result = _one(tmp_path, f", coverage: coverage.xml, follow_symlinks: true, format: {fmt}")
        assert result.error is not None and "s3cr3t" not in result.error, (fmt, result.error)


def test_an_internal_error_names_the_code_not_the_message(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitmetrics.formats import lcov

    # a parser bug: a bare int() on the report's text, whose message quotes the text
    monkeypatch.setattr(lcov, "count_text", lambda text, where: int(text))
    (repo / "lcov.info").write_text(f"SF:a.c\nDA:1, {MARK}\nend_of_record\n")
    result = _one(tmp_path)
    assert result.error is not None
    assert result.error.startswith("internal error: ValueError at gitmetrics/formats/lcov.py:")
    assert result.error.endswith(" (a bug in gitmetrics: please report it)")
    assert MARK not in result.error
