"""Readers never brick: a collection in history that cannot be read is skipped with a warning.

Such commits cannot come in through a pull any more (the gate refuses them), but stores
written before the gate, or edited by hand, may hold them. They are written here the way a
careless writer would: straight into the store, bypassing every check.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import fsck, git, inject, invoke, trailers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "repos.yaml").write_text((ROOT / "repos.yaml").read_text())
    return tmp_path


def run(*args: str | Path) -> tuple[int, str, str]:
    result = invoke(*args)
    return result.exit_code, result.stdout, result.stderr


def latest_bytes(store: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((store / "latest.json").read_text())
    return data


VIEWS = [
    ["history"],
    ["history", "--json"],
    ["status"],
    ["status", "--json"],
    ["trends"],
    ["diff"],
    ["report", "--output", "{tmp}/report.md"],
    ["dashboard", "--output", "{tmp}/dash.html"],
]


def test_unreadable_collections_are_skipped_by_every_command(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    store = workspace / "metrics"
    assert run("collect", "-c", cfg)[0] == 0
    good = latest_bytes(store)
    newer = json.dumps({**good, "schema_version": 99}).encode()
    invalid = json.dumps({**good, "summary": "nope"}).encode()
    p_newer = "snapshots/2026/11/metrics_20261120_100000_vm_0000000001.json"
    p_invalid = "snapshots/2026/11/metrics_20261120_100100_vm_0000000002.json"
    c_newer = inject(store, {p_newer: newer}, trailers(p_newer))
    c_invalid = inject(store, {p_invalid: invalid}, trailers(p_invalid))
    c_trailer = inject(store, {}, trailers(p_invalid, **{"Avg-Coverage": "abc"}))
    c_missing = inject(store, {}, trailers("snapshots/2026/11/metrics_gone.json"))
    assert run("collect", "-c", cfg)[0] == 0  # collect on top of them works

    for args in VIEWS:
        code, out, err = run(*[a.format(tmp=workspace) for a in args], "-c", cfg)
        assert code == 0, (args, out, err)
        assert "Traceback" not in err
        if args[0] != "history":  # history reads trailers only
            assert c_newer[:10] in err and "newer" in err, (args, err)
            assert c_invalid[:10] in err, (args, err)
        assert c_trailer[:10] in err and "Avg-Coverage" in err, (args, err)
    code, out, err = run("history", "-c", cfg, "--json")
    listed = {e["collection"] for e in json.loads(out)}
    assert c_trailer not in listed  # the malformed one is left out, the rest are listed
    assert c_missing in listed
    code, _, err = run("check", "-c", cfg)
    assert code in (0, 3) and "error:" not in err
    fsck(store)


def test_a_broken_latest_json_is_not_read_and_is_rewritten(workspace: Path) -> None:
    cfg = workspace / "repos.yaml"
    store = workspace / "metrics"
    assert run("collect", "-c", cfg)[0] == 0
    inject(store, {"latest.json": b"{broken"}, "hand edit\n")
    code, out, err = run("status", "-c", cfg)  # views read each collection's own snapshot
    assert code == 0, err
    assert "inventory-api" in out
    assert run("collect", "-c", cfg)[0] == 0
    assert latest_bytes(store)["schema_version"] == 2


# --- the store is a store ---------------------------------------------------------------


def test_a_project_checkout_is_never_used_as_the_store(workspace: Path) -> None:
    git("init", "-q", "--initial-branch=main", workspace)
    (workspace / "README.md").write_text("# my project\n")
    git("-C", workspace, "add", "README.md")
    git("-C", workspace, "commit", "-qm", "project")
    before = git("-C", workspace, "rev-parse", "HEAD")
    cfg = workspace / "repos.yaml"
    cfg.write_text(cfg.read_text().replace("store: metrics", "store: ."))
    assert "store: ." in cfg.read_text()
    for args in (["collect"], ["init"], ["pull", "--remote", str(workspace)], ["status"]):
        code, _, err = run(*args, "-c", cfg)
        assert code == 1, (args, err)
        assert "is a git repository but not a gitmetrics store" in err, (args, err)
    assert git("-C", workspace, "rev-parse", "HEAD") == before
    assert (workspace / "README.md").read_text() == "# my project\n"


def test_a_non_empty_directory_or_an_uncommitted_repo_with_files_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.md").write_text("mine\n")
    code, _, err = run("init", tmp_path / "busy")
    assert code == 1 and "not empty" in err
    git("init", "-q", tmp_path / "fresh")
    (tmp_path / "fresh" / "README.md").write_text("mine\n")
    code, _, err = run("init", tmp_path / "fresh")
    assert code == 1 and "not a gitmetrics store" in err
    assert (tmp_path / "fresh" / "README.md").read_text() == "mine\n"
    git("init", "-q", tmp_path / "empty")  # an empty repository becomes a store
    code, _, err = run("init", tmp_path / "empty")
    assert code == 0, err
    fsck(tmp_path / "empty")
