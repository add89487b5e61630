"""Patch coverage: the lines a change adds or changes, matched against a report's line hits.

The rules are diff-cover's, so that its figures and ours are the same on the same diff
and report:

- a changed line is a line of the new side of the diff (``+`` lines of each hunk);
- only changed lines the report considers coverable count (a comment, a blank line or a
  file absent from the report is not counted), and one is covered when the report hit it;
- a deleted or binary file, and a rename without changed lines, has no changed line.

Where diff-cover is off, gitmetrics is not: a ``\\ No newline at end of file`` marker
does not shift the line numbers after it, and the work tree is one diff against the base
(diff-cover adds the committed, staged and unstaged diffs up, which miscounts a line
changed in two of them).

The diff is untrusted input (``--diff-file`` may come from anywhere): a malformed one is
refused with its file and line, never half read.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from gitmetrics import percent
from gitmetrics.errors import GitmetricsError, ReportError
from gitmetrics.formats import Coverage, FileCoverage, Hits
from gitmetrics.formats._common import MAX_COUNT
from gitmetrics.snapshot import FileDetail

#: formats whose reports have no line hits, and why: they cannot give patch coverage
NO_LINE_DATA: Mapping[str, str] = {
    "gcovr-summary": "a summary holds per-file totals, not which lines ran",
    "istanbul-summary": "a summary holds per-file totals, not which lines ran",
    "phpunit-xml": "index.xml holds per-file totals, not which lines ran",
    "jacoco-csv": "the CSV holds per-class totals, not which lines ran",
    "go": "a coverprofile counts statements of blocks, not lines",
}

#: how long one git command may take
GIT_TIMEOUT = 120.0
#: the biggest diff read, from git or from a file
MAX_DIFF_BYTES = 512 * 1024 * 1024


class DiffError(GitmetricsError):
    """A diff that cannot be read: malformed, too big, or git failed to make it."""


# --- the diff -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """One file of a diff: its path on the new side and the lines added or changed there."""

    path: str
    status: str  # added, modified, renamed, deleted, binary
    old_path: str | None = None
    lines: tuple[int, ...] = ()


_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_HEADER = re.compile(
    rb'^diff --git (?:"a/(?:[^"\\]|\\.)*"|a/[^"\\]*) ("b/(?:[^"\\]|\\.)*"|b/.*)$'
)
_ESCAPES = {
    "\\": "\\",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


def _unquote(raw: bytes) -> str:
    """A path as git writes it: C-quoted (``"a/\\303\\251"``) or plain."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw.decode("utf-8", "surrogateescape")
    body = raw[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i : i + 1]
        if c == b"\\" and i + 1 < len(body):
            octal = body[i + 1 : i + 4]
            if len(octal) == 3 and all(48 <= ch <= 55 for ch in octal):
                out.append(int(octal, 8) & 0xFF)
                i += 4
                continue
            nxt = chr(body[i + 1])
            out += _ESCAPES.get(nxt, nxt).encode("utf-8", "surrogateescape")
            i += 2
            continue
        out += c
        i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def _side(raw: bytes, prefix: bytes) -> str | None:
    """The path of a ``--- a/x`` or ``+++ b/x`` line; ``None`` for ``/dev/null``."""
    raw = raw.split(b"\t", 1)[0] if not raw.startswith(b'"') else raw
    if raw == b"/dev/null":
        return None
    path = _unquote(raw)
    return path[len(prefix) :] if path.startswith(prefix.decode()) else path


class _File:
    __slots__ = ("binary", "deleted", "hunks", "lines", "new", "old", "path", "plain", "renamed")

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.old: str | None = None
        self.new = False
        self.deleted = False
        self.renamed = False
        self.binary = False
        self.plain = False
        self.hunks = 0
        self.lines: list[int] = []

    def done(self) -> Changed | None:
        if self.path is None:
            return None
        if self.binary:
            status = "binary"
        elif self.deleted:
            status = "deleted"
        elif self.new:
            status = "added"
        elif self.renamed:
            status = "renamed"
        else:
            status = "modified"
        lines = tuple(sorted(set(self.lines)))
        return Changed(self.path, status, self.old if self.renamed else None, lines)


