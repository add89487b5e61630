"""Coverage rules (floors and drops) and their evaluation against the history (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from fractions import Fraction
from typing import Any, Protocol

from gitmetrics import duration, percent
from gitmetrics.config import Config
from gitmetrics.snapshot import RepoResult, Snapshot, ages

RULE_NAMES = ("min_coverage", "max_drop", "max_drop_over")
#: the rule over all repositories (``repo`` is ``None`` in its breaches)
WEIGHTED = "min_weighted_coverage"


@dataclass(frozen=True)
class Window:
    """A look-back window: a number of collections, or a span of time."""

    snapshots: int | None = None
    seconds: float | None = None
    text: str = ""


@dataclass(frozen=True)
class DropOver:
    """``max_drop_over``: the largest fall allowed within a window."""

    window: Window
    points: float


@dataclass(frozen=True)
class RuleSet:
    """The rules for one repository (``None``: that rule does not apply)."""

    min_coverage: float | None = None
    max_drop: float | None = None
    max_drop_over: DropOver | None = None


@dataclass(frozen=True)
class Rules:
    """Every rule of a config: global, per role, per repository, and the weighted floor."""

    default: RuleSet = RuleSet()
    roles: Mapping[str, RuleSet] = field(default_factory=dict)
    repos: Mapping[str, RuleSet] = field(default_factory=dict)
    min_weighted_coverage: float | None = None

    def for_repo(self, name: str, role: str) -> RuleSet:
        """The rules of one repository: its own keys, then its role's, then the global ones."""
        out = self.default
        for layer in (self.roles.get(role), self.repos.get(name)):
            if layer is not None:
                out = _overlay(out, layer)
        return out

    @property
    def empty(self) -> bool:
        """True when no rule at all is set."""
        sets = [self.default, *self.roles.values(), *self.repos.values()]
        return self.min_weighted_coverage is None and all(s == RuleSet() for s in sets)


class Point(Protocol):
    """What the rules read of a collection (a :class:`gitmetrics.history.Collection`)."""

    @property
    def snapshot(self) -> Snapshot:
        """The full snapshot."""

    @property
    def commit(self) -> str | None:
        """The metrics-repo commit that recorded it."""


@dataclass(frozen=True)
class Breach:
    """One broken rule: which repository, which rule, the value and the limit."""

    repo: str | None
    rule: str
    value: float
    limit: float
    message: str
    role: str | None = None
    #: source commit of the repository in the earlier and in the latest snapshot
    from_commit: str | None = None
    to_commit: str | None = None
    #: timestamps and metrics commits of the earlier and the latest snapshot
    from_timestamp: str | None = None
    to_timestamp: str | None = None
    from_snapshot: str | None = None
    to_snapshot: str | None = None
    #: the repository's measurement in the state checked: when, its age in seconds as of
    #: the collection, kept from an earlier collection, older than its ``max_age``
    measured_at: str | None = None
    age: int | None = None
    carried: bool = False
    stale: bool = False
    #: the component of ``components:`` (repos.yaml) the rule is about, if any
    component: str | None = None
    #: a drop explained in one or two lines (its source range, the files that lost
    #: coverage), added after the rules ran (:func:`gitmetrics.explain.short`)
    explained: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable identity (repository or component, and rule), used to remember what
        was reported."""
        if self.component is not None:
            return f"component:{self.component}:{self.rule}"
        return f"{self.repo or '*'}:{self.rule}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and webhooks."""
        return {
            "repo": self.repo,
            "role": self.role,
            "rule": self.rule,
            "value": self.value,
            "limit": self.limit,
            "message": self.message,
            "from_commit": self.from_commit,
            "to_commit": self.to_commit,
            "from_timestamp": self.from_timestamp,
            "to_timestamp": self.to_timestamp,
            "from_snapshot": self.from_snapshot,
            "to_snapshot": self.to_snapshot,
            **({"component": self.component} if self.component is not None else {}),
            "explained": list(self.explained),
        }


@dataclass(frozen=True)
class CheckResult:
    """The outcome of evaluating every rule on the latest collection."""

    timestamp: str
    snapshot: str | None
    breaches: tuple[Breach, ...]
    checked: tuple[str, ...]
    #: repositories in the config or history that the latest collection could not measure
    unmeasured: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no rule is broken."""
        return not self.breaches


# --- parsing ----------------------------------------------------------------------


def parse_window(value: Any, where: str) -> Window:
    """``7d``, ``12h``, ``2w``, ``3mo`` (time) or ``10 snapshots`` / a plain integer."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        value = str(value)
    count, seconds, text = duration.window(value, where)
    return Window(snapshots=count, seconds=seconds, text=text)


