"""A line chart drawn with characters, for the terminal (``trends --plot``)."""

from __future__ import annotations

from collections.abc import Sequence

MARKERS = "●◆▲■✚○◇△□"


def plot(
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    height: int = 12,
    width: int = 60,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Rows of a chart (top first, with a y axis) and ``(marker, name)`` legend pairs.

    Every series has one value per x position (oldest first); later series draw over
    earlier ones where they meet.
    """
    values = [v for _, vals in series for v in vals if v is not None]
    if not values:
        return ["(no data)"], []
    lo, hi = min(values), max(values)
    if hi - lo < 1:
        lo, hi = lo - 1, hi + 1
    n = max(len(vals) for _, vals in series)
    cols = min(width, max(2, (n - 1) * 6 + 1))
    grid = [[" "] * cols for _ in range(height)]
    legend = []
    for i, (name, vals) in enumerate(series):
        mark = MARKERS[i % len(MARKERS)]
        legend.append((mark, name))
        for j, v in enumerate(vals):
            if v is None:
                continue
            x = 0 if n == 1 else round(j * (cols - 1) / (n - 1))
            y = round((v - lo) / (hi - lo) * (height - 1))
            grid[height - 1 - y][x] = mark
    rows = []
    for k, cells in enumerate(grid):
        level = hi - k * (hi - lo) / (height - 1)
        label = f"{level:6.1f}%" if k in (0, height // 2, height - 1) else " " * 7
        rows.append(f"{label} ┤{''.join(cells)}")
    rows.append(" " * 8 + "└" + "─" * cols)
    return rows, legend
