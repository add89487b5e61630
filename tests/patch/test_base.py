"""gitmetrics patch against the base: the figures of a real store made by `gitmetrics
collect` at the base commit, the project's change in points, indirect changes, --max-drop."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from gitmetrics import schema
from gitmetrics.errors import ExitCode
from tests.helpers import git, invoke


def sh(cwd: Path, *args: str) -> str:
    return git(*args, cwd=cwd)


def lcov(files: dict[str, dict[int, int]]) -> str:
    out = []
    for name, lines in files.items():
        out.append("TN:")
        out.append(f"SF:{name}")
        out += [f"DA:{n},{h}" for n, h in sorted(lines.items())]
        out.append(f"LF:{len(lines)}")
        out.append(f"LH:{sum(1 for h in lines.values() if h)}")
        out.append("end_of_record")
    return "\n".join(out) + "\n"


BASE_REPORT = {
    "app/a.py": {1: 1, 2: 1, 3: 0, 4: 0},  # 2/4
    "app/b.py": {1: 1, 2: 1, 3: 1},  # 3/3
    "app/c.py": {1: 1, 2: 0},  # 1/2, unchanged
}
#: after the change: a.py has 3 new lines, 1 of them covered; b.py (not in the diff) lost
#: a covered line
CHANGED_REPORT = {
    "app/a.py": {1: 1, 2: 1, 3: 0, 4: 0, 5: 1, 6: 0, 7: 0},  # 3/7
    "app/b.py": {1: 1, 2: 0, 3: 1},  # 2/3
    "app/c.py": {1: 1, 2: 0},
}


@pytest.fixture
def measured(tmp_path: Path) -> tuple[Path, Path]:
    """A source repository with an origin, measured by `gitmetrics collect` at main's head,
    then a branch that changes app/a.py and whose report also lowers app/b.py."""
    origin = tmp_path / "origin.git"
    sh(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    src = tmp_path / "src"
    src.mkdir()
    sh(src, "init", "-q", "-b", "main")
    (src / "app").mkdir()
    (src / "app" / "a.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    (src / "app" / "b.py").write_text("x = 1\ny = 2\nz = 3\n")
    (src / "app" / "c.py").write_text("p = 1\nq = 2\n")
    (src / ".gitignore").write_text("lcov.info\n")
    sh(src, "add", ".")
    sh(src, "commit", "-q", "-m", "base")
    sh(src, "remote", "add", "origin", str(origin))
    sh(src, "push", "-q", "origin", "main")
    sh(src, "fetch", "-q", "origin")
    sh(src, "remote", "set-head", "origin", "main")
    (src / "lcov.info").write_text(lcov(BASE_REPORT))
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        f"store: {tmp_path / 'metrics'}\n"
        f"repos:\n  - name: proj\n    path: {src}\n    coverage: lcov.info\n"
    )
    result = invoke("collect", "-c", cfg)
    assert result.exit_code == 0, result.output
    sh(src, "checkout", "-q", "-b", "feature")
    with (src / "app" / "a.py").open("a") as fh:
        fh.write("e = 5\nf = 6\ng = 7\n")
    sh(src, "commit", "-q", "-am", "change")
    (src / "lcov.info").write_text(lcov(CHANGED_REPORT))
    return src, cfg


def patch_json(cfg: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = invoke("patch", "-c", cfg, "--repo", "proj", "-f", "json", *extra)
    data = json.loads(result.output)
    assert schema.output_errors("patch", data) == []
    return result.exit_code, data


@pytest.mark.slow
def test_against_the_measurement_of_the_merge_base(measured: tuple[Path, Path]) -> None:
    src, cfg = measured
    base_commit = sh(src, "rev-parse", "main").strip()
    code, data = patch_json(cfg)
    assert code == 0
    assert (data["covered"], data["coverable"]) == (1, 3)
    project = data["project"]
    assert isinstance(project, dict)
    assert (project["lines_covered"], project["lines_valid"]) == (6, 12)
    assert project["line_coverage"] == 50.0
    base = project["base"]
    assert base["found_by"] == "merge base"
    assert base["source_commit"] == base_commit
    assert base["source_branch"] == "main"
    assert (base["lines_covered"], base["lines_valid"]) == (6, 9)
    assert base["line_coverage"] == 66.67
    assert project["change"] == -16.67  # 50 - 66.666...
    # b.py changed outside the diff; a.py is in the diff; c.py did not change
    assert [f["path"] for f in project["indirect"]] == ["app/b.py"]
    b = project["indirect"][0]
    assert (b["base_lines_covered"], b["lines_covered"], b["lines_valid"]) == (3, 2, 3)
    assert (b["base_line_coverage"], b["line_coverage"], b["change"]) == (100.0, 66.67, -33.33)


@pytest.mark.slow
def test_max_drop_is_a_gate(measured: tuple[Path, Path]) -> None:
    _, cfg = measured
    code, data = patch_json(cfg, "--max-drop", "16")
    assert code == ExitCode.GATE == 3
    assert data["ok"] is False and data["max_drop"] == 16
    code, data = patch_json(cfg, "--max-drop", "17")
    assert code == 0 and data["ok"] is True
    result = invoke("patch", "-c", cfg, "--repo", "proj", "--max-drop", "16")
    assert result.exit_code == 3
    assert "dropped over 16 points" in result.output
    assert "Base: the merge base" in result.output
    assert "app/b.py: 100.0% (3/3) -> 66.7% (2/3) (-33.33)" in result.output


@pytest.mark.slow
def test_the_comment_carries_both_figures(measured: tuple[Path, Path]) -> None:
    _, cfg = measured
    result = invoke("patch", "-c", cfg, "--repo", "proj", "-f", "markdown")
    assert result.exit_code == 0, result.output
    tokens = MarkdownIt("commonmark").enable("table").parse(result.output)
    heading = next(tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open")
    assert "Patch coverage 33.3% (1 of 3 changed lines)" in heading
    assert "project 50.0% (-16.67 vs base)" in heading
    cells = [t.content for t in tokens if t.type == "inline"]
    assert "`app/b.py`" in cells
    assert "100.0% (3/3)" in cells and "66.7% (2/3)" in cells and "-33.33" in cells


@pytest.mark.slow
def test_an_unmeasured_merge_base_falls_back_to_the_default_branch(
    measured: tuple[Path, Path],
) -> None:
    src, cfg = measured
    measured_commit = sh(src, "rev-parse", "main").strip()
    # main moves on without a measurement; the branch is rebased onto it
    sh(src, "checkout", "-q", "main")
    (src / "README").write_text("readme\n")
    sh(src, "add", "README")
    sh(src, "commit", "-q", "-m", "docs")
    sh(src, "push", "-q", "origin", "main")
    sh(src, "checkout", "-q", "feature")
    sh(src, "rebase", "-q", "main")
    code, data = patch_json(cfg)
    assert code == 0
    base = data["project"]["base"]  # type: ignore[index]
    assert base["found_by"] == "default branch"
    assert base["source_commit"] == measured_commit
    result = invoke("patch", "-c", cfg, "--repo", "proj")
    assert "not measured at the merge base" in result.output
    # --base as a commit: the default branch's measurement all the same
    main = sh(src, "rev-parse", "main").strip()
    code, data = patch_json(cfg, "--base", main)
    assert data["project"]["base"]["found_by"] == "default branch"  # type: ignore[index]
    assert data["project"]["base"]["source_branch"] == "main"  # type: ignore[index]


def test_no_store_is_said_not_failed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "lcov.info").write_text(lcov(BASE_REPORT))
    diff = tmp_path / "d.diff"
    diff.write_bytes(b"")
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        f"store: {tmp_path / 'metrics'}\n"
        f"repos:\n  - name: proj\n    path: {src}\n    coverage: lcov.info\n"
    )
    code, data = patch_json(cfg, "--diff-file", str(diff), "--max-drop", "1")
    assert code == 0
    project = data["project"]
    assert isinstance(project, dict)
    assert project["base"] is None and project["change"] is None
    assert "no metrics repository here" in project["note"]


def test_max_drop_needs_a_config(tmp_path: Path) -> None:
    (tmp_path / "lcov.info").write_text(lcov(BASE_REPORT))
    diff = tmp_path / "d.diff"
    diff.write_bytes(b"")
    result = invoke(
        "patch", "--path", tmp_path, "--report", tmp_path / "lcov.info",
        "--diff-file", diff, "--max-drop", "1",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--max-drop needs the metrics store of a config" in result.output


@pytest.mark.slow
def test_record_commits_off_the_branch(measured: tuple[Path, Path]) -> None:
    from gitmetrics import history
    from gitmetrics.store import open_store

    _, cfg = measured
    store = cfg.parent / "metrics"
    main = sh(store, "rev-parse", "refs/heads/main").strip()
    latest = sh(store, "show", "main:latest.json")
    code, data = patch_json(cfg, "--record", "42")
    assert code == 0
    ref = "refs/gitmetrics/pr/42"
    pr = sh(store, "rev-parse", ref).strip()
    assert data["recorded"] == f"{ref} ({pr[:10]})"
    # the branch, its state and its history did not move
    assert sh(store, "rev-parse", "refs/heads/main").strip() == main
    assert sh(store, "show", "main:latest.json") == latest
    assert sh(store, "rev-parse", f"{pr}^").strip() == main
    sh(store, "fsck", "--strict")
    st = open_store(store)
    try:
        newest, before = list(history.readable(history.query(st, history.Query(rev=pr))))[:2]
        r = newest.snapshot.repo("proj")
        assert r is not None and r.source is not None
        assert (r.lines_covered, r.lines_valid) == (6, 12)
        assert r.source.branch == "feature"
        assert before.entry.commit == main
        assert next(c.entry.commit for c in history.query(st)) == main
    finally:
        st.close()
    # history --pr shows the PR's measurement, then main's collections; main's stays as it was
    rows = json.loads(invoke("history", "-c", cfg, "--pr", "42", "--json").stdout)
    main_rows = json.loads(invoke("history", "-c", cfg, "--json").stdout)
    assert [r["collection"] for r in rows] == [pr] + [r["collection"] for r in main_rows]
    missing = invoke("history", "-c", cfg, "--pr", "7")
    assert missing.exit_code == 1 and "no measurement of the pull request '7'" in missing.output
    # recorded again: the ref moves to the new measurement, still on main's head
    code, data = patch_json(cfg, "--record", "42")
    assert sh(store, "rev-parse", f"{ref}^").strip() == main
    # the next patch still compares with main's measurement, not the PR's
    code, data = patch_json(cfg)
    assert data["project"]["base"]["found_by"] == "merge base"  # type: ignore[index]
    # gc keeps the PR's objects; verify (of the branch) is still clean
    assert invoke("gc", "-c", cfg).exit_code == 0
    sh(store, "fsck", "--strict")
    sh(store, "cat-file", "-e", f"{ref}:latest.json")
    result = invoke("verify", "-c", cfg)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_sync_leaves_pr_refs_out_both_ways(measured: tuple[Path, Path], tmp_path: Path) -> None:
    _, cfg = measured
    store = cfg.parent / "metrics"
    assert patch_json(cfg, "--record", "7")[0] == 0
    remote = tmp_path / "remote.git"
    sh(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    result = invoke("push", "-c", cfg, "--remote", remote)
    assert result.exit_code == 0, result.output
    refs = sh(remote, "for-each-ref", "--format=%(refname)")
    assert "refs/heads/main" in refs and "refs/gitmetrics" not in refs
    # a hostile remote offers a PR ref holding what the gate would refuse (a file outside
    # the layout): pull never fetches it, so the store neither has the ref nor its objects
    evil = tmp_path / "evil"
    sh(tmp_path, "clone", "-q", str(remote), str(evil))
    (evil / "payload.sh").write_text("echo owned\n")
    sh(evil, "add", "payload.sh")
    sh(evil, "commit", "-q", "-m", "evil")
    bad = sh(evil, "rev-parse", "HEAD").strip()
    sh(evil, "push", "-q", "origin", "HEAD:refs/gitmetrics/pr/evil")
    result = invoke("pull", "-c", cfg, "--remote", remote)
    assert result.exit_code == 0, result.output
    assert "refs/gitmetrics/pr/evil" not in sh(store, "for-each-ref", "--format=%(refname)")
    probe = subprocess.run(["git", "-C", str(store), "cat-file", "-e", bad], check=False)
    assert probe.returncode != 0
    assert "refs/gitmetrics/pr/7" in sh(store, "for-each-ref", "--format=%(refname)")


@pytest.mark.slow
def test_record_refuses_a_bad_key(measured: tuple[Path, Path]) -> None:
    _, cfg = measured
    store = cfg.parent / "metrics"
    main = sh(store, "rev-parse", "refs/heads/main").strip()
    for key in ("../main", "a/b", ".hidden", "x.lock"):
        result = invoke("patch", "-c", cfg, "--repo", "proj", "--record", key)
        assert result.exit_code == 1, (key, result.output)
        assert "not a pull-request key" in result.output
    assert sh(store, "rev-parse", "refs/heads/main").strip() == main
    assert "refs/gitmetrics" not in sh(store, "for-each-ref", "--format=%(refname)")
