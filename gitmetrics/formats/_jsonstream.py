"""Read a JSON report's top-level object piece by piece, in bounded memory.

``json.loads`` on a 100 MB report holds the text and the whole decoded tree at once
(2-2.5x the file). Here the file is read in blocks through an incremental UTF-8
decoder; the top-level object is walked key by key, and the value of one chosen key
(``"files"`` for coverage.py) is handed out member by member. Every value is still
decoded by the C decoder, so the result and the strictness are those of ``json.loads``
(same messages, the file's real line numbers) while only one member's text and value
are held at a time.
"""

from __future__ import annotations

import codecs
import json
import json.decoder
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

from gitmetrics.errors import ReportError
from gitmetrics.formats._common import open_report, over_cap, too_long_number

#: bytes read at a time; a member larger than this makes the read grow
BLOCK_SIZE = 1 << 20

_BOM = codecs.BOM_UTF8
_WS = re.compile(r"[ \t\n\r]*")
# what bytes.strip() removes: read_bytes called such a file empty
_BLANK = re.compile(r"[ \t\n\r\x0b\x0c]*")
# a token cut by the end of the buffer fails at most this far before the end
# (the longest is "-Infinity"); such an error may vanish once more text is read
_MARGIN = 16
_HINT = "the report may be truncated; run the coverage tool again"
# the C scanner json.loads uses, which raises StopIteration(pos) where no value starts
_scan_once = cast(Callable[[str, int], tuple[Any, int]], json.JSONDecoder().scan_once)  # type: ignore[attr-defined]
_scanstring = cast(Callable[[str, int], tuple[str, int]], json.decoder.scanstring)  # type: ignore[attr-defined]


class Member(NamedTuple):
    """One piece of the top-level object.

    ``member`` is ``None`` for a top-level value given whole. For the streamed key
    whose value is an object or an array, ``value`` is first an empty ``{}`` or ``[]``
    (the container starts: drop what an earlier duplicate of the key gave), then one
    ``Member`` follows per entry, with ``member`` the entry's name or index.
    """

    key: str
    member: str | int | None
    value: Any


