"""Collect: one repository -> RepoResult (ok or error); all repositories -> Snapshot."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmetrics import formats, snapshot
from gitmetrics.command import Commands
from gitmetrics.command import run as run_command
from gitmetrics.config import Config, RepoConfig
from gitmetrics.errors import GitmetricsError, ReportError
from gitmetrics.formats import Hits
from gitmetrics.formats.merge import merge, merge_file, normalise
from gitmetrics.snapshot import RepoResult, ReportRef, Snapshot, Source

#: Looks up the source repository's HEAD; injected by the caller (store reads git).
Provenance = Callable[[Path], Source | None]
Progress = Callable[[RepoResult], None]


@dataclass(frozen=True)
class Options:
    """How to collect."""

    run: bool = False
    jobs: int | None = None
    log_dir: Path | None = None


def default_jobs() -> int:
    """Worker threads: enough to overlap I/O and commands, bounded for small machines."""
    return min(8, (os.cpu_count() or 1) * 2)


#: parsing holds the GIL, so threads alone use one core: in a collect of at least this many
#: repositories every report is parsed in a worker process (measured: sending the small
#: ones too is faster than parsing them in the threads beside the big ones)
PROCESS_REPOS = 32
#: in a smaller collect, only a repository whose reports together are this big is sent to
#: a worker, started then: starting them costs 0.2-0.4 s, parsing 1 MB here about 40 ms
PROCESS_BYTES = 16 << 20


@dataclass(frozen=True)
class Measured:
    """What a repository's reports say, parsed and merged: its figures, the per-file detail
    blob, and one reference per report (made in a worker process for big reports)."""

    format: str
    files_tested: int
    lines_covered: int
    lines_valid: int
    branches_covered: int | None
    branches_valid: int | None
    refs: tuple[ReportRef, ...]
    warnings: tuple[str, ...]
    detail: bytes | None


def measure(
    name: str, root: Path, paths: Sequence[Path], fmt: str | None, max_bytes: int
) -> Measured:
    """Parse and merge the reports ``paths`` of the repository ``name`` checked out at
    ``root`` (``ReportError`` when one cannot be read)."""
    parsed = []
    refs = []
    warnings: list[str] = []
    for path in paths:
        cov = formats.parse(path, fmt, max_bytes=max_bytes)
        parsed.append(cov)
        refs.append(
            ReportRef(
                path=_rel(path, root),
                format=cov.format,
                sha256=sha256_file(path),
                lines_covered=cov.lines_covered,
                lines_valid=cov.lines_valid,
            )
        )
        # one line each, naming the report
        warnings.extend(" ".join(f"{refs[-1].path}: {w}".split()) for w in cov.warnings)
    cov = merge(parsed, root)
    return Measured(
        format=cov.format,
        files_tested=cov.files_tested,
        lines_covered=cov.lines_covered,
        lines_valid=cov.lines_valid,
        branches_covered=cov.branches_covered,
        branches_valid=cov.branches_valid,
        refs=tuple(refs),
        warnings=tuple(warnings),
        detail=detail_of(name, cov, root),
    )


def measure_or_reason(
    name: str, root: Path, paths: Sequence[Path], fmt: str | None, max_bytes: int
) -> Measured | str:
    """:func:`measure`, or the one-line reason it failed (what a worker process sends back:
    a reason, never an exception object, which may not survive pickling)."""
    try:
        return measure(name, root, paths, fmt, max_bytes)
    except GitmetricsError as exc:
        return exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
    except Exception as exc:  # a parser bug must not lose the other repositories
        return internal_error(exc)


def _worker_start() -> None:
    # Ctrl-C reaches the whole process group: the collecting process stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_server() -> None:
    """Start the fork server (and multiprocessing's resource tracker) if they
    are not running, so that a Ctrl-C while they start cannot print their traceback and
    is not lost here.

    Both are new interpreters. SIGINT is blocked in this thread while each is spawned, so
    they start with it blocked and, once ignoring it, drop one that came meanwhile; this
    process keeps its own handler, and a Ctrl-C that came meanwhile reaches it when the
    mask is restored. The resource tracker unblocks SIGINT after spawning its process:
    it is started first, on its own, and SIGINT blocked again for the fork server.
    """
    from multiprocessing import forkserver, resource_tracker

    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


class Parsers:
    """Where reports are parsed: in a pool of worker processes, started on first use
    (``forkserver``: forked from a clean process that has gitmetrics imported, never from
    this one with its threads), or, those under ``min_bytes``, in the calling thread."""

    def __init__(self, workers: int, min_bytes: int = PROCESS_BYTES) -> None:
        self.workers = workers
        #: reports smaller than this (together) are parsed in the calling thread
        self.min_bytes = min_bytes
        #: the worker processes could not be used: everything is parsed in this process
        self.broken = False
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Start the fork server now; the workers come later, with the first report."""
        try:
            self._context()
            start_server()
        except (OSError, ValueError):
            self.broken = True

    def _context(self) -> Any:
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["gitmetrics.collect"])
        return ctx

    def _processes(self) -> Executor:
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ProcessPoolExecutor

                ctx = self._context()
                start_server()
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=ctx, initializer=_worker_start
                )
            return self._pool

    def measure(
        self, name: str, root: Path, paths: Sequence[Path], fmt: str | None, max_bytes: int
    ) -> Measured | str:
        """The reports of one repository measured, in a worker process when they are big;
        when the workers cannot run (a pool that broke, a platform without them), here."""
        if self.workers > 1 and not self.broken and _size(paths) >= self.min_bytes:
            from concurrent.futures.process import BrokenProcessPool

            try:
                future = self._processes().submit(
                    measure_or_reason, name, root, list(paths), fmt, max_bytes
                )
                return future.result()
            except (BrokenProcessPool, OSError, RuntimeError):
                self.broken = True  # every later report is parsed here
        return measure_or_reason(name, root, paths, fmt, max_bytes)

    def close(self, *, cancel: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        if cancel:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=cancel)


