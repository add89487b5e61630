"""The documentation: the generated CLI reference is current, every relative link leads to a
file (and heading) that exists, and every command is in the reference and in some page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitmetrics.cli import reference
from tests.helpers import DOCS, ROOT, commands, doc_pages, docs_text

FENCE = re.compile(r"^(`{3,}|~{3,})")
LINK = re.compile(r"!?\[[^\]]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
CODE_SPAN = re.compile(r"(`+).+?\1")


def prose(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fence = [], ""
    for line in text.splitlines():
        m = FENCE.match(line)
        if m and not fence:
            fence = m.group(1)
        elif fence and line.strip() == fence:
            fence = ""
        elif not fence:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in prose(page.read_text(encoding="utf-8")):
        m = re.match(r"^#{1,6} (.+?)\s*#*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    found = []
    for line in prose(page.read_text(encoding="utf-8")):
        found += LINK.findall(CODE_SPAN.sub("", line))
    return found


def test_the_cli_reference_is_current() -> None:
    page = DOCS / "cli.md"
    assert page.exists(), f"docs/cli.md is missing: run `{reference.REGENERATE}`"
    assert page.read_text(encoding="utf-8") == reference.markdown(), (
        f"docs/cli.md is not the current --help of the commands: run `{reference.REGENERATE}`"
    )


def test_the_reference_is_the_same_whatever_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    text = reference.markdown()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    assert reference.markdown() == text
    assert "\x1b" not in text and "╭" not in text


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    assert broken == [], f"{page.relative_to(ROOT)}: broken links:\n" + "\n".join(broken)


def test_the_link_checker_finds_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# Title\n\nSee [a](missing.md), [b](#title).\n\n```\n[c](inside.md)\n```\n")
    assert links(page) == ["missing.md", "#title"]
    assert anchors(page) == {"title"}
    assert slug("Producing reports: `collect --run`") == "producing-reports-collect---run"


def test_every_page_of_docs_is_in_the_index() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")
    assert [p for p in pages if f"]({p})" not in index] == []


@pytest.mark.parametrize("command", commands())
def test_every_command_is_in_the_reference_and_a_page(command: str) -> None:
    assert f"\n## gitmetrics {command}\n" in (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"gitmetrics {command}" in docs_text(), f"`gitmetrics {command}` is in no page of docs/"
