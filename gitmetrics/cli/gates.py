"""Gates, alerts and coordination issues: ``check``, ``watch`` and ``issues``."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    StoreOpt,
    app,
    console,
    console_err,
    handle_errors,
    lazy_module,
    pick_format,
    print_text,
    report_error,
    user_error,
)
from gitmetrics.duration import UNITS_HELP
from gitmetrics.errors import GitmetricsError
from gitmetrics.render import fmt
from gitmetrics.render import terminal as show
from gitmetrics.render.escape import terminal

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    from gitmetrics import api
else:
    api = lazy_module("gitmetrics.api")

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
    format: FormatOpt = "table",
) -> None:
    """Check the latest collection against the rules; exit 1 when any rule is broken."""
    out = pick_format(format, json_out, markdown_out)
    result = api.check(config=config, store=store, min_coverage=min_coverage, max_drop=max_drop)
    if out == "table":
        show.check(console, result)
    else:
        print_text("check", out, result)
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


def _log_round(done: api.Round) -> None:
    """One round of ``watch``: failures, the collection, breaches, alerts delivered."""
    snap = done.collected.snapshot
    s = snap.summary
    for r in snap.repositories:
        if not r.ok:
            console_err.print(f"[red]{terminal(r.name)}: {terminal(r.error or 'failed')}[/]")
    if done.collected.nothing:
        return
    failed = f", [red]{s.repos_failed} failed[/]" if s.repos_failed else ""
    console.print(
        f"collected {s.repos_ok} of {s.repos_count} repos{failed}: avg {fmt.pct(s.avg_coverage)}, "
        f"committed {done.collected.result['commit'][:10]}"
    )
    for a in (done.collected.result.get("issues") or {}).get("actions", []):
        console.print(f"  issue {a['action']} {terminal(a['id'])} ({terminal(a['repo'])})")
    result = done.check
    if result is None:
        return
    if result.ok:
        console.print("[green]all rules pass[/]")
    for b in result.breaches:
        console.print(
            f"[red]breach[/] {terminal(b.repo or '(all)')}: {b.rule}: {terminal(b.message)}"
        )
    if not done.channels:
        return
    deliveries = done.deliveries
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


@app.command()
@handle_errors
def watch(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            "-i",
            help="Time between rounds: 90s, 30m, 1h, 1d (units: "
            f"{UNITS_HELP}; a plain number is seconds).",
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
    plan = api.watch_plan(
        config=config,
        store=store,
        interval=interval,
        threshold=threshold,
        max_drop=max_drop,
        notify=tuple(notify_opt or ()),
        run=run,
        create_issues=create_issues,
    )
    _watch_loop(plan, once=once, interval_text=interval)


def _watch_loop(plan: api.WatchPlan, *, once: bool, interval_text: str) -> None:
    """Rounds until a signal (or one with ``once``); a failed round is reported, not fatal."""
    stopper = _Stopper()
    if not once:  # one round needs no handlers; Ctrl-C then simply interrupts it
        stopper.install()
    rounds = 0
    try:
        while not stopper.event.is_set():
            rounds += 1
            console.print(f"[bold]watch: round {rounds}[/] ({_now()})")
            try:
                done = api.watch_round(plan)
                _log_round(done)
                if done.error is not None:
                    raise done.error
            except (GitmetricsError, OSError) as exc:  # a full disk: the next round retries
                report_error(user_error(exc, "watch"))
                if once:
                    raise typer.Exit(1) from None
            if once:
                break
            if not stopper.event.is_set():
                console.print(f"next round in {interval_text}")
            _flush()
            stopper.event.wait(plan.interval)
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
    format: FormatOpt = "table",
) -> None:
    """List the coordination issues written by `collect --create-issues`."""
    out = pick_format(format, json_out)
    found = api.issues(config=config, store=store, status=status or (), all_issues=all_issues)
    if out == "table":
        show.issues(console, found.shown, found.where, filtered=found.filtered)
    else:
        print_text("issues", out, found.shown)
