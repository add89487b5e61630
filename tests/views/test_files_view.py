"""`gitmetrics files REPO` and `diff --files` on stores built from real reports.

The expected per-file figures are read from the reports themselves, by the few lines of
each format the producer writes per file (LCOV's ``LF``/``LH``/``BRF``/``BRH`` and ``DA``,
coverage.py JSON's per-file ``summary``), never through gitmetrics' parsers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import schema
from gitmetrics.snapshot import ranges
from tests.helpers import invoke, realworld

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
PYTEST_COV = FIXTURES / "coverage-json" / "pytest-cov-branch" / "coverage.json"


def lcov_files(text: str) -> dict[str, dict[str, Any]]:
    """Per ``SF:`` record: its lines hit and missed, as ``lcov --summary`` counts them (a
    line's ``DA`` entries merged, hit when any is: this report's own ``LF``/``LH`` count
    repeated entries, see the manifest's note)."""
    found: dict[str, dict[str, Any]] = {}
    for record in text.split("end_of_record"):
        fields: dict[str, Any] = {"hit": set(), "missed": set()}
        path = None
        for line in record.splitlines():
            key, _, value = line.partition(":")
            if key == "SF":
                path = value
            elif key == "DA":
                n, hits = value.split(",")[:2]
                fields["hit" if int(hits) > 0 else "missed"].add(int(n))
        if path is not None:
            fields["missed"] -= fields["hit"]
            fields["LH"], fields["LF"] = len(fields["hit"]), len(fields["hit"] | fields["missed"])
            found[path] = fields
    return found


def workspace(tmp: Path, report: Path, name: str) -> Path:
    """A repos.yaml with one repository ``app`` whose report is a copy of ``report``."""
    (tmp / "app").mkdir()
    shutil.copy(report, tmp / "app" / name)
    cfg = tmp / "repos.yaml"
    cfg.write_text(f"store: metrics\nrepos:\n  - name: app\n    path: app\n    coverage: {name}\n")
    return cfg


def run_json(*args: str | Path, code: int = 0) -> Any:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def collect(cfg: Path) -> None:
    result = invoke("collect", "-c", cfg)
    assert result.exit_code == 0, result.output


@pytest.fixture
def lcov_case() -> Path:
    base = realworld()
    if base is None:
        pytest.skip("../shared/realworld is not on this machine")
    return base / "cases" / "rust-llvmcov-lcov-bigbits" / "lcov.info"


@pytest.mark.slow
def test_files_equal_the_reports_per_file_figures_lcov(tmp_path: Path, lcov_case: Path) -> None:
    expected = lcov_files(lcov_case.read_text())
    cfg = workspace(tmp_path, lcov_case, "lcov.info")
    collect(cfg)
    out = run_json("files", "app", "-c", cfg)
    assert not schema.output_errors("files", out)
    rows = {Path(r["path"]).name: r for r in out["rows"]}
    assert len(rows) == len(expected) == 9
    for sf, e in expected.items():
        r = rows[Path(sf).name]
        assert (r["lines_covered"], r["lines_valid"]) == (e["LH"], e["LF"]), sf
        assert r["missing"] == ranges(e["missed"])
        assert r["missed"] == e["LF"] - e["LH"]
    # the totals lcov --summary printed (the manifest)
    assert (out["total"]["lines_covered"], out["total"]["lines_valid"]) == (1248, 3264)
    assert out["against"] is None and out["change"] is None
    # directories: the files' parents, their sums
    dirs = run_json("files", "app", "-c", cfg, "--depth", "1")
    assert dirs["unit"] == "directory"
    assert sum(r["lines_valid"] for r in dirs["rows"]) == out["total"]["lines_valid"]
    assert sum(r["files"] for r in dirs["rows"]) == 9
    # worst first, and a glob
    worst = run_json("files", "app", "-c", cfg, "--sort", "coverage")
    assert [r["line_coverage"] for r in worst["rows"]][:5] == [0.0] * 5
    utils = run_json("files", "app", "-c", cfg, "--path", "**/utils/*.rs")
    assert sorted(Path(r["path"]).name for r in utils["rows"]) == [
        "div.rs", "mod.rs", "mul.rs", "utils.rs",
    ]  # fmt: skip
    assert utils["total"]["lines_covered"] == sum(
        e["LH"] for sf, e in expected.items() if "/utils/" in sf
    )


@pytest.mark.slow
def test_files_equal_coverage_pys_per_file_summary(tmp_path: Path) -> None:
    report = json.loads(PYTEST_COV.read_text())
    cfg = workspace(tmp_path, PYTEST_COV, "coverage.json")
    collect(cfg)
    out = run_json("files", "app", "-c", cfg)
    rows = {r["path"]: r for r in out["rows"]}
    assert set(rows) == set(report["files"])
    for path, f in report["files"].items():
        s, r = f["summary"], rows[path]
        assert (r["lines_covered"], r["lines_valid"]) == (s["covered_lines"], s["num_statements"])
        assert (r["branches_covered"], r["branches_valid"]) == (
            s["covered_branches"],
            s["num_branches"],
        )
        assert r["missing"] == ranges(f["missing_lines"])
    assert rows["pycalc/calc.py"]["line_coverage"] == 76.47


def _lose_and_gain(text: str, path: str, lose: list[int], gain: list[int]) -> str:
    """An LCOV report with some ``DA`` lines of ``path`` turned to 0 hits, others to 1."""
    out, current = [], None
    for line in text.splitlines():
        if line.startswith("SF:"):
            current = line[3:]
        if current == path and line.startswith("DA:"):
            n = int(line[3:].split(",")[0])
            if n in lose:
                line = f"DA:{n},0"
            elif n in gain:
                line = f"DA:{n},1"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.slow
def test_diff_files_names_the_lines_that_changed_state(tmp_path: Path, lcov_case: Path) -> None:
    text = lcov_case.read_text()
    before = lcov_files(text)
    mul = next(p for p in before if p.endswith("utils/mul.rs"))
    lose = sorted(before[mul]["hit"])[:3]
    gain = sorted(before[mul]["missed"])[-2:]
    cfg = workspace(tmp_path, lcov_case, "lcov.info")
    collect(cfg)
    (tmp_path / "app" / "lcov.info").write_text(_lose_and_gain(text, mul, lose, gain))
    collect(cfg)

    out = run_json("diff", "-c", cfg, "--files")
    assert not schema.output_errors("diff", out)
    (repo,) = out["files"]
    assert repo["repo"] == "app" and repo["note"] is None
    (moved,) = repo["files"]
    assert Path(moved["path"]).name == "mul.rs" and moved["kind"] == "changed"
    assert moved["uncovered"] == ranges(lose) and moved["covered"] == ranges(gain)
    assert moved["before"]["lines_covered"] == before[mul]["hit"].__len__()
    assert moved["after"]["lines_covered"] == len(before[mul]["hit"]) - 3 + 2
    assert moved["change"] == round(100 * (-1) / before[mul]["LF"], 2)

    # files: the change against the previous measurement, unchanged files the same
    now = run_json("files", "app", "-c", cfg)
    assert now["against"] is not None and now["against"]["spec"] == "previous"
    kinds = {Path(r["path"]).name: r["kind"] for r in now["rows"]}
    assert kinds["mul.rs"] == "changed" and kinds["div.rs"] == "same"
    # --at the older one, against the newer: the reverse change
    back = run_json("files", "app", "-c", cfg, "--at", "HEAD~1", "--against", "HEAD")
    (row,) = [r for r in back["rows"] if r["path"] == moved["path"]]
    assert row["change"] == -moved["change"]

    table = invoke("diff", "-c", cfg, "--files")
    assert table.exit_code == 0 and "Now uncovered" in table.stdout
    assert ranges(lose) in table.stdout
    md = invoke("diff", "-c", cfg, "--files", "--markdown")
    assert "### app: 1 file moved" in md.stdout
    assert f"| {ranges(lose)} | {ranges(gain)} |" in md.stdout


def test_files_refuses_an_unknown_repo_and_a_bad_glob(tmp_path: Path) -> None:
    cfg = workspace(tmp_path, PYTEST_COV, "coverage.json")
    collect(cfg)
    err = run_json("files", "nope", "-c", cfg, code=1)["error"]
    assert "no repository 'nope'" in err["message"] and "app" in err["hint"]
    err = run_json("files", "app", "-c", cfg, "--path", "src/[x", code=1)["error"]
    assert "--path" in err["message"] and "'['" in err["message"]
    err = run_json("files", "app", "-c", cfg, "--sort", "size", code=1)["error"]
    assert "--sort" in err["message"]
    one = invoke("files", "app", "-c", cfg)
    assert one.exit_code == 0 and "no earlier measurement that differs" in one.stdout
    assert "pycalc/calc.py" in one.stdout and "76.47%" in one.stdout
    csv = invoke("files", "app", "-c", cfg, "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("path,lines_covered,lines_valid")
