"""The dashboard in a real headless Chromium: offline, drawn, sortable, hoverable, safe."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import dashboard as shape
from gitmetrics.history import Collection
from gitmetrics.render import dashboard as page
from gitmetrics.render import fmt
from tests.dashboard.conftest import (
    ARTIFACTS,
    console_problems,
    failed,
    history,
    make_store,
    ok,
    open_page,
    requested_urls,
    snap,
)
from tests.helpers import invoke


def write(tmp_path: Path, snapshots: list[Any], name: str = "dash.html", **kw: Any) -> Path:
    points = [Collection.of(s, f"{i:040x}") for i, s in enumerate(snapshots)]
    out = tmp_path / name
    out.write_text(page.render(shape.build(points, **kw)), encoding="utf-8")
    return out


@pytest.fixture
def dash(tmp_path: Path) -> Path:
    """A page made by the command itself from a store built here."""

    make_store(tmp_path / "metrics", history()).close()
    out = tmp_path / "dashboard.html"
    result = invoke("dashboard", "--store", str(tmp_path / "metrics"), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def visible_rows(driver: Any) -> list[str]:
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll('#repos tbody tr')]"
            ".filter(tr => !tr.hidden).map(tr => tr.dataset.name)"
        )
    )


def hover(driver: Any, name: str, index: int) -> dict[str, str]:
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    driver.execute_script("document.getElementById('chart').scrollIntoView()")
    where = driver.execute_script(
        "return window.gmDashboard.point(arguments[0], arguments[1])", name, index
    )
    builder = ActionBuilder(driver)
    builder.pointer_action.move_to_location(round(where["x"]), round(where["y"]))
    builder.perform()
    tip: dict[str, str] = driver.execute_script(
        "const t = document.getElementById('tip'); return t.hidden ? null : "
        "{series: t.dataset.series, index: t.dataset.index, text: t.innerText}"
    )
    assert tip is not None, "no tooltip"
    return tip


@pytest.mark.slow
def test_loads_offline_with_no_errors_and_no_requests(browser: Any, dash: Path) -> None:
    open_page(browser, dash)
    assert console_problems(browser) == []
    assert requested_urls(browser) == [dash.resolve().as_uri()]
    cards = browser.execute_script(
        "return [...document.querySelectorAll('.card')].map(c => c.innerText.split('\\n'))"
    )
    assert [c[:2] for c in cards][:2] == [
        ["AVERAGE COVERAGE", "66.7%"],
        ["LINES-WEIGHTED", "66.7%"],
    ]
    assert browser.title == "Coverage dashboard · 66.7%"


def test_the_page_embeds_no_data_url(dash: Path) -> None:
    """``data:`` requests are filtered out of the network log as Chromium's own."""
    assert re.search(r"""["'(]\s*data:""", dash.read_text(encoding="utf-8")) is None


def test_one_line_per_repository_plus_the_average(browser: Any, dash: Path) -> None:
    open_page(browser, dash)
    lines = browser.execute_script(
        "return [...document.querySelectorAll('#chart path.series')].map(p => [p.getAttribute('class'), p.dataset.name])"
    )
    assert sorted(lines) == sorted(
        [["series avg", "Average"]] + [["series repo", n] for n in ("api", "lib", "tools", "web")]
    )
    bars = browser.execute_script(
        "return [...document.querySelectorAll('#bars .barrow')].map(r => [r.innerText.replace(/\\s+/g, ' '), r.dataset.level])"
    )
    # tools failed last: its earlier measurement is carried, so it still has a bar
    assert bars == [
        ["lib 88.0%", "good"],
        ["api 83.6%", "good"],
        ["web 65.0%", "fair"],
        ["tools 30.0%", "poor"],
    ]
    roles = browser.execute_script(
        "return [...document.querySelectorAll('#rolebars .barrow .lbl')].map(e => e.textContent)"
    )
    assert roles == ["frontend", "library", "service", "tooling"]
    errors = browser.find_element("id", "errors").text
    assert errors == "tools: lcov.info: line 3: DA record without a line number"


