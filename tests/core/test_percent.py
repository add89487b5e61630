"""Exact percentages: rounding and means computed in integers agree with their definitions
in fractions, including at the edges near 0 and 100."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from gitmetrics import percent


def defined_rounding(x: Fraction, digits: int) -> float:
    """Half up, but never to 0 or 100 unless it is 0 or 100: the rule as written."""
    near0 = Fraction(1, 10**digits)
    if 0 < x < near0:
        return float(near0)
    if 100 - near0 < x < 100:
        return float(100 - near0)
    return math.floor(x * 10**digits + Fraction(1, 2)) / 10**digits


counts = st.integers(min_value=1, max_value=10**9).flatmap(
    lambda total: st.tuples(st.integers(min_value=0, max_value=total), st.just(total))
)


@given(counts, st.integers(min_value=0, max_value=6))
def test_rounding_in_integers_is_the_rule(pair: tuple[int, int], digits: int) -> None:
    x = percent.exact(*pair)
    assert x is not None
    assert percent.rounded(x, digits) == defined_rounding(x, digits)


def test_rounding_at_the_edges() -> None:
    assert percent.rounded(Fraction(99_999, 1000), 1) == 99.9
    assert percent.rounded(Fraction(99_999, 1000), 2) == 99.99
    assert percent.rounded(Fraction(1, 1000), 1) == 0.1
    assert percent.rounded(Fraction(0), 1) == 0.0
    assert percent.rounded(Fraction(100), 1) == 100.0
    assert percent.rounded(Fraction(7105, 100), 1) == 71.1  # a tie goes up
    assert percent.rounded(Fraction(5400, 76), 1) == 71.1
    assert percent.rounded(71.05, 1) == 71.1  # a float is the decimal it was written as


@given(st.lists(counts, max_size=60))
def test_mean_is_the_exact_mean(pairs: list[tuple[int, int]]) -> None:
    values = [Fraction(100 * c, t) for c, t in pairs]
    expected = sum(values, Fraction(0)) / len(values) if values else None
    assert percent.mean(iter(values)) == expected


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**20), 10**20))
def test_a_figure_is_the_decimal_it_was_written_as(x: float) -> None:
    assert percent.value(x) == Fraction(str(x))


def test_decimals_are_exact() -> None:
    assert percent.value(71.05) == Fraction(7105, 100)
    assert percent.value(-0.5) == Fraction(-1, 2)
    assert percent.value(1e-07) == Fraction(1, 10**7)
    assert percent.value(3) == 3
