"""The commit reader: collections read back from commit messages (trailers), history walks
straight from loose and packed objects, and revision names.

A collection commit carries its headline figures as ``Gitmetrics-*`` trailers, so listing
history never opens a snapshot. Readers skip, with one warning each, a collection whose
trailers are malformed or whose ``Gitmetrics-Schema`` is newer than this gitmetrics.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmetrics.errors import StoreError, warn
from gitmetrics.render import escape
from gitmetrics.schema import SCHEMA_VERSION
from gitmetrics.store.format import SNAPSHOT_DIR, in_layout

if TYPE_CHECKING:
    from gitmetrics.store.cache import CommitCache

TRAILER_PREFIX = "Gitmetrics-"


@dataclass(frozen=True)
class HistoryEntry:
    """One collection, read from its commit object alone (message trailers)."""

    commit: str
    timestamp: str
    snapshot_path: str
    avg_coverage: float | None
    weighted_coverage: float | None
    repos: int
    files: int
    failed: int
    host: str
    subject: str
    #: the snapshot schema the collection was written with (``Gitmetrics-Schema``)
    schema: int = 1
    #: the collection's branch coverage (``Gitmetrics-Branch-Coverage``; ``None`` when it
    #: has no branch figures, or was written before the trailer existed)
    branch_coverage: float | None = None
    #: repositories the collection measured (``None``: all of them, schema 1)
    measured: int | None = None
    #: repositories of the state it kept from earlier collections
    carried: int = 0
    #: repositories of the state older than their ``max_age``
    stale: int = 0


_PREFIX = TRAILER_PREFIX.encode()
_NL_PREFIX = b"\n" + _PREFIX
_CUT = len(TRAILER_PREFIX)


def _percentage(values: dict[str, str], key: str) -> float | None:
    v = values.get(key, "n/a")
    if v == "n/a":
        return None
    try:
        value = float(v)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:
        raise ValueError(f"Gitmetrics-{key}: {shown(v)} is not a percentage")
    return value


def _count(values: dict[str, str], key: str, default: str = "0") -> int:
    v = values.get(key, default)
    if not v.isdigit() or len(v) > 12:
        raise ValueError(f"Gitmetrics-{key}: {shown(v)} is not a count")
    return int(v)


def parse_trailers_strict(commit_id: str, message: bytes) -> HistoryEntry | None:
    """The collection a commit message records; ``None`` for merges and foreign commits.

    ``ValueError`` when the trailers are there but malformed (a bad number, a snapshot path
    outside the layout, a timestamp that is not one).
    """
    start = 0 if message.startswith(_PREFIX) else message.find(_NL_PREFIX)
    if start < 0:
        return None  # not a collection: no trailer at all
    values: dict[str, str] = {}
    for line in message[start:].decode("utf-8", "replace").splitlines():
        if line.startswith(TRAILER_PREFIX):
            key, sep, value = line[_CUT:].partition(": ")
            if sep:
                values[key] = value.strip()
    if "Snapshot" not in values or "Timestamp" not in values:
        return None
    first = message.split(b"\n", 1)[0].decode("utf-8", "replace").splitlines()
    snapshot_path = values["Snapshot"]
    if not snapshot_path.startswith(SNAPSHOT_DIR + "/") or not in_layout(snapshot_path):
        raise ValueError(f"Gitmetrics-Snapshot: {shown(snapshot_path)} is not a snapshot path")
    timestamp = values["Timestamp"]
    try:
        datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Gitmetrics-Timestamp: {shown(timestamp)} is not a time") from None
    return HistoryEntry(
        commit_id,
        timestamp,
        snapshot_path,
        _percentage(values, "Avg-Coverage"),
        _percentage(values, "Weighted-Coverage"),
        _count(values, "Repos"),
        _count(values, "Files"),
        _count(values, "Failed"),
        values.get("Host", "")[:200],
        first[0][:500] if first else "",
        _count(values, "Schema", "1"),
        _percentage(values, "Branch-Coverage"),
        measured=_count(values, "Measured") if "Measured" in values else None,
        carried=_count(values, "Carried"),
        stale=_count(values, "Stale"),
    )


def newer_schema(entry: HistoryEntry) -> str | None:
    """Why a collection cannot be read by this gitmetrics (a newer schema), else ``None``."""
    if entry.schema > SCHEMA_VERSION:
        return (
            f"Gitmetrics-Schema {entry.schema} is newer than this gitmetrics understands "
            f"({SCHEMA_VERSION}); upgrade gitmetrics to read it"
        )
    return None


def entry_from(commit_id: str, message: bytes) -> HistoryEntry | None:
    """:func:`parse_trailers_strict` for readers: a malformed collection, or one written with
    a newer schema, is skipped with a warning naming it, so one commit never stops a command.
    """
    try:
        entry = parse_trailers_strict(commit_id, message)
    except ValueError as exc:
        warn(f"skipped collection {commit_id[:10]} in the metrics history: {exc}")
        return None
    if entry is not None and (why := newer_schema(entry)) is not None:
        warn(f"skipped collection {commit_id[:10]} in the metrics history: {why}")
        return None
    return entry


def parse_trailers(commit: Any) -> HistoryEntry | None:
    """The collection a dulwich commit records, or ``None`` (merges and foreign commits)."""
    return entry_from(commit.id.decode(), commit.message)


def shown(text: str) -> str:
    """A trailer value as it may be printed (escaped, cut short)."""
    return escape.visible(text, 80)


class CommitReader:
    """Reads commits newest first, straight from loose files and packs (no dulwich objects)."""

    def __init__(
        self, repo: Callable[[], Any], loose: str, where: Path, kept: CommitCache | None = None
    ) -> None:
        #: dulwich's ``Repo``, opened when first needed (a delta, a commit in no pack)
        self.repo = repo
        #: the directory of the loose objects
        self.loose = loose
        self.where = where
        self._packed_history = False
        self._packs: list[tuple[PackIndex, Any]] = []
        #: the newest commits' raw text, kept beside the store (:data:`KEPT_COMMITS`)
        self._kept = kept
        self._read = 0

    def close(self) -> None:
        """Release the pack maps."""
        for index, data in self._packs:
            index.data.close()
            data.close()
        self._packs = []
        self._packed_history = False

    def history(self, heads: Sequence[str]) -> Iterator[HistoryEntry]:
        """Collections reachable from any of ``heads``, each once, newest commit first."""
        for sha, message in self.walk([h.encode() for h in heads]):
            found = entry_from(sha, message)
            if found is not None:
                yield found

    def walk(self, heads: Sequence[bytes]) -> Iterator[tuple[str, bytes]]:
        """``(commit id, message)`` of every commit reachable from ``heads``, newest first."""
        queue: list[tuple[int, int, bytes]] = []
        seen = set(heads)
        pending: dict[bytes, bytes] = {}
        order = 0
        for order, head in enumerate(dict.fromkeys(heads)):
            raw = self.raw_commit(head)
            heapq.heappush(queue, (-_commit_time(raw), order, head))
            pending[head] = raw
        while queue:
            _, _, sha = heapq.heappop(queue)
            raw = pending.pop(sha)
            headers, _, message = raw.partition(b"\n\n")
            for line in headers.split(b"\n"):
                if line.startswith(b"parent "):
                    parent = line[7:47]
                    if parent not in seen:
                        seen.add(parent)
                        order += 1
                        praw = self.raw_commit(parent)
                        pending[parent] = praw
                        heapq.heappush(queue, (-_commit_time(praw), order, parent))
            yield sha.decode(), message

    def raw_commit(self, sha: bytes) -> bytes:
        """A commit object's raw text: from the local cache of the newest commits when it
        is kept there, else read straight from its loose file or a pack (and kept, for the
        first :data:`KEPT_COMMITS` a reader reads).

        The cache holds each commit's text beside its id, and an entry whose text does not
        hash to its id is a miss: what a command reads is what the store holds.
        """
        kept = self._kept
        if kept is not None:
            value = kept.get(sha.decode())
            if value is not None and (raw := _kept_text(sha, value)) is not None:
                return raw
            raw = self._raw_commit(sha)
            self._read += 1
            if self._read <= KEPT_COMMITS:
                kept.put(sha.decode(), b"%012d %s" % (_commit_time(raw), raw.hex().encode()))
            return raw
        return self._raw_commit(sha)

    def _raw_commit(self, sha: bytes) -> bytes:
        """A commit object's raw text, read straight from its loose file or its pack.

        After the first commit found in no loose file (a store after ``gitmetrics gc``),
        packs are asked first, so a packed history pays no failed file opens. dulwich is
        asked only for what this does not read: a commit stored as a delta, or found in
        no pack of the store's own.
        """
        if not self._packed_history:
            name = sha.decode()
            try:
                with open(f"{self.loose}/{name[:2]}/{name[2:]}", "rb") as fh:  # noqa: PTH123 - hot
                    data = zlib.decompress(fh.read())
            except (OSError, zlib.error):
                self._packed_history = True
                self._packs = _open_packs(Path(self.loose) / "pack")
            else:
                header, _, body = data.partition(b"\0")
                if not header.startswith(b"commit "):
                    raise StoreError(f"{self.where}: {sha.decode()} is not a commit")
                return body
        raw_sha = bytes.fromhex(sha.decode())
        for index, data in self._packs:  # asked directly: no store lookups per call
            offset = index.offset(raw_sha)
            if offset is None:
                continue
            found = _packed_commit(data, offset)
            if found is not None:
                return found
            break  # a delta: dulwich resolves it
        return self._checked(sha, *self.repo().object_store.get_raw(sha))

    def _checked(self, sha: bytes, kind: int, text: bytes) -> bytes:
        if kind != 1:
            raise StoreError(f"{self.where}: {sha.decode()} is not a commit")
        return bytes(text)


#: How many commits the local cache ``<gitdir>/gitmetrics-commits`` keeps (the newest by
#: commit time): a view of the newest collections reads their commits from it without
#: opening the pack.
KEPT_COMMITS = 16

#: the name of that cache (see :mod:`gitmetrics.store.cache`)
COMMITS_CACHE = "commits"


def _kept_text(sha: bytes, value: bytes) -> bytes | None:
    """The raw commit of a cache line (``<commit time> <hex of the text>``) when it hashes
    to ``sha``; ``None`` for anything else (a miss)."""
    try:
        raw = bytes.fromhex(value.partition(b" ")[2].decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    digest = hashlib.sha1(b"commit %d\0" % len(raw) + raw, usedforsecurity=False).hexdigest()
    return raw if digest.encode() == sha else None


def find_commit(repo: Any, rev: str) -> str | None:
    """The commit a revision names (sha, prefix, ref, ``HEAD~2``, ``main^``), or ``None``."""
    from dulwich.objects import Commit
    from dulwich.objectspec import parse_commit

    m = re.fullmatch(r"(.+?)((?:[~^]\d*)*)", rev.strip())
    if m is None or not m.group(1):
        return None
    try:
        commit = parse_commit(repo, m.group(1))
    except (KeyError, ValueError):
        return None
    for op, count in re.findall(r"([~^])(\d*)", m.group(2)):
        n = int(count) if count else 1
        steps = n if op == "~" else 1
        parent_index = 0 if op == "~" else n - 1
        if op == "^" and n == 0:
            continue
        for _ in range(steps):
            if parent_index >= len(commit.parents):
                return None
            commit = repo[commit.parents[parent_index]]
            if not isinstance(commit, Commit):
                return None
    return str(commit.id.decode())


_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_IDX_V2 = b"\377tOc\0\0\0\2"


class PackIndex:
    """A pack's index (``.idx``, version 2) read from its file: where an object is."""

    def __init__(self, data: Any) -> None:
        self.data = data
        (count,) = _U32.unpack_from(data, 8 + 255 * 4)
        self._names = 8 + 256 * 4
        self._offsets = self._names + 24 * count  # after the names and their CRCs
        self._large = self._offsets + 4 * count

    def offset(self, sha: bytes) -> int | None:
        """The offset in the pack of the object ``sha`` (raw), ``None`` when absent."""
        data = self.data
        first = sha[0]
        lo = _U32.unpack_from(data, 4 + 4 * first)[0] if first else 0
        (hi,) = _U32.unpack_from(data, 8 + 4 * first)
        names = self._names
        while lo < hi:
            mid = (lo + hi) >> 1
            at = names + 20 * mid
            probe = data[at : at + 20]
            if probe < sha:
                lo = mid + 1
            elif probe > sha:
                hi = mid
            else:
                (found,) = _U32.unpack_from(data, self._offsets + 4 * mid)
                if found & 0x80000000:
                    (found,) = _U64.unpack_from(data, self._large + 8 * (found & 0x7FFFFFFF))
                return int(found)
        return None


