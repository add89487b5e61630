"""One function per command: typed inputs, frozen results, no terminal.

``gitmetrics.cli`` parses options, calls one function here, renders what it returns and
picks the exit code. Everything a command does besides that (which store, which config,
which remote, what to read, what to commit) is decided here, so scripts can do the same
through this module. Heavy imports happen inside the functions: ``--help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gitmetrics.errors import (
    ConfigError,
    GitmetricsError,
    StoreError,
    SyncError,
    after_commit_error,
)

if TYPE_CHECKING:
    from gitmetrics.config import ComponentConfig, Config, RepoConfig
    from gitmetrics.coordination import IssueWriter
    from gitmetrics.dashboard import Stored
    from gitmetrics.explain import Explained, Flaky
    from gitmetrics.filesview import FilesView
    from gitmetrics.history import Collection
    from gitmetrics.historyview import HistoryRow
    from gitmetrics.patch import Against, PatchResult
    from gitmetrics.rules import CheckResult, Rules
    from gitmetrics.snapshot import RepoResult, Retention, Snapshot
    from gitmetrics.store import Deriver, HistoryEntry, Store
    from gitmetrics.store.gate import Limits
    from gitmetrics.store.pack import GcResult
    from gitmetrics.store.sync import Remote, SyncResult
    from gitmetrics.views import DiffView, ReportView, StatusView, TrendsView

if TYPE_CHECKING:  # the typed inputs and results, loaded on first use (see __getattr__)
    from gitmetrics.results import Cloned as Cloned
    from gitmetrics.results import Collected as Collected
    from gitmetrics.results import CollectOptions as CollectOptions
    from gitmetrics.results import Dashboard as Dashboard
    from gitmetrics.results import Exported as Exported
    from gitmetrics.results import Imported as Imported
    from gitmetrics.results import Initialized as Initialized
    from gitmetrics.results import Issues as Issues
    from gitmetrics.results import PatchOptions as PatchOptions
    from gitmetrics.results import Round as Round
    from gitmetrics.results import SyncOptions as SyncOptions
    from gitmetrics.results import Verified as Verified
    from gitmetrics.results import WatchPlan as WatchPlan

#: the names :mod:`gitmetrics.results` gives the api (``api.CollectOptions``)
RESULTS = frozenset(
    {"Cloned", "CollectOptions", "Collected", "Dashboard", "Exported", "Imported", "Initialized",
     "Issues", "PatchOptions", "Round", "SyncOptions", "Verified", "WatchPlan"}
)  # fmt: skip


def __getattr__(name: str) -> Any:
    """``api.CollectOptions`` and the other inputs and results, from :mod:`gitmetrics.results`
    when first asked for (``history`` and the views need none of them)."""
    if name in RESULTS:
        from gitmetrics import results

        return getattr(results, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: collections read for a check at least (to name the last one above a floor)
LOOKBACK = 30
#: never read more than this many collections for a time window
MAX_POINTS = 5000


# --- config and store ------------------------------------------------------------------


def load_config(config: Path | None, *, required: bool = True) -> Config | None:
    """The config, or ``None`` when it is optional and absent."""
    from gitmetrics import config as configmod

    path = configmod.config_path(config)
    if not required and config is None and not path.exists():
        return None
    return configmod.load(path)


def require_config(config: Path | None) -> Config:
    """The config, which must exist."""
    cfg = load_config(config)
    assert cfg is not None
    return cfg


def store_path(cfg: Config | None, store: Path | None) -> Path:
    """``--store``, else the config's ``store:``, else ./metrics."""
    if store is not None:
        return store
    if cfg is not None:
        return cfg.store
    from gitmetrics import config as configmod

    return Path(configmod.DEFAULT_STORE)


def open_store(config: Path | None, store: Path | None) -> Store:
    """Open the metrics repository named by the options (config optional with --store)."""
    from gitmetrics import store as storemod

    cfg = None if store is not None else load_config(config, required=config is not None)
    return storemod.open_store(store_path(cfg, store))


def _min_coverage(cfg: Config | None, given: float | None) -> float:
    from gitmetrics import config as configmod

    if given is not None:
        return given
    return cfg.min_coverage if cfg is not None else configmod.DEFAULT_MIN_COVERAGE


# --- init and collect --------------------------------------------------------------------


def init(
    path: Path | None, *, config: Path | None = None, bare: bool = False, remote: str | None = None
) -> Initialized:
    """Create the store (or bring an existing one's work tree up to date); pull ``remote``."""
    from gitmetrics import store as storemod
    from gitmetrics.results import Initialized

    cfg = load_config(config, required=False)
    target = path if path is not None else store_path(cfg, None)
    st = storemod.init(target, bare=bare)
    st.update_worktree()  # an existing store's work tree may be behind (a full disk, say)
    pulled = attach_remote(st, cfg, remote, None) if remote is not None else None
    return Initialized(st.path, pulled)


def nothing_collected(hint: str) -> GitmetricsError:
    """The error of a collection in which every repository failed (nothing committed)."""
    return GitmetricsError(
        "nothing was collected: every repository failed, so no snapshot was committed", hint
    )


