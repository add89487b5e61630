"""Packing the store: every object in one pack, successive snapshots stored as deltas.

gitmetrics writes loose objects (one zlib file per object, so a commit never rewrites
anything). Snapshots differ from the one before by a few figures, so stored as deltas
against each other they take a few KB instead of tens. Bases are chosen the way git
does it, specialised to the store's layout: objects are grouped by what they are (all
snapshot files, every repository's per-file detail, the badges, then each tree path such
as ``snapshots/2026/11``), newest first, and each is tried against the previous
``WINDOW`` objects of its group (and a per-file detail also against its repository's
previous one); chains stay under ``MAX_DEPTH`` so reading an old snapshot stays cheap.
The pack is written and indexed before any loose object or old pack is removed, so a
crash leaves a valid store.
"""

from __future__ import annotations

import contextlib
import heapq
import re
import stat
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmetrics.store.objects import GITLINK_MODE

if TYPE_CHECKING:
    from gitmetrics.store.repo import Store

WINDOW = 10
MAX_DEPTH = 50
#: a delta this much smaller than the object is good enough: stop searching the window
GOOD_ENOUGH = 8
#: text objects larger than this get line-based deltas (dulwich's byte-level search is slow
#: on them and finds no more)
LINE_DELTA_FROM = 4096

_COMMIT, _TREE, _BLOB = 1, 2, 3
#: groups of indented JSON, which get line- and key-level deltas
_JSON_GROUPS = frozenset({"snapshot", "latest", "files"})


@dataclass(frozen=True)
class GcResult:
    """What ``gc`` did."""

    objects: int
    deltas: int
    loose_removed: int
    packs_removed: int
    bytes_before: int
    bytes_after: int


def objects_size(gitdir: Path) -> int:
    """Bytes of every file under ``objects/`` (loose objects and packs)."""
    return sum(p.stat().st_size for p in (gitdir / "objects").rglob("*") if p.is_file())


@dataclass(frozen=True, slots=True)
class _Item:
    """An object to pack: what it sorts by, not its bytes (read again when it is written)."""

    sha: bytes  # hex
    type_num: int
    group: str
    order: tuple[int, str]


def gc(store: Store) -> GcResult:
    """Pack every object of the store into one deltified pack; remove what it replaces."""
    gitdir = store.gitdir
    before = objects_size(gitdir)
    with store.locked():
        repo = store.repo
        object_store = repo.object_store
        items = _reachable(store)
        old_packs = list(object_store.packs)
        for pack in old_packs:  # keep whatever the old packs hold, reachable or not
            for sha in pack:
                hexsha = sha if len(sha) == 40 else sha.hex().encode()
                if hexsha not in items:
                    kind, _ = object_store.get_raw(hexsha)
                    items[hexsha] = _Item(hexsha, kind, f"packed-{kind}", (0, ""))
        if not items:
            return GcResult(0, 0, 0, 0, before, before)
        ordered = sorted(items.values(), key=lambda i: (i.type_num, i.group, i.order))
        deltas = 0

        def records() -> Iterator[Any]:
            nonlocal deltas
            from dulwich.pack import UnpackedObject

            for item, base, data in _deltify(ordered, object_store):
                deltas += base is not None
                yield UnpackedObject(
                    item.type_num,
                    sha=bytes.fromhex(item.sha.decode()),
                    delta_base=None if base is None else bytes.fromhex(base.decode()),
                    decomp_chunks=[data],
                )

        new_pack = object_store.add_pack_data(len(ordered), records())
        packed = set(items)
        loose_removed = 0
        for sha in list(object_store._iter_loose_objects()):
            if sha in packed:
                object_store.delete_loose_object(sha)
                loose_removed += 1
        for fanout in (gitdir / "objects").glob("[0-9a-f][0-9a-f]"):
            with contextlib.suppress(OSError):  # not empty: unreachable objects stay loose
                fanout.rmdir()
        # the same objects make the same pack name: then the "old" pack is the new one
        old_packs = [p for p in old_packs if new_pack is None or p.name() != new_pack.name()]
        packs_removed = 0
        for pack in old_packs:
            base = Path(pack._basename)
            pack.close()
            if base.with_suffix(".keep").exists():
                continue  # someone asked for this pack to stay; its copies in ours are harmless
            for suffix in (".pack", ".idx", ".bitmap", ".rev"):
                base.with_suffix(suffix).unlink(missing_ok=True)
            packs_removed += 1
    store.close()
    return GcResult(
        objects=len(ordered),
        deltas=deltas,
        loose_removed=loose_removed,
        packs_removed=packs_removed,
        bytes_before=before,
        bytes_after=objects_size(gitdir),
    )


