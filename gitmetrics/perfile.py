"""Per-file figures: one file's counts, two measurements of a repository's files compared,
and files rolled up into directories.

Pure functions over :class:`~gitmetrics.snapshot.FileDetail` (read by
:class:`gitmetrics.history.Files`): ``files``, ``diff --files``, ``explain`` and ``flaky``
all compare files through :func:`compare`, and every percentage comes from the counts
(:mod:`gitmetrics.percent`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from gitmetrics import percent
from gitmetrics.paths import Glob, matches_any
from gitmetrics.snapshot import FileDetail, ranges

#: what happened to a file between two measurements
ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"


@dataclass(frozen=True)
class Figures:
    """Counts of one file or one directory, and the percentages made from them."""

    lines_covered: int
    lines_valid: int
    branches_covered: int | None
    branches_valid: int | None
    files: int = 1

    @property
    def exact(self) -> Fraction | None:
        return percent.exact(self.lines_covered, self.lines_valid)

    @property
    def coverage(self) -> float | None:
        """Line coverage in percent, two decimals, never rounded to 0 or 100 falsely."""
        found = self.exact
        return None if found is None else percent.rounded(found, 2)

    @property
    def branch_coverage(self) -> float | None:
        found = percent.exact(self.branches_covered, self.branches_valid)
        return None if found is None else percent.rounded(found, 2)

    @property
    def missed(self) -> int:
        return self.lines_valid - self.lines_covered


def figures(f: FileDetail) -> Figures:
    return Figures(f.lines_covered, f.lines_valid, f.branches_covered, f.branches_valid)


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b


def total(found: Iterable[Figures]) -> Figures:
    """The sum of some files' figures (branches: of the files that count them)."""
    lc = lv = n = 0
    bc: int | None = None
    bv: int | None = None
    for f in found:
        lc, lv, n = lc + f.lines_covered, lv + f.lines_valid, n + f.files
        bc, bv = _add(bc, f.branches_covered), _add(bv, f.branches_valid)
    return Figures(lc, lv, bc, bv, n)


def change(before: Figures | None, after: Figures | None) -> float | None:
    """The change of line coverage in percentage points, from the exact fractions."""
    if before is None or after is None or before.exact is None or after.exact is None:
        return None
    return float(round(after.exact - before.exact, 2))


@dataclass(frozen=True)
class FileChange:
    """One file between two measurements of its repository."""

    path: str
    kind: str
    before: Figures | None
    after: Figures | None
    change: float | None
    #: lines covered before and missed after (``"12-14,20"``); ``None`` without line maps
    uncovered: str | None
    #: lines missed before and covered after
    covered: str | None
    #: lines missed after that were no coverable line before (new code left untested)
    new_missed: str | None = None

    @property
    def moved(self) -> bool:
        """True when its figures or its lines' covered state changed."""
        return self.kind != SAME


def _lines(f: FileDetail | None) -> tuple[set[int], set[int]] | None:
    if f is None or f.covered is None or f.missed is None:
        return None
    return set(f.covered), set(f.missed)


def compare_one(path: str, a: FileDetail | None, b: FileDetail | None) -> FileChange:
    """File ``path`` from ``a`` (older; ``None``: absent) to ``b`` (newer; ``None``: absent)."""
    fa = None if a is None else figures(a)
    fb = None if b is None else figures(b)
    la, lb = _lines(a), _lines(b)
    uncovered = covered = new_missed = None
    if la is not None and lb is not None:
        uncovered = ranges(la[0] & lb[1])
        covered = ranges(la[1] & lb[0])
        new_missed = ranges(lb[1] - la[0] - la[1])
    elif lb is not None and a is None:
        new_missed = ranges(lb[1])
    elif la is not None and b is None:
        uncovered = ranges(la[0])
    if a is None:
        kind = ADDED
    elif b is None:
        kind = REMOVED
    elif fa == fb and not uncovered and not covered and not new_missed:
        kind = SAME
    else:
        kind = CHANGED
    return FileChange(path, kind, fa, fb, change(fa, fb), uncovered, covered, new_missed)


def compare(a: Sequence[FileDetail] | None, b: Sequence[FileDetail] | None) -> list[FileChange]:
    """Every file of either side, by path: added, removed, changed or the same."""
    old = {f.path: f for f in a or ()}
    new = {f.path: f for f in b or ()}
    return [compare_one(p, old.get(p), new.get(p)) for p in sorted(old.keys() | new.keys())]


def select(files: Iterable[FileDetail], globs: Sequence[Glob]) -> list[FileDetail]:
    """The files matching any of ``globs`` (all of them without globs)."""
    return [f for f in files if not globs or matches_any(f.path, globs)]


def directory(path: str, depth: int | None) -> str:
    """The directory a file rolls up into: its parent, or its first ``depth`` directories
    (``"."`` for a file at the root)."""
    parts = path.split("/")[:-1]
    if depth is not None:
        parts = parts[:depth]
    return "/".join(parts) or "."


def directories(files: Iterable[FileDetail], depth: int | None = None) -> dict[str, Figures]:
    """Files rolled up per :func:`directory`, sorted by directory."""
    groups: dict[str, list[Figures]] = {}
    for f in files:
        groups.setdefault(directory(f.path, depth), []).append(figures(f))
    return {d: total(groups[d]) for d in sorted(groups)}


@dataclass(frozen=True)
class Selection:
    """Which files a component takes: those matching an include glob and no exclusion."""

    include: tuple[Glob, ...]
    exclude: tuple[Glob, ...] = ()

    def __call__(self, path: str) -> bool:
        return matches_any(path, self.include) and not matches_any(path, self.exclude)


def selection(globs: Iterable[str]) -> Selection:
    """Globs as ``components:`` writes them (a leading ``!`` excludes); ValueError for a bad
    one (the config checks them when it is read)."""
    from gitmetrics.paths import compile_glob

    include, exclude = [], []
    for g in globs:
        if g.startswith("!"):
            exclude.append(compile_glob(g[1:]))
        else:
            include.append(compile_glob(g))
    return Selection(tuple(include), tuple(exclude))