def collect(
    opts: CollectOptions,
    *,
    cfg: Config | None = None,
    on_result: Callable[[RepoResult], None] | None = None,
) -> Collected:
    """Collect the selected repositories and commit the snapshot.

    When every repository failed nothing is committed; the caller decides what to say.
    """
    from gitmetrics import collect as collectmod
    from gitmetrics import snapshot as snapmod
    from gitmetrics import store as storemod
    from gitmetrics.derive import make_deriver
    from gitmetrics.results import Collected

    cfg = cfg or require_config(opts.config)
    repo, role = opts.repo, opts.role
    repos = cfg.select(repo, role)
    if not repos:
        raise ConfigError(
            f"{cfg.path}: no repositories to collect"
            + (" match the filters" if repo or role else " (the `repos:` list is empty)"),
            "add entries under `repos:`" if not (repo or role) else "check --repo/--role",
        )
    at = None if opts.at is None else backfill_time(opts.at)
    if at is not None and opts.create_issues:
        raise ConfigError(
            "--create-issues cannot go with --at: coordination issues follow the newest "
            "state, and a backfilled collection is history",
            "backfill first, then run `gitmetrics collect --create-issues`",
        )
    where = store_path(cfg, opts.store)
    if not opts.dry_run:
        storemod.check_path(where)  # before minutes of measuring, not after
    snap = collectmod.collect_all(
        cfg,
        repos,
        options=collectmod.Options(run=opts.run, jobs=opts.jobs),
        provenance=storemod.source_of,
        on_result=on_result,
        timestamp=at,
    )
    data = snapmod.to_json(snap)  # validates before anything is written
    result: dict[str, Any] = {
        "commit": None,
        "snapshot_path": None,
        "dry_run": opts.dry_run,
        # a backfill (--at) older than the newest: the merge that placed it in history
        "merge": None,
    }
    if snap.summary.repos_ok == 0:
        return Collected(snap, result)
    issues = _issue_writer(cfg, where, opts.issue_floor) if opts.create_issues else None
    if not opts.dry_run:
        st = storemod.init(where)
        derive = make_deriver(cfg)
        if issues is not None and issues.contributor is not None:
            derive = _with(derive, issues.contributor)
        st.derive = derive
        if at is None:
            done = st.commit_snapshot(snap, retention=cfg.retention, policy=cfg.state_policy())
        else:
            from gitmetrics.store.backfill import commit_at

            done = commit_at(st, snap, retention=cfg.retention, policy=cfg.state_policy())
        result.update(
            commit=done.commit,
            snapshot_path=done.snapshot_path,
            pruned=list(done.pruned),
            merge=done.merge,
            removed=list(done.removed),
        )
        state = done.state
    else:
        result["snapshot_path"] = snapmod.file_name(snap, data)
        state = _preview_state(where, snap, cfg)
    if issues is not None:
        try:
            result["issues"] = issues.finish(snap, opts.dry_run)
        except OSError as exc:
            if result["commit"] is None:
                raise
            raise after_commit_error(
                exc,
                issues.loc.file,
                result["commit"],
                "the collection",
                f"the issues file {issues.loc.describe()} was not updated",
                "run `gitmetrics collect --create-issues` again",
            ) from exc
    assert state is not None
    below = () if opts.fail_below is None else tuple(below_floor(snap, opts.fail_below, state))
    return Collected(snap, result, below, state)


def _preview_state(where: Path, snap: Snapshot, cfg: Config) -> Snapshot:
    """The state a collection would make (``--dry-run``): over the store's, if there is one."""
    from gitmetrics import snapshot as snapmod
    from gitmetrics import store as storemod

    before = None
    if storemod.check_path(where):
        st = storemod.open_store(where)
        try:
            before = st.state()
        finally:
            st.close()
    return snapmod.fold(before, snap, cfg.state_policy())


def backfill_time(text: str, now: datetime | None = None) -> str:
    """The snapshot timestamp ``collect --at`` gives (UTC, whole seconds).

    An ISO 8601 time (with its offset; one without is taken as UTC), a date (its
    midnight, UTC) or a duration ago (``3d``); a time in the future is refused.
    """
    from gitmetrics.history import parse_when

    now = now or datetime.now(UTC)
    try:
        when = parse_when(text, now)
    except GitmetricsError as exc:
        raise ConfigError(f"--at {exc.message}", exc.hint) from None
    if when > now:
        raise ConfigError(
            f"--at {text!r} ({when:%Y-%m-%d %H:%M:%S} UTC) is in the future "
            f"(now is {now:%Y-%m-%d %H:%M:%S} UTC)",
            "a backfilled collection is dated by when its report was made",
        )
    return when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _issue_writer(cfg: Config, store: Path, floor: float | None) -> IssueWriter:
    from gitmetrics import coordination, rules

    loc = coordination.location(cfg, store)

    def read_current() -> bytes | None:
        if loc.file is not None:
            return loc.file.read_bytes() if loc.file.exists() else None
        return _read_store_file(store, loc.tree_path or "")

    return coordination.IssueWriter(loc, rules.floor_for(cfg, floor), read_current, [])


def _read_store_file(store: Path, path: str, *, must_exist: bool = False) -> bytes | None:
    """A file of the store's newest tree; ``None`` when the file (or the store) is absent."""
    from gitmetrics import store as storemod

    if not must_exist and not store.exists():
        return None
    st = storemod.open_store(store)
    try:
        return st.read_file(path) if st.head() else None
    finally:
        st.close()


def _with(base: Deriver, extra: Any) -> Deriver:
    def derive(ctx: Any) -> Mapping[str, bytes | None]:
        return {**base(ctx), **extra(ctx)}

    return derive


def below_floor(snap: Snapshot, floor: float, state: Snapshot | None = None) -> list[str]:
    """What ``--fail-below`` fails on: the plain average of the state (default: of
    ``snap``) and each repository ``snap`` measured.

    Compared exactly, from each repository's counts: 79.999% is below 80 though it is
    stored as 80.0, and exactly 80% is not.
    """
    from fractions import Fraction

    from gitmetrics import percent

    def figures(s: Snapshot) -> list[tuple[RepoResult, Fraction | None]]:
        return [(r, percent.of(r)) for r in s.repositories if r.ok and r.coverage is not None]

    measured = figures(snap)
    out = []
    avg = percent.mean(x for _, x in figures(state or snap) if x is not None)
    if avg is not None and percent.below(avg, floor):
        out.append(f"average {percent.text_against(avg, floor)}")
    out += [
        f"{r.name} {percent.text_against(x, floor)}"
        for r, x in measured
        if x is not None and percent.below(x, floor)
    ]
    return out


def schema(name: str) -> str:
    """The text of a JSON Schema: ``snapshot``, ``state`` (latest.json), ``repos`` (the
    config file), the output of
    a command's ``--json`` (``status``, ``error``, ...), or ``list``: every name, one a line."""
    from gitmetrics import schema as schemamod

    files = {"snapshot": schemamod.SNAPSHOT, "state": schemamod.STATE, "repos": schemamod.REPOS}
    outputs = schemamod.output_names()
    if name == "list":
        return "".join(f"{n}\n" for n in [*files, *outputs, schemamod.VOCABULARY])
    if name in outputs or name == schemamod.VOCABULARY:
        return schemamod.output_schema(name)
    if name not in files:
        raise GitmetricsError(
            f"unknown schema {name!r}",
            "use `snapshot`, `state`, `repos`, or one of `gitmetrics schema list`",
        )
    return schemamod.schema_text(files[name])


