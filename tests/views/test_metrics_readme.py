"""The metrics repo on a git host: README.md (table, mermaid chart, links) and SVG badges."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from gitmetrics.render.metrics_readme import (
    BLANK,
    CHART_THEME,
    LINE_COLOR,
    MAX_LABELS,
    TEXT_COLOR,
    chart,
    thin_labels,
)
from gitmetrics.store import Store
from tests.helpers import fsck

from .conftest import build_store

SVG = "{http://www.w3.org/2000/svg}"
MERMAID_DIR = Path(__file__).parent / "mermaid"

_LABEL = r'"[^"\n]*"'
_NUM = r"-?\d+(?:\.\d+)?"


def check_xychart(block: str) -> int:
    """A strict checker of the xychart-beta subset gitmetrics emits; returns the point count."""
    lines = block.strip("\n").split("\n")
    assert lines[0] == CHART_THEME, lines[0]  # explicit colours for light and dark pages
    lines = lines[1:]
    assert lines[0] == "xychart-beta", lines[0]
    body = [line.strip() for line in lines[1:]]
    assert all(line.startswith("    ") for line in lines[1:]), "statements are indented"
    assert re.fullmatch(rf"title {_LABEL}", body[0]), body[0]
    m = re.fullmatch(rf"x-axis \[({_LABEL}(?:, {_LABEL})*)\]", body[1])
    assert m, body[1]
    labels = re.findall(_LABEL, m.group(1))
    m = re.fullmatch(rf"y-axis {_LABEL} ({_NUM}) --> ({_NUM})", body[2])
    assert m, body[2]
    lo, hi = float(m.group(1)), float(m.group(2))
    assert 0 <= lo < hi <= 100
    m = re.fullmatch(rf"line \[({_NUM}(?:, {_NUM})*)\]", body[3])
    assert m, body[3]
    values = [float(v) for v in m.group(1).split(", ")]
    assert len(values) == len(labels), "one value per x label"
    assert all(lo <= v <= hi for v in values), "values inside the y range"
    assert len(body) == 4
    return len(values)


def mermaid_blocks(text: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", text, re.S | re.M)


def real_mermaid_parser() -> Path | None:
    """check.mjs with mermaid installed from the npm registry, or None without node/npm."""
    if shutil.which("node") is None:
        return None
    if not (MERMAID_DIR / "node_modules" / "mermaid").exists():
        npm = shutil.which("npm")
        if npm is None:
            return None
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=MERMAID_DIR,
            capture_output=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            return None
    return MERMAID_DIR / "check.mjs"


def tree_text(store: Store, path: str) -> str:
    return store.blob(store.files_at()[path]).decode()


def test_readme_has_the_table_chart_and_links(known_store: Store) -> None:
    text = tree_text(known_store, "README.md")
    assert "| alpha | service | 58.0% | 29.0% | 10 | ↑ +2.0 | 0m | 🔴 needs work |" in text
    assert "| beta | service | 86.0% | 43.0% | 10 | ↓ -1.0 | 0m | 🟢 good |" in text
    assert "| delta | frontend | 42.0% | 21.0% | 10 | = | 1d | 🔴 needs work (carried) |" in text
    rows = [
        line.split(" | ")[0][2:]
        for line in text.splitlines()
        if " | service | " in line
        or " | library | " in line
        or " | frontend | " in line
        or " | tooling | " in line
    ]
    assert rows == ["delta", "alpha", "eps", "gamma", "beta"]  # worst first
    (block,) = mermaid_blocks(text)
    assert check_xychart(block) == 5
    assert 'x-axis ["11-01", "11-02", "11-03", "11-04", "11-05"]' in block
    assert "line [56, 56.2, 56.6, 64, 64.4]" in block
    # every relative link and image points at a file in the tree
    files = set(known_store.files_at())
    targets = {unquote(t) for t in re.findall(r"\]\(([^)]+)\)", text) if "://" not in t}
    assert targets, "the README links its files"
    assert targets <= files, targets - files
    assert "latest.json" in targets
    linked_snapshots = {t for t in targets if t.startswith("snapshots/")}
    assert len(linked_snapshots) == 2  # retention 2: pruned ones are not linked


def test_the_worktree_readme_is_the_committed_one(known_store: Store) -> None:
    assert (known_store.path / "README.md").read_text() == tree_text(known_store, "README.md")
    fsck(known_store.path)


def test_badges_are_valid_svg_colored_by_threshold(known_store: Store) -> None:
    files = known_store.files_at()
    badges = sorted(p for p in files if p.startswith("badges/"))
    assert badges == [
        f"badges/{n}.svg" for n in ("alpha", "average", "beta", "delta", "eps", "gamma")
    ]
    colors = {}
    for path in badges:
        root = ET.fromstring(known_store.blob(files[path]))
        assert root.tag == f"{SVG}svg"
        texts = [t.text for t in root.iter(f"{SVG}text")]
        colors[path] = next(r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("x"))
        assert not [e for e in root.iter() if any("href" in k for k in e.attrib)], "self-contained"
        assert root.find(f"{SVG}title") is not None
        if path == "badges/beta.svg":
            assert texts[-1] == "86.0%"
        if path == "badges/average.svg":
            assert texts[0] == "average coverage" and texts[-1] == "64.4%"
    assert colors["badges/beta.svg"] == "#4c1"  # good
    assert colors["badges/gamma.svg"] == "#dfb317"  # fair
    assert colors["badges/alpha.svg"] == "#e05d44"  # needs work
    assert colors["badges/delta.svg"] == "#e05d44"  # its carried 42%: needs work


def test_badges_of_removed_repos_are_deleted(tmp_path: Path) -> None:
    st = build_store(tmp_path / "m", count=3)
    assert "badges/old.svg" in st.files_at()
    st.close()
    st = build_store(tmp_path / "m2", count=4)
    assert "badges/old.svg" not in st.files_at()
    assert not (st.path / "badges" / "old.svg").exists()
    st.close()


def test_single_collection_chart_and_strict_checker_rejects_bad_charts() -> None:
    assert check_xychart(mermaid_blocks(chart([("2026-11-01T10:00:00Z", 50.0)]))[0]) == 1
    same_day = chart([("2026-11-01T10:00:00Z", 50.0), ("2026-11-01T12:00:00Z", 51.5)])
    assert '"11-01 10:00", "11-01 12:00"' in same_day
    for bad in (
        'xychart-beta\n    title "t"\n    x-axis ["a"]\n    y-axis "y" 0 --> 100\n    line [1, 2]',
        'xychart-beta\n    title "t"\n    x-axis [a]\n    y-axis "y" 0 --> 100\n    line [1]',
        'xychart-beta\n    title "t"\n    x-axis ["a"]\n    y-axis "y" 50 --> 10\n    line [1]',
    ):
        with pytest.raises(AssertionError):
            check_xychart(bad)


@pytest.mark.slow
def test_the_real_mermaid_parser_accepts_the_chart(known_store: Store) -> None:
    script = real_mermaid_parser()
    if script is None:
        message = "node/npm not available: the mermaid parser cannot be installed"
        if os.environ.get("CI"):  # .ci/install-npm-tools installs it: never skip in CI
            pytest.fail(message)
        pytest.skip(message)
    blocks = [
        *mermaid_blocks(tree_text(known_store, "README.md")),
        *mermaid_blocks(chart([("2026-11-01T10:00:00Z", 50.0)])),
        # 28 points: thinned labels, blanks of zero-width spaces
        *mermaid_blocks(chart([(f"2026-11-{d:02d}T10:00:00Z", 50.0 + d) for d in range(1, 29)])),
    ]
    done = subprocess.run(
        ["node", str(script)],
        input="\0".join(blocks),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[:3] == ["ok xychart"] * 3
    bad = subprocess.run(
        ["node", str(script)],
        input='xychart-beta\n    x-axis ["a",\n',
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1 and bad.stdout.startswith("error")


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""

    def lum(h: str) -> float:
        c = [int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_chart_colours_contrast_on_light_and_dark_pages() -> None:
    block = mermaid_blocks(chart([("2026-11-01T10:00:00Z", 50.0)]))[0]
    theme = json.loads(block.split("\n")[0].removeprefix("%%{init: ").removesuffix("}%%"))
    assert theme["theme"] == "base"
    xy = theme["themeVariables"]["xyChart"]
    assert xy["plotColorPalette"] == LINE_COLOR
    for page in ("#ffffff", "#0d1117"):  # GitHub's light and dark backgrounds
        assert _contrast(LINE_COLOR, page) >= 4.0
        assert _contrast(TEXT_COLOR, page) >= 3.0


def test_at_most_twelve_x_labels_evenly_thinned() -> None:
    points = [(f"2026-11-{d:02d}T10:00:00Z", 50.0 + d / 10) for d in range(1, 29)]
    (block,) = mermaid_blocks(chart(points))
    assert check_xychart(block) == 28  # every point is drawn
    labels = re.findall(r'"([^"\n]*)"', block.split("x-axis ", 1)[1].split("\n")[0])
    shown = [label for label in labels if label.strip(BLANK)]
    assert len(shown) == MAX_LABELS
    assert shown[0] == "11-01" and shown[-1] == "11-28"
    assert len(set(labels)) == len(labels)  # blanks stay distinct bands
    kept = [i for i, label in enumerate(labels) if label.strip(BLANK)]
    assert not any(label.strip() != label for label in labels)  # mermaid trims spaces
    gaps = {b - a for a, b in itertools.pairwise(kept)}
    assert max(gaps) - min(gaps) <= 1  # evenly spaced
    assert thin_labels(["a", "b"]) == ["a", "b"]
