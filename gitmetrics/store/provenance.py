"""Source provenance: which commit of a collected repository was measured.

This reads the collected repositories, not the store; it lives here because it is the
other place gitmetrics reads git.

*Dirty* means a tracked change, as ``git status -uno`` reports one: a file of the index
changed, deleted or of another mode in the work tree, or an index that differs from
``HEAD`` (staged changes, conflicts, ``git add -N``). Untracked files never count, so the
coverage report a test run just wrote does not make its repository dirty. The check reads
the index and stats each tracked file, as git does: a file is read (and hashed) only when
its stat data differ from the index's, or when it changed within the second the index was
written. Whether the index matches ``HEAD`` is answered by git's cache tree when the index
has a whole one, else by hashing the index's trees; that answer is kept for the process,
keyed by the index file's mtime, size and inode and the ``HEAD`` commit.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitmetrics.store.objects import GITLINK_MODE

if TYPE_CHECKING:
    from gitmetrics.snapshot import Source

_ENTRY = struct.Struct(">10I20sH")  # ctime s/ns, mtime s/ns, dev, ino, mode, uid, gid, size
_SYMLINK = 0o120000
_ASSUME_VALID = 0x8000
_EXTENDED = 0x4000
_SKIP_WORKTREE = 0x4000 << 16  # extended flags, kept in the high half
_INTENT_TO_ADD = 0x2000 << 16

#: (index path, mtime ns, size, inode, HEAD tree) -> whether the index matches HEAD
_STAGED_CACHE: dict[tuple[str, int, int, int, bytes], bool] = {}


def source_of(path: Path) -> Source | None:
    """HEAD commit, branch and dirty flag of the git repository containing ``path``.

    Untracked files (a freshly written coverage report, say) do not make it dirty.
    ``None`` when ``path`` is not inside a git repository.
    """
    from dulwich.errors import NotGitRepository
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    from gitmetrics.snapshot import Source

    try:
        repo = Repo.discover(str(path))
    except NotGitRepository:
        return None
    try:
        try:
            head = repo.refs[Ref(b"HEAD")].decode()
        except KeyError:
            return Source(commit=None, branch=None, dirty=False)
        target = repo.refs.get_symrefs().get(Ref(b"HEAD"))
        branch = None
        if target is not None and target.startswith(b"refs/heads/"):
            branch = target[len(b"refs/heads/") :].decode()
        commit = repo[head.encode()]
        dirty = _dirty(repo, commit)
        committed_at = getattr(commit, "commit_time", None)
        return Source(commit=head, branch=branch, dirty=dirty, committed_at=committed_at)
    finally:
        repo.close()


def _dirty(repo: Any, commit: Any) -> bool:
    """True when the work tree or the index has a tracked change against ``commit``."""
    head_tree = getattr(commit, "tree", None)
    index_path = repo.index_path()
    try:
        with Path(index_path).open("rb") as fh:
            info = os.fstat(fh.fileno())
            data = fh.read()
    except FileNotFoundError:
        # no index: clean only when HEAD has no files (a checkout always writes one)
        return head_tree is not None and len(repo[head_tree]) > 0
    parsed = _parse_index(data)
    if parsed is None:  # a format this reader does not know (index v4): dulwich's status
        return _dirty_by_dulwich(repo)
    entries, cache_tree = parsed
    root = Path(repo.path)
    key = (str(index_path), info.st_mtime_ns, info.st_size, info.st_ino, head_tree or b"")
    staged_clean = _STAGED_CACHE.get(key)
    if staged_clean is None:
        staged_clean = _index_matches(entries, cache_tree, head_tree)
        _STAGED_CACHE[key] = staged_clean
    if not staged_clean:
        return True
    return _worktree_changed(entries, root, info.st_mtime_ns)


_NS = 1_000_000_000
_LOW32 = 0xFFFFFFFF

#: one index entry: path, mtime and ctime in ns (seconds as the index keeps them, 32 bits),
#: inode and size (32 bits), mode, sha (raw), flags (extended in the high half)
_Entry = tuple[bytes, int, int, int, int, int, bytes, int]


def _parse_index(data: bytes) -> tuple[list[_Entry], bytes | None] | None:
    """The entries of an index (v2/v3) and its root cache-tree id (``None``: not whole)."""
    if len(data) < 32 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3):
        return None
    entries: list[_Entry] = []
    append = entries.append
    unpack = _ENTRY.unpack_from
    find = data.find
    pos = 12
    end = len(data) - 20  # the trailing checksum
    for _ in range(count):
        c_s, c_ns, m_s, m_ns, _dev, ino, mode, _uid, _gid, size, sha, flags = unpack(data, pos)
        name_at = pos + 62
        if flags & _EXTENDED:
            flags |= struct.unpack_from(">H", data, name_at)[0] << 16
            name_at += 2
        length = flags & 0xFFF
        if length == 0xFFF:
            length = find(b"\0", name_at) - name_at
        end_at = name_at + length
        append(
            (data[name_at:end_at], m_s * _NS + m_ns, c_s * _NS + c_ns, ino, size, mode, sha, flags)
        )
        pos += (end_at - pos + 8) & ~7
    tree = None
    while pos + 8 <= end:
        sig = data[pos : pos + 4]
        (size,) = struct.unpack_from(">I", data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]
        if sig == b"TREE" and body[:1] == b"\0":
            header, _, rest = body[1:].partition(b"\n")
            count_text = header.split(b" ", 1)[0]
            if count_text.lstrip(b"-").isdigit() and int(count_text) >= 0 and len(rest) >= 20:
                tree = rest[:20].hex().encode()
        pos += 8 + size
    return entries, tree


def _index_matches(
    entries: list[_Entry], cache_tree: bytes | None, head_tree: bytes | None
) -> bool:
    """True when the index holds exactly ``head_tree`` (nothing staged, no conflict)."""
    for entry in entries:
        if entry[7] & (0x3000 | _INTENT_TO_ADD):  # a conflict stage, or `git add -N`
            return False
    if head_tree is None:
        return not entries
    if cache_tree is not None:
        return cache_tree == head_tree
    return _tree_of(entries) == head_tree


def _tree_of(entries: list[_Entry]) -> bytes:
    """The id of the tree the index describes (what ``git write-tree`` would write)."""
    # directory -> [(sort key, entry bytes)]; the index is sorted by path bytes
    dirs: dict[bytes, list[tuple[bytes, bytes]]] = {b"": []}
    for name, _m, _c, _ino, _size, mode, sha, _flags in entries:
        parent, _, base = name.rpartition(b"/")
        if parent not in dirs:
            # create the directory and its missing ancestors
            missing = []
            d = parent
            while d not in dirs:
                missing.append(d)
                d = d.rpartition(b"/")[0]
            for d in reversed(missing):
                dirs[d] = []
        dirs[parent].append((base, b"%o %s\0" % (mode, base) + sha))
    ids: dict[bytes, bytes] = {}
    for d in sorted(dirs, key=lambda p: p.count(b"/") if p else -1, reverse=True):
        if d:
            parent, _, base = d.rpartition(b"/")
            items = dirs[d]
            ids[d] = _hash_tree(items)
            dirs[parent].append((base + b"/", b"40000 %s\0" % base + ids[d]))
    return _hash_tree(dirs[b""]).hex().encode()


def _hash_tree(items: list[tuple[bytes, bytes]]) -> bytes:
    items.sort(key=lambda item: item[0])
    body = b"".join(entry for _, entry in items)
    return hashlib.sha1(b"tree %d\0" % len(body) + body).digest()


def _worktree_changed(entries: list[_Entry], root: Path, index_mtime_ns: int) -> bool:
    """True when a tracked file differs from its index entry (stat first, content if needed)."""
    lstat = os.lstat
    base = os.fsencode(root) + b"/"
    # a regular file's type and owner-execute bits as its index mode wants them
    kinds = {0o100644: 0o100000, 0o100755: 0o100100}
    skip = _ASSUME_VALID | _SKIP_WORKTREE
    for name, mtime, ctime, ino, size, mode, sha, flags in entries:
        if flags & skip:
            continue
        full = base + name
        try:
            st = lstat(full)
        except (FileNotFoundError, NotADirectoryError):
            if mode == GITLINK_MODE:
                continue  # a submodule that is not checked out
            return True
        kind = kinds.get(mode)
        if kind is None:
            if mode == GITLINK_MODE:
                if _submodule_moved(full, sha):
                    return True
                continue
            if not _same_kind(mode, st.st_mode):
                return True
        elif st.st_mode & 0o170100 != kind:
            return True
        if (
            mtime < index_mtime_ns  # else racily clean: the content decides
            and st.st_mtime_ns == mtime
            and st.st_ctime_ns == ctime
            and st.st_size & _LOW32 == size
            and st.st_ino & _LOW32 == ino
        ):
            continue  # stat data as the index recorded them
        if _blob_id(full, st) != sha:
            return True
    return False


def _same_kind(index_mode: int, file_mode: int) -> bool:
    if index_mode == _SYMLINK:
        return stat.S_ISLNK(file_mode)
    if not stat.S_ISREG(file_mode):
        return False
    return (index_mode == 0o100755) == bool(file_mode & 0o100)


def _blob_id(path: bytes, st: os.stat_result) -> bytes:
    """The raw blob id of a work-tree file (a symbolic link: of its target)."""
    if stat.S_ISLNK(st.st_mode):
        data = os.fsencode(Path(os.fsdecode(path)).readlink())
    else:
        data = Path(os.fsdecode(path)).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).digest()


def _submodule_moved(path: bytes, sha: bytes) -> bool:
    """True when a checked-out submodule's HEAD is not the commit the index records."""
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    sub = Path(os.fsdecode(path))
    if not (sub / ".git").exists():
        return False  # not checked out: git does not call that a change
    try:
        with Repo(str(sub)) as repo:
            return bytes(repo.head()) != sha.hex().encode()
    except (NotGitRepository, KeyError, OSError):
        return True


def _dirty_by_dulwich(repo: Any) -> bool:
    from dulwich import porcelain

    status = porcelain.status(repo, untracked_files="no")
    return bool(status.unstaged) or any(bool(v) for v in status.staged.values())
