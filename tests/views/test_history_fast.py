"""The streamed history rows: the direct writers give what the general ones give."""

from __future__ import annotations

import dataclasses
import io
import math

import pytest
from rich.console import Console

from gitmetrics.historyview import HistoryRow
from gitmetrics.render import data, registry, terminal


def row(**changes: object) -> HistoryRow:
    base = HistoryRow(
        commit="a" * 40,
        timestamp="2026-11-24T10:00:00Z",
        snapshot="snapshots/2026/11/metrics_20261124_100000_ci_0123456789.json",
        host="ci",
        avg_coverage=75.94,
        weighted_coverage=75.8,
        branch_coverage=None,
        repos=100,
        failed=0,
        files=429412,
        status=None,
        change=-0.01,
    )
    return dataclasses.replace(base, **changes)


ODD = [
    row(),
    row(host='a "quoted", host\\ with\ttab \u2028 and é', status="error"),
    row(avg_coverage=None, weighted_coverage=100.0, change=None, failed=3),
    row(avg_coverage=99.999, change=1e-7, host="<script>&"),
    row(repos=0, files=0, branch_coverage=0.0, status="absent"),
]
#: what a trailer never holds (it is refused as not a percentage), for JSON only
NOT_NUMBERS = row(avg_coverage=math.nan, weighted_coverage=math.inf, change=-math.inf)


def general(rows: list[dict[str, object]]) -> str:
    """The list as :func:`registry.json_text` writes it whole."""
    return registry.json_text(rows)


@pytest.mark.parametrize("rows", [[*ODD, NOT_NUMBERS], ODD[:1], []])
def test_streamed_json_is_the_general_json(rows: list[HistoryRow]) -> None:
    plain = [data.history_row(r) for r in rows]
    assert "".join(registry.json_stream(plain)) == general(plain)


def test_a_row_with_a_nested_value_takes_the_general_path() -> None:
    got = "".join(registry.json_stream([{"name": "x", "values": [1, 2]}]))
    assert got == '[\n  {\n    "name": "x",\n    "values": [\n      1,\n      2\n    ]\n  }\n]\n'


@pytest.mark.parametrize("color", [None, "truecolor"])
@pytest.mark.parametrize("repo", [None, "api"])
def test_streamed_table_is_what_rich_prints(color: str | None, repo: str | None) -> None:
    def console() -> tuple[Console, io.StringIO]:
        out = io.StringIO()
        kind = {"color_system": color, "force_terminal": color is not None}
        return Console(file=out, width=120, highlight=False, emoji=False, **kind), out  # type: ignore[arg-type]

    fast, fast_out = console()
    terminal.history(fast, iter(ODD), repo=repo, role=None)
    slow, slow_out = console()
    columns = terminal._HISTORY_REPO if repo else terminal._HISTORY_STORE
    terminal.history(slow, iter([]), repo=repo, role=None)
    for r in ODD:  # each line through rich, as the table was printed before
        cells = terminal._row_cells(r, repo)
        slow.print(terminal._fixed(cells, columns), soft_wrap=True)
    assert fast_out.getvalue() == slow_out.getvalue()
    assert ("\x1b[" in fast_out.getvalue()) == (color is not None)
    assert fast_out.getvalue().count("\n") == len(ODD) + 1 + (repo is not None)


def test_the_change_keeps_every_other_field() -> None:
    """``_with_change`` rebuilds a row by position: a field added to HistoryRow must survive."""
    from gitmetrics.historyview import _with_change

    r = dataclasses.replace(ODD[0], measured=1, carried=3, stale=2)
    assert _with_change(r, 1.5) == dataclasses.replace(r, change=1.5)
