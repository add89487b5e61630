"""coverlet's native JSON (``--format json``, coverlet's default ``coverage.json``).

The report nests module -> source file -> class -> method, and each method has
``Lines`` (line number -> hits) and ``Branches`` (one entry per branch outcome with its
``Hits``). A line shared by several methods (lambdas, property accessors) is one line
whose hits are summed; that gives the same run's Cobertura ``lines-covered``. Every
branch entry is one branch. The file is named ``coverage.json`` like coverage.py's, so
it is told apart by content only.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmetrics.errors import ReportError
from gitmetrics.formats import DEFAULT_MAX_BYTES, Coverage
from gitmetrics.formats._common import array, count, count_text, items, json_head, norm_path, obj
from gitmetrics.formats._strict import Maps, add, first_error, line_number, members, merged

NAME = "coverlet-json"
FILENAMES: tuple[str, ...] = ("coverage.json", "TestResults/*/coverage.json")

_LINES = re.compile(r'"Lines"\s*:\s*\{')
_BRANCHES = re.compile(r'"Branches"\s*:\s*\[')


def detect(path: Path, head: bytes) -> bool:
    """A JSON object whose methods carry ``"Lines": {...}`` and ``"Branches": [...]``."""
    text = json_head(head)
    return text.startswith("{") and bool(_LINES.search(text)) and bool(_BRANCHES.search(text))


def parse(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Coverage:
    """Lines and branches of every method, summed per source file (one module at a time)."""
    # json.loads keeps the last of duplicate keys: so does a dict of modules
    modules: dict[str, dict[str, Maps] | ReportError] = {}
    for i, (name, _, value) in enumerate(members(path, max_bytes)):
        try:
            modules[name] = _module(value, f"{path}: module {i + 1}")
        except ReportError as exc:
            modules[name] = exc
    first_error(modules)
    return merged(NAME, (m for m in modules.values() if not isinstance(m, ReportError)))


def _module(value: object, where: str) -> dict[str, Maps]:
    files: dict[str, Maps] = {}
    for j, (file_name, classes) in enumerate(items(value, where)):
        here = f"{where}, file {j + 1}"
        if not file_name:
            raise ReportError(f"{here}: a source file without a name")
        into = files.setdefault(norm_path(file_name), Maps())
        for k, (_, methods) in enumerate(items(classes, here)):
            for m, (signature, method) in enumerate(items(methods, f"{here}, class {k + 1}")):
                at = f"{here}, class {k + 1}, method {m + 1}"
                _method(signature, obj(method, at), into, at)
    return files


def _method(signature: str, method: dict[str, object], into: Maps, where: str) -> None:
    for i, (line, hits) in enumerate(items(method.get("Lines", {}), f"{where}: Lines")):
        here = f"{where}: Lines entry {i + 1}"
        n = count_text(line, here)
        if n == 0:
            line_number(n, here)
        add(into.lines, n, count(hits, here))
    for i, raw in enumerate(array(method.get("Branches", []), f"{where}: Branches")):
        here = f"{where}: Branches[{i}]"
        branch = obj(raw, here)
        n = line_number(branch.get("Line"), f"{here}.Line")
        # IL offsets are per method: two methods on one line (lambdas) have their own
        parts = [str(n), signature]
        for field in ("Offset", "EndOffset", "Path", "Ordinal"):
            parts.append(str(count(branch.get(field, 0), f"{here}.{field}")))
        add(into.branches, ":".join(parts), count(branch.get("Hits"), f"{here}.Hits"))
