"""Coordination issues for repositories below the floor (Mahavishnu's cross-repo issue shape).

The issues live in a YAML file under ``coordination.issues``. Only the entries gitmetrics
creates or changes are rewritten; the rest of the file keeps its bytes (comments included),
and when the text cannot be edited in place the file is rewritten structurally equal.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from gitmetrics import percent
from gitmetrics.config import Config
from gitmetrics.errors import ConfigError
from gitmetrics.render.escape import visible
from gitmetrics.snapshot import RepoResult, Snapshot

DEFAULT_TREE_PATH = "coordination/issues.yaml"
PREFIX = "QUALITY-"
CLOSED = frozenset({"resolved", "closed", "cancelled", "canceled", "done", "wontfix"})
#: days from an issue's creation to its target date
TARGET_DAYS = 30
_ID_RE = re.compile(r"^QUALITY-(\d+)$")


@dataclass(frozen=True)
class Location:
    """Where the issues file lives: a path in the metrics repository, or a file outside."""

    tree_path: str | None = None
    file: Path | None = None

    def describe(self) -> str:
        """For messages: ``metrics:coordination/issues.yaml`` or the file path."""
        return f"metrics repo:{self.tree_path}" if self.tree_path else str(self.file)


@dataclass(frozen=True)
class Action:
    """What happened to one issue."""

    id: str
    repo: str
    action: str  # created | updated | resolved
    #: the line coverage from the counts, unrounded (outputs round it as they show it)
    coverage: float | None
    target: float


def location(cfg: Config, store: Path) -> Location:
    """``issues_file:`` resolved against the config; inside the store it is a tree path."""
    raw = cfg.raw.get("issues_file")
    if raw is None:
        return Location(tree_path=DEFAULT_TREE_PATH)
    path = Path(os.path.expandvars(str(raw))).expanduser()
    if not path.is_absolute():
        path = cfg.path.resolve().parent / path
    path = Path(os.path.normpath(path))
    top = Path(os.path.normpath(store.resolve()))
    if path.is_relative_to(top) and not (top / "HEAD").is_file():  # bare stores have no tree
        rel = path.relative_to(top).as_posix()
        if rel.startswith(".git/") or rel in {".git", "."}:
            raise ConfigError(f"{cfg.path.name}: issues_file: {raw} is not a file in the store")
        return Location(tree_path=rel)
    return Location(file=path)


def _stamp(timestamp: str) -> str:
    """Snapshot time (``...Z``) in Mahavishnu's form: ISO 8601 without zone, UTC."""
    return timestamp.replace("Z", "").replace("+00:00", "")


def plain(value: Any) -> Any:
    """Dates read back as YAML timestamps become ISO strings again."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def is_quality(issue: Any) -> bool:
    """An issue gitmetrics numbers (``QUALITY-NNN``)."""
    return isinstance(issue, dict) and bool(_ID_RE.match(str(issue.get("id", ""))))


def _open_for(issues: Sequence[Any], repo: str) -> int | None:
    for i, issue in enumerate(issues):
        if (
            is_quality(issue)
            and "coverage" in (issue.get("labels") or [])
            and list(issue.get("repos") or []) == [repo]
            and str(issue.get("status", "pending")) not in CLOSED
        ):
            return i
    return None


def _next_number(issues: Sequence[Any]) -> int:
    nums = [int(m.group(1)) for i in issues if (m := _ID_RE.match(str(_get(i, "id"))))]
    return max(nums, default=0) + 1


def _get(issue: Any, key: str) -> Any:
    return issue.get(key) if isinstance(issue, dict) else None


def _exact(r: RepoResult) -> Fraction:
    """A measured repository's line coverage, exactly (from its counts when it has them)."""
    found = percent.of(r)
    assert found is not None  # reconcile only looks at measured repositories with a figure
    return found


def _shown(r: RepoResult, target: float, digits: int) -> str:
    """The figure as the issue writes it: from the counts, never reading as the target."""
    return percent.text_against(_exact(r), target, digits)


def _title(r: RepoResult, target: float) -> str:
    return f"Low coverage: {r.name} ({_shown(r, target, 1)})"


def _describe(r: RepoResult, target: float, snap: Snapshot) -> str:
    commit = r.source.commit[:10] if r.source and r.source.commit else "unknown"
    lines = (
        f" ({r.lines_covered} of {r.lines_valid} lines)"
        if r.lines_covered is not None and r.lines_valid is not None
        else ""
    )
    return (
        f"{r.name} ({visible(r.role)}) has {_shown(r, target, 2)} line coverage{lines}, below the "
        f"target of {target:g}%. Measured by gitmetrics at {snap.timestamp} on source commit {commit}; "
        f"raise coverage to at least {target:g}% to resolve this issue."
    )


def _metadata(r: RepoResult, target: float, snap: Snapshot) -> dict[str, Any]:
    return {
        "current_coverage": r.coverage,
        "target_coverage": target,
        "files": r.files_tested,
        "role": r.role,
        "lines_covered": r.lines_covered,
        "lines_valid": r.lines_valid,
        "source_commit": r.source.commit if r.source else None,
        "measured": _stamp(snap.timestamp),
        "source": "gitmetrics",
    }


