"""Exact figures: percentages from counts, never shown or stored as 100 (or 0) unless they
are, and gates that compare the counts rather than a rounded float."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gitmetrics import api, percent, rules
from gitmetrics.history import Collection
from gitmetrics.render import fmt
from gitmetrics.snapshot import build, pct
from tests.gates.conftest import result


@pytest.mark.parametrize(
    ("covered", "valid", "one", "two", "stored"),
    [
        (99999, 100000, "99.9%", "99.99%", 99.99),
        (999999, 1000000, "99.9%", "99.99%", 99.99),
        (1, 100000, "0.1%", "0.01%", 0.01),
        (100, 100, "100.0%", "100.00%", 100.0),
        (0, 100, "0.0%", "0.00%", 0.0),
        (80, 100, "80.0%", "80.00%", 80.0),
        (2, 3, "66.7%", "66.67%", 66.67),
    ],
)
def test_display_and_storage_never_round_to_the_ends(
    covered: int, valid: int, one: str, two: str, stored: float
) -> None:
    exact = percent.exact(covered, valid)
    assert exact == Fraction(100 * covered, valid)
    assert (fmt.pct(exact), fmt.pct(exact, 2)) == (one, two)
    assert pct(covered, valid) == stored
    # a stored float shows the same way
    assert fmt.pct(stored) == one


def test_a_float_near_the_ends_is_not_shown_as_the_end() -> None:
    assert fmt.pct(99.999) == "99.9%"
    assert fmt.pct(99.96) == "99.9%"
    assert fmt.pct(0.001, 2) == "0.01%"
    assert fmt.pct(None) == "-"


def _check(covered: int, valid: int, floor: float) -> rules.CheckResult:
    snap = build([result("api", covered, valid)], host="ci", timestamp="2026-01-01T00:00:00Z")
    return rules.evaluate(
        rules.Rules(default=rules.RuleSet(min_coverage=floor)), [Collection.of(snap, "m0")]
    )


def test_exactly_the_floor_passes() -> None:
    assert _check(80, 100, 80).ok
    assert _check(8, 10, 80.0).ok


def test_just_below_the_floor_breaks_it_though_it_is_stored_as_the_floor() -> None:
    assert pct(79999, 100000) == 80.0  # two decimals: stored as the floor
    found = _check(79999, 100000, 80)
    (breach,) = found.breaches
    assert breach.message == "coverage 79.999% is below the floor of 80%"


def test_a_drop_is_measured_exactly() -> None:
    # 80.004% -> 78%: a fall of 2.004 points breaks max_drop 2, though both round to 2.00
    before = build([result("api", 80004, 100000)], host="ci", timestamp="2026-01-01T00:00:00Z")
    now = build([result("api", 78, 100)], host="ci", timestamp="2026-01-02T00:00:00Z")
    r = rules.Rules(default=rules.RuleSet(max_drop=2))
    found = rules.evaluate(r, [Collection.of(now, "m1"), Collection.of(before, "m0")])
    assert [b.rule for b in found.breaches] == ["max_drop"]
    exactly = build([result("api", 80, 100)], host="ci", timestamp="2026-01-01T00:00:00Z")
    assert rules.evaluate(r, [Collection.of(now, "m1"), Collection.of(exactly, "m0")]).ok


def test_fail_below_compares_counts() -> None:
    at = build([result("api", 80, 100)], host="ci", timestamp="2026-01-01T00:00:00Z")
    assert api.below_floor(at, 80) == []
    under = build([result("api", 79999, 100000)], host="ci", timestamp="2026-01-01T00:00:00Z")
    assert under.summary.avg_coverage == 80.0
    assert api.below_floor(under, 80) == ["average 79.999%", "api 79.999%"]
