"""Helpers shared by the tests of several packages (import them; fixtures stay in conftest.py)."""

from __future__ import annotations

from pathlib import Path

#: The checkout: README.md, docs/, repos.yaml and examples/ are read from here.
ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def doc_pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def docs_text(*, reference: bool = False) -> str:
    """The README and the pages of docs/ as one text (``reference``: with the generated cli.md).

    A command or key is documented when this text mentions it; the generated reference
    does not count, since it lists every option whether or not a page explains it.
    """
    pages = [p for p in doc_pages() if reference or p.name != "cli.md" or p.parent != DOCS]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)
