"""Source provenance: which commit of a collected repository was measured.

This reads the collected repositories, not the store; it lives here because it is the
other place gitmetrics reads git.

*Dirty* means a tracked change, as ``git status -uno`` reports one: a file of the index
changed, deleted or of another mode in the work tree, or an index that differs from
``HEAD`` (staged changes, conflicts, ``git add -N``). Untracked files never count, so the
coverage report a test run just wrote does not make its repository dirty; a checked-out
submodule counts when its ``HEAD`` moved or it has a tracked change itself. The check reads
the index and stats each tracked file in one pass, as git does: a file is read (and hashed)
only when its stat data differ from the index's, or when it changed within the second the
index was written. Whether the index matches ``HEAD`` is answered by git's cache tree when
the index has a whole one, else by hashing the index's trees; that answer is kept for the
process, keyed by the index file's mtime, size and inode and the ``HEAD`` commit. An index
of version 4 is left to dulwich's status, a split index to ``git status``.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitmetrics.errors import GitmetricsError, StoreError
from gitmetrics.snapshot import Source
from gitmetrics.store.objects import GITLINK_MODE
from gitmetrics.store.plain import Plain, Unsure, open_plain
from gitmetrics.store.reader import CommitReader

_ENTRY = struct.Struct(">10I20sH")  # ctime s/ns, mtime s/ns, dev, ino, mode, uid, gid, size
#: what the stat check compares of an entry: ctime s/ns, mtime s/ns, ino, mode, size, flags
_STAT = struct.Struct(">4I4x2I8xI20xH")
_VERSION = struct.Struct(">I")  # also the entry count, an extension's size
_FLAGS = struct.Struct(">H")  # an entry's flags (at 60), its extended flags (after them)
_SYMLINK = 0o120000
_ASSUME_VALID = 0x8000
_EXTENDED = 0x4000
_SKIP_WORKTREE = 0x4000 << 16  # extended flags, kept in the high half
_INTENT_TO_ADD = 0x2000 << 16
_STAGES = 0x3000  # a merge stage: a conflict
#: what tells git where a repository is: not inherited by the `git status` run here
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
                 "GIT_OBJECT_DIRECTORY")  # fmt: skip

_NS = 1_000_000_000
_LOW32 = 0xFFFFFFFF

#: one index entry: path, mtime and ctime in ns (seconds as the index keeps them, 32 bits),
#: inode and size (32 bits), mode, sha (raw), flags (extended in the high half)
_Entry = tuple[bytes, int, int, int, int, int, bytes, int]

#: (index path, mtime ns, size, inode, HEAD tree) -> whether the index matches HEAD
_STAGED_CACHE: dict[tuple[str, int, int, int, bytes], bool] = {}


def source_of(path: Path) -> Source | None:
    """HEAD commit, branch and dirty flag of the git repository containing ``path``.

    Untracked files (a freshly written coverage report, say) do not make it dirty.
    ``None`` when ``path`` is not inside a git repository. A plain repository (store/plain.py)
    is read without dulwich; anything else is read by dulwich.
    """
    found = _discover_plain(path)
    if found is not None:
        try:
            return _plain_source(*found)
        except (Unsure, StoreError):
            pass  # dulwich reads it, and says what is wrong with it
    from dulwich.errors import NotGitRepository
    from dulwich.refs import Ref
    from dulwich.repo import Repo

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


def _discover_plain(path: Path) -> tuple[str, Plain] | None:
    """The work tree (as dulwich's ``Repo.discover`` names it) and the plain repository
    containing ``path``; ``None`` when the first repository found upward is not plain."""
    at = Path(os.path.realpath(path))
    while True:
        found = open_plain(at)
        if found is not None:
            return str(at), found
        hidden = at / ".git"
        if (  # a repository for dulwich (its test in Repo()), not a plain one
            hidden.is_file()
            or (hidden / "objects").is_dir()
            or ((at / "objects").is_dir() and (at / "refs").is_dir())
        ):
            return None
        if at.parent == at:
            return None  # none at all: dulwich says so
        at = at.parent


def _no_dulwich() -> Any:
    raise Unsure("an object the plain reader does not read")


def _plain_source(root: str, repo: Plain) -> Source:
    """:func:`source_of` for a plain repository (:class:`Unsure`: ask dulwich)."""
    raw, sha = repo.head()
    if sha is None:
        return Source(commit=None, branch=None, dirty=False)
    assert raw is not None
    reader = CommitReader(_no_dulwich, str(repo.controldir / "objects"), Path(root))
    try:
        text = reader.raw_commit(sha)
    finally:
        reader.close()
    committer = text.find(b"\ncommitter ")
    line = text[committer + 1 : text.find(b"\n", committer + 1)]
    when = line.rsplit(b" ", 2)[1] if committer >= 0 and line.count(b" ") >= 2 else b""
    if not text.startswith(b"tree ") or text[45:46] != b"\n" or not when.isdigit():
        raise Unsure("a commit of another shape")
    head_tree = text[5:45]
    dirty = _dirty_at(str(repo.controldir / "index"), Path(root), head_tree, _no_dulwich)
    branch = raw[len(b"ref: refs/heads/") :].decode()
    return Source(commit=sha.decode(), branch=branch, dirty=dirty, committed_at=int(when))


def _dirty(repo: Any, commit: Any) -> bool:
    """True when the work tree or the index has a tracked change against ``commit``."""
    tree = getattr(commit, "tree", None)
    return _dirty_at(repo.index_path(), Path(repo.path), tree, lambda: repo)


def _dirty_at(
    index_path: str, root: Path, head_tree: bytes | None, dulwich: Callable[[], Any]
) -> bool:
    """:func:`_dirty` of the index at ``index_path`` and the work tree ``root`` against
    the tree ``head_tree``; ``dulwich()`` is the repository for what only dulwich reads."""
    try:
        with Path(index_path).open("rb") as fh:
            info = os.fstat(fh.fileno())
            data = fh.read()
    except FileNotFoundError:
        # no index: clean only when HEAD has no files (a checkout always writes one)
        return head_tree is not None and len(dulwich()[head_tree]) > 0
    if len(data) < 32 or data[:4] != b"DIRC" or _VERSION.unpack_from(data, 4)[0] not in (2, 3):
        return _dirty_by_dulwich(dulwich())  # a format this reader does not know (index v4)
    (count,) = _VERSION.unpack_from(data, 8)
    changed, pos, unmerged = _scan(data, count, os.fsencode(root) + b"/", info.st_mtime_ns)
    cache_tree, split = _extensions(data, pos)
    if split:
        return _dirty_by_git(root)
    if changed or unmerged:
        return True
    key = (str(index_path), info.st_mtime_ns, info.st_size, info.st_ino, head_tree or b"")
    staged_clean = _STAGED_CACHE.get(key)
    if staged_clean is None:
        if head_tree is None:
            staged_clean = count == 0
        elif cache_tree is not None:
            staged_clean = cache_tree == head_tree
        else:  # no whole cache tree (a `git add` since the last commit): hash the index
            staged_clean = _tree_of(_parse_entries(data, count)) == head_tree
        _STAGED_CACHE[key] = staged_clean
    return not staged_clean


def _scan(data: bytes, count: int, base: bytes, index_mtime_ns: int) -> tuple[bool, int, bool]:
    """Each index entry read and its file stat-checked in one pass (no entry is kept):
    ``(a tracked file changed, the offset after the entries, an entry is a conflict or
    intent-to-add)``. After the first change the remaining entries are only skipped."""
    try:  # paths relative to the work tree: the kernel walks less of each (5% here)
        fd: int | None = os.open(base, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        fd = None
    try:
        return _scan_entries(data, count, base, index_mtime_ns, fd)
    finally:
        if fd is not None:
            os.close(fd)


def _scan_entries(
    data: bytes, count: int, base: bytes, index_mtime_ns: int, fd: int | None
) -> tuple[bool, int, bool]:
    lstat = os.lstat
    if os.lstat not in os.supports_dir_fd:
        fd = None
    prefix = b"" if fd is not None else base  # b"" + name is name itself (no copy)
    unpack = _STAT.unpack_from
    extended = _FLAGS.unpack_from
    find = data.find
    # a regular file's type and owner-execute bits as its index mode wants them
    kinds = {0o100644: 0o100000, 0o100755: 0o100100}
    unmerged = False
    pos = 12
    for left in range(count - 1, -1, -1):
        c_s, c_ns, m_s, m_ns, ino, mode, size, flags = unpack(data, pos)
        at = pos  # the entry's start (its sha is at 40)
        name_at = pos + 62
        if flags & 0xF000:  # rare: extended flags, a merge stage, assume-unchanged
            if flags & _EXTENDED:
                flags |= extended(data, name_at)[0] << 16
                name_at += 2
            if flags & (_STAGES | _INTENT_TO_ADD):
                unmerged = True
        length = flags & 0xFFF
        if length == 0xFFF:
            length = find(b"\0", name_at) - name_at
        end_at = name_at + length
        pos += (end_at - pos + 8) & ~7
        if flags & (_ASSUME_VALID | _SKIP_WORKTREE):
            continue
        name = data[name_at:end_at]
        try:
            st = lstat(prefix + name, dir_fd=fd)
        except (FileNotFoundError, NotADirectoryError):
            if mode == GITLINK_MODE:
                continue  # a submodule that is not checked out
            return True, _skip_entries(data, pos, left), unmerged
        kind = kinds.get(mode)
        if kind is None:
            if mode == GITLINK_MODE:
                if _submodule_changed(base + name, data[at + 40 : at + 60]):
                    return True, _skip_entries(data, pos, left), unmerged
                continue
            if not _same_kind(mode, st.st_mode):
                return True, _skip_entries(data, pos, left), unmerged
        elif st.st_mode & 0o170100 != kind:
            return True, _skip_entries(data, pos, left), unmerged
        mtime = m_s * _NS + m_ns
        if (
            mtime < index_mtime_ns  # else racily clean: the content decides
            and st.st_mtime_ns == mtime
            and st.st_ctime_ns == c_s * _NS + c_ns
            and st.st_size & _LOW32 == size
            and st.st_ino & _LOW32 == ino
        ):
            continue  # stat data as the index recorded them
        if _blob_id(base + name, st) != data[at + 40 : at + 60]:
            return True, _skip_entries(data, pos, left), unmerged
    return False, pos, unmerged


def _skip_entries(data: bytes, pos: int, count: int) -> int:
    """The offset after ``count`` index entries starting at ``pos``."""
    extended = _FLAGS.unpack_from
    find = data.find
    for _ in range(count):
        (flags,) = _FLAGS.unpack_from(data, pos + 60)
        name_at = pos + 62
        if flags & _EXTENDED:
            extended(data, name_at)
            name_at += 2
        length = flags & 0xFFF
        if length == 0xFFF:
            length = find(b"\0", name_at) - name_at
        pos += (name_at + length - pos + 8) & ~7
    return pos


def _parse_entries(data: bytes, count: int) -> list[_Entry]:
    """Every entry of an index (v2/v3) whose header was checked."""
    entries: list[_Entry] = []
    append = entries.append
    unpack = _ENTRY.unpack_from
    extended = _FLAGS.unpack_from
    find = data.find
    pos = 12
    for _ in range(count):
        c_s, c_ns, m_s, m_ns, _dev, ino, mode, _uid, _gid, size, sha, flags = unpack(data, pos)
        name_at = pos + 62
        if flags & _EXTENDED:
            flags |= extended(data, name_at)[0] << 16
            name_at += 2
        length = flags & 0xFFF
        if length == 0xFFF:
            length = find(b"\0", name_at) - name_at
        end_at = name_at + length
        append(
            (data[name_at:end_at], m_s * _NS + m_ns, c_s * _NS + c_ns, ino, size, mode, sha, flags)
        )
        pos += (end_at - pos + 8) & ~7
    return entries


def _extensions(data: bytes, pos: int) -> tuple[bytes | None, bool]:
    """From the extensions after the entries: the root cache-tree id (``None``: not whole)
    and whether the index is split (``link``: most entries are in a shared index file)."""
    tree = None
    split = False
    end = len(data) - 20  # the trailing checksum
    while pos + 8 <= end:
        sig = data[pos : pos + 4]
        (size,) = _VERSION.unpack_from(data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]
        if sig == b"TREE" and body[:1] == b"\0":
            header, _, rest = body[1:].partition(b"\n")
            count_text = header.split(b" ", 1)[0]
            if count_text.lstrip(b"-").isdigit() and int(count_text) >= 0 and len(rest) >= 20:
                tree = rest[:20].hex().encode()
        elif sig == b"link":
            split = True
        pos += 8 + size
    return tree, split


def _dirty_by_git(root: Path) -> bool:
    """A split index (``core.splitIndex``) keeps most entries in a shared file that neither
    this reader nor dulwich reads: git itself answers."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION}
    try:
        out = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(root), "status", "-uno", "--porcelain"],
            capture_output=True,
            check=True,
            env=env,
            timeout=300,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitmetricsError(
            f"{root}: its git index is split (core.splitIndex), which only git reads, and "
            f"`git status` failed ({exc.__class__.__name__})",
            "install git, or run `git update-index --no-split-index` in that repository",
        ) from None
    return bool(out.strip())


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


def _submodule_changed(path: bytes, sha: bytes) -> bool:
    """True when a checked-out submodule's HEAD is not the commit the index records, or the
    submodule has a tracked change of its own (``git status`` shows both)."""
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    sub = Path(os.fsdecode(path))
    if not (sub / ".git").exists():
        return False  # not checked out: git does not call that a change
    try:
        with Repo(str(sub)) as repo:
            head = bytes(repo.head())
            return head != sha.hex().encode() or _dirty(repo, repo[head])
    except (NotGitRepository, KeyError, OSError):
        return True


def _dirty_by_dulwich(repo: Any) -> bool:
    from dulwich import porcelain

    status = porcelain.status(repo, untracked_files="no")
    return bool(status.unstaged) or any(bool(v) for v in status.staged.values())