def parse_diff(data: bytes, where: str) -> dict[str, Changed]:
    """The files of a unified diff (git's or plain ``diff -u``'s), by new path.

    ``where`` names the diff in errors (a file name, or the git command).
    """
    files: dict[str, Changed] = {}
    current: _File | None = None
    old_left = new_left = 0
    new_line = 0
    number = 0

    def close() -> None:
        if current is not None:
            found = current.done()
            if found is not None:
                prev = files.get(found.path)
                if prev is not None:  # the same file twice: its lines add up
                    found = Changed(
                        found.path,
                        found.status,
                        found.old_path,
                        tuple(sorted(set(prev.lines) | set(found.lines))),
                    )
                files[found.path] = found

    for number, line in enumerate(_lines(data), 1):
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag == b"+":
                assert current is not None
                current.lines.append(new_line)
                new_line += 1
                new_left -= 1
            elif tag == b"-":
                old_left -= 1
            elif tag == b" " or line == b"":
                new_line += 1
                old_left -= 1
                new_left -= 1
            elif tag != b"\\":  # "\ No newline at end of file" changes no count
                raise DiffError(
                    f"{where}: line {number}: the hunk ends early"
                    f" ({old_left} old and {new_left} new lines still to come)",
                    "the diff is cut or damaged; make it again with `git diff`",
                )
            if old_left < 0 or new_left < 0:
                raise DiffError(
                    f"{where}: line {number}: more lines than the hunk header says",
                    "the diff is damaged; make it again with `git diff`",
                )
            continue
        if line.startswith(b"diff --git "):
            close()
            m = _GIT_HEADER.match(line)
            current = _File(_side(m.group(1), b"b/") if m else None)
        elif line.startswith((b"diff --cc ", b"diff --combined ", b"@@@ ")):
            raise DiffError(
                f"{where}: line {number}: a combined diff (a merge with conflicts)",
                "resolve the conflicts first, or pass a plain diff with --diff-file",
            )
        elif line.startswith(b"--- ") and (current is None or (current.plain and current.hunks)):
            close()  # a plain `diff -u`: each file starts at its `---` line
            current = _File(None)
            current.plain = True
            current.old = _side(line[4:], b"a/")
        elif current is None:
            if line.startswith(b"@@"):
                raise DiffError(
                    f"{where}: line {number}: a hunk before any file header",
                    "pass a unified diff (`git diff`, `diff -u`)",
                )
            continue  # text before the first file (a commit message, say)
        elif line.startswith(b"--- "):
            old = _side(line[4:], b"a/")
            current.old = current.old or old
        elif line.startswith(b"+++ "):
            new = _side(line[4:], b"b/")
            if new is None:
                current.deleted = True
                current.path = current.path or current.old
            else:
                current.path = new
        elif line.startswith(b"rename from "):
            current.renamed = True
            current.old = _unquote(line[12:])
        elif line.startswith(b"rename to "):
            current.renamed = True
            current.path = _unquote(line[10:])
        elif line.startswith(b"new file mode"):
            current.new = True
        elif line.startswith(b"deleted file mode"):
            current.deleted = True
        elif line.startswith((b"Binary files ", b"GIT binary patch")):
            current.binary = True
        elif line.startswith(b"@@"):
            m = _HUNK.match(line)
            if m is None:
                raise DiffError(
                    f"{where}: line {number}: not a hunk header",
                    "a hunk starts with `@@ -OLD,COUNT +NEW,COUNT @@`",
                )
            if current.path is None:
                raise DiffError(
                    f"{where}: line {number}: a hunk of a file whose name the diff does not give"
                )
            current.hunks += 1
            old_left = _number(m.group(2), 1, where, number)
            new_line = _number(m.group(3), 0, where, number)
            new_left = _number(m.group(4), 1, where, number)
            if new_line + new_left > MAX_COUNT:
                raise DiffError(f"{where}: line {number}: a line number beyond 2**53")
    if old_left > 0 or new_left > 0:
        raise DiffError(
            f"{where}: line {number}: the diff ends inside a hunk",
            "the diff is cut; make it again with `git diff`",
        )
    close()
    return files


