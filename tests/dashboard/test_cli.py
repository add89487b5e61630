"""`gitmetrics dashboard` through the CLI, and the page `collect` writes into the store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import config as configmod
from gitmetrics.derive import make_deriver
from gitmetrics.errors import StoreError
from gitmetrics.render.dashboard import DERIVED_PATH
from tests.dashboard.conftest import history, make_store, ok, page_data, snap
from tests.helpers import ROOT_COMMIT, fsck, git, invoke


@pytest.fixture
def store(tmp_path: Path) -> Path:
    make_store(tmp_path / "metrics", history()).close()
    return tmp_path / "metrics"


def run(*args: str) -> Any:
    return invoke(*args)


def text(result: Any) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_writes_one_self_contained_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "dash.html"
    result = run("dashboard", "--store", str(store), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert text(result).startswith(f"Wrote {out} (3 snapshots, ")
    data = page_data(out.read_text())
    assert len(data["series"]["t"]) == 3
    assert data["at"] is None
    assert data["min_coverage"] == 80.0
    assert len(data["last"]["commit"]) == 40


def test_at_an_earlier_revision_shows_that_revisions_figures(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "then.html"
    result = run("dashboard", "--store", str(store), "-o", str(out), "--at", "HEAD~1", "--json")
    assert result.exit_code == 0, result.output
    parent = git("-C", store, "rev-parse", "HEAD~1").strip()
    done = json.loads(result.output)
    assert (done["collection"], done["revision"]) == (parent, "HEAD~1")
    data = page_data(out.read_text())
    cards = {c["title"]: c["value"] for c in data["cards"]}
    assert cards["Average coverage"] == "62.0%"
    assert cards["Repositories"] == "4"
    assert data["series"]["avg"] == [7000, 6200]
    assert {r["name"]: r["coverage_text"] for r in data["rows"]}["tools"] == "30.0%"
    assert data["errors"] == []
    assert data["at"] == "HEAD~1"
    assert data["last"]["commit"] == parent


def test_at_an_unknown_revision_is_a_clear_error(store: Path, tmp_path: Path) -> None:
    result = run("dashboard", "--store", str(store), "-o", str(tmp_path / "x"), "--at", "nope")
    assert result.exit_code == 1
    assert "no revision 'nope' in the metrics repository" in text(result)
    assert not (tmp_path / "x").exists()


def test_days_limits_the_window(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.html"
    assert run("dashboard", "--store", str(store), "-o", str(out), "--days", "1").exit_code == 0
    assert len(page_data(out.read_text())["series"]["t"]) == 2


def test_threshold_comes_from_the_config(store: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(f"store: {store}\nmin_coverage: 85\nrepos: []\n")
    out = tmp_path / "c.html"
    assert run("dashboard", "--config", str(cfg), "-o", str(out)).exit_code == 0
    data = page_data(out.read_text())
    assert data["min_coverage"] == 85.0
    assert {r["name"]: r["level"] for r in data["rows"]}["api"] == "fair"


def test_empty_or_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = run("dashboard", "--store", str(tmp_path / "none"), "-o", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "no metrics repository here" in text(result)
    make_store(tmp_path / "empty", []).close()
    result = run("dashboard", "--store", str(tmp_path / "empty"), "-o", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "has no collections yet" in text(result)


def test_open_hands_the_file_to_the_browser(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    out = tmp_path / "o.html"
    assert run("dashboard", "--store", str(store), "-o", str(out), "--open").exit_code == 0
    assert opened == [out.resolve().as_uri()]


def _config(tmp_path: Path, extra: str) -> configmod.Config:
    return configmod.parse(f"store: metrics\n{extra}repos: []\n", tmp_path / "repos.yaml")


def test_collect_writes_the_dashboard_into_the_store_when_asked(tmp_path: Path) -> None:
    from gitmetrics import store as storemod

    st = storemod.init(tmp_path / "metrics")
    st.derive = make_deriver(_config(tmp_path, "dashboard: true\n"))
    for s in history():
        st.commit_snapshot(s, retention=2)  # pruned snapshots still reach the page
    page = (tmp_path / "metrics" / DERIVED_PATH).read_text()
    data = page_data(page)
    assert data["series"]["avg"] == [7000, 6200, 6665]
    assert data["series"]["commit"][-1] is None  # the commit being made has no id yet
    assert len(data["series"]["commit"][0]) == 10
    assert st.blob(st.files_at()[DERIVED_PATH]) == page.encode()
    fsck(st.path)
    # turned off again: the page goes away rather than going stale
    st.derive = make_deriver(_config(tmp_path, "dashboard: false\n"))
    st.commit_snapshot(snap([ok("api", "service", 1, 2)], 5), retention=2)
    assert DERIVED_PATH not in st.files_at()
    assert not (tmp_path / "metrics" / DERIVED_PATH).exists()
    st.close()


def test_no_dashboard_in_the_store_by_default(tmp_path: Path) -> None:
    from gitmetrics import store as storemod

    st = storemod.init(tmp_path / "metrics")
    st.derive = make_deriver(_config(tmp_path, ""))
    st.commit_snapshot(history()[0], retention=0)
    assert DERIVED_PATH not in st.files_at()
    st.close()


def test_config_schema_accepts_only_a_boolean(tmp_path: Path) -> None:
    assert _config(tmp_path, "dashboard: true\n").raw["dashboard"] is True
    with pytest.raises(configmod.ConfigError, match="dashboard"):
        _config(tmp_path, "dashboard: yes please\n")


@pytest.mark.parametrize(
    "rev", ["HEAD", "HEAD~1", "HEAD^", "main~2", "HEAD^^", "HEAD~0", "SHORT~1"]
)
def test_revisions_resolve_as_git_resolves_them(store: Path, rev: str) -> None:
    from gitmetrics import store as storemod

    st = storemod.open_store(store)
    head = st.head()
    assert head is not None
    rev = rev.replace("SHORT", head[:8])
    assert st.resolve(rev) == git("-C", store, "rev-parse", "--verify", rev).strip()
    # three collections on the shared root: HEAD~3 is the root, and nothing lies beyond it
    assert st.resolve("HEAD~3") == ROOT_COMMIT
    for bad in ("HEAD~4", "HEAD~3^", "HEAD^2", "nope", "main~x"):
        with pytest.raises(StoreError):
            st.resolve(bad)
    st.close()


@pytest.mark.slow
def test_browser_tests_fail_rather_than_skip_without_chromium(tmp_path: Path) -> None:
    import os
    import sys

    env = {**os.environ, "GITMETRICS_TEST_CHROMIUM": str(tmp_path / "no-chromium")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/dashboard/test_browser.py::test_loads_offline_with_no_errors_and_no_requests",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stdout
    assert "1 error" in proc.stdout and "skipped" not in proc.stdout
    assert "no-chromium is missing" in proc.stdout
    assert ".ci/install-browser" in proc.stdout


def test_an_unreadable_earlier_snapshot_never_stops_a_commit(tmp_path: Path) -> None:
    from dulwich.objects import Blob

    from gitmetrics import store as storemod

    st = make_store(tmp_path / "metrics", history()[:2])
    head = st.head()
    assert head is not None
    bad = Blob.from_string(b'{"schema_version": 1, "not": "a snapshot"}\n')
    st.repo.object_store.add_object(bad)
    files = {**st.files_at(), "snapshots/2026/11/broken.json": bad.id}
    message = (
        "collect: broken\n\nGitmetrics-Snapshot: snapshots/2026/11/broken.json\n"
        "Gitmetrics-Timestamp: 2026-11-02T12:00:00Z\n"
    )
    commit = st.write_commit(files, [head], message)
    st.repo.refs[st.branch_ref()] = commit.encode()
    st.derive = make_deriver(_config(tmp_path, "dashboard: true\n"))
    st.commit_snapshot(history()[2], retention=0)
    data = page_data(st.blob(st.files_at()[DERIVED_PATH]).decode())
    assert data["series"]["avg"] == [7000, 6200, 6665]  # the broken one left out
    assert isinstance(st, storemod.Store)
    st.close()


def test_dashboard_reads_the_stored_data_as_the_snapshots_say(store: Path, tmp_path: Path) -> None:
    from gitmetrics import dashboard as shape
    from gitmetrics import store as storemod
    from gitmetrics.history import Collection

    out = tmp_path / "dash.html"
    result = invoke("dashboard", "--store", str(store), "-o", str(out))
    assert result.exit_code == 0, result.output
    st = storemod.open_store(store)
    points = [Collection.of(s, e.commit, e.snapshot_path) for e, s in st.snapshots()]
    st.close()
    expected = shape.build(points, generated="x")
    got = page_data(out.read_text())
    assert {**got, "generated": "x"} == expected


def _collection_file(
    st: Any, head: str, path: str, content: bytes, when: str = "2026-11-01T12:00:00Z"
) -> str:
    """Commit ``content`` at ``path`` as a collection on top of ``head``; the branch follows."""
    from dulwich.objects import Blob

    blob = Blob.from_string(content)
    st.repo.object_store.add_object(blob)
    message = f"collect: x\n\nGitmetrics-Snapshot: {path}\nGitmetrics-Timestamp: {when}\n"
    commit: str = st.write_commit({**st.files_at(head), path: blob.id}, [head], message)
    st.repo.refs[st.branch_ref()] = commit.encode()
    return commit


def _dashboard(store: Path, out: Path) -> Any:
    return invoke("dashboard", "--store", str(store), "-o", str(out))


def test_dashboard_skips_an_unreadable_collection_with_a_warning(tmp_path: Path) -> None:
    st = make_store(tmp_path / "metrics", history()[:2])
    head = st.head()
    assert head is not None
    for name, content in (("broken", b'{"not": "a snapshot"}\n'), ("torn", b'{"timest')):
        head = _collection_file(st, head, f"snapshots/2026/11/{name}.json", content)
    st.commit_snapshot(history()[2], retention=0)
    st.close()
    out = tmp_path / "dash.html"
    result = _dashboard(tmp_path / "metrics", out)
    assert result.exit_code == 0, result.output
    assert "skipped collection" in result.output and "broken.json" in result.output
    assert "torn.json" in result.output
    assert page_data(out.read_text())["series"]["avg"] == [7000, 6200, 6665]


def test_a_newest_collection_that_is_not_whole_is_skipped(tmp_path: Path) -> None:
    st = make_store(tmp_path / "metrics", history())
    head = st.head()
    assert head is not None
    # the figures the columns need are there, but not a whole snapshot (no "tool")
    data = json.loads(st.blob(st.files_at()["latest.json"]))
    del data["tool"]
    data["timestamp"] = "2026-12-01T00:00:00Z"
    path = "snapshots/2026/12/metrics_20261201_000000_ci_0000000001.json"
    head = _collection_file(st, head, path, json.dumps(data).encode(), "2026-12-01T00:00:00Z")
    st.close()
    out = tmp_path / "dash.html"
    result = _dashboard(tmp_path / "metrics", out)
    assert result.exit_code == 0, result.output
    assert f"skipped collection {head[:10]}" in text(result)
    assert page_data(out.read_text())["last"]["timestamp"] == history()[-1].timestamp
