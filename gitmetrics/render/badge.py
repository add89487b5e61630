"""Self-contained SVG coverage badges (no fonts, images or scripts fetched)."""

from __future__ import annotations

from gitmetrics.render import escape, fmt

#: Rough advance width of Verdana 11px, per character class, so text fits its box.
_NARROW = set("ijlt.,:;!|'()[] ")
_WIDE = set("mwMW%@")


def text_width(text: str) -> int:
    """An estimate of the rendered width of ``text`` in pixels."""
    total = 0.0
    for ch in text:
        total += 3.5 if ch in _NARROW else 10.0 if ch in _WIDE else 7.0
    return round(total)


def badge(label: str, value: str, color: str) -> str:
    """A flat two-part badge: ``label | value`` with the value on ``color``."""
    lw, vw = text_width(label) + 10, text_width(value) + 10
    w = lw + vw
    label_e, value_e = escape.html(label), escape.html(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" '
        f'aria-label="{label_e}: {value_e}">'
        f"<title>{label_e}: {value_e}</title>"
        '<linearGradient id="s" x2="0" y2="100%">'
        '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath>'
        '<g clip-path="url(#r)">'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{vw}" height="20" fill="{color}"/>'
        f'<rect width="{w}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lw / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{label_e}</text>'
        f'<text x="{lw / 2:.1f}" y="14">{label_e}</text>'
        f'<text x="{lw + vw / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{value_e}</text>'
        f'<text x="{lw + vw / 2:.1f}" y="14">{value_e}</text>'
        "</g></svg>\n"
    )


def coverage_badge(coverage: float | None, status: str, label: str = "coverage") -> str:
    """The badge of one coverage figure, colored by its status."""
    value = "error" if status == "error" else fmt.pct(coverage) if coverage is not None else "n/a"
    return badge(label, value, fmt.STATUS_COLOR.get(status, "#9f9f9f"))