def reconcile(
    issues: Sequence[Any], snap: Snapshot, floor: Callable[[RepoResult], float]
) -> tuple[list[Any], list[Action]]:
    """The issues list after a collection: create, update or resolve one issue per repo.

    Repositories that could not be measured keep their issue as it is.
    """
    out = list(issues)
    actions: list[Action] = []
    now = _stamp(snap.timestamp)
    for r in snap.repositories:
        if not r.ok or r.coverage is None:
            continue
        target = floor(r)
        idx = _open_for(out, r.name)
        below = percent.below(_exact(r), target)
        priority = "high" if percent.below(_exact(r), 50) else "medium"
        if below and idx is None:
            num = _next_number(out)
            created = datetime.fromisoformat(now)
            issue: dict[str, Any] = {
                "id": f"{PREFIX}{num:03d}",
                "title": _title(r, target),
                "description": _describe(r, target, snap),
                "status": "pending",
                "priority": priority,
                "severity": "quality",
                "repos": [r.name],
                "created": now,
                "updated": now,
                "target": (created + timedelta(days=TARGET_DAYS)).isoformat(),
                "dependencies": [],
                "blocking": [],
                "assignee": None,
                "labels": ["quality", "coverage", f"role:{visible(r.role)}"],
                "metadata": _metadata(r, target, snap),
            }
            out.append(issue)
            actions.append(Action(issue["id"], r.name, "created", float(_exact(r)), target))
        elif below and idx is not None:
            old = out[idx]
            meta = {**(old.get("metadata") or {}), **_metadata(r, target, snap)}
            wanted = {
                "title": _title(r, target),
                "priority": priority,
                "description": _describe(r, target, snap),
            }
            figures = ("current_coverage", "target_coverage", "files", "role")
            same = all(old.get(k) == v for k, v in wanted.items() if k != "description") and all(
                (old.get("metadata") or {}).get(k) == meta[k] for k in figures
            )
            if same:
                continue
            new = plain({**old, **wanted, "updated": now, "metadata": meta})
            out[idx] = new
            actions.append(Action(str(new["id"]), r.name, "updated", float(_exact(r)), target))
        elif not below and idx is not None:
            old = out[idx]
            meta = {
                **(old.get("metadata") or {}),
                "current_coverage": r.coverage,
                "target_coverage": target,
                "resolved": now,
            }
            out[idx] = plain({**old, "status": "resolved", "updated": now, "metadata": meta})
            actions.append(Action(str(old["id"]), r.name, "resolved", float(_exact(r)), target))
    return out, actions


# --- the YAML file ----------------------------------------------------------------------


def read_issues(text: str | None, origin: str) -> list[Any]:
    """``coordination.issues`` of a file's text (empty when absent)."""
    data = _load(text, origin)
    coord = data.get("coordination")
    if not isinstance(coord, dict):
        return []
    issues = coord.get("issues")
    return list(issues) if isinstance(issues, list) else []


def _load(text: str | None, origin: str) -> dict[str, Any]:
    if not text or not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{origin}{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}",
            "fix the file, or point `issues_file:` elsewhere",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: the top level must be a mapping with `coordination:`")
    coord = data.get("coordination")
    if coord is not None and not isinstance(coord, dict):
        raise ConfigError(f"{origin}: coordination: must be a mapping")
    if (
        isinstance(coord, dict)
        and coord.get("issues") is not None
        and not isinstance(coord["issues"], list)
    ):
        raise ConfigError(f"{origin}: coordination.issues: must be a list")
    return data


def update_text(
    text: str | None, snap: Snapshot, floor: Callable[[RepoResult], float], origin: str
) -> tuple[str, list[Action]]:
    """The file's new text after :func:`reconcile`; untouched entries keep their bytes."""
    data = _load(text, origin)
    issues = read_issues(text, origin)
    new_issues, actions = reconcile(issues, snap, floor)
    if not actions:
        return text or "", actions
    expected = dict(data)
    coord = dict(expected.get("coordination") or {})
    coord["issues"] = new_issues
    expected["coordination"] = coord
    edited = _edit(text or "", issues, new_issues)
    if edited is not None:
        with contextlib.suppress(yaml.YAMLError):
            if yaml.safe_load(edited) == expected:
                return edited, actions
    return _dump(expected), actions


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _item_text(item: Any, indent: int) -> list[str]:
    body = yaml.safe_dump([item], sort_keys=False, allow_unicode=True, width=100)
    return [" " * indent + line + "\n" for line in body.splitlines()]


def _end_line(node: yaml.Node) -> int:
    """The line after the last line holding any of ``node``'s content."""
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode) and not node.flow_style:
        for k, v in node.value:
            children += [k, v]
    elif isinstance(node, yaml.SequenceNode) and not node.flow_style:
        children = list(node.value)
    if children:
        return max(_end_line(c) for c in children)
    mark = node.end_mark
    return int(mark.line) + (1 if mark.column > 0 else 0)


