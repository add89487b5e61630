"""The HTML dashboard: one self-contained file (styles, script, data) that makes no requests."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from gitmetrics import __version__
from gitmetrics import dashboard as shape
from gitmetrics.config import Config
from gitmetrics.render import escape

if TYPE_CHECKING:
    from gitmetrics.store import DeriveContext

#: Where ``collect`` writes the dashboard in the metrics repository (``dashboard: true``).
DERIVED_PATH = "dashboard/index.html"

_PLACEHOLDER = re.compile(r"@@([A-Z]+)@@")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


@cache
def template() -> str:
    """The page template shipped beside this module."""
    return resources.files("gitmetrics.render").joinpath("dashboard.html").read_text("utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def embed_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return escape.json_text(text, for_html=True)


def content_security_policy(page: str) -> str:
    """Nothing may load; only this page's own style and script (by hash) may run."""
    styles = " ".join(_sha256(m) for m in _STYLE.findall(page))
    scripts = " ".join(_sha256(m) for m in _SCRIPT.findall(page))
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


def render(data: Mapping[str, Any]) -> str:
    """The whole page for data made by :func:`gitmetrics.dashboard.build`."""
    page = template()
    # the hashes cover the template's own <style> and <script>, which hold no placeholders
    values = {
        "CSP": content_security_policy(page),
        "VERSION": __version__,
        "DATA": embed_json(data),
    }
    # one pass, so text inserted for one placeholder is never scanned for another
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), page)


def render_points(
    points: Iterable[shape.Point],
    *,
    min_coverage: float,
    days: int | None = None,
    generated: str = "",
    at: str | None = None,
) -> str:
    """Shape a history and render it as one page."""
    data = shape.build(
        list(points), min_coverage=min_coverage, days=days, generated=generated, at=at
    )
    return render(data)


def enabled(cfg: Config) -> bool:
    """True when repos.yaml asks for the dashboard in the metrics repo (``dashboard: true``)."""
    return cfg.raw.get("dashboard") is True


def derived(cfg: Config, ctx: DeriveContext) -> Mapping[str, bytes | None]:
    """``dashboard/index.html`` of the whole history, for the git host's pages feature."""
    if not enabled(cfg):
        # turned off: drop the page we wrote before, so a stale one is never served
        return {DERIVED_PATH: None} if ctx.read(DERIVED_PATH) is not None else {}
    points = [shape.Point(ctx.snapshot, None)]
    points.extend(shape.Point(snap, entry.commit) for entry, snap in ctx.earlier())
    page = render_points(points, min_coverage=cfg.min_coverage, generated=ctx.snapshot.timestamp)
    return {DERIVED_PATH: page.encode()}