def _reachable(store: Store) -> dict[bytes, _Item]:
    """Every object reachable from a ref, each with the group and order it sorts by."""
    repo = store.repo
    object_store = repo.object_store
    items: dict[bytes, _Item] = {}
    heads = {sha for name, sha in repo.refs.as_dict().items() if not name.startswith(b"refs/stash")}
    queue: list[tuple[int, bytes]] = []
    seen: set[bytes] = set()
    for sha in heads:
        kind, raw = object_store.get_raw(sha)
        if kind != _COMMIT:  # a tag or a ref to a tree: pack it as is
            items[sha] = _Item(sha, kind, f"other-{kind}", (0, ""))
            continue
        if sha not in seen:
            seen.add(sha)
            heapq.heappush(queue, (-_time(bytes(raw)), sha))
    n = 0
    while queue:
        _, sha = heapq.heappop(queue)
        kind, raw = object_store.get_raw(sha)
        raw = bytes(raw)
        n += 1  # walk order: newest first
        items[sha] = _Item(sha, _COMMIT, "commit", (n, ""))
        headers = raw.partition(b"\n\n")[0]
        for line in headers.split(b"\n"):
            if line.startswith(b"tree "):
                _tree(object_store, line[5:45], "", n, items)
            elif line.startswith(b"parent "):
                parent = line[7:47]
                if parent not in seen:
                    seen.add(parent)
                    _, praw = object_store.get_raw(parent)
                    heapq.heappush(queue, (-_time(bytes(praw)), parent))
    return items


def _tree(object_store: Any, sha: bytes, path: str, n: int, items: dict[bytes, _Item]) -> None:
    if sha in items:
        return
    tree = object_store[sha]
    items[sha] = _Item(sha, _TREE, f"tree:{path}", (n, ""))
    for entry in tree.iteritems():
        name = path + entry.path.decode("utf-8", "replace")
        if stat.S_ISDIR(entry.mode):
            _tree(object_store, entry.sha, name + "/", n, items)
        elif entry.mode & 0o170000 == GITLINK_MODE:  # a submodule commit: not stored here
            continue
        else:
            _blob(object_store, entry.sha, name, n, items)


def _blob(object_store: Any, sha: bytes, path: str, n: int, items: dict[bytes, _Item]) -> None:
    snapshot = path.startswith("snapshots/")
    known = items.get(sha)
    if known is not None and (known.group == "snapshot" or not snapshot):
        return
    if snapshot:
        # snapshot names start with their timestamp: newest first is name order, reversed
        group, order = "snapshot", (0, _reverse(path.rsplit("/", 1)[-1]))
    elif path == "latest.json":  # the same blob as a snapshot file, found under its name later
        group, order = "latest", (n, "")
    elif path.startswith("badges/"):
        # badges are alike whatever they show: one group, so a badge written once (a
        # repository's) has the others of its collection to be a delta of
        group, order = "badges", (n, path)
    elif path.startswith("repos/") and path.endswith("/files.json"):
        # one group for every repository's detail, as git groups blobs by their file name:
        # repositories fed the same report (a monorepo's parts, forks) pack against each
        # other; the path orders a collection's and names the repository's previous one
        group, order = "files", (n, path)
    else:
        group, order = f"file:{path}", (n, "")
    items[sha] = _Item(sha, _BLOB, group, order)


def _reverse(name: str) -> str:
    # sorts names descending under an ascending sort
    return "".join(chr(0x10FFFF - ord(c)) for c in name)