# --- views -------------------------------------------------------------------------------


def _reading(config: Path | None, store: Path | None) -> tuple[Store, Config | None]:
    """The store named by the options, and the config when there is one to read."""
    from gitmetrics import store as storemod

    cfg = load_config(config, required=config is not None)
    return storemod.open_store(store_path(cfg, store)), cfg


def history(
    *,
    config: Path | None = None,
    store: Path | None = None,
    limit: int | None = 10,
    since: str | None = None,
    repo: str | None = None,
    role: str | None = None,
    pr: str | None = None,
    component: str | None = None,
) -> Iterator[HistoryRow]:
    """Collections newest first (``limit=None``: all); one repository's or role's figures;
    with ``pr``, from the pull request's recorded measurement (``patch --record``).

    Rows come as they are read; the store is closed when the last one has been taken.
    """
    from gitmetrics.historyview import iter_history

    comp = None
    if component is not None:
        comp = component_named(require_config(config), component)
        if repo is not None or role is not None:
            raise GitmetricsError("--component shows a component alone", "drop --repo/--role")
    st = open_store(config, store)
    try:
        if comp is not None:
            from gitmetrics.filesview import component_history

            yield from component_history(st, comp, limit=limit, since_text=since)
            return
        rev = None
        if pr is not None:
            rev = st.pr_head(pr)
            if rev is None:
                raise StoreError(
                    f"{st.path}: no measurement of the pull request {pr!r} is recorded",
                    f"record one with `gitmetrics patch --repo NAME --record {pr}`",
                )
        yield from iter_history(st, limit=limit, since_text=since, name=repo, role=role, rev=rev)
    finally:
        st.close()


def component_named(cfg: Config, name: str) -> ComponentConfig:
    """The component ``name`` of ``cfg``; ``ConfigError`` naming the known ones otherwise."""
    for c in cfg.components:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in cfg.components) or "(none: add `components:`)"
    raise ConfigError(f"{cfg.path.name}: no component named {name!r}", f"components: {known}")


def status(
    *,
    config: Path | None = None,
    store: Path | None = None,
    repo: Sequence[str] = (),
    role: Sequence[str] = (),
    min_coverage: float | None = None,
) -> StatusView:
    """The newest snapshot, worst first, with the change since the previous one."""
    from gitmetrics.views import build_status

    st, cfg = _reading(config, store)
    try:
        floor = _min_coverage(cfg, min_coverage)
        return build_status(st, floor, names=tuple(repo), roles=tuple(role))
    finally:
        st.close()


def report(
    *,
    config: Path | None = None,
    store: Path | None = None,
    last: int = 10,
    repo: Sequence[str] = (),
    role: Sequence[str] = (),
    min_coverage: float | None = None,
) -> ReportView:
    """The newest snapshot with each repository's history (best, worst, trend)."""
    from gitmetrics.views import build_report

    st, cfg = _reading(config, store)
    try:
        floor = _min_coverage(cfg, min_coverage)
        return build_report(st, floor, window=last, names=tuple(repo), roles=tuple(role))
    finally:
        st.close()


def diff(
    a: str | None = None,
    b: str | None = None,
    *,
    since: str | None = None,
    at: str | None = None,
    config: Path | None = None,
    store: Path | None = None,
    files: bool = False,
) -> DiffView:
    """The per-repository change between two collections (default: previous and newest);
    with ``files``, the per-file change of every repository too."""
    from gitmetrics.views import build_diff

    chosen = [x for x in (since, at) if x is not None]
    if len(chosen) > 1 or (chosen and a is not None and b is not None):
        raise GitmetricsError(
            "diff takes two snapshots at most", "give A and B, or --since/--at and an optional B"
        )
    if chosen:
        a, b = chosen[0], a if a is not None else b
    st, _ = _reading(config, store)
    try:
        return build_diff(st, a, b, files=files)
    finally:
        st.close()


def files(
    repo: str,
    *,
    config: Path | None = None,
    store: Path | None = None,
    at: str | None = None,
    against: str | None = None,
    paths: Sequence[str] = (),
    dirs: bool = False,
    depth: int | None = None,
    sort: str = "path",
) -> FilesView:
    """A repository's files at ``at`` (default: the newest collection) with the change
    against ``against`` (default: its previous measurement); ``paths`` are globs, ``dirs``
    rolls files up per directory (``depth``: the first that many directories)."""
    from gitmetrics.filesview import build_files

    st, _ = _reading(config, store)
    try:
        return build_files(
            st, repo, at=at, against=against, globs=paths, dirs=dirs, depth=depth, sort=sort
        )
    finally:
        st.close()


def explain(
    repo: str | None = None,
    *,
    a: str | None = None,
    b: str | None = None,
    config: Path | None = None,
    store: Path | None = None,
) -> Explained:
    """Why coverage moved from ``a`` to ``b`` (default: the last drop) for ``repo`` or every
    repository that moved: the source range, the files and lines, the commits that touched
    them when the source repository is on this machine."""
    from gitmetrics.explain import build_explain

    st, cfg = _reading(config, store)
    try:
        return build_explain(st, cfg, repo, a=a, b=b)
    finally:
        st.close()


def flaky(
    repo: str | None = None,
    *,
    limit: int | None = None,
    since: str | None = None,
    untouched: bool = False,
    config: Path | None = None,
    store: Path | None = None,
) -> Flaky:
    """The files and lines whose covered state changed between measurements of the same
    source commit, within the newest ``limit`` collections or those since ``since``; with
    ``untouched``, of two commits between which no measured file changed too."""
    from gitmetrics.explain import build_flaky

    st, cfg = _reading(config, store)
    try:
        return build_flaky(st, cfg, repo, limit=limit, since=since, untouched=untouched)
    finally:
        st.close()


