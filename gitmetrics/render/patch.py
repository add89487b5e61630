"""``gitmetrics patch`` drawn: a terminal table, JSON data, and a ready PR comment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gitmetrics import percent
from gitmetrics.patch import PatchFile, PatchResult, ranges_text
from gitmetrics.render.escape import markdown as escape
from gitmetrics.render.escape import markdown_code, terminal
from gitmetrics.render.terminal import _n

if TYPE_CHECKING:
    from rich.console import Console

#: the first line of the comment: a bot finds its own comment by it to edit it in place
MARKER = "<!-- gitmetrics-patch -->"
#: rows shown before the rest of a table is folded into <details>
LONG = 15


def marker(result: PatchResult) -> str:
    """``<!-- gitmetrics-patch -->``, or ``<!-- gitmetrics-patch: NAME -->`` for a repo of
    the config (one comment per repository in a pull request)."""
    if result.repo is None:
        return MARKER
    name = result.repo.replace("--", "- -").replace(">", "")
    return f"<!-- gitmetrics-patch: {name} -->"


def _pct(x: percent.Number | None, result: PatchResult) -> str:
    if x is None:
        return "-"
    if result.fail_under is not None and percent.below(x, result.fail_under):
        return percent.text_against(x, result.fail_under, 1)
    return percent.text(x, 1)


def data(result: PatchResult) -> dict[str, Any]:
    """The result as plain JSON data (percentages rounded to 2 decimals, never to 100)."""
    p = result.patch
    return {
        "ok": result.ok,
        "repo": result.repo,
        "path": result.path,
        "base": result.base,
        "reports": list(result.reports),
        "formats": list(p.formats),
        "fail_under": result.fail_under,
        "percent": _rounded(p.percent),
        "covered": p.covered,
        "coverable": p.coverable,
        "missing": p.coverable - p.covered,
        "changed_lines": p.changed,
        "files": [_file_data(f) for f in p.files],
    }


def _rounded(x: percent.Number | None) -> float | None:
    return None if x is None else percent.rounded(x, 2)


def file_row(f: dict[str, Any]) -> dict[str, Any]:
    """One changed file of :func:`data` as a flat row (CSV): the missing lines as ``3-5, 9``."""
    row = {k: v for k, v in f.items() if k != "missing_lines"}
    row["missing_ranges"] = ranges_text((a, b) for a, b in f["missing_ranges"])
    return row


def _file_data(f: PatchFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "status": f.status,
        "old_path": f.old_path,
        "in_report": f.in_report,
        "note": f.note,
        "changed_lines": f.changed,
        "coverable": f.coverable,
        "covered": f.covered,
        "percent": _rounded(f.percent),
        "missing_ranges": [list(r) for r in f.missing],
        "missing_lines": list(f.missing_lines),
    }


def headline(result: PatchResult) -> str:
    """``Patch coverage 75.0% (3 of 4 changed lines)``, with the gate when there is one."""
    p = result.patch
    if p.coverable == 0:
        text = "Patch coverage: no changed line is coverable"
    else:
        text = (
            f"Patch coverage {_pct(p.percent, result)} ({p.covered} of {p.coverable} changed lines)"
        )
    if result.fail_under is not None:
        gate = percent.text(result.fail_under, 1)
        text += f": below {gate}" if not result.ok else f": at least {gate}"
    return text


def _not_counted(files: Sequence[PatchFile]) -> list[PatchFile]:
    return [f for f in files if not f.coverable]


def _what(f: PatchFile) -> str:
    if f.note == "not in the report":
        return "not in the report"
    if f.note in ("deleted", "binary", "no line data"):
        return f.note or ""
    if f.changed == 0:
        return "no changed line"
    return "no coverable changed line"


def markdown(result: PatchResult) -> str:
    """A pull-request comment (GitHub flavour): the figure, then the changed files."""
    p = result.patch
    icon = "✅" if result.ok else "❌"
    title = escape(result.repo) + ": " if result.repo else ""
    lines = [marker(result), f"## {icon} {title}{headline(result)}", ""]
    measured = p.measured
    lines.append(
        f"Changed since {markdown_code(result.base)}: {_n(len(p.files), 'file')},"
        f" {_n(p.changed, 'changed line')}, {p.coverable} of them coverable"
        f" ({', '.join(p.formats) or 'no'} report)."
    )
    missing = [f for f in measured if f.missing]
    covered = [f for f in measured if not f.missing]
    if missing:
        lines += ["", _table(missing[:LONG], result)]
        if len(missing) > LONG:
            lines += _details(
                f"{len(missing) - LONG} more files with missing lines",
                _table(missing[LONG:], result),
            )
    if covered:
        body = _table(covered, result)
        if len(covered) + len(missing) > LONG or missing:
            lines += _details(f"{len(covered)} fully covered files", body)
        else:
            lines += ["", body]
    rest = _not_counted(p.files)
    if rest:
        items = "\n".join(f"- {markdown_code(f.path)}: {_what(f)}" for f in rest)
        lines += _details(f"{len(rest)} changed files not counted", items + "\n")
    return "\n".join(lines).rstrip("\n") + "\n"


def _details(summary: str, body: str) -> list[str]:
    return [
        "",
        "<details>",
        f"<summary>{escape(summary)}</summary>",
        "",
        body.rstrip("\n"),
        "",
        "</details>",
    ]


def _table(files: Sequence[PatchFile], result: PatchResult) -> str:
    rows = [
        "| File | Covered | Patch coverage | Missing lines |",
        "| --- | ---: | ---: | --- |",
    ]
    for f in files:
        name = markdown_code(f.path)
        if f.old_path:
            name += f" (was {markdown_code(f.old_path)})"
        missing = escape(ranges_text(f.missing)) or "-"
        rows.append(
            f"| {name} | {f.covered} / {f.coverable} | {_pct(f.percent, result)} | {missing} |"
        )
    return "\n".join(rows)


def table(console: Console, result: PatchResult) -> None:
    """The result in the terminal: one row per changed file with coverable lines."""
    from gitmetrics.render.terminal import Table

    p = result.patch
    console.print(f"Changes since {terminal(result.base)} in {terminal(result.path)}")
    measured = p.measured
    if measured:
        t = Table(box=None, pad_edge=False, header_style="bold")
        for name, justify in (
            ("File", "left"),
            ("Covered", "right"),
            ("Patch", "right"),
            ("Missing lines", "left"),
        ):
            t.add_column(name, justify=justify, overflow="fold")
        for f in measured:
            pct = _pct(f.percent, result)
            t.add_row(
                terminal(f.path),
                f"{f.covered}/{f.coverable}",
                pct if not f.missing else f"[red]{pct}[/]",
                terminal(ranges_text(f.missing)) or "-",
            )
        console.print(t)
    rest = _not_counted(p.files)
    if rest:
        console.print(f"[dim]Not counted: {len(rest)} changed files[/]")
        for f in rest:
            console.print(f"[dim]  {terminal(f.path)}: {_what(f)}[/]")
    style = "green" if result.ok else "red"
    console.print(f"[bold {style}]{headline(result)}[/]")
