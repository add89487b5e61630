"""Coverage report parsers: one module per format, each with ``parse`` and ``detect``.

Every parser returns a :class:`Coverage` whose totals equal what the producing tool
prints, computed from counts (never from rounded rates). ``None`` for branch figures
means "this report has no branch data", which is different from 0 %.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Protocol, cast

from gitmetrics.errors import ReportError
from gitmetrics.formats._common import (
    MAX_COUNT,
    beyond,
    file_kind,
    open_regular,
    over_cap,
    report_size,
)
from gitmetrics.formats._hits import Hits

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Coverage",
    "FileCoverage",
    "Hits",
    "file_kind",
    "open_regular",
    "percent",
    "report_size",
]

#: Reports larger than this are refused unless the config raises the cap.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileCoverage:
    """Counts for one source file; the line map is kept where the format has one.

    ``lines`` says which coverable lines were hit (1) or not (0); ``branches`` the same
    for format-specific branch keys (e.g. ``"12:0:1"``). Both are used to merge several
    reports that measured the same file, and are kept packed as :class:`Hits` (a map
    given here is packed on the way in), so that a parse keeps a few bytes per line.
    """

    path: str
    lines_covered: int
    lines_valid: int
    branches_covered: int | None = None
    branches_valid: int | None = None
    lines: Mapping[int, int] | None = None
    branches: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        if self.lines is not None and not isinstance(self.lines, Hits):
            object.__setattr__(self, "lines", Hits.from_counts(self.lines))
        if self.branches is not None and not isinstance(self.branches, Hits):
            object.__setattr__(self, "branches", Hits.from_counts(self.branches))

    @classmethod
    def from_maps(
        cls, path: str, lines: Mapping[int, int], branches: Mapping[str, int]
    ) -> FileCoverage:
        """Counts from a line map and a branch map (no branches -> no branch data).

        A map of hit counts is packed into :class:`Hits` first; any count above 0 is a
        hit.
        """
        line_hits = Hits.from_counts(lines)
        branch_hits = Hits.from_counts(branches) if branches else None
        return cls(
            path,
            line_hits.covered,
            len(line_hits),
            branch_hits.covered if branch_hits else None,
            len(branch_hits) if branch_hits else None,
            line_hits,
            branch_hits,
        )


@dataclass(frozen=True)
class Coverage:
    """The totals of one report, as its producing tool reports them.

    ``warnings`` are short notes on a report that was read but is not self-consistent,
    e.g. declared totals that disagree with its line elements (the declared ones are
    kept: they are what the producer printed).
    """

    format: str
    lines_covered: int
    lines_valid: int
    branches_covered: int | None = None
    branches_valid: int | None = None
    files: tuple[FileCoverage, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def from_files(cls, fmt: str, files: tuple[FileCoverage, ...]) -> Coverage:
        """Totals summed over ``files``; branch totals only if some file has branches."""
        has_branches = any(f.branches_valid for f in files)
        return cls(
            fmt,
            sum(f.lines_covered for f in files),
            sum(f.lines_valid for f in files),
            sum(f.branches_covered or 0 for f in files) if has_branches else None,
            sum(f.branches_valid or 0 for f in files) if has_branches else None,
            files,
        )

    @property
    def files_tested(self) -> int:
        """Source files in the report with at least one coverable line."""
        return sum(1 for f in self.files if f.lines_valid > 0)

    @property
    def line_rate(self) -> float | None:
        """Covered / coverable lines in percent, or ``None`` with no coverable line."""
        return percent(self.lines_covered, self.lines_valid)

    @property
    def branch_rate(self) -> float | None:
        """Covered / total branches in percent, ``None`` when the report has none."""
        if self.branches_valid is None or self.branches_covered is None:
            return None
        return percent(self.branches_covered, self.branches_valid)


def percent(covered: int, total: int) -> float | None:
    """``covered / total`` in percent, unrounded; ``None`` when total is 0."""
    return None if total <= 0 else 100.0 * covered / total


class FormatModule(Protocol):
    """What every module in this package provides."""

    NAME: str
    FILENAMES: tuple[str, ...]

    def detect(self, path: Path, head: bytes) -> bool: ...

    def parse(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage: ...


#: format name -> module (imported lazily so ``gitmetrics --help`` stays fast).
#: The order is the detection order: specific formats before generic ones.
FORMATS: dict[str, str] = {
    # JSON reports
    "coverage-json": "gitmetrics.formats.coveragepy_json",
    "gcovr-json": "gitmetrics.formats.gcovr_json",
    "gcovr-summary": "gitmetrics.formats.gcovr_summary",
    "istanbul-summary": "gitmetrics.formats.istanbul_summary",
    "istanbul-final": "gitmetrics.formats.istanbul_final",
    "coverlet-json": "gitmetrics.formats.coverlet_json",
    "simplecov-resultset": "gitmetrics.formats.simplecov_resultset",
    "simplecov-json": "gitmetrics.formats.simplecov_json",
    "coveralls": "gitmetrics.formats.coveralls",
    "dart-json": "gitmetrics.formats.dart_json",
    "llvm-cov-json": "gitmetrics.formats.llvmcov_json",
    "grcov-covdir": "gitmetrics.formats.grcov_covdir",
    "tarpaulin-json": "gitmetrics.formats.tarpaulin_json",
    #
    # XML reports
    "cobertura": "gitmetrics.formats.cobertura",
    "jacoco": "gitmetrics.formats.jacoco",
    "clover": "gitmetrics.formats.clover",
    "opencover": "gitmetrics.formats.opencover",
    "sonar-generic": "gitmetrics.formats.sonar_generic",
    "phpunit-xml": "gitmetrics.formats.phpunit_xml",
    #
    # line-oriented reports
    "lcov": "gitmetrics.formats.lcov",
    "go": "gitmetrics.formats.gocover",
    "jacoco-csv": "gitmetrics.formats.jacoco_csv",
    #
    # data files that need the source to be measured
    "coverage-data": "gitmetrics.formats.coveragepy_data",
}


#: format name -> what writes it, for messages that say what a file looks like
PRODUCERS: dict[str, str] = {
    "coverage-json": "coverage.py's JSON report",
    "gcovr-json": "gcovr's JSON report",
    "gcovr-summary": "gcovr's JSON summary",
    "istanbul-summary": "an istanbul (nyc, c8, jest) JSON summary",
    "istanbul-final": "istanbul's coverage-final.json (nyc, c8, jest)",
    "coverlet-json": "coverlet's JSON report",
    "simplecov-resultset": "SimpleCov's .resultset.json",
    "simplecov-json": "SimpleCov's JSON formatter output",
    "coveralls": "a Coveralls JSON report (ExCoveralls, gcovr, coveralls-python)",
    "dart-json": "Dart's package:coverage JSON",
    "llvm-cov-json": "an llvm-cov export (llvm-cov export, cargo llvm-cov --json)",
    "grcov-covdir": "grcov's covdir JSON",
    "tarpaulin-json": "cargo-tarpaulin's JSON report",
    "cobertura": "a Cobertura XML report",
    "jacoco": "a JaCoCo XML report",
    "clover": "a Clover XML report",
    "opencover": "an OpenCover XML report (OpenCover, coverlet)",
    "sonar-generic": "a SonarQube generic coverage report",
    "phpunit-xml": "PHPUnit's --coverage-xml index.xml",
    "lcov": "an LCOV tracefile",
    "go": "a Go coverprofile",
    "jacoco-csv": "a JaCoCo CSV report",
    "coverage-data": "a coverage.py data file",
}


def get(name: str) -> FormatModule:
    """The parser module for a format name; ``ReportError`` for an unknown one."""
    try:
        module_name = FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ReportError(f"unknown report format {name!r}", f"use one of: {known}") from None
    module: ModuleType = importlib.import_module(module_name)
    return cast(FormatModule, module)


def names() -> list[str]:
    """All known format names, in detection order."""
    return list(FORMATS)


def candidate_paths(root: Path, *, only: str | None = None) -> list[Path]:
    """Report files found under ``root`` at the usual places, in a stable order
    (of format ``only``'s file names alone when it is given).

    Every entry of a report's name counts except directories and dangling links: a
    FIFO, a device or a link that leads out of ``root`` is a candidate too, so that the
    caller refuses it by name instead of silently reading the next one.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for name in FORMATS if only is None else (only,):
        for pattern in get(name).FILENAMES:
            for p in sorted(root.glob(pattern)):
                if p in seen or p.is_dir() or not p.exists():
                    continue
                seen.add(p)
                found.append(p)
    return found


def _head(path: Path) -> bytes:
    fh, _ = open_regular(path)
    try:
        with fh:
            return fh.read(64 * 1024)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None


def detect_content(path: Path, *, hint: Iterable[str] = ()) -> str | None:
    """The format ``path``'s first bytes show, or ``None`` when no format claims them."""
    head = _head(path)
    order = [*hint, *(n for n in FORMATS if n not in hint)]
    return next((name for name in order if get(name).detect(path, head)), None)


def detect(path: Path, *, hint: Iterable[str] = ()) -> str:
    """The format of ``path``, by content first and by file name second."""
    found = detect_content(path, hint=hint)
    if found is not None:
        return found
    order = [*hint, *(n for n in FORMATS if n not in hint)]
    for name in order:
        if any(fnmatch.fnmatch(path.name, Path(p).name) for p in get(name).FILENAMES):
            return name
    raise ReportError(
        f"{path}: not a coverage report gitmetrics can read",
        f"set `format:` for this repo in repos.yaml (one of: {', '.join(FORMATS)})",
    )


def parse(path: Path, fmt: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Parse one report, detecting its format unless ``fmt`` names it."""
    name = fmt or detect(path)
    check_size(path, max_bytes)
    try:
        cov = get(name).parse(path, max_bytes=max_bytes)
    except ReportError as exc:
        # a report of another format (a coverlet or SimpleCov `coverage.json` read as
        # coverage.py's) fails deep inside the wrong parser: say what it is instead
        other = detect_content(path)
        if other is None and fmt is None:
            raise ReportError(
                exc.message,
                f"its content matches no format gitmetrics reads: it was read as"
                f" {PRODUCERS.get(name, name)} because of its file name only",
            ) from None
        if other is None or other == name:
            raise
        raise ReportError(
            f"{path}: this is {PRODUCERS.get(other, other)} (format `{other}`),"
            f" not {PRODUCERS.get(name, name)}",
            f"set `format: {other}` for this repo in repos.yaml, or remove `format:` to detect it",
        ) from None
    check_figures(path, cov)
    return cov


def check_figures(path: Path, cov: Coverage) -> None:
    """``ReportError`` for figures no real report has: covered above total, beyond 2**53.

    Each parser checks the numbers it reads where it reads them; this is the check of
    what they add up to, whatever the format.
    """
    _check_pair(path, "totals", "lines", cov.lines_covered, cov.lines_valid)
    _check_pair(path, "totals", "branches", cov.branches_covered, cov.branches_valid)
    for f in cov.files:
        _check_pair(path, f"file {f.path!r}", "lines", f.lines_covered, f.lines_valid)
        _check_pair(path, f"file {f.path!r}", "branches", f.branches_covered, f.branches_valid)


def _check_pair(path: Path, place: str, what: str, covered: int | None, total: int | None) -> None:
    for value in (covered, total):
        if value is not None and value > MAX_COUNT:
            raise beyond(f"{path}: {place}: {what}", value)
    if covered is not None and total is not None and covered > total:
        raise ReportError(
            f"{path}: {place}: {covered} of {total} {what} covered",
            "the report is damaged; regenerate it",
        )


def check_size(path: Path, max_bytes: int) -> int:
    """The size of ``path``; ``ReportError`` when it is missing, not a regular file, empty
    or over the cap."""
    size = report_size(path)
    if size > max_bytes:
        raise over_cap(path, max_bytes, size)
    if size == 0:
        raise ReportError(f"{path}: report is empty")
    return size
