"""Istanbul JSON summary (`coverage/coverage-summary.json` from nyc, c8, jest, vitest).

Totals come from ``total.lines.covered / total.lines.total``; ``pct`` is never used: it
is floored, is 100 for an empty total and can be the string ``"Unknown"``.
"""

from __future__ import annotations

from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage
from gitmetrics.formats._common import count, items, json_head, norm_path, obj, read_json

NAME = "istanbul-summary"
FILENAMES: tuple[str, ...] = ("coverage/coverage-summary.json", "coverage-summary.json")


def detect(path: Path, head: bytes) -> bool:
    """A JSON object starting with a ``total`` entry of lines/statements counts."""
    text = json_head(head)
    return (
        text.startswith("{")
        and '"total"' in text[:200]
        and '"lines"' in text
        and '"statements"' in text
        and '"gcovr/' not in text
    )


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Line and branch totals of an istanbul summary, with per-file counts."""
    data = read_json(path, max_bytes)
    where = str(path)
    total = obj(data.get("total"), f"{where}: total")
    lc, lv, bc, bv = _counts(total, f"{where}: total")
    files = []
    for name, entry in items(data, where):
        if name == "total":
            continue
        fc, fv, fbc, fbv = _counts(obj(entry, f"{where}: {name}"), f"{where}: {name!r}")
        files.append(FileCoverage(norm_path(name), fc, fv, fbc, fbv))
    return Coverage(NAME, lc, lv, bc, bv, tuple(files))


def _counts(entry: dict[str, object], where: str) -> tuple[int, int, int | None, int | None]:
    lines = obj(entry.get("lines"), f"{where}.lines")
    lc = count(lines.get("covered"), f"{where}.lines.covered")
    lv = count(lines.get("total"), f"{where}.lines.total")
    if lc > lv:
        raise ReportError(f"{where}.lines: covered {lc} > total {lv}")
    bc: int | None = None
    bv: int | None = None
    if "branches" in entry:
        branches = obj(entry["branches"], f"{where}.branches")
        bv = count(branches.get("total"), f"{where}.branches.total")
        bc = count(branches.get("covered"), f"{where}.branches.covered")
        if bc > bv:
            raise ReportError(f"{where}.branches: covered {bc} > total {bv}")
        if bv == 0:
            # istanbul writes an empty branch total (pct 100) when the code has no branch
            bc = bv = None
    return lc, lv, bc, bv