def trends(
    *,
    config: Path | None = None,
    store: Path | None = None,
    repo: Sequence[str] = (),
    role: Sequence[str] = (),
    days: int = 30,
    forecast_days: int | None = None,
    min_coverage: float | None = None,
    components: bool = True,
) -> TrendsView:
    """Each repository's coverage over the last ``days`` days of collections."""
    from gitmetrics.views import build_trends

    st, cfg = _reading(config, store)
    try:
        floor = _min_coverage(cfg, min_coverage)
        return build_trends(
            st,
            floor,
            days=days,
            names=tuple(repo),
            roles=tuple(role),
            forecast_days=forecast_days,
            components=cfg.components if cfg is not None and components else (),
        )
    finally:
        st.close()


def dashboard(
    *,
    config: Path | None = None,
    store: Path | None = None,
    output: Path = Path("dashboard.html"),
    at: str | None = None,
    days: int | None = None,
) -> Dashboard:
    """Write the HTML dashboard of the history (up to ``at``, the last ``days`` days)."""
    from gitmetrics import dashboard as shape
    from gitmetrics import history
    from gitmetrics import store as storemod
    from gitmetrics.render.dashboard import render
    from gitmetrics.results import Dashboard
    from gitmetrics.rules import floor_for
    from gitmetrics.snapshot import now_timestamp

    cfg = load_config(config, required=config is not None or store is None)
    min_coverage = _min_coverage(cfg, None)
    st = storemod.open_store(store_path(cfg, store))
    try:
        rev = st.resolve(at) if at is not None else st.head()
        cols = list(history.query(st, history.Query(rev=rev))) if rev is not None else []
        if not cols:
            raise GitmetricsError(
                f"{st.path}: the metrics repository has no collections"
                + (f" at {at}" if at else " yet"),
                "run `gitmetrics collect` first" if at is None else "see `gitmetrics history`",
            )
        if days is not None:
            # trailers carry the timestamp: skip reading snapshots outside the window
            start = max(c.when for c in cols) - timedelta(days=days)
            cols = [c for c in cols if c.when >= start]
        # one snapshot at a time: only the columns and the newest snapshot are kept
        data = shape.build(
            _stored(st, [c.entry for c in cols], st.head() if at is None else None),
            min_coverage=min_coverage,
            days=days,
            generated=now_timestamp(),
            at=at,
            floor=floor_for(cfg) if cfg is not None else None,
            commit_urls=cfg.commit_urls() if cfg is not None else None,
        )
        newest = next((c for c in cols if c.entry.commit == data["last"]["commit"]), None)
        if newest is not None:
            head = st.head() if at is None else None
            if head is not None and head != newest.entry.commit:
                newest = history.Collection.newest_at(st, newest.entry, head)
            data["files"] = file_tables(st, newest, [r["name"] for r in data["rows"]])
        if cfg is not None and cfg.components:
            data["components"] = _dashboard_components(st, cols, cfg.components, data["series"])
    finally:
        st.close()
    page = render(data)
    count = len(data["series"]["t"])
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise GitmetricsError(
            f"{output}: cannot write the dashboard: {exc.strerror or exc}",
            "choose another --output path",
        ) from None
    return Dashboard(output, count, rev, len(page.encode()), at)


def _dashboard_components(
    st: Store, cols: Sequence[Collection], comps: Sequence[ComponentConfig], series: Any
) -> list[dict[str, Any]]:
    """The dashboard's ``components``: their figures in the newest collections."""
    from gitmetrics import dashboard as shape
    from gitmetrics.history import Components, readable

    reader = Components(st, comps)
    figures: dict[str, list[tuple[str, Any]]] = {c.name: [] for c in comps}
    for c in readable(cols[: shape.COMPONENT_POINTS]):
        for found in reader.at(c):
            figures[found.name].append((c.entry.commit, found))
    return shape.components(series, figures, comps)


def export(
    *,
    config: Path | None = None,
    store: Path | None = None,
    fmt: str = "csv",
    files: bool = False,
    output: Path | None = None,
    stdout: IO[str] | None = None,
    limit: int | None = None,
    since: str | None = None,
    repo: Sequence[str] = (),
) -> Exported:
    """Write the history (oldest first) as csv, jsonl, parquet or sqlite rows to ``output``,
    or (csv and jsonl) to ``stdout``."""
    from gitmetrics import export as exportmod
    from gitmetrics import history
    from gitmetrics.history import parse_when
    from gitmetrics.render import export as writers
    from gitmetrics.results import Exported

    if fmt not in writers.FORMATS:
        raise GitmetricsError(
            f"--format {fmt}: unknown export format", f"use one of: {', '.join(writers.FORMATS)}"
        )
    if output is None and (fmt in writers.BINARY or stdout is None):
        raise GitmetricsError(f"--format {fmt} writes a file", "give its path with --output (-o)")
    st, _cfg = _reading(config, store)
    try:
        (newest,) = history.collections(st, history.Query(limit=1))  # none: StoreError
        q = history.Query(limit=limit, since=parse_when(since) if since else None)
        names = tuple(repo)
        if names:
            known = {r.name for r in newest.snapshot.repositories}
            missing = [n for n in names if n not in known]
            if missing:
                raise GitmetricsError(
                    f"repository {missing[0]!r} is not in the newest collection",
                    "check the name with `gitmetrics status`",
                )
        rows = exportmod.rows(st, q, files=files, names=names)
        if output is None:
            assert stdout is not None
            count = writers.write_stream(fmt, rows, stdout)
        else:
            count = writers.write_file(fmt, rows, output)
    finally:
        st.close()
    return Exported(fmt, rows.kind, rows.table, count, output)


def file_tables(st: Store, newest: Collection, names: Sequence[str]) -> dict[str, Any]:
    """The dashboard's files table of each of ``names`` that has per-file detail in
    ``newest``, with the change against its previous different measurement; at most
    ``MAX_FILES`` files each and ``MAX_FILES_TOTAL`` over all, in the order of ``names``."""
    from gitmetrics import dashboard as shape
    from gitmetrics.errors import warn
    from gitmetrics.filesview import previous_of
    from gitmetrics.history import Files

    files = Files(st)
    mine: dict[str, list[Any]] = {}
    for name in names:
        try:
            found = files.of(newest, name)
        except GitmetricsError as exc:
            warn(f"{name}: no files table on the dashboard: {exc.message}")
            continue
        if found is not None:
            mine[name] = found
    before = previous_of(st, files, newest, list(mine))
    left = shape.MAX_FILES_TOTAL
    out: dict[str, Any] = {}
    for name, detail in mine.items():
        other, back = before.get(name, (None, None))
        try:
            theirs = None if other is None else files.of(other, name)
        except GitmetricsError:
            theirs = None
        against = None
        if other is not None and theirs is not None:
            against = shape.file_point(other, name, back)
        out[name] = shape.file_table(
            detail,
            theirs,
            at=shape.file_point(newest, name),
            against=against,
            limit=min(shape.MAX_FILES, left),
        )
        left -= len(out[name]["rows"])
    return out


