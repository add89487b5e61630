"""Percentages from counts, exactly: the one place figures are computed, rounded and compared.

A percentage is ``covered / total`` as an exact fraction. Rounding for storage or display
never turns a value that is not 100 into 100, or one that is not 0 into 0 (coverage.py's
``display_covered`` rule): 99.999% shows as 99.9 (one decimal) or 99.99 (two), 0.001% as
0.1 or 0.01. Gates compare the exact fractions, never a rounded float.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Protocol

Number = Fraction | float | int


class Counted(Protocol):
    """What :func:`of` reads of a repository's result."""

    @property
    def ok(self) -> bool: ...
    @property
    def coverage(self) -> float | None: ...
    @property
    def lines_covered(self) -> int | None: ...
    @property
    def lines_valid(self) -> int | None: ...


def exact(covered: int | None, total: int | None) -> Fraction | None:
    """``covered / total`` in percent, exactly; ``None`` without data."""
    if covered is None or total is None or total <= 0:
        return None
    return Fraction(100 * covered, total)


def value(x: Number) -> Fraction:
    """A float read from a file or an option as the exact decimal it was written as."""
    if isinstance(x, Fraction):
        return x
    text = str(x)
    whole, point, decimals = text.partition(".")
    if point and whole.lstrip("-").isdigit() and decimals.isdigit():
        # ``71.05`` is 7105 / 100: read without Fraction's parser of every notation
        return Fraction(int(whole + decimals), 10 ** len(decimals))
    return Fraction(text)


def of(r: Counted) -> Fraction | None:
    """A measured repository's line coverage: from its counts, else its stored figure."""
    if not r.ok:
        return None
    found = exact(r.lines_covered, r.lines_valid)
    if found is not None:
        return found
    return None if r.coverage is None else value(r.coverage)


def mean(values: Iterable[Fraction]) -> Fraction | None:
    """The plain mean, exactly; ``None`` of nothing."""
    numerator, denominator, n = 0, 1, 0
    for x in values:  # summed over one common denominator: no reduction at each step
        numerator = numerator * x.denominator + x.numerator * denominator
        denominator *= x.denominator
        n += 1
    return Fraction(numerator, denominator * n) if n else None


def mean_value(figures: Iterable[Number]) -> Fraction | None:
    """:func:`mean` of each figure's :func:`value`, exactly; ``None`` of nothing.

    The decimals are summed as integers over one power of ten: no :class:`Fraction` per
    figure (a snapshot's mean coverage is read on every ``status``)."""
    total, digits, n = 0, 0, 0  # the sum so far is total / 10**digits
    rest: list[Fraction] = []
    for x in figures:
        n += 1
        if type(x) is float:
            whole, point, decimals = str(x).partition(".")
            if point and decimals.isdigit() and whole.lstrip("-").isdigit():
                places = len(decimals)
                if places > digits:
                    total *= 10 ** (places - digits)
                    digits = places
                total += int(whole + decimals) * 10 ** (digits - places)
                continue
        rest.append(value(x))
    if not n:
        return None
    return (Fraction(total, 10**digits) + sum(rest, Fraction(0))) / n


def rounded(x: Number, digits: int) -> float:
    """``x`` rounded half up to ``digits`` decimals, but never to 100 (or 0) unless it is 100
    (or 0).

    A float is the decimal it was written as (a stored ``71.05`` rounds to ``71.1``, as the
    counts ``54 / 76`` = 71.0526... do), not its nearest binary value (``71.049999...``).
    """
    scale: int = 10**digits
    if type(x) is float and 2 / scale <= x <= 100 - 2 / scale:
        # far from 0 and 100; the nudge is far below any figure's precision and lifts a
        # decimal tie that binary cannot hold (71.05 is 71.04999...) to the tie it was
        return math.floor(x * scale + 0.5 + 1e-7) / scale
    exact_x = value(x)
    return rounded_ratio(exact_x.numerator, exact_x.denominator, digits)


def rounded_ratio(n: int, d: int, digits: int) -> float:
    """The percentage ``n / d`` (``d`` > 0) rounded as :func:`rounded` rounds it, in
    integers (no :class:`Fraction` is built: the ratio need not be in lowest terms)."""
    scale: int = 10**digits  # x * scale is n * scale / d
    if n > 0 and n * scale < d:
        return 1 / scale  # the least figure above 0
    if (100 * scale - 1) * d < n * scale < 100 * scale * d:
        return (100 * scale - 1) / scale  # the greatest below 100
    return ((2 * n * scale + d) // (2 * d)) / scale  # half up


def below(x: Number, floor: Number) -> bool:
    """True when ``x`` is strictly below ``floor``, compared exactly."""
    return value(x) < value(floor)


def text(x: Number | None, digits: int = 1) -> str:
    """``83.6%``, ``99.9%`` for 99.999, or ``-`` without data."""
    return "-" if x is None else f"{rounded(x, digits):.{digits}f}%"


def rounded_counts(covered: int | None, total: int | None, digits: int) -> float | None:
    """:func:`rounded` of :func:`exact` ``(covered, total)``, without building the fraction;
    ``None`` without data."""
    if covered is None or total is None or total <= 0:
        return None
    return rounded_ratio(100 * covered, total, digits)


def counted_text(
    covered: int | None, total: int | None, stored: Number | None, digits: int = 1
) -> str:
    """:func:`text` of ``covered / total`` (of :func:`exact`), or of ``stored`` without counts."""
    found = rounded_counts(covered, total, digits)
    return text(stored, digits) if found is None else f"{found:.{digits}f}%"


def text_against(x: Number, floor: Number, digits: int = 2) -> str:
    """``x`` with enough decimals (up to 6) that it does not read as ``floor`` it is below."""
    while digits < 6 and rounded(x, digits) >= value(floor):
        digits += 1
    return text(x, digits)
