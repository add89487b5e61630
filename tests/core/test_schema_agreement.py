"""The fast validator (fastjsonschema) and jsonschema agree on every shipped schema.

gitmetrics checks with the fast one and asks jsonschema only for the message of a failure,
so a disagreement would let an invalid document through: Hypothesis mutates real documents
(a snapshot of the bundled examples, the bundled repos.yaml) node by node and both must
give the same verdict.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmetrics import schema, snapshot
from tests.helpers import ROOT, repo_result

SNAP = json.loads(
    snapshot.to_json(
        snapshot.build(
            [repo_result("alpha", 80, 100), repo_result("beta", 10, 40, role="lib")],
            host="ci",
            timestamp="2026-11-01T00:00:00Z",
        )
    )
)
CONFIG = yaml.safe_load((ROOT / "repos.yaml").read_text())

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(doc: Any, where: tuple[Any, ...], value: Any, delete: bool) -> Any:
    doc = copy.deepcopy(doc)
    if not where:
        return value
    node = doc
    for part in where[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[where[-1]]
    else:
        node[where[-1]] = value
    return doc


def agree(name: str, doc: Any) -> None:
    slow = jsonschema.validators.validator_for(schema.load(name))(schema.load(name))
    assert schema.is_valid(name, doc) == slow.is_valid(doc), json.dumps(doc)[:500]


def test_the_real_documents_are_valid_for_both() -> None:
    assert schema.is_valid(schema.SNAPSHOT, SNAP)
    assert schema.is_valid(schema.REPOS, CONFIG)
    agree(schema.SNAPSHOT, SNAP)
    agree(schema.REPOS, CONFIG)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.data())
def test_both_validators_agree_on_mutated_snapshots(data: st.DataObject) -> None:
    where = data.draw(st.sampled_from(paths(SNAP)))
    doc = mutate(SNAP, where, data.draw(values), data.draw(st.booleans()))
    agree(schema.SNAPSHOT, doc)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.data())
def test_both_validators_agree_on_mutated_configs(data: st.DataObject) -> None:
    where = data.draw(st.sampled_from(paths(CONFIG)))
    doc = mutate(CONFIG, where, data.draw(values), data.draw(st.booleans()))
    agree(schema.REPOS, doc)


# --- the validators shipped compiled (gitmetrics/validators) ------------------------------


@pytest.mark.parametrize("name", sorted(schema.VALIDATORS))
def test_each_shipped_validator_was_generated_from_the_schema_as_it_is(name: str) -> None:
    import importlib

    import fastjsonschema

    module = importlib.import_module(f"gitmetrics.validators.{schema.VALIDATORS[name]}")
    assert schema.digest(name) == module.SCHEMA_SHA256, (
        f"{name} changed: run `python -m gitmetrics.schema` to generate its validator again"
    )
    if module.VERSION == fastjsonschema.VERSION:  # the same generator writes the same text
        path = ROOT / "gitmetrics" / "validators" / f"{schema.VALIDATORS[name]}.py"
        assert path.read_text(encoding="utf-8") == schema.generated(name)


def test_a_stale_validator_is_not_used_the_schema_is_compiled_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gitmetrics.validators import snapshot_schema

    def stale(_instance: Any) -> None:
        raise AssertionError("the stale module was used")

    monkeypatch.setattr(snapshot_schema, "SCHEMA_SHA256", "0" * 64)
    monkeypatch.setattr(snapshot_schema, "validate", stale)
    schema._fast.cache_clear()
    try:
        assert schema.is_valid(schema.SNAPSHOT, SNAP)
        assert not schema.is_valid(schema.SNAPSHOT, {**SNAP, "timestamp": 3})
    finally:
        schema._fast.cache_clear()


def test_validating_with_the_shipped_modules_does_not_import_fastjsonschema() -> None:
    import subprocess
    import sys

    script = (
        "import sys, json; from gitmetrics import schema; "
        f"doc = json.loads({json.dumps(json.dumps(SNAP))}); "
        "assert schema.is_valid(schema.SNAPSHOT, doc); "
        "assert not schema.is_valid(schema.SNAPSHOT, {**doc, 'timestamp': 3}); "
        "assert schema.errors(schema.SNAPSHOT, doc) == []; "
        "assert 'fastjsonschema' not in sys.modules, 'imported'"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
