"""Path globs: the one matcher for `files --path`, `components:` and every other path filter.

A glob matches a repository-relative posix path, as .gitignore and Codecov's components do:

- `*` matches within one path segment, `?` one character of a segment, `[abc]` / `[!abc]`
  one character of a set;
- `**` as a whole segment matches any number of segments, none included (`src/**` matches
  `src/a.py` and `src/a/b.py`; `**/test_*.py` matches `test_a.py` and `t/test_a.py`);
- a glob without `/` matches the last segment anywhere (`*.py` matches `a/b.py`), a glob with
  one is anchored at the repository root (a leading `/` or `./` is dropped);
- a glob ending in `/` matches everything under that directory;
- an absolute path (a report that kept the producing machine's paths) is matched as if
  relative to `/`.

Globs are checked when they are read (`compile_glob` raises ValueError with the reason) so a
typo in repos.yaml is refused at load, never silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Glob", "compile_glob", "matches_any"]


@dataclass(frozen=True)
class Glob:
    text: str
    pattern: re.Pattern[str]

    def matches(self, path: str) -> bool:
        """True when ``path`` matches; an absolute path (a report that kept the producing
        machine's paths) is matched as if relative to ``/``."""
        return self.pattern.fullmatch(path.lstrip("/")) is not None


def _segment(seg: str, glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            while i + 1 < len(seg) and seg[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = seg.find("]", i + 2 if seg[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end < 0:
                raise ValueError(f"{glob!r}: '[' without a closing ']'")
            body = seg[i + 1 : end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            if not body:
                raise ValueError(f"{glob!r}: an empty character set '[]'")
            chars = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[^/{chars}]" if negate else f"[{chars}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_glob(text: str) -> Glob:
    """The compiled glob; ValueError naming the glob when it cannot match anything sensible."""
    glob = text.strip()
    if not glob:
        raise ValueError("an empty path glob")
    if "\\" in glob:
        raise ValueError(f"{text!r}: use '/' between directories, not '\\'")
    while glob.startswith("./"):
        glob = glob[2:]
    anchored = "/" in glob.rstrip("/")
    glob = glob.lstrip("/")
    if glob.endswith("/"):
        glob += "**"
    if not glob:
        raise ValueError(f"{text!r}: matches no path")
    segments = glob.split("/")
    if any(s == "" for s in segments):
        raise ValueError(f"{text!r}: an empty directory name ('//')")
    if any(s in (".", "..") for s in segments):
        raise ValueError(f"{text!r}: '.' and '..' are not allowed in a path glob")
    parts: list[str] = [] if anchored else ["(?:[^/]+/)*"]
    for n, seg in enumerate(segments):
        last = n == len(segments) - 1
        if seg == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment(seg, text) + ("" if last else "/"))
    return Glob(text, re.compile("".join(parts)))


def matches_any(path: str, globs: Iterable[Glob]) -> bool:
    return any(g.matches(path) for g in globs)
