"""The JSON Schemas shipped with gitmetrics, and validation with readable messages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SNAPSHOT = "snapshot.schema.json"
#: latest.json as schema 2 writes it (the snapshot schema at schema_version 2)
STATE = "state.schema.json"
#: repos/<name>/files.json: one repository's per-file detail
FILES = "files.schema.json"
REPOS = "repos.schema.json"


def schema_text(name: str) -> str:
    """The text of a shipped schema (inside the wheel, or beside the source tree)."""
    packaged = resources.files("gitmetrics").joinpath("schemas", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source_tree = Path(__file__).resolve().parent.parent / "schemas" / name
    return source_tree.read_text(encoding="utf-8")


@cache
def load(name: str) -> dict[str, Any]:
    """A shipped schema as a dict."""
    data: dict[str, Any] = json.loads(schema_text(name))
    return data


def json_path(parts: Iterable[str | int]) -> str:
    """``("repos", 3, "path")`` -> ``repos[3].path``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@cache
def _fast(name: str) -> Any:
    """Schema ``name`` compiled to Python by fastjsonschema (about 50x jsonschema's speed).

    The shipped schemas use only what draft 7 has, so they compile as draft 7; a test
    checks that both validators agree on every case.
    """
    import copy

    import fastjsonschema

    data = copy.deepcopy(load(name))
    data["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(data)


def is_valid(name: str, instance: Any) -> bool:
    """True when ``instance`` satisfies schema ``name`` (the fast check, no messages)."""
    import fastjsonschema

    try:
        _fast(name)(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@cache
def _validator(name: str) -> Any:
    import jsonschema

    return jsonschema.validators.validator_for(load(name))(load(name))


def errors(name: str, instance: Any) -> list[tuple[list[str | int], str]]:
    """Every violation of schema ``name`` as (path, message), most specific first."""
    if is_valid(name, instance):
        return []
    validator = _validator(name)
    found: list[tuple[list[str | int], str]] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        leaf = error
        # oneOf/anyOf: report the most relevant sub-error instead of the whole blob
        if error.context:
            leaf = max(error.context, key=lambda e: len(e.absolute_path))
        found.append((list(leaf.absolute_path), _message(leaf)))
    return found


def _message(error: Any) -> str:
    validator = error.validator
    if validator == "additionalProperties":
        return str(error.message).replace("Additional properties are not allowed", "unknown key")
    if validator == "required":
        return str(error.message)
    if validator == "type":
        return f"must be {_types(error.validator_value)}, not {type(error.instance).__name__}"
    if validator in ("minimum", "maximum", "exclusiveMinimum"):
        return f"{error.instance!r} is out of range ({validator} {error.validator_value})"
    return str(error.message)


def _types(value: object) -> str:
    names = {
        "string": "a string",
        "integer": "a whole number",
        "number": "a number",
        "array": "a list",
        "object": "a mapping",
        "boolean": "true or false",
        "null": "null",
    }
    if isinstance(value, list):
        return " or ".join(names.get(str(v), str(v)) for v in value)
    return names.get(str(value), str(value))


# --- the schemas of what commands print ---------------------------------------------------

#: the folder of the output schemas (one per command's --json, and their shared vocabulary)
OUTPUT_DIR = "output"
VOCABULARY = "vocabulary"


def output_names() -> list[str]:
    """The outputs that have a schema: ``status``, ``history``, ``error``, ..."""
    packaged = resources.files("gitmetrics").joinpath("schemas", OUTPUT_DIR)
    where: Any = packaged if packaged.is_dir() else _source_dir() / OUTPUT_DIR
    names = (p.name.removesuffix(".schema.json") for p in where.iterdir())
    return sorted(n for n in names if n != VOCABULARY and not n.startswith("."))


def _source_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "schemas"


def output_schema(name: str) -> str:
    """The text of the schema of output ``name``."""
    return schema_text(f"{OUTPUT_DIR}/{name}.schema.json")


@cache
def _output_validator(name: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    docs = [json.loads(output_schema(n)) for n in (*output_names(), VOCABULARY)]
    registry: Registry[Any] = Registry().with_resources(
        (d["$id"], Resource.from_contents(d)) for d in docs
    )
    schema = json.loads(output_schema(name))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def output_errors(name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks the schema of output ``name`` (``path: message``)."""
    validator = _output_validator(name)
    return [
        f"{json_path(e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]
