"""A few entries of the git index changed in place, without decoding the others.

dulwich reads and writes every index entry in Python, which costs about 30 ms per
thousand files; a store that keeps every snapshot has tens of thousands. A commit changes
two to a few dozen paths, so the unchanged entries are copied through as bytes. Only the
plain formats are handled (version 2 or 3, no split index); for anything else the caller
falls back to dulwich. Optional extensions (the cached trees, untracked cache) are
dropped, which git accepts: they are caches it rebuilds.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Mapping
from pathlib import Path

from gitmetrics.store.objects import FILE_MODE

_ENTRY = struct.Struct(">10I20sH")


def entry_bytes(name: bytes, st: os.stat_result, sha_hex: bytes) -> bytes:
    """One version-2 index entry for a regular file with the stat data of ``st``."""
    m = 0xFFFFFFFF
    fixed = _ENTRY.pack(
        int(st.st_ctime) & m,
        st.st_ctime_ns % 1_000_000_000,
        int(st.st_mtime) & m,
        st.st_mtime_ns % 1_000_000_000,
        st.st_dev & m,
        st.st_ino & m,
        FILE_MODE,
        st.st_uid & m,
        st.st_gid & m,
        st.st_size & m,
        bytes.fromhex(sha_hex.decode()),
        min(len(name), 0xFFF),
    )
    size = (len(fixed) + len(name) + 8) & ~7
    return fixed + name + b"\0" * (size - len(fixed) - len(name))


def update(path: Path, changes: Mapping[bytes, bytes | None]) -> bool:
    """Replace or remove the entries of ``changes`` (name -> entry bytes, ``None`` removes).

    Returns False, having written nothing, when the index is not in a plain format.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b"DIRC" + struct.pack(">LL", 2, 0)
        data += hashlib.sha1(data).digest()
    if len(data) < 32 or data[:4] != b"DIRC":
        return False
    version, count = struct.unpack_from(">LL", data, 4)
    if version not in (2, 3) or hashlib.sha1(data[:-20]).digest() != data[-20:]:
        return False
    kept: list[tuple[bytes, bytes]] = []
    pos = 12
    for _ in range(count):
        flags = int.from_bytes(data[pos + 60 : pos + 62], "big")
        start = pos + 62 + (2 if flags & 0x4000 else 0)
        length = flags & 0xFFF
        if length == 0xFFF:
            length = data.index(b"\0", start) - start
        name = data[start : start + length]
        end = pos + ((start - pos + length + 8) & ~7)
        if name in changes:
            if flags & 0x3000:  # a conflict stage: leave it to the general path
                return False
        else:
            kept.append((name, data[pos:end]))
        pos = end
    # extensions: an uppercase first letter marks a cache git can drop and rebuild
    while pos < len(data) - 20:
        signature = data[pos : pos + 4]
        if not signature[:1].isupper():
            return False
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    kept.extend((name, entry) for name, entry in changes.items() if entry is not None)
    kept.sort(key=lambda item: item[0])
    body = b"DIRC" + struct.pack(">LL", version, len(kept)) + b"".join(e for _, e in kept)
    body += hashlib.sha1(body).digest()
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(body)
    lock.replace(path)
    return True
