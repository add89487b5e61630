"""Collect: one repository -> RepoResult (ok or error); all repositories -> Snapshot."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gitmetrics import formats, snapshot
from gitmetrics.config import Config, RepoConfig
from gitmetrics.errors import GitmetricsError
from gitmetrics.formats.merge import merge
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
) -> Snapshot:
    """Collect every repo in parallel and build one snapshot (errors recorded per repo)."""
    jobs = options.jobs or config.jobs or default_jobs()
    results: list[RepoResult] = []

    def one(repo: RepoConfig) -> RepoResult:
        return collect_one(config, repo, options=options, provenance=provenance)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(repos) or 1))) as pool:
        for result in pool.map(one, repos):
            results.append(result)
            if on_result is not None:
                on_result(result)
    return snapshot.build(results, host=host or socket.gethostname())


def collect_one(
    config: Config,
    repo: RepoConfig,
    *,
    options: Options = Options(),
    provenance: Provenance | None = None,
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
            run_command(repo, log_path)
        paths = report_paths(config, repo)
        parsed = []
        refs = []
        warnings: list[str] = []
        for path in paths:
            cov = formats.parse(path, repo.format, max_bytes=config.max_report_bytes)
            parsed.append(cov)
            refs.append(
                ReportRef(
                    path=_rel(path, repo.path),
                    format=cov.format,
                    sha256=sha256_file(path),
                    lines_covered=cov.lines_covered,
                    lines_valid=cov.lines_valid,
                )
            )
            # one line each, naming the report
            warnings.extend(" ".join(f"{refs[-1].path}: {w}".split()) for w in cov.warnings)
        cov = merge(parsed, repo.path)
        return RepoResult(
            name=repo.name,
            role=repo.role,
            status="ok",
            coverage=snapshot.pct(cov.lines_covered, cov.lines_valid),
            files_tested=cov.files_tested,
            lines_covered=cov.lines_covered,
            lines_valid=cov.lines_valid,
            branch_coverage=snapshot.pct(cov.branches_covered, cov.branches_valid),
            branches_covered=cov.branches_covered,
            branches_valid=cov.branches_valid,
            format=cov.format,
            report=refs[0].path,
            reports=tuple(refs),
            source=source,
            log=log,
            duration_ms=int((time.monotonic() - started) * 1000),
            warnings=tuple(warnings),
        )
    except GitmetricsError as exc:
        message = exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
        return _error(repo, message, source, log, started)
    except Exception as exc:  # a parser bug must not lose the other repositories
        return _error(repo, f"internal error: {type(exc).__name__}: {exc}", source, log, started)


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


def report_paths(config: Config, repo: RepoConfig) -> list[Path]:
    """The report files of a repo: those named in the config, else the first one found."""
    if repo.coverage:
        paths = [repo.path / c for c in repo.coverage]
        for i, p in enumerate(paths):
            if not p.is_file():
                suffix = f"[{i}]" if len(paths) > 1 else ""
                raise GitmetricsError(
                    f"{config.path.name}: {repo.where}.coverage{suffix}: {p} does not exist",
                    "produce the report first, or run `gitmetrics collect --run`"
                    if repo.command
                    else "produce the report first, or fix the path",
                )
        return paths
    found = formats.candidate_paths(repo.path)
    if not found:
        raise GitmetricsError(
            f"{repo.path}: no coverage report found",
            "set `coverage:` for this repo in repos.yaml, or produce a report "
            "(coverage.json, coverage.xml, lcov.info, ...)",
        )
    return found[:1]


def new_log_path(repo: RepoConfig, directory: Path) -> Path:
    """A fresh log file name for one run of a repo's command."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return directory / f"{snapshot.safe_host(repo.name)}-{stamp}-{os.getpid()}.log"


def run_command(repo: RepoConfig, log: Path) -> None:
    """Run a repo's ``command:`` in it, output to ``log``; ``GitmetricsError`` on failure."""
    assert repo.command is not None
    with log.open("wb") as out:
        out.write(f"$ cd {shlex.quote(str(repo.path))} && {repo.command}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            repo.command,
            shell=True,
            cwd=repo.path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout stops it all
        )
        try:
            proc.wait(timeout=repo.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise GitmetricsError(
                f"command timed out after {repo.timeout:g}s: {repo.command}",
                f"see the log: {log}",
            ) from None
    if proc.returncode != 0:
        raise GitmetricsError(
            f"command failed with exit code {proc.returncode}: {repo.command}",
            f"see the log: {log}",
        )


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
