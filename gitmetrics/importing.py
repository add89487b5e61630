"""Import existing history: the seed script's ``metrics_*.json`` files, and Codecov or
Coveralls API responses saved to files. Each becomes a snapshot dated by its own
timestamp; what a source does not record is left absent, never invented."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitmetrics import snapshot
from gitmetrics.config import Config
from gitmetrics.errors import GitmetricsError
from gitmetrics.snapshot import RepoResult, Retention, Snapshot, Source

#: the host recorded in imported snapshots, one per source (with the timestamp, it is
#: what makes a second import of the same data a no-op)
HOSTS = {
    "seed": "import-seed",
    "codecov": "import-codecov",
    "coveralls": "import-coveralls",
    "reports": "import-reports",
}
KINDS = tuple(HOSTS)
#: an API page or a seed file is a few hundred kilobytes; refuse what cannot be one
MAX_BYTES = 64 * 1024 * 1024
SEED_FILE = re.compile(r"metrics_[0-9]{8}_[0-9]{6}\.json")
#: the time in a saved report's path: a date (2026-11-03 or 20261103), then optionally a
#: time (T10:15:00, _101500, -10-15) and a zone (Z, +01:00); without a zone, UTC
DATED = re.compile(
    r"(?<![0-9])([0-9]{4})-?([0-9]{2})-?([0-9]{2})"
    r"(?:[T_ -]?([0-9]{2})[:-]?([0-9]{2})(?:[:-]?([0-9]{2}))?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?(?![0-9])"
)


class ImportSourceError(GitmetricsError):
    """A file given to ``gitmetrics import`` cannot be read or mapped to repositories."""

    code = "import"


@dataclass(frozen=True)
class Imported:
    """The snapshots read from the sources, oldest first, and the files skipped."""

    snapshots: tuple[Snapshot, ...]
    skipped: tuple[str, ...]


def read_sources(
    paths: Sequence[Path], *, kind: str | None, repo: str | None, config: Config | None
) -> Imported:
    """Every snapshot the sources hold, oldest first (by timestamp, never by file time)."""
    snaps: list[Snapshot] = []
    skipped: list[str] = []
    for path in paths:
        if kind == "reports":
            found, skip = _reports_dir(path, repo, config)
            snaps.extend(found)
            skipped.extend(skip)
            continue
        if path.is_dir():
            if kind not in (None, "seed"):
                raise ImportSourceError(
                    f"{path}: a directory is read as seed metrics_*.json files, not {kind}",
                    "give the saved API response files themselves",
                )
            found, skip = _seed_dir(path, config)
            snaps.extend(found)
            skipped.extend(skip)
            continue
        data = _load(path)
        what = kind or _detect(path, data)
        reader = _READERS[what]
        snaps.extend(reader(path, data, repo, config))
    snaps.sort(key=lambda s: (s.when, s.host, [r.name for r in s.repositories]))
    return Imported(tuple(snaps), tuple(skipped))


def _load(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImportSourceError(
                f"{path}: {size} bytes is more than an import file can be ({MAX_BYTES})",
                "split it into the API's pages",
            )
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise ImportSourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportSourceError(f"{path}: not valid JSON: {exc}") from None


def _detect(path: Path, data: Any) -> str:
    if isinstance(data, dict):
        if "repositories" in data and "timestamp" in data:
            return "seed"
        if isinstance(data.get("builds"), list):
            return "coveralls"
        if isinstance(data.get("results"), list):
            return "codecov"
    raise ImportSourceError(
        f"{path}: neither a seed metrics file, a Codecov API v2 response (`results`) nor a "
        "Coveralls builds page (`builds`)",
        "see `gitmetrics import --help` for the files it reads; --from names the kind",
    )


def _seed_dir(path: Path, config: Config | None) -> tuple[list[Snapshot], list[str]]:
    snaps: list[Snapshot] = []
    skipped: list[str] = []
    for entry in sorted(path.iterdir()):
        if entry.is_symlink() or entry.name == "latest.json":
            skipped.append(f"{entry.name}: a copy of the newest file (latest.json)")
            continue
        if not SEED_FILE.fullmatch(entry.name):
            if entry.suffix == ".json":
                skipped.append(f"{entry.name}: not named metrics_YYYYmmdd_HHMMSS.json")
            continue
        snaps.extend(_seed(entry, _load(entry), None, config))
    if not snaps:
        raise ImportSourceError(
            f"{path}: no metrics_YYYYmmdd_HHMMSS.json files", "give the seed's data/metrics"
        )
    return snaps, skipped


def _seed(path: Path, data: Any, repo: str | None, config: Config | None) -> list[Snapshot]:
    """One seed file: the whole state at its ``timestamp``."""
    if repo is not None:
        raise ImportSourceError(
            f"{path}: a seed file names its repositories; --repo applies to Codecov and "
            "Coveralls files only",
            "leave out --repo",
        )
    if not isinstance(data, dict) or not isinstance(data.get("repositories"), list):
        raise ImportSourceError(f"{path}: no `repositories` list", "is it a seed metrics file?")
    stamp = _timestamp(path, "timestamp", data.get("timestamp"))
    results = []
    for i, entry in enumerate(data["repositories"]):
        where = f"{path}: repositories[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ImportSourceError(f"{where}: no `name`", "each entry needs a name")
        coverage = _percent(where, entry.get("coverage"))
        files = entry.get("files_tested")
        if files is not None and (not isinstance(files, int) or isinstance(files, bool)):
            raise ImportSourceError(f"{where}.files_tested: not a count: {files!r}")
        role = entry.get("role")
        results.append(
            RepoResult(
                name=entry["name"],
                role=role if isinstance(role, str) and role else _role(config, entry["name"]),
                status="ok" if coverage is not None else "error",
                error=None if coverage is not None else "no coverage in the imported seed file",
                coverage=coverage,
                files_tested=None if files is None else max(0, files),
            )
        )
    return [_build(path, results, "seed", stamp)]


def _codecov(path: Path, data: Any, repo: str | None, config: Config | None) -> list[Snapshot]:
    """A Codecov API v2 page: commits with ``totals``, or coverage-trend measurements."""
    name = _repo_name(path, repo, None, config, "Codecov API responses do not name the repo")
    snaps = []
    for i, where, item in _entries(path, data, "results", "a Codecov API v2 page"):
        stamp = _timestamp(path, f"results[{i}].timestamp", item.get("timestamp"))
        if "totals" in item:
            totals = item["totals"]
            if totals is None:  # a commit Codecov has no report for
                continue
            if not isinstance(totals, dict):
                raise ImportSourceError(f"{where}.totals: not an object")
            hits = _count(f"{where}.totals.hits", totals.get("hits"))
            lines = _count(f"{where}.totals.lines", totals.get("lines"))
            files = _count(f"{where}.totals.files", totals.get("files"))
            coverage = _percent(f"{where}.totals", totals.get("coverage"))
            if hits is not None and lines is not None and hits > lines:
                raise ImportSourceError(f"{where}.totals: hits {hits} > lines {lines}")
            result = RepoResult(
                name=name,
                role=_role(config, name),
                coverage=snapshot.pct(hits, lines) if lines else coverage,
                files_tested=files,
                lines_covered=hits if lines else None,
                lines_valid=lines or None,
                source=_source(item.get("commitid"), item.get("branch")),
            )
        elif "avg" in item:
            result = RepoResult(
                name=name,
                role=_role(config, name),
                coverage=_percent(f"{where}.avg", item.get("avg")),
                files_tested=None,  # a trend measurement has no file count
            )
        else:
            raise ImportSourceError(
                f"{where}: neither a commit (`totals`) nor a trend measurement (`avg`)",
                "save /api/v2/{service}/{owner}/repos/{repo}/commits/ or .../coverage/",
            )
        if result.coverage is None:
            continue  # no figure: nothing to record
        snaps.append(_build(path, [result], "codecov", stamp))
    return snaps


def _coveralls(path: Path, data: Any, repo: str | None, config: Config | None) -> list[Snapshot]:
    """A Coveralls builds page (``https://coveralls.io/{service}/{owner}/{repo}.json``)."""
    snaps = []
    for i, where, build in _entries(path, data, "builds", "a Coveralls builds page"):
        own = build.get("repo_name")
        name = _repo_name(path, repo, own if isinstance(own, str) else None, config, where)
        coverage = _percent(f"{where}.covered_percent", build.get("covered_percent"))
        if coverage is None:
            continue
        stamp = _timestamp(path, f"builds[{i}].created_at", build.get("created_at"))
        source = _source(build.get("commit_sha"), build.get("branch"))
        result = RepoResult(
            name=name, role=_role(config, name), coverage=coverage, files_tested=None, source=source
        )
        snaps.append(_build(path, [result], "coveralls", stamp))
    return snaps


def dated(text: str) -> str | None:
    """The snapshot timestamp a saved report's path names (the last date in it), or None."""
    for m in reversed(list(DATED.finditer(text))):
        y, mo, d, h, mi, sec, zone = m.groups()
        iso = f"{y}-{mo}-{d}T{h or '00'}:{mi or '00'}:{sec or '00'}"
        if zone and zone != "Z":
            zone = zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
            iso += zone
        try:
            when = datetime.fromisoformat(iso)
        except ValueError:
            continue
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _reports_dir(
    path: Path, repo: str | None, config: Config | None
) -> tuple[list[Snapshot], list[str]]:
    """A directory of one repository's saved reports (CI artifacts), each dated by its path.

    Every report must be readable: one that is not stops the import before anything is
    written, naming the file.
    """
    from dataclasses import replace

    from gitmetrics.collect import collect_one
    from gitmetrics.config import RepoConfig

    if not path.is_dir():
        raise ImportSourceError(
            f"{path}: --from reports reads a directory of saved reports",
            "give the directory the CI artifacts were saved to",
        )
    if repo is None:
        raise ImportSourceError(
            f"{path}: saved reports do not name their repository",
            "pass --repo NAME to say which repository they are of",
        )
    name = _repo_name(path, repo, None, config, "")
    cfg = config or Config(path=path / "repos.yaml", store=path, repos=())
    base = next((r for r in cfg.repos if r.name == name), RepoConfig(name=name, path=path))
    snaps: list[Snapshot] = []
    skipped: list[str] = []
    seen: dict[str, str] = {}
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = file.relative_to(path).as_posix()
        stamp = dated(rel)
        if stamp is None:
            skipped.append(f"{rel}: no date in its name (2026-11-03, 20261103_101500, ...)")
            continue
        if stamp in seen:
            raise ImportSourceError(
                f"{path}: {seen[stamp]} and {rel} are both dated {stamp}",
                "give each report its own time in its name (a time of day: _101500)",
            )
        seen[stamp] = rel
        one = replace(base, path=file.parent, coverage=(file.name,), command=None)
        result = collect_one(cfg, one)
        if not result.ok:
            error = result.error or "cannot be read"
            raise ImportSourceError(
                error if str(file) in error else f"{file}: {error}",
                "fix or remove this report; nothing was imported",
            )
        snaps.append(_build(file, [result], "reports", stamp))
    if not snaps:
        raise ImportSourceError(
            f"{path}: no report with a date in its name",
            "name each saved report by its time, e.g. coverage-2026-11-03T101500Z.xml",
        )
    return snaps, skipped


_READERS: Mapping[str, Callable[[Path, Any, str | None, Config | None], list[Snapshot]]] = {
    "seed": _seed,
    "codecov": _codecov,
    "coveralls": _coveralls,
}


def _build(path: Path, results: Iterable[RepoResult], kind: str, stamp: str) -> Snapshot:
    snap = snapshot.build(results, host=HOSTS[kind], timestamp=stamp)
    try:
        snapshot.validate(snapshot.to_dict(snap), str(path))
    except GitmetricsError as exc:
        raise ImportSourceError(exc.message, "fix or leave out this file") from None
    return snap


def _repo_name(
    path: Path, given: str | None, own: str | None, config: Config | None, where: str
) -> str:
    """The configured repository a Codecov or Coveralls file belongs to."""
    names = {r.name.lower(): r.name for r in config.repos} if config is not None else {}
    if given is not None:
        if config is not None and given.lower() not in names:
            raise ImportSourceError(
                f"{path}: --repo {given}: no such repository in {config.path.name}",
                f"use one of: {', '.join(sorted(names.values()))}",
            )
        return names.get(given.lower(), given)
    if own is not None:
        # Coveralls names repos "owner/name"; the config names them by the last part
        for candidate in (own, own.rsplit("/", 1)[-1]):
            if candidate.lower() in names:
                return names[candidate.lower()]
        raise ImportSourceError(
            f"{where}: repo_name {own!r} matches no repository in "
            + (config.path.name if config is not None else "the config (none was found)"),
            "pass --repo NAME to say which repository it is",
        )
    raise ImportSourceError(f"{path}: {where}", "pass --repo NAME to say which repository it is")


def _entries(path: Path, data: Any, key: str, what: str) -> Iterator[tuple[int, str, Any]]:
    """``(index, place, object)`` of each entry of the page's list ``key``."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ImportSourceError(f"{path}: no `{key}` list", f"is it {what}?")
    for i, item in enumerate(items):
        where = f"{path}: {key}[{i}]"
        if not isinstance(item, dict):
            raise ImportSourceError(f"{where}: not an object")
        yield i, where, item


def _source(commit: Any, branch: Any) -> Source | None:
    """The measured commit an API names, when it names one git can have."""
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    return Source(commit, branch if isinstance(branch, str) else None, False)


def _role(config: Config | None, name: str) -> str:
    if config is not None:
        for r in config.repos:
            if r.name.lower() == name.lower():
                return r.role
    return "unknown"


def _timestamp(path: Path, field: str, value: Any) -> str:
    """A snapshot timestamp (UTC, whole seconds); a time without a zone is taken as UTC."""
    if not isinstance(value, str):
        raise ImportSourceError(f"{path}: {field}: missing or not a string")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ImportSourceError(f"{path}: {field}: not an ISO 8601 time: {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _percent(where: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ImportSourceError(f"{where}: not a percentage: {value!r}")
    return snapshot.rounded(float(value))


def _count(where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImportSourceError(f"{where}: not a count: {value!r}")
    return value


def epoch(snap: Snapshot) -> int:
    """The snapshot's timestamp in Unix seconds: the commit time of its collection."""
    return int(snap.when.timestamp())


@dataclass(frozen=True)
class Committed:
    """What an import added (snapshots and their commits) and how many were there already."""

    snapshots: tuple[Snapshot, ...]
    commits: tuple[str, ...]
    already: int


def plan(
    history: Iterable[Any], snaps: Sequence[Snapshot], *, in_place: bool = False
) -> tuple[list[Snapshot], int]:
    """The snapshots not yet in ``history`` (by timestamp and host), and how many were.

    An import appends to history: a new snapshot older than the newest collection is
    refused, since it would become the store's latest state; unless ``in_place``, when
    each is placed in history by its time (a backfill, one merge each).
    """
    entries = list(history)
    known = {(e.timestamp, e.host) for e in entries}
    new: list[Snapshot] = []
    for snap in snaps:
        key = (snap.timestamp, snap.host)
        if key not in known:
            known.add(key)
            new.append(snap)
    if new and entries and not in_place:
        newest = max(entries, key=lambda e: snapshot.parse_timestamp(e.timestamp))
        if new[0].when < snapshot.parse_timestamp(newest.timestamp):
            raise ImportSourceError(
                f"the store's newest collection is from {newest.timestamp}, but the import "
                f"holds {new[0].timestamp}: imported history must come before it",
                "import into a new store (`gitmetrics import --store DIR ...`), then "
                "merge it with the shared store by `gitmetrics sync` (the union of both "
                "histories)",
            )
    return new, len(snaps) - len(new)


def commit_all(
    store: Any,
    snaps: Sequence[Snapshot],
    *,
    retention: Retention,
    in_place: Callable[[Snapshot], str] | None = None,
) -> Committed:
    """Commit each new snapshot as one collection dated by its timestamp, oldest first.

    ``in_place`` commits one snapshot where its time puts it in history (a backfill) and
    returns its commit; with it, history older than the newest collection is accepted.
    """
    new, already = plan(store.history(), snaps, in_place=in_place is not None)
    commits = []
    for snap in new:
        if in_place is not None:
            commits.append(in_place(snap))
            continue
        done = store.commit_snapshot(snap, retention=retention, commit_time=epoch(snap))
        commits.append(done.commit)
    return Committed(tuple(new), tuple(commits), already)
