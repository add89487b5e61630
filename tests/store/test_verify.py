"""``gitmetrics verify``: the gate's checks over a store's whole history, nothing trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dulwich.repo import Repo

from gitmetrics import snapshot, store
from tests.helpers import fsck, inject, invoke, make_snapshot, repo_result, trailers
from tests.sync.conftest import collect
from tests.sync.test_hostile_remote import ATTACKS


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./repos.yaml: --store is the only setting


def verify(path: Path, *extra: str) -> tuple[int, str]:
    result = invoke("verify", "--store", str(path), *extra)
    return result.exit_code, result.stdout


def _store(path: Path, *, bare: bool = False) -> None:
    st = store.init(path, bare=bare)
    for day in (1, 2, 3):
        snap = make_snapshot(day, [repo_result("api", 50 + day), repo_result("web", 40)])
        st.commit_snapshot(snap, retention=0)
    st.close()


def test_a_clean_store_verifies(store_dir: Path) -> None:
    _store(store_dir)
    code, out = verify(store_dir)
    assert code == 0, out
    assert out.splitlines() == [f"verified 4 commits (3 collections) of {store_dir}: no problems"]


def test_every_problem_is_named_with_its_commit_and_path(store_dir: Path) -> None:
    _store(store_dir)
    good = json.loads(snapshot.to_json(make_snapshot(9, [repo_result("api", 9)])))
    bad_path = "snapshots/2026/11/metrics_20261109_100000_ci-1_0000000001.json"
    bad_snapshot = inject(
        store_dir, {bad_path: json.dumps({**good, "host": 7}).encode()}, trailers(bad_path)
    )
    bad_trailer = inject(store_dir, {}, trailers(bad_path, **{"Repos": "many"}))
    outside = inject(store_dir, {"notes/todo.txt": b"hi\n"}, "notes\n")
    code, out = verify(store_dir)
    assert code == 3, out  # verify's gate: a problem found
    lines = out.splitlines()
    assert len(lines) == 4, out
    found = {line.split(":", 1)[0]: line for line in lines[:3]}
    assert f"{bad_path}: host: must be a string" in found[f"commit {bad_snapshot[:10]}"]
    assert "Gitmetrics-Repos: many is not a count" in found[f"commit {bad_trailer[:10]}"]
    assert "notes/todo.txt: not a file of the store's layout" in found[f"commit {outside[:10]}"]
    assert lines[3] == f"3 problem(s) in 7 commits (4 collections) of {store_dir}"

    code, out = verify(store_dir, "--json")
    assert code == 3
    data = json.loads(out)
    assert data["ok"] is False and data["commits"] == 7 and data["collections"] == 4
    problems = {p["commit"]: p for p in data["problems"]}
    assert set(problems) == {bad_snapshot, bad_trailer, outside}
    assert problems[bad_snapshot]["path"] == bad_path
    assert problems[bad_trailer]["path"] == ""  # the commit's own message
    assert problems[outside]["path"] == "notes/todo.txt"
    fsck(store_dir)  # git itself finds nothing wrong: these are gitmetrics' own rules


def test_verify_json_on_a_clean_store(store_dir: Path) -> None:
    _store(store_dir, bare=True)
    code, out = verify(store_dir, "--json")
    assert code == 0
    assert json.loads(out) == {
        "store": str(store_dir),
        "ok": True,
        "commits": 4,
        "collections": 3,
        "problems": [],
    }


#: the gate's cap for remotes; verify uses the configured one, far above these files
_UNDER_DEFAULT_CAP = {"oversize"}


@pytest.mark.parametrize("name", sorted(set(ATTACKS) - _UNDER_DEFAULT_CAP))
def test_verify_finds_what_the_gate_refuses(name: str, store_dir: Path) -> None:
    st = store.init(store_dir, bare=True)
    collect(st, "runner-a", 1)  # the stores the attacks are written for
    collect(st, "runner-a", 2)
    st.close()
    repo = Repo(str(store_dir))
    try:
        attack = ATTACKS[name](repo)
    finally:
        repo.close()
    result = invoke("verify", "--store", str(store_dir))
    # a store it cannot read at all is an error (1); a problem found, the gate's 3
    assert result.exit_code == (1 if name == "store-version-newer" else 3), result.stdout
    if name == "store-version-newer":  # not read at all: this gitmetrics cannot
        assert "written by a newer gitmetrics: upgrade" in result.stderr
    else:
        assert f"commit {attack[:10]}: " in result.stdout, result.stdout
        assert result.stdout.splitlines()[-1].startswith("1 problem(s) in 4 commits")
