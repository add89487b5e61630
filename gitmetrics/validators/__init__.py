"""The validators of the shipped schemas, compiled ahead of time.

Each ``<name>_schema.py`` here is the code fastjsonschema generates from
``schemas/<name>.schema.json`` (``python -m gitmetrics.schema`` writes them again), so a
process validates without generating and compiling it first. Each records the sha256 of
the schema it came from; :func:`gitmetrics.schema.is_valid` uses a module only while that
matches, and a test fails when one is stale. The generated code raises the two exceptions
below instead of fastjsonschema's, so using it does not import fastjsonschema.
"""

from __future__ import annotations

from typing import Any


class JsonSchemaValueException(ValueError):
    """A document the schema refuses (raised by the generated code; the first problem)."""

    def __init__(
        self,
        message: str,
        value: Any = None,
        name: str | None = None,
        definition: Any = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.rule = rule


class JsonSchemaValuesException(ValueError):
    """Every problem at once (the generated code is made to stop at the first: unused)."""
