"""The pure series functions: thresholds, sparklines, least squares and forecasts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gitmetrics import trends

T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)


def daily(values: list[float | None]) -> list[tuple[datetime, float | None]]:
    return [(T0 + timedelta(days=i), v) for i, v in enumerate(values)]


def test_status_thresholds() -> None:
    assert trends.status(80.0, 80) == "good"
    assert trends.status(79.99, 80) == "fair"
    assert trends.status(60.0, 80) == "fair"
    assert trends.status(59.9, 80) == "needs work"
    assert trends.status(None, 80) == "no data"
    assert trends.status(95.0, 80, ok=False) == "error"


def test_sparkline_scales_to_the_series_range() -> None:
    assert trends.sparkline([0.0, 50.0, 100.0]) == "▁▅█"
    assert trends.sparkline([70.0, 70.0]) == "▄▄"
    assert trends.sparkline([None, 10.0, 20.0]) == " ▁█"
    assert trends.spark_levels([1.0, 2.0], levels=3) == [0, 2]


def test_a_long_series_is_drawn_in_at_most_spark_width_shares() -> None:
    assert trends.SPARK_WIDTH == 20
    ramp = [float(i) for i in range(721)]  # a month of hourly collections
    line = trends.sparkline(ramp)
    assert len(line) == 20 and line[0] == "▁" and line[-1] == "█"
    assert list(line) == sorted(line)  # a rising series still rises
    assert trends.squeeze([1.0, 3.0, None, None, 5.0, 7.0], width=3) == [2.0, None, 6.0]
    assert trends.squeeze([1.0, None, 2.0], width=2) == [1.0, 2.0]
    assert trends.sparkline([10.0] * 30 + [20.0], width=30) == "▁" * 29 + "█"  # 31 in 30
    assert trends.sparkline([1.0, 2.0]) == "▁█"  # short: as it is


def test_best_worst_and_window_change_skip_gaps() -> None:
    assert trends.best_worst([None, 3.0, 9.0, 1.0]) == (9.0, 1.0)
    assert trends.best_worst([None]) == (None, None)
    assert trends.window_change([None, 50.0, 52.5, None]) == 2.5


def test_least_squares_slope_per_week() -> None:
    line = trends.fit(daily([50.0, 51.0, 52.0, 53.0]))
    assert line is not None
    assert abs(line.slope_per_week - 7.0) < 1e-9
    assert abs(line.r2 - 1.0) < 1e-9
    assert trends.fit(daily([50.0])) is None


def test_forecast_on_a_known_slope_gives_the_date() -> None:
    # +0.5 points a day from 60 on 2026-11-05: 80 is 40 days later, on 2026-12-15
    f = trends.forecast(daily([58.0, 58.5, 59.0, 59.5, 60.0]), 80.0)
    assert f.verdict == "rising"
    assert f.slope_per_week == 3.5
    assert f.projected == 75.0  # 60 + 30 * 0.5
    assert f.crossing == "reach"
    assert f.crossing_date == date(2026, 12, 15)
    assert f.crossing_text == "reaches 80% on 2026-12-15"


def test_forecast_of_a_falling_series_above_the_threshold() -> None:
    f = trends.forecast(daily([90.0, 89.0, 88.0, 87.0, 86.0]), 80.0)
    assert f.verdict == "falling"
    assert f.crossing_date == date(2026, 11, 11)  # 86 - 6 days * 1
    assert f.crossing_text == "falls below 80% on 2026-11-11"
    assert f.projected == 56.0


def test_flat_and_noisy_series_say_so() -> None:
    flat = trends.forecast(daily([70.0, 70.0, 70.01, 70.0]), 80.0)
    assert flat.verdict == "flat"
    assert flat.crossing_date is None
    assert flat.crossing_text == "not at this rate"
    assert flat.projected == 70.0
    noisy = trends.forecast(daily([60.0, 75.0, 58.0, 77.0, 59.0, 74.0, 61.0]), 80.0)
    assert noisy.verdict == "noisy"
    assert noisy.crossing_date is None
    assert noisy.crossing_text == "not at this rate"


def test_forecast_moving_away_from_the_threshold_never_crosses() -> None:
    f = trends.forecast(daily([50.0, 49.0, 48.0]), 80.0)
    assert f.verdict == "falling"
    assert f.crossing is None
    assert f.crossing_text == "not at this rate"


def test_forecast_needs_three_points() -> None:
    f = trends.forecast(daily([50.0, 60.0]), 80.0)
    assert f.verdict == "too few points"
    assert f.crossing_text == "not at this rate"


def test_crossings_beyond_the_horizon_are_not_at_this_rate() -> None:
    f = trends.forecast(daily([10.0, 10.2, 10.4]), 80.0)  # +0.2/day: 350 days away
    assert f.crossing_date is not None
    f = trends.forecast(daily([10.0, 10.2, 10.4]), 80.0, horizon_days=100)
    assert f.crossing_date is None
