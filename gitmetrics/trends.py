"""Pure functions over coverage series: changes, arrows, thresholds, sparklines, forecasts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

#: Changes smaller than this (in points) read as "no change".
EPSILON = 0.005


def change(current: float | None, previous: float | None) -> float | None:
    """``current - previous`` in points, ``None`` when either is missing."""
    if current is None or previous is None:
        return None
    return round(current - previous, 2)


def direction(delta: float | None) -> str:
    """``up``, ``down``, ``same`` or ``none`` for a change in points."""
    if delta is None:
        return "none"
    if delta > EPSILON:
        return "up"
    if delta < -EPSILON:
        return "down"
    return "same"


def changes(series: Sequence[float | None]) -> list[float | None]:
    """Change of each value against the one before it (oldest first; first is ``None``)."""
    return [None, *(change(b, a) for a, b in itertools.pairwise(series))]


# --- thresholds -------------------------------------------------------------------

#: Coverage at or above this (in percent) is "fair"; ``min_coverage`` makes it "good".
FAIR_COVERAGE = 60.0

GOOD = "good"
FAIR = "fair"
NEEDS_WORK = "needs work"
ERROR = "error"
NO_DATA = "no data"

#: Worst first: the order tables are sorted in.
STATUS_ORDER = (ERROR, NO_DATA, NEEDS_WORK, FAIR, GOOD)


def status(
    coverage: float | None,
    min_coverage: float,
    *,
    ok: bool = True,
    fair: float = FAIR_COVERAGE,
) -> str:
    """``good`` (>= min_coverage), ``fair`` (>= fair), ``needs work``, ``error`` or ``no data``."""
    if not ok:
        return ERROR
    if coverage is None:
        return NO_DATA
    if coverage >= min_coverage:
        return GOOD
    if coverage >= min(fair, min_coverage):
        return FAIR
    return NEEDS_WORK


# --- series -----------------------------------------------------------------------


def best_worst(series: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Highest and lowest value of a series, ignoring gaps."""
    values = [v for v in series if v is not None]
    return (max(values), min(values)) if values else (None, None)


def window_change(series: Sequence[float | None]) -> float | None:
    """Last value minus first value of a series, ignoring gaps."""
    values = [v for v in series if v is not None]
    return change(values[-1], values[0]) if len(values) >= 2 else None


SPARK_CHARS = "▁▂▃▄▅▆▇█"


