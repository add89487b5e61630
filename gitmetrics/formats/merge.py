"""Merge several reports of one repository (e.g. a backend and a frontend report)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from gitmetrics.formats import Coverage, FileCoverage, Hits

K = TypeVar("K", int, str)


def normalise(path: str, root: Path | None = None) -> str:
    """A report's file path made comparable: posix, no ``./``, relative to ``root``."""
    p = path.replace("\\", "/")
    if root is not None and posixpath.isabs(p):
        base = root.resolve().as_posix().rstrip("/") + "/"
        if p.startswith(base):
            p = p[len(base) :]
    p = posixpath.normpath(p)
    return p[2:] if p.startswith("./") else p


def merge(reports: Sequence[Coverage], root: Path | None = None) -> Coverage:
    """One coverage for a repository: merged per file where reports overlap, else summed.

    Without overlap the totals are the sum of each report's own totals (each equal to
    what its tool printed). Where the same file is in several reports, its lines are
    united (a line is covered if any report covered it) and the totals are recounted
    from the merged files.
    """
    if not reports:
        raise ValueError("merge() needs at least one report")
    if len(reports) == 1:
        return reports[0]
    by_path: dict[str, list[FileCoverage]] = {}
    for report in reports:
        for f in report.files:
            by_path.setdefault(normalise(f.path, root), []).append(f)
    has_branches = any(r.branches_valid is not None for r in reports)
    fmt = "+".join(dict.fromkeys(r.format for r in reports))
    overlap = any(len(fs) > 1 for fs in by_path.values())
    if not overlap:
        return Coverage(
            format=fmt,
            lines_covered=sum(r.lines_covered for r in reports),
            lines_valid=sum(r.lines_valid for r in reports),
            branches_covered=_sum_opt([r.branches_covered for r in reports])
            if has_branches
            else None,
            branches_valid=_sum_opt([r.branches_valid for r in reports]) if has_branches else None,
            files=tuple(f for r in reports for f in r.files),
        )
    merged = tuple(merge_file(path, fs) for path, fs in sorted(by_path.items()))
    branch_files = [f for f in merged if f.branches_valid is not None]
    return Coverage(
        format=fmt,
        lines_covered=sum(f.lines_covered for f in merged),
        lines_valid=sum(f.lines_valid for f in merged),
        branches_covered=sum(f.branches_covered or 0 for f in branch_files)
        if has_branches
        else None,
        branches_valid=sum(f.branches_valid or 0 for f in branch_files) if has_branches else None,
        files=merged,
    )


def _sum_opt(values: Sequence[int | None]) -> int:
    return sum(v for v in values if v is not None)


def merge_file(path: str, parts: Sequence[FileCoverage]) -> FileCoverage:
    """One file measured by several reports (or listed twice): its lines united."""
    if len(parts) == 1:
        return parts[0]
    lines = _union([p.lines for p in parts])
    branches = _union([p.branches for p in parts])
    if lines is not None:
        lc, lv = lines.covered, len(lines)
    else:  # a report without a line map: the best single report stands for the file
        best = max(parts, key=lambda p: (p.lines_covered, p.lines_valid))
        lc, lv = best.lines_covered, best.lines_valid
    with_branches = [p for p in parts if p.branches_valid is not None]
    if branches is not None:
        bc: int | None = branches.covered
        bv: int | None = len(branches)
    elif with_branches:
        bbest = max(with_branches, key=lambda p: (p.branches_covered or 0, p.branches_valid or 0))
        bc, bv = bbest.branches_covered, bbest.branches_valid
    else:
        bc = bv = None
    return FileCoverage(path, lc, lv, bc, bv, lines, branches)


def _union(maps: Sequence[Mapping[K, int] | None]) -> Hits[K] | None:
    """The entries of all maps, hit where any map hit them; ``None`` if one has no map."""
    present = [m for m in maps if m is not None]
    if len(present) < len(maps) or not present:
        return None
    return Hits.union_of(present)
