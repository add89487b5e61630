"""One escape per output kind, for every string gitmetrics did not write itself.

Roles, hosts, error messages, paths and issue titles come from a config, a report, a child
process or a remote. Whatever they hold, they reach an output only through one of these
functions, so no terminal control sequence, markdown table break or HTML tag gets through.
"""

from __future__ import annotations

import html as _html
import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: Markdown's specials (CommonMark lets any ASCII punctuation be backslash-escaped); ``|``
#: keeps table cells apart, ``<``, ``>`` and ``&`` keep HTML and entities out.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
_BACKTICKS = re.compile(r"`+")


def _shown(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str, limit: int | None = None) -> str:
    """``text`` on one line with every unprintable character shown: ESC as ``\\x1b``, ``\\n``.

    Unprintable is Python's ``str.isprintable``: C0 and C1 controls, DEL, the line and
    paragraph separators, the bidirectional and other format controls that reorder or hide
    what a reader sees, and every space but the plain one. ``limit`` cuts the result.
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else _shown(c) for c in text)
    return text if limit is None else text[:limit]


def terminal(text: str) -> str:
    """Text for a rich console: control characters shown, rich markup escaped."""
    shown = visible(text)
    if "[" not in shown and not shown.endswith("\\"):
        return shown  # nothing rich would read as markup
    from rich.markup import escape

    return escape(shown)


def markdown(text: str) -> str:
    """Text that markdown shows literally, on one line (also safe inside a table cell)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", visible(text))


def markdown_code(text: str) -> str:
    """``text`` as an inline code span (backslashes do not escape inside one).

    The fence is one backtick longer than the longest run inside; ``|`` is still escaped,
    since a GitHub table splits cells on it even inside code.
    """
    body = visible(text).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def html(text: str) -> str:
    """Text for HTML or SVG, in an element or a quoted attribute (valid XML 1.0 too)."""
    return _html.escape(visible(text), quote=True)


def slack(text: str) -> str:
    """Text for a Slack message: ``&``, ``<`` and ``>`` as entities (no links, no mentions)."""
    return _html.escape(text, quote=False)


#: What may stay raw in JSON (the encoder escapes C0 itself) but not reach a terminal or a
#: ``<script>`` block: DEL, C1 controls (U+009B is a one-byte CSI on some terminals), the line
#: and paragraph separators and the bidirectional controls; ``\\uXXXX`` decodes to the same.
_UNSEEN = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_JSON_TERMINAL = re.compile(f"[{_UNSEEN}]")
_JSON_HTML = re.compile(f"[<>&{_UNSEEN}]")


def json_text(text: str, *, for_html: bool = False) -> str:
    """A JSON document with the characters above written as ``\\uXXXX``: the same data.

    Safe to print, and with ``for_html`` to embed in ``<script type="application/json">``
    (no ``</script>`` or ``<!--`` can appear). Only valid on the output of ``json.dumps``,
    where such characters can only be inside strings.
    """
    pattern = _JSON_HTML if for_html else _JSON_TERMINAL
    return pattern.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
