"""``gitmetrics patch``: the coverage of the lines a change adds or changes."""

import os
from pathlib import Path
from typing import Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    api,
    app,
    gate,
    handle_errors,
    pick_format,
    show,
)
from gitmetrics.errors import GitmetricsError


@app.command()
@handle_errors
def patch(
    config: ConfigOpt = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            "-r",
            help="This repository of the config (default: the only one).",
            show_default=False,
        ),
    ] = None,
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            help="The source repository, without a config (default: .).",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    report: Annotated[
        list[Path] | None,
        typer.Option(
            "--report",
            help="A coverage report, without a config (repeatable).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    report_format: Annotated[
        str | None,
        typer.Option(
            "--report-format", help="The report's format (default: detected).", show_default=False
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Compare with the merge base of this branch or commit "
            "(default: the remote's default branch, e.g. origin/main).",
            show_default=False,
        ),
    ] = None,
    diff_file: Annotated[
        Path | None,
        typer.Option(
            "--diff-file",
            help="Read the change from this unified diff (- for stdin) instead of running git.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    src_root: Annotated[
        list[str] | None,
        typer.Option(
            "--src-root",
            help="A directory the report's paths are relative to (repeatable), e.g. src/main/java.",
            show_default=False,
        ),
    ] = None,
    fail_under: Annotated[
        float | None,
        typer.Option(
            "--fail-under",
            help="Exit 3 (a failed gate, as check) when patch coverage is below N percent.",
            show_default=False,
        ),
    ] = None,
    max_drop: Annotated[
        float | None,
        typer.Option(
            "--max-drop",
            help="Exit 3 (a failed gate) when project coverage dropped more than N points "
            "against the base's measurement in the metrics store (needs --repo).",
            show_default=False,
        ),
    ] = None,
    record: Annotated[
        str | None,
        typer.Option(
            "--record",
            help="Also commit the measurement to the metrics store on "
            "refs/gitmetrics/pr/KEY (e.g. the PR number), off the branch and its state "
            "(needs --repo).",
            metavar="KEY",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
    github_summary: Annotated[
        bool,
        typer.Option("--github-summary", help="Also append the Markdown to $GITHUB_STEP_SUMMARY."),
    ] = False,
) -> None:
    """Patch coverage: the changed lines since the base that the report covers."""
    out = pick_format(format, json_out)
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if github_summary else None
    if github_summary and not summary:
        raise GitmetricsError(
            "--github-summary: $GITHUB_STEP_SUMMARY is not set",
            "it is set in a GitHub Actions step; elsewhere use --format markdown",
        )
    result = api.patch(
        api.PatchOptions(
            config=config,
            repo=repo,
            path=path,
            reports=tuple(report or ()),
            report_format=report_format,
            base=base,
            diff_file=diff_file,
            src_roots=tuple(src_root or ()),
            fail_under=fail_under,
            max_drop=max_drop,
            record=record,
        )
    )
    from gitmetrics.render import patch as render

    show("patch", out, result, render.table)
    if summary:
        from gitmetrics.render.registry import text

        with Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(text("patch", "markdown", result) + "\n")
    gate(not result.ok)