def _stored(
    st: Store, entries: Iterable[HistoryEntry], head: str | None = None
) -> Iterator[Stored]:
    """Each collection's snapshot file as data (the store's own, so not validated again);
    the newest one is the state of ``head`` when a sync merge came after it."""
    from gitmetrics import dashboard as shape
    from gitmetrics.errors import warn
    from gitmetrics.history import stored_data
    from gitmetrics.snapshot import to_dict

    for i, e in enumerate(entries):
        data = stored_data(st, e)
        if i == 0 and head is not None and head != e.commit and data is not None:
            # a sync merge after the newest collection: its latest.json is the joined state
            joined = st.state(head)
            if joined is not None and joined.timestamp >= e.timestamp:
                data = to_dict(joined)
        if data is None:
            warn(f"skipped collection {e.commit[:10]}: no readable {e.snapshot_path}")
            continue
        yield shape.Stored(data, e.commit, e.snapshot_path)


# --- gates -------------------------------------------------------------------------------


def load_points(st: Store, rules: Rules) -> list[Collection]:
    """The latest collection and as many earlier ones as the rules look back on."""
    from gitmetrics import history
    from gitmetrics import rules as rulesmod

    count, seconds = rulesmod.history_needed(rules)
    count = max(count, LOOKBACK)
    points: list[Collection] = []
    cutoff = None
    for c in history.readable(history.query(st, history.Query(limit=MAX_POINTS))):
        if cutoff is None:
            cutoff = c.when - timedelta(seconds=seconds)
        if len(points) >= count and (not seconds or c.when < cutoff):
            break
        points.append(c)
    return points


def evaluate_store(st: Store, rules: Rules, cfg: Config | None = None) -> CheckResult:
    """Evaluate the rules (and the components' ``min_coverage``) on the store's latest
    collection; a drop comes explained in a line or two (its source range, the files that
    lost coverage)."""
    import dataclasses

    from gitmetrics import rules as rulesmod
    from gitmetrics.filesview import component_breaches

    points = load_points(st, rules)
    if not points:
        raise GitmetricsError(
            f"{st.path}: the metrics repository has no collections yet",
            "run `gitmetrics collect` first",
        )
    result = rulesmod.evaluate(rules, points)
    extra = component_breaches(st, points[0], cfg.components if cfg is not None else ())
    if extra:
        result = dataclasses.replace(result, breaches=(*result.breaches, *extra))
    return explained(st, cfg, result, points)


def explained(
    st: Store, cfg: Config | None, result: CheckResult, points: Sequence[Collection]
) -> CheckResult:
    """``result`` with its drops explained; an explanation that cannot be made is left out
    (with a warning), never a reason for the gate to fail otherwise."""
    import dataclasses

    from gitmetrics.errors import warn
    from gitmetrics.explain import DROPS, short

    if not any(b.rule in DROPS for b in result.breaches):
        return result
    try:
        found = short(st, cfg, result.breaches, points)
    except GitmetricsError as exc:
        warn(f"the drop is not explained: {exc.message}")
        return result
    breaches = tuple(
        dataclasses.replace(b, explained=found.get(b.key, ())) for b in result.breaches
    )
    return dataclasses.replace(result, breaches=breaches)


def configured_rules(
    cfg: Config | None, min_coverage: float | None, max_drop: float | None
) -> Rules:
    """The config's rules with the command-line limits laid over them."""
    from gitmetrics import rules as rulesmod

    base = rulesmod.parse_rules(cfg) if cfg is not None else rulesmod.Rules()
    return rulesmod.override(base, min_coverage=min_coverage, max_drop=max_drop)


def check(
    *,
    config: Path | None = None,
    store: Path | None = None,
    min_coverage: float | None = None,
    max_drop: float | None = None,
) -> CheckResult:
    """Evaluate the rules (the config's, with these limits over them) on the latest collection."""
    from gitmetrics import store as storemod

    cfg = load_config(config, required=store is None or config is not None)
    rules = configured_rules(cfg, min_coverage, max_drop)
    if rules.empty:
        where = cfg.path.name if cfg is not None else "the command line"
        raise ConfigError(
            f"{where}: no rules to check",
            "add `min_coverage:` or a `rules:` section to repos.yaml, or pass "
            "--min-coverage / --max-drop",
        )
    st = storemod.open_store(store_path(cfg, store))
    try:
        return evaluate_store(st, rules, cfg)
    finally:
        st.close()


def watch_plan(
    *,
    config: Path | None = None,
    store: Path | None = None,
    interval: str = "1h",
    threshold: float | None = None,
    max_drop: float | None = None,
    notify: Sequence[str] = (),
    run: bool = False,
    create_issues: bool = False,
) -> WatchPlan:
    """Read the config, the interval, the rules and the alert channels of ``watch``."""
    from gitmetrics import duration
    from gitmetrics import notify as notifymod
    from gitmetrics.results import WatchPlan

    cfg = require_config(config)
    seconds = duration.parse(interval, "--interval", bare="s")
    rules = configured_rules(cfg, threshold, max_drop)
    channels = tuple(notifymod.channels(cfg, tuple(notify)))
    return WatchPlan(cfg, store, seconds, rules, channels, run, create_issues, threshold)


