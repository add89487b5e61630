"""Per-file detail: each measured repository's files in ``repos/<name>/files.json``.

It equals the report's files for every format (fixtures made by real tools), is written
only when the repository is measured, and an unchanged report gives the same bytes, so
the same git blob. The trust gate accepts exactly what is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gitmetrics import formats, snapshot
from gitmetrics.cli import app
from gitmetrics.collect import detail_of
from gitmetrics.errors import SnapshotError
from gitmetrics.formats.merge import normalise
from gitmetrics.store import gate
from tests.conftest import fsck, git

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
CASES = sorted(FIXTURES.glob("*/*/expected.json"))
runner = CliRunner()


@pytest.mark.parametrize(
    "expected_path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}"
)
def test_detail_equals_the_reports_files(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text())
    root = expected_path.parent
    cov = formats.parse(root / expected["report"], expected["format"])
    data = detail_of("repo", cov, root)
    if not cov.files:
        assert data is None
        return
    assert data is not None
    assert data == detail_of("repo", cov, root)  # the same report, the same bytes
    details = {d.path: d for d in snapshot.read_files(data, "files.json")}
    assert list(details) == sorted(details)
    by_path: dict[str, list[formats.FileCoverage]] = {}
    for f in cov.files:
        by_path.setdefault(normalise(f.path, root), []).append(f)
    assert set(details) == set(by_path)
    for path, found in by_path.items():
        d = details[path]
        assert not d.path.startswith(("./", root.as_posix())) and "\\" not in d.path
        if len(found) == 1:
            (f,) = found
            assert (d.lines_covered, d.lines_valid) == (f.lines_covered, f.lines_valid)
            assert (d.branches_covered, d.branches_valid) == (f.branches_covered, f.branches_valid)
        f = found[0]
        if f.lines is None:
            assert d.covered is None and d.missed is None
        elif len(found) == 1:
            assert d.covered is not None and d.missed is not None
            assert set(d.covered) == {n for n, hit in f.lines.items() if hit and n > 0}
            assert set(d.missed) == {n for n, hit in f.lines.items() if not hit and n > 0}
    if all(len(v) == 1 for v in by_path.values()):
        assert sum(d.lines_covered for d in details.values()) == cov.lines_covered


def test_ranges_round_trip() -> None:
    assert snapshot.ranges([9, 1, 2, 3, 7, 10, 2]) == "1-3,7,9-10"
    assert snapshot.ranges([]) == ""
    assert snapshot.from_ranges("1-3,7,9-10") == [1, 2, 3, 7, 9, 10]


def _workspace(tmp: Path) -> Path:
    for name, case in (("api", "lcov/nyc"), ("web", "cobertura/pytest-cov-lines")):
        src = FIXTURES / case
        shutil.copytree(src, tmp / name)
    (tmp / "repos.yaml").write_text(
        "store: metrics\nrepos:\n"
        "  - {name: api, path: api, coverage: lcov.info}\n"
        "  - {name: web, path: web, coverage: coverage.xml}\n"
    )
    return tmp / "repos.yaml"


def _run(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _tree(store: Path) -> dict[str, str]:
    out = git("-C", store, "ls-tree", "-r", "HEAD")
    return {line.split("\t")[1]: line.split()[2] for line in out.splitlines()}


def test_detail_is_written_when_measured_and_unchanged_bytes_keep_the_blob(tmp_path: Path) -> None:
    cfg = _workspace(tmp_path)
    store = tmp_path / "metrics"
    _run("collect", "-c", cfg)
    first = _tree(store)
    assert {"repos/api/files.json", "repos/web/files.json"} <= set(first)
    api = json.loads((store / "repos/api/files.json").read_text())
    assert api["repository"] == "api" and api["files"][0]["path"] == "calc.js"
    _run("collect", "-c", cfg)  # the same reports: the same blobs
    second = _tree(store)
    assert second["repos/api/files.json"] == first["repos/api/files.json"]
    assert second["repos/web/files.json"] == first["repos/web/files.json"]
    # web's report changes; only web is measured: of the per-repo paths only web's moves
    report = tmp_path / "web" / "coverage.xml"
    report.write_text(report.read_text().replace('hits="1"', 'hits="0"', 1))
    _run("collect", "-c", cfg, "--repo", "web")
    third = _tree(store)
    changed = {p for p in set(second) | set(third) if second.get(p) != third.get(p)}
    per_repo = {p for p in changed if p.startswith("repos/")}
    assert per_repo == {"repos/web/files.json"}
    assert changed - per_repo <= {
        "latest.json",
        "README.md",
        "badges/web.svg",
        "badges/average.svg",
    } | {p for p in changed if p.startswith("snapshots/")}
    fsck(store)
    # the gate accepts what was written; verify finds nothing wrong
    out = " ".join(_run("verify", "--store", store).split())
    assert out.endswith("metrics: no problems")
    # and refuses a per-file blob that is not one
    with pytest.raises(gate.Refused, match=r"repos/web/files\.json"):
        gate._check_blob("repos/web/files.json", "files", b'{"schema_version": 2}')
    with pytest.raises(SnapshotError, match="newer"):
        snapshot.read_files(b'{"schema_version": 3}', "repos/web/files.json")


def test_a_repo_removed_from_the_config_loses_its_detail(tmp_path: Path) -> None:
    cfg = _workspace(tmp_path)
    _run("collect", "-c", cfg)
    cfg.write_text(
        cfg.read_text().replace("  - {name: web, path: web, coverage: coverage.xml}\n", "")
    )
    _run("collect", "-c", cfg)
    tree = _tree(tmp_path / "metrics")
    assert "repos/web/files.json" not in tree and "repos/api/files.json" in tree
    assert "badges/web.svg" not in tree


def test_a_remote_holding_detail_passes_the_gate(tmp_path: Path) -> None:
    cfg = _workspace(tmp_path)
    _run("collect", "-c", cfg)
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", "--initial-branch=main", remote)
    _run("push", "--store", tmp_path / "metrics", "--remote", remote)
    _run("clone", remote, tmp_path / "copy")
    assert (tmp_path / "copy" / "repos" / "api" / "files.json").read_bytes() == (
        tmp_path / "metrics" / "repos" / "api" / "files.json"
    ).read_bytes()


def test_the_files_reader_trusts_the_store_and_reads_each_blob_once(tmp_path: Path) -> None:
    from gitmetrics import history
    from gitmetrics.store import open_store

    cfg = _workspace(tmp_path)
    _run("collect", "-c", cfg)
    _run("collect", "-c", cfg)  # the same reports: the same blob in both collections
    st = open_store(tmp_path / "metrics")
    try:
        newest, older = history.collections(st)
        files = history.Files(st)
        now = files.of(newest, "api")
        assert now is not None and [f.path for f in now] == ["calc.js"]
        assert files.blob_id(newest, "api") == files.blob_id(older, "api")
        assert files.of(older, "api") is now  # parsed once
        assert files.of(newest, "nope") is None
        # trusted: a blob that breaks the schema but fits the model is read, not refused
        loose = b'{"schema_version": 2, "files": [{"path": "x", "lines_covered": 1, '
        loose += b'"lines_valid": 1, "branches_covered": null, "branches_valid": null, '
        loose += b'"covered": "1", "missed": "", "extra": 1}]}'
        assert snapshot.read_files(loose, "f", trusted=True)[0].covered == (1,)
        with pytest.raises(SnapshotError, match="required property"):
            snapshot.read_files(loose, "f")
        with pytest.raises(SnapshotError, match="per-file detail gitmetrics can read"):
            snapshot.read_files(b'{"schema_version": 2, "files": [{}]}', "f", trusted=True)
        with pytest.raises(SnapshotError, match="newer"):
            snapshot.read_files(b'{"schema_version": 3}', "f", trusted=True)
    finally:
        st.close()
