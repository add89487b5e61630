"""The benchmarks' in-process view calls run against today's api: a renamed function fails
here, not in the middle of a benchmark run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return _load("run")


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory, run: ModuleType) -> Path:
    path = tmp_path_factory.mktemp("bench") / "store"
    run.gen.store(path, 5, 12, retention=30)
    return path


@pytest.mark.slow
def test_each_view_of_the_benchmark_runs_in_process(run: ModuleType, small_store: Path) -> None:
    for label in run.VIEWS:
        assert run.in_process(label, small_store) >= 0.0, label
        assert run.blobs_read(label, small_store), label
