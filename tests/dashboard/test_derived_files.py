"""The files tables of the page a commit writes (``dashboard: true``) carry the change per
file, equal to what ``gitmetrics dashboard`` gives on the same history: on every commit
(carried from the page replaced, or found by walking back), after the page was rebuilt,
and after a sync merge.

The stores are made by ``gitmetrics collect`` from real reports: the rust llvm-cov LCOV of
../shared/realworld, nyc's LCOV and pytest-cov's JSON report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gitmetrics import filesview
from tests.dashboard.conftest import console_problems, open_page, page_data
from tests.helpers import git, invoke
from tests.views.test_files_view import PYTEST_COV, _lose_and_gain, lcov_case, lcov_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
NYC = FIXTURES / "lcov" / "nyc" / "lcov.info"
__all__ = ["lcov_case"]

T = TypeVar("T")


def config(tmp: Path, names: Iterable[str], store: str = "metrics", on: bool = True) -> Path:
    """repos.yaml with the repositories ``names`` of the workspace."""
    reports = {"app": "lcov.info", "lib": "lcov.info", "py": "coverage.json", "late": "lcov.info"}
    cfg = tmp / f"repos-{store}.yaml"
    lines = [f"store: {store}", f"dashboard: {'true' if on else 'false'}", "repos:"]
    lines += [f"  - {{name: {n}, path: {n}, coverage: {reports[n]}}}" for n in names]
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def write(tmp: Path, name: str, text: str) -> None:
    (tmp / name).mkdir(exist_ok=True)
    report = "coverage.json" if name == "py" else "lcov.info"
    (tmp / name / report).write_text(text)


def collect(cfg: Path) -> None:
    time.sleep(1.1)  # collections a second apart: those of one second are ordered by name
    result = invoke("collect", "-c", cfg)
    assert result.exit_code == 0, result.output


def committed(store: Path) -> dict[str, Any]:
    """The files data of the page the head commit wrote."""
    files: dict[str, Any] = page_data(git("show", "HEAD:dashboard/index.html", cwd=store))["files"]
    return files


def made(cfg: Path, out: Path) -> dict[str, Any]:
    """The files data of `gitmetrics dashboard` on the same store."""
    result = invoke("dashboard", "-c", cfg, "-o", out)
    assert result.exit_code == 0, result.output
    files: dict[str, Any] = page_data(out.read_text(encoding="utf-8"))["files"]
    return files


def at_aside(files: Mapping[str, Any]) -> dict[str, Any]:
    """``files`` without the newest collection's metrics commit, which a page written by
    the commit that makes it cannot name (``null`` there)."""
    out = json.loads(json.dumps(files))
    for table in out.values():
        table["at"]["collection"] = None
    return out


def history(cfg: Path) -> list[str]:
    """The metrics commits of the collections, newest first."""
    found = json.loads(invoke("history", "-c", cfg, "--json", "-n", "100").stdout)
    return [h["collection"] for h in found]


class Walks:
    """The repositories each commit's page looked for by walking back through the history
    (the others kept their table from the page they replaced)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[set[str]] = []
        real = filesview.previous_different

        def spy(
            walk: Iterable[T], mine: Mapping[str, bytes | None], blob_id: Callable[[T, str], Any]
        ) -> dict[str, tuple[T, int]]:
            self.names.append(set(mine))
            return real(walk, mine, blob_id)

        monkeypatch.setattr(filesview, "previous_different", spy)

    def last(self) -> set[str]:
        """The names the newest page walked for (``gitmetrics dashboard`` calls it too)."""
        return self.names[-1]


