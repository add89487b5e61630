"""Stores built by the tests, and a headless Chromium driven by Selenium."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gitmetrics import snapshot as snapmod
from gitmetrics import store as storemod
from gitmetrics.snapshot import RepoResult, Snapshot, Source

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Debian's packages; the variables exist so a test can prove a missing browser fails loudly
CHROMIUM = os.environ.get("GITMETRICS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GITMETRICS_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")


def ok(
    name: str,
    role: str,
    covered: int,
    valid: int,
    *,
    files: int = 3,
    commit: str | None = None,
    branches: tuple[int, int] | None = None,
) -> RepoResult:
    """A measured repository with exact line counts."""
    return RepoResult(
        name=name,
        role=role,
        coverage=snapmod.pct(covered, valid),
        files_tested=files,
        lines_covered=covered,
        lines_valid=valid,
        branch_coverage=snapmod.pct(*branches) if branches else None,
        branches_covered=branches[0] if branches else None,
        branches_valid=branches[1] if branches else None,
        format="lcov",
        report="lcov.info",
        source=Source(commit or f"{abs(hash(name)) % 16**40:040x}", "main", False),
    )


def failed(name: str, role: str, message: str) -> RepoResult:
    """A repository whose report could not be read."""
    return RepoResult(name=name, role=role, status="error", error=message)


def snap(results: Sequence[RepoResult], day: int, host: str = "ci") -> Snapshot:
    """A snapshot taken ``day`` days after START."""
    when = START + timedelta(days=day)
    return snapmod.build(results, host=host, timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ"))


def make_store(
    path: Path, snapshots: Sequence[Snapshot], policy: snapmod.StatePolicy | None = None
) -> storemod.Store:
    """A metrics repository with one commit per snapshot (oldest first)."""
    st = storemod.init(path)
    for s in snapshots:
        if policy is None:
            st.commit_snapshot(s, retention=0)
        else:
            st.commit_snapshot(s, retention=0, policy=policy)
    return st


def history() -> list[Snapshot]:
    """Three collections of four repositories; one fails in the last."""
    return [
        snap(
            [
                ok("api", "service", 700, 1000, commit="a" * 40, branches=(30, 60)),
                ok("web", "frontend", 500, 1000, commit="b" * 40),
                ok("lib", "library", 900, 1000, commit="c" * 40),
            ],
            0,
        ),
        snap(
            [
                ok("api", "service", 750, 1000, commit="a1" * 20, branches=(40, 60)),
                ok("web", "frontend", 550, 1000, commit="b" * 40),
                ok("lib", "library", 880, 1000, commit="c" * 40),
                ok("tools", "tooling", 300, 1000, commit="d" * 40),
            ],
            1,
        ),
        snap(
            [
                ok("api", "service", 836, 1000, commit="a2" * 20, branches=(45, 60)),
                ok("web", "frontend", 650, 1000, commit="b2" * 20, files=12),
                ok("lib", "library", 880, 1000, commit="c" * 40),
                failed("tools", "tooling", "lcov.info: line 3: DA record without a line number"),
            ],
            2,
        ),
    ]


# --- the browser ----------------------------------------------------------------------


def _missing_browser() -> str | None:
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not Path(exe).is_file():
            return exe
    return None


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium (the Debian package) with the network logged; never skips."""
    missing = _missing_browser()
    if missing is not None:
        pytest.fail(
            f"{missing} is missing: the dashboard is tested in a real browser. "
            "Install it with `.ci/install-browser` (apt-get install -y chromium chromium-driver).",
            pytrace=False,
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: pip install -e '.[test]'", pytrace=False)

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never reach the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit driver path: Selenium Manager is never run, so nothing is downloaded
    service = Service(executable_path=CHROMEDRIVER)
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as exc:
        pytest.fail(f"headless Chromium did not start: {exc}", pytrace=False)
    try:
        yield driver
    finally:
        driver.quit()


# --- reading pages ----------------------------------------------------------------------

_DATA = re.compile(r'<script type="application/json" id="gm-data">(.*?)</script>', re.S)


def page_data(html: str) -> dict[str, Any]:
    """The data embedded in a dashboard page."""
    found = _DATA.search(html)
    assert found is not None, "no embedded data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def open_page(driver: Any, path: Path) -> None:
    """Load a dashboard file and wait until it has drawn everything."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.documentElement.dataset.ready === '1'")
    )


def console_problems(driver: Any) -> list[str]:
    """Console errors (and any CSP report) since the page was opened."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]
    ]


#: Chromium's own UI fetches these now and then (favicons and icons of its internal pages,
#: a 1x1 ``data:`` GIF); none is a network request, and the page itself has no ``data:``
#: URL (test_the_page_embeds_no_data_url checks that).
BROWSER_INTERNAL = ("chrome://", "chrome-extension://", "devtools://", "data:")


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the page was opened (CDP Network events).

    Chromium's internal resources are left out (see BROWSER_INTERNAL): any other scheme
    (http, https, ws, file, ...) is listed, so a network request made by the page shows.
    """
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            url = message["params"].get("request", {}).get("url") or message["params"]["url"]
            if not url.startswith(BROWSER_INTERNAL):
                urls.append(url)
    return urls
