"""Writing the rows of :mod:`gitmetrics.export`: csv, jsonl, sqlite and parquet.

csv and jsonl are text, written a row at a time (to stdout or a file); sqlite and parquet
are files, written in batches so memory stays bounded. Every file is written beside its
destination under a temporary name and renamed into place when complete, so an export that
fails or is interrupted never leaves a half-written file where the old one was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from gitmetrics.errors import GitmetricsError
from gitmetrics.export import Rows
from gitmetrics.render.registry import csv_lines, json_line

#: what ``export --format`` takes; the first is the default
FORMATS = ("csv", "jsonl", "parquet", "sqlite")
#: formats that are files, never stdout
BINARY = frozenset({"parquet", "sqlite"})
#: rows per sqlite transaction and parquet row group
BATCH = 50_000

_SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "real": "REAL", "boolean": "INTEGER"}


def text_lines(fmt: str, rows: Rows) -> Iterator[str]:
    """csv (the heading first) or jsonl (one JSON object a line) of ``rows``."""
    if fmt == "csv":
        yield from csv_lines(rows.rows, rows.names)
    else:
        for row in rows.rows:
            yield json_line(row)


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite(path: Path, rows: Rows) -> int:
    names = rows.names
    con = sqlite3.connect(path)
    try:
        columns = ", ".join(f'"{n}" {_SQL_TYPES[t]}' for n, t in rows.columns)
        con.execute(f'CREATE TABLE "{rows.table}" ({columns})')
        insert = f'INSERT INTO "{rows.table}" VALUES ({", ".join("?" for _ in names)})'
        count = 0
        for batch in _batches(rows.rows):
            with con:
                con.executemany(insert, ([row[n] for n in names] for row in batch))
            count += len(batch)
        key = "repo, at" if rows.kind == "repos" else "repo, path, at"
        with con:
            con.execute(f'CREATE INDEX "{rows.table}_by_repo" ON "{rows.table}" ({key})')
        return count
    finally:
        con.close()


def _parquet(path: Path, rows: Rows) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise GitmetricsError(
            "--format parquet needs pyarrow, which is not installed",
            'install it with: pip install "gitmetrics[parquet]"',
        ) from None
    types = {
        "text": pa.string(),
        "integer": pa.int64(),
        "real": pa.float64(),
        "boolean": pa.bool_(),
    }
    schema = pa.schema([(n, types[t]) for n, t in rows.columns])
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for batch in _batches(rows.rows):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def _text_file(path: Path, fmt: str, rows: Rows) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        return write_stream(fmt, rows, out)


def write_file(fmt: str, rows: Rows, output: Path) -> int:
    """``rows`` written to ``output`` in ``fmt``, atomically; the number of rows written."""
    if output.is_dir():
        raise GitmetricsError(f"{output}: is a directory", "give a file name for --output")
    parent = output.parent
    if not parent.is_dir():
        raise GitmetricsError(f"{output}: the directory {parent} does not exist", "create it first")
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if fmt == "sqlite":
            tmp.unlink()  # sqlite creates its file
            count = _sqlite(tmp, rows)
        elif fmt == "parquet":
            count = _parquet(tmp, rows)
        else:
            count = _text_file(tmp, fmt, rows)
        with tmp.open("rb") as done:
            os.fsync(done.fileno())
        tmp.replace(output)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return count


def write_stream(fmt: str, rows: Rows, out: IO[str]) -> int:
    """csv or jsonl of ``rows`` on ``out`` (stdout); the number of rows written."""
    count = 0
    for line in text_lines(fmt, rows):
        out.write(line)
        count += 1
    return count - 1 if fmt == "csv" else count