def test_clicking_a_legend_entry_hides_its_line(browser: Any, dash: Path) -> None:
    open_page(browser, dash)
    button = browser.find_element("css selector", "#legend button[data-name='web']")
    path = "document.querySelector(\"#chart path[data-name='web']\")"
    assert browser.execute_script(f"return getComputedStyle({path}).visibility") == "visible"
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert browser.execute_script(f"return getComputedStyle({path}).visibility") == "hidden"
    button.click()
    assert browser.execute_script(f"return getComputedStyle({path}).visibility") == "visible"
    shown = (
        "return [...document.querySelectorAll('#chart path.series')]"
        ".filter(p => getComputedStyle(p).visibility === 'visible').map(p => p.dataset.name)"
    )
    browser.find_element("id", "hide-all").click()
    assert browser.execute_script(shown) == ["Average"]
    button.click()
    assert sorted(browser.execute_script(shown)) == ["Average", "web"]
    browser.find_element("id", "show-all").click()
    assert len(browser.execute_script(shown)) == 5


@pytest.mark.slow
def test_table_sorts_by_any_column_and_filters(browser: Any, dash: Path) -> None:
    open_page(browser, dash)
    assert visible_rows(browser) == ["api", "lib", "tools", "web"]
    header = browser.find_element("css selector", "th[data-key='coverage']")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert visible_rows(browser) == ["tools", "web", "api", "lib"]  # tools is carried
    header.click()
    assert visible_rows(browser) == ["lib", "api", "web", "tools"]
    browser.find_element("css selector", "th[data-key='files']").click()
    assert visible_rows(browser) == ["api", "lib", "tools", "web"]
    browser.find_element("css selector", "th[data-key='role']").click()
    assert visible_rows(browser) == ["web", "lib", "api", "tools"]
    browser.find_element("css selector", "th[data-key='change']").click()
    assert visible_rows(browser) == ["lib", "tools", "api", "web"]
    browser.find_element("css selector", "th[data-key='level']").click()
    assert visible_rows(browser)[:2] == ["tools", "web"]  # poor, then fair, before good

    box = browser.find_element("id", "filter")
    box.send_keys("LCOV")  # matches the error message, case-insensitive
    assert visible_rows(browser) == ["tools"]
    clear = "const b = document.getElementById('filter'); b.value = ''; b.dispatchEvent(new Event('input'))"
    browser.execute_script(clear)
    box.send_keys("fr")
    assert visible_rows(browser) == ["web"]
    browser.execute_script(clear)
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "rolefilter")).select_by_value("library")
    assert visible_rows(browser) == ["lib"]
    assert browser.find_element("id", "count").text == "1 of 4 repositories"
    box.send_keys("api")  # text and role together
    assert visible_rows(browser) == []
    browser.execute_script(clear)
    Select(browser.find_element("id", "rolefilter")).select_by_value("")
    assert len(visible_rows(browser)) == 4