@pytest.mark.slow
def test_the_committed_page_has_the_change_per_file_of_gitmetrics_dashboard(
    tmp_path: Path, lcov_case: Path, monkeypatch: pytest.MonkeyPatch, browser: Any
) -> None:
    rust, nyc, py = lcov_case.read_text(), NYC.read_text(), PYTEST_COV.read_text()
    rust_files = lcov_files(rust)
    worked = next(p for p, e in rust_files.items() if len(e["hit"]) >= 3)
    rust_lost = _lose_and_gain(rust, worked, sorted(rust_files[worked]["hit"])[:3], [])
    nyc_files = lcov_files(nyc)
    (only,) = nyc_files
    nyc_lost = _lose_and_gain(nyc, only, sorted(nyc_files[only]["hit"])[:1], [])
    # the rust report without its last file: that file is removed from late's table
    gone = sorted(rust_files)[-1]
    records = rust.split("end_of_record")
    rust_less = "end_of_record".join(r for r in records if f"SF:{gone}\n" not in r)
    assert len(lcov_files(rust_less)) == len(rust_files) - 1
    out = tmp_path / "dash.html"
    store = tmp_path / "metrics"
    walks = Walks(monkeypatch)

    def check(cfg: Path) -> dict[str, Any]:
        page = committed(store)
        walked = walks.last()
        assert at_aside(page) == at_aside(made(cfg, out))
        walks.names.append(walked)  # what the page walked, not `gitmetrics dashboard`
        return page

    for name, text in (("app", rust), ("lib", nyc), ("py", py)):
        write(tmp_path, name, text)
    cfg = config(tmp_path, ["app", "lib", "py"])
    # 1. the first collection: nothing to compare with
    collect(cfg)
    page = check(cfg)
    assert sorted(page) == ["app", "lib", "py"]
    assert all(t["against"] is None and t["change"] is None for t in page.values())
    assert all(r[6] is None and r[7] is None for t in page.values() for r in t["rows"])
    # 2. app and lib measured differently, py the same
    write(tmp_path, "app", rust_lost)
    write(tmp_path, "lib", nyc_lost)
    collect(cfg)
    page = check(cfg)
    commits = history(cfg)
    for name in ("app", "lib"):
        assert page[name]["against"]["collection"] == commits[1]
        assert page[name]["against"]["back"] == 1
    app = {r[0]: r for r in page["app"]["rows"]}
    (path,) = [p for p in app if worked.endswith(p)]
    e, b = lcov_files(rust_lost)[worked], rust_files[worked]
    assert app[path][7] == "changed"
    assert app[path][6] == round(
        round(100 * e["LH"] / e["LF"], 2) - round(100 * b["LH"] / b["LF"], 2), 2
    )
    assert {r[7] for p, r in app.items() if p != path} == {"same"}
    assert page["py"]["against"] is None
    assert walks.last() == {"lib", "app"}  # py kept its table
    # 3. a repository that is new, and lib measured as at first
    write(tmp_path, "late", rust)
    write(tmp_path, "lib", nyc)
    cfg = config(tmp_path, ["app", "lib", "py", "late"])
    collect(cfg)
    page = check(cfg)
    assert walks.last() == {"lib", "late"}  # app's table is the one of the page before
    assert page["late"]["against"] is None and page["lib"]["against"]["back"] == 1
    assert page["app"]["against"]["back"] == 2
    # 4. a file removed from late
    write(tmp_path, "late", rust_less)
    collect(cfg)
    page = check(cfg)
    assert walks.last() == {"late"}
    assert page["late"]["removed"] == [gone] and page["app"]["against"]["back"] == 3
    # 5. nothing changes: app is still against the first collection, 4 back
    collect(cfg)
    page = check(cfg)
    assert walks.last() == set()
    commits = history(cfg)
    assert page["app"]["against"]["collection"] == commits[4]
    assert page["app"]["against"]["back"] == 4
    assert page["lib"]["against"]["collection"] == commits[3]
    assert page["lib"]["against"]["back"] == 3
    assert page["late"]["against"]["back"] == 2 and page["late"]["removed"] == [gone]
    assert page["py"]["against"] is None

    # the page a browser shows says so
    (tmp_path / "page.html").write_text(
        git("show", "HEAD:dashboard/index.html", cwd=store), encoding="utf-8"
    )
    open_page(browser, tmp_path / "page.html")
    browser.execute_script("location.hash = '#repo/app'")
    note = browser.find_element("id", "files-note").text
    assert "change against the previous different measurement" in note
    assert "4 collections back" in note and "gitmetrics files app" not in note
    browser.execute_script("location.hash = '#repo/py'")
    assert "no earlier different measurement" in browser.find_element("id", "files-note").text
    assert console_problems(browser) == []

    # 6. the page turned off, 7. on again: the page is made again, walking back for all
    collect(config(tmp_path, ["app", "lib", "py", "late"], on=False))
    assert "dashboard/index.html" not in git("ls-tree", "-r", "--name-only", "HEAD", cwd=store)
    write(tmp_path, "app", rust)
    collect(config(tmp_path, ["app", "lib", "py", "late"]))
    page = check(cfg)
    assert walks.last() == {"app", "lib", "py", "late"}
    assert page["app"]["against"]["back"] == 1 and page["lib"]["against"]["back"] == 5

    # 8. a sync merge: another machine's store measured lib again meanwhile
    git("clone", "-q", store, tmp_path / "metrics-b")
    cfg_b = config(tmp_path, ["app", "lib", "py", "late"], store="metrics-b")
    write(tmp_path, "lib", nyc)
    collect(cfg_b)
    write(tmp_path, "app", rust_lost)
    collect(cfg)
    result = invoke("pull", "-c", cfg, "--remote", tmp_path / "metrics-b")
    assert result.exit_code == 0, result.output
    assert len(git("log", "-1", "--format=%P", cwd=store).split()) == 2  # a merge
    page = check(cfg)
    # and the next commit on top of it
    write(tmp_path, "app", rust)
    collect(cfg)
    check(cfg)


