"""Which renderer draws which output in which format: ``--format`` only picks from here.

Every command that prints data has a terminal rendering (:mod:`gitmetrics.render.terminal`)
and ``json``, ``markdown`` and ``csv`` texts here, all made from the plain data of
:mod:`gitmetrics.render.data` (one vocabulary: the csv and markdown columns are the JSON
names). ``report`` adds ``html`` (:mod:`gitmetrics.render.report`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitmetrics.render import data, escape, report
from gitmetrics.render import markdown as md

Row = Mapping[str, Any]


def json_text(value: Any) -> str:
    """Plain data as stable JSON: sorted keys, indent 2, one newline at the end."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return escape.json_text(text) + "\n"


def json_line(value: Any) -> str:
    """Plain data as one line of JSON (a stream of records: ``watch``)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return escape.json_text(text) + "\n"


def json_stream(rows: Iterable[Any]) -> Iterator[str]:
    """:func:`json_text` of a list of plain rows, a row at a time (the same bytes)."""
    first = True
    for row in rows:
        body = _flat_row(row)
        if body is None:
            body = json_text(row).rstrip("\n").replace("\n", "\n  ")
        yield ("[\n  " if first else ",\n  ") + body
        first = False
    yield "[]\n" if first else "\n]\n"


_SCALARS = frozenset({str, int, float, bool, type(None)})
_encode_str = json.encoder.encode_basestring
_LITERALS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def _scalar(value: Any) -> str:
    if type(value) is str:
        return _encode_str(value)
    if type(value) is float:
        # NaN and the infinities as json.dumps writes them
        return float.__repr__(value) if math.isfinite(value) else json.dumps(value)
    if type(value) is int:
        return int.__repr__(value)
    return _LITERALS[value]


def _flat_row(row: Any) -> str | None:
    """A list item of :func:`json_stream` written directly, when ``row`` is a mapping of
    plain values only (a history row): the bytes of the general path, about 8x faster."""
    if not isinstance(row, dict) or not row or not _SCALARS.issuperset(map(type, row.values())):
        return None
    body = ",\n    ".join([_encode_str(k) + ": " + _scalar(row[k]) for k in sorted(row)])
    return escape.json_text("{\n    " + body + "\n  }")


def flat(row: Row, prefix: str = "") -> dict[str, Any]:
    """A nested row as one level: ``{"before": {"line_coverage": 1}}`` -> ``before.line_coverage``."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = prefix + key
        if isinstance(value, Mapping):
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out


