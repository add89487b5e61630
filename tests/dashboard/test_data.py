"""The data shaping (pure) and the page template, without a browser."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from gitmetrics import dashboard as shape
from gitmetrics.history import Collection
from gitmetrics.render import dashboard as page
from gitmetrics.render import fmt
from tests.dashboard.conftest import failed, history, ok, snap


def points() -> list[Collection]:
    return [Collection.of(s, f"{i:02d}" * 20) for i, s in enumerate(history())]


def test_series_are_columns_in_hundredths_with_gaps() -> None:
    data = shape.build(list(reversed(points())))  # any order in, oldest first out
    s = data["series"]
    assert s["names"] == ["api", "lib", "tools", "web"]
    assert s["roles"] == ["service", "library", "tooling", "frontend"]
    assert s["avg"] == [7000, 6200, 7887]
    # tools: absent, measured, failed; each column as runs of [value, count]
    assert s["cov"][s["names"].index("tools")] == [None, 1, 3000, 1, None, 1]
    assert shape.values_of(s["cov"][s["names"].index("tools")]) == [None, 3000, None]
    assert shape.values_of(s["cov"][s["names"].index("api")]) == [7000, 7500, 8360]
    assert s["t"][1] - s["t"][0] == 86400
    assert s["commit"] == ["00" * 5, "01" * 5, "02" * 5]


def test_unchanged_coverage_is_one_run() -> None:
    same = [snap([ok("a", "x", 1, 2), ok("b", "x", 1, 4)], day) for day in range(4)]
    moved = snap([ok("a", "x", 1, 2), ok("b", "x", 3, 4)], 4)
    s = shape.build([Collection.of(x) for x in [*same, moved]])["series"]
    assert s["cov"] == [[5000, 5], [2500, 4, 7500, 1]]
    series = shape.Series.from_page(shape.build([Collection.of(x) for x in same]))
    assert series is not None
    shape.extend(series, Collection.of(moved))
    assert series.cov == s["cov"]


@pytest.mark.parametrize(
    "cov",
    [[5000, 2], [5000, 3, 5000, 1], [5000, 0, 5000, 4], [5000], [5000, 4, None], [True, 4]],
)
def test_a_page_with_odd_runs_is_not_continued(cov: list[object]) -> None:
    data = shape.build([Collection.of(snap([ok("a", "x", 1, 2)], day)) for day in range(4)])
    assert shape.Series.from_page(data) is not None
    data["series"]["cov"] = [cov]
    assert shape.Series.from_page(data) is None


def test_source_commits_are_stored_as_runs() -> None:
    s = shape.build(points())["series"]
    assert s["src"][s["names"].index("lib")] == [0, "c" * 10]
    assert s["src"][s["names"].index("api")] == [0, "a" * 10, 1, "a1" * 5, 2, "a2" * 5]


def test_cards_and_rows_use_the_terminal_formatting() -> None:
    data = shape.build(points(), min_coverage=80)
    cards = {c["title"]: c for c in data["cards"]}
    assert cards["Average coverage"]["value"] == fmt.pct(78.87) == "78.9%"
    assert cards["Since previous"]["value"] == fmt.trend_text(78.87 - 62.0) == "↑ +16.9"
    assert cards["Since previous"]["trend"] == "up"
    assert cards["Over the window"]["value"] == "↑ +8.9"
    assert cards["Repositories"]["value"] == "4"
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["api"]["coverage_text"] == "83.6%"
    assert rows["api"]["level"] == "good"
    assert rows["web"]["level"] == "fair"
    assert rows["api"]["change_text"] == "↑ +8.6"
    assert rows["lib"]["change_text"] == "="
    assert rows["tools"]["level"] == "error"
    assert rows["tools"]["coverage_text"] == "error"
    assert rows["api"]["branch_text"] == "75.0%"
    assert data["errors"] == [
        {"name": "tools", "error": "lcov.info: line 3: DA record without a line number"}
    ]
    assert [(r["role"], r["avg_text"]) for r in data["roles"]] == [
        ("frontend", "65.0%"),
        ("library", "88.0%"),
        ("service", "83.6%"),
    ]


def test_threshold_comes_from_the_config() -> None:
    rows = {r["name"]: r for r in shape.build(points(), min_coverage=85)["rows"]}
    assert rows["api"]["level"] == "fair"
    assert rows["lib"]["level"] == "good"
    assert shape.status_of(59.99, 80) == "poor"
    assert shape.status_of(None, 80) == "none"


def test_days_keeps_the_window_before_the_newest_snapshot() -> None:
    data = shape.build(points(), days=1)
    assert len(data["series"]["t"]) == 2
    assert data["series"]["avg"] == [6200, 7887]


def test_one_snapshot_has_no_change() -> None:
    data = shape.build([Collection.of(snap([ok("a", "x", 1, 2)], 0))])
    cards = {c["title"]: c for c in data["cards"]}
    assert cards["Since previous"]["value"] == "-"
    assert cards["Over the window"]["value"] == "-"


def test_no_snapshot_is_refused() -> None:
    with pytest.raises(ValueError):
        shape.build([])


def test_embedded_json_cannot_close_the_script_element() -> None:
    hostile = {"name": "</script><script>alert(1)</script>", "e": "a & b <!-- \u2028"}
    text = page.embed_json(hostile)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == hostile


def test_page_is_self_contained_and_its_policy_allows_only_its_own_code() -> None:
    s = snap([ok("a", "x", 1, 2), failed("@@DATA@@ <b>", "x", "@@CSP@@ </script>")], 0)
    html = page.render(shape.build([Collection.of(s)]))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1)
    assert policy.startswith("default-src 'none';")
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        assert len(bodies) == 1
        digest = base64.b64encode(hashlib.sha256(bodies[0].encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    # nothing that could load anything
    assert not re.search(r"(src|href)\s*=", html.split("<script>")[0].split("</title>")[1])
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    # placeholders inside data are data, not substituted
    data = page.render(shape.build([Collection.of(s)]))
    from tests.dashboard.conftest import page_data

    assert {r["name"] for r in page_data(data)["rows"]} == {"a", "@@DATA@@ <b>"}
    assert html.count("</script>") == 2


def test_template_ships_in_the_package() -> None:
    from importlib import resources

    assert resources.files("gitmetrics.render").joinpath("dashboard.html").is_file()


def test_rows_carry_the_age_as_the_terminal_shows_it(tmp_path: Path) -> None:
    from gitmetrics.snapshot import StatePolicy
    from tests.dashboard.conftest import make_store, page_data
    from tests.helpers import invoke

    make_store(tmp_path / "metrics", history(), StatePolicy(max_age=12 * 3600)).close()
    out = tmp_path / "d.html"
    assert invoke("dashboard", "--store", str(tmp_path / "metrics"), "-o", str(out)).exit_code == 0
    rows = {r["name"]: r for r in page_data(out.read_text(encoding="utf-8"))["rows"]}
    tools = rows["tools"]
    assert (tools["measured_at"], tools["age"], tools["carried"], tools["stale"]) == (
        "2026-11-02T09:00:00Z",
        86400,
        True,
        True,
    )
    assert (
        (tools["age_text"], tools["age_note"])
        == (fmt.age(86400), "carried, stale")
        == ("1d", "carried, stale")
    )
    assert (rows["api"]["age_text"], rows["api"]["age_note"], rows["api"]["stale"]) == (
        "0m",
        "",
        False,
    )