@pytest.mark.slow
def test_age_column_and_carried_and_stale_marks(browser: Any, tmp_path: Path) -> None:
    from gitmetrics.snapshot import StatePolicy

    # tools' last report failed: its measurement of the day before is carried; with
    # max_age 12h it is stale too
    make_store(tmp_path / "metrics", history(), StatePolicy(max_age=12 * 3600)).close()
    out = tmp_path / "aged.html"
    result = invoke("dashboard", "--store", str(tmp_path / "metrics"), "-o", str(out))
    assert result.exit_code == 0, result.output
    open_page(browser, out)
    assert console_problems(browser) == []
    cells = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#repos tbody tr')].map(tr =>"
        " [tr.dataset.name, {age: tr.querySelector('td.age').innerText,"
        " mark: (tr.querySelector('.mark') || {}).innerText || null,"
        " shown: !!tr.querySelector('.mark') && tr.querySelector('.mark').offsetWidth > 0,"
        " title: tr.querySelector('td.age').title}]))"
    )
    assert cells["tools"] == {
        "age": "1d",
        "mark": "carried, stale",
        "shown": True,
        "title": "measured 2026-11-02T09:00:00Z",
    }
    for name in ("api", "web", "lib"):
        assert cells[name]["age"] == "0m" and cells[name]["mark"] is None, name
    header = browser.find_element("css selector", "th[data-key='age']")
    assert header.text == "Age"
    header.click()
    header.click()  # descending: the oldest first
    assert visible_rows(browser)[0] == "tools"
    browser.find_element("id", "filter").send_keys("stale")
    assert visible_rows(browser) == ["tools"]
    # without a max_age nothing is stale: carried alone
    open_page(browser, page_of(tmp_path))
    mark = browser.find_element("css selector", "tr[data-name='tools'] .mark")
    assert mark.text == "carried" and "stale" not in (mark.get_attribute("class") or "")


def page_of(tmp_path: Path) -> Path:
    make_store(tmp_path / "plain", history()).close()
    out = tmp_path / "plain.html"
    assert invoke("dashboard", "--store", str(tmp_path / "plain"), "-o", str(out)).exit_code == 0
    return out


def test_hover_shows_value_date_and_source_commit(browser: Any, dash: Path) -> None:
    open_page(browser, dash)
    tip = hover(browser, "api", 1)
    assert tip["series"] == "api" and tip["index"] == "1"
    assert tip["text"].split("\n") == [
        "api",
        "75.0%",
        "2026-11-02 09:00 UTC",
        "source commit a1a1a1a1a1",
    ]
    tip = hover(browser, "Average", 2)
    assert tip["series"] == "Average"
    lines = tip["text"].split("\n")
    assert lines[1:3] == ["66.7%", "2026-11-03 09:00 UTC"]
    assert lines[3].startswith("metrics commit ") and len(lines[3]) == len("metrics commit ") + 10
    assert console_problems(browser) == []


