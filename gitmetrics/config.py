"""Load and validate ``repos.yaml`` into frozen dataclasses."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmetrics import schema
from gitmetrics.errors import ConfigError
from gitmetrics.formats import DEFAULT_MAX_BYTES
from gitmetrics.snapshot import Retention, StatePolicy, Thinning

DEFAULT_CONFIG = "repos.yaml"
ENV_CONFIG = "GITMETRICS_CONFIG"
DEFAULT_STORE = "metrics"
DEFAULT_RETENTION = 30
DEFAULT_MIN_COVERAGE = 80.0
DEFAULT_TIMEOUT = 600.0
DEFAULT_NETWORK_TIMEOUT = 60.0
DEFAULT_MAX_REMOTE_FILE_BYTES = 16 * 1024 * 1024
#: the output of a ``collect --run`` command kept in its log (the last bytes of it)
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024

#: Fields that Mahavishnu-style entries carry; kept as they are, unused by gitmetrics.
KNOWN_EXTRA_FIELDS = ("package", "nickname", "description", "tags", "mcp", "audit")

#: Repository names become file names (``badges/<name>.svg``) and appear in markdown, SVG,
#: HTML and terminals, so they come from a portable set (``$defs/repo_name`` in the schema).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
NAME_MAX = 100
#: Names a repository cannot take, in any case: ``average`` is the average's badge
#: (``badges/average.svg``); the Windows device names cannot be checked out there, alone
#: or before a dot (``nul.svg`` is the device too).
RESERVED_NAMES = frozenset({"average"})
DEVICE_NAMES = frozenset(
    {
        "con",
        "prn",
        "aux",
        "nul",
        *(f"com{i}" for i in range(1, 10)),
        *(f"lpt{i}" for i in range(1, 10)),
    }
)
NAME_RULE = (
    f"a repository name is 1 to {NAME_MAX} letters, digits, '.', '_' or '-', starting with a "
    "letter or digit; `average` and the Windows device names (con, nul, com1, ...) are reserved"
)


#: The placeholders each link template of repos.yaml may use.
LINK_FIELDS: Mapping[str, tuple[str, ...]] = {
    "commit_url": ("repo", "commit"),
    "raw_url": ("branch", "path"),
    "web_url": (),
    "dashboard_url": (),
}
#: what a URL in repos.yaml may hold: it is written into markdown links and HTML attributes
#: as it is, so no spaces, quotes, angle brackets, parentheses or backticks
_URL_TEXT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%{}]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def url_problem(value: str, key: str) -> str | None:
    """Why ``value`` cannot be the link (template) ``key`` of repos.yaml, or ``None``."""
    from urllib.parse import urlsplit

    fields = LINK_FIELDS[key]
    bad = _URL_TEXT.fullmatch(value) is None
    if bad:
        ch = next(c for c in value if _URL_TEXT.fullmatch(c) is None)
        return f"contains {ch!r}, which a link cannot hold as it is (percent-encode it)"
    names = _PLACEHOLDER.findall(value)
    unknown = [n for n in names if n not in fields]
    if unknown:
        known = ", ".join(f"{{{f}}}" for f in fields) or "none"
        return f"unknown placeholder {{{unknown[0]}}} (known: {known})"
    if "{" in _PLACEHOLDER.sub("", value) or "}" in _PLACEHOLDER.sub("", value):
        return "has an unmatched '{' or '}'"
    if key == "commit_url" and "commit" not in names:
        return "does not name the commit: put {commit} where the commit id goes"
    if key == "raw_url" and "path" not in names:
        return "does not name the file: put {path} where the file's path goes"
    parts = urlsplit(_PLACEHOLDER.sub("x", value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "is not an http:// or https:// address"
    return None


def fill(template: str, **values: str) -> str:
    """A link template with its placeholders replaced (each value URL-encoded; ``/`` kept)."""
    from urllib.parse import quote

    return _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe="/"), template)


@dataclass(frozen=True)
class RepoConfig:
    """One entry of ``repos:``."""

    name: str
    path: Path
    role: str = "unknown"
    coverage: tuple[str, ...] = ()
    format: str | None = None
    command: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    #: variables let through to ``command`` although gitmetrics would remove them
    #: (the top-level ``pass_env:`` and the repo's own)
    pass_env: tuple[str, ...] = ()
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES
    #: read reports (and report candidates) that resolve outside ``path``
    follow_symlinks: bool = False
    #: seconds after which its latest measurement is stale (``None``: the global one)
    max_age: float | None = None
    #: ``max_age: never`` on this repo (never stale, whatever the global one says)
    never_stale: bool = False
    index: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: where a source commit of this repository is shown on its git host: a template
    #: with ``{commit}`` (and ``{repo}``), the repo's own or the top-level ``commit_url:``
    commit_url: str | None = None

    @property
    def where(self) -> str:
        """``repos[3]``: the place of this entry in the config, for messages."""
        return f"repos[{self.index}]"

    def commit_link(self, commit: str) -> str | None:
        """The web address of ``commit`` of this repository (``None`` without a template)."""
        if self.commit_url is None:
            return None
        return fill(self.commit_url, repo=self.name, commit=commit)


@dataclass(frozen=True)
class ComponentConfig:
    """One entry of ``components:`` (top-level, or a repository's own): files by globs."""

    name: str
    #: the globs as written (a leading ``!`` excludes)
    paths: tuple[str, ...]
    #: the repositories it spans (``()``: every configured one)
    repos: tuple[str, ...] = ()
    min_coverage: float | None = None
    #: its place in the config, for messages (``components[0]``, ``repos[2].components[0]``)
    where: str = ""

    def spans(self, repo: str) -> bool:
        return not self.repos or repo in self.repos


@dataclass(frozen=True)
class Config:
    """The whole configuration, with paths resolved against the config file."""

    path: Path
    store: Path
    repos: tuple[RepoConfig, ...]
    remote: str | None = None
    retention: Retention = DEFAULT_RETENTION
    min_coverage: float = DEFAULT_MIN_COVERAGE
    max_report_bytes: int = DEFAULT_MAX_BYTES
    jobs: int | None = None
    network_timeout: float = DEFAULT_NETWORK_TIMEOUT
    max_remote_file_bytes: int = DEFAULT_MAX_REMOTE_FILE_BYTES
    pass_env: tuple[str, ...] = ()
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES
    #: seconds after which a repository's latest measurement is stale (``None``: never)
    max_age: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: the metrics repository's page on its git host (``web_url:``)
    web_url: str | None = None
    #: a file of the metrics repository as the host serves it raw (``raw_url:``; default
    #: derived from ``web_url``, see :meth:`raw_link`)
    raw_url: str | None = None
    #: where the dashboard page is published (``dashboard_url:``)
    dashboard_url: str | None = None
    #: ``components:``, the top-level ones first, then each repository's own
    components: tuple[ComponentConfig, ...] = ()

    def raw_link(self, path: str, branch: str = "main") -> str | None:
        """The address a file of the metrics repository is served at raw (badge embeds).

        ``raw_url:`` when set; else ``web_url`` + ``/raw/BRANCH/PATH`` (GitHub, Gitea,
        Forgejo), or ``/-/raw/BRANCH/PATH`` on a host named like GitLab.
        """
        template = self.raw_url
        if template is None and self.web_url is not None:
            from urllib.parse import urlsplit

            gitlab = "gitlab" in (urlsplit(self.web_url).hostname or "")
            sep = "/-/raw/" if gitlab else "/raw/"
            template = self.web_url.rstrip("/") + sep + "{branch}/{path}"
        return None if template is None else fill(template, branch=branch, path=path)

    def commit_link(self, repo: str, commit: str) -> str | None:
        """The web address of source ``commit`` of the configured repository ``repo``."""
        for r in self.repos:
            if r.name == repo:
                return r.commit_link(commit)
        return None

    def state_policy(self) -> StatePolicy:
        """What the state keeps (the configured repositories) and when each is stale."""
        return StatePolicy(
            keep=frozenset(r.name for r in self.repos),
            max_age=self.max_age,
            repo_max_age={
                r.name: None if r.never_stale else r.max_age
                for r in self.repos
                if r.never_stale or r.max_age is not None
            },
        )

    def commit_urls(self) -> dict[str, str]:
        """Each repository's ``commit_url:`` template (its own or the top-level one)."""
        return {r.name: r.commit_url for r in self.repos if r.commit_url is not None}

    def select(
        self, names: tuple[str, ...] = (), roles: tuple[str, ...] = ()
    ) -> tuple[RepoConfig, ...]:
        """The repos matching any of ``names`` and any of ``roles`` (all when empty)."""
        unknown = [n for n in names if n not in {r.name for r in self.repos}]
        if unknown:
            raise ConfigError(
                f"{self.path.name}: no repo named {', '.join(map(repr, unknown))}",
                f"known repos: {', '.join(r.name for r in self.repos) or '(none)'}",
            )
        return tuple(
            r
            for r in self.repos
            if (not names or r.name in names) and (not roles or r.role in roles)
        )


def config_path(explicit: Path | None = None) -> Path:
    """The config file to use: ``--config``, then ``$GITMETRICS_CONFIG``, then the nearest
    repos.yaml in the current directory or above it (as git finds ``.git``); ./repos.yaml
    when there is none."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    here = Path.cwd()
    for directory in (here, *here.parents):
        if (directory / DEFAULT_CONFIG).is_file():
            return Path(DEFAULT_CONFIG) if directory == here else directory / DEFAULT_CONFIG
    return Path(DEFAULT_CONFIG)


def load(path: Path | None = None) -> Config:
    """Read, validate and resolve a config file; ``ConfigError`` names the file and place."""
    path = config_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found",
            "create a repos.yaml (see the README) or pass --config PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Config:
    """Validate config text as read from ``path`` (used for messages and relative paths)."""
    import yaml  # here, not at the top: `gitmetrics --help` never needs it

    # libyaml's loader where PyYAML has it (5-10x faster on a config of many repos), read
    # once: the node tree (for line numbers in messages) is then made into data
    loader = yaml.CSafeLoader(text) if yaml.__with_libyaml__ else yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping with a `repos:` list")
    _check_names(data, node, path)
    problems = schema.errors(schema.REPOS, data)
    if problems:
        parts, message = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ConfigError(f"{path}{_line(node, parts)}: {schema.json_path(parts)}: {message}{more}")

    _check_links(data, node, path)
    base = path.resolve().parent
    pass_env = tuple(data.get("pass_env") or ())
    log_max_bytes = int(data.get("log_max_bytes", DEFAULT_LOG_MAX_BYTES))
    repos: list[RepoConfig] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(data.get("repos") or []):
        name = str(entry["name"])
        # names become file names, and two that differ only in case are one file on macOS
        # and Windows
        first = seen.get(name.lower())
        if first is not None:
            earlier = data["repos"][first]["name"]
            same = f"is already used by repos[{first}]"
            if earlier != name:
                same = f"is the name of repos[{first}] ({earlier!r}) in another case"
            raise ConfigError(
                f"{path}{_line(node, ['repos', i, 'name'])}: repos[{i}].name: {name!r} {same}",
                "repository names must be unique, ignoring case (they become file names)",
            )
        seen[name.lower()] = i
        cov = entry.get("coverage")
        coverage = (cov,) if isinstance(cov, str) else tuple(cov or ())
        repos.append(
            RepoConfig(
                name=name,
                path=_resolve(base, str(entry["path"])),
                role=str(entry.get("role") or "unknown"),
                coverage=coverage,
                format=entry.get("format"),
                command=entry.get("command"),
                timeout=float(entry.get("timeout", DEFAULT_TIMEOUT)),
                pass_env=tuple(dict.fromkeys((*pass_env, *(entry.get("pass_env") or ())))),
                log_max_bytes=int(entry.get("log_max_bytes", log_max_bytes)),
                follow_symlinks=bool(entry.get("follow_symlinks", False)),
                max_age=_max_age(entry.get("max_age"), f"{path.name}: repos[{i}].max_age"),
                never_stale=str(entry.get("max_age", "")).strip() == "never",
                index=i,
                extra={k: entry[k] for k in KNOWN_EXTRA_FIELDS if k in entry},
                commit_url=entry.get("commit_url") or data.get("commit_url"),
            )
        )
    return Config(
        components=_components(data, node, path),
        path=path,
        store=_resolve(base, str(data.get("store", DEFAULT_STORE))),
        repos=tuple(repos),
        remote=data.get("remote"),
        retention=_retention(data.get("retention", DEFAULT_RETENTION), path.name),
        min_coverage=float(data.get("min_coverage", DEFAULT_MIN_COVERAGE)),
        max_report_bytes=int(data.get("max_report_bytes", DEFAULT_MAX_BYTES)),
        jobs=data.get("jobs"),
        network_timeout=float(data.get("network_timeout", DEFAULT_NETWORK_TIMEOUT)),
        max_remote_file_bytes=int(data.get("max_remote_file_bytes", DEFAULT_MAX_REMOTE_FILE_BYTES)),
        pass_env=pass_env,
        log_max_bytes=log_max_bytes,
        max_age=_max_age(data.get("max_age"), f"{path.name}: max_age"),
        raw=data,
        web_url=data.get("web_url"),
        raw_url=data.get("raw_url"),
        dashboard_url=data.get("dashboard_url"),
    )


def _components(data: Mapping[str, Any], node: Any, path: Path) -> tuple[ComponentConfig, ...]:
    """``components:`` (top-level and each repository's), their globs compiled and their
    names and repositories checked: ``ConfigError`` names the first problem and its line."""
    from gitmetrics.paths import compile_glob

    names = [str(r["name"]) for r in data.get("repos") or []]
    places: list[tuple[list[str | int], Mapping[str, Any], tuple[str, ...] | None]] = []
    for i, c in enumerate(data.get("components") or []):
        places.append((["components", i], c, None))
    for r, entry in enumerate(data.get("repos") or []):
        for i, c in enumerate(entry.get("components") or []):
            places.append((["repos", r, "components", i], c, (str(entry["name"]),)))
    found: list[ComponentConfig] = []
    seen: dict[str, str] = {}
    for parts, c, own in places:
        where = schema.json_path(parts)

        def refuse(message: str, hint: str | None, at: list[str | int], where: str = where) -> None:
            raise ConfigError(f"{path}{_line(node, at)}: {where}.{message}", hint)

        name = str(c["name"])
        if name.lower() in seen:
            refuse(f"name: {name!r} is already the name of {seen[name.lower()]}",
                   "component names must be unique, ignoring case", [*parts, "name"])  # fmt: skip
        seen[name.lower()] = where
        for k, glob in enumerate(c["paths"]):
            try:
                compile_glob(glob[1:] if glob.startswith("!") else glob)
            except ValueError as exc:
                refuse(f"paths[{k}]: {exc}", "see docs/configuration.md#components",
                       [*parts, "paths", k])  # fmt: skip
        if all(g.startswith("!") for g in c["paths"]):
            refuse("paths: only exclusions ('!'): the component matches no file",
                   "add the globs it takes files from", [*parts, "paths"])  # fmt: skip
        repos = tuple(str(n) for n in c.get("repos") or ())
        for k, n in enumerate(repos):
            if n not in names:
                refuse(f"repos[{k}]: no repository named {n!r}",
                       f"known repos: {', '.join(names) or '(none)'}", [*parts, "repos", k])  # fmt: skip
        mc = c.get("min_coverage")
        found.append(
            ComponentConfig(
                name=name,
                paths=tuple(c["paths"]),
                repos=own or repos,
                min_coverage=None if mc is None else float(mc),
                where=where,
            )
        )
    return tuple(found)


def _retention(value: Any, where: str) -> Retention:
    """``retention:``: a count, or a thinning policy such as ``{all: 7d, daily: 90d,
    weekly: 2y, monthly: forever}`` (a level left out keeps nothing at that level)."""
    if not isinstance(value, dict):
        return int(value)
    from gitmetrics import duration

    levels: dict[str, float | None] = {}
    for key in ("all", "daily", "weekly", "monthly"):
        given = value.get(key)
        if given is None:
            levels[key] = 0
        elif str(given).strip() == "forever":
            levels[key] = None
        else:
            levels[key] = duration.parse(str(given), f"{where}: retention.{key}")
    return Thinning(**levels)


def _max_age(value: Any, where: str) -> float | None:
    """``max_age:`` in seconds (``None``: absent or ``never``), in the one duration grammar."""
    if value is None or str(value).strip() == "never":
        return None
    from gitmetrics import duration

    return duration.parse(str(value), where)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a repository (``None`` when it can); see :data:`NAME_RULE`."""
    bad = next((ch for ch in name if ch < " " or "\x7f" <= ch <= "\x9f"), None)
    if bad is not None:
        return f"contains a control character ({bad!r})"
    if not name:
        return "is empty"
    if len(name) > NAME_MAX:
        return f"is {len(name)} characters long (at most {NAME_MAX})"
    if NAME_PATTERN.fullmatch(name) is None:
        if NAME_PATTERN.match(name[0]) is None:
            return f"starts with {name[0]!r}"
        bad = next(ch for ch in name if NAME_PATTERN.fullmatch("a" + ch) is None)
        return f"contains {bad!r}"
    if name.lower() in RESERVED_NAMES:
        return "is reserved: gitmetrics writes badges/average.svg for the average"
    if name.lower().partition(".")[0] in DEVICE_NAMES:
        return "is a Windows device name, which cannot be a file name there"
    return None


def _check_names(data: Mapping[str, Any], node: Any, path: Path) -> None:
    """Refuse the first unusable repository name, with its place and what is allowed."""
    entries = data.get("repos")
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue  # the schema says what is wrong
        problem = name_problem(name)
        if problem is not None:
            shown = name if len(name) <= 40 else name[:40] + "..."
            raise ConfigError(
                f"{path}{_line(node, ['repos', i, 'name'])}: repos[{i}].name: {shown!r} {problem}",
                NAME_RULE,
            )


def _check_links(data: Mapping[str, Any], node: Any, path: Path) -> None:
    """Refuse the first link or link template that is not one, naming its key and line."""
    places: list[list[str | int]] = [[k] for k in LINK_FIELDS if data.get(k) is not None]
    for i, entry in enumerate(data.get("repos") or []):
        if isinstance(entry, dict) and entry.get("commit_url") is not None:
            places.append(["repos", i, "commit_url"])
    for parts in places:
        value: Any = data
        for part in parts:
            value = value[part]
        problem = url_problem(str(value), str(parts[-1]))
        if problem is not None:
            key = schema.json_path(parts)
            raise ConfigError(
                f"{path}{_line(node, parts)}: {key}: {str(value)[:80]!r} {problem}",
                f"see `{parts[-1]}:` in docs/configuration.md",
            )


def _resolve(base: Path, value: str) -> Path:
    p = Path(os.path.expandvars(value)).expanduser()
    return p if p.is_absolute() else base / p


def _line(node: Any, parts: list[str | int]) -> str:
    """``:LINE`` of the YAML node at ``parts`` (or its nearest existing parent)."""
    import yaml

    found = node
    for part in parts:
        child = None
        if isinstance(found, yaml.MappingNode):
            for key, value in found.value:
                if key.value == part:
                    child = value
                    break
        elif (
            isinstance(found, yaml.SequenceNode)
            and isinstance(part, int)
            and part < len(found.value)
        ):
            child = found.value[part]
        if child is None:
            break
        found = child
    return f":{found.start_mark.line + 1}" if found is not None else ""
