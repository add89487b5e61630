"""The metrics README as a git host shows it: its Markdown rendered to HTML, its chart drawn
by the real mermaid library in headless Chromium (as GitHub, GitLab and Gitea draw it, in
the browser), screenshotted in the light and the dark colour scheme and judged from the
pixels: the trend line stands out from the page, and the x-axis labels do not overprint.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from gitmetrics import snapshot as snapmod
from gitmetrics.derive import make_deriver
from gitmetrics.render.metrics_readme import BLANK, MAX_LABELS
from gitmetrics.store import Store, init
from tests.dashboard.conftest import ARTIFACTS, browser  # noqa: F401 - the fixture

from .conftest import config_for, result
from .test_metrics_readme import MERMAID_DIR, real_mermaid_parser

pytestmark = pytest.mark.slow

#: GitHub's page colours in its light and dark themes
PAGES = {"light": ("#ffffff", "#1f2328"), "dark": ("#0d1117", "#e6edf3")}
DAYS = 28  # more collections than labels: the axis must thin them


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """28 daily collections of two repositories, README and badges derived as in collect."""
    path = tmp_path_factory.mktemp("readme") / "metrics"
    st = init(path)
    st.derive = make_deriver(config_for(path))
    for day in range(1, DAYS + 1):
        results = [
            result("api", "service", 50.0 + day),
            result("web", "frontend", 90.0 - day / 2),
        ]
        stamp = f"2026-11-{day:02d}T10:00:00Z"
        st.commit_snapshot(snapmod.build(results, host="ci", timestamp=stamp), retention=5)
    yield st
    st.close()


def _mermaid_js() -> str:
    if real_mermaid_parser() is None:
        message = "node/npm not available: mermaid cannot be installed from the npm registry"
        if os.environ.get("CI"):  # .ci/install-npm-tools installs it: never skip in CI
            pytest.fail(message)
        pytest.skip(message)
    return (MERMAID_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").read_text()


def page(markdown_text: str, mermaid_js: str) -> str:
    """The README as a git host's page: GitHub-flavoured tables, its colours in both
    schemes, and each mermaid block drawn by mermaid in the host's own theme (which the
    chart's ``%%{init}%%`` overrides)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown_text)
    body = re.sub(
        r'<pre><code class="language-mermaid">(.*?)</code></pre>',
        r'<pre class="mermaid">\1</pre>',
        body,
        flags=re.S,
    )
    (light_bg, light_fg), (dark_bg, dark_fg) = PAGES["light"], PAGES["dark"]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>README</title><style>
body {{ background: {light_bg}; color: {light_fg}; font: 16px sans-serif; margin: 0;
        padding: 32px; max-width: 980px; }}
