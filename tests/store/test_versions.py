"""Readers refuse what is newer than this gitmetrics, and trust what the store wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import schema, snapshot, store
from gitmetrics.errors import StoreError, forget_warnings
from tests.helpers import git, inject, invoke, make_snapshot, repo_result, trailers


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./repos.yaml: --store is the only setting


def run(*args: str | Path) -> tuple[int, str, str]:
    forget_warnings()
    result = invoke(*args)
    return result.exit_code, result.stdout, result.stderr


def _store(path: Path, days: int = 3) -> store.Store:
    st = store.init(path)
    for day in range(1, days + 1):
        snap = make_snapshot(day, [repo_result("api", 50 + day), repo_result("web", 40)])
        st.commit_snapshot(snap, retention=0)
    return st


def test_a_newer_store_version_in_the_marker_is_refused(store_dir: Path) -> None:
    _store(store_dir).close()
    store.open_store(store_dir).close()  # the check passed: remembered for this head only
    memo = store_dir / ".git" / "gitmetrics-checked"
    assert memo.read_text().split()[0] == git("-C", store_dir, "rev-parse", "HEAD").strip()
    inject(
        store_dir,
        {".gitmetrics.json": b'{"kind": "gitmetrics-store", "store_version": 2}\n'},
        "x\n",
    )
    head = git("-C", store_dir, "rev-parse", "HEAD")
    with pytest.raises(StoreError) as exc:
        store.open_store(store_dir)
    assert "written by a newer gitmetrics: upgrade (store_version 2;" in exc.value.message
    assert ".gitmetrics.json" in exc.value.message
    for args in (["status"], ["history"], ["verify"], ["init", store_dir]):
        code, _, err = run(*args, "--store", store_dir) if args[0] != "init" else run(*args)
        assert code == 1, (args, err)
        assert "written by a newer gitmetrics: upgrade" in err, (args, err)
    assert git("-C", store_dir, "rev-parse", "HEAD") == head  # nothing was written


def test_a_newer_store_version_in_git_config_is_refused(store_dir: Path) -> None:
    _store(store_dir, days=1).close()
    git("-C", store_dir, "config", "gitmetrics.storeVersion", "7")
    with pytest.raises(
        StoreError,
        match=r"gitmetrics.storeVersion\): written by a newer gitmetrics: upgrade \(store_version 7",
    ):
        store.open_store(store_dir)
    git("-C", store_dir, "config", "gitmetrics.storeVersion", "1")
    store.open_store(store_dir).close()


def test_a_newer_schema_trailer_is_skipped_with_one_warning(store_dir: Path) -> None:
    _store(store_dir).close()
    data = snapshot.to_json(make_snapshot(20, [repo_result("only-in-newer", 77)]))
    path = "snapshots/2026/11/metrics_20261120_100000_ci-1_0000000001.json"
    newer = inject(store_dir, {path: data}, trailers(path, Schema="3"))
    for args in (["history", "--json"], ["status"], ["trends"], ["diff"]):
        code, out, err = run(*args, "--store", store_dir)
        assert code == 0, (args, err)
        warnings = [line for line in err.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1, (args, err)
        assert newer[:10] in warnings[0] and "Gitmetrics-Schema 3 is newer" in warnings[0]
        assert "only-in-newer" not in out  # it is not read
    code, out, _ = run("history", "--json", "--store", store_dir)
    assert newer not in {e["collection"] for e in json.loads(out)}
    assert len(json.loads(out)) == 3


def test_reads_from_the_store_do_not_validate(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    st = _store(store_dir)

    is_valid, errors = schema.is_valid, schema.errors

    def refuse(check: Any) -> Any:
        def checked(name: str, instance: Any) -> Any:
            if name == schema.SNAPSHOT:
                raise AssertionError("a read validated a snapshot the store wrote")
            return check(name, instance)

        return checked

    monkeypatch.setattr(schema, "is_valid", refuse(is_valid))
    monkeypatch.setattr(schema, "errors", refuse(errors))
    assert [s.summary.repos_count for _, s in st.snapshots()] == [2, 2, 2]
    st.close()
    for args in (
        ["status"],
        ["status", "--json"],
        ["trends"],
        ["diff"],
        ["history"],
        ["report", "--output", str(tmp_path / "report.md")],
    ):
        code, out, err = run(*args, "--store", store_dir)
        assert code == 0, (args, out, err)
        assert "warning" not in err, (args, err)
    code, out, _ = run("status", "--json", "--store", store_dir)
    assert "api" in out
    with pytest.raises(AssertionError, match="validated"):  # writing still validates
        store.open_store(store_dir).commit_snapshot(
            make_snapshot(9, [repo_result("api", 1)]), retention=0
        )


def test_a_stored_snapshot_that_does_not_fit_the_model_is_skipped(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(store_dir, days=1).close()
    good = json.loads(snapshot.to_json(make_snapshot(5, [repo_result("api", 5)])))
    broken = {k: v for k, v in good.items() if k != "repositories"}
    path = "snapshots/2026/11/metrics_20261105_100000_ci-1_0000000001.json"
    bad = inject(store_dir, {path: json.dumps(broken).encode()}, trailers(path))
    forget_warnings()
    st = store.open_store(store_dir)
    assert len(list(st.snapshots())) == 1
    st.close()
    err = capsys.readouterr().err
    assert f"skipped collection {bad[:10]}" in err
    assert "missing 'repositories'" in err
