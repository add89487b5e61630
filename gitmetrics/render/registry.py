"""Which renderer draws which view in which format: ``--format`` only picks from here.

Every view that a command prints (status, diff, trends, history, check, issues) has a
terminal table (:mod:`gitmetrics.render.terminal`) and text renderers for ``json``,
``markdown`` and ``csv``; ``report`` has its own file formats (:mod:`gitmetrics.render.report`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from gitmetrics import views
from gitmetrics.render import escape
from gitmetrics.render import markdown as md

#: what ``--format`` accepts on every command that prints data
FORMATS = ("table", "json", "markdown", "csv")


def to_data(value: Any) -> Any:
    """A view as plain JSON data."""
    return views.to_data(value)


def json_text(data: Any) -> str:
    """Plain data as stable JSON: sorted keys, indent 2, one newline at the end."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return escape.json_text(text) + "\n"


def json_stream(rows: Iterable[Any]) -> Iterator[str]:
    """:func:`json_text` of a list, a row at a time (the same bytes, none of it held)."""
    first = True
    for row in rows:
        body = json_text(to_data(row)).rstrip("\n").replace("\n", "\n  ")
        yield ("[\n  " if first else ",\n  ") + body
        first = False
    yield "[]\n" if first else "\n]\n"


def _cell(value: Any) -> object:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return escape.visible(json.dumps(value, sort_keys=True, ensure_ascii=False))
    return escape.visible(value) if isinstance(value, str) else value


def _breach() -> type:
    from gitmetrics.rules import Breach  # rules loads config and formats: only for `check`

    return Breach


def csv_text(rows: Sequence[Any], kind: type | None = None) -> str:
    """One CSV row per item (a dataclass or a mapping); nested values as JSON.

    ``kind`` (a dataclass) names the columns when there is no row to take them from.
    """
    records = [to_data(r) for r in rows]
    columns: list[str] = [f.name for f in dataclasses.fields(kind)] if kind and not rows else []
    for rec in records:
        columns += [k for k in rec if k not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([_cell(rec.get(k)) for k in columns])
    return out.getvalue()


def markdown_rows(rows: Sequence[Any], columns: Sequence[str] | None = None) -> str:
    """A pipe table of ``rows`` (their fields, or ``columns`` of them), every cell escaped."""
    records = [to_data(r) for r in rows]
    cols = list(columns or (records[0].keys() if records else ()))
    cells = [
        [
            escape.markdown("" if rec.get(c) is None else str(rec.get(c)))
            if not isinstance(rec.get(c), list | dict)
            else escape.markdown(json.dumps(rec.get(c), ensure_ascii=False))
            for c in cols
        ]
        for rec in records
    ]
    return md.table(cols, cells)


def _status_md(view: Any) -> str:
    return md.status_table(view.rows) + "\n" + md.totals_line(view.totals)


def check_data(result: Any) -> dict[str, Any]:
    """The check as plain JSON data."""
    return {
        "ok": result.ok,
        "timestamp": result.timestamp,
        "snapshot": result.snapshot,
        "checked": list(result.checked),
        "unmeasured": list(result.unmeasured),
        "breaches": [b.to_dict() for b in result.breaches],
    }


def _issues_data(shown: Sequence[Any]) -> Any:
    from gitmetrics.coordination import plain

    return plain(list(shown))


_TREND_COLUMNS = ("name", "role", "current", "change", "slope_per_week", "sparkline")
_HISTORY_COLUMNS = ("timestamp", "commit", "avg_coverage", "repos", "failed", "files", "change")

#: view -> format -> renderer of its text
TEXT: Mapping[str, Mapping[str, Callable[[Any], str]]] = {
    "status": {
        "json": lambda v: json_text(to_data(v)),
        "markdown": _status_md,
        "csv": lambda v: csv_text(v.rows, views.StatusRow),
    },
    "diff": {
        "json": lambda v: json_text(to_data(v)),
        "markdown": md.diff,
        "csv": lambda v: csv_text(v.rows, views.DiffRow),
    },
    "trends": {
        "json": lambda v: json_text(to_data(v)),
        "markdown": lambda v: markdown_rows([*v.rows, v.average], _TREND_COLUMNS),
        "csv": lambda v: csv_text([*v.rows, v.average]),
    },
    "history": {
        "json": lambda rows: "".join(json_stream(rows)),
        "markdown": lambda rows: markdown_rows(list(rows), _HISTORY_COLUMNS),
        "csv": lambda rows: csv_text(list(rows), views.HistoryRow),
    },
    "check": {
        "json": lambda r: json_text(check_data(r)),
        "markdown": md.check,
        "csv": lambda r: csv_text(r.breaches, _breach()),
    },
    "issues": {
        "json": lambda shown: json_text(_issues_data(shown)),
        "markdown": lambda shown: markdown_rows(_issues_data(shown)),
        "csv": lambda shown: csv_text(_issues_data(shown)),
    },
}


def text(view_name: str, fmt: str, view: Any) -> str:
    """``view`` rendered as ``fmt`` (json, markdown or csv)."""
    return TEXT[view_name][fmt](view)