a {{ color: #0969da; }}
@media (prefers-color-scheme: dark) {{ body {{ background: {dark_bg}; color: {dark_fg}; }}
  a {{ color: #4493f8; }} }}
pre.mermaid {{ background: transparent; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 4px 8px; }}
</style></head><body>
{body}
<script>{mermaid_js}</script>
<script>
const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
mermaid.initialize({{startOnLoad: false, theme: dark ? "dark" : "default"}});
mermaid.run({{querySelector: "pre.mermaid"}}).then(
  () => {{ document.documentElement.dataset.ready = "1"; }},
  (e) => {{ document.documentElement.dataset.ready = "error: " + e; }});
</script></body></html>
"""


# --- the pixels -------------------------------------------------------------------------


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """``(width, height, rows)`` of an 8-bit RGB or RGBA PNG (each row as RGB bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and kind in (2, 6) and interlace == 0, (depth, kind, interlace)
        elif tag == b"IDAT":
            idat += chunk
        pos += 12 + length
    bpp = 4 if kind == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        filt, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if filt == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filt == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        prev = line
        rgb = bytes(line) if bpp == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        rows.append(rgb)
    return width, height, rows


def pixel(rows: list[bytes], x: int, y: int) -> tuple[int, int, int]:
    r, g, b = rows[y][3 * x : 3 * x + 3]
    return r, g, b


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance."""
    c = [v / 255 for v in rgb]
    c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def line_contrast(rows: list[bytes], points: list[list[float]]) -> list[float]:
    """At each point on the drawn line: the best contrast of a pixel within 2 px of it
    against the page's background (the line is antialiased, 2 px wide)."""
    background = pixel(rows, 2, 2)
    out = []
    for x, y in points:
        near = [
            pixel(rows, round(x) + dx, round(y) + dy) for dx in range(-2, 3) for dy in range(-2, 3)
        ]
        out.append(max(contrast(p, background) for p in near))
    return out


def x_labels(svg: str) -> list[str]:
    """The x-axis labels in mermaid's SVG that show any text."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    axis = next(g for g in root.iter(f"{ns}g") if g.get("class") == "bottom-axis")
    label = next(g for g in axis.iter(f"{ns}g") if g.get("class") == "label")
    texts = ["".join(t.itertext()) for t in label.iter(f"{ns}text")]
    assert len(texts) == DAYS
    return [t for t in texts if t.strip(BLANK)]


# --- the browser ------------------------------------------------------------------------

_GEOMETRY = """
const svg = document.querySelector("pre.mermaid svg");
const path = svg.querySelector(".line-plot-0 path");
const m = path.getScreenCTM();
const total = path.getTotalLength();
const points = [];
for (let i = 0; i <= 60; i++) {
  const p = path.getPointAtLength(total * i / 60);
  points.push([p.x * m.a + p.y * m.c + m.e + window.scrollX,
               p.x * m.b + p.y * m.d + m.f + window.scrollY]);
}
const labels = [...svg.querySelectorAll(".bottom-axis .label text")].map((t) => {
  const r = t.getBoundingClientRect();
  return [t.textContent, r.left, r.right];
});
return {points, labels, d: path.getAttribute("d"), svg: new XMLSerializer().serializeToString(svg)};
"""


def shoot(driver: Any, target: Path, scheme: str) -> tuple[dict[str, Any], list[bytes]]:
    """Open ``target`` in ``scheme``; the chart's geometry and the page's pixels."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(target.resolve().as_uri())
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script("return document.documentElement.dataset.ready")
    )
    assert driver.execute_script("return document.documentElement.dataset.ready") == "1"
    geometry = driver.execute_script(_GEOMETRY)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    png = base64.b64decode(shot["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"metrics-readme-{target.stem}-{scheme}.png").write_bytes(png)
    width, height, rows = decode_png(png)
    assert width >= 1000 and height > 900
    return geometry, rows


@pytest.fixture
def reset(browser: Any) -> Iterator[Any]:  # noqa: F811 - the imported fixture
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chart_reads_in_both_schemes_and_its_labels_do_not_overprint(
    reset: Any, long_store: Store, scheme: str
) -> None:
    workdir = Path(long_store.path)
    readme = (workdir / "README.md").read_text()
    target = workdir / "readme.html"  # beside README.md: its badge images load as there
    target.write_text(page(readme, _mermaid_js()))
    geometry, rows = shoot(reset, target, scheme)

    # the scheme is the one asked for: the page's own background
    background = pixel(rows, 2, 2)
    assert (luminance(background) < 0.1) == (scheme == "dark"), background
    # the line stands out from the page all along (WCAG: 3:1 for graphics)
    measured = sorted(line_contrast(rows, geometry["points"]))
    assert measured[len(measured) // 10] >= 3.0, measured[:10]

    # every collection is a point of its own, left to right (no two at one x)
    xs = [float(x) for x in re.findall(r"[ML]([0-9.]+),", geometry["d"])]
    assert len(xs) == DAYS
    assert all(b > a for a, b in itertools.pairwise(xs)), xs
    # at most 12 labels show, and no two of them overlap
    shown = [(t, left, right) for t, left, right in geometry["labels"] if t.strip(BLANK)]
    assert len(geometry["labels"]) == DAYS
    assert 2 <= len(shown) <= MAX_LABELS
    assert x_labels(geometry["svg"]) == [t for t, _, _ in shown]  # the SVG says the same
    for (_, _, right), (_, left, _) in itertools.pairwise(shown):
        assert left >= right, shown


def test_the_pixel_measure_tells_a_line_that_does_not_stand_out(
    reset: Any, long_store: Store
) -> None:
    """Mermaid's default line colour on a light page, measured the same way, fails: the
    measure above can fail."""
    workdir = Path(long_store.path)
    readme = (workdir / "README.md").read_text()
    plain = re.sub(r"^%%\{init:.*\}%%\n", "", readme, flags=re.M)  # no theme of its own
    assert plain != readme
    target = workdir / "readme-default-theme.html"
    target.write_text(page(plain, _mermaid_js()))
    geometry, rows = shoot(reset, target, "light")
    measured = sorted(line_contrast(rows, geometry["points"]))
    assert measured[len(measured) // 2] < 3.0, measured