def _open_packs(where: Path) -> list[tuple[PackIndex, Any]]:
    """Every pack of ``where`` with a version-2 index, as (index, mapped pack)."""
    found = []
    for idx in sorted(where.glob("pack-*.idx")):
        try:
            index = _map(str(idx))
        except (OSError, ValueError):
            continue
        if index[:8] != _IDX_V2 or len(index) < 8 + 256 * 4:
            index.close()  # an old version 1 index: dulwich reads that pack
            continue
        try:
            pack = _map(str(idx.with_suffix(".pack")))
        except (OSError, ValueError):
            index.close()
            continue
        found.append((PackIndex(index), pack))
    return found


def _map(path: str) -> Any:
    import mmap

    with open(path, "rb") as fh:  # noqa: PTH123 - the map outlives the file object
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _packed_commit(data: Any, offset: int) -> bytes | None:
    """A whole commit object stored at ``offset`` of a pack; ``None`` when it is a delta."""
    byte = data[offset]
    if (byte >> 4) & 7 != 1:  # not stored whole as a commit
        return None
    size = byte & 0x0F
    shift, pos = 4, offset + 1
    while byte & 0x80:
        byte = data[pos]
        size |= (byte & 0x7F) << shift
        shift += 7
        pos += 1
    inflater = zlib.decompressobj()
    body = inflater.decompress(data[pos : pos + size + 1024], size)
    if len(body) != size:
        return None  # odd compression: leave it to dulwich
    return body


def _commit_time(raw: bytes) -> int:
    start = raw.find(b"\ncommitter ")
    if start < 0:
        return 0
    line = raw[start + 1 : raw.find(b"\n", start + 1)]
    try:
        return int(line.rsplit(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0
