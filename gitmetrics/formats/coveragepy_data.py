"""coverage.py data files (`.coverage` and parallel `.coverage.*`), measured with coverage.

A data file stores only which lines (or arcs) ran, so the totals need the source: the
data file's directory is taken as the repository root. Paths in the data are absolute
paths of the machine that ran the tests; each is moved onto the repository by the
longest path suffix that exists there. The data files are combined into a temporary
file (the user's files are never written), and the totals come from coverage's own
JSON report, so they equal ``coverage report`` of the same data.

All ``.coverage`` and ``.coverage.*`` files beside the given one are combined: coverage
data are sets of lines and arcs, so a combined file next to its parallel parts does not
count anything twice. A file measured but never run (with ``--source``, a module no test
imported) is in the data with no lines; it is kept, so its statements count as missed,
as in ``coverage report``.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage
from gitmetrics.formats._common import open_regular, over_cap, read_bytes, report_size
from gitmetrics.formats.coveragepy_json import from_report

NAME = "coverage-data"
FILENAMES: tuple[str, ...] = (".coverage", ".coverage.*")

_SQLITE = b"SQLite format 3\x00"


def detect(path: Path, head: bytes) -> bool:
    """An SQLite file named like a coverage.py data file."""
    return head.startswith(_SQLITE) and path.name.startswith(".coverage")


def data_files(path: Path) -> list[Path]:
    """``path`` and every ``.coverage``/``.coverage.*`` SQLite data file beside it.

    Siblings that are not data files (editor backups, old JSON data), not regular files,
    or links that lead out of the directory are skipped: coverage.py writes its
    parallel files as plain files next to each other.
    """
    found = {path}
    here = path.parent.resolve()
    for p in path.parent.glob(".coverage*"):
        if p.name == ".coverage" or p.name.startswith(".coverage."):
            if not p.resolve().is_relative_to(here):
                continue
            try:
                fh, _ = open_regular(p)
                with fh:
                    if fh.read(len(_SQLITE)) == _SQLITE:
                        found.add(p)
            except (ReportError, OSError):
                continue
    return sorted(found)


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals of the combined data files, measured against the source beside them."""
    try:
        import coverage
    except ImportError:
        raise ReportError(
            f"{path}: reading coverage.py data files needs the `coverage` package",
            "install it with `pip install 'gitmetrics[coverage]'`, or make the repository "
            "write `coverage json` and point gitmetrics at coverage.json",
        ) from None
    root = path.parent.resolve()
    if read_bytes(path, max_bytes)[: len(_SQLITE)] != _SQLITE:
        raise ReportError(
            f"{path}: not a coverage.py SQLite data file",
            "coverage.py before 5.0 wrote JSON data files; run the tests again with coverage 7",
        )
    files = data_files(path)
    for f in files:  # the size cap holds for every combined file
        size = report_size(f)
        if size > max_bytes:
            raise over_cap(f, max_bytes, size)
    with tempfile.TemporaryDirectory(prefix="gitmetrics-coverage-") as tmp:
        combined = coverage.CoverageData(basename=str(Path(tmp) / ".coverage"))
        has_arcs = False
        for f in files:
            has_arcs = _add(coverage, combined, f, max_bytes, Path(tmp), root) or has_arcs
        combined.write()
        cov = coverage.Coverage(
            data_file=str(Path(tmp) / ".coverage"),
            config_file=_config_file(root),
            branch=has_arcs,
            messages=False,
        )
        out = Path(tmp) / "coverage.json"
        try:
            cov.load()
            cov.json_report(outfile=str(out), ignore_errors=False)
        except coverage.exceptions.NoDataError:
            return Coverage(NAME, 0, 0, 0 if has_arcs else None, 0 if has_arcs else None)
        except coverage.exceptions.CoverageException as exc:
            raise ReportError(f"{path}: coverage.py could not measure the data: {exc}") from None
        report = json.loads(out.read_text())
    # coverage names files relative to the current directory; make them repo-relative
    report["files"] = {_relative(k, root): v for k, v in report.get("files", {}).items()}
    return from_report(report, str(path), NAME)


def _add(
    coverage: Any, combined: Any, data_path: Path, max_bytes: int, tmp: Path, root: Path
) -> bool:
    """Copy one data file's lines or arcs into ``combined`` with paths moved onto ``root``."""
    # read from a copy: coverage may touch the file it opens, the user's must stay as is
    copy = tmp / f"in-{data_path.name}"
    copy.write_bytes(read_bytes(data_path, max_bytes))
    data = coverage.CoverageData(basename=str(copy))
    try:
        data.read()
        measured: Iterable[str] = sorted(data.measured_files())
        arcs = bool(data.has_arcs())
    except (coverage.exceptions.CoverageException, sqlite3.Error) as exc:
        raise ReportError(f"{data_path}: unreadable coverage.py data file: {exc}") from None
    found: dict[str, Any] = {}
    for recorded in measured:
        local = remap(recorded, root)
        if local is None:
            raise ReportError(
                f"{data_path}: a coverage.py data file needs the source it measured: "
                f"{recorded} was not found in {root}",
                "a coverage.py data file can only be measured against its source: collect "
                "from a checkout of the tested code, or have the tests write `coverage json`",
            )
        found[str(local)] = (data.arcs(recorded) if arcs else data.lines(recorded)) or []
    if arcs:
        combined.add_arcs(found)
    else:
        combined.add_lines(found)
    # A measured file that never ran (`--source` finds it unimported) is in the data with
    # no lines or arcs, and add_arcs drops such an entry. coverage's own report counts its
    # statements (it analyses the file from the source), so keep it in the data too.
    never_ran = [name for name, measured_data in found.items() if not measured_data]
    if never_ran:
        combined.touch_files(never_ran)
    return arcs


def remap(recorded: str, root: Path) -> Path | None:
    """The file under ``root`` ending with the longest suffix of ``recorded``, if any."""
    pure = PureWindowsPath(recorded) if "\\" in recorded else PurePosixPath(recorded)
    parts = [p for p in pure.parts if p not in ("/", "\\") and not p.endswith((":", ":\\"))]
    if Path(recorded).is_file() and Path(recorded).resolve().is_relative_to(root):
        return Path(recorded).resolve()
    for i in range(len(parts)):
        candidate = root.joinpath(*parts[i:])
        if candidate.is_file():
            return candidate
    return None


def _config_file(root: Path) -> str | bool:
    """The repository's coverage configuration, never the current directory's."""
    rc = root / ".coveragerc"
    if rc.is_file():
        return str(rc)
    pyproject = root / "pyproject.toml"
    try:
        if pyproject.is_file() and "[tool.coverage" in pyproject.read_text(errors="replace"):
            return str(pyproject)
    except OSError:
        pass
    return False


def _relative(name: str, root: Path) -> str:
    p = Path(name)
    if not p.is_absolute():
        p = Path.cwd() / p
    if p.is_relative_to(root):
        return p.relative_to(root).as_posix()
    return name.replace("\\", "/")