def watch_round(plan: WatchPlan) -> Round:
    """One round: collect and commit, check the rules, send alerts, remember what was sent."""
    from gitmetrics import notify
    from gitmetrics import store as storemod
    from gitmetrics.results import CollectOptions, Round

    done = collect(
        CollectOptions(
            store=plan.store,
            run=plan.run,
            create_issues=plan.create_issues,
            issue_floor=plan.threshold,
        ),
        cfg=plan.cfg,
    )
    if done.nothing:
        return Round(
            done,
            error=nothing_collected("fix the errors above; the next round tries again"),
        )
    if plan.rules.empty:
        return Round(done)
    st = storemod.open_store(store_path(plan.cfg, plan.store))
    try:
        result = evaluate_store(st, plan.rules, plan.cfg)
        if not plan.channels:
            return Round(done, result)
        state = notify.load_state(st.read_file(notify.STATE_PATH))
        deliveries, new_state = notify.notify(result, state, plan.channels)
        if new_state != state:
            sent = sum(d.new + d.recovered for d in deliveries if d.ok)
            try:
                st.commit_files(
                    {notify.STATE_PATH: notify.dump_state(new_state)},
                    f"alerts: {sent} notification(s) sent\n",
                )
            except OSError as exc:
                error = after_commit_error(
                    exc,
                    st.path,
                    done.result["commit"],
                    "the collection",
                    f"the alerts just sent are not recorded in {notify.STATE_PATH}",
                    "expect the next round to send them again",
                )
                return Round(done, result, tuple(deliveries), len(plan.channels), error)
        return Round(done, result, tuple(deliveries), len(plan.channels))
    finally:
        st.close()


def issues(
    *,
    config: Path | None = None,
    store: Path | None = None,
    status: Sequence[str] = (),
    all_issues: bool = False,
) -> Issues:
    """The issues written by ``collect --create-issues`` (only QUALITY ones unless all)."""
    from gitmetrics import coordination
    from gitmetrics.results import Issues

    cfg = require_config(config)
    loc = coordination.location(cfg, store_path(cfg, store))
    if loc.file is not None:
        data = loc.file.read_bytes() if loc.file.exists() else None
    else:
        data = _read_store_file(store_path(cfg, store), loc.tree_path or "", must_exist=True)
    text = None if data is None else data.decode("utf-8")
    found = coordination.read_issues(text, loc.describe())
    shown = [
        i
        for i in found
        if isinstance(i, dict)
        and (all_issues or coordination.is_quality(i))
        and (not status or str(i.get("status", "pending")) in status)
    ]
    return Issues(tuple(shown), loc.describe(), bool(status))


# --- sync ----------------------------------------------------------------------------------


def optional_config(config: Path | None) -> Config | None:
    """The config named by ``--config``, or ./repos.yaml when it exists, else ``None``."""
    from gitmetrics import config as configmod

    if config is None and not configmod.config_path(None).exists():
        return None
    return load_config(config)


def make_remote(
    cfg: Config | None, url: str | None, username: str | None, timeout: float | None = None
) -> Remote:
    """The remote named by the options, then the config (a path there is relative to it)."""
    from gitmetrics import config as configmod
    from gitmetrics.store import sync as syncmod

    if url is None and cfg is not None and cfg.remote:
        url = cfg.remote
        if syncmod.transport_kind(url) == "local" and not Path(url).expanduser().is_absolute():
            url = str(cfg.path.resolve().parent / url)
    if url is None:
        raise SyncError(
            "no remote to sync with",
            "set `remote:` in repos.yaml, pass --remote URL, or start with `gitmetrics clone URL`",
        )
    if username is None and cfg is not None:
        username = cfg.raw.get("remote_username")
    if timeout is None:
        timeout = cfg.network_timeout if cfg is not None else configmod.DEFAULT_NETWORK_TIMEOUT
    return syncmod.make_remote(url, username=username, timeout=timeout)


def _named_remote(
    cfg: Config | None, url: str, username: str | None, timeout: float | None
) -> Remote:
    """A remote given on the command line (never the config's `remote:`), config defaults."""
    return make_remote(
        None,
        url,
        username or (cfg.raw.get("remote_username") if cfg else None),
        timeout if timeout is not None or cfg is None else cfg.network_timeout,
    )


def limits(cfg: Config | None, store: Path) -> Limits:
    """What a remote may send, from the config (its cap, its issues file in the store)."""
    from gitmetrics.store import gate

    if cfg is None:
        return gate.Limits()
    from gitmetrics import coordination

    extra = coordination.location(cfg, store).tree_path
    return gate.Limits(
        max_file_bytes=cfg.max_remote_file_bytes, extra_paths=(extra,) if extra else ()
    )


def _derive_for(st: Store, cfg: Config | None) -> Store:
    """``st`` with the deriver of ``cfg`` (defaults without a config) for merges."""
    from gitmetrics import config as configmod
    from gitmetrics.derive import make_deriver

    base = cfg or configmod.Config(path=configmod.config_path(None), store=st.path, repos=())
    st.derive = make_deriver(base)
    if cfg is not None:
        st.policy = cfg.state_policy()
    return st


def _retention(cfg: Config | None) -> Retention:
    from gitmetrics import config as configmod

    return cfg.retention if cfg is not None else configmod.DEFAULT_RETENTION


def sync(action: str, opts: SyncOptions) -> SyncResult:
    """``push``, ``pull`` or ``sync`` the store with its remote (the first one becomes origin)."""
    from gitmetrics import store as storemod
    from gitmetrics.store import sync as syncmod

    cfg = optional_config(opts.config)
    st = _derive_for(storemod.open_store(store_path(cfg, opts.store)), cfg)
    try:
        recorded = syncmod.recorded_url(st)
        remote = opts.remote
        if remote is None and (cfg is None or not cfg.remote):
            remote = recorded
        rem = make_remote(cfg, remote, opts.username, opts.timeout)
        ops = {"push": syncmod.push, "pull": syncmod.pull, "sync": syncmod.sync}
        result = ops[action](
            st,
            rem,
            retention=_retention(cfg),
            allow_unrelated=opts.allow_unrelated,
            limits=limits(cfg, st.path),
        )
        if recorded is None:
            # like git clone: the first remote a store syncs with becomes its origin
            syncmod.record_remote(st, rem)
    finally:
        st.close()
    return result


