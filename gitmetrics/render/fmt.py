"""Number formatting shared by every view, so the terminal, files and pages agree."""

from __future__ import annotations

import re

from gitmetrics import percent
from gitmetrics.percent import Number
from gitmetrics.trends import direction

_NOT_TIME = re.compile(r"[^0-9: -]")


def pct(value: Number | None, digits: int = 1) -> str:
    """``83.6%``, or ``-`` without data; never ``100.0%`` for less than 100 (or ``0.0%``)."""
    return percent.text(value, digits)


def count(value: int | None) -> str:
    """``42``, or ``-`` when the figure was not recorded (an imported trend)."""
    return "-" if value is None else str(value)


def trend_text(delta: float | None) -> str:
    """``↑ +1.2``, ``↓ -0.4``, ``=`` or ``-`` (plain text)."""
    d = direction(delta)
    if d == "none" or delta is None:
        return "-"
    if d == "same":
        return "="
    return f"↑ {delta:+.1f}" if d == "up" else f"↓ {delta:+.1f}"


def trend_markup(delta: float | None) -> str:
    """:func:`trend_text` colored for rich: green up, red down."""
    text = trend_text(delta)
    d = direction(delta)
    if d == "up":
        return f"[green]{text}[/]"
    if d == "down":
        return f"[red]{text}[/]"
    return f"[dim]{text}[/]"


def short_time(timestamp: str) -> str:
    """``2026-11-24T10:00:00Z`` -> ``2026-11-24 10:00`` (digits, ``-``, ``:`` and spaces only).

    A timestamp read from a commit trailer is not validated, so anything else in it is
    dropped: the result is safe in every output.
    """
    return _NOT_TIME.sub("", timestamp.replace("T", " ")[:16])


def signed(delta: float | None, digits: int = 1) -> str:
    """``+1.2``, ``-0.4`` or ``-`` without data."""
    return "-" if delta is None else f"{delta:+.{digits}f}"


def bar(value: float | None, width: int = 10) -> str:
    """A text bar for a percentage: ``██████▌   `` (blank without data)."""
    if value is None:
        return " " * width
    eighths = round(max(0.0, min(100.0, value)) / 100.0 * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part else ""
    return ("█" * full + partial).ljust(width)


#: rich styles and hex colors per status, shared by tables, pages and badges
STATUS_STYLE = {
    "good": "green",
    "fair": "yellow",
    "needs work": "red",
    "error": "bold red",
    "no data": "dim",
}
STATUS_COLOR = {
    "good": "#4c1",
    "fair": "#dfb317",
    "needs work": "#e05d44",
    "error": "#9f9f9f",
    "no data": "#9f9f9f",
}


def status_markup(status: str) -> str:
    """A status word colored for rich."""
    return f"[{STATUS_STYLE.get(status, 'dim')}]{status}[/]"


def slope(value: float | None) -> str:
    """``+0.8/wk`` or ``-``."""
    return "-" if value is None else f"{value:+.2f}/wk"


def direction_class(delta: float | None) -> str:
    """``up``, ``down`` or an empty string: a CSS class for a change."""
    d = direction(delta)
    return d if d in ("up", "down") else ""


def age(seconds: int | None) -> str:
    """An age as its largest unit: ``0m``, ``45m``, ``5h``, ``3d``, ``2w``, ``4mo``, ``1y``."""
    if seconds is None:
        return "-"
    for unit, size in (("y", 365 * 86400), ("mo", 30 * 86400), ("w", 7 * 86400), ("d", 86400)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    if seconds >= 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def age_note(carried: bool, stale: bool) -> str:
    """What the status column adds for a carried or stale repository."""
    return ", ".join([*(["carried"] if carried else []), *(["stale"] if stale else [])])


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 file``, ``2 files`` (``many``: the plural when it is not ``one + "s"``)."""
    return f"{n} {one if n == 1 else many or one + 's'}"
