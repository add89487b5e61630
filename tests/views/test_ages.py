"""report, diff and trends see every repository of the state with its age: an Age column,
``measured_at``/``age``/``carried``/``stale`` in --json, carried and stale repos marked.

In the known store, delta's report goes missing at the last collection: its measurement of
the day before is carried (age 1d). With ``max_age: 12h`` it is stale as well.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from gitmetrics.render import data
from gitmetrics.rules import Breach
from gitmetrics.store import Store
from tests.helpers import invoke

DAY = 86400
MEASURED = "2026-11-04T10:00:00Z"  # delta's last measurement


def run(*args: str, columns: int = 200) -> str:
    result = invoke(*args, env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(name + " "))


def ages(rows: list[dict[str, object]]) -> dict[object, tuple[object, ...]]:
    return {r["repo"]: (r["measured_at"], r["age"], r["carried"], r["stale"]) for r in rows}


FRESH = ("2026-11-05T10:00:00Z", 0, False, False)


@pytest.mark.parametrize(("fixture", "stale"), [("known_store", False), ("stale_store", True)])
def test_json_rows_carry_the_age(fixture: str, stale: bool, request: pytest.FixtureRequest) -> None:
    st = str(request.getfixturevalue(fixture).path)
    delta = (MEASURED, DAY, True, stale)
    for command in ("report", "trends", "diff"):
        data = json.loads(run(command, "--store", st, "--json"))
        found = ages(data["rows"])
        assert found.pop("delta") == delta, command
        assert set(found.values()) == {FRESH}, command
        assert set(found) == {"alpha", "beta", "gamma", "eps"}, command
    # the trends average is no repository: no age of its own
    data = json.loads(run("trends", "--store", st, "--json"))
    assert "age" not in data["average"]


def test_terminal_tables_show_age_and_mark(known_store: Store, stale_store: Store) -> None:
    st, old = str(known_store.path), str(stale_store.path)
    out = run("report", "--store", st, "--format", "table")
    assert re.search(r"\bAge\s+Status", out)
    assert re.search(r"1d\s+needs work \(carried\)", row(out, "delta"))
    assert re.search(r"0m\s+needs work$", row(out, "alpha").rstrip())
    out = run("report", "--store", old, "--format", "table")
    assert re.search(r"1d\s+needs work \(carried, stale\)", row(out, "delta"))
    out = run("diff", "--store", old)
    assert re.search(r"=\s+1d\s+\(carried, stale\)", row(out, "delta"))
    assert "carried" not in row(out, "gamma")
    out = run("trends", "--store", st)
    assert re.search(r"^delta \(carried\)\s.*\s1d\s*$", row(out, "delta"))
    out = run("trends", "--store", old, "--forecast")
    assert re.search(r"^delta \(carried, stale\)\s.*\s1d\s*$", row(out, "delta"))
    assert row(out, "average").rstrip().endswith("2026-11-11")  # no age for the average


def test_markdown_html_and_csv_show_age(stale_store: Store) -> None:
    st = str(stale_store.path)
    md = run("report", "--store", st, "--format", "markdown")
    assert "| Slope | Age | Status |" in md
    assert re.search(r"\| delta \|.*\| 1d \| 🔴 needs work \(carried, stale\) \|", md)
    md = run("diff", "--store", st, "--markdown")
    assert "| gamma | library | 70.0% | 70.0% | = | 0m | same |" in md
    assert "| delta | frontend | 42.0% | 42.0% | = | 1d | same (carried, stale) |" in md
    page = run("report", "--store", st, "--format", "html")
    assert "<th>Age</th>" in page
    assert '<td class="n">1d</td>' in page and "needs work (carried, stale): no coverage" in page
    for command in ("report", "diff", "trends"):
        rows = list(csv.DictReader(io.StringIO(run(command, "--store", st, "--format", "csv"))))
        delta = next(r for r in rows if r["repo"] == "delta")
        assert (delta["measured_at"], delta["age"], delta["carried"], delta["stale"]) == (
            MEASURED,
            str(DAY),
            "true",
            "true",
        ), command


def test_narrow_terminal_drops_age_before_the_mark(stale_store: Store) -> None:
    st = str(stale_store.path)
    for command in ("report", "diff", "trends", "status"):
        table = ("--format", "table")
        wide = run(command, "--store", st, *table)
        assert re.search(r"\bAge\b", wide) and "(carried, stale)" in wide, command
        narrow = run(command, "--store", st, *table, columns=44)
        assert all(len(line) <= 44 for line in narrow.splitlines()), command
        assert "(carried" in narrow and "stale)" in narrow, command  # the mark stays
        assert "Coverage" in narrow or "Before" in narrow or "Now" in narrow, command
    # narrower still, the age goes (after the least useful columns), the mark stays
    for command in ("report", "status"):
        narrow = run(command, "--store", st, "--format", "table", columns=40)
        assert "Age" not in narrow and "Coverage" in narrow, command
        assert "(carried," in narrow and "stale)" in narrow, command


def test_check_names_the_age_of_a_breaching_repo(stale_store: Store) -> None:
    st = str(stale_store.path)
    args = ("check", "--store", st, "--min-coverage", "50")
    result = invoke(*args, "--json", env={"COLUMNS": "200"})
    assert result.exit_code == 3, result.output
    breaches = json.loads(result.output)["breaches"]
    assert ages(breaches) == {"delta": (MEASURED, DAY, True, True)}  # alpha is at 58%
    out = invoke(*args, env={"COLUMNS": "200"}).output
    assert re.search(r"delta \(carried, stale\)\s+min_coverage\s+42\.00%\s+50%\s+1d", out)
    md = invoke(*args, "--markdown").output
    assert re.search(
        r"\| delta \(carried, stale\) \| `min_coverage` \| 42\.00% \| 50% \| 1d \|", md
    )
    # a rule over all repositories names none: no age
    overall = data.breach(
        Breach(repo=None, rule="min_weighted_coverage", value=1, limit=2, message="")
    )
    assert (overall["measured_at"], overall["age"], overall["carried"], overall["stale"]) == (
        None,
        None,
        False,
        False,
    )