def clone(
    url: str,
    path: Path | None = None,
    *,
    config: Path | None = None,
    username: str | None = None,
    bare: bool = False,
    timeout: float | None = None,
) -> Cloned:
    """Start a store from ``url`` and remember it for push/pull/sync."""
    from gitmetrics.results import Cloned
    from gitmetrics.store import sync as syncmod

    cfg = optional_config(config)
    target = path if path is not None else store_path(cfg, None)
    rem = _named_remote(cfg, url, username, timeout)
    st, result = syncmod.clone(
        target, rem, retention=_retention(cfg), bare=bare, limits=limits(cfg, target)
    )
    st.close()
    return Cloned(target, result)


def attach_remote(store: Store, cfg: Config | None, url: str, username: str | None) -> SyncResult:
    """Record ``url`` as the store's origin and pull it (used by ``init --remote``)."""
    from gitmetrics.store import sync as syncmod

    rem = _named_remote(cfg, url, username, None)
    _derive_for(store, cfg)
    syncmod.record_remote(store, rem)
    return syncmod.pull(store, rem, retention=_retention(cfg), limits=limits(cfg, store.path))


# --- maintenance --------------------------------------------------------------------------


def gc(*, config: Path | None = None, store: Path | None = None) -> GcResult:
    """Pack the metrics repository."""
    from gitmetrics.store import pack

    st = open_store(config, store)
    try:
        return pack.gc(st)
    finally:
        st.close()


def verify(*, config: Path | None = None, store: Path | None = None) -> Verified:
    """Check every commit of the store with nothing trusted (readers trust the store)."""
    from gitmetrics import store as storemod
    from gitmetrics.results import Verified
    from gitmetrics.store import gate

    cfg = load_config(config, required=config is not None)
    st = storemod.open_store(store_path(cfg, store))
    try:
        head = st.head()
        found = (
            gate.audit(st.repo.object_store, head, limits=limits(cfg, st.path))
            if head is not None
            else gate.Audit(0, 0, ())
        )
    finally:
        st.close()
    return Verified(str(st.path), found)


# --- adoption -------------------------------------------------------------------------------


def import_history(
    sources: Sequence[Path],
    *,
    kind: str | None = None,
    repo: str | None = None,
    dry_run: bool = False,
    config: Path | None = None,
    store: Path | None = None,
) -> Imported:
    """Import existing history, one collection per entry, dated by its own timestamp."""
    from gitmetrics import importing
    from gitmetrics import store as storemod
    from gitmetrics.config import DEFAULT_RETENTION
    from gitmetrics.derive import make_deriver
    from gitmetrics.results import Imported

    if kind is not None and kind not in importing.KINDS:
        raise importing.ImportSourceError(
            f"--from {kind}: unknown", f"use one of: {', '.join(importing.KINDS)}"
        )
    cfg = load_config(config, required=config is not None)
    found = importing.read_sources(list(sources), kind=kind, repo=repo, config=cfg)
    path = store_path(cfg, store)
    if dry_run:
        existing = storemod.open_store(path).history() if storemod.check_path(path) else ()
        new, already = importing.plan(existing, found.snapshots, in_place=kind == "reports")
        return Imported(tuple(new), already, (), tuple(found.skipped), True)
    st = storemod.init(path)
    try:
        if cfg is not None:
            st.derive = make_deriver(cfg)
        retention = cfg.retention if cfg else DEFAULT_RETENTION
        in_place = None
        if kind == "reports":  # CI artifacts are older than the store's newest, often
            from gitmetrics.store.backfill import commit_at

            def in_place(snap: Snapshot) -> str:
                return commit_at(st, snap, retention=retention).commit

        done = importing.commit_all(st, found.snapshots, retention=retention, in_place=in_place)
    finally:
        st.close()
    return Imported(
        tuple(done.snapshots), done.already, tuple(done.commits), tuple(found.skipped), False
    )


# --- patch ---------------------------------------------------------------------------


def patch(opts: PatchOptions) -> PatchResult:
    """Patch coverage of the change since the base (or of ``--diff-file``) in one repo."""
    from gitmetrics import collect as collectmod
    from gitmetrics import formats
    from gitmetrics import patch as patchmod
    from gitmetrics.formats.merge import merge

    if opts.fail_under is not None and not 0 <= opts.fail_under <= 100:
        raise GitmetricsError(f"--fail-under {opts.fail_under:g}: not between 0 and 100")
    if opts.max_drop is not None and not 0 <= opts.max_drop <= 100:
        raise GitmetricsError(f"--max-drop {opts.max_drop:g}: not between 0 and 100")
    name: str | None = None
    cfg: Config | None = None
    max_bytes = formats.DEFAULT_MAX_BYTES
    fmt = opts.report_format
    if opts.reports:
        if opts.repo is not None:
            raise GitmetricsError("--repo and --report exclude each other", "pick one of them")
        root = (opts.path or Path.cwd()).absolute()
        paths = list(opts.reports)
        for p in paths:
            formats.check_size(p, max_bytes)
    elif opts.path is not None:
        raise GitmetricsError(
            "--path goes with --report", "pass the report too: --path DIR --report FILE"
        )
    else:
        cfg = require_config(opts.config)
        chosen = cfg.select((opts.repo,)) if opts.repo is not None else cfg.repos
        if len(chosen) != 1:
            raise ConfigError(
                f"{cfg.path}: {len(chosen)} repositories: which one?",
                "pass --repo NAME, or --path DIR --report FILE without a config",
            )
        repo = chosen[0]
        name, root, fmt = repo.name, repo.path.absolute(), fmt or repo.format
        max_bytes = cfg.max_report_bytes
        paths = collectmod.report_paths(cfg, repo)
    if (opts.max_drop is not None or opts.record is not None) and cfg is None:
        what = "--max-drop" if opts.max_drop is not None else "--record"
        raise GitmetricsError(
            f"{what} needs the metrics store of a config",
            "run it with --repo NAME of a repos.yaml (its `store:` holds the base's figures)",
        )
    if not root.is_dir():
        raise GitmetricsError(f"{root}: not a directory")
    repo_root = root
    src_roots = opts.src_roots
    commit: str | None = None
    ref: str | None = None
    if opts.diff_file is not None:
        changed = patchmod.read_diff_file(opts.diff_file)
        base = f"diff file {opts.diff_file}"
    else:
        ref = opts.base or patchmod.default_base(root)
        commit = patchmod.merge_base(root, ref)
        changed = patchmod.git_diff(root, commit)
        base = f"{ref} ({commit[:10]})"
        # the diff names files from the top of the work tree, the reports maybe from `root`
        top = patchmod.toplevel(root)
        if top != root.resolve():
            src_roots = (*src_roots, root.resolve().relative_to(top).as_posix())
            root = top
    parsed = []
    indexed: dict[str, list[Any]] = {}
    for p in paths:
        cov = formats.parse(p, fmt, max_bytes=max_bytes)
        patchmod.check_line_data(cov, str(p))
        parsed.append(cov)
        sources = patchmod.cobertura_sources(p) if cov.format == "cobertura" else ()
        files = patchmod.lcov_files(p) if cov.format == "lcov" else cov.files
        for key, found in patchmod.index(files, root, src_roots, sources).items():
            indexed.setdefault(key, []).extend(found)
    result = patchmod.measure(changed, indexed, [c.format for c in parsed])
    against = None
    recorded = None
    if cfg is not None and name is not None:
        merged = merge(parsed, repo_root)
        branch = _branch_of(repo_root, ref) if ref is not None else None
        # the diff's paths are from the top of the work tree, the per-file detail's from
        # the repository's path
        inner = repo_root.resolve().relative_to(root.resolve()).as_posix()
        prefix = "" if inner == "." else inner + "/"
        in_repo = [p.removeprefix(prefix) for p in changed]
        against = _against(cfg, name, merged, repo_root, commit, branch, in_repo)
        if opts.record is not None:
            recorded = _record_patch(cfg, repo, opts.record)
    return patchmod.PatchResult(
        result,
        name,
        str(root),
        base,
        tuple(str(p) for p in paths),
        opts.fail_under,
        against,
        opts.max_drop,
        recorded,
    )