def _ruleset(data: Mapping[str, Any], where: str) -> RuleSet:
    over = data.get("max_drop_over")
    drop_over = None
    if over is not None:
        drop_over = DropOver(
            window=parse_window(over.get("window"), f"{where}.max_drop_over.window"),
            points=float(over["points"]),
        )
    return RuleSet(
        min_coverage=_num(data.get("min_coverage")),
        max_drop=_num(data.get("max_drop")),
        max_drop_over=drop_over,
    )


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def parse_rules(cfg: Config) -> Rules:
    """The rules of a config (``rules:``, its ``roles:``, and keys on each repo entry).

    The top-level ``min_coverage`` is the global floor when ``rules.min_coverage`` is unset.
    """
    raw = cfg.raw
    name = cfg.path.name
    section: Mapping[str, Any] = raw.get("rules") or {}
    default = _ruleset(section, f"{name}: rules")
    if default.min_coverage is None and raw.get("min_coverage") is not None:
        default = replace(default, min_coverage=float(raw["min_coverage"]))
    roles = {
        str(role): _ruleset(body or {}, f"{name}: rules.roles.{role}")
        for role, body in (section.get("roles") or {}).items()
    }
    repos: dict[str, RuleSet] = {}
    for i, entry in enumerate(raw.get("repos") or []):
        rs = _ruleset(entry, f"{name}: repos[{i}]")
        if rs != RuleSet():
            repos[str(entry["name"])] = rs
    return Rules(
        default=default,
        roles=roles,
        repos=repos,
        min_weighted_coverage=_num(section.get(WEIGHTED)),
    )


def override(
    rules: Rules, *, min_coverage: float | None = None, max_drop: float | None = None
) -> Rules:
    """Rules with command-line limits replacing the configured ones at every level."""
    changes: dict[str, Any] = {}
    if min_coverage is not None:
        changes["min_coverage"] = min_coverage
    if max_drop is not None:
        changes["max_drop"] = max_drop
    if not changes:
        return rules
    return Rules(
        default=replace(rules.default, **changes),
        roles={k: replace(v, **changes) for k, v in rules.roles.items()},
        repos={k: replace(v, **changes) for k, v in rules.repos.items()},
        min_weighted_coverage=rules.min_weighted_coverage,
    )


def _overlay(base: RuleSet, top: RuleSet) -> RuleSet:
    return RuleSet(
        min_coverage=top.min_coverage if top.min_coverage is not None else base.min_coverage,
        max_drop=top.max_drop if top.max_drop is not None else base.max_drop,
        max_drop_over=top.max_drop_over if top.max_drop_over is not None else base.max_drop_over,
    )


def history_needed(rules: Rules) -> tuple[int, float]:
    """How far back evaluation looks: (collections, seconds), the latest one included."""
    count, seconds = 2, 0.0
    sets = [rules.default, *rules.roles.values(), *rules.repos.values()]
    for rs in sets:
        if rs.max_drop_over is None:
            continue
        w = rs.max_drop_over.window
        if w.snapshots is not None:
            count = max(count, w.snapshots)
        if w.seconds is not None:
            seconds = max(seconds, w.seconds)
    return count, seconds


# --- evaluation ---------------------------------------------------------------------


def _measured(snap: Snapshot, name: str) -> RepoResult | None:
    r = snap.repo(name)
    return r if r is not None and r.ok and r.coverage is not None else None


def _commit(r: RepoResult | None) -> str | None:
    return None if r is None or r.source is None else r.source.commit