def _size(paths: Sequence[Path]) -> int:
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):  # measure names the file that cannot be read
            total += p.stat().st_size
    return total


def log_dir() -> Path:
    """Where the output of ``collect --run`` commands is kept."""
    env = os.environ.get("GITMETRICS_LOG_DIR")
    if env:
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "gitmetrics" / "logs"


def collect_all(
    config: Config,
    repos: Sequence[RepoConfig],
    *,
    options: Options = Options(),
    provenance: Provenance | None = None,
    on_result: Progress | None = None,
    host: str | None = None,
    timestamp: str | None = None,
) -> Snapshot:
    """Collect every repo in parallel and build one snapshot (errors recorded per repo).

    Interrupted (Ctrl-C, or SIGTERM turned into :class:`~gitmetrics.errors.Interrupted`
    by :func:`gitmetrics.command.interrupts`), it stops every running command with all
    it started, waits for the workers and re-raises.
    """
    jobs = options.jobs or config.jobs or default_jobs()
    results: list[RepoResult] = []
    commands = Commands()
    parsers = Parsers(
        min(jobs, os.cpu_count() or 1, len(repos) or 1),
        0 if len(repos) >= PROCESS_REPOS else PROCESS_BYTES,
    )
    if parsers.workers > 1 and len(repos) >= PROCESS_REPOS:
        parsers.prepare()  # every report goes to the workers; fewer start them when needed

    def one(repo: RepoConfig) -> RepoResult:
        return collect_one(
            config, repo, options=options, provenance=provenance, commands=commands,
            parsers=parsers,
        )  # fmt: skip

    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(repos) or 1)))
    try:
        for result in pool.map(one, repos):
            results.append(result)
            if on_result is not None:
                on_result(result)
    except BaseException:
        commands.stop()
        parsers.close(cancel=True)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    parsers.close()
    return snapshot.build(results, host=host or socket.gethostname(), timestamp=timestamp)


