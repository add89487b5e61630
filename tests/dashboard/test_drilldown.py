"""The dashboard's drill-down: a page per repository with its files, components and source
commits, a date range, commit links and per-role floors.

The files table is checked against the reports themselves (each file's ``DA`` lines read
here, never through gitmetrics' parsers), on stores made by ``gitmetrics collect``.
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from gitmetrics import dashboard as shape
from gitmetrics.history import Collection
from gitmetrics.paths import compile_glob
from gitmetrics.render import dashboard as page
from gitmetrics.snapshot import FileDetail
from tests.dashboard.conftest import (
    console_problems,
    ok,
    open_page,
    page_data,
    requested_urls,
    snap,
)
from tests.helpers import git, invoke
from tests.views.test_files_view import _lose_and_gain, lcov_case, lcov_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
NYC = FIXTURES / "lcov" / "nyc" / "lcov.info"
COMMIT_URL = "https://git.example.com/{repo}/commit/{commit}"
__all__ = ["lcov_case"]  # the realworld LCOV report, a fixture shared with the files view


def workspace(tmp: Path, report: Path, extra: str = "") -> Path:
    """repos.yaml with ``app`` (the report, role service) and ``lib`` (nyc's, role library)."""
    for name, src in (("app", report), ("lib", NYC)):
        (tmp / name).mkdir()
        shutil.copy(src, tmp / name / "lcov.info")
        # a source repository with one commit, whose id the page links to
        git("init", "-q", "-b", "main", cwd=tmp / name)
        (tmp / name / "README").write_text(name)
        git("add", "README", cwd=tmp / name)
        git("commit", "-q", "-m", "start", cwd=tmp / name)
    cfg = tmp / "repos.yaml"
    cfg.write_text(
        "store: metrics\n"
        f"commit_url: {COMMIT_URL}\n"
        "min_coverage: 80\n"
        "rules:\n  roles:\n    library: {min_coverage: 95}\n"
        f"{extra}"
        "repos:\n"
        "  - {name: app, path: app, coverage: lcov.info, role: service}\n"
        "  - {name: lib, path: lib, coverage: lcov.info, role: library}\n"
    )
    return cfg


def collect(cfg: Path) -> None:
    result = invoke("collect", "-c", cfg)
    assert result.exit_code == 0, result.output


def dashboard(cfg: Path, out: Path) -> dict[str, Any]:
    result = invoke("dashboard", "-c", cfg, "-o", out)
    assert result.exit_code == 0, result.output
    return page_data(out.read_text(encoding="utf-8"))


def _pct(covered: int, valid: int) -> float:
    return round(covered * 100 / valid, 2)


@pytest.fixture
def two_measurements(tmp_path: Path, lcov_case: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A store of three collections of ``app``; its report changed before the last but one
    is the same in the last (the change is against the previous *different* measurement)."""
    cfg = workspace(tmp_path, lcov_case)
    collect(cfg)
    before = (tmp_path / "app" / "lcov.info").read_text()
    expected = lcov_files(before)
    path = next(p for p, e in expected.items() if len(e["hit"]) >= 3)
    lose = sorted(expected[path]["hit"])[:3]
    after = _lose_and_gain(before, path, lose, [])
    (tmp_path / "app" / "lcov.info").write_text(after)
    # a second apart: collections of one second are ordered by their file names
    time.sleep(1.1)
    collect(cfg)
    time.sleep(1.1)
    collect(cfg)
    return cfg, tmp_path / "dash.html", {"before": lcov_files(before), "after": lcov_files(after)}


@pytest.mark.slow
def test_files_table_equals_the_reports_per_file_figures(
    two_measurements: tuple[Path, Path, dict[str, Any]],
) -> None:
    cfg, out, reports = two_measurements
    data = dashboard(cfg, out)
    table = data["files"]["app"]
    rows = {r[0]: r for r in table["rows"]}
    after, before = reports["after"], reports["before"]
    assert table["count"] == len(rows) == len(after) == 9
    for sf, e in after.items():
        (found,) = [r for p, r in rows.items() if sf.endswith(p)]
        assert (found[1], found[2]) == (e["LH"], e["LF"]), sf
        assert found[3] == (_pct(e["LH"], e["LF"]) if e["LF"] else None)
        b = before[sf]
        if (b["LH"], b["LF"]) == (e["LH"], e["LF"]):
            assert found[6] == 0.0 and found[7] == "same"
        else:
            assert found[7] == "changed"
            assert found[6] == round(_pct(e["LH"], e["LF"]) - _pct(b["LH"], b["LF"]), 2)
    assert table["total"][:2] == [
        sum(e["LH"] for e in after.values()),
        sum(e["LF"] for e in after.values()),
    ]
    # against the measurement before the report changed, not the identical last but one
    history = json.loads(invoke("history", "-c", cfg, "--json").stdout)
    assert len(history) == 3, history  # newest first
    assert table["at"]["collection"] == history[0]["collection"]
    assert table["against"]["collection"] == history[2]["collection"]
    # lib (nyc's real report): its figures too, unchanged so compared with nothing
    lib = data["files"]["lib"]
    assert [r[:3] for r in lib["rows"]] == [
        [p, e["LH"], e["LF"]] for p, e in sorted(lcov_files(NYC.read_text()).items())
    ]
    assert lib["against"] is None and all(r[6] is None for r in lib["rows"])


@pytest.mark.slow
def test_floors_per_role_links_and_stale_marks_in_the_payload(tmp_path: Path) -> None:
    cfg = workspace(tmp_path, NYC, extra="max_age: 1s\n")
    collect(cfg)
    collect(cfg)
    data = dashboard(cfg, tmp_path / "d.html")
    rows = {r["name"]: r for r in data["rows"]}
    # nyc's report is 83.3%: good against the global 80, needs work against library's 95
    assert rows["app"]["min_coverage"] == 80 and rows["app"]["level"] == "good"
    assert rows["lib"]["min_coverage"] == 95 and rows["lib"]["level"] == "fair"
    roles = {r["role"]: r for r in data["roles"]}
    assert roles["library"]["min_coverage"] == 95 and roles["library"]["level"] == "fair"
    assert data["links"]["app"] == ["https://git.example.com/app/commit/", ""]


def test_a_files_table_is_bounded_with_the_worst_files_kept() -> None:
    files = [FileDetail(f"f{i:03d}.py", i, 100, None, None, None, None) for i in range(50)]
    at = {"collection": "c", "timestamp": "t", "source": None}
    table = shape.file_table(files, None, at=at, against=None, limit=10)
    assert table["count"] == 50 and len(table["rows"]) == 10
    assert [r[0] for r in table["rows"]] == [f"f{i:03d}.py" for i in range(10)]
    assert table["total"][:2] == [sum(range(50)), 5000]


# --- in the browser ------------------------------------------------------------------


def files_of(driver: Any) -> list[str]:
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll('#files tbody tr')]"
            ".filter(tr => !tr.hidden).map(tr => tr.dataset.path)"
        )
    )


def set_input(driver: Any, element_id: str, value: str, event: str = "input") -> None:
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event(arguments[2]))",
        element_id,
        value,
        event,
    )


@pytest.mark.slow
def test_a_repository_page_filters_sorts_links_and_follows_the_range(
    browser: Any, two_measurements: tuple[Path, Path, dict[str, Any]]
) -> None:
    cfg, out, _ = two_measurements
    data = dashboard(cfg, out)
    open_page(browser, out)
    assert browser.find_element("id", "repo-page").is_displayed() is False
    browser.find_element("css selector", "#repos td.name a[href='#repo/app']").click()
    assert browser.execute_script("return location.hash") == "#repo/app"
    assert browser.find_element("id", "repo-page").is_displayed()
    assert not browser.find_element("id", "overview").is_displayed()
    assert browser.find_element("id", "repo-title").text == "app"
    lines = browser.execute_script(
        "return [...document.querySelectorAll('#repo-chart path.series')].map(p => p.dataset.name)"
    )
    assert sorted(lines) == ["Average", "app"]

    paths = sorted(r[0] for r in data["files"]["app"]["rows"])
    assert files_of(browser) == paths
    assert browser.find_element("id", "file-count").text == f"{len(paths)} of {len(paths)} files"
    # a glob, as gitmetrics/paths.py reads it, and plain text
    set_input(browser, "file-filter", "**/utils/*.rs")
    assert sorted(p.rsplit("/", 1)[-1] for p in files_of(browser)) == [
        "div.rs", "mod.rs", "mul.rs", "utils.rs",
    ]  # fmt: skip
    set_input(browser, "file-filter", "MUL")
    assert [p.rsplit("/", 1)[-1] for p in files_of(browser)] == ["mul.rs"]
    set_input(browser, "file-filter", "")
    # sort by coverage: worst first, then the other way
    header = browser.find_element("css selector", "#files th[data-col='3']")
    header.click()
    by_cov = sorted(data["files"]["app"]["rows"], key=lambda r: (r[3], r[0]))
    assert files_of(browser) == [r[0] for r in by_cov]
    header.click()
    assert files_of(browser)[0] == max(by_cov, key=lambda r: r[3])[0]
    browser.find_element("css selector", "#files th[data-col='6']").click()
    drops = [r for r in data["files"]["app"]["rows"] if r[6] is not None]
    worst = min(drops, key=lambda r: (r[6], r[0]))
    assert files_of(browser)[0] == worst[0] and worst[6] < 0

    # commit links: the template, the commit URL-encoded; one source commit here
    commit = {r["name"]: r for r in data["rows"]}["app"]["commit"]
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('#commits a.commit, #repo-cards a.commit')]"
        ".map(a => a.getAttribute('href'))"
    )
    assert hrefs == [f"https://git.example.com/app/commit/{commit}"] * 2

    # the range: the last day only keeps every collection (all made now); a range before
    # them all keeps the oldest one drawn
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "range")).select_by_value("7")
    assert browser.execute_script("return window.gmDashboard.range()") == {"from": 0, "to": 2}
    set_input(browser, "from", "2000-01-01", "change")
    set_input(browser, "to", "2000-01-02", "change")
    assert browser.execute_script("return window.gmDashboard.range()") == {"from": 0, "to": 0}
    assert browser.find_element("id", "range-note").text == "1 of 3 snapshots"
    # back to the overview, whose chart follows the same range
    browser.find_element("id", "back").click()
    assert browser.find_element("id", "overview").is_displayed()
    assert not browser.find_element("id", "repo-page").is_displayed()
    assert console_problems(browser) == []
    assert requested_urls(browser) == [out.resolve().as_uri()]


def hand_made(tmp_path: Path, name: str = "d.html") -> tuple[Path, dict[str, Any]]:
    """A page over five days of two repositories, with files and components added by hand."""
    snaps = [
        snap(
            [
                ok("api", "service", 700 + 10 * d, 1000, commit=f"{d:x}" * 40),
                ok("web", "frontend", 500, 1000, commit="b" * 40),
            ],
            d * 10,
        )
        for d in range(5)
    ]
    points = [Collection.of(s, f"{i:040x}") for i, s in enumerate(snaps)]
    data = shape.build(points, min_coverage=80, commit_urls={"api": COMMIT_URL})
    out = tmp_path / name
    out.write_text(page.render(data), encoding="utf-8")
    return out, data


@pytest.mark.slow
def test_the_range_selector_narrows_the_overview_chart(browser: Any, tmp_path: Path) -> None:
    out, _ = hand_made(tmp_path)
    open_page(browser, out)
    drawn = "return document.querySelectorAll('#chart .dots g.avg circle').length"
    assert browser.execute_script(drawn) == 5
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "range")).select_by_value("30")  # days 10 to 40
    assert browser.execute_script(drawn) == 4
    assert browser.find_element("id", "from").get_attribute("value") == "2026-11-11"
    set_input(browser, "from", "2026-11-21", "change")
    set_input(browser, "to", "2026-12-01", "change")
    assert browser.execute_script(drawn) == 2
    assert browser.find_element("id", "range").get_attribute("value") == "custom"
    # the repository page lists the source commits of the range only, each linked
    browser.execute_script("location.hash = '#repo/api'")
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('#commits a.commit')].map(a => a.getAttribute('href'))"
    )
    assert hrefs == [f"https://git.example.com/api/commit/{c * 10}" for c in "32"]
    # web has no commit_url: its commits are text
    browser.execute_script("location.hash = '#repo/web'")
    assert browser.execute_script("return document.querySelectorAll('#commits a').length") == 0
    assert "commit_url:" in browser.find_element("id", "commits-note").text
    assert console_problems(browser) == []


@pytest.mark.slow
def test_components_are_shown_on_the_pages_of_the_repositories_they_name(
    browser: Any, tmp_path: Path
) -> None:
    out, data = hand_made(tmp_path)
    data["components"] = [
        {"name": "core", "repos": ["api"], "min_coverage": 90, "coverage": 74.0,
         "lines_covered": 740, "lines_valid": 1000, "series": []},
        {"name": "ui", "repos": ["api", "web"], "min_coverage": 50, "coverage": 60.5,
         "lines_covered": 1210, "lines_valid": 2000, "series": [None, 2, 6000, 2, 6050, 1]},
    ]  # fmt: skip
    out.write_text(page.render(data), encoding="utf-8")
    open_page(browser, out)
    browser.execute_script("location.hash = '#repo/api'")
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#components tbody tr')]"
        ".map(tr => [...tr.cells].map(c => c.innerText.trim()))"
    )
    assert rows == [
        ["core", "74.0%", "740 / 1,000", "90%", "fair", "api"],
        ["ui", "60.5%", "1,210 / 2,000", "50%", "good", "api, web"],
    ]
    # a component with a series is a line of the repository's chart (nulls are gaps)
    lines = browser.execute_script(
        "return [...document.querySelectorAll('#repo-chart path.series')]"
        ".map(p => [p.dataset.name, (p.getAttribute('d').match(/[ML]/g) || []).length])"
    )
    assert sorted(lines) == [["Average", 5], ["api", 5], ["component ui", 3]]
    browser.execute_script("location.hash = '#repo/web'")
    assert browser.find_element("id", "components-panel").is_displayed()
    assert (
        browser.execute_script("return document.querySelectorAll('#components tbody tr').length")
        == 1
    )
    # without components the panel stays hidden
    del data["components"]
    out.write_text(page.render(data), encoding="utf-8")
    open_page(browser, out)
    browser.execute_script("location.hash = '#repo/api'")
    assert not browser.find_element("id", "components-panel").is_displayed()
    assert console_problems(browser) == []


@pytest.mark.slow
def test_hostile_repository_names_file_paths_and_links_stay_text(
    browser: Any, tmp_path: Path
) -> None:
    out, data = hand_made(tmp_path)
    evil = '"><img src=x onerror="window.pwned=1">#/%25?'
    path = "<script>window.pwned=2</script>/a\"b'.py"
    data = copy.deepcopy(data)
    # a payload as a page from elsewhere might hold it: a hostile name everywhere it goes
    data["series"]["names"][0] = evil
    data["rows"][0]["name"] = evil
    data["links"] = {
        evil: ["https://git.example.com/x/commit/", "?a=<b>"],
        "web": ["javascript:window.pwned=3//", ""],
    }
    data["files"] = {
        evil: {
            "at": {"collection": "c", "timestamp": "2026-11-01T09:00:00Z", "source": None},
            "against": None,
            "count": 1,
            "rows": [[path, 1, 2, 50.0, None, None, None, None]],
            "removed": ["<b>gone</b>"],
            "total": [1, 2, 50.0],
            "change": None,
        }
    }
    out.write_text(page.render(data), encoding="utf-8")
    html = out.read_text(encoding="utf-8")
    assert "<img" not in html and html.count("</script>") == 2
    open_page(browser, out)
    link = browser.find_element("css selector", "#repos td.name a.repo-link")
    assert link.get_attribute("href").endswith("#repo/" + quote(evil, safe="~()*!.'"))
    link.click()
    assert browser.find_element("id", "repo-title").text == evil
    assert browser.execute_script("return window.pwned === undefined")
    assert (
        browser.execute_script("return document.querySelectorAll('img, b, main script').length")
        == 0
    )
    assert files_of(browser) == [path]
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('#commits a.commit')].map(a => a.getAttribute('href'))"
    )
    assert hrefs and all(h.startswith("https://git.example.com/x/commit/") for h in hrefs)
    assert all(h.endswith("?a=<b>") for h in hrefs)  # an attribute value, never markup
    # a link that is not http(s) stays text
    browser.execute_script("location.hash = '#repo/web'")
    assert (
        browser.execute_script("return document.querySelectorAll('#repo-page a.commit').length")
        == 0
    )
    # a name the page does not know shows the overview
    browser.execute_script("location.hash = '#repo/' + encodeURIComponent('<nope>')")
    assert browser.find_element("id", "overview").is_displayed()
    browser.execute_script("location.hash = '#repo/%E0%A4%A'")  # not decodable
    assert browser.find_element("id", "overview").is_displayed()
    assert browser.execute_script("return window.pwned === undefined")
    assert console_problems(browser) == []
    assert requested_urls(browser) == [out.resolve().as_uri()]


GLOBS = ["*.py", "src/**", "src/**/*.py", "**/test_*.py", "a/?.py", "[ab]*.py", "[!a]*.py", "src/"]
PATHS = ["a.py", "src/a.py", "src/x/b.py", "x/src/a.py", "test_a.py", "t/test_b.py", "a/b.py",
         "a/bc.py", "b.py", "c.py", "src/x/y/z.txt"]  # fmt: skip


@pytest.mark.slow
def test_the_pages_glob_matches_as_gitmetrics_paths_does(browser: Any, tmp_path: Path) -> None:
    out, _ = hand_made(tmp_path)
    open_page(browser, out)
    for glob in GLOBS:
        python = compile_glob(glob)
        for p in PATHS:
            js = browser.execute_script(
                "return window.gmDashboard.glob(arguments[0], arguments[1])", glob, p
            )
            assert js == python.matches(p), (glob, p)


@pytest.mark.slow
def test_the_page_a_commit_writes_has_the_repository_pages_and_files(tmp_path: Path) -> None:
    cfg = workspace(tmp_path, NYC, extra="dashboard: true\n")
    collect(cfg)
    html = git("show", "HEAD:dashboard/index.html", cwd=tmp_path / "metrics")
    data = page_data(html)
    expected = lcov_files(NYC.read_text())
    for name in ("app", "lib"):
        table = data["files"][name]
        assert [r[:3] for r in table["rows"]] == [
            [p, e["LH"], e["LF"]] for p, e in sorted(expected.items())
        ]
        # the first collection: nothing to compare with (test_derived_files has the rest)
        assert "compared" not in table and table["against"] is None
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["lib"]["min_coverage"] == 95 and rows["lib"]["level"] == "fair"
    assert data["links"]["lib"] == ["https://git.example.com/lib/commit/", ""]


@pytest.mark.slow
def test_a_stale_repository_is_marked_on_its_page_and_coloured_by_its_floor(
    browser: Any, tmp_path: Path
) -> None:
    out, data = hand_made(tmp_path)
    row = next(r for r in data["rows"] if r["name"] == "web")
    row.update(stale=True, carried=True, age_note="carried, stale", min_coverage=40.0, level="good")
    out.write_text(page.render(data), encoding="utf-8")
    open_page(browser, out)
    mark = browser.find_element("css selector", "#repos tr[data-name='web'] .mark.stale")
    assert mark.text == "carried, stale"
    level = "return document.querySelector('#bars .barrow[data-level=\"good\"] .lbl').textContent"
    assert browser.execute_script(level) == "web"
    browser.execute_script("location.hash = '#repo/web'")
    assert browser.find_element("css selector", "#repo-marks .mark.stale").text == "carried, stale"
    cards = browser.find_element("id", "repo-cards").text
    assert "good, minimum 40%" in cards
    browser.execute_script("location.hash = '#repo/api'")
    assert browser.find_element("id", "repo-marks").text == ""
    assert console_problems(browser) == []
