"""``gitmetrics patch`` drawn: a terminal table, JSON data, and a ready PR comment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gitmetrics import percent
from gitmetrics.patch import Against, FileChange, PatchFile, PatchResult, ranges_text
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
        "max_drop": result.max_drop,
        "recorded": result.recorded,
        "project": None if result.against is None else _project_data(result.against),
    }


def _project_data(a: Against) -> dict[str, Any]:
    b = a.base
    return {
        "line_coverage": _rounded(a.percent),
        "lines_covered": a.lines_covered,
        "lines_valid": a.lines_valid,
        "change": _points(a.points),
        "note": a.note,
        "base": None
        if b is None
        else {
            "found_by": b.found_by,
            "collection": b.collection,
            "measured_at": b.measured_at,
            "source_commit": b.source_commit,
            "source_branch": b.source_branch,
            "line_coverage": _rounded(b.percent),
            "lines_covered": b.lines_covered,
            "lines_valid": b.lines_valid,
        },
        "indirect": [_change_data(f) for f in a.indirect],
    }


def _change_data(f: FileChange) -> dict[str, Any]:
    return {
        "path": f.path,
        "base_line_coverage": _rounded(f.before),
        "line_coverage": _rounded(f.after),
        "change": _points(f.points),
        "base_lines_covered": f.before_covered,
        "base_lines_valid": f.before_valid,
        "lines_covered": f.after_covered,
        "lines_valid": f.after_valid,
    }


def _points(x: percent.Number | None) -> float | None:
    """A change in points, to 2 decimals (half away from zero; a drop stays a drop)."""
    if x is None:
        return None
    r = percent.rounded(-x if x < 0 else x, 2)
    return -r if x < 0 else r


def points_text(x: percent.Number | None) -> str:
    """``+0.25``, ``-1.50``, ``±0.00`` (points, 2 decimals)."""
    if x is None:
        return "-"
    r = _points(x)
    assert r is not None
    return "±0.00" if r == 0 else f"{r:+.2f}"


def project_line(result: PatchResult) -> str | None:
    """``project 91.7% (-0.09 vs base)``, with the --max-drop gate; ``None`` without a store."""
    a = result.against
    if a is None:
        return None
    text = f"project {percent.text(a.percent, 1)}"
    if a.points is not None:
        text += f" ({points_text(a.points)} vs base)"
    else:
        text += " (no base)"
    if result.max_drop is not None and a.points is not None:
        gate = f"{result.max_drop:g}"
        text += f": dropped over {gate} points" if not result.drop_ok else f": max drop {gate}"
    return text


def base_line(a: Against) -> str:
    """Which measurement the base is, or why there is none."""
    b = a.base
    if b is None:
        return a.note or "no base"
    commit = (b.source_commit or "?")[:10]
    on = f" on {b.source_branch}" if b.source_branch else ""
    how = {
        "merge base": "the merge base",
        "default branch": "not measured at the merge base: the newest measurement"
        " on the default branch",
        "newest": "the newest measurement",
    }[b.found_by]
    return (
        f"Base: {how}, {commit}{on}, measured {b.measured_at}:"
        f" {percent.text(b.percent, 1)} ({b.lines_covered} of {b.lines_valid} lines)"
    )


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
        text += f": below {gate}" if not result.patch_ok else f": at least {gate}"
    project = project_line(result)
    if project is not None:
        text += f"; {project}"
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
    a = result.against
    if a is not None:
        lines += ["", escape(base_line(a)) + "."]
        if a.base is not None and a.note:
            lines += ["", escape(a.note) + "."]
        if a.indirect:
            body = _indirect_table(a.indirect)
            summary = f"{_n(len(a.indirect), 'file')} outside the diff changed coverage"
            if len(a.indirect) > LONG:
                lines += _details(summary, body)
            else:
                lines += ["", f"**{escape(summary)}**", "", body]
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


def _indirect_table(files: Sequence[FileChange]) -> str:
    rows = ["| File | Base | Now | Change |", "| --- | ---: | ---: | ---: |"]
    for f in files:
        rows.append(
            f"| {markdown_code(f.path)} | {_counts(f.before_covered, f.before_valid, f.before)}"
            f" | {_counts(f.after_covered, f.after_valid, f.after)}"
            f" | {points_text(f.points)} |"
        )
    return "\n".join(rows)


def _counts(covered: int | None, valid: int | None, pct: percent.Number | None) -> str:
    if covered is None or valid is None:
        return "-"
    return f"{percent.text(pct, 1)} ({covered}/{valid})"


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
    a = result.against
    if a is not None:
        console.print(terminal(base_line(a)))
        if a.base is not None and a.note:
            console.print(f"[dim]{terminal(a.note)}[/]")
        if a.indirect:
            console.print(f"Outside the diff: {_n(len(a.indirect), 'file')} changed coverage")
            for ch in a.indirect:
                console.print(
                    f"  {terminal(ch.path)}: {_counts(ch.before_covered, ch.before_valid, ch.before)}"
                    f" -> {_counts(ch.after_covered, ch.after_valid, ch.after)}"
                    f" ({points_text(ch.points)})"
                )
    if result.recorded:
        console.print(f"Recorded as {terminal(result.recorded)}")
    style = "green" if result.ok else "red"
    console.print(f"[bold {style}]{headline(result)}[/]")
