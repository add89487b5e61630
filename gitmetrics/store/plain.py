"""A plain repository's control directory, config and branch read without dulwich.

``history`` reads a store's head and walks its commits from the object files: importing
dulwich and opening its ``Repo`` for that was 15-20 ms, a tenth of the command. What is read
here is what dulwich reads for the same repository; whatever this does not read plainly (a
``.git`` file, a linked work tree, ``core.worktree``, extensions, a config line or a ref
of another shape) makes it answer ``None`` (or raise :class:`Unsure`), and the store asks
dulwich as before.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: a config line this reader reads: a section header, or ``key = value`` (no quotes,
#: escapes or comments after the value: dulwich reads those)
_SECTION = re.compile(rb'\[([A-Za-z0-9-]+)(?: "([^"\\]*)")?\]')
_VALUE = re.compile(rb"([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*([^\"\\#;]*?))?")
_SHA = re.compile(rb"[0-9a-f]{40}")
#: a branch name any git accepts (dulwich checks names; an odd one is left to it)
_BRANCH = re.compile(rb"refs/heads/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*")
_SYMREF = b"ref: "


class Unsure(Exception):
    """What this reader does not read as dulwich would: ask dulwich."""


class Plain:
    """A repository whose control directory, config and refs are plain files."""

    __slots__ = ("bare", "config", "controldir")

    def __init__(self, controldir: Path, bare: bool, config: dict[tuple[bytes, bytes], bytes]):
        self.controldir = controldir
        self.bare = bare
        #: (section lower-cased, key lower-cased) -> value, for sections without a subsection
        self.config = config

    def get(self, section: bytes, key: bytes) -> bytes | None:
        """A config value (``None``: not set)."""
        return self.config.get((section.lower(), key.lower()))

    def head(self) -> tuple[bytes | None, bytes | None]:
        """``HEAD`` as dulwich's ``read_ref`` gives it, and the commit its branch points at
        (``None``: no commit yet); :class:`Unsure` when dulwich must say."""
        raw = self.read_ref(b"HEAD")
        if raw is None or not raw.startswith(_SYMREF):
            raise Unsure("HEAD")  # detached, or not there: rare for a store
        target = raw[len(_SYMREF) :]
        if _BRANCH.fullmatch(target) is None:
            raise Unsure(target)
        sha = self.read_ref(target)
        if sha is not None and sha.startswith(_SYMREF):
            raise Unsure(target)  # a chain of symbolic refs
        return raw, sha

    def read_ref(self, name: bytes) -> bytes | None:
        """A loose ref's content as dulwich reads it, else its line of ``packed-refs``."""
        try:
            with (self.controldir / os.fsdecode(name)).open("rb") as fh:
                data = fh.read(4096)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return self._packed().get(name)
        except OSError as exc:
            raise Unsure(name) from exc
        line = data.split(b"\n", 1)[0].rstrip(b"\r")
        if data.startswith(_SYMREF) and len(line) > len(_SYMREF):
            return line
        if _SHA.fullmatch(line) is None:
            raise Unsure(name)
        return line

    def _packed(self) -> dict[bytes, bytes]:
        try:
            data = (self.controldir / "packed-refs").read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise Unsure("packed-refs") from exc
        found: dict[bytes, bytes] = {}
        for line in data.splitlines():
            if line.startswith((b"#", b"^")):
                continue  # the header; a peeled tag
            sha, sep, name = line.partition(b" ")
            if not sep or _SHA.fullmatch(sha) is None or not name or b" " in name:
                raise Unsure("packed-refs")
            found[name] = sha
        return found


def open_plain(path: Path) -> Plain | None:
    """The repository at ``path`` when it is a plain one (a ``.git`` directory, or bare),
    found as dulwich's ``Repo(path)`` finds it; ``None`` otherwise (dulwich opens it, or
    says why it is not a repository)."""
    hidden = path / ".git"
    if (hidden / "objects").is_dir():
        controldir, bare = hidden, False
    elif not os.path.lexists(hidden) and (path / "objects").is_dir() and (path / "refs").is_dir():
        controldir, bare = path, True
    else:
        return None
    if os.path.lexists(controldir / "commondir"):
        return None  # a linked work tree
    config = _config(controldir / "config")
    if config is None or any(section == b"extensions" for section, _ in config):
        return None
    if config.get((b"core", b"repositoryformatversion"), b"0").strip() not in (b"0", b"1"):
        return None  # dulwich refuses it
    if (b"core", b"worktree") in config:
        return None
    return Plain(controldir, bare, config)


def _config(path: Path) -> dict[tuple[bytes, bytes], bytes] | None:
    """The values of a config file of plain lines; ``None`` when a line is of another shape
    or a key is set twice (dulwich reads it)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    found: dict[tuple[bytes, bytes], bytes] = {}
    seen: set[tuple[bytes, bytes | None, bytes]] = set()
    section: tuple[bytes, bytes | None] | None = None
    for raw in data.splitlines():
        line = raw.strip()
        if not line or line.startswith((b"#", b";")):
            continue
        m = _SECTION.fullmatch(line)
        if m is not None:
            section = (m.group(1).lower(), m.group(2))
            continue
        m = _VALUE.fullmatch(line)
        if m is None or section is None:
            return None
        key = m.group(1).lower()
        if (*section, key) in seen:
            return None
        seen.add((*section, key))
        if section[1] is None:
            found[(section[0], key)] = b"true" if m.group(2) is None else m.group(2).strip()
    return found