def spark_levels(
    series: Sequence[float | None],
    lo: float | None = None,
    hi: float | None = None,
    levels: int = len(SPARK_CHARS),
) -> list[int | None]:
    """Each value scaled to ``0 .. levels-1`` between ``lo`` and ``hi`` (default: its range)."""
    values = [v for v in series if v is not None]
    if not values:
        return [None for _ in series]
    low = min(values) if lo is None else lo
    high = max(values) if hi is None else hi
    span = high - low
    out: list[int | None] = []
    for v in series:
        if v is None:
            out.append(None)
        elif span <= EPSILON:
            out.append(levels // 2 - 1 if levels > 1 else 0)
        else:
            frac = (min(max(v, low), high) - low) / span
            out.append(round(frac * (levels - 1)))
    return out


#: The most characters a sparkline has (a `trends` row then fits 80 columns); a longer
#: series is drawn in as many equal shares, each the mean of its values.
SPARK_WIDTH = 20


def squeeze(series: Sequence[float | None], width: int = SPARK_WIDTH) -> list[float | None]:
    """``series`` cut into at most ``width`` consecutive shares as equal as can be, each
    the mean of its values (``None``: none measured); a shorter series as it is."""
    n = len(series)
    if n <= width:
        return list(series)
    out: list[float | None] = []
    for i in range(width):
        values = [v for v in series[i * n // width : (i + 1) * n // width] if v is not None]
        out.append(sum(values) / len(values) if values else None)
    return out


def sparkline(
    series: Sequence[float | None],
    lo: float | None = None,
    hi: float | None = None,
    width: int = SPARK_WIDTH,
) -> str:
    """A one-line chart such as ``▁▃▅█`` (a gap is a space), at most ``width`` long."""
    levels = spark_levels(squeeze(series, width), lo, hi)
    return "".join(" " if lvl is None else SPARK_CHARS[lvl] for lvl in levels)


# --- least squares and forecast -----------------------------------------------------

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Fit:
    """A least-squares line through ``(day, value)`` points."""

    slope_per_day: float
    intercept: float
    r2: float
    points: int

    @property
    def slope_per_week(self) -> float:
        """The slope in points per week."""
        return self.slope_per_day * 7.0


def fit(points: Sequence[tuple[datetime, float | None]]) -> Fit | None:
    """Least squares of value against time (in days); ``None`` under 2 distinct times."""
    pts = [(t, v) for t, v in points if v is not None]
    if len(pts) < 2:
        return None
    # seconds since the epoch: whole seconds are exact, so differences are too
    seconds = [t.timestamp() for t, _ in pts]
    t0 = min(seconds)
    xs = [(t - t0) / SECONDS_PER_DAY for t in seconds]
    ys = [v for _, v in pts]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum([(x - mx) ** 2 for x in xs])
    if sxx <= 0:
        return None
    sxy = sum([(x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)])
    syy = sum([(y - my) ** 2 for y in ys])
    slope = sxy / sxx
    r2 = 1.0 if syy <= 0 else (sxy * sxy) / (sxx * syy)
    return Fit(slope_per_day=slope, intercept=my - slope * mx, r2=r2, points=n)


#: Slopes smaller than this (points per week) read as flat.
FLAT_SLOPE_PER_WEEK = 0.1
#: Fits that explain less than this share of the variance read as noise.
NOISY_R2 = 0.5
#: Crossings further away than this read as "not at this rate".
HORIZON_DAYS = 730

RISING = "rising"
FALLING = "falling"
FLAT = "flat"
NOISY = "noisy"
TOO_FEW = "too few points"


@dataclass(frozen=True)
class Forecast:
    """Where a series is heading: projected value and when it crosses the threshold."""

    verdict: str
    slope_per_week: float | None
    r2: float | None
    current: float | None
    projected: float | None
    days: int
    threshold: float
    #: ``reach`` (climbing to the threshold) or ``fall`` (dropping below it), else ``None``
    crossing: str | None
    crossing_date: date | None

    @property
    def crossing_text(self) -> str:
        """``reaches 80% on 2026-12-01``, ``falls below 80% on ...`` or ``not at this rate``."""
        if self.crossing_date is None:
            return "not at this rate"
        verb = "reaches" if self.crossing == "reach" else "falls below"
        return f"{verb} {self.threshold:g}% on {self.crossing_date.isoformat()}"


def forecast(
    points: Sequence[tuple[datetime, float | None]],
    threshold: float,
    *,
    days: int = 30,
    horizon_days: int = HORIZON_DAYS,
) -> Forecast:
    """Project a series ``days`` ahead of its last point from its least-squares slope.

    The projection starts at the last measured value (where the repository is now) and
    moves at the fitted rate; flat and noisy series project no crossing.
    """
    pts = [(t, v) for t, v in points if v is not None]
    current = pts[-1][1] if pts else None
    line = fit(pts) if len(pts) >= 3 else None
    if line is None or current is None:
        return Forecast(TOO_FEW, None, None, current, None, days, threshold, None, None)
    slope_w = line.slope_per_week
    if abs(slope_w) < FLAT_SLOPE_PER_WEEK:
        verdict = FLAT
    elif line.r2 < NOISY_R2:
        verdict = NOISY
    else:
        verdict = RISING if slope_w > 0 else FALLING
    rate = line.slope_per_day if verdict in (RISING, FALLING) else 0.0
    projected = round(min(100.0, max(0.0, current + rate * days)), 2)
    crossing: str | None = None
    when: date | None = None
    if rate > 0 and current < threshold:
        crossing = "reach"
    elif rate < 0 and current >= threshold:
        crossing = "fall"
    if crossing is not None:
        ahead = (threshold - current) / rate
        if ahead <= horizon_days:
            when = (pts[-1][0] + timedelta(days=ahead)).date()
        else:
            crossing = None
    return Forecast(
        verdict,
        round(slope_w, 3),
        round(line.r2, 3),
        current,
        projected,
        days,
        threshold,
        crossing,
        when,
    )