@pytest.mark.slow
def test_long_history_is_downsampled_but_hover_reads_the_full_data(
    browser: Any, tmp_path: Path
) -> None:
    repos = [f"repo-{r:02d}" for r in range(4)]

    def level(j: int, r: int) -> int:
        return 900 + (j * 37) % 90 if r == 2 else 500 + (j * 37 + r * 101) % 200

    snaps = [
        snap(
            [
                # repo-02 runs above the others, so the pointer finds it at any index
                ok(n, "svc", level(j, r), 1000, commit=f"{j // 50:010x}" + "f" * 30)
                for r, n in enumerate(repos)
            ],
            0,
        )
        for j in range(8000)
    ]
    # one snapshot every 10 minutes
    from dataclasses import replace
    from datetime import timedelta

    from tests.dashboard.conftest import START

    snaps = [
        replace(s, timestamp=(START + timedelta(minutes=10 * j)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for j, s in enumerate(snaps)
    ]
    out = write(tmp_path, snaps)
    open_page(browser, out)
    assert console_problems(browser) == []
    drawn = browser.execute_script("return window.gmDashboard.drawnPoints()")
    width = browser.execute_script(
        "return document.querySelector('#chart svg').viewBox.baseVal.width"
    )
    assert drawn <= 5 * 4 * width < 5 * 8000  # at most four points per pixel column
    j = 1234
    tip = hover(browser, "repo-02", j)
    expected = snaps[j].repo("repo-02")
    assert expected is not None
    assert tip["series"] == "repo-02"
    i = int(tip["index"])
    assert abs(i - j) <= 8  # the pointer moves in whole pixels: about 7 snapshots each
    value = snaps[i].repo("repo-02")
    assert value is not None
    # the value of that exact snapshot, not of a drawn (aggregated) point
    assert tip["text"].split("\n")[1:] == [
        fmt.pct(value.coverage),
        fmt.short_time(snaps[i].timestamp) + " UTC",
        f"source commit {i // 50:010x}",
    ]


def test_numbers_read_like_the_terminal(browser: Any, dash: Path) -> None:
    open_page(browser, dash)
    values = [83.25, 83.35, 83.75, 0.05, 0.25, 0.75, 99.95, 100.0, 0.0, 66.65, 50.05, 12.34, 2.5]
    got = browser.execute_script(
        "return arguments[0].map(h => window.gmDashboard.pct(h / 100))",
        [round(v * 100) for v in values],
    )
    assert got == [fmt.pct(v) for v in values]


def test_html_and_script_in_roles_hosts_and_errors_are_shown_as_text(
    browser: Any, tmp_path: Path
) -> None:
    # names are portable by construction (the schema refuses anything else), so the
    # hostile text travels in what a snapshot may still hold freely
    evil = '<img src=x onerror="window.pwned=1">'
    closer = "</script><script>window.pwned=2</script>"
    message = "<b>bold?</b><script>window.pwned=3</script> & more"
    snaps = [
        snap([ok("web", evil, 80, 100), ok("api", closer, 50, 100)], 0, host=closer),
        snap([ok("web", evil, 85, 100), failed("api", closer, message)], 1, host=closer),
    ]
    make_store(tmp_path / "metrics", snaps).close()

    out = tmp_path / "evil.html"
    result = invoke("dashboard", "--store", str(tmp_path / "metrics"), "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<img" not in page and "<b>" not in page and page.count("</script>") == 2
    open_page(browser, out)
    assert browser.execute_script("return window.pwned === undefined")
    assert (
        browser.execute_script("return document.querySelectorAll('img, b, i, main script').length")
        == 0
    )
    roles = browser.execute_script(
        "return [...document.querySelectorAll('#repos td.role')].map(td => td.textContent)"
    )
    assert sorted(roles) == sorted([evil, closer])
    assert closer in browser.find_element("id", "meta").text
    assert browser.find_element("id", "errors").text == f"api: {message}"
    assert browser.execute_script("return document.querySelectorAll('script').length") == 2
    assert console_problems(browser) == []
    assert requested_urls(browser) == [out.resolve().as_uri()]


def _screenshot(driver: Any, name: str) -> Path:
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_reads_well_in_both_schemes_and_at_phone_width(
    browser: Any, dash: Path, scheme: str, width: int
) -> None:
    phone = width < 600
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": phone},
    )
    try:
        open_page(browser, dash)
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert (background == "rgb(15, 18, 23)") == (scheme == "dark")
        # nothing wider than the screen: the table scrolls inside its own box
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        chart_width = browser.execute_script(
            "return document.querySelector('#chart svg').getBoundingClientRect().width"
        )
        assert chart_width <= width
        assert console_problems(browser) == []
        shot = _screenshot(browser, f"dashboard-{'phone' if phone else 'desktop'}-{scheme}.png")
        assert shot.stat().st_size > 10_000
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_at_an_earlier_revision_shows_its_figures_in_the_page(browser: Any, tmp_path: Path) -> None:

    make_store(tmp_path / "metrics", history()).close()
    out = tmp_path / "then.html"
    args = ["dashboard", "--store", str(tmp_path / "metrics"), "-o", str(out), "--at", "HEAD~1"]
    assert invoke(*args).exit_code == 0
    open_page(browser, out)
    values = browser.execute_script(
        "return [...document.querySelectorAll('.card .value')].map(e => e.textContent)"
    )
    assert values[:4] == ["62.0%", "62.0%", "4", "12"]
    assert (
        "as of revision HEAD~1 · 2 snapshots, 4 repositories"
        in browser.find_element("id", "meta").text
    )
    assert browser.execute_script("return document.getElementById('errors-panel').hidden")
    assert console_problems(browser) == []
