"""One duration grammar: m is minutes everywhere, mo months, M refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitmetrics import duration, rules
from gitmetrics.errors import ConfigError
from gitmetrics.history import parse_when

NOW = datetime(2026, 11, 5, 10, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45s", 45),
        ("30m", 1800),
        ("30 minutes", 1800),
        ("1.5h", 5400),
        ("2d", 172800),
        ("2w", 1209600),
        ("3mo", 3 * 30 * 86400),
        ("3 months", 3 * 30 * 86400),
        ("1y", 365 * 86400),
        ("7D", 7 * 86400),
    ],
)
def test_one_grammar(text: str, seconds: float) -> None:
    assert duration.parse(text) == seconds
    assert rules.parse_window(text, "w").seconds == seconds
    assert parse_when(text, NOW) == datetime.fromtimestamp(NOW.timestamp() - seconds, UTC)


@pytest.mark.parametrize("text", ["3M", "30", "0m", "soon", "3 fortnights", ""])
def test_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        duration.parse(text)


def test_ambiguous_m_names_both_readings() -> None:
    with pytest.raises(ConfigError) as exc:
        duration.parse("3M", "--since")
    assert exc.value.hint == "write m for minutes or mo for months"


def test_plain_numbers_only_where_a_unit_is_implied() -> None:
    assert duration.parse("90", "--interval", bare="s") == 90
    assert duration.parse(90, "--interval", bare="s") == 90
    with pytest.raises(ConfigError, match="not a duration"):
        duration.parse("90", "--since")


def test_windows_count_snapshots_or_time() -> None:
    assert rules.parse_window("10 snapshots", "w") == rules.Window(
        snapshots=10, text="10 snapshots"
    )
    assert rules.parse_window(3, "w").snapshots == 3
    assert rules.parse_window("2 weeks", "w").text == "2 weeks"
    assert rules.parse_window("7D", "w").text == "7d"
    with pytest.raises(ConfigError, match="at least 2"):
        rules.parse_window("1 snapshot", "w")
