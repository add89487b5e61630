"""Gates, alerts and coordination issues: ``check``, ``watch`` and ``issues``."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    Table,
    app,
    console,
    console_err,
    handle_errors,
    print_json,
    report_error,
    user_error,
)
from gitmetrics.cli.core import load_config, run_collect, store_path
from gitmetrics.errors import ConfigError, GitmetricsError, after_commit_error
from gitmetrics.render import fmt
from gitmetrics.render.escape import markdown as md_escape
from gitmetrics.render.escape import terminal

if TYPE_CHECKING:  # imported where used: `gitmetrics --help` stays fast
    from gitmetrics.config import Config
    from gitmetrics.rules import Breach, CheckResult, Point, Rules

#: collections read for a check at least (to name the last one above a floor)
LOOKBACK = 30
#: never read more than this many collections for a time window
MAX_POINTS = 5000


def load_points(st: Any, rules: Rules) -> list[Point]:
    """The latest collection and as many earlier ones as the rules look back on."""
    from gitmetrics import rules as rulesmod
    from gitmetrics.snapshot import parse_timestamp

    count, seconds = rulesmod.history_needed(rules)
    count = max(count, LOOKBACK)
    points: list[Point] = []
    cutoff = None
    for entry, snap in st.snapshots(limit=MAX_POINTS):
        when = parse_timestamp(entry.timestamp)
        if cutoff is None:
            cutoff = when - timedelta(seconds=seconds)
        if len(points) >= count and (not seconds or when < cutoff):
            break
        points.append(rulesmod.Point(snap, entry.commit))
    return points


def evaluate_store(st: Any, rules: Rules) -> CheckResult:
    """Evaluate the rules on the store's latest collection."""
    from gitmetrics import rules as rulesmod

    points = load_points(st, rules)
    if not points:
        raise GitmetricsError(
            f"{st.path}: the metrics repository has no collections yet",
            "run `gitmetrics collect` first",
        )
    return rulesmod.evaluate(rules, points)


def configured_rules(
    cfg: Config | None, min_coverage: float | None, max_drop: float | None
) -> Rules:
    """The config's rules with the command-line limits laid over them."""
    from gitmetrics import rules as rulesmod

    base = rulesmod.parse_rules(cfg) if cfg is not None else rulesmod.Rules()
    return rulesmod.override(base, min_coverage=min_coverage, max_drop=max_drop)


def _range(b: Breach) -> str:
    """``earlier..latest`` source commits, or the latest alone when there is no earlier one."""
    if b.from_commit and b.from_commit != b.to_commit:
        return f"{b.from_commit[:10]}..{(b.to_commit or '?')[:10]}"
    return b.to_commit[:10] if b.to_commit else "-"


def _value(b: Breach) -> tuple[str, str]:
    if b.rule in ("min_coverage", "min_weighted_coverage"):
        return f"{b.value:.2f}%", f"{b.limit:g}%"
    return f"-{b.value:.2f} pts", f"{b.limit:g} pts"


def markdown(result: CheckResult) -> str:
    """The check as Markdown, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    n = len(result.breaches)
    head = (
        "## gitmetrics check: all rules pass"
        if result.ok
        else f"## gitmetrics check: {n} rule{'s' if n != 1 else ''} broken"
    )
    where = f" (metrics commit `{result.snapshot[:10]}`)" if result.snapshot else ""
    lines = [
        head,
        "",
        f"Collection of {md_escape(result.timestamp)}{where}: "
        f"{len(result.checked)} repositories checked"
        + (f", {len(result.unmeasured)} not measured" if result.unmeasured else "")
        + ".",
    ]
    if result.breaches:
        lines += [
            "",
            "| Repository | Rule | Value | Limit | Source commits | Detail |",
            "|---|---|---:|---:|---|---|",
        ]
        for b in result.breaches:
            value, limit = _value(b)
            rng = _range(b)
            rng = f"`{rng}`" if rng != "-" else rng
            who = md_escape(b.repo or "(all)")
            detail = md_escape(b.message)
            lines.append(f"| {who} | `{b.rule}` | {value} | {limit} | {rng} | {detail} |")
    return "\n".join(lines) + "\n"


def render_check(result: CheckResult) -> None:
    """The check as a table in the terminal."""
    where = f", metrics commit {result.snapshot[:10]}" if result.snapshot else ""
    unmeasured = f", {len(result.unmeasured)} not measured" if result.unmeasured else ""
    console.print(
        f"Checked {len(result.checked)} repositories{unmeasured} "
        f"(collection of {terminal(result.timestamp)}{where})"
    )
    if result.ok:
        console.print("[green]All rules pass.[/]")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col, justify in (
        ("Repository", "left"),
        ("Rule", "left"),
        ("Value", "right"),
        ("Limit", "right"),
        ("Source commits", "left"),
    ):
        table.add_column(col, justify=justify)
    for b in result.breaches:
        value, limit = _value(b)
        table.add_row(terminal(b.repo or "(all)"), b.rule, f"[red]{value}[/]", limit, _range(b))
    console.print(table)
    console.print("")
    for b in result.breaches:
        console.print(
            f"[red]✗[/] {terminal(b.repo or '(all repositories)')}: {terminal(b.message)}"
        )
    n = len(result.breaches)
    console.print(f"\n[red]{n} rule{'s' if n != 1 else ''} broken.[/]")


MinCoverageOpt = Annotated[
    float | None,
    typer.Option(
        "--min-coverage",
        min=0,
        max=100,
        help="Floor in percent for every repository (replaces the configured floors).",
        show_default=False,
    ),
]
MaxDropOpt = Annotated[
    float | None,
    typer.Option(
        "--max-drop",
        min=0,
        max=100,
        help="Largest fall in points against the previous collection (replaces the "
        "configured ones).",
        show_default=False,
    ),
]


@app.command()
@handle_errors
def check(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    min_coverage: MinCoverageOpt = None,
    max_drop: MaxDropOpt = None,
    json_out: JsonOpt = False,
    markdown_out: Annotated[
        bool,
        typer.Option("--markdown", help="Print Markdown (a PR comment or $GITHUB_STEP_SUMMARY)."),
    ] = False,
) -> None:
    """Check the latest collection against the rules; exit 1 when any rule is broken."""
    from gitmetrics import store as storemod

    if json_out and markdown_out:
        raise GitmetricsError("--json and --markdown exclude each other", "pick one")
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
        result = evaluate_store(st, rules)
    finally:
        st.close()
    if json_out:
        print_json(
            {
                "ok": result.ok,
                "timestamp": result.timestamp,
                "snapshot": result.snapshot,
                "checked": list(result.checked),
                "unmeasured": list(result.unmeasured),
                "breaches": [b.to_dict() for b in result.breaches],
            }
        )
    elif markdown_out:
        typer.echo(markdown(result), nl=False)
    else:
        render_check(result)
    if not result.ok:
        raise typer.Exit(1)


# --- watch -------------------------------------------------------------------------


class _Stopper:
    """Turns SIGINT/SIGTERM into a request to stop after the current round."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt  # a second signal: stop now
        self.signum = signum
        self.event.set()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self)
        signal.signal(signal.SIGTERM, self)


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()