class _Source:
    """The decoded text of a file, held from ``pos`` to the end of what was read."""

    def __init__(self, path: Path, fh: IO[bytes], block_size: int, max_bytes: int) -> None:
        self.path = path
        self.fh = fh
        self.block_size = block_size
        self.max_bytes = max_bytes
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.lines = 0  # newlines in the text dropped before buf
        self.column = 0  # characters after the last newline in the text dropped before buf
        self.offset = 0  # file bytes fed to the decoder
        self.eof = False
        self.bom = False
        self.dropped_blank = True  # the text dropped so far is all whitespace

    def more(self, size: int = 0) -> None:
        """Read ``size`` bytes more (a block by default), dropping the text before pos."""
        # at least 3 bytes, so that a BOM is never cut
        raw = self.fh.read(max(size or self.block_size, 3))
        data = raw
        if self.offset == 0 and raw.startswith(_BOM):
            data = raw[3:]
            self.offset = 3
            self.bom = True
        pending = len(self.decoder.getstate()[0])
        try:
            text = self.decoder.decode(data, final=not raw)
        except UnicodeDecodeError as exc:
            raise ReportError(
                f"{self.path}: byte {self.offset - pending + exc.start}: not UTF-8 text",
                "is this the right file?",
            ) from None
        self.offset += len(data)
        if self.offset > self.max_bytes:
            # the file grew after its size was checked
            raise over_cap(self.path, self.max_bytes)
        self.eof = not raw
        if self.pos:
            if self.dropped_blank:
                self.dropped_blank = _BLANK.match(self.buf, 0, self.pos).end() == self.pos  # type: ignore[union-attr]
            newlines = self.buf.count("\n", 0, self.pos)
            self.lines += newlines
            last = self.buf.rfind("\n", 0, self.pos)
            self.column = self.pos - last - 1 if newlines else self.column + self.pos
            self.buf = self.buf[self.pos :] + text
            self.pos = 0
        else:
            self.buf += text

    def peek(self) -> str:
        """The next character after whitespace ('' at the end of the file)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos : self.pos + 1]
            self.more()

    def _cut(self, exc: json.JSONDecodeError) -> bool:
        """Whether ``exc`` may come from the end of the buffer rather than the file."""
        if self.eof:
            return False
        return exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - _MARGIN

    def value(self) -> Any:
        """The JSON value at ``pos`` (after whitespace), decoded whole."""
        self.peek()
        size = self.block_size
        while True:
            try:
                try:
                    value, end = _scan_once(self.buf, self.pos)
                except StopIteration as stop:
                    raise json.JSONDecodeError("Expecting value", self.buf, stop.value) from None
            except json.JSONDecodeError as exc:
                if not self._cut(exc):
                    raise self.error(exc.msg, exc.pos) from None
            except ValueError:
                # an integer of more than 4,300 digits, which Python refuses to convert
                line = self.lines + self.buf.count("\n", 0, self.pos) + 1
                raise too_long_number(self.path, self.buf, self.pos, line) from None
            else:
                # a number near the end of the buffer ("1.", "-1e") may go on in the next block
                if end <= len(self.buf) - _MARGIN or self.eof:
                    self.pos = end
                    return value
            # re-decoding a long member once per block would be quadratic: double the read
            self.more(size)
            size *= 2

    def key(self) -> str:
        """The object key whose opening quote is at ``pos``, and its ':' separator."""
        size = self.block_size
        while True:
            try:
                key, end = _scanstring(self.buf, self.pos + 1)
                break
            except json.JSONDecodeError as exc:
                if not self._cut(exc):
                    raise self.error(exc.msg, exc.pos) from None
            self.more(size)
            size *= 2
        self.pos = end
        if self.peek() != ":":
            raise self.error("Expecting ':' delimiter", self.pos)
        self.pos += 1
        return key

    def error(self, msg: str, pos: int) -> ReportError:
        """The ReportError json.loads would have led to, for an error at ``pos``."""
        line = self.lines + self.buf.count("\n", 0, pos) + 1
        last = self.buf.rfind("\n", 0, pos)
        column = pos - last if last >= 0 else self.column + pos + 1
        blank = not self.bom and self.dropped_blank and _blank(self.buf)
        # read_text refused these before JSON was looked at: keep that order
        while not self.eof:
            self.pos = len(self.buf)
            self.more()
            blank = blank and _blank(self.buf)
        if blank:
            return ReportError(f"{self.path}: report is empty")
        return ReportError(
            f"{self.path}: line {line}, column {column}: invalid JSON ({msg})", _HINT
        )


def _blank(text: str) -> bool:
    """Whether ``text`` is nothing but what ``bytes.strip`` removes."""
    return _BLANK.match(text).end() == len(text)  # type: ignore[union-attr]


def _object(src: _Source) -> Iterator[str]:
    """Walk the object whose '{' is at ``pos``, giving each key with ``pos`` at its value.

    The caller consumes each value before asking for the next key.
    """
    src.pos += 1
    c = src.peek()
    if c == "}":
        src.pos += 1
        return
    while True:
        if c != '"':
            raise src.error("Expecting property name enclosed in double quotes", src.pos)
        yield src.key()
        c = src.peek()
        if c == "}":
            src.pos += 1
            return
        if c != ",":
            raise src.error("Expecting ',' delimiter", src.pos)
        src.pos += 1
        c = src.peek()


def _array(src: _Source) -> Iterator[int]:
    """Walk the array whose '[' is at ``pos``, giving each index with ``pos`` at its value."""
    src.pos += 1
    if src.peek() == "]":
        src.pos += 1
        return
    i = 0
    while True:
        yield i
        c = src.peek()
        if c == "]":
            src.pos += 1
            return
        if c != ",":
            raise src.error("Expecting ',' delimiter", src.pos)
        src.pos += 1
        i += 1


def _members(src: _Source, stream: str | None) -> Iterator[Member]:
    top = src.peek()
    if top == "{":
        for key in _object(src):
            c = src.peek() if key == stream else ""
            if c == "{":
                yield Member(key, None, {})
                for name in _object(src):
                    yield Member(key, name, src.value())
            elif c == "[":
                yield Member(key, None, [])
                for i in _array(src):
                    yield Member(key, i, src.value())
            else:
                yield Member(key, None, src.value())
    elif top == "[":
        # still checked to the end, so a broken array is reported as broken JSON
        for _ in _array(src):
            src.value()
    else:
        src.value()
    if src.peek():
        raise src.error("Extra data", src.pos)
    if top != "{":
        raise ReportError(f"{src.path}: expected a JSON object at the top level")


def iter_object(
    path: Path, max_bytes: int, stream: str | None = None, *, block_size: int | None = None
) -> Iterator[Member]:
    """The top-level object of the JSON file ``path``, one :class:`Member` at a time.

    The value of the key ``stream`` comes member by member, all others whole.
    ``block_size`` defaults to :data:`BLOCK_SIZE`, read when called.
    Everything ``read_json`` refuses is refused with the same ReportError, but only
    once the walk reaches it: a caller must not act on what it got before the end.
    """
    fh, size = open_report(path, max_bytes)
    with fh:
        try:
            head = fh.read(65536)
            if not head.strip() and size <= len(head):
                raise ReportError(f"{path}: report is empty")
            if b"\x00" in head:
                raise ReportError(f"{path}: binary data where a text report was expected")
            fh.seek(0)
            src = _Source(path, fh, max(block_size or BLOCK_SIZE, 1), max_bytes)
            yield from _members(src, stream)
        except OSError as exc:
            raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
        except RecursionError:
            raise ReportError(f"{path}: JSON nested too deeply") from None
