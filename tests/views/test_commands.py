"""status, report, diff, trends and history through the CLI, on a store with known figures."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gitmetrics.errors import StoreError
from gitmetrics.historyview import build_history
from gitmetrics.store import Store, init
from gitmetrics.views import build_diff
from tests.helpers import docs_text, invoke


def run(*args: str) -> str:
    result = invoke(*args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def fail(*args: str) -> str:
    result = invoke(*args, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    return result.output


def names_in_order(text: str, names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: re.search(rf"^{n}\b", text, re.M).start())  # type: ignore[union-attr]


def row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(name + " "))


# --- status -----------------------------------------------------------------------


def test_status_table_worst_first_with_changes(known_store: Store) -> None:
    out = run("status", "--store", str(known_store.path))
    assert names_in_order(out, ["alpha", "beta", "gamma", "delta", "eps"]) == [
        "delta",
        "alpha",
        "eps",
        "gamma",
        "beta",
    ]
    assert re.search(r"58\.0%.*29\.0%\s+10\s+↑ \+2\.0\s+0m\s+needs work", row(out, "alpha"))
    assert re.search(r"86\.0%.*↓ -1\.0\s+0m\s+good", row(out, "beta"))
    assert re.search(r"70\.0%.*=\s+0m\s+fair", row(out, "gamma"))
    # delta's report went missing: its last measurement is carried, with the reason
    assert re.search(
        r"42\.0%.*1d\s+needs work \(carried\) no coverage report found", row(out, "delta")
    )
    assert "2 needs work, 2 fair, 1 good" in out
    assert "Average 64.4%, lines-weighted 64.4%" in out
    assert "service 72.0%" in out
    assert "change since 2026-11-04 10:00" in out


def test_status_json_matches_the_table(known_store: Store) -> None:
    data = json.loads(run("status", "--store", str(known_store.path), "--json"))
    rows = {r["repo"]: r for r in data["rows"]}
    assert [r["repo"] for r in data["rows"]] == ["delta", "alpha", "eps", "gamma", "beta"]
    assert rows["alpha"]["line_coverage"] == 58.0 and rows["alpha"]["change"] == 2.0
    assert rows["alpha"]["previous_line_coverage"] == 56.0
    assert rows["beta"]["rating"] == "good" and rows["beta"]["change"] == -1.0
    assert rows["delta"]["rating"] == "needs work" and rows["delta"]["line_coverage"] == 42.0
    assert rows["delta"]["carried"] and rows["delta"]["error"] == "no coverage report found"
    assert rows["delta"]["measured_at"] == "2026-11-04T10:00:00Z"
    assert rows["delta"]["age"] == 86400 and rows["alpha"]["age"] == 0
    assert data["totals"]["ratings"] == {
        "error": 0,
        "no data": 0,
        "needs work": 2,
        "fair": 2,
        "good": 1,
    }
    assert data["totals"]["avg_line_coverage"] == 64.4
    assert data["previous_at"] == "2026-11-04T10:00:00Z"
    assert data["at"] == "2026-11-05T10:00:00Z" and len(data["collection"]) == 40


def test_status_filters_and_threshold(known_store: Store) -> None:
    data = json.loads(
        run(
            "status",
            "--store",
            str(known_store.path),
            "--role",
            "service",
            "--json",
            "--min-coverage",
            "55",
        )
    )
    assert [(r["repo"], r["rating"]) for r in data["rows"]] == [("alpha", "good"), ("beta", "good")]
    assert data["totals"]["avg_line_coverage"] == 72.0
    out = fail("status", "--store", str(known_store.path), "--repo", "nope")
    assert "no repository in the newest snapshot matches --repo nope" in out


def test_every_read_command_says_when_the_store_is_empty(tmp_path: Path) -> None:
    init(tmp_path / "m").close()
    for cmd in ("status", "report", "diff", "trends", "history"):
        out = fail(cmd, "--store", str(tmp_path / "m"))
        assert "has no collections yet" in out, cmd
        assert "gitmetrics collect" in out
        assert "Traceback" not in out


# --- report -----------------------------------------------------------------------


def test_report_json_has_history_figures(known_store: Store) -> None:
    data = json.loads(run("report", "--store", str(known_store.path), "--format", "json"))
    rows = {r["repo"]: r for r in data["rows"]}
    assert data["collections"] == 5  # three of them pruned from the tree by retention
    beta = rows["beta"]
    assert (beta["line_coverage"], beta["previous_line_coverage"], beta["change"]) == (
        86.0,
        87.0,
        -1.0,
    )
    assert (beta["best_line_coverage"], beta["worst_line_coverage"]) == (90.0, 86.0)
    assert [p["line_coverage"] for p in beta["points"]] == [90.0, 89.0, 88.0, 87.0, 86.0]
    assert beta["points"][0]["at"] == "2026-11-01T10:00:00Z"
    assert beta["slope_per_week"] == -7.0
    assert [p["line_coverage"] for p in rows["eps"]["points"]] == [None, None, None, 65.0, 66.0]
    assert [p["avg_line_coverage"] for p in data["average_points"]] == [
        56.0,
        56.2,
        56.6,
        64.0,
        64.4,
    ]


def test_report_formats_render_the_same_rows(known_store: Store, tmp_path: Path) -> None:
    st = str(known_store.path)
    data = json.loads(run("report", "--store", st, "--format", "json", "--last", "3"))
    assert data["window"] == 3
    order = [r["repo"] for r in data["rows"]]

    md = run("report", "--store", st, "--format", "markdown", "--last", "3")
    md_rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    assert [c.split(" | ")[0].strip("| ") for c in md_rows[1:]] == order
    assert "| alpha | service | 58.0% | 56.0% | ↑ +2.0 | 58.0% | 50.0% | `▁▅█` |" in md

    target = tmp_path / "report.csv"
    out = run("report", "--store", st, "--format", "csv", "--last", "3", "-o", str(target))
    assert "Wrote csv report of 5 repos" in out
    table = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["repo"] for r in table] == order
    beta = next(r for r in table if r["repo"] == "beta")
    assert (beta["line_coverage"], beta["best_line_coverage"]) == ("86.0", "90.0")
    assert [p["line_coverage"] for p in json.loads(beta["points"])] == [88.0, 87.0, 86.0]

    page = run("report", "--store", st, "--format", "html")

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.in_td = False

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "tr":
                self.rows.append([])
            self.in_td = tag == "td"

        def handle_data(self, data: str) -> None:
            if self.in_td and self.rows:
                self.rows[-1].append(data.strip())
                self.in_td = False

    parser = Cells()
    parser.feed(page)
    body = [r for r in parser.rows if r]
    assert [r[0] for r in body] == order
    assert body[-1][:3] == ["beta", "service", "86.0%"]


def test_report_rejects_an_unknown_format(known_store: Store) -> None:
    out = fail("report", "--store", str(known_store.path), "--format", "pdf")
    assert "--format pdf: unknown format" in out
    assert "use one of: markdown, json, csv, html, table" in out


# --- diff -------------------------------------------------------------------------


def test_diff_default_is_previous_to_latest(known_store: Store) -> None:
    data = json.loads(run("diff", "--store", str(known_store.path), "--json"))
    kinds = {r["repo"]: (r["kind"], r["change"]) for r in data["rows"]}
    assert kinds == {
        "alpha": ("changed", 2.0),
        "beta": ("changed", -1.0),
        "delta": ("same", 0.0),  # carried: its report went missing
        "eps": ("changed", 1.0),
        "gamma": ("same", 0.0),
    }
    assert [r["repo"] for r in data["rows"]] == ["beta", "eps", "alpha", "delta", "gamma"]
    assert data["avg_line_coverage_change"] == 0.4


def test_diff_by_revision_lists_added_and_removed(known_store: Store) -> None:
    out = run("diff", "HEAD~4", "HEAD", "--store", str(known_store.path))
    assert re.search(r"90\.0%\s+86\.0%\s+↓ -4\.0", row(out, "beta"))
    assert re.search(r"-\s+66\.0%\s+-\s+0m\s+added", row(out, "eps"))
    assert re.search(r"30\.0%\s+-\s+-\s+-\s+removed", row(out, "old"))
    assert "1 added, 1 removed" in out
    data = json.loads(run("diff", "HEAD~4", "HEAD", "--store", str(known_store.path), "--json"))
    assert data["a"]["at"] == "2026-11-01T10:00:00Z"
    old = next(r for r in data["rows"] if r["repo"] == "old")
    assert old["kind"] == "removed" and old["after"] is None
    # a commit id names the same collection
    commit = data["a"]["collection"]
    again = json.loads(run("diff", commit[:8], "--store", str(known_store.path), "--json"))
    assert again["a"]["collection"] == commit and again["b"]["spec"] == "latest"


def test_an_abbreviated_commit_that_reads_as_a_duration_names_the_commit(
    known_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "5754621d" is also "5,754,621 days": the commit it names wins over the duration
    from gitmetrics import history as views

    found = list(known_store.history())
    target = found[3]
    real = known_store.find_commit
    monkeypatch.setattr(
        known_store, "find_commit", lambda rev: target.commit if rev == "5754621d" else real(rev)
    )
    assert views.resolve(known_store, found, "5754621d").commit == target.commit
    # and a duration no commit matches is refused plainly, not with an OverflowError
    with pytest.raises(StoreError, match="reaches back before the year 1"):
        views.resolve(known_store, found, "99999999d")
    with pytest.raises(StoreError, match="names no collection"):
        views.resolve(known_store, found, "abcdef12")


def test_diff_by_file_name_of_a_pruned_snapshot(known_store: Store) -> None:
    oldest = list(known_store.history())[-1]
    assert oldest.snapshot_path not in known_store.files_at()  # pruned from the tree
    name = oldest.snapshot_path.rsplit("/", 1)[-1]
    data = json.loads(run("diff", name, "--store", str(known_store.path), "--json"))
    assert data["a"]["snapshot_path"] == oldest.snapshot_path
    assert data["a"]["avg_line_coverage"] == 56.0


def test_diff_by_date(known_store: Store) -> None:
    st = str(known_store.path)
    data = json.loads(run("diff", "--at", "2026-11-02", "--store", st, "--json"))
    assert data["a"]["at"] == "2026-11-02T10:00:00Z"
    data = json.loads(run("diff", "2026-11-02", "2026-11-03T12:00:00Z", "--store", st, "--json"))
    assert (data["a"]["at"], data["b"]["at"]) == (
        "2026-11-02T10:00:00Z",
        "2026-11-03T10:00:00Z",
    )
    view = build_diff(known_store, "3d", now=datetime(2026, 11, 5, 12, tzinfo=UTC))
    assert view.a.timestamp == "2026-11-02T10:00:00Z"
    out = fail("diff", "--at", "2026-10-01", "--store", st)
    assert "no collection at or before 2026-10-01" in out
    assert "oldest collection is from 2026-11-01T10:00:00Z" in out


def test_diff_markdown_pastes_as_a_table(known_store: Store) -> None:
    md = run("diff", "HEAD~4", "--markdown", "--store", str(known_store.path))
    assert "| old | tooling | 30.0% | - | - | - | removed |" in md
    assert "| eps | tooling | - | 66.0% | - | 0m | added |" in md
    assert "Average 56.0% → **64.4%** (↑ +8.4)" in md


def test_diff_unknown_spec_is_a_clear_error(known_store: Store) -> None:
    out = fail("diff", "no-such-rev", "--store", str(known_store.path))
    assert "'no-such-rev' names no collection" in out


# --- trends -----------------------------------------------------------------------


def test_trends_with_forecast(known_store: Store) -> None:
    st = str(known_store.path)
    out = run("trends", "--store", st, "--forecast")
    assert re.search(
        r"▁▃▅▆█\s+58\.0%\s+↑ \+8\.0\s+\+14\.00/wk\s+100\.0%\s+reaches 80% on 2026-11-16",
        row(out, "alpha"),
    )
    assert re.search(
        r"█▆▅▃▁\s+86\.0%\s+↓ -4\.0\s+-7\.00/wk\s+56\.0%\s+falls below 80% on 2026-11-11",
        row(out, "beta"),
    )
    assert "flat: not at this rate" in row(out, "gamma")
    data = json.loads(run("trends", "--store", st, "--forecast", "--json", "--repo", "beta"))
    assert [r["repo"] for r in data["rows"]] == ["beta"]
    assert data["rows"][0]["line_coverage"] == 86.0
    f = data["rows"][0]["forecast"]
    assert f["crossing_date"] == "2026-11-11" and f["verdict"] == "falling"
    assert data["collections"] == 5


def test_trends_window_and_plot(known_store: Store) -> None:
    st = str(known_store.path)
    data = json.loads(run("trends", "--store", st, "--days", "2", "--json", "--role", "service"))
    assert data["collections"] == 3  # 11-03, 11-04, 11-05
    assert {r["repo"]: r["change"] for r in data["rows"]} == {"alpha": 4.0, "beta": -2.0}
    assert data["average"]["repo"] is None and data["average"]["points"][0]["avg_line_coverage"]
    out = run("trends", "--store", st, "--plot", "--repo", "alpha")
    assert "● average  ◆ alpha" in out
    assert "┤" in out and "└" in out


# --- history ----------------------------------------------------------------------


def test_history_all_since_repo_and_role(known_store: Store) -> None:
    st = str(known_store.path)
    assert len(json.loads(run("history", "--store", st, "--json", "-n", "2"))) == 2
    rows = json.loads(run("history", "--store", st, "--json", "--all"))
    assert [r["avg_line_coverage"] for r in rows] == [64.4, 64.0, 56.6, 56.2, 56.0]
    assert rows[0]["change"] == 0.4 and rows[-1]["change"] is None

    rows = json.loads(run("history", "--store", st, "--json", "--since", "2026-11-04"))
    assert [r["at"][:10] for r in rows] == ["2026-11-05", "2026-11-04"]
    assert rows[-1]["change"] == 7.4  # against the collection before the window

    out = run("history", "--store", st, "--repo", "delta", "--all")
    assert "History of repository delta" in out
    assert re.search(r"2026-11-04 10:00\s+42\.0%\s+21\.0%\s+10\s+ok\s+↑ \+1\.0", out)
    # its report went missing: the state carries the measurement of 11-04
    assert re.search(r"2026-11-05 10:00\s+42\.0%\s+21\.0%\s+10\s+ok\s+=", out)

    rows = json.loads(run("history", "--store", st, "--json", "--role", "tooling", "--all"))
    assert [r["avg_line_coverage"] for r in rows] == [66.0, 65.0, 30.0, 30.0, 30.0]
    assert {r["role"] for r in rows} == {"tooling"}
    assert rows[1]["change"] == 35.0

    rows_by_api = build_history(known_store, limit=None, name="old")
    assert [r.status for r in rows_by_api] == ["absent", "absent", "ok", "ok", "ok"]
    out = fail("history", "--store", st, "--repo", "nobody")
    assert "repository 'nobody' appears in none of these collections" in out


def test_history_since_needs_a_date(known_store: Store) -> None:
    out = fail("history", "--store", str(known_store.path), "--since", "last tuesday")
    assert "'last tuesday' is not a date" in out


def test_history_since_30m_means_minutes(known_store: Store) -> None:
    # collections at 10:00 on 2026-11-01..05; 30 minutes before 10:20 on the 5th: one
    rows = build_history(
        known_store, limit=None, since_text="30m", now=datetime(2026, 11, 5, 10, 20, tzinfo=UTC)
    )
    assert [r.timestamp[:10] for r in rows] == ["2026-11-05"]
    rows = build_history(
        known_store, limit=None, since_text="3mo", now=datetime(2026, 11, 5, 10, 20, tzinfo=UTC)
    )
    assert len(rows) == 5


def test_an_ambiguous_unit_is_refused(known_store: Store) -> None:
    out = fail("history", "--store", str(known_store.path), "--since", "3M")
    assert "'3M' is ambiguous" in out and "mo for months" in out


@pytest.mark.parametrize("cmd", ["status", "report", "diff", "trends", "history"])
def test_every_command_has_help_and_a_readme_section(cmd: str) -> None:
    out = run(cmd, "--help")
    assert "Usage" in out
    assert f"gitmetrics {cmd}" in docs_text()


@pytest.mark.parametrize("cmd", ["status", "diff", "trends", "history", "check"])
def test_every_data_command_has_every_format(known_store: Store, cmd: str) -> None:
    st = str(known_store.path)
    extra = ["--min-coverage", "60"] if cmd == "check" else []
    ok = (0, 3) if cmd == "check" else (0,)

    def out(*args: str) -> str:
        result = invoke(cmd, "--store", st, *extra, *args)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.exit_code in ok, result.output
        return result.output

    assert out("--format", "json") == out("--json")
    rows = list(csv.reader(io.StringIO(out("--format", "csv"))))
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows)
    assert out("-f", "markdown").splitlines()[0].startswith(("|", "#", "## "))
    assert out("--format", "table") == out()


def test_format_and_its_aliases_exclude_each_other(known_store: Store) -> None:
    out = fail("diff", "--store", str(known_store.path), "--json", "--format", "csv")
    assert "exclude each other" in out
    out = fail("status", "--store", str(known_store.path), "--format", "yaml")
    assert "use one of: table, json, markdown, csv" in out


def test_history_streams_aligned_rows(known_store: Store) -> None:
    lines = run("history", "--store", str(known_store.path), "--all").splitlines()
    assert lines[0].split() == [
        "Timestamp",
        "Avg",
        "Coverage",
        "Repos",
        "Measured",
        "Files",
        "Trend",
    ]
    # fixed widths: every row's coverage ends where the heading "Avg Coverage" ends
    assert {line.index("%") + 1 for line in lines[1:]} == {lines[0].index("Coverage") + 8}
    rows = json.loads(run("history", "--store", str(known_store.path), "--all", "--json"))
    assert [r["avg_line_coverage"] for r in rows] == [64.4, 64.0, 56.6, 56.2, 56.0]
