"""Helpers shared by the report parsers: reading, number checks, path clean-up."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from gitmetrics.errors import ReportError

JsonObject = dict[str, Any]


def over_cap(path: Path, max_bytes: int, size: int | None = None) -> ReportError:
    """The error for a report larger than ``max_bytes`` (``size`` when it is known)."""
    what = f"{size:,} bytes, over" if size is not None else "over"
    return ReportError(
        f"{path}: report is {what} the {max_bytes:,}-byte cap",
        "raise `max_report_bytes` in repos.yaml if this report is genuine",
    )


def file_kind(mode: int) -> str | None:
    """What a file of this ``st_mode`` is when it is not a regular file (else ``None``)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def not_regular(path: Path, kind: str) -> ReportError:
    """The error for a report path that names a directory, FIFO, device or socket."""
    return ReportError(
        f"{path}: not a regular file ({kind})",
        "point repos.yaml at the report file itself",
    )


def report_size(path: Path) -> int:
    """The size of the regular file ``path`` (symlinks followed); ``ReportError`` otherwise."""
    try:
        st = path.stat()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    kind = file_kind(st.st_mode)
    if kind is not None:
        raise not_regular(path, kind)
    return st.st_size


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """``path`` opened for reading, and its size; ``ReportError`` unless a regular file.

    Never blocks and never opens a device: the file's kind is checked before it is
    opened, the open is non-blocking (should a FIFO take its place meanwhile), and the
    kind is checked again on the open descriptor.
    """
    report_size(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise not_regular(path, kind)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def open_report(path: Path, max_bytes: int) -> tuple[BinaryIO, int]:
    """``path`` opened for reading, and its size; ``ReportError`` if unreadable or too big."""
    fh, size = open_regular(path)
    if size > max_bytes:
        fh.close()
        raise over_cap(path, max_bytes, size)
    return fh, size


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The whole file, refusing a missing, empty or oversized one."""
    fh, _ = open_report(path, max_bytes)
    try:
        with fh:
            data = fh.read()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    if not data.strip():
        raise ReportError(f"{path}: report is empty")
    return data


def read_text(path: Path, max_bytes: int) -> str:
    """The file as UTF-8 text; binary content is refused with a clear message."""
    data = read_bytes(path, max_bytes)
    if b"\x00" in data[:65536]:
        raise ReportError(f"{path}: binary data where a text report was expected")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{path}: byte {exc.start}: not UTF-8 text", "is this the right file?"
        ) from None


def read_json(path: Path, max_bytes: int) -> JsonObject:
    """A JSON object from ``path``; truncated, binary or non-object input is refused."""
    text = read_text(path, max_bytes)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})",
            "the report may be truncated; run the coverage tool again",
        ) from None
    except RecursionError:
        raise ReportError(f"{path}: JSON nested too deeply") from None
    except ValueError:
        # json refuses to convert an integer of more than 4,300 digits
        raise too_long_number(path, text, 0, 1) from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object at the top level")
    return data


def json_head(head: bytes) -> str:
    """The start of a file as text for cheap content detection ('' when binary)."""
    if b"\x00" in head:
        return ""
    return head.decode("utf-8-sig", errors="replace").lstrip()


def kind_of(value: object) -> str:
    """What a JSON value is, for a message that must not quote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        if value < 0:
            return "a negative number"
        return "a number" if isinstance(value, int) or value.is_integer() else "a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


#: The largest count (or line number) accepted. Above it a JSON number is no longer exact
#: (JavaScript, jq), and no real report comes near it: a larger one is damaged or forged.
MAX_COUNT = 2**53
_MAX_DIGITS = len(str(MAX_COUNT))
_BEYOND_HINT = "no real report counts that far: the report is damaged or forged; regenerate it"


def shown(text: str) -> str:
    """A value from a report as an error message describes it: by its size, never its text.

    A report may be a link to a secret, and errors are committed and pushed.
    """
    return f"a value of {len(text)} character{'s' if len(text) != 1 else ''}"


def beyond(where: str, digits: str | int) -> ReportError:
    """The error for a number above :data:`MAX_COUNT` found at ``where`` (never quoted)."""
    what = f"a {len(digits)}-digit number" if isinstance(digits, str) else "a number"
    return ReportError(f"{where}: {what} beyond 2**53", _BEYOND_HINT)


def digits_value(text: str, where: str) -> int:
    """The value of a string of ASCII digits, refusing one above :data:`MAX_COUNT`.

    The length is checked first: Python refuses to convert more than 4,300 digits.
    """
    significant = text.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        raise beyond(where, text)
    value = int(text)
    if value > MAX_COUNT:
        raise beyond(where, text)
    return value


_LONG_DIGITS = re.compile(r"[0-9]{4300,}")


def too_long_number(path: Path, text: str, start: int, line: int) -> ReportError:
    """The error for a JSON integer too long to convert, the first after ``start``.

    ``line`` is the line number of ``start``.
    """
    found = _LONG_DIGITS.search(text, start)
    pos = found.start() if found else start
    size = len(found.group(0)) if found else 0
    return ReportError(
        f"{path}: line {line + text.count(chr(10), start, pos)}: a {size}-digit number,"
        " beyond 2**53",
        _BEYOND_HINT,
    )


def count(value: object, where: str) -> int:
    """A count from 0 to 2**53; ``where`` names the file and place for the error."""
    # bool is an int subclass but never a valid count
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and value >= 0:
            value = int(value)
        else:
            raise ReportError(f"{where}: expected a count, got {kind_of(value)}")
    if value < 0:
        raise ReportError(f"{where}: expected a count, got {kind_of(value)}")
    if value > MAX_COUNT:
        raise beyond(where, value)
    return value


def count_text(text: str, where: str) -> int:
    """A non-negative decimal integer written as text, at most 2**53."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise ReportError(f"{where}: expected a non-negative whole number")
    return digits_value(text, where)


def obj(value: object, where: str) -> JsonObject:
    """``value`` as a JSON object, or a ReportError naming the place."""
    if not isinstance(value, dict):
        raise ReportError(f"{where}: expected an object, got {kind_of(value)}")
    return value


def items(value: object, where: str) -> Iterator[tuple[str, Any]]:
    """The key/value pairs of a JSON object, checked to be one."""
    yield from obj(value, where).items()


def array(value: object, where: str) -> list[Any]:
    """``value`` as a JSON array, or a ReportError naming the place."""
    if not isinstance(value, list):
        raise ReportError(f"{where}: expected an array, got {kind_of(value)}")
    return value


def norm_path(path: str) -> str:
    """A report path with posix separators, as written otherwise."""
    return path.replace("\\", "/")


def covered(hits: Mapping[Any, int]) -> int:
    """How many entries of a hit map were hit at least once."""
    return sum(1 for n in hits.values() if n > 0)