def watch_round(
    cfg: Config,
    store: Path | None,
    rules: Rules,
    channels: Sequence[Any],
    *,
    run: bool,
    create_issues: bool,
    threshold: float | None,
) -> dict[str, Any]:
    """One round: collect and commit, check the rules, send alerts, remember what was sent."""
    from gitmetrics import notify
    from gitmetrics import store as storemod

    done = run_collect(cfg, store, run=run, create_issues=create_issues, issue_floor=threshold)
    snap = done.snapshot
    s = snap.summary
    for r in snap.repositories:
        if not r.ok:
            console_err.print(f"[red]{terminal(r.name)}: {terminal(r.error or 'failed')}[/]")
    if s.repos_ok == 0:
        raise GitmetricsError(
            "nothing was collected: every repository failed, so no snapshot was committed",
            "fix the errors above; the next round tries again",
        )
    failed = f", [red]{s.repos_failed} failed[/]" if s.repos_failed else ""
    console.print(
        f"collected {s.repos_ok} of {s.repos_count} repos{failed}: avg {fmt.pct(s.avg_coverage)}, "
        f"committed {done.result['commit'][:10]}"
    )
    for a in (done.result.get("issues") or {}).get("actions", []):
        console.print(f"  issue {a['action']} {terminal(a['id'])} ({terminal(a['repo'])})")
    out: dict[str, Any] = {"commit": done.result["commit"], "breaches": 0, "deliveries": []}
    if rules.empty:
        return out
    st = storemod.open_store(store_path(cfg, store))
    try:
        result = evaluate_store(st, rules)
        out["breaches"] = len(result.breaches)
        if result.ok:
            console.print("[green]all rules pass[/]")
        for b in result.breaches:
            console.print(
                f"[red]breach[/] {terminal(b.repo or '(all)')}: {b.rule}: {terminal(b.message)}"
            )
        if not channels:
            return out
        state = notify.load_state(st.read_file(notify.STATE_PATH))
        deliveries, new_state = notify.notify(result, state, channels)
        for d in deliveries:
            if not d.ok:
                console_err.print(
                    f"[red]alert not delivered[/] via {terminal(d.channel)}: {terminal(d.error or '')}"
                    " (will retry next round)"
                )
            elif d.new or d.recovered:
                console.print(
                    f"alert sent via {terminal(d.channel)}: {d.new} new, {d.recovered} recovered"
                )
        if all(d.ok and not d.new and not d.recovered for d in deliveries):
            console.print(f"no new alerts ({len(result.breaches)} breach(es) already reported)")
        out["deliveries"] = [vars(d) for d in deliveries]
        if new_state != state:
            sent = sum(d.new + d.recovered for d in deliveries if d.ok)
            try:
                st.commit_files(
                    {notify.STATE_PATH: notify.dump_state(new_state)},
                    f"alerts: {sent} notification(s) sent\n",
                )
            except OSError as exc:
                raise after_commit_error(
                    exc,
                    st.path,
                    out["commit"],
                    "the collection",
                    f"the alerts just sent are not recorded in {notify.STATE_PATH}",
                    "expect the next round to send them again",
                ) from exc
    finally:
        st.close()
    return out


