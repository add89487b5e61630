"""The patch outputs: a PR comment that a real Markdown parser reads as meant, JSON, CSV,
and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from typer.testing import CliRunner

from gitmetrics import patch as patchmod
from gitmetrics.cli import app
from gitmetrics.formats import FileCoverage
from gitmetrics.patch import Changed, PatchResult
from gitmetrics.render import patch as render
from gitmetrics.render.registry import text


def result(
    n_files: int, *, fail_under: float | None = None, repo: str | None = None
) -> PatchResult:
    changed = {
        f"src/m{i:02d}.py": Changed(f"src/m{i:02d}.py", "modified", None, (1, 2, 3, 4))
        for i in range(n_files)
    }
    changed["a|b`c.py"] = Changed("a|b`c.py", "added", None, (1, 2))
    changed["README.md"] = Changed("README.md", "modified", None, (1,))
    changed["gone.py"] = Changed("gone.py", "deleted")
    report = {
        # even files miss lines 3 and 4; odd ones are fully covered
        path: [
            FileCoverage(
                path, 2, 4, lines={1: 1, 2: 1, 3: 0 if i % 2 == 0 else 1, 4: 0 if i % 2 == 0 else 1}
            )
        ]
        for i, path in enumerate(sorted(p for p in changed if p.startswith("src/")))
    }
    report["a|b`c.py"] = [FileCoverage("a|b`c.py", 0, 1, lines={2: 0})]
    found = patchmod.measure(changed, report, ["cobertura"])
    return PatchResult(
        found, repo, "/repo", "origin/main (0123456789)", ("coverage.xml",), fail_under
    )


def parse(md: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(md)


def rows(tokens: list[Token]) -> list[list[str]]:
    """Each table row's cells, as inline text."""
    out: list[list[str]] = []
    inside = False
    for tok in tokens:
        kind = tok.type
        if kind in ("tr_open", "tr_close"):
            inside = kind == "tr_open"
            if inside:
                out.append([])
        elif kind == "inline" and inside:
            children = tok.children or []
            out[-1].append("".join(c.content for c in children))
    return out


def test_the_comment_is_markdown_a_parser_reads_as_meant() -> None:
    md = text("patch", "markdown", result(4, fail_under=80))
    tokens = parse(md)
    kinds = [t.type for t in tokens]
    # the marker comes first, as an HTML block a bot can search for
    assert kinds[0] == "html_block" and tokens[0].content.strip() == render.MARKER
    heading = next(t for i, t in enumerate(tokens) if kinds[i - 1] == "heading_open")
    assert heading.content.startswith("❌ Patch coverage")
    assert "below 80.0%" in heading.content
    table = rows(tokens)
    assert table[0] == ["File", "Covered", "Patch coverage", "Missing lines"]
    assert all(len(r) == 4 for r in table)  # a | in a file name does not split a cell
    assert ["a|b`c.py", "0 / 1", "0.0%", "2"] in table
    assert ["src/m00.py", "2 / 4", "50.0%", "3-4"] in table
    # fully covered and uncounted files are folded away
    assert "<summary>2 fully covered files</summary>" in md
    assert "- `README.md`: not in the report" in md
    assert "- `gone.py`: deleted" in md


def test_a_long_comment_folds_its_tail() -> None:
    md = text("patch", "markdown", result(40))
    visible = md.split("<details>")[0]
    shown = rows(parse(visible))[1:]
    assert len(shown) == render.LONG
    assert f"<summary>{21 - render.LONG} more files with missing lines</summary>" in md
    assert md.count("<details>") == md.count("</details>") == 3
    # every file is still in it, once
    assert all(md.count(f"`src/m{i:02d}.py`") == 1 for i in range(40))


def test_the_marker_names_the_repo() -> None:
    md = text("patch", "markdown", result(1, repo="api-->x"))
    first = md.splitlines()[0]
    assert first == "<!-- gitmetrics-patch: api- -x -->"
    assert parse(md)[0].type == "html_block"


def test_json_and_csv() -> None:
    r = result(2, fail_under=90)
    data = json.loads(text("patch", "json", r))
    assert data["ok"] is False
    assert (data["covered"], data["coverable"], data["missing"]) == (6, 9, 3)
    assert data["percent"] == 66.67
    m00 = next(f for f in data["files"] if f["path"] == "src/m00.py")
    assert m00["missing_lines"] == [3, 4]
    assert m00["missing_ranges"] == [[3, 4]]
    table = list(csv.DictReader(io.StringIO(text("patch", "csv", r))))
    assert {row["path"]: row["missing_ranges"] for row in table}["src/m00.py"] == "3-4"


def test_no_coverable_line_passes_the_gate() -> None:
    found = patchmod.measure({"README.md": Changed("README.md", "modified", None, (1,))}, {})
    r = PatchResult(found, None, "/r", "main", (), 90)
    assert r.ok
    assert "no changed line is coverable" in text("patch", "markdown", r)


@pytest.mark.slow
def test_github_summary_appends(
    changed_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# before\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = [
        "patch",
        "--path",
        str(changed_repo),
        "--report",
        str(changed_repo / "coverage.xml"),
        "--github-summary",
    ]
    for _ in range(2):
        done = CliRunner().invoke(app, args, catch_exceptions=False)
        assert done.exit_code == 0, done.output
    body = summary.read_text()
    assert body.startswith("# before\n")
    assert body.count(render.MARKER) == 2
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    done = CliRunner().invoke(app, args, catch_exceptions=False)
    assert done.exit_code == 1
    assert "$GITHUB_STEP_SUMMARY is not set" in done.output
