"""A local cache of what views derive from each collection, kept beside the store.

A view over many collections (``trends``, ``report``) needs a few figures of each, and
reading them means inflating and parsing every snapshot: for 10,000 collections of 100
repositories, 800 MB of JSON. A commit never changes, so what is derived from a collection
commit's snapshot is fixed too: :class:`CommitCache` keeps it per commit id, in one file of
the store's git directory (``<gitdir>/gitmetrics-<name>``), never in its tree, never sent
by sync. A clone starts without it and fills it on its first read.

The file is a header line, then one line per commit: ``<40 hex> <value>``, where the value
is one line of bytes (compact JSON, for the views). New lines are appended with one
``write`` of ``O_APPEND``, so concurrent readers of the same store add whole lines. A line
that is cut (a killed process) or not understood is no more than a miss: the caller
derives the value again from the store. Anything else wrong with the file (unreadable, an
older header, over :data:`MAX_BYTES`) makes it start over; the cache is never a reason for
a command to fail.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The first line; a file with another one is from another version and is rewritten.
HEADER = b"gitmetrics cache 1\n"

#: Past this size the file is rewritten with only the entries read (no duplicates), and
#: nothing more is added when that is still too large.
MAX_BYTES = 256 * 1024 * 1024

_ID_LENGTH = 40


class CommitCache:
    """Values derived from collection commits, read once and appended to on :meth:`flush`.

    With ``keep``, it holds at most that many entries: those whose values sort last (a
    value that starts with its collection's timestamp keeps the newest collections), and
    :meth:`flush` rewrites the file with just them.
    """

    def __init__(self, path: Path, keep: int | None = None) -> None:
        self.path = path
        self.keep = keep
        self._entries: dict[str, bytes] | None = None
        self._new: list[bytes] = []
        #: the file is rewritten rather than appended to (missing, another header, too big)
        self._rewrite = False
        self._cut = False
        self._size = 0

    def _load(self) -> dict[str, bytes]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, bytes] = {}
        try:
            data = self.path.read_bytes()
        except OSError:
            data = b""
        self._size = len(data)
        #: a line cut short ends the file: what is appended starts on a line of its own
        self._cut = bool(data) and not data.endswith(b"\n")
        if not data.startswith(HEADER):
            self._rewrite = True
        else:
            lines = data[len(HEADER) :].split(b"\n")
            lines.pop()  # "" after the last newline, or a line cut short: a miss either way
            for line in lines:
                if len(line) > _ID_LENGTH + 1 and line[_ID_LENGTH] == 0x20:
                    entries[line[:_ID_LENGTH].decode("ascii", "replace")] = line[_ID_LENGTH + 1 :]
            if self._size > MAX_BYTES:
                self._rewrite = True
        self._entries = entries
        return entries

    def get(self, commit: str) -> bytes | None:
        """The value kept for ``commit``, or ``None``."""
        return self._load().get(commit)

    def wants(self, value: bytes) -> bool:
        """False when :meth:`put` would drop ``value`` at once (``keep`` entries are held,
        each sorting after it): the caller need not build the rest of it."""
        entries = self._load()
        return self.keep is None or len(entries) < self.keep or value > min(entries.values())

    def put(self, commit: str, value: bytes) -> None:
        """Keep ``value`` (one line: no newline in it) for ``commit`` until :meth:`flush`."""
        if len(commit) != _ID_LENGTH or b"\n" in value:
            raise ValueError("a cache entry is a commit id and one line")
        entries = self._load()
        if entries.get(commit) == value:
            return
        if self.keep is not None:
            if not self.wants(value):
                return
            entries[commit] = value
            while len(entries) > self.keep:
                del entries[min(entries, key=entries.__getitem__)]
            self._rewrite = True  # the file is written again with just the kept entries
        else:
            entries[commit] = value
        self._new.append(commit.encode("ascii") + b" " + value + b"\n")

    def flush(self) -> None:
        """Write what :meth:`put` added; a cache that cannot be written is left as it is."""
        if not self._new:
            return
        new, self._new = b"\n" * self._cut + b"".join(self._new), []
        try:
            if self._rewrite:
                assert self._entries is not None
                self._replace(self._entries)
            elif self._size + len(new) <= MAX_BYTES:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, new)
                finally:
                    os.close(fd)
                self._size += len(new)
                self._cut = False
        except OSError:
            pass  # a read-only store, a full disk: the views still work, only slower

    def _replace(self, entries: dict[str, bytes]) -> None:
        body = b"".join(c.encode("ascii") + b" " + v + b"\n" for c, v in entries.items())
        if len(HEADER) + len(body) > MAX_BYTES:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(HEADER + body)
            tmp.replace(self.path)
        finally:
            tmp.unlink(missing_ok=True)
        self._rewrite = False
        self._size = len(HEADER) + len(body)
