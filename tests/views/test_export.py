"""`gitmetrics export`: the history as rows for a database, in csv, jsonl, parquet and sqlite.

The store is built by real collections of real reports (../shared/realworld); the oracle
for the rows is `history --json` (collections, repositories, files per collection), the
producers' totals in manifest.json, and the reports' own per-file figures. docs/export.md's
DuckDB queries are run as written.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import formats
from gitmetrics.export import FILE_COLUMNS, REPO_COLUMNS
from tests.helpers import invoke, realworld

REALWORLD = realworld() or Path("shared/realworld")
MANIFEST = REALWORLD / "manifest.json"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "export.md"

#: (repository, role, real-world case): an LCOV and a Cobertura report of public projects
REPOS = (("app", "frontend", "foundry-lcov-p256"), ("lib", "library", "coverlet-cobertura-edlib"))
TIMES = ("2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z", "2026-11-03T10:00:00Z")

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason="../shared/realworld is not here")


def _cases() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in json.loads(MANIFEST.read_text())["cases"]}


def _report(case: dict[str, Any]) -> Path:
    return REALWORLD / case["file"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three collections: both repositories, then `app` alone (`lib` carried), then both."""
    root = tmp_path_factory.mktemp("export")
    cases = _cases()
    lines = ["store: metrics", "repos:"]
    for name, role, case_id in REPOS:
        report = _report(cases[case_id])
        (root / name).mkdir()
        shutil.copy(report, root / name / report.name)
        lines.append(f"  - {{name: {name}, path: {name}, coverage: {report.name}, role: {role}}}")
    (root / "repos.yaml").write_text("\n".join(lines) + "\n")
    for at, only in zip(TIMES, ((), ("app",), ()), strict=True):
        args = ["collect", "--config", str(root / "repos.yaml"), "--at", at]
        for name in only:
            args += ["--repo", name]
        result = invoke(*args)
        assert result.exit_code == 0, result.output
    return root