def _number(raw: bytes | None, default: int, where: str, line: int) -> int:
    if raw is None:
        return default
    if len(raw) > 16 or int(raw) > MAX_COUNT:
        raise DiffError(f"{where}: line {line}: a line number beyond 2**53")
    return int(raw)


def _lines(data: bytes) -> Iterator[bytes]:
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # after the last newline: no line
    for line in lines:
        yield line[:-1] if line.endswith(b"\r") else line


def read_diff_file(path: Path) -> dict[str, Changed]:
    """The files of the diff in ``path`` (``-`` reads standard input)."""
    import sys

    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_DIFF_BYTES + 1)
        where = "standard input"
    else:
        where = str(path)
        try:
            if not path.is_file():
                what = "does not exist" if not path.exists() else "is not a regular file"
                raise DiffError(f"--diff-file {path}: {what}")
            with path.open("rb") as fh:
                data = fh.read(MAX_DIFF_BYTES + 1)
        except OSError as exc:
            raise DiffError(f"--diff-file {path}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_DIFF_BYTES:
        raise DiffError(f"{where}: the diff is over {MAX_DIFF_BYTES // (1 << 20)} MiB")
    return parse_diff(data, where)


# --- git ----------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> bytes:
    """The output of ``git args`` in ``repo``; ``DiffError`` when it fails or hangs."""
    argv = [
        "git",
        "-c",
        "diff.noprefix=false",
        "-c",
        "diff.mnemonicprefix=false",
        "-c",
        "core.quotePath=true",
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        done = subprocess.run(
            argv,
            cwd=repo,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise DiffError("git is not installed", "install git, or pass --diff-file") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"{repo}: `git {args[0]}` took over {GIT_TIMEOUT:g}s") from None
    except OSError as exc:
        raise DiffError(f"{repo}: cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise DiffError(f"{repo}: `git {' '.join(args)}` failed: {last[0]}")
    if len(done.stdout) > MAX_DIFF_BYTES:
        raise DiffError(f"{repo}: the diff is over {MAX_DIFF_BYTES // (1 << 20)} MiB")
    return done.stdout


def toplevel(repo: Path) -> Path:
    """The top of the work tree that holds ``repo``."""
    out = git(repo, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape")
    return Path(out.strip()).resolve()


def default_base(repo: Path) -> str:
    """The remote's default branch (``origin/HEAD``'s target, else ``origin/main`` or
    ``origin/master``), as diff-cover's ``--compare-branch``."""
    remotes = git(repo, "remote").decode("utf-8", "replace").split()
    remote = "origin" if "origin" in remotes or not remotes else remotes[0]
    try:
        head = git(repo, "symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD").decode()
        return head.strip().removeprefix("refs/remotes/")
    except DiffError:
        pass
    for name in ("main", "master"):
        try:
            git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{name}")
            return f"{remote}/{name}"
        except DiffError:
            continue
    raise DiffError(
        f"{repo}: no default branch of a remote to compare with",
        "pass --base REF (a branch or commit; in CI fetch it first, e.g. "
        "`git fetch origin main`), or --diff-file",
    )


def merge_base(repo: Path, base: str) -> str:
    """The commit where HEAD left ``base`` (``git merge-base base HEAD``)."""
    if base.startswith("-"):
        raise DiffError(f"--base {base}: not a branch or commit")
    try:
        git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except DiffError:
        raise DiffError(
            f"{repo}: --base {base}: no such branch or commit",
            "fetch it first (in CI: `git fetch origin main`, or check out with full history)",
        ) from None
    return git(repo, "merge-base", base, "HEAD").decode().strip()


def git_diff(repo: Path, commit: str) -> dict[str, Changed]:
    """The work tree's changes since ``commit`` (committed, staged and not), untracked files
    left out."""
    args = ("diff", "--no-color", "--no-ext-diff", "--no-textconv", "-U0", "-M", commit, "--")
    return parse_diff(git(repo, *args), f"git diff {commit[:12]}")


# --- matching the report ------------------------------------------------------------------


def _relative(path: str, roots: Sequence[str]) -> str | None:
    """``path`` as a posix path relative to one of ``roots`` (absolute), else ``None``."""
    p = posixpath.normpath(path.replace("\\", "/"))
    if not posixpath.isabs(p):
        return p[2:] if p.startswith("./") else p
    for root in roots:
        base = root.rstrip("/") + "/"
        if p.startswith(base):
            return p[len(base) :]
    return None


def cobertura_sources(path: Path) -> tuple[str, ...]:
    """The ``<source>`` roots of a Cobertura report (its file names are relative to them)."""
    from defusedxml.ElementTree import iterparse

    found: list[str] = []
    try:
        for event, el in iterparse(str(path), events=("start", "end")):
            if event == "start" and el.tag in ("packages", "package", "class"):
                break
            if event == "end" and el.tag == "source" and el.text and el.text.strip():
                found.append(el.text.strip())
    except Exception:  # the parser has read it already: a damaged tail is its business
        pass
    return tuple(found)


def lcov_files(path: Path) -> tuple[FileCoverage, ...]:
    """The files of an LCOV tracefile with the lines diff-cover counts in a patch.

    Those are the ``DA`` lines (lcov's own), and also a function's line (``FN``) and a
    branch's line (``BRDA``) that have no ``DA`` record, as nyc writes them: a function's
    line is hit when the function ran; a branch line when all its arms were taken; a ``DA``
    line of 0 whose branches ran counts as hit. The tracefile was read whole by the LCOV
    parser first, so a record that does not read as a number is damaged and skipped here.
    """
    found: dict[str, dict[int, int]] = {}
    current: str | None = None
    lines: dict[int, int] = {}
    functions: dict[str, int] = {}
    function_hits: dict[str, int] = {}
    arms: dict[int, list[int]] = {}

    def close() -> None:
        for n, taken in arms.items():
            if n not in lines:
                lines[n] = 0 if any(t == 0 for t in taken) else sum(taken)
            elif lines[n] == 0 and sum(taken) > 0:
                lines[n] = sum(taken)
        for name, n in functions.items():
            lines.setdefault(n, function_hits.get(name, 0))
        if current is not None:
            into = found.setdefault(current, {})
            for n, hits in lines.items():
                into[n] = into.get(n, 0) + hits

    with path.open("rb") as fh:
        for raw in fh:
            tag, _, value = raw.strip().partition(b":")
            try:
                if tag == b"SF":
                    current = value.decode("utf-8", "surrogateescape")
                    lines, functions, function_hits, arms = {}, {}, {}, {}
                elif tag == b"DA":
                    n, hits = value.split(b",")[:2]
                    lines[int(n)] = lines.get(int(n), 0) + max(0, int(hits))
                elif tag == b"FN":
                    n, *_, name = value.split(b",")
                    functions[name.decode("utf-8", "replace")] = int(n)
                elif tag == b"FNDA":
                    hits, name = value.split(b",", 1)
                    function_hits[name.decode("utf-8", "replace")] = int(hits)
                elif tag == b"BRDA":
                    n, _, _, taken = value.split(b",")
                    arms.setdefault(int(n), []).append(0 if taken == b"-" else int(taken))
                elif tag == b"end_of_record":
                    close()
                    current = None
            except ValueError:
                continue
    return tuple(FileCoverage.from_maps(name, hits, {}) for name, hits in found.items())


def index(
    files: Iterable[FileCoverage],
    root: Path,
    src_roots: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> dict[str, list[FileCoverage]]:
    """The report's files by every path of the repository they may stand for.

    A report path is taken as it is, relative to each Cobertura ``<source>`` and to each
    ``--src-root``; an absolute one is made relative to the repository (as collect does)
    or to an absolute ``--src-root`` (the checkout the report was made in, elsewhere).
    """
    roots = [root.resolve().as_posix(), root.absolute().as_posix()]
    roots += [posixpath.normpath(r.replace("\\", "/")) for r in src_roots if posixpath.isabs(r)]
    prefixes = ["", *sources, *src_roots]
    out: dict[str, list[FileCoverage]] = {}
    for f in files:
        keys: set[str] = set()
        for prefix in prefixes:
            joined = posixpath.join(prefix.replace("\\", "/"), f.path.replace("\\", "/"))
            rel = _relative(joined, roots)
            if rel is not None and not rel.startswith("../"):
                keys.add(rel)
        for key in keys:
            out.setdefault(key, []).append(f)
    return out


# --- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchFile:
    """One changed file: its changed lines the report can cover, and which were not."""

    path: str
    status: str
    changed: int
    coverable: int
    covered: int
    missing: tuple[tuple[int, int], ...]
    old_path: str | None = None
    in_report: bool = True
    #: why the file's lines are not counted (absent from the report, deleted, ...)
    note: str | None = None

    @property
    def percent(self) -> Fraction | None:
        """Covered / coverable changed lines in percent, exactly; ``None`` for none."""
        return percent.exact(self.covered, self.coverable)

    @property
    def missing_lines(self) -> tuple[int, ...]:
        """The changed coverable lines the report did not hit."""
        return tuple(n for a, b in self.missing for n in range(a, b + 1))


@dataclass(frozen=True)
class Patch:
    """Patch coverage of a diff against a report."""

    files: tuple[PatchFile, ...]
    formats: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def covered(self) -> int:
        return sum(f.covered for f in self.files)

    @property
    def coverable(self) -> int:
        return sum(f.coverable for f in self.files)

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.files)

    @property
    def percent(self) -> Fraction | None:
        """Covered / coverable changed lines in percent, exactly; ``None`` for none."""
        return percent.exact(self.covered, self.coverable)

    @property
    def measured(self) -> tuple[PatchFile, ...]:
        """The files with a changed line the report considers coverable."""
        return tuple(f for f in self.files if f.coverable)


@dataclass(frozen=True)
class BaseMeasurement:
    """The repository's measurement in the metrics store that a change is compared with."""

    #: the metrics commit of the collection it was read from
    collection: str
    measured_at: str
    #: the source commit it measured (``source.commit``), and its branch
    source_commit: str | None
    source_branch: str | None
    #: ``merge base`` (it measured the merge-base commit) or ``default branch`` (the
    #: newest measurement on the default branch, the merge base was never measured)
    found_by: str
    lines_covered: int | None
    lines_valid: int | None
    coverage: float | None = None

    @property
    def percent(self) -> Fraction | None:
        found = percent.exact(self.lines_covered, self.lines_valid)
        if found is None and self.coverage is not None:
            return percent.value(self.coverage)
        return found


@dataclass(frozen=True)
class FileChange:
    """A file outside the diff whose coverage is not what it was at the base."""

    path: str
    before_covered: int | None
    before_valid: int | None
    after_covered: int | None
    after_valid: int | None

    @property
    def before(self) -> Fraction | None:
        return percent.exact(self.before_covered, self.before_valid)

    @property
    def after(self) -> Fraction | None:
        return percent.exact(self.after_covered, self.after_valid)

    @property
    def points(self) -> Fraction | None:
        """The change in percentage points; ``None`` when the file is new or gone."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Against:
    """The project's coverage now (the report) against its measurement at the base."""

    lines_covered: int
    lines_valid: int
    base: BaseMeasurement | None
    #: files outside the diff whose coverage changed (``()`` without the base's detail)
    indirect: tuple[FileChange, ...] = ()
    #: why there is no base, or no per-file comparison
    note: str | None = None

    @property
    def percent(self) -> Fraction | None:
        return percent.exact(self.lines_covered, self.lines_valid)

    @property
    def points(self) -> Fraction | None:
        """Project coverage now minus at the base, in percentage points."""
        now = self.percent
        then = self.base.percent if self.base is not None else None
        return None if now is None or then is None else now - then


def indirect_changes(
    base: Iterable[FileDetail], now: Iterable[FileDetail], changed: Iterable[str]
) -> tuple[FileChange, ...]:
    """Files not in the diff whose covered or coverable line counts differ between the
    base's per-file detail and the report's (a file only on one side counts too)."""
    skip = set(changed)
    before = {f.path: f for f in base}
    after = {f.path: f for f in now}
    out: list[FileChange] = []
    for path in sorted(before.keys() | after.keys(), key=lambda p: (p.lower(), p)):
        if path in skip:
            continue
        b, a = before.get(path), after.get(path)
        if (
            b is not None
            and a is not None
            and (b.lines_covered, b.lines_valid)
            == (
                a.lines_covered,
                a.lines_valid,
            )
        ):
            continue
        out.append(
            FileChange(
                path,
                None if b is None else b.lines_covered,
                None if b is None else b.lines_valid,
                None if a is None else a.lines_covered,
                None if a is None else a.lines_valid,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class PatchResult:
    """What ``gitmetrics patch`` found, and its gates: ``ok`` unless the patch coverage is
    below ``fail_under`` (a change without coverable lines passes), or project coverage
    dropped more than ``max_drop`` points against the base (no base: passes, with a note)."""

    patch: Patch
    repo: str | None
    path: str
    base: str
    reports: tuple[str, ...]
    fail_under: float | None = None
    against: Against | None = None
    max_drop: float | None = None
    #: where ``--record`` committed the measurement: ``refs/gitmetrics/pr/KEY (commit)``
    recorded: str | None = None

    @property
    def patch_ok(self) -> bool:
        found = self.patch.percent
        return self.fail_under is None or found is None or not percent.below(found, self.fail_under)

    @property
    def drop_ok(self) -> bool:
        points = self.against.points if self.against is not None else None
        return self.max_drop is None or points is None or not percent.below(points, -self.max_drop)

    @property
    def ok(self) -> bool:
        return self.patch_ok and self.drop_ok


def ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted line numbers as ``(first, last)`` runs: 3, 4, 5, 9 -> (3, 5), (9, 9)."""
    out: list[list[int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return tuple((a, b) for a, b in out)


def ranges_text(runs: Iterable[tuple[int, int]]) -> str:
    """``3-5, 9``."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def check_line_data(cov: Coverage, report: str) -> None:
    """``ReportError`` when a report has no line hits to match a diff against."""
    why = NO_LINE_DATA.get(cov.format)
    if why is None and cov.files and all(f.lines is None for f in cov.files):
        why = "it has no per-line data"
    if why is not None:
        raise ReportError(
            f"{report}: {cov.format} cannot give patch coverage: {why}",
            "pass a report with line hits (Cobertura, LCOV, JaCoCo XML, Clover, "
            "coverage.py JSON or XML, ...)",
        )


def measure(
    changed: Mapping[str, Changed],
    report_files: Mapping[str, Sequence[FileCoverage]],
    formats: Sequence[str] = (),
) -> Patch:
    """The patch coverage of ``changed`` against a report's files indexed by :func:`index`."""
    out: list[PatchFile] = []
    for path in sorted(changed, key=lambda p: (p.lower(), p)):
        c = changed[path]
        found = report_files.get(path)
        if c.status in ("deleted", "binary") or not c.lines:
            note = {"deleted": "deleted", "binary": "binary"}.get(c.status, "no changed line")
            out.append(PatchFile(path, c.status, 0, 0, 0, (), c.old_path, found is not None, note))
            continue
        if not found:
            out.append(
                PatchFile(
                    path, c.status, len(c.lines), 0, 0, (), c.old_path, False, "not in the report"
                )
            )
            continue
        maps = [f.lines for f in found if f.lines is not None]
        if not maps:
            out.append(
                PatchFile(path, c.status, len(c.lines), 0, 0, (), c.old_path, True, "no line data")
            )
            continue
        hits = Hits.union_of(maps)
        hit = set(hits.hit())
        missed = set(hits.missed())
        covered = sum(1 for n in c.lines if n in hit)
        missing = [n for n in c.lines if n in missed and n not in hit]
        out.append(
            PatchFile(
                path,
                c.status,
                len(c.lines),
                covered + len(missing),
                covered,
                ranges(missing),
                c.old_path,
                True,
            )
        )
    return Patch(tuple(out), tuple(dict.fromkeys(formats)))