def _child(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _dash(text: str, node: yaml.Node) -> tuple[int, int] | None:
    """(line, column) of the ``-`` that introduces a block sequence item."""
    i = int(node.start_mark.index) - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    if i < 0 or text[i] != "-":
        return None
    line = text.count("\n", 0, i)
    column = i - (text.rfind("\n", 0, i) + 1)
    return line, column


def _edit(text: str, old: Sequence[Any], new: Sequence[Any]) -> str | None:
    """Edit the text in place: replace changed items, append new ones; ``None`` if unsure."""
    if text and not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    except yaml.YAMLError:
        return None
    added = list(new[len(old) :])
    if root is None:  # empty, or comments only: keep them, add the section below
        if old or not added:
            return None
        return (
            text + "coordination:\n  issues:\n" + "".join("".join(_item_text(i, 2)) for i in added)
        )
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    coord = _child(root, "coordination")
    if coord is None:
        if old:
            return None
        return (
            text + "coordination:\n  issues:\n" + "".join("".join(_item_text(i, 2)) for i in added)
        )
    _, cval = coord
    if not isinstance(cval, yaml.MappingNode) or cval.flow_style:
        return None
    found = _child(cval, "issues")
    if found is None:
        if old or not cval.value:
            return None
        indent = int(cval.value[0][0].start_mark.column)
        at = _end_line(cval)
        block = [" " * indent + "issues:\n"]
        for item in added:
            block += _item_text(item, indent + 2)
        return "".join(lines[:at] + block + lines[at:])
    ikey, ival = found
    if not isinstance(ival, yaml.SequenceNode) or ival.flow_style or not ival.value:
        if old:
            return None
        # `issues: []` or `issues:` with nothing: put a block list in its place
        indent = int(ikey.start_mark.column) + 2
        body = "".join("".join(_item_text(i, indent)) for i in added)
        start, end = int(ival.start_mark.index), int(ival.end_mark.index)
        if not isinstance(ival, yaml.SequenceNode):
            start = end = int(ikey.end_mark.index) + 1  # just after `issues:`
            tail = text[start:]
            nl = tail.find("\n")
            if tail[: nl if nl >= 0 else len(tail)].strip():
                return None
            start = end = start + (nl if nl >= 0 else len(tail))
        return text[:start] + "\n" + body.rstrip("\n") + text[end:]
    if len(ival.value) != len(old):
        return None
    spans: list[tuple[int, int, int]] = []
    for item in ival.value:
        d = _dash(text, item)
        if d is None:
            return None
        spans.append((d[0], _end_line(item), d[1]))
    edits: list[tuple[int, int, list[str]]] = []
    for (start, end, col), before, after in zip(spans, old, new, strict=False):
        if before != after:
            edits.append((start, end, _item_text(after, col)))
    if added:
        end = spans[-1][1]
        block = [line for item in added for line in _item_text(item, spans[-1][2])]
        edits.append((end, end, block))
    for start, end, block in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = block
    return "".join(lines)


def write_atomic(path: Path, text: str) -> None:
    """Replace a file in one step (temp file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            Path(tmp).chmod(path.stat().st_mode & 0o7777)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def contributor(
    loc: Location, floor: Callable[[RepoResult], float], sink: list[Action]
) -> Callable[[Any], Mapping[str, bytes | None]]:
    """A derived-file contributor that updates the issues file in the snapshot's commit."""
    assert loc.tree_path is not None
    path = loc.tree_path

    def derive(ctx: Any) -> Mapping[str, bytes | None]:
        before = ctx.read(path)
        text = None if before is None else before.decode("utf-8")
        new, actions = update_text(text, ctx.snapshot, floor, path)
        sink[:] = actions  # the last attempt is the one committed
        if not actions:
            return {}
        return {path: new.encode("utf-8")}

    return derive


@dataclass
class IssueWriter:
    """Updates the issues file for one collection: in the snapshot's commit, or beside it."""

    loc: Location
    floor: Callable[[RepoResult], float]
    read_current: Callable[[], bytes | None]
    actions: list[Action]

    @property
    def contributor(self) -> Callable[[Any], Mapping[str, bytes | None]] | None:
        """The derived-file contributor when the file lives in the metrics repository."""
        if self.loc.tree_path is None:
            return None
        return contributor(self.loc, self.floor, self.actions)

    def finish(self, snap: Snapshot, dry_run: bool) -> dict[str, Any]:
        """Write the file when it is outside the store; report what was done."""
        if self.loc.file is not None or dry_run:
            before = self.read_current()
            text = None if before is None else before.decode("utf-8")
            new, self.actions[:] = update_text(text, snap, self.floor, self.loc.describe())
            if self.loc.file is not None and self.actions and not dry_run:
                write_atomic(self.loc.file, new)
        return {
            "file": self.loc.describe(),
            "written": bool(self.actions) and not dry_run,
            "actions": [vars(a) for a in self.actions],
        }
