"""The state: every configured repository's latest measurement, whatever each collection read.

A collection measures some repositories and carries the others; a failed attempt carries
the earlier measurement with the reason; ``max_age`` marks old ones stale; a repository
gone from repos.yaml leaves the state; a store written by gitmetrics 0.1.0 (schema 1) is
read and extended without a migration.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gitmetrics import config as configmod
from gitmetrics import schema, snapshot, store
from gitmetrics.cli import app
from gitmetrics.errors import ConfigError
from gitmetrics.snapshot import RepoResult, StatePolicy
from tests.conftest import fsck, git, make_snapshot, repo_result

FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "store-v1.tar.gz"
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def failed(name: str) -> RepoResult:
    return RepoResult(name=name, role="service", status="error", error="no coverage report found")


def mean(state: snapshot.Snapshot) -> float:
    values = [Fraction(r.lines_covered or 0, r.lines_valid or 1) for r in state.repositories]
    return round(float(sum(values) / len(values)) * 100, 2)


def test_a_partial_collection_keeps_every_other_repo(store_dir: Path) -> None:
    st = store.init(store_dir)
    st.commit_snapshot(
        make_snapshot(1, [repo_result("api", 80), repo_result("web", 60), repo_result("cli", 90)]),
        retention=0,
    )
    done = st.commit_snapshot(make_snapshot(2, [repo_result("web", 70)]), retention=0)
    state = done.state
    assert state is not None and state == st.state()
    assert [r.name for r in state.repositories] == ["api", "cli", "web"]
    by = {r.name: r for r in state.repositories}
    assert by["web"].measured_at == "2026-11-02T10:00:00Z" and not by["web"].carried
    assert by["api"].measured_at == "2026-11-01T10:00:00Z" and by["api"].carried
    assert state.measured == ("web",)
    # the average moved only by what was measured: (80 + 70 + 90) / 3
    assert state.summary.avg_coverage == mean(state) == 80.0
    assert state.summary.repos_measured == 1 and state.summary.repos_carried == 2
    latest = json.loads((store_dir / "latest.json").read_bytes())
    assert latest == json.loads(st.read_file(done.snapshot_path) or b"")  # one blob
    assert schema.is_valid(schema.STATE, latest) and schema.is_valid(schema.SNAPSHOT, latest)
    ages = {r["name"]: r["age"] for r in latest["repositories"]}
    assert ages == {"api": 86400, "cli": 86400, "web": 0}
    subject = git("-C", store_dir, "log", "-1", "--format=%s").strip()
    assert subject == "collect: 1 of 3 repos measured, avg 80.0% (+3.3)"
    body = git("-C", store_dir, "log", "-1", "--format=%b")
    assert "Gitmetrics-Measured: 1" in body and "Gitmetrics-Carried: 2" in body
    assert {p for p in st.files_at() if p.startswith("badges/")} == set()  # no deriver here
    fsck(store_dir)
    st.close()


def test_a_missing_report_is_carried_marked_and_stale_after_max_age(store_dir: Path) -> None:
    st = store.init(store_dir)
    policy = StatePolicy(max_age=2 * 86400)
    st.commit_snapshot(
        make_snapshot(1, [repo_result("api", 80), repo_result("web", 60)]),
        retention=0,
        policy=policy,
    )
    for day in (2, 3, 4):
        done = st.commit_snapshot(
            make_snapshot(day, [repo_result("api", 80), failed("web")]), retention=0, policy=policy
        )
        assert done.state is not None
        web = done.state.repo("web")
        assert web is not None and web.ok and web.carried
        assert web.coverage == 60.0 and web.measured_at == "2026-11-01T10:00:00Z"
        assert web.last_error == "no coverage report found"
        assert web.stale == (day > 3), day  # older than 2 days from the 4th on
        assert done.state.summary.repos_stale == (1 if day > 3 else 0)
        assert done.state.summary.repos_failed == 0 and done.state.summary.avg_coverage == 70.0
    # a repo with no earlier measurement stays an error in the state
    done = st.commit_snapshot(make_snapshot(5, [failed("new")]), retention=0, policy=policy)
    assert done.state is not None
    new = done.state.repo("new")
    assert new is not None and new.status == "error" and not new.carried
    # per repo max_age overrides the global one
    per_repo = StatePolicy(max_age=2 * 86400, repo_max_age={"web": None})
    done = st.commit_snapshot(
        make_snapshot(6, [repo_result("api", 81)]), retention=0, policy=per_repo
    )
    assert done.state is not None and not done.state.repo("web").stale  # type: ignore[union-attr]
    st.close()


def test_an_older_measurement_never_replaces_a_newer_one(store_dir: Path) -> None:
    st = store.init(store_dir)
    st.commit_snapshot(make_snapshot(5, [repo_result("api", 90)]), retention=0)
    done = st.commit_snapshot(make_snapshot(2, [repo_result("api", 10)]), retention=0)
    assert done.state is not None
    assert done.state.repo("api").coverage == 90.0  # type: ignore[union-attr]
    st.close()


def test_max_age_in_repos_yaml(tmp_path: Path) -> None:
    text = (
        "max_age: 7d\nrepos:\n  - {name: a, path: a, max_age: 12h}\n"
        "  - {name: b, path: b, max_age: never}\n  - {name: c, path: c}\n"
    )
    cfg = configmod.parse(text, tmp_path / "repos.yaml")
    policy = cfg.state_policy()
    assert policy.keep == frozenset({"a", "b", "c"})
    assert [policy.max_age_of(n) for n in "abc"] == [43200.0, None, 7 * 86400.0]
    with pytest.raises(ConfigError, match=r"repos\.yaml: max_age: '3M' is ambiguous"):
        configmod.parse("max_age: 3M\nrepos: []\n", tmp_path / "repos.yaml")
    with pytest.raises(ConfigError, match=r"repos\[0\]\.max_age: 'soon' is not a duration"):
        configmod.parse("repos:\n  - {name: a, path: a, max_age: soon}\n", tmp_path / "r.yaml")


def test_a_newer_state_is_refused_when_collecting(store_dir: Path) -> None:
    from tests.conftest import inject

    st = store.init(store_dir)
    st.commit_snapshot(make_snapshot(1, [repo_result("api", 80)]), retention=0)
    st.close()
    data = json.loads((store_dir / "latest.json").read_bytes())
    data["schema_version"] = 3
    inject(store_dir, {"latest.json": snapshot.dumps(data)}, "from the future\n")
    st = store.open_store(store_dir)
    head = st.head()
    with pytest.raises(snapshot.SnapshotError, match="schema_version 3 is newer"):
        st.commit_snapshot(make_snapshot(2, [repo_result("api", 81)]), retention=0)
    assert st.head() == head
    st.close()


# --- a store written by gitmetrics 0.1.0 ----------------------------------------------


@pytest.fixture
def v1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["tar", "xzf", str(FIXTURE), "-C", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_v1_store_is_read_and_extended(v1: Path) -> None:
    before = json.loads((v1 / "store" / "latest.json").read_bytes())
    assert before["schema_version"] == 1
    code, out, err = run("history", "--json", "-n", "20")
    assert code == 0, err
    assert len(json.loads(out)) == 6
    for args in (["status"], ["trends"], ["diff"], ["report", "-o", "r.md"]):
        code, out, err = run(*args)
        assert code == 0, (args, err)
        assert "warning" not in err, (args, err)
    code, _, err = run("dashboard", "-o", "d.html")
    assert code == 0, err
    # a v1 snapshot is the state of the repos it lists: collect one, keep the others
    code, out, err = run("collect", "--repo", "beta")
    assert code == 0, err
    after = json.loads((v1 / "store" / "latest.json").read_bytes())
    assert after["schema_version"] == 2 and after["measured"] == ["beta"]
    by = {r["name"]: r for r in after["repositories"]}
    assert set(by) == {"alpha", "beta", "gamma"}
    assert by["alpha"]["carried"] and by["alpha"]["measured_at"] == before["timestamp"]
    assert not by["beta"]["carried"]
    code, out, err = run("history", "--json", "-n", "20")
    assert code == 0 and len(json.loads(out)) == 7
    code, out, err = run("status", "--json")
    assert code == 0 and {r["repo"] for r in json.loads(out)["rows"]} == set(by)
    fsck(v1 / "store")


def test_a_v1_remote_syncs(v1: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git("clone", "--bare", "-q", v1 / "store", remote)
    other = tmp_path / "other"
    shutil.copytree(v1, other)
    code, _, err = run("collect", "--repo", "alpha")
    assert code == 0, err
    code, _, err = run("sync", "--remote", remote)
    assert code == 0, err
    assert (
        git("-C", remote, "rev-parse", "refs/heads/main").strip()
        == git("-C", v1 / "store", "rev-parse", "HEAD").strip()
    )


def test_the_state_schema_is_the_snapshot_schema_at_version_2() -> None:
    snap = schema.load(schema.SNAPSHOT)
    state = schema.load(schema.STATE)
    assert state["properties"]["schema_version"] == {"const": 2}
    assert set(state["required"]) == {*snap["required"], "measured"}
    assert state["$defs"]["repository"]["properties"] == snap["$defs"]["repository"]["properties"]
    v2 = snap["allOf"][0]["then"]
    assert set(state["$defs"]["repository"]["required"]) == {
        *snap["$defs"]["repository"]["required"],
        *v2["properties"]["repositories"]["items"]["required"],
    }
    # a schema-1 snapshot is a snapshot but not a state
    old = snapshot.to_dict(snapshot.from_dict({**_v1(), "schema_version": 1}))
    assert schema.is_valid(schema.SNAPSHOT, old) and not schema.is_valid(schema.STATE, old)


def _v1() -> dict[str, object]:
    data = json.loads((Path(__file__).parent / "v1-snapshot.json").read_text())
    assert isinstance(data, dict)
    return data
