"""collect: several reports per repo, `--run`, provenance, and hostile input in a collection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitmetrics import collect, config, snapshot
from gitmetrics.errors import SnapshotError
from tests.helpers import git, invoke, make_snapshot, repo_result

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "repos.yaml"
    path.write_text(body)
    return path


def _collect_json(cfg: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]]]:
    result = invoke("collect", "-c", str(cfg), "--json", *extra)
    data = json.loads(result.stdout)
    return result.exit_code, {r["name"]: r for r in data["snapshot"]["repositories"]}


def test_several_reports_without_overlap_are_summed(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    (repo / "backend").mkdir(parents=True)
    (repo / "frontend").mkdir()
    shutil.copy(FIXTURES / "coverage-json/branch/coverage.json", repo / "backend/coverage.json")
    shutil.copy(FIXTURES / "lcov/c8/lcov.info", repo / "frontend/lcov.info")
    cfg = _config(
        tmp_path,
        "repos:\n  - name: shop\n    path: shop\n    coverage: [backend/coverage.json, frontend/lcov.info]\n",
    )
    code, repos = _collect_json(cfg, "--dry-run")
    assert code == 0
    shop = repos["shop"]
    # coverage.py printed lines 11/17 (branches 5/10); c8 printed lines 21/25 (branches 5/8)
    assert (shop["lines_covered"], shop["lines_valid"]) == (11 + 21, 17 + 25)
    assert (shop["branches_covered"], shop["branches_valid"]) == (5 + 5, 10 + 8)
    assert shop["format"] == "coverage-json+lcov"
    assert [r["path"] for r in shop["reports"]] == ["backend/coverage.json", "frontend/lcov.info"]  # type: ignore[union-attr]


def test_two_reports_of_the_same_files_are_merged_per_line(tmp_path: Path) -> None:
    """Two test runs over one C program: lcov printed 16/22 for one and 17/22 for both."""
    repo = tmp_path / "c"
    repo.mkdir()
    src = FIXTURES / "lcov"
    shutil.copy(src / "lcov-gcc/lcov.info", repo / "unit.info")
    shutil.copy(src / "concatenated-runs/lcov.info", repo / "all.info")
    cfg = _config(
        tmp_path, "repos:\n  - name: c\n    path: c\n    coverage: [unit.info, all.info]\n"
    )
    code, repos = _collect_json(cfg, "--dry-run")
    assert code == 0
    c = repos["c"]
    assert (c["lines_covered"], c["lines_valid"]) == (17, 22)


def test_run_produces_the_report_and_logs_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITMETRICS_LOG_DIR", str(tmp_path / "logs"))
    repo = tmp_path / "gen"
    repo.mkdir()
    report = FIXTURES / "lcov/c8/lcov.info"
    cfg = _config(
        tmp_path,
        "repos:\n"
        f"  - {{name: gen, path: gen, coverage: out.info, command: 'echo making; cp {report} out.info'}}\n"
        "  - {name: broken, path: gen, coverage: none.info, command: 'echo oops >&2; exit 3'}\n"
        "  - {name: slow, path: gen, coverage: none.info, command: 'sleep 30', timeout: 0.5}\n",
    )
    # without --run, commands never execute
    code, repos = _collect_json(cfg, "--dry-run")
    assert code == 1 and not (repo / "out.info").exists()
    code, repos = _collect_json(cfg, "--run", "--dry-run")
    assert code == 0
    assert repos["gen"]["status"] == "ok" and repos["gen"]["lines_covered"] == 21
    log = Path(str(repos["gen"]["log"]))
    assert "making" in log.read_text()
    assert repos["broken"]["error"].startswith("command failed with exit code 3")  # type: ignore[union-attr]
    broken_log = Path(str(repos["broken"]["log"]))
    assert str(broken_log) in str(repos["broken"]["error"]) and "oops" in broken_log.read_text()
    assert str(repos["slow"]["error"]).startswith("command timed out after 0.5s")


def test_provenance_of_a_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    repo.mkdir()
    git("init", "-q", "-b", "trunk", repo)
    (repo / "a.txt").write_text("a")
    git("-C", repo, "add", "a.txt")
    git("-C", repo, "commit", "-q", "-m", "one")
    shutil.copy(FIXTURES / "lcov/c8/lcov.info", repo / "lcov.info")  # untracked: not dirty
    cfg = _config(tmp_path, "repos:\n  - {name: svc, path: svc}\n  - {name: plain, path: plain}\n")
    (tmp_path / "plain").mkdir()
    shutil.copy(FIXTURES / "lcov/c8/lcov.info", tmp_path / "plain" / "lcov.info")
    code, repos = _collect_json(cfg, "--dry-run")
    assert code == 0
    head = git("-C", repo, "rev-parse", "HEAD").strip()
    assert repos["svc"]["source"] == {"commit": head, "branch": "trunk", "dirty": False}
    (repo / "a.txt").write_text("changed")
    _code, repos = _collect_json(cfg, "--dry-run")
    assert repos["svc"]["source"]["dirty"] is True  # type: ignore[index]
    # `plain` sits in tmp_path, which is no git repository
    assert repos["plain"]["source"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b'<coverage line-rate="1" lines-covered="1" lines-valid="1">&lol2;</coverage>',
            "coverage.xml",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]><coverage>&e;</coverage>',
            "coverage.xml",
        ),
        (b"\x00\xff\x10binary", "coverage.xml"),
        (b'<coverage line-rate="0.5" lines-covered="1" lines-valid="2"', "coverage.xml"),
        (b'{"totals": {}}', "coverage.xml"),
        (
            b'<coverage line-rate="0.5" lines-covered="-1" lines-valid="2"></coverage>',
            "coverage.xml",
        ),
    ],
)
def test_hostile_report_is_one_repos_error_and_the_rest_is_committed(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "coverage.xml").write_bytes(content)
    (tmp_path / "good").mkdir()
    shutil.copy(FIXTURES / "lcov/c8/lcov.info", tmp_path / "good" / "lcov.info")
    cfg = _config(
        tmp_path,
        "repos:\n  - {name: bad, path: bad, coverage: coverage.xml}\n  - {name: good, path: good}\n",
    )
    code, repos = _collect_json(cfg)
    assert code == 0
    assert repos["bad"]["status"] == "error" and message in str(repos["bad"]["error"])
    assert "\n" not in str(repos["bad"]["error"])
    assert repos["good"]["status"] == "ok"
    latest = json.loads((tmp_path / "metrics" / "latest.json").read_text())
    assert [r["status"] for r in latest["repositories"]] == ["error", "ok"]


def test_report_over_the_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big").mkdir()
    shutil.copy(FIXTURES / "lcov/c8/lcov.info", tmp_path / "big" / "lcov.info")
    cfg = _config(tmp_path, "max_report_bytes: 100\nrepos:\n  - {name: big, path: big}\n")
    cfgobj = config.load(cfg)
    result = collect.collect_one(cfgobj, cfgobj.repos[0])
    assert result.status == "error"
    assert "over the 100-byte cap" in str(result.error) and "max_report_bytes" in str(result.error)


SCOVERAGE_LIKE = (
    b'<?xml version="1.0" ?>\n<coverage lines-valid="152" lines-covered="80" line-rate="0.5263">'
    b'<packages><package name="p"><classes><class name="c" filename="src/A.scala"><lines>'
    b'<line number="1" hits="1"/><line number="2" hits="0"/></lines></class></classes>'
    b"</package></packages></coverage>\n"
)


def test_a_report_that_disagrees_with_itself_is_kept_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "scala" / "target").mkdir(parents=True)
    (tmp_path / "scala" / "target" / "cobertura.xml").write_bytes(SCOVERAGE_LIKE)
    (tmp_path / "good").mkdir()
    shutil.copy(FIXTURES / "lcov/c8/lcov.info", tmp_path / "good" / "lcov.info")
    cfg = _config(
        tmp_path,
        "repos:\n  - {name: scala, path: scala, coverage: target/cobertura.xml}\n"
        "  - {name: good, path: good}\n",
    )
    warning = (
        "target/cobertura.xml: root lines-covered/lines-valid 80/152 disagree with its <line>"
        " elements (1/2); the root's figures are kept"
    )
    code, repos = _collect_json(cfg, "--dry-run")
    assert code == 0
    assert repos["scala"]["status"] == "ok"
    assert (repos["scala"]["lines_covered"], repos["scala"]["lines_valid"]) == (80, 152)
    assert repos["scala"]["warnings"] == [warning]
    assert "warnings" not in repos["good"]
    result = invoke("collect", "-c", str(cfg), "--dry-run", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert f"Warnings:\n  scala: {warning}\n" in result.stdout
    # committed, the warning is in the stored snapshot
    code, _ = _collect_json(cfg)
    latest = json.loads((tmp_path / "metrics" / "latest.json").read_text())
    assert [r.get("warnings") for r in latest["repositories"]] == [None, [warning]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'<coverage line-rate="1" lines-covered="1" lines-valid="' + b"9" * 5000 + b'"/>',
            "coverage.xml: line 1: <coverage> lines-valid: a 5000-digit number beyond 2**53",
        ),
        (
            b'<coverage line-rate="1" lines-covered="9007199254740993" lines-valid="1"/>',
            "coverage.xml: line 1: <coverage> lines-covered: a 16-digit number beyond 2**53",
        ),
        (
            b'<coverage line-rate="1" lines-covered="5" lines-valid="2"/>',
            "coverage.xml: line 1: <coverage> says 5 of 2 lines are covered",
        ),
    ],
    ids=["5000 digits", "2**53 + 1", "covered above valid"],
)
def test_hostile_figures_are_one_repos_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "coverage.xml").write_bytes(content)
    cfg = _config(tmp_path, "repos:\n  - {name: bad, path: bad}\n")
    cfgobj = config.load(cfg)
    result = collect.collect_one(cfgobj, cfgobj.repos[0])
    assert result.status == "error"
    assert result.error is not None and "internal error" not in result.error
    assert message in result.error and len(result.error) < 400


def test_warnings_round_trip_and_snapshots_without_them_keep_their_shape() -> None:
    warned = repo_result("a", 1, warnings=("coverage.xml: root and lines disagree",))
    snap = make_snapshot(1, [warned, repo_result("b", 2)])
    back = snapshot.from_json(snapshot.to_json(snap))
    assert back.repositories[0].warnings == ("coverage.xml: root and lines disagree",)
    assert back.repositories[1].warnings == ()
    data = snapshot.to_dict(snap)
    # additive: a result without warnings is written as before, and older readers' files load
    assert "warnings" not in data["repositories"][1]
    del data["repositories"][0]["warnings"]
    snapshot.validate(data)
    data["repositories"][0]["warnings"] = [3]
    with pytest.raises(SnapshotError, match=r"repositories\[0\]\.warnings\[0\]"):
        snapshot.validate(data)