def _cell(value: Any) -> str:
    """A value in a csv or markdown cell: lists as JSON, ``null`` as nothing."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(rows: Iterable[Row], columns: Sequence[str]) -> Iterator[str]:
    """CSV of ``rows`` (flattened) under ``columns``, the heading first, a line at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def line(cells: Sequence[str]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(cells)
        return out.getvalue()

    yield line(list(columns))
    for row in rows:
        cells = flat(row)
        yield line([escape.visible(_cell(cells.get(c))) for c in columns])


def csv_text(rows: Iterable[Row], columns: Sequence[str]) -> str:
    """:func:`csv_lines` as one text."""
    return "".join(csv_lines(rows, columns))


def markdown_lines(rows: Iterable[Row], columns: Sequence[str]) -> Iterator[str]:
    """A pipe table of ``rows`` (flattened) under ``columns``, every cell escaped."""
    yield "| " + " | ".join(columns) + " |\n"
    yield "| " + " | ".join("---" for _ in columns) + " |\n"
    for row in rows:
        cells = flat(row)
        yield "| " + " | ".join(escape.markdown(_cell(cells.get(c))) for c in columns) + " |\n"


def markdown_rows(rows: Iterable[Row], columns: Sequence[str]) -> str:
    """:func:`markdown_lines` as one text."""
    return "".join(markdown_lines(rows, columns))


def record_markdown(record: Row) -> str:
    """One record as a two-column table (field, value)."""
    pairs = flat(record)
    return md.table(
        ["field", "value"],
        [[escape.markdown(k), escape.markdown(_cell(v))] for k, v in pairs.items()],
    )


def record_csv(record: Row) -> str:
    """One record as a CSV heading and one line."""
    pairs = flat(record)
    return csv_text([record], list(pairs))


# --- the outputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """One command's output: its data, the rows of its tables, its own markdown if any."""

    data: Callable[[Any], Any]
    #: the rows of the csv and markdown tables (``None``: the data is one record)
    rows: Callable[[Any], Sequence[Row]] | None = None
    #: the columns of those tables (flattened names of the rows)
    columns: tuple[str, ...] = ()
    #: a markdown rendering of the view itself (headings, figures as people read them)
    markdown: Callable[[Any], str] | None = None
    #: an html page of the view (``report`` only)
    html: Callable[[Any], str] | None = None


def _status_md(view: Any) -> str:
    return md.status_table(view.rows) + "\n" + md.totals_line(view.totals)


STATUS_COLUMNS = ("repo", "role", "rating", "line_coverage", "branch_coverage",
                  "lines_covered", "lines_valid", "files", "previous_line_coverage", "change",
                  "error", "stale_report", "measured_at", "age", "carried",
                  "stale")  # fmt: skip
REPORT_COLUMNS = ("repo", "role", "rating", "line_coverage", "previous_line_coverage",
                  "change", "best_line_coverage", "worst_line_coverage", "branch_coverage",
                  "files", "slope_per_week", "sparkline", "points", "error", "measured_at", "age",
                  "carried", "stale")  # fmt: skip
DIFF_COLUMNS = ("repo", "role", "kind", "change", "before.status", "before.line_coverage",
                "before.branch_coverage", "after.status", "after.line_coverage",
                "after.branch_coverage", "measured_at", "age", "carried", "stale")  # fmt: skip
TREND_COLUMNS = ("repo", "role", "line_coverage", "change", "slope_per_week", "sparkline",
                 "forecast.projected", "forecast.crossing_text", "measured_at", "age", "carried",
                 "stale")  # fmt: skip
FILES_COLUMNS = ("path", "lines_covered", "lines_valid", "line_coverage", "branches_covered",
                 "branches_valid", "branch_coverage", "missed", "missing", "kind",
                 "change")  # fmt: skip
EXPLAIN_COLUMNS = ("repo", "repo_change", "path", "kind", "change", "before.lines_covered",
                   "before.lines_valid", "after.lines_covered", "after.lines_valid", "uncovered",
                   "covered", "new_missed")  # fmt: skip
FLAKY_COLUMNS = ("repo", "path", "lines", "flips", "source_commits", "collections")
HISTORY_COLUMNS = ("collection", "at", "snapshot_path", "host", "avg_line_coverage",
                   "weighted_line_coverage", "branch_coverage", "repos", "repos_failed",
                   "repos_measured", "repos_carried", "repos_stale", "files",
                   "change")  # fmt: skip
HISTORY_ROLE_COLUMNS = ("collection", "at", "snapshot_path", "host", "role",
                        *HISTORY_COLUMNS[4:])  # fmt: skip
HISTORY_REPO_COLUMNS = ("collection", "at", "snapshot_path", "host", "repo", "status",
                        "line_coverage", "branch_coverage", "files", "change")  # fmt: skip
HISTORY_COMPONENT_COLUMNS = ("collection", "at", "snapshot_path", "host", "component", "status",
                             "line_coverage", "branch_coverage", "repos", "files",
                             "change")  # fmt: skip
BREACH_COLUMNS = ("repo", "role", "rule", "value", "limit", "message", "from.collection",
                  "from.at", "from.source_commit", "to.collection", "to.at",
                  "to.source_commit", "measured_at", "age", "carried", "stale")  # fmt: skip
COLLECT_COLUMNS = ("repo", "role", "status", "line_coverage", "branch_coverage",
                   "lines_covered", "lines_valid", "branches_covered", "branches_valid",
                   "files", "format", "report", "stale_report", "source_commit", "error",
                   "warnings")  # fmt: skip
PATCH_COLUMNS = (
    "path",
    "status",
    "old_path",
    "in_report",
    "note",
    "changed_lines",
    "coverable",
    "covered",
    "percent",
    "missing_ranges",
)
PROBLEM_COLUMNS = ("commit", "path", "message", "hint")
IMPORT_COLUMNS = ("collection", "at", "host", "repos")
ISSUE_COLUMNS = ("id", "status", "priority", "title", "repos", "created", "updated")
WATCH_COLUMNS = ("round", "at", "collect.collection", "collect.summary.repos_ok",
                 "collect.summary.repos_failed", "collect.summary.avg_line_coverage",
                 "check.ok", "breaches", "alerts_sent", "error.message")  # fmt: skip


def _trend_rows(d: Any) -> list[Row]:
    average = {
        **d["average"],
        "repo": "(average)",
        "line_coverage": d["average"]["avg_line_coverage"],
    }
    return [*d["rows"], average]


def _collect_md(d: Any) -> str:
    s = d["summary"]
    head = (
        f"Collection `{(d['collection'] or 'none (not committed)')[:10]}` at {d['at']}: "
        f"{s['repos_ok']} of {s['repos']} repos measured, average "
        f"{_cell(s['avg_line_coverage'])}%\n\n"
    )
    columns = ("repo", "role", "status", "line_coverage", "branch_coverage", "files", "report",
               "error")  # fmt: skip
    return head + markdown_rows(d["rows"], columns)


def _patch() -> Any:
    from gitmetrics.render import patch

    return patch


def _verify_md(d: Any) -> str:
    head = f"{d['commits']} commits ({d['collections']} collections) of {escape.markdown(d['store'])}: "
    if not d["problems"]:
        return head + "no problems\n"
    return (
        head
        + f"{len(d['problems'])} problem(s)\n\n"
        + markdown_rows(d["problems"], PROBLEM_COLUMNS)
    )


OUTPUTS: Mapping[str, Output] = {
    "status": Output(data.status, lambda d: d["rows"], STATUS_COLUMNS, _status_md),
    "report": Output(data.report, lambda d: d["rows"], REPORT_COLUMNS, md.report, report.to_html),
    "diff": Output(data.diff, lambda d: d["rows"], DIFF_COLUMNS, md.diff),
    "files": Output(data.files, lambda d: d["rows"], FILES_COLUMNS),
    "explain": Output(data.explain, data.explain_rows, EXPLAIN_COLUMNS, md.explain),
    "flaky": Output(data.flaky, lambda d: d["flips"], FLAKY_COLUMNS),
    "trends": Output(data.trends, _trend_rows, TREND_COLUMNS),
    "check": Output(data.check, lambda d: d["breaches"], BREACH_COLUMNS, md.check),
    "issues": Output(data.issues, lambda d: d, ISSUE_COLUMNS),
    "collect": Output(data.collect, lambda d: d["rows"], COLLECT_COLUMNS, None),
    "verify": Output(data.verify, lambda d: d["problems"], PROBLEM_COLUMNS, None),
    "import": Output(data.imported, lambda d: d["imported"], IMPORT_COLUMNS),
    # one record each
    "sync": Output(data.sync),
    "init": Output(data.init),
    "clone": Output(data.clone),
    "gc": Output(data.gc),
    "dashboard": Output(data.dashboard),
    "patch": Output(
        lambda r: _patch().data(r),
        lambda d: [_patch().file_row(f) for f in d["files"]],
        PATCH_COLUMNS,
        lambda r: _patch().markdown(r),
    ),
}

#: markdown of plain data where the view itself has no markdown of its own
_DATA_MARKDOWN: Mapping[str, Callable[[Any], str]] = {"collect": _collect_md, "verify": _verify_md}


def plain(name: str, view: Any) -> Any:
    """``view`` of output ``name`` as plain data (what ``--format json`` prints)."""
    return OUTPUTS[name].data(view)


def text(name: str, fmt: str, view: Any) -> str:
    """``view`` of output ``name`` rendered as ``fmt`` (json, markdown or csv)."""
    out = OUTPUTS[name]
    value = out.data(view)
    if fmt == "json":
        return json_text(value)
    if fmt == "html" and out.html is not None:
        return out.html(view)
    if fmt == "markdown":
        if out.markdown is not None:
            return out.markdown(view)
        if name in _DATA_MARKDOWN:
            return _DATA_MARKDOWN[name](value)
    if out.rows is None:
        return record_markdown(value) if fmt == "markdown" else record_csv(value)
    rows = out.rows(value)
    if fmt == "markdown":
        return markdown_rows(rows, out.columns)
    return csv_text(rows, out.columns)


def history_columns(
    repo: str | None, role: str | None, component: str | None = None
) -> tuple[str, ...]:
    """The columns of ``history`` for the whole store, one role, repository or component."""
    if component is not None:
        return HISTORY_COMPONENT_COLUMNS
    if repo is not None:
        return HISTORY_REPO_COLUMNS
    return HISTORY_ROLE_COLUMNS if role is not None else HISTORY_COLUMNS


def history_chunks(
    fmt: str,
    rows: Iterable[Any],
    *,
    repo: str | None,
    role: str | None,
    component: str | None = None,
) -> Iterator[str]:
    """``history`` as json, csv or markdown, a row at a time (nothing held back)."""
    plain_rows = (data.history_row(r, repo=repo, role=role, component=component) for r in rows)
    if fmt == "json":
        yield from json_stream(plain_rows)
        return
    columns = history_columns(repo, role, component)
    yield from (markdown_lines if fmt == "markdown" else csv_lines)(plain_rows, columns)


def watch_row(round_data: Row) -> dict[str, Any]:
    """One round of ``watch`` for its csv and markdown lines (counts, not lists)."""
    check = round_data.get("check") or {}
    return {
        **round_data,
        "breaches": len(check.get("breaches") or []),
        "alerts_sent": sum(d["new"] + d["recovered"] for d in round_data["deliveries"] if d["ok"]),
    }


def watch_chunk(fmt: str, round_data: Row, *, first: bool) -> str:
    """One round of ``watch`` as a line of JSON, CSV or a markdown table (headed once)."""
    if fmt == "json":
        return json_line(round_data)
    lines = (markdown_lines if fmt == "markdown" else csv_lines)(
        [watch_row(round_data)], WATCH_COLUMNS
    )
    chunks = list(lines)
    return "".join(chunks if first else chunks[2 if fmt == "markdown" else 1 :])
