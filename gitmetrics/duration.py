"""The one duration grammar of every command and of repos.yaml.

A duration is a number and a unit: ``90s``, ``30m``, ``12h``, ``7d``, ``2w``, ``3mo``,
``1y``, or the same units spelled out (``30 minutes``, ``3 months``). ``m`` is minutes
everywhere; months are ``mo``. ``M`` alone is refused as ambiguous. A month is 30 days and
a year 365 days (durations measure elapsed time, not calendar months).
"""

from __future__ import annotations

import re

from gitmetrics.errors import ConfigError

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR

#: unit (lower case) -> seconds
UNITS: dict[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": MINUTE,
    "min": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": 7 * DAY,
    "week": 7 * DAY,
    "weeks": 7 * DAY,
    "mo": 30 * DAY,
    "month": 30 * DAY,
    "months": 30 * DAY,
    "y": 365 * DAY,
    "year": 365 * DAY,
    "years": 365 * DAY,
}

#: the short spelling of each unit
SHORT = ("s", "m", "h", "d", "w", "mo", "y")

#: the units as the help of every option that takes a duration spells them
UNITS_HELP = "s seconds, m minutes, h hours, d days, w weeks, mo months (30 days), y years"

#: a window of collections rather than of time: ``10 snapshots``
COUNT_WORDS = ("snapshot", "snapshots", "collection", "collections", "run", "runs")

_TEXT = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")


class DurationError(ConfigError):
    """A duration that cannot be read."""


def _hint(count: bool = False) -> str:
    extra = " or a number of collections ('10 snapshots')" if count else ""
    return f"write a number and a unit ({UNITS_HELP}), e.g. 30m, 12h, 7d, 3mo{extra}"


def seconds(text: str, where: str = "duration") -> float | None:
    """The seconds ``text`` spells (``None`` when it is no duration at all).

    ``DurationError`` when it reads as a number and a unit that is ambiguous (``M``).
    """
    m = _TEXT.fullmatch(text.strip())
    if not m:
        return None
    unit = m.group(2)
    if unit == "M":
        raise DurationError(
            f"{where}: {text!r} is ambiguous", "write m for minutes or mo for months"
        )
    factor = UNITS.get(unit.lower())
    if factor is None:
        return None
    return float(m.group(1)) * factor


def parse(text: str | float | int, where: str = "duration", *, bare: str | None = None) -> float:
    """A duration longer than zero, in seconds; ``DurationError`` otherwise.

    ``bare`` is the unit of a plain number (``"s"`` for ``watch --interval 90``); without
    it a plain number is refused.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        if bare is None:
            raise DurationError(f"{where}: {text!r} has no unit", _hint())
        value: float | None = float(text) * UNITS[bare]
    else:
        raw = str(text).strip()
        if bare is not None and re.fullmatch(r"\d+(?:\.\d+)?", raw):
            value = float(raw) * UNITS[bare]
        else:
            value = seconds(raw, where)
    if value is None:
        raise DurationError(f"{where}: {text!r} is not a duration", _hint())
    if value <= 0:
        raise DurationError(f"{where}: {text!r} must be longer than zero")
    return value


def window(value: str | int, where: str) -> tuple[int | None, float | None, str]:
    """A look-back window: ``(collections, None, text)`` or ``(None, seconds, text)``.

    ``10 snapshots`` (or a plain integer) counts collections, at least 2; anything else is
    a duration.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        count: int | None = value
    else:
        m = re.fullmatch(r"(\d+)\s+([A-Za-z]+)", str(value).strip())
        count = int(m.group(1)) if m and m.group(2).lower() in COUNT_WORDS else None
    if count is not None:
        if count < 2:
            raise DurationError(f"{where}: a window needs at least 2 snapshots")
        return count, None, f"{count} snapshots"
    text = str(value).strip()
    found = seconds(text, where)
    if found is None:
        raise DurationError(f"{where}: {value!r} is not a window", _hint(count=True))
    if found <= 0:
        raise DurationError(f"{where}: {value!r} must be longer than zero")
    m = _TEXT.fullmatch(text)
    assert m is not None  # seconds() read it
    number, unit = m.group(1), m.group(2).lower()
    return None, found, f"{number}{unit}" if unit in SHORT else f"{number} {unit}"
