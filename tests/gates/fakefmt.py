"""A stand-in report format for the gates tests: ``{"gates-test": 1, "covered": N, "valid": M}``.

The real parsers live beside gitmetrics/formats; these tests exercise collect -> check ->
notify, and need reports whose figures they choose exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage, FileCoverage

NAME = "gates-test"
FILENAMES = ("gates-report.json",)


def detect(path: Path, head: bytes) -> bool:
    """Our own marker key."""
    return b'"gates-test"' in head


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Totals as written, in one file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    covered, valid = int(data["covered"]), int(data["valid"])
    return Coverage(NAME, covered, valid, files=(FileCoverage("src/app.py", covered, valid),))