def evaluate(rules: Rules, points: Sequence[Point]) -> CheckResult:
    """Evaluate ``rules`` on ``points[0]`` (the latest) against the rest (newest first).

    A drop compares the latest coverage with the previous collection that measured the
    repository; a drop over a window compares it with the highest coverage in the window.
    A floor breach names the last earlier collection that was at or above the floor.
    """
    if not points:
        raise ValueError("no collection to check")
    latest = points[0]
    snap = latest.snapshot
    earlier = points[1:]
    breaches: list[Breach] = []
    checked: list[str] = []
    unmeasured: list[str] = []
    for repo in snap.repositories:
        now = _measured(snap, repo.name)
        if now is None or now.coverage is None:
            unmeasured.append(repo.name)
            continue
        checked.append(repo.name)
        rs = rules.for_repo(repo.name, repo.role)
        cov = now.coverage
        exact = _exact(now)

        def breach(
            rule: str, value: float, limit: float, message: str, before: Point | None
        ) -> Breach:
            prev = None if before is None else before.snapshot.repo(repo.name)  # noqa: B023
            return Breach(
                repo=repo.name,  # noqa: B023
                role=repo.role,  # noqa: B023
                rule=rule,
                value=round(value, 2),
                limit=limit,
                message=message,
                from_commit=_commit(prev),
                to_commit=_commit(now),  # noqa: B023
                from_timestamp=None if before is None else before.snapshot.timestamp,
                to_timestamp=snap.timestamp,
                from_snapshot=None if before is None else before.commit,
                to_snapshot=latest.commit,
                **ages(now, snap.timestamp),  # noqa: B023
            )

        if rs.min_coverage is not None and percent.below(exact, rs.min_coverage):
            floor = rs.min_coverage
            last_good = next(
                (
                    p
                    for p in earlier
                    if (r := _measured(p.snapshot, repo.name)) is not None
                    and not percent.below(_exact(r), floor)
                ),
                None,
            )
            breaches.append(
                breach(
                    "min_coverage",
                    cov,
                    floor,
                    f"coverage {percent.text_against(exact, floor)} is below the floor of "
                    f"{floor:g}%",
                    last_good,
                )
            )
        previous = next((p for p in earlier if _measured(p.snapshot, repo.name)), None)
        if rs.max_drop is not None and previous is not None:
            before = _measured(previous.snapshot, repo.name)
            assert before is not None and before.coverage is not None
            fell = _exact(before) - exact
            drop = round(float(fell), 2)
            if fell > percent.value(rs.max_drop):
                breaches.append(
                    breach(
                        "max_drop",
                        drop,
                        rs.max_drop,
                        f"coverage fell {drop:.2f} points ({before.coverage:.2f}% -> {cov:.2f}%), "
                        f"more than the {rs.max_drop:g} allowed",
                        previous,
                    )
                )
        if rs.max_drop_over is not None:
            found = _window_peak(rs.max_drop_over.window, snap, earlier, repo.name)
            if found is not None:
                peak_point, peak_exact = found
                peak = float(peak_exact)
                fell = peak_exact - exact
                drop = round(float(fell), 2)
                if fell > percent.value(rs.max_drop_over.points):
                    w = rs.max_drop_over.window.text
                    breaches.append(
                        breach(
                            "max_drop_over",
                            drop,
                            rs.max_drop_over.points,
                            f"coverage fell {drop:.2f} points within {w} ({peak:.2f}% -> "
                            f"{cov:.2f}%), more than the {rs.max_drop_over.points:g} allowed",
                            peak_point,
                        )
                    )
    weighted = snap.summary.weighted_coverage
    weighted_exact = percent.exact(snap.summary.lines_covered, snap.summary.lines_valid)
    if weighted_exact is None and weighted is not None:
        weighted_exact = percent.value(weighted)
    if (
        rules.min_weighted_coverage is not None
        and weighted is not None
        and weighted_exact is not None
        and percent.below(weighted_exact, rules.min_weighted_coverage)
    ):
        breaches.append(
            Breach(
                repo=None,
                rule=WEIGHTED,
                value=weighted,
                limit=rules.min_weighted_coverage,
                message="lines-weighted coverage "
                f"{percent.text_against(weighted_exact, rules.min_weighted_coverage)} is below the floor of "
                f"{rules.min_weighted_coverage:g}%",
                to_timestamp=snap.timestamp,
                to_snapshot=latest.commit,
            )
        )
    return CheckResult(
        timestamp=snap.timestamp,
        snapshot=latest.commit,
        breaches=tuple(breaches),
        checked=tuple(checked),
        unmeasured=tuple(unmeasured),
    )


def _window_peak(
    window: Window, latest: Snapshot, earlier: Sequence[Point], name: str
) -> tuple[Point, Fraction] | None:
    """The earlier collection with the highest coverage of ``name`` inside the window."""
    if window.snapshots is not None:
        inside = list(earlier[: window.snapshots - 1])
    else:
        assert window.seconds is not None
        cutoff = latest.when - timedelta(seconds=window.seconds)
        inside = [p for p in earlier if p.snapshot.when >= cutoff]
    best: tuple[Point, Fraction] | None = None
    for p in inside:
        r = _measured(p.snapshot, name)
        if r is not None and (best is None or _exact(r) > best[1]):
            best = (p, _exact(r))
    return best


def _exact(r: RepoResult) -> Fraction:
    """A measured repository's coverage, exactly (from its counts when it has them)."""
    found = percent.of(r)
    assert found is not None  # only measured results are compared
    return found


def floor_for(cfg: Config, override_floor: float | None = None) -> Callable[[RepoResult], float]:
    """The floor of each repository: ``override_floor``, its rules, else ``min_coverage``."""
    rules = parse_rules(cfg)

    def floor(r: RepoResult) -> float:
        if override_floor is not None:
            return override_floor
        found = rules.for_repo(r.name, r.role).min_coverage
        return cfg.min_coverage if found is None else found

    return floor