@app.command()
@handle_errors
def watch(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    interval: Annotated[
        str,
        typer.Option(
            "--interval", "-i", help="Time between rounds: 90s, 30m, 1h, 1d (plain numbers: s)."
        ),
    ] = "1h",
    once: Annotated[bool, typer.Option("--once", help="Do one round, then exit.")] = False,
    run: Annotated[
        bool,
        typer.Option("--run", help="Run each repo's `command:` first to produce its report."),
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0,
            max=100,
            help="Floor in percent for every repository (like check --min-coverage).",
            show_default=False,
        ),
    ] = None,
    max_drop: MaxDropOpt = None,
    notify_opt: Annotated[
        list[str] | None,
        typer.Option(
            "--notify",
            help="Send alerts through this channel of `notify:` only: email, webhook, or a "
            "webhook's name (repeatable; default: every configured channel).",
            show_default=False,
        ),
    ] = None,
    create_issues: Annotated[
        bool,
        typer.Option("--create-issues", help="Keep coordination issues up to date in every round."),
    ] = False,
) -> None:
    """Collect, check and alert on a schedule until stopped (Ctrl-C or SIGTERM)."""
    from gitmetrics import notify
    from gitmetrics import rules as rulesmod

    cfg = load_config(config)
    assert cfg is not None
    seconds = rulesmod.parse_duration(interval, "--interval")
    rules = configured_rules(cfg, threshold, max_drop)
    channels = notify.channels(cfg, tuple(notify_opt or ()))
    stopper = _Stopper()
    if not once:  # one round needs no handlers; Ctrl-C then simply interrupts it
        stopper.install()
    rounds = 0
    try:
        while not stopper.event.is_set():
            rounds += 1
            console.print(f"[bold]watch: round {rounds}[/] ({_now()})")
            try:
                watch_round(
                    cfg,
                    store,
                    rules,
                    channels,
                    run=run,
                    create_issues=create_issues,
                    threshold=threshold,
                )
            except (GitmetricsError, OSError) as exc:  # a full disk: the next round retries
                report_error(user_error(exc, "watch"))
                if once:
                    raise typer.Exit(1) from None
            if once:
                break
            if not stopper.event.is_set():
                console.print(f"next round in {interval}")
            _flush()
            stopper.event.wait(seconds)
    except KeyboardInterrupt:
        console.print("watch: interrupted")
        _flush()
        raise typer.Exit(130) from None
    if stopper.signum is not None:
        name = signal.Signals(stopper.signum).name
        console.print(f"watch: stopped by {name} after {rounds} round(s)")
    _flush()


def _now() -> str:
    from gitmetrics.snapshot import now_timestamp

    return now_timestamp()


# --- issues ---------------------------------------------------------------------------


@app.command()
@handle_errors
def issues(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="Only issues with this status (repeatable)."),
    ] = None,
    all_issues: Annotated[
        bool,
        typer.Option("--all", help="Every issue of the file, not only gitmetrics' QUALITY ones."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """List the coordination issues written by `collect --create-issues`."""
    from gitmetrics import coordination
    from gitmetrics import store as storemod

    cfg = load_config(config)
    assert cfg is not None
    where = store_path(cfg, store)
    loc = coordination.location(cfg, where)
    if loc.file is not None:
        data = loc.file.read_bytes() if loc.file.exists() else None
    else:
        st = storemod.open_store(where)
        try:
            data = st.read_file(loc.tree_path or "") if st.head() else None
        finally:
            st.close()
    text = None if data is None else data.decode("utf-8")
    found = coordination.read_issues(text, loc.describe())
    shown = [
        i
        for i in found
        if isinstance(i, dict)
        and (all_issues or coordination.is_quality(i))
        and (not status or str(i.get("status", "pending")) in status)
    ]
    if json_out:
        from gitmetrics.coordination import plain

        print_json(plain(shown))
        return
    if not shown:
        console.print(f"No issues in {terminal(loc.describe())}" + (" match" if status else ""))
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("ID", "Status", "Priority", "Repos", "Coverage", "Target", "Updated", "Title"):
        table.add_column(col, justify="right" if col in ("Coverage", "Target") else "left")
    for i in shown:
        meta = i.get("metadata") or {}
        cov = meta.get("current_coverage")
        target = meta.get("target_coverage")
        st_text = str(i.get("status", "pending"))
        color = "green" if st_text in coordination.CLOSED else "yellow"
        table.add_row(
            terminal(str(i.get("id"))),
            f"[{color}]{terminal(st_text)}[/]",
            terminal(str(i.get("priority", ""))),
            terminal(", ".join(map(str, i.get("repos") or []))),
            fmt.pct(cov) if isinstance(cov, int | float) else "-",
            fmt.pct(target, 0) if isinstance(target, int | float) else "-",
            terminal(str(i.get("updated", ""))[:16].replace("T", " ")),
            terminal(str(i.get("title", ""))),
        )
    console.print(table)
    console.print(f"\n{len(shown)} issue(s) in {terminal(loc.describe())}")
