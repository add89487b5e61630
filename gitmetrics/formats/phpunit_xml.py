"""PHPUnit's XML coverage (``--coverage-xml DIR``: ``DIR/index.xml``, php-code-coverage).

``index.xml`` is ``<phpunit>`` (namespace ``https://schema.phpunit.de/coverage/1.0``) with
a ``<project>`` whose top ``<directory name="/">`` has ``<totals><lines executable=...
executed=.../>``: executed / executable lines are the totals, the ``Lines:`` figure of
``--coverage-text``. Directories nest, and each ``<file>`` has its own ``<totals>``; the
per-line data sits in one more XML file per source file (``href``), which is not read, so
the per-file detail is counts only. The index has no branch figures.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._strict import pair, required_attr
from gitmetrics.formats._xml import Element, expect_root, iter_elements, sniff

NAME = "phpunit-xml"
FILENAMES: tuple[str, ...] = (
    "coverage-xml/index.xml",
    "build/coverage-xml/index.xml",
    "build/logs/coverage-xml/index.xml",
)


def detect(path: Path, head: bytes) -> bool:
    """A ``<phpunit>`` root in PHPUnit's coverage namespace."""
    found = sniff(head)
    return (
        found is not None
        and found.root == "phpunit"
        and (b"schema.phpunit.de/coverage" in found.attrs or b"<project source=" in head)
    )


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """The top directory's executed/executable lines, and each file's own."""
    seen_root = False
    total: tuple[int, int] | None = None
    dirs: list[tuple[int, str]] = []  # (depth, name) of the open <directory> elements
    files: list[FileCoverage] = []
    current: str | None = None
    for el in iter_elements(path, max_bytes=max_bytes):
        if not seen_root:
            expect_root(path, el, "phpunit", format_name="PHPUnit XML coverage")
            seen_root = True
            continue
        depth = len(el.parents)
        while dirs and dirs[-1][0] >= depth:
            dirs.pop()
        if el.tag == "directory" and "project" in el.parents:
            dirs.append((depth, el.attrib.get("name", "").strip("/")))
            current = None
        elif el.tag == "file" and el.parent == "directory":
            name = el.attrib.get("name", "").strip()
            if not name:
                raise ReportError(
                    f"{path}: line {el.line}: <file> has no name",
                    "the report is damaged; regenerate it",
                )
            current = "/".join([*(d for _, d in dirs if d), name])
        elif el.tag == "lines" and el.parent == "totals":
            counts = _lines(path, el)
            owner = el.parents[-2]
            if owner == "file" and current is not None:
                files.append(FileCoverage(current, *counts))
            elif owner == "directory" and el.parents.count("directory") == 1:
                total = counts
    if total is None:
        raise ReportError(
            f"{path}: no <totals> of the project's top <directory>",
            "point `coverage:` at the index.xml of PHPUnit's --coverage-xml directory",
        )
    return Coverage(NAME, total[0], total[1], None, None, tuple(files))


def _lines(path: Path, el: Element) -> tuple[int, int]:
    executed = required_attr(path, el, "executed")
    executable = required_attr(path, el, "executable")
    pair(executed, executable, f"{path}: line {el.line}: <lines>", "lines")
    return executed, executable
