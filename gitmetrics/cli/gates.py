"""Gates, alerts and coordination issues: ``check``, ``watch`` and ``issues``."""

import signal
import sys
import threading
from types import FrameType
from typing import Annotated

import typer

from gitmetrics.cli.common import (
    ConfigOpt,
    FormatOpt,
    JsonOpt,
    StoreOpt,
    api,
    app,
    console,
    console_err,
    gate,
    handle_errors,
    pick_format,
    report_error,
    show,
    user_error,
)
from gitmetrics.cli.common import (
    views as terminal,
)
from gitmetrics.duration import UNITS_HELP
from gitmetrics.errors import ExitCode, GitmetricsError

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
    """Check the latest collection against the rules; exit 3 when any rule is broken."""
    out = pick_format(format, json_out, markdown_out)
    result = api.check(config=config, store=store, min_coverage=min_coverage, max_drop=max_drop)
    show("check", out, result, terminal.check)
    gate(not result.ok)


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
    json_out: JsonOpt = False,
    format: FormatOpt = "table",
) -> None:
    """Collect, check and alert on a schedule until stopped (Ctrl-C or SIGTERM).

    With --once, exit 3 when a rule is broken. --format json prints one line per round.
    """
    out = pick_format(format, json_out)
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
    gate(_watch_loop(plan, out, once=once, interval_text=interval))


def _watch_loop(plan: "api.WatchPlan", out: str, *, once: bool, interval_text: str) -> bool:
    """Rounds until a signal (or one with ``once``); a failed round is reported, not fatal.

    True when the last round broke a rule. Under json, csv or markdown the rounds go to
    stdout as records and what the table says between them to stderr.
    """
    from gitmetrics.render import data
    from gitmetrics.render.registry import watch_chunk

    log = console if out == "table" else console_err
    stopper = _Stopper()
    if not once:  # one round needs no handlers; Ctrl-C then simply interrupts it
        stopper.install()
    rounds, broken = 0, False
    try:
        while not stopper.event.is_set():
            rounds += 1
            at = _now()
            log.print(f"[bold]watch: round {rounds}[/] ({at})")
            done, error = _round(plan)
            if out == "table":
                if done is not None:
                    terminal.watch_round(console, console_err, done)
                if error is not None:
                    report_error(error)
            else:
                record = data.watch_round(rounds, at, done, error)
                typer.echo(watch_chunk(out, record, first=rounds == 1), nl=False)
            broken = done is not None and done.check is not None and not done.check.ok
            if once:
                if error is not None:
                    raise typer.Exit(error.exit_code)
                break
            if not stopper.event.is_set():
                log.print(f"next round in {interval_text}")
            _flush()
            stopper.event.wait(plan.interval)
    except KeyboardInterrupt:
        log.print("watch: interrupted")
        _flush()
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if stopper.signum is not None:
        name = signal.Signals(stopper.signum).name
        log.print(f"watch: stopped by {name} after {rounds} round(s)")
    _flush()
    return broken and once


def _round(plan: "api.WatchPlan") -> "tuple[api.Round | None, GitmetricsError | None]":
    """One round, and the error that ended it (a full disk: the next round retries)."""
    try:
        done = api.watch_round(plan)
    except (GitmetricsError, OSError) as exc:
        return None, user_error(exc, "watch")
    return done, done.error


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
    show("issues", out, found, terminal.issues)
