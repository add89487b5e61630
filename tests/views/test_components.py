"""`components:` in repos.yaml: files by globs, tracked in history, trends, check and the
dashboard, on stores built from real reports (expected sums read from the reports)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import config, schema
from gitmetrics.errors import ConfigError
from tests.dashboard.conftest import page_data
from tests.helpers import invoke
from tests.views.test_files_view import PYTEST_COV, lcov_case, lcov_files  # noqa: F401

COMPONENTS = """
components:
  - name: utils
    paths: ["**/utils/*.rs"]
    min_coverage: {utils_min}
  - name: rust-not-bits
    paths: ["**/*.rs", "!**/bit_nums/**"]
    repos: [rust]
  - name: math
    paths: ["**/utils/mul.rs", "pycalc/calc.py"]
"""


def workspace(tmp: Path, rust_report: Path, utils_min: float = 50) -> Path:
    for name, report, file in (
        ("rust", rust_report, "lcov.info"),
        ("py", PYTEST_COV, "coverage.json"),
    ):
        (tmp / name).mkdir()
        shutil.copy(report, tmp / name / file)
    cfg = tmp / "repos.yaml"
    cfg.write_text(
        "store: metrics\nrepos:\n"
        "  - name: rust\n    path: rust\n    coverage: lcov.info\n"
        "  - name: py\n    path: py\n    coverage: coverage.json\n"
        "    components:\n      - name: py-only\n        paths: ['pycalc/**']\n"
        + COMPONENTS.format(utils_min=utils_min)
    )
    result = invoke("collect", "-c", cfg)
    assert result.exit_code == 0, result.output
    return cfg


def run_json(*args: str | Path, code: int = 0) -> Any:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def expected(rust: Path) -> dict[str, tuple[int, int]]:
    """Each component's lines covered and coverable, summed from the reports themselves."""
    lc = lcov_files(rust.read_text())
    py = json.loads(PYTEST_COV.read_text())["files"]

    def rs(pick: Any) -> tuple[int, int]:
        chosen = [e for sf, e in lc.items() if pick(sf)]
        return sum(e["LH"] for e in chosen), sum(e["LF"] for e in chosen)

    calc = py["pycalc/calc.py"]["summary"]
    mul = rs(lambda sf: sf.endswith("/utils/mul.rs"))
    return {
        "utils": rs(lambda sf: "/utils/" in sf),
        "rust-not-bits": rs(lambda sf: "/bit_nums/" not in sf),
        "math": (mul[0] + calc["covered_lines"], mul[1] + calc["num_statements"]),
        "py-only": (
            sum(f["summary"]["covered_lines"] for f in py.values()),
            sum(f["summary"]["num_statements"] for f in py.values()),
        ),
    }


@pytest.mark.slow
def test_component_figures_are_the_sums_of_their_files(tmp_path: Path, lcov_case: Path) -> None:  # noqa: F811
    cfg = workspace(tmp_path, lcov_case)
    want = expected(lcov_case)
    for name, (covered, valid) in want.items():
        (row,) = run_json("history", "-c", cfg, "--component", name)
        assert row["component"] == name and row["status"] == "ok"
        assert row["line_coverage"] == round(100 * covered / valid, 2), name
    math = run_json("history", "-c", cfg, "--component", "math")
    assert not schema.output_errors("history", math)
    assert math[0]["repos"] == 2 and math[0]["files"] == 2
    trends = run_json("trends", "-c", cfg)
    assert not schema.output_errors("trends", trends)
    assert [c["component"] for c in trends["components"]] == [
        "utils", "rust-not-bits", "math", "py-only",
    ]  # fmt: skip
    # the dashboard carries them, with the repositories their files come from
    out = tmp_path / "d.html"
    assert invoke("dashboard", "-c", cfg, "-o", out).exit_code == 0
    data = page_data(out.read_text())
    comps = {c["name"]: c for c in data["components"]}
    assert comps["math"]["repos"] == ["py", "rust"]  # in the snapshot's order
    assert (comps["utils"]["lines_covered"], comps["utils"]["lines_valid"]) == want["utils"]


@pytest.mark.slow
def test_check_names_a_component_below_its_minimum(tmp_path: Path, lcov_case: Path) -> None:  # noqa: F811
    cfg = workspace(tmp_path, lcov_case, utils_min=99)
    result = run_json("check", "-c", cfg, "--min-coverage", "1", code=3)
    assert not schema.output_errors("check", result)
    (breach,) = result["breaches"]
    assert breach["component"] == "utils" and breach["rule"] == "component_min_coverage"
    covered, valid = expected(lcov_case)["utils"]
    assert breach["value"] == round(100 * covered / valid, 2) and breach["limit"] == 99
    table = invoke("check", "-c", cfg, "--min-coverage", "1")
    assert table.exit_code == 3 and "component utils" in table.stdout
    # below its floor by a hair is below: compared exactly, from the counts
    cfg.write_text(
        cfg.read_text().replace("min_coverage: 99", f"min_coverage: {100 * covered / valid + 1e-9}")
    )
    assert invoke("check", "-c", cfg, "--min-coverage", "1").exit_code == 3
    cfg.write_text(
        cfg.read_text().replace(f"min_coverage: {100 * covered / valid + 1e-9}", "min_coverage: 50")
    )
    assert invoke("check", "-c", cfg, "--min-coverage", "1").exit_code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("components:\n  - name: a\n    paths: ['src/[x']\n", "components[0].paths[0]"),
        ("components:\n  - name: a\n    paths: ['!src/**']\n", "only exclusions"),
        (
            "components:\n  - name: a\n    paths: ['x']\n    repos: [nope]\n",
            "no repository named 'nope'",
        ),
        (
            "components:\n  - name: a\n    paths: ['x']\n  - name: A\n    paths: ['y']\n",
            "already the name",
        ),
        ("components:\n  - name: a\n    paths: []\n", "components[0].paths"),
    ],
)
def test_a_bad_component_is_refused_with_its_place(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text("repos:\n  - name: app\n    path: app\n" + text)
    with pytest.raises(ConfigError) as exc:
        config.load(cfg)
    assert message in exc.value.message and "repos.yaml:" in exc.value.message


def test_a_repository_component_spans_that_repository_only(tmp_path: Path) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        "repos:\n  - name: app\n    path: app\n    components:\n"
        "      - name: api\n        paths: ['src/api/**']\n        min_coverage: 90\n"
    )
    (comp,) = config.load(cfg).components
    assert (
        comp.repos == ("app",)
        and comp.min_coverage == 90
        and comp.where == "repos[0].components[0]"
    )
    cfg.write_text(cfg.read_text() + "        repos: [app]\n")
    with pytest.raises(ConfigError):
        config.load(cfg)  # `repos:` is for top-level components


def test_an_unknown_component_names_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "lcov.info").write_text("SF:a.py\nDA:1,1\nend_of_record\n")
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        "repos:\n  - name: app\n    path: app\ncomponents:\n  - name: a\n    paths: ['*.py']\n"
    )
    assert invoke("collect", "-c", cfg).exit_code == 0
    err = run_json("history", "-c", cfg, "--component", "b", code=1)["error"]
    assert "no component named 'b'" in err["message"] and "a" in err["hint"]