def collect_one(
    config: Config,
    repo: RepoConfig,
    *,
    options: Options = Options(),
    provenance: Provenance | None = None,
    commands: Commands | None = None,
    parsers: Parsers | None = None,
) -> RepoResult:
    """Measure one repository; every failure becomes a result with status ``error``."""
    started = time.monotonic()
    log: str | None = None
    source: Source | None = None
    try:
        if not repo.path.is_dir():
            what = "is not a directory" if repo.path.exists() else "does not exist"
            raise GitmetricsError(f"{config.path.name}: {repo.where}.path: {repo.path} {what}")
        if provenance is not None:
            source = provenance(repo.path)
        if options.run and repo.command:
            log_path = new_log_path(repo, options.log_dir or log_dir())
            log = str(log_path)
            run_command(config, repo, log_path, commands)
        paths = report_paths(config, repo)
        args = (repo.name, repo.path, paths, repo.format, config.max_report_bytes)
        m = measure_or_reason(*args) if parsers is None else parsers.measure(*args)
        if isinstance(m, str):
            return _error(repo, m, source, log, started)
        return RepoResult(
            detail=m.detail,
            stale_report=is_stale(paths, source),
            name=repo.name,
            role=repo.role,
            status="ok",
            coverage=snapshot.pct(m.lines_covered, m.lines_valid),
            files_tested=m.files_tested,
            lines_covered=m.lines_covered,
            lines_valid=m.lines_valid,
            branch_coverage=snapshot.pct(m.branches_covered, m.branches_valid),
            branches_covered=m.branches_covered,
            branches_valid=m.branches_valid,
            format=m.format,
            report=m.refs[0].path,
            reports=m.refs,
            source=source,
            log=log,
            duration_ms=int((time.monotonic() - started) * 1000),
            warnings=m.warnings,
        )
    except GitmetricsError as exc:
        message = exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
        return _error(repo, message, source, log, started)
    except Exception as exc:  # a parser bug must not lose the other repositories
        return _error(repo, internal_error(exc), source, log, started)


def detail_of(name: str, cov: formats.Coverage, root: Path) -> bytes | None:
    """The per-file detail blob of a measurement (``None`` when the report lists no files).

    Paths are made repo-relative the one way for every format (:func:`normalise`: an
    absolute path under the repository is cut to its relative part; one outside it, as a
    tool run elsewhere writes, is kept); files a report lists twice are united as a merge
    of several reports does. The counts are the report's own per file; the line numbers
    are its line map (some formats count statements, so the two may differ).
    """
    if not cov.files:
        return None
    by_path: dict[str, list[formats.FileCoverage]] = {}
    for f in cov.files:
        by_path.setdefault(normalise(f.path, root), []).append(f)
    details = []
    for path, found in by_path.items():
        f = found[0] if len(found) == 1 else merge_file(path, found)
        lines = f.lines if isinstance(f.lines, Hits) else None
        details.append(
            snapshot.FileDetail(
                path=path,
                lines_covered=f.lines_covered,
                lines_valid=f.lines_valid,
                branches_covered=f.branches_covered,
                branches_valid=f.branches_valid,
                # line 0 is no source line (coverage.py's arc from outside the file)
                covered=None if lines is None else tuple(n for n in lines.hit() if n > 0),
                missed=None if lines is None else tuple(n for n in lines.missed() if n > 0),
            )
        )
    return snapshot.files_json(name, cov.format, details)