def run(ws: Path, *args: str) -> str:
    result = invoke(*["export", "--config", str(ws / "repos.yaml"), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def history(ws: Path) -> list[dict[str, Any]]:
    out = invoke(*["history", "--config", str(ws / "repos.yaml"), "--all", "--json"]).stdout
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_repo_rows_round_trip_history_json(workspace: Path) -> None:
    rows = jsonl(run(workspace, "--format", "jsonl"))
    hist = history(workspace)
    # one row per repository per collection, oldest first, the collections of history
    assert [r["collection"] for r in rows[::2]] == [h["collection"] for h in reversed(hist)]
    per = Counter(r["collection"] for r in rows)
    assert per == {h["collection"]: h["repos"] for h in hist}
    for h in hist:
        mine = [r for r in rows if r["collection"] == h["collection"]]
        assert sum(r["files"] for r in mine) == h["files"]
        assert sum(r["carried"] for r in mine) == h["repos_carried"]
        assert {r["at"] for r in mine} == {h["at"]}
    # the figures are the producers' own (manifest.json)
    cases = _cases()
    for name, role, case_id in REPOS:
        expected = cases[case_id]["expected"]
        for r in (r for r in rows if r["repo"] == name):
            assert r["role"] == role and r["status"] == "ok"
            assert (r["lines_covered"], r["lines_valid"]) == (
                expected["lines_covered"],
                expected["lines_valid"],
            )
            assert r["line_coverage"] == expected["line_coverage"]
    # the second collection measured app only: lib is carried with its first measured_at
    second = [r for r in rows if r["at"] == TIMES[1]]
    lib = next(r for r in second if r["repo"] == "lib")
    assert lib["carried"] is True and lib["measured_at"] == TIMES[0] and lib["age"] == 86400
    assert next(r for r in second if r["repo"] == "app")["carried"] is False
    assert set(rows[0]) == {n for n, _ in REPO_COLUMNS}


def test_file_rows_equal_the_reports_files(workspace: Path) -> None:
    rows = jsonl(run(workspace, "--files", "--format", "jsonl"))
    cases = _cases()
    measurements = Counter((r["at"], r["repo"]) for r in rows)
    # a row per file per measurement: lib was carried by the second collection, so it has none
    assert set(measurements) == {
        (TIMES[0], "app"),
        (TIMES[0], "lib"),
        (TIMES[1], "app"),
        (TIMES[2], "app"),
        (TIMES[2], "lib"),
    }
    for name, _role, case_id in REPOS:
        case = cases[case_id]
        cov = formats.parse(_report(case), case["format"])
        by_path: dict[str, tuple[int, int]] = {}
        for f in cov.files:
            covered, valid = by_path.get(f.path.rsplit("/", 1)[-1], (0, 0))
            by_path[f.path.rsplit("/", 1)[-1]] = (covered + f.lines_covered, valid + f.lines_valid)
        mine = [r for r in rows if r["repo"] == name and r["at"] == TIMES[0]]
        assert len(mine) == case["expected"]["files"]
        assert sum(r["lines_valid"] for r in mine) == case["expected"]["lines_valid"]
        assert sum(r["lines_covered"] for r in mine) == case["expected"]["lines_covered"]
        for r in mine:
            base = r["path"].rsplit("/", 1)[-1]
            if list(by_path).count(base) == 1:
                assert (r["lines_covered"], r["lines_valid"]) == by_path[base]
            missed = r["missed_lines"]
            assert missed is not None
            n_missed = sum(
                int(b) - int(a) + 1
                for a, _, b in (
                    (p.partition("-")[0], "-", p.partition("-")[2] or p.partition("-")[0])
                    for p in filter(None, missed.split(","))
                )
            )
            assert n_missed == r["lines_valid"] - r["lines_covered"]
    assert set(rows[0]) == {n for n, _ in FILE_COLUMNS}


def test_csv_is_the_same_rows(workspace: Path) -> None:
    text = run(workspace)  # csv is the default, on stdout
    table = list(csv.DictReader(io.StringIO(text)))
    rows = jsonl(run(workspace, "--format", "jsonl"))
    assert len(table) == len(rows)
    assert list(table[0]) == [n for n, _ in REPO_COLUMNS]
    for t, r in zip(table, rows, strict=True):
        assert t["collection"] == r["collection"] and t["repo"] == r["repo"]
        assert int(t["lines_valid"]) == r["lines_valid"]
        assert t["carried"] == ("true" if r["carried"] else "false")


@pytest.mark.parametrize("files", [False, True], ids=["repos", "files"])
def test_sqlite_and_parquet_hold_the_same_rows(
    workspace: Path, tmp_path: Path, files: bool
) -> None:
    extra = ["--files"] if files else []
    rows = jsonl(run(workspace, "--format", "jsonl", *extra))
    table = "file_history" if files else "repo_history"
    db = tmp_path / "history.sqlite"
    out = run(workspace, "--format", "sqlite", "--output", str(db), *extra)
    assert f"Exported {len(rows):,} rows ({table})" in out
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    got = [dict(r) for r in con.execute(f"SELECT * FROM {table}")]
    con.close()
    assert len(got) == len(rows)
    booleans = {n for n, t in (FILE_COLUMNS if files else REPO_COLUMNS) if t == "boolean"}
    for g, r in zip(got, rows, strict=True):
        assert {k: (bool(v) if k in booleans and v is not None else v) for k, v in g.items()} == r

    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "history.parquet"
    run(workspace, "--format", "parquet", "-o", str(path), *extra)
    assert pq.read_table(path).to_pylist() == rows


def test_filters(workspace: Path) -> None:
    only_lib = jsonl(run(workspace, "-f", "jsonl", "--repo", "lib"))
    assert {r["repo"] for r in only_lib} == {"lib"} and len(only_lib) == 3
    newest = jsonl(run(workspace, "-f", "jsonl", "--limit", "1"))
    assert {r["at"] for r in newest} == {TIMES[2]}
    since = jsonl(run(workspace, "-f", "jsonl", "--since", "2026-11-02"))
    assert [r["at"] for r in since] == [TIMES[1], TIMES[1], TIMES[2], TIMES[2]]


def _queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(), flags=re.S)


def test_docs_duckdb_queries_run(workspace: Path, tmp_path: Path, monkeypatch: Any) -> None:
    duckdb = pytest.importorskip("duckdb")
    pytest.importorskip("pyarrow")
    queries = _queries()
    assert len(queries) >= 2, "docs/export.md shows its DuckDB queries in ```sql blocks"
    monkeypatch.chdir(tmp_path)
    # the files the docs' commands write, in the directory the queries run in
    run(workspace, "--format", "parquet", "-o", "history.parquet")
    run(workspace, "--files", "--format", "parquet", "-o", "files.parquet")
    run(workspace, "--format", "csv", "-o", "history.csv")
    con = duckdb.connect()
    results = [con.sql(q).fetchall() for q in queries]
    # the first query: each repository's latest coverage, from the newest collection
    assert sorted(results[0])[:2] == [
        ("app", pytest.approx(_cases()[REPOS[0][2]]["expected"]["line_coverage"])),
        ("lib", pytest.approx(_cases()[REPOS[1][2]]["expected"]["line_coverage"])),
    ]
    for found in results:
        assert found, "every documented query returns rows"


def test_a_failed_export_leaves_the_old_file(
    workspace: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    from gitmetrics import export as exportmod

    out = tmp_path / "history.sqlite"
    run(workspace, "-f", "sqlite", "-o", str(out))
    before = out.read_bytes()

    def broken(*args: Any, **kwargs: Any) -> Any:
        yield dict.fromkeys((n for n, _ in REPO_COLUMNS), None)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exportmod, "repo_rows", broken)
    result = invoke(
        *["export", "--config", str(workspace / "repos.yaml"), "-f", "sqlite", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "sqlite"], "--format sqlite writes a file"),
        (["-f", "parquet"], "--format parquet writes a file"),
        (["-f", "xlsx"], "--format xlsx: unknown export format"),
        (["--repo", "nope"], "repository 'nope' is not in the newest collection"),
        (["-o", "missing/dir/x.csv"], "does not exist"),
    ],
)
def test_user_errors(workspace: Path, tmp_path: Path, args: list[str], message: str) -> None:
    fixed = [str(tmp_path / a) if a.startswith("missing/") else a for a in args]
    result = invoke(*["export", "--config", str(workspace / "repos.yaml"), *fixed])
    assert result.exit_code == 1
    assert message in result.output


def test_an_empty_store_is_refused(tmp_path: Path) -> None:
    assert invoke(*["init", str(tmp_path / "m")]).exit_code == 0
    result = invoke(*["export", "--store", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "no collections yet" in result.output


def test_a_closed_pipe_stops_quietly(workspace: Path) -> None:
    """`gitmetrics export | true` (a reader that stops): exit 141 (128 + SIGPIPE) as git, nothing on stderr."""
    script = (
        f"{sys.executable} -c 'from gitmetrics.cli import main; main()' export --files"
        f' --config {workspace / "repos.yaml"} | true; echo " ${{PIPESTATUS[0]}}"'
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.endswith(" 141\n"), done
    assert done.stderr == ""
