"""Imports point down the layers of DESIGN.md, and no module imports itself back.

The imports are read with ``ast`` (nothing is executed): module-level imports, imports
inside functions and ``TYPE_CHECKING`` blocks all count for the direction of imports. For
cycles, imports made only for type annotations (``TYPE_CHECKING``) do not count: they are
never executed, so they cannot make one module load before another is ready.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gitmetrics"

#: DESIGN.md's layers, top first; a module may import its own layer or any below it
LAYERS: tuple[tuple[str, ...], ...] = (
    ("gitmetrics.cli",),
    # results: the api's typed inputs and frozen results, apart so that `history` and the
    # views, which need none of them, do not make their dataclasses
    ("gitmetrics.api", "gitmetrics.results"),
    # derive assembles the derived files (README, badges, dashboard page) from renderers
    ("gitmetrics.render", "gitmetrics.derive"),
    # dashboard builds the data of the dashboard page (the view; render/dashboard draws it)
    (
        "gitmetrics.views",
        "gitmetrics.filesview",
        "gitmetrics.historyview",
        "gitmetrics.explain",
        "gitmetrics.dashboard",
        "gitmetrics.export",
    ),
    ("gitmetrics.history",),
    ("gitmetrics.store",),
    (
        "gitmetrics.collect",
        "gitmetrics.rules",
        "gitmetrics.notify",
        "gitmetrics.coordination",
        "gitmetrics.command",
        "gitmetrics.importing",
        "gitmetrics.patch",
        # per-file figures compared and rolled up (files, diff --files, explain, flaky)
        "gitmetrics.perfile",
    ),
    ("gitmetrics.config", "gitmetrics.formats", "gitmetrics._contain"),
    # render/escape and render/fmt are pure string functions (one escape per output, one
    # number format) that notify, coordination and the dashboard data need as well
    (
        "gitmetrics.snapshot",
        "gitmetrics.timestamps",
        "gitmetrics.trends",
        "gitmetrics.duration",
        "gitmetrics.percent",
        "gitmetrics.render.escape",
        "gitmetrics.render.fmt",
    ),
    ("gitmetrics.schema", "gitmetrics.errors", "gitmetrics"),
)


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The index of ``module``'s layer in :data:`LAYERS` (0 is the top); the longest prefix wins."""
    best, rank = -1, -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, rank = len(name), i
    if rank < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and DESIGN.md")
    return rank


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _type_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def imports_of(path: Path, modules: set[str], *, types: bool = True) -> set[str]:
    """Every gitmetrics module that ``path`` imports, anywhere in the file.

    ``types=False`` leaves out the imports made only for annotations (``TYPE_CHECKING``).
    """
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = set() if types else _type_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                # `from gitmetrics import store` imports the module gitmetrics.store
                found.add(sub if sub in modules else target)
    return {m for m in found if m == "gitmetrics" or m.startswith("gitmetrics.")} - {module}


@functools.cache
def graph(types: bool = True) -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules, types=types) & modules for p in paths}


def _is_parent(importer: str, imported: str) -> bool:
    # importing a submodule runs its package's __init__ first: that edge is not a choice
    return importer.startswith(imported + ".")


def test_every_module_has_a_layer() -> None:
    for module in graph():
        layer_of(module)


def test_imports_point_down() -> None:
    upward = [
        f"{src} (layer {LAYERS[layer_of(src)][0]}) imports {dst} (layer {LAYERS[layer_of(dst)][0]})"
        for src, targets in graph().items()
        for dst in sorted(targets)
        if layer_of(dst) < layer_of(src) and not _is_parent(src, dst)
    ]
    assert upward == []


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``edges`` (as the modules along it), or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _edges(*, inside_store: bool) -> dict[str, set[str]]:
    def keep(src: str, dst: str) -> bool:
        within = src.startswith("gitmetrics.store.") and dst.startswith("gitmetrics.store.")
        return not _is_parent(src, dst) and (inside_store or not within)

    runtime = graph(types=False)
    return {src: {dst for dst in targets if keep(src, dst)} for src, targets in runtime.items()}


def test_no_import_cycles() -> None:
    cycle = find_cycle(_edges(inside_store=False))
    assert cycle is None, " -> ".join(cycle or [])


def test_no_import_cycles_inside_store() -> None:
    cycle = find_cycle(_edges(inside_store=True))
    assert cycle is None, " -> ".join(cycle or [])


def test_the_checks_can_fail() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("gitmetrics.cli.core") < layer_of("gitmetrics.store.repo")
    assert layer_of("gitmetrics.render.escape") > layer_of("gitmetrics.notify")
    with pytest.raises(AssertionError):
        layer_of("elsewhere.module")


def test_lazy_imports_are_seen() -> None:
    # gitmetrics.api imports the store only inside its functions
    assert "gitmetrics.store" in graph()["gitmetrics.api"]
    assert "gitmetrics.cli.common" in graph()["gitmetrics.cli.core"]