def _time(raw: bytes) -> int:
    start = raw.find(b"\ncommitter ")
    line = raw[start + 1 : raw.find(b"\n", start + 1)]
    try:
        return int(line.rsplit(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _copy(offset: int, size: int) -> bytes:
    """git delta copy instructions for ``size`` bytes of the base from ``offset``."""
    out = bytearray()
    while size:
        step = min(size, 0x10000)
        op = 0x80
        args = bytearray()
        for i in range(4):
            byte = (offset >> (8 * i)) & 0xFF
            if byte:
                op |= 1 << i
                args.append(byte)
        if step != 0x10000:  # a size of 0x10000 is written as no size bytes
            for i in range(3):
                byte = (step >> (8 * i)) & 0xFF
                if byte:
                    op |= 0x10 << i
                    args.append(byte)
        out.append(op)
        out += args
        offset += step
        size -= step
    return bytes(out)


def _insert(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 0x7F):
        part = data[i : i + 0x7F]
        out.append(len(part))
        out += part
    return bytes(out)


#: a changed unit shares more than this many bytes with the one it replaces: copy them
MIN_SHARED = 16

#: a line, cut after each JSON key too: a changed figure then costs a few bytes, not a line
_UNITS = re.compile(rb'[^\n]*?(?:": |\n)|[^\n]+')


def line_delta(base: bytes, target: bytes) -> bytes:
    """A git delta turning ``base`` into ``target``, matching whole lines.

    Snapshots are indented JSON in a stable order, so two of them differ by a few lines
    in place: following the base line by line, and jumping to the next copy of a line
    when they part, finds nearly every shared run at a fraction of the cost of a
    byte-level search.
    """
    return _delta(_Units.of(base), _Units.of(target))


@dataclass
class _Units:
    """A text cut into units, with each unit's offset and where each unit occurs."""

    data: bytes
    units: list[bytes]
    offsets: list[int]
    where: dict[bytes, list[int]]

    @classmethod
    def of(cls, data: bytes) -> _Units:
        units = _UNITS.findall(data)
        offsets = [0] * (len(units) + 1)
        where: dict[bytes, list[int]] = {}
        pos = 0
        for i, unit in enumerate(units):
            offsets[i] = pos
            pos += len(unit)
            where.setdefault(unit, []).append(i)
        offsets[len(units)] = pos
        return cls(data, units, offsets, where)


def _delta(b: _Units, t: _Units) -> bytes:
    from bisect import bisect_left

    base, target = b.data, t.data
    base_lines, offsets, where = b.units, b.offsets, b.where
    out = [_varint(len(base)), _varint(len(target))]
    copy = [-1, -1]  # base byte range of the copy being extended
    literal: list[bytes] = []

    def copy_range(start: int, end: int) -> None:
        if start == end:
            return
        if literal:
            if copy[0] >= 0:
                out.append(_copy(copy[0], copy[1] - copy[0]))
                copy[0] = -1
            out.append(_insert(b"".join(literal)))
            literal.clear()
        if copy[0] >= 0 and copy[1] == start:
            copy[1] = end
        else:
            if copy[0] >= 0:
                out.append(_copy(copy[0], copy[1] - copy[0]))
            copy[0], copy[1] = start, end

    p = 0  # the next base line expected
    for line in t.units:
        if p < len(base_lines) and base_lines[p] == line:
            i = p
        elif p + 1 < len(base_lines) and base_lines[p + 1] == line:
            i = p + 1  # one unit replaced: the usual change, a figure
        else:
            # a short unit (a figure, a brace) matches only in place: jumping to
            # another copy of it would lose the alignment
            found = where.get(line) if len(line) > 8 else None
            i = -1
            if found:
                k = bisect_left(found, p)
                i = found[k] if k < len(found) else found[0]
        if i < 0:
            if p < len(base_lines) and len(line) > MIN_SHARED:
                # the unit in place changed inside (a table row's figure): copy what it
                # shares with the expected unit at both ends
                old = base_lines[p]
                most = min(len(old), len(line))
                pre = _shared(old, line, most, lambda s, n: s[:n])
                suf = _shared(old, line, most - pre, lambda s, n: s[len(s) - n :])
                if pre + suf > MIN_SHARED:
                    copy_range(offsets[p], offsets[p] + pre)
                    literal.append(line[pre : len(line) - suf])
                    copy_range(offsets[p + 1] - suf, offsets[p + 1])
                    p += 1
                    continue
            literal.append(line)
            continue
        copy_range(offsets[i], offsets[i + 1])
        p = i + 1
    if literal:
        if copy[0] >= 0:
            out.append(_copy(copy[0], copy[1] - copy[0]))
            copy[0] = -1
        out.append(_insert(b"".join(literal)))
    elif copy[0] >= 0:
        out.append(_copy(copy[0], copy[1] - copy[0]))
    return b"".join(out)


def _shared(a: bytes, b: bytes, most: int, part: Callable[[bytes, int], bytes]) -> int:
    """The longest ``n <= most`` with ``part(a, n) == part(b, n)`` (slices compared in C)."""
    low, high = 0, most
    while low < high:
        mid = (low + high + 1) // 2
        if part(a, mid) == part(b, mid):
            low = mid
        else:
            high = mid - 1
    return low


def _deltify(
    ordered: list[_Item], object_store: Any
) -> Iterator[tuple[_Item, bytes | None, bytes]]:
    """Each object with its chosen base (``None``: stored whole) and what to write.

    Objects are read as they come and only the window's are kept, so memory stays that of
    the window (and the index of what to pack), whatever the size of the store.
    """
    from dulwich.pack import create_delta

    cache: dict[bytes, _Units] = {}

    def units(sha: bytes, raw: bytes) -> _Units:
        found = cache.get(sha)
        if found is None:
            found = cache[sha] = _Units.of(raw)
            if len(cache) > WINDOW + 1:
                del cache[next(iter(cache))]
        return found

    def make(base: _Item, base_raw: bytes, target: _Item, raw: bytes) -> bytes:
        if target.group in _JSON_GROUPS and len(raw) > LINE_DELTA_FROM:
            return _delta(units(base.sha, base_raw), units(target.sha, raw))
        if target.type_num == _BLOB and len(raw) > LINE_DELTA_FROM // 4 and b"\n" in raw:
            # other text (the README's tables, whose rows move as figures change): lines,
            # with what a changed line shares at its ends copied
            return _delta(units(base.sha, base_raw), units(target.sha, raw))
        return b"".join(create_delta(base_raw, raw))

    window: deque[tuple[_Item, bytes, int]] = deque(maxlen=WINDOW)
    # per path, its newest object so far (the "files" group only: its window holds every
    # repository's detail, newest first, so a repository's own previous one may have left it)
    last: dict[str, tuple[_Item, bytes, int]] = {}
    depth: dict[bytes, int] = {}
    group = None
    for item in ordered:
        raw = bytes(object_store.get_raw(item.sha)[1])
        if item.group != group:
            window.clear()
            last.clear()
            group = item.group
        best: bytes | None = None
        best_base: _Item | None = None
        if item.type_num != _COMMIT and len(raw) > 64:
            limit = len(raw) // 2
            candidates = list(window)
            mine = last.get(item.order[1]) if item.group == "files" else None
            if mine is not None and all(mine[0] is not c[0] for c in candidates):
                candidates.append(mine)
            for base, base_raw, base_depth in candidates:
                if base_depth >= MAX_DEPTH:
                    continue
                delta = make(base, base_raw, item, raw)
                if len(delta) < limit and (best is None or len(delta) < len(best)):
                    best, best_base = delta, base
                    if len(delta) * GOOD_ENOUGH < len(raw):
                        break
        if best is None or best_base is None:
            depth[item.sha] = 0
            yield item, None, raw
        else:
            depth[item.sha] = depth[best_base.sha] + 1
            yield item, best_base.sha, best
        window.appendleft((item, raw, depth[item.sha]))
        if item.group == "files":
            last[item.order[1]] = window[0]


def _entry_header(type_num: int, size: int) -> bytes:
    """A pack entry's header: its type and its size, 4 bits then 7 per byte."""
    out = bytearray()
    byte = (type_num << 4) | (size & 0x0F)
    size >>= 4
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


#: From this many objects in one write (the first collection of a large config: three a
#: repository) the new ones go into one pack of whole objects instead of a loose file each
#: (a file, its directory and its rename cost about 0.7 ms here; git's own
#: ``fetch.unpackLimit`` is 100). ``gitmetrics gc`` packs them with the rest later.
PACKED_FROM = 256


def add_packed(odb: Any, objects: Sequence[Any]) -> None:
    """Write those of ``objects`` (dulwich objects) that ``odb`` lacks as one pack of
    whole objects, compressed at the store's level for loose objects (under the lock)."""
    new: dict[bytes, tuple[bytes, int, bytes]] = {}
    for obj in objects:
        if obj.id not in new and obj.id not in odb:
            new[obj.id] = (obj.id, obj.type_num, obj.as_raw_string())
    if new:
        level = getattr(odb, "loose_compression_level", -1)
        write_whole(Path(odb.path) / "pack", list(new.values()), level=level)


def write_whole(
    pack_dir: Path, objects: Sequence[tuple[bytes, int, bytes]], *, level: int = -1
) -> str:
    """Write ``objects`` (hex id, type number, bytes) as one pack of whole objects, each
    compressed on its own (at zlib ``level``), with its version-2 index; returns the
    pack's name.

    For objects already read whole (a fetch from a path on this machine): dulwich's writer
    reads every object back from the pack it wrote to index it. The ids are the caller's,
    checked against the bytes before this is called. The index is renamed into place
    after the pack, so the pack is seen only once it is complete.
    """
    import hashlib
    import secrets
    import struct
    import zlib

    from dulwich.pack import write_pack_index

    pack_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    tmp_pack, tmp_index = pack_dir / f"tmp_whole_{token}.pack", pack_dir / f"tmp_whole_{token}.idx"
    digest = hashlib.sha1()
    entries: list[tuple[bytes, int, int]] = []
    try:
        with tmp_pack.open("wb") as out:
            head = b"PACK" + struct.pack(">II", 2, len(objects))
            out.write(head)
            digest.update(head)
            offset = len(head)
            for sha, type_num, raw in objects:
                chunk = _entry_header(type_num, len(raw)) + zlib.compress(raw, level)
                entries.append((bytes.fromhex(sha.decode()), offset, zlib.crc32(chunk)))
                out.write(chunk)
                digest.update(chunk)
                offset += len(chunk)
            checksum = digest.digest()
            out.write(checksum)
        entries.sort()
        with tmp_index.open("wb") as index:
            write_pack_index(index, entries, checksum)
        name = f"pack-{checksum.hex()}"
        tmp_pack.replace(pack_dir / f"{name}.pack")
        tmp_index.replace(pack_dir / f"{name}.idx")
        return name
    finally:
        tmp_pack.unlink(missing_ok=True)
        tmp_index.unlink(missing_ok=True)