def _error(
    repo: RepoConfig, message: str, source: Source | None, log: str | None, started: float
) -> RepoResult:
    return RepoResult(
        name=repo.name,
        role=repo.role,
        status="error",
        error=" ".join(message.split()),  # one line in the snapshot
        source=source,
        log=log,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def internal_error(exc: Exception) -> str:
    """The one-line reason for a bug: the exception's type and where it was raised.

    The exception's own text is left out: it may quote the report (``int('...')``), and
    the reason is committed and pushed.
    """
    package = Path(__file__).resolve().parent
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):  # the innermost of gitmetrics'
        path = Path(frame.filename)
        if path.is_relative_to(package):
            where = f" at {path.relative_to(package.parent).as_posix()}:{frame.lineno}"
    return f"internal error: {type(exc).__name__}{where} (a bug in gitmetrics: please report it)"


def report_paths(config: Config, repo: RepoConfig) -> list[Path]:
    """The report files of a repo: those named in the config, else the first one found.

    Each must be a regular file inside the repository (after symlinks and ``..``),
    unless the repo has ``follow_symlinks: true``.
    """
    if repo.coverage:
        paths = [repo.path / c for c in repo.coverage]
        for i, (name, p) in enumerate(zip(repo.coverage, paths, strict=True)):
            suffix = f"[{i}]" if len(paths) > 1 else ""
            where = f"{config.path.name}: {repo.where}.coverage{suffix}: {p}"
            if not p.exists():
                raise GitmetricsError(
                    f"{where} does not exist",
                    "produce the report first, or run `gitmetrics collect --run`"
                    if repo.command
                    else "produce the report first, or fix the path",
                )
            check_report(repo, p, where, name)
        return paths
    if repo.format:
        # the format is configured: a report of another format is not this repo's report
        found = formats.candidate_paths(repo.path, only=repo.format)
        if not found:
            names = ", ".join(formats.get(repo.format).FILENAMES)
            raise GitmetricsError(
                f"{config.path.name}: {repo.where}.format: {repo.format}: no {repo.format} "
                f"report found in {repo.path} (looked for {names})",
                "produce the report first, or set `coverage:` to its path",
            )
    else:
        found = formats.candidate_paths(repo.path)
    if not found:
        raise GitmetricsError(
            f"{repo.path}: no coverage report found",
            "set `coverage:` for this repo in repos.yaml, or produce a report "
            "(coverage.json, coverage.xml, lcov.info, ...)",
        )
    check_report(repo, found[0], str(found[0]), found[0].relative_to(repo.path).as_posix())
    return found[:1]


def is_stale(paths: Sequence[Path], source: Source | None) -> bool:
    """True when a report was last modified before the HEAD commit of its repository."""
    if source is None or source.committed_at is None:
        return False
    return any(p.stat().st_mtime < source.committed_at for p in paths)


def check_report(repo: RepoConfig, path: Path, where: str, name: str) -> None:
    """``ReportError`` unless ``path`` (``name`` in the repo) is a regular file inside it."""
    if not repo.follow_symlinks and not path.resolve().is_relative_to(repo.path.resolve()):
        if Path(name).is_absolute():
            how = "an absolute path"
        elif Path(os.path.normpath(name)).parts[:1] == (os.pardir,):
            how = "through `..`"
        else:
            how = "through a symbolic link"
        raise ReportError(
            f"{where} leads outside the repository ({how})",
            "put the report inside the repository, or set `follow_symlinks: true` for this "
            "repo in repos.yaml to read it anyway",
        )
    try:
        kind = formats.file_kind(path.stat().st_mode)
    except OSError as exc:
        raise ReportError(f"{where}: cannot read report: {exc.strerror or exc}") from None
    if kind is not None:
        raise ReportError(
            f"{where} is not a regular file ({kind})",
            "point `coverage:` at the report file itself",
        )


def new_log_path(repo: RepoConfig, directory: Path) -> Path:
    """A fresh log file name for one run of a repo's command."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return directory / f"{snapshot.safe_host(repo.name)}-{stamp}-{os.getpid()}.log"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    fh, _ = formats.open_regular(path)
    with fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
