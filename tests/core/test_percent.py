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


@given(counts, st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=10**6))
def test_a_ratio_in_any_terms_rounds_as_its_fraction(
    pair: tuple[int, int], digits: int, k: int
) -> None:
    covered, total = pair
    x = Fraction(100 * covered, total)
    assert percent.rounded_ratio(100 * covered * k, total * k, digits) == percent.rounded(x, digits)
    assert percent.counted_text(covered, total, None, digits) == percent.text(x, digits)


def test_counted_text_without_counts_shows_the_stored_figure() -> None:
    assert percent.counted_text(None, 10, 71.05) == "71.1%"
    assert percent.counted_text(3, 0, 12.0) == "12.0%"
    assert percent.counted_text(None, None, None) == "-"
    assert percent.counted_text(99_999, 100_000, None, 2) == "99.99%"


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


figures = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**20), 10**20)


@given(st.lists(figures | st.floats(0, 100).map(lambda x: round(x, 2)), max_size=40))
def test_the_mean_of_figures_is_the_mean_of_their_decimals(xs: list[float]) -> None:
    assert percent.mean_value(iter(xs)) == percent.mean(map(percent.value, xs))


@given(figures)
def test_a_figure_is_the_decimal_it_was_written_as(x: float) -> None:
    assert percent.value(x) == Fraction(str(x))


def test_decimals_are_exact() -> None:
    assert percent.value(71.05) == Fraction(7105, 100)
    assert percent.value(-0.5) == Fraction(-1, 2)
    assert percent.value(1e-07) == Fraction(1, 10**7)
    assert percent.value(3) == 3