@pytest.mark.slow
def test_the_bounds_on_files_are_the_same_on_both_paths(
    tmp_path: Path, lcov_case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitmetrics import dashboard as shape

    rust, nyc = lcov_case.read_text(), NYC.read_text()
    # a bound of 5 files a repository and 6 in all: app (9 files) shows 5, py (3) 1
    monkeypatch.setattr(shape, "MAX_FILES", 5)
    monkeypatch.setattr(shape, "MAX_FILES_TOTAL", 6)
    write(tmp_path, "py", PYTEST_COV.read_text())
    cfg = config(tmp_path, ["app", "py"])
    store, out = tmp_path / "metrics", tmp_path / "dash.html"
    rust_files = lcov_files(rust)
    worked = next(p for p, e in rust_files.items() if len(e["hit"]) >= 3)
    lost = _lose_and_gain(rust, worked, sorted(rust_files[worked]["hit"])[:3], [])
    # app: 9 files, then 1 (nyc's): py's bound moves from 1 to 5 with its detail the same,
    # so its table is made again, against the same point
    for k, (report, app_rows, py_rows) in enumerate(
        [(rust, 5, 1), (lost, 5, 1), (lost, 5, 1), (nyc, 1, 3), (nyc, 1, 3)]
    ):
        write(tmp_path, "app", report)
        if k == 2:
            write(tmp_path, "py", one_line_missed(PYTEST_COV.read_text(), "pycalc/calc.py"))
        collect(cfg)
        page = committed(store)
        assert at_aside(page) == at_aside(made(cfg, out)), f"collection {k}"
        assert (len(page["app"]["rows"]), len(page["py"]["rows"])) == (app_rows, py_rows)
    assert page["py"]["against"] is not None and page["py"]["against"]["back"] == 3
    (calc,) = [r for r in page["py"]["rows"] if r[0] == "pycalc/calc.py"]
    assert calc[7] == "changed" and calc[6] is not None and calc[6] < 0


def one_line_missed(text: str, path: str) -> str:
    """A coverage.py JSON report with one executed line of ``path`` missed instead."""
    data = json.loads(text)
    entry = data["files"][path]
    line = entry["executed_lines"].pop()
    entry["missing_lines"] = sorted([*entry["missing_lines"], line])
    for part in (entry["summary"], data["totals"]):
        part["covered_lines"] -= 1
        part["missing_lines"] += 1
    return json.dumps(data)


@pytest.mark.slow
def test_a_collection_from_a_clock_behind_the_others_compares_as_gitmetrics_dashboard(
    tmp_path: Path,
) -> None:
    """Collections committed out of time order (0, 1, 5, 2, 6): the page made again from the
    history by the one from behind has the tables `gitmetrics dashboard` gives."""
    import dataclasses

    from gitmetrics import config as configmod
    from gitmetrics import snapshot as snapmod
    from gitmetrics.derive import make_deriver
    from gitmetrics.snapshot import FileDetail
    from gitmetrics.store import init as init_store
    from tests.dashboard.conftest import ok, snap

    def measured(k: int) -> snapmod.Snapshot:
        results = []
        for name, changes in (("api", k // 2), ("web", 0)):
            files = [FileDetail(f"f{i}.py", 5 + i + changes, 20, None, None, None, None)
                     for i in range(3)]  # fmt: skip
            r = ok(name, "service", sum(f.lines_covered for f in files), 60)
            results.append(dataclasses.replace(r, detail=snapmod.files_json(name, "lcov", files)))
        return snap(results, k)

    cfg = configmod.parse("store: metrics\ndashboard: true\nrepos: []\n", tmp_path / "repos.yaml")
    st = init_store(tmp_path / "metrics")
    st.derive = make_deriver(cfg)
    out = tmp_path / "dash.html"
    for k in (0, 1, 5, 2, 6, 7):
        st.commit_snapshot(measured(k), retention=0)
        page = page_data(st.blob(st.files_at()["dashboard/index.html"]).decode())["files"]
        result = invoke("dashboard", "--store", tmp_path / "metrics", "-o", out)
        assert result.exit_code == 0, result.output
        theirs = page_data(out.read_text(encoding="utf-8"))["files"]
        assert at_aside(page) == at_aside(theirs), f"after collection {k}"
    assert page["api"]["against"] is not None and page["web"]["against"] is None
    st.close()