def _record_patch(cfg: Config, repo: RepoConfig, key: str) -> str:
    """Measure the repository as ``collect`` does and commit the measurement on the store's
    ``refs/gitmetrics/pr/<key>``, off the branch (its state does not change)."""
    import socket

    from gitmetrics import collect as collectmod
    from gitmetrics import snapshot as snapmod
    from gitmetrics import store as storemod
    from gitmetrics.store.format import pr_ref

    pr_ref(key)  # a bad key before any work
    result = collectmod.collect_one(cfg, repo, provenance=storemod.source_of)
    if not result.ok:
        raise GitmetricsError(f"--record: {repo.name} could not be measured: {result.error}")
    snap = snapmod.build([result], host=socket.gethostname())
    st = storemod.open_store(cfg.store)
    try:
        ref, commit = st.record_pr(key, snap)
    finally:
        st.close()
    return f"{ref} ({commit[:10]})"


def _branch_of(root: Path, ref: str) -> str | None:
    """The branch name of a ``--base`` ref as collect records it (``origin/main`` -> main);
    a ``--base`` that is no branch (a commit) stands for the remote's default branch."""
    from gitmetrics import patch as patchmod

    name = ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
    try:
        full = patchmod.git(root, "rev-parse", "--symbolic-full-name", ref).decode().strip()
    except GitmetricsError:
        full = ""
    if not full.startswith(("refs/heads/", "refs/remotes/")):
        try:
            name = patchmod.default_base(root)
        except GitmetricsError:
            return None
    first, sep, rest = name.partition("/")
    if sep:
        try:
            remotes = patchmod.git(root, "remote").decode("utf-8", "replace").split()
        except GitmetricsError:
            remotes = []
        if first in remotes:
            return rest
    return name


def _against(
    cfg: Config,
    name: str,
    now: Any,
    root: Path,
    commit: str | None,
    branch: str | None,
    changed: Iterable[str],
) -> Against:
    """The project's coverage now against the repo's measurement at the base in the store:
    the newest collection that measured the merge-base commit, else the newest measurement
    on the default branch (any branch with ``--diff-file``)."""
    from gitmetrics import collect as collectmod
    from gitmetrics import history
    from gitmetrics import patch as patchmod
    from gitmetrics import snapshot as snapmod
    from gitmetrics import store as storemod

    detail = collectmod.detail_of(name, now, root)
    now_files = snapmod.read_files(detail, "the report") if detail is not None else []

    def result(
        base: patchmod.BaseMeasurement | None = None,
        indirect: Iterable[patchmod.FileChange] = (),
        note: str | None = None,
    ) -> Against:
        return patchmod.Against(now.lines_covered, now.lines_valid, base, tuple(indirect), note)

    try:
        st = storemod.open_store(cfg.store)
    except GitmetricsError as exc:
        return result(note=f"no base to compare with: {exc.message}")
    try:
        picked: tuple[Collection, RepoResult, str] | None = None
        fallback: tuple[Collection, RepoResult, str] | None = None
        for c in history.readable(history.query(st)):
            r = c.snapshot.repo(name)
            if r is None or not r.ok:
                continue
            src = r.source
            if commit is not None and src is not None and src.commit == commit:
                picked = (c, r, "merge base")
                break
            on_branch = branch is None or (src is not None and src.branch == branch)
            if fallback is None and on_branch:
                fallback = (c, r, "default branch" if branch is not None else "newest")
        picked = picked or fallback
        if picked is None:
            where = f" on {branch}" if branch is not None else ""
            return result(note=f"no base to compare with: {name} has no measurement{where}")
        c, r, how = picked
        base = patchmod.BaseMeasurement(
            collection=c.entry.commit,
            measured_at=r.measured_at or c.entry.timestamp,
            source_commit=r.source.commit if r.source else None,
            source_branch=r.source.branch if r.source else None,
            found_by=how,
            lines_covered=r.lines_covered,
            lines_valid=r.lines_valid,
            coverage=r.coverage,
        )
        path = snapmod.files_path(name)
        try:
            found = history.Files(st).of(c, name)
        except GitmetricsError as exc:
            return result(base, note=f"the base's per-file detail cannot be read: {exc.message}")
    finally:
        st.close()
    if found is None:
        return result(base, note=f"the base has no per-file detail ({path}): no indirect changes")
    base_files = found
    return result(base, patchmod.indirect_changes(base_files, now_files, changed))
