"""Number formatting shared by every view, so the terminal, files and pages agree."""

from __future__ import annotations

from gitmetrics.trends import direction


def pct(value: float | None, digits: int = 1) -> str:
    """``83.6%``, or ``-`` without data."""
    return "-" if value is None else f"{value:.{digits}f}%"


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
    """``2026-11-24T10:00:00Z`` -> ``2026-11-24 10:00``."""
    return timestamp.replace("T", " ")[:16]
