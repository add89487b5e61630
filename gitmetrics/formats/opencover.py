"""OpenCover XML (OpenCover.Console, coverlet ``--format opencover``, altcover).

OpenCover counts sequence points and branch points, not lines. A line here is a
(file, start line) that carries a sequence point, hit when any of its points was visited
(``vc > 0``): for coverlet, which writes one point per line, that is the same run's
Cobertura ``lines-covered/lines-valid``. Every ``<BranchPoint>`` is one branch, hit when
visited. The ``<Summary>`` rates are rounded and its ``branchCoverage`` is 100 when
there is no branch point at all, so neither is used. Modules with ``skippedDueTo`` (no
PDB, filtered out) hold no measured code and are left out.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage
from gitmetrics.formats._common import norm_path
from gitmetrics.formats._strict import Maps, add, attr, line_number, merged, required_attr
from gitmetrics.formats._xml import Element, expect_root, iter_elements, sniff

NAME = "opencover"
FILENAMES: tuple[str, ...] = (
    "coverage.opencover.xml",
    "*.opencover.xml",
    "opencover.xml",
    "TestResults/*/coverage.opencover.xml",
)


def detect(path: Path, head: bytes) -> bool:
    """A ``<CoverageSession>`` root."""
    found = sniff(head)
    return found is not None and found.root == "CoverageSession"


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Lines and branch points of every measured module, per source file."""
    files: dict[str, Maps] = {}
    seen_root = False
    skipped = False  # inside a module OpenCover did not instrument
    uids: dict[str, str] = {}  # the module's file uid -> path
    method_file: str | None = None  # the uid of the current method's <FileRef>
    for el in iter_elements(path, max_bytes=max_bytes):
        if not seen_root:
            expect_root(path, el, "CoverageSession", format_name="OpenCover")
            seen_root = True
        elif el.tag == "Module":
            skipped = bool(el.attrib.get("skippedDueTo"))
            uids = {}
        elif skipped:
            continue
        elif el.tag == "File" and el.parent == "Files":
            uid = el.attrib.get("uid", "").strip()
            name = el.attrib.get("fullPath", "").strip()
            if not uid or not name:
                raise ReportError(
                    f"{path}: line {el.line}: <File> needs both uid and fullPath",
                    "the report is damaged; regenerate it",
                )
            uids[uid] = norm_path(name)
            files.setdefault(uids[uid], Maps())
        elif el.tag == "Method":
            method_file = None
        elif el.tag == "FileRef" and el.parent == "Method":
            method_file = el.attrib.get("uid")
        elif el.tag == "SequencePoint" and el.parent == "SequencePoints":
            name = _file_of(path, el, uids, method_file)
            line = _start_line(path, el)
            add(files.setdefault(name, Maps()).lines, line, required_attr(path, el, "vc"))
        elif el.tag == "BranchPoint" and el.parent == "BranchPoints":
            name = _file_of(path, el, uids, method_file)
            line = _start_line(path, el)
            key = ":".join(
                (str(line), *(el.attrib.get(a, "") for a in ("offset", "offsetend", "path")))
            )
            add(files.setdefault(name, Maps()).branches, key, required_attr(path, el, "vc"))
    return merged(NAME, [files])


def _start_line(path: Path, el: Element) -> int:
    raw = attr(path, el, "sl")
    return line_number(raw, f"{path}: line {el.line}: <{el.tag}> sl")


def _file_of(path: Path, el: Element, uids: dict[str, str], method_file: str | None) -> str:
    """The source file of a point: its ``fileid``, else its method's ``<FileRef>``."""
    uid = el.attrib.get("fileid") or method_file
    if uid is None or uid not in uids:
        raise ReportError(
            f"{path}: line {el.line}: <{el.tag}> refers to no <File> of its module",
            "the report is damaged; regenerate it",
        )
    return uids[uid]
