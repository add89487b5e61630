"""Push, pull and sync a metrics repository with any git remote, merging without a human.

Several machines commit snapshots to their own copy of the store and meet on an
ordinary git host. When histories diverge, gitmetrics merges them itself: the merged
tree is the union of both sides' snapshot files, retention applied again; its
``latest.json`` is the merged state (per repository the newest measurement by
``measured_at``, ties broken deterministically) and the derived files are regenerated
once from it. The merge commit is
reproducible (sorted parents, a fixed message, the newer parent's time), so two machines
merging the same pair of heads write the very same commit.

A push never forces. The remote branch is only ever moved from the value this machine
fetched and merged; when another machine got there first (before or after the ref
advertisement: dulwich reports the latter in ``SendPackResult.ref_status``, not as an
exception) the push fetches, merges and tries again, a bounded number of times.

Credentials: an https token comes from ``$GITMETRICS_TOKEN`` and goes to dulwich as the
password of a Basic auth header. It is never put in a URL, in ``.git/config``, in a
snapshot or in a message; URLs are always shown with any password masked.
"""

from __future__ import annotations

import collections
import heapq
import os
import random
import re
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gitmetrics import snapshot as snapmod
from gitmetrics.config import DEFAULT_NETWORK_TIMEOUT
from gitmetrics.errors import GitmetricsError, StoreError, SyncError
from gitmetrics.snapshot import Retention
from gitmetrics.store import gate, incoming, locks
from gitmetrics.store.format import BRANCH, LATEST, REMOTE_REF, SNAPSHOT_DIR
from gitmetrics.store.objects import GITLINK_MODE, TREE_MODE
from gitmetrics.store.reader import HistoryEntry, parse_trailers
from gitmetrics.store.repo import Store
from gitmetrics.store.writer import DERIVE_HISTORY, prune

TOKEN_ENV = "GITMETRICS_TOKEN"
DEFAULT_USERNAME = "x-access-token"
REMOTE_NAME = "origin"
#: How many times a push fetches, merges and tries again after losing a race. With N
#: machines pushing at the same moment the last one to land needs up to N attempts
#: (benchmarks/runners.py: 20 runners at once took up to 20); 30 leaves room for that.
MAX_ATTEMPTS = 30
#: The longest pause between two attempts, in seconds (the pause is random, up to this).
MAX_BACKOFF = 2.0
#: Hosts a token may be sent to over plain http:// (servers on this machine, e.g. tests).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_ZERO = b"0" * 40
_SCP_RE = re.compile(r"^(?:[^@/:]+@)?[^/:]+:(?!//)")


# --- remotes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Remote:
    """Where to sync with, and how to authenticate (the token never shows in repr)."""

    url: str
    username: str = DEFAULT_USERNAME
    token: str | None = field(default=None, repr=False)
    #: seconds to wait for a connection and for each answer (``network_timeout``)
    timeout: float = DEFAULT_NETWORK_TIMEOUT

    @property
    def shown(self) -> str:
        """The URL as it may be printed: any password masked."""
        return mask_url(self.url)

    @property
    def kind(self) -> str:
        """``local``, ``file``, ``ssh``, ``git``, ``http`` or ``https``."""
        return transport_kind(self.url)


def transport_kind(url: str) -> str:
    """The transport a URL selects (scp-style ``host:path`` is ssh)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("ssh", "git+ssh"):
        return "ssh"
    if scheme in ("file", "git", "http", "https"):
        return scheme
    if "://" not in url and _SCP_RE.match(url) and not Path(url.split(":", 1)[0]).exists():
        return "ssh"
    return "local"


def mask_url(url: str) -> str:
    """``url`` with the password of its user info replaced by ``***``."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def make_remote(
    url: str,
    *,
    username: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_NETWORK_TIMEOUT,
) -> Remote:
    """A :class:`Remote` for ``url``, with the token read from ``$GITMETRICS_TOKEN``.

    Refuses a URL that carries a password (it would end up in shell history, logs and
    config files) and refuses to send a token over plain http to anything but this
    machine.
    """
    env = os.environ if env is None else env
    url = url.strip()
    if not url:
        raise SyncError("the remote URL is empty", "set `remote:` in repos.yaml or --remote URL")
    kind = transport_kind(url)
    url_user = None
    if kind in ("http", "https", "ssh", "git") and "://" in url:
        parts = urlsplit(url)
        if parts.password is not None:
            raise SyncError(
                f"{mask_url(url)}: the remote URL contains a password",
                f"remove it from the URL and put the token in ${TOKEN_ENV} instead",
            )
        url_user = parts.username
    token = env.get(TOKEN_ENV) or None
    if kind == "http" and token is not None:
        host = (urlsplit(url).hostname or "").lower()
        if host not in LOOPBACK_HOSTS:
            raise SyncError(
                f"{url}: refusing to send ${TOKEN_ENV} over plain http:// to {host}",
                "use https:// (plain http with a token is allowed only for 127.0.0.1/localhost)",
            )
    return Remote(
        url=url, username=username or url_user or DEFAULT_USERNAME, token=token, timeout=timeout
    )


def _client(remote: Remote, operation: str) -> tuple[Any, str]:
    """dulwich's client and remote path for ``remote``, with its timeouts set.

    https/http: urllib3's connect and read timeouts (``http.timeout``); git://: the socket's
    timeout, set as it is created; ssh: OpenSSH's ConnectTimeout and keep-alives, unless
    ``$GIT_SSH_COMMAND``/``$GIT_SSH`` names a command of the user's own.
    """
    from dulwich.client import TCPGitClient, get_transport_and_path
    from dulwich.config import ConfigDict

    kwargs: dict[str, Any] = {}
    kind = remote.kind
    seconds = remote.timeout
    if kind in ("http", "https"):
        if remote.token is not None:
            kwargs.update(username=remote.username, password=remote.token)
        config = ConfigDict()
        config.set((b"http",), b"timeout", f"{seconds:g}".encode())
        kwargs["config"] = config
    if kind == "ssh":
        # dulwich leaves the environment to porcelain; honour git's variables here
        ssh = os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH")
        alive = max(1, int(seconds // 4))
        kwargs["ssh_command"] = ssh or (
            f"ssh -o ConnectTimeout={max(1, int(seconds))} "
            f"-o ServerAliveInterval={alive} -o ServerAliveCountMax=4"
        )
    url = remote.url
    if kind == "local":
        url = str(Path(url).expanduser())
    try:
        client, path = get_transport_and_path(url, operation=operation, **kwargs)
    except (ValueError, TypeError) as exc:
        raise SyncError(f"{remote.shown}: not a usable remote URL: {exc}") from None
    if isinstance(client, TCPGitClient):
        connect = client._connect

        def timed_connect(*args: Any, **kw: Any) -> Any:
            # dulwich makes the socket inside _connect: a default set around it is that
            # socket's timeout for connect and every read, and nobody else's
            old = socket.getdefaulttimeout()
            socket.setdefaulttimeout(seconds)
            try:
                return connect(*args, **kw)
            finally:
                socket.setdefaulttimeout(old)

        setattr(client, "_connect", timed_connect)  # noqa: B010 - a method of one instance
    return client, path


@contextmanager
def _network(remote: Remote, doing: str) -> Iterator[None]:
    """Turn transport failures into a :class:`SyncError` that never shows the token."""
    from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized
    from dulwich.errors import (
        ChecksumMismatch,
        GitProtocolError,
        HangupException,
        NotGitRepository,
        SendPackError,
    )
    from dulwich.file import FileLocked

    def clean(text: str) -> str:
        return text.replace(remote.token, "***") if remote.token else text

    where = remote.shown
    try:
        yield
    except GitmetricsError:
        raise
    except TimeoutError:
        raise _timeout_error(remote, doing) from None
    except (HTTPUnauthorized, HTTPProxyUnauthorized):
        raise _auth_error(remote) from None
    except NotGitRepository:
        raise SyncError(
            f"{where}: no git repository there ({doing})",
            "check the URL; for a new remote create an empty repository first "
            "(e.g. `git init --bare`)",
        ) from None
    except SendPackError as exc:
        raise SyncError(
            f"{where}: the remote refused the push: {clean(_text(exc))}",
            "check that the remote accepts pushes to refs/heads/main",
        ) from None
    except HangupException as exc:
        lines = [clean(line) for line in _stderr_lines(exc)]
        detail = "; ".join(lines) or "no message"
        if any("denied" in line.lower() or "authenticat" in line.lower() for line in lines):
            raise SyncError(
                f"{where}: authentication failed ({detail})",
                "check your ssh key and that it may access this repository",
            ) from None
        raise SyncError(
            f"{where}: the remote hung up while {doing} ({detail})",
            "check that the host is reachable and the path is a git repository",
        ) from None
    except ChecksumMismatch as exc:
        # an object whose bytes are not what its id names: damaged or forged
        raise gate.refusal(
            where, f"an object does not match its id ({clean(_text(exc))})"
        ) from None
    except FileLocked:
        raise SyncError(
            f"{where}: the remote branch is locked by another writer",
            "try again in a moment",
        ) from None
    except GitProtocolError as exc:
        text = clean(_text(exc))
        if "timed out" in text.lower() or "Timeout" in text:
            raise _timeout_error(remote, doing) from None
        if re.search(r"\b(401|403)\b", text):
            raise _auth_error(remote) from None
        if re.search(r"\b404\b", text):
            raise SyncError(f"{where}: no git repository there ({text})", "check the URL") from None
        if "Max retries exceeded" in text or "NewConnectionError" in text:
            # dulwich wraps urllib3's connection failures in a protocol error
            errno = re.search(r"\[Errno -?\d+\] ([^\"')]+)", text)
            reason = errno.group(1).strip() if errno else "connection failed"
            raise SyncError(
                f"{where}: cannot reach the remote while {doing}: {reason}",
                "check the URL, the network, and that the server is running",
            ) from None
        raise SyncError(f"{where}: git protocol error while {doing}: {text}") from None
    except OSError as exc:
        reason = exc.strerror or clean(_text(exc)) or type(exc).__name__
        raise SyncError(
            f"{where}: cannot reach the remote while {doing}: {reason}",
            "check the URL, the network, and that the server is running",
        ) from None
    except Exception as exc:
        if "Timeout" in type(exc).__name__ or "timed out" in _text(exc):
            raise _timeout_error(remote, doing) from None
        if type(exc).__module__.startswith("urllib3"):
            raise SyncError(
                f"{where}: cannot reach the remote while {doing}: {type(exc).__name__}",
                "check the URL, the network, and that the server is running",
            ) from None
        raise


def _timeout_error(remote: Remote, doing: str) -> SyncError:
    return SyncError(
        f"{remote.shown}: no answer from the remote within {remote.timeout:g}s while {doing} "
        "(nothing was changed)",
        "check that the server is up and reachable; raise `network_timeout:` in repos.yaml "
        "or --timeout for a slow link",
    )


def _text(exc: BaseException) -> str:
    parts = []
    for arg in exc.args:
        parts.append(arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg))
    return " ".join(parts) or type(exc).__name__


def _stderr_lines(exc: BaseException) -> list[str]:
    lines = getattr(exc, "stderr_lines", None) or (exc.args[0] if exc.args else None) or []
    if isinstance(lines, bytes | str):
        lines = [lines]
    out = []
    for line in lines:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
        if text.strip():
            out.append(text.strip())
    return out


def _auth_error(remote: Remote) -> SyncError:
    if remote.token is None:
        return SyncError(
            f"{remote.shown}: authentication required",
            f"set ${TOKEN_ENV} to a token that may push to this repository",
        )
    return SyncError(
        f"{remote.shown}: authentication failed for user {remote.username!r} "
        f"with the token in ${TOKEN_ENV}",
        "check the token and its scopes; set the user name with --username or "
        "`remote_username:` in repos.yaml",
    )


# --- results -----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    """What a push, pull or sync moved."""

    action: str
    remote: str
    head: str | None
    remote_head: str | None
    commits_sent: int = 0
    commits_received: int = 0
    snapshots_sent: int = 0
    snapshots_received: int = 0
    merged: bool = False
    fast_forward: bool = False
    attempts: int = 1

    @property
    def up_to_date(self) -> bool:
        """True when nothing moved in either direction."""
        return not (self.commits_sent or self.commits_received or self.merged)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "action": self.action,
            "remote": self.remote,
            "head": self.head,
            "remote_head": self.remote_head,
            "commits_sent": self.commits_sent,
            "commits_received": self.commits_received,
            "snapshots_sent": self.snapshots_sent,
            "snapshots_received": self.snapshots_received,
            "merged": self.merged,
            "fast_forward": self.fast_forward,
            "attempts": self.attempts,
            "up_to_date": self.up_to_date,
        }


@dataclass(frozen=True)
class _Integrated:
    head: str | None
    merged: bool
    fast_forward: bool


# --- the remote recorded in the store ----------------------------------------------------


def recorded_url(store: Store) -> str | None:
    """The URL of the store's ``origin`` remote in its git config, if any."""
    cfg = store.repo.get_config()
    try:
        value: bytes = cfg.get((b"remote", REMOTE_NAME.encode()), b"url")
    except KeyError:
        return None
    return value.decode() or None


def record_remote(store: Store, remote: Remote) -> None:
    """Record ``remote`` as ``origin`` in the store's git config (URL only: no token)."""
    cfg = store.repo.get_config()
    section = (b"remote", REMOTE_NAME.encode())
    # a relative path would mean something else from another directory
    url = str(Path(remote.url).expanduser().resolve()) if remote.kind == "local" else remote.url
    cfg.set(section, b"url", url.encode())
    cfg.set(section, b"fetch", b"+refs/heads/*:refs/remotes/origin/*")
    cfg.write_to_path()


# --- operations ------------------------------------------------------------------------


def pull(
    store: Store,
    remote: Remote,
    *,
    retention: Retention,
    allow_unrelated: bool = False,
    limits: gate.Limits = gate.Limits(),
) -> SyncResult:
    """Fetch the remote's snapshots and merge them into the store (never sends anything)."""
    client, path = _client(remote, "pull")
    before = store.head()
    theirs, done = _receive(store, client, path, remote, retention, allow_unrelated, limits)
    return _result("pull", store, remote, before, theirs, done, sent_from=None, attempts=1)


def push(
    store: Store,
    remote: Remote,
    *,
    retention: Retention,
    allow_unrelated: bool = False,
    attempts: int = MAX_ATTEMPTS,
    action: str = "push",
    limits: gate.Limits = gate.Limits(),
) -> SyncResult:
    """Send the store's snapshots; when the remote moved, fetch, merge and try again.

    The network part runs without the store's lock (a collect meanwhile lands as usual);
    only integrating what was fetched takes it.
    """
    client, path = _client(remote, "push")
    if remote.kind in ("local", "file") and (Path(path) / ".git").exists():
        # git itself refuses this: the other store's work tree would silently go stale
        raise SyncError(
            f"{remote.shown}: is a store with a work tree; pushing would leave it stale",
            "push to a bare repository (`git init --bare`), or run `gitmetrics pull` there",
        )
    before = store.head()
    refusal = ""
    for attempt in range(1, attempts + 1):
        theirs, done = _receive(store, client, path, remote, retention, allow_unrelated, limits)
        mine = store.head()
        if mine is None or mine == theirs:
            return _result(action, store, remote, before, theirs, done, theirs, attempt)
        with _network(remote, "pushing"):
            refusal = _send(store, client, path, remote, expected=theirs, new=mine)
        if not refusal:
            with store.locked():
                _track(store, mine)
            return _result(action, store, remote, before, mine, done, theirs, attempt)
        # lost a race against another machine: back off and merge again. The pause is
        # random ("full jitter") so that the machines that lost together do not all come
        # back together and race again.
        time.sleep(random.uniform(0, min(MAX_BACKOFF, 0.05 * 2**attempt)))
    if "lock" in refusal.lower():
        raise SyncError(
            f"{remote.shown}: the remote's branch stays locked ({refusal}); gave up after "
            f"{attempts} attempts (nothing was lost: every snapshot is still in the local store)",
            "a push to it was probably killed: on the server, if no push is running, remove "
            "refs/heads/main.lock in that repository, then push again",
        )
    raise SyncError(
        f"{remote.shown}: the remote kept moving; gave up after {attempts} attempts "
        "(nothing was lost: every snapshot is still in the local store)",
        "other machines are pushing continuously; run `gitmetrics push` again",
    )


def sync(
    store: Store,
    remote: Remote,
    *,
    retention: Retention,
    allow_unrelated: bool = False,
    limits: gate.Limits = gate.Limits(),
) -> SyncResult:
    """Pull then push in one step (a push already merges first, so this is one exchange)."""
    return push(
        store,
        remote,
        retention=retention,
        allow_unrelated=allow_unrelated,
        action="sync",
        limits=limits,
    )


def _receive(
    store: Store,
    client: Any,
    path: str,
    remote: Remote,
    retention: Retention,
    allow_unrelated: bool,
    limits: gate.Limits,
) -> tuple[str | None, _Integrated]:
    """Fetch into a quarantine, check it, then (under the lock) admit and integrate it."""
    with incoming.quarantine(store) as q:
        with _network(remote, "fetching"):
            theirs = _fetch(q, client, path, remote)
        fetched = theirs is not None and not store.has_object(theirs)
        if theirs is not None and fetched:
            objects = q.objects()
            gate.check(
                objects,
                theirs,
                # what arrived is new: only the rest is looked up in the store
                trusted=lambda sha: sha not in q.arrived and store.has_object(sha.decode()),
                limits=limits,
                where=remote.shown,
            )
        with store.locked():
            ours = store.head()
            below: frozenset[str] | None = None
            if theirs is not None and fetched and ours is not None and not store.only_root():
                # under the lock, before the admission: what no other writer can change
                below = _below_fetched(q.objects(), theirs, store)
            incoming.admit(q, store)
            done = _integrate(store, ours, theirs, remote, retention, allow_unrelated, below)
            _track(store, theirs)
    return theirs, done


def clone(
    path: Path,
    remote: Remote,
    *,
    retention: Retention,
    bare: bool = False,
    limits: gate.Limits = gate.Limits(),
) -> tuple[Store, SyncResult]:
    """Create a store at ``path`` from ``remote`` and record the remote as ``origin``."""
    from gitmetrics.store.opening import init

    if path.exists() and any(path.iterdir()):
        raise StoreError(
            f"{path}: already exists and is not empty",
            "choose another PATH, or use `gitmetrics pull` in an existing store",
        )
    existed = path.exists()
    store = init(path, bare=bare)
    try:
        record_remote(store, remote)
        return store, pull(store, remote, retention=retention, limits=limits)
    except BaseException:
        store.close()
        # like git clone: a failed clone leaves nothing behind
        targets = [path] if not existed else list(path.iterdir())
        for target in targets:
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
        raise


# --- the pieces ----------------------------------------------------------------------


#: how often a fetch is made again when the remote's branch moved while it was read
FETCH_ATTEMPTS = 5


def _fetch(q: incoming.Quarantine, client: Any, path: str, remote: Remote) -> str | None:
    """Fetch the remote branch's objects into ``repo`` (a quarantine); returns its head.

    A remote written while it is read (another runner pushing) can advertise a head whose
    objects the same exchange did not send (a local path read by dulwich sees the new ref
    before the new pack); the fetch is then made again, at most :data:`FETCH_ATTEMPTS`
    times, and each time asks only for what is still missing.
    """
    for _attempt in range(FETCH_ATTEMPTS):
        head = _fetch_once(q, client, path, remote)
        if head is None or head.encode() in q.repo.object_store:
            return head
    raise SyncError(
        f"{remote.shown}: the remote's branch kept moving while it was fetched "
        f"({FETCH_ATTEMPTS} attempts); nothing was changed",
        "run the command again",
    )


def _fetch_once(q: incoming.Quarantine, client: Any, path: str, remote: Remote) -> str | None:
    repo = q.repo
    advertised: dict[bytes, bytes] = {}

    def wants(refs: Mapping[bytes, bytes], depth: int | None = None) -> list[bytes]:
        advertised.clear()
        advertised.update({k: v for k, v in refs.items() if v})
        sha = refs.get(BRANCH)
        if not sha or sha == _ZERO or sha in repo.object_store:
            return []
        return [sha]

    from dulwich.client import LocalGitClient

    if isinstance(client, LocalGitClient):
        refs = _fetch_local(q, path, wants)
    else:
        result = client.fetch(path, repo, determine_wants=wants)
        refs = {k: v for k, v in (result.refs or {}).items() if v}
    refs.update(advertised)
    head = refs.get(BRANCH)
    if head is None or head == _ZERO:
        branches = sorted(k.decode() for k in refs if k.startswith(b"refs/heads/"))
        if branches:
            raise SyncError(
                f"{remote.shown}: not a gitmetrics store (it has {', '.join(branches)} "
                "but no refs/heads/main)",
                "point --remote at a metrics repository, or at an empty repository",
            )
        return None
    return str(head.decode())


def _fetch_local(
    q: incoming.Quarantine, path: str, wants: Callable[..., list[bytes]]
) -> dict[bytes, bytes]:
    """A fetch from a repository on this machine into the quarantine ``q``; its refs.

    What to copy is found as a push finds what to send (:func:`_to_send`, from the commits
    of ours the remote has), not by dulwich's local fetch, which walks the whole history of
    both sides. Up to :data:`WHOLE_BYTES` of it is read once, its ids checked against its
    bytes, and written whole as one pack (:meth:`~incoming.Quarantine.add_whole`), so
    the gate checks it from memory; more is copied with the pack's deltas by dulwich. A
    remote this walk cannot read as a plain git history (an object missing, of another
    kind than its parent names, or not matching its id) is fetched by dulwich, and the
    trust gate says what is wrong with it.
    """
    from dulwich.repo import Repo

    repo = q.repo
    remote: Any = Repo(path)
    try:
        refs: dict[bytes, bytes] = {k: v for k, v in remote.get_refs().items() if v}
        want = wants(refs)
        if not want:
            return refs
        theirs = remote.object_store
        haves = {sha for sha in repo.refs.as_dict().values() if sha in theirs}
        try:
            from dulwich.pack import generate_unpacked_objects

            # a commit this store does not have is not one of the haves' history
            ours = repo.object_store.__contains__
            parsed: dict[bytes, Any] = {}
            todo = _to_send(theirs, haves, set(want), strict=True, maybe_theirs=ours, keep=parsed)
            whole = _whole(theirs, todo, parsed)
            if whole is not None:
                q.add_whole(whole)
            else:
                unpacked = generate_unpacked_objects(
                    theirs, todo, reuse_deltas=len(todo) > REUSE_DELTAS
                )
                repo.object_store.add_pack_data(len(todo), unpacked)
        except (KeyError, _NotPlain, ValueError):
            if not all(sha in theirs for sha in want):
                return refs  # the ref moved before its objects arrived: fetched again
            from dulwich.client import LocalGitClient

            LocalGitClient().fetch(path, repo, determine_wants=_these(want))
        return refs
    finally:
        remote.close()


#: How many bytes of objects a fetch from a local path reads whole and keeps for the gate
#: (about 500 collections of 100 repositories); a larger fetch (a clone) is copied by
#: dulwich with the pack's deltas and checked from the pack.
WHOLE_BYTES = 64 * 1024 * 1024


def _whole(
    objects: Any, todo: list[Any], parsed: dict[bytes, Any]
) -> list[tuple[bytes, int, bytes]] | None:
    """Each object of ``todo`` as (hex id, type number, bytes), read once (``parsed``: the
    commits and trees :func:`_to_send` read); None when they add up to more than
    :data:`WHOLE_BYTES`. An object whose bytes do not hash to its id raises
    :class:`_NotPlain` (the remote's pack is damaged or forged)."""
    out: list[tuple[bytes, int, bytes]] = []
    size = 0
    for sha, _ in todo:
        obj = parsed.get(sha)
        if obj is not None:
            type_num, raw = obj.type_num, obj.as_raw_string()
        else:
            type_num, raw = objects.get_raw(sha)
        size += len(raw)
        if size > WHOLE_BYTES:
            return None
        raw = bytes(raw)
        if gate.object_id(type_num, raw) != sha:
            raise _NotPlain(sha)
        out.append((sha, type_num, raw))
    return out


def _these(want: list[bytes]) -> Any:
    """dulwich's ``determine_wants`` asking for ``want`` whatever is advertised."""
    return lambda _refs, depth=None: want


def _track(store: Store, remote_head: str | None) -> None:
    """Record the remote's head, once it is part of the local history."""
    if remote_head is not None:
        store.repo.refs[REMOTE_REF] = remote_head.encode()


def _integrate(
    store: Store,
    ours: str | None,
    theirs: str | None,
    remote: Remote,
    retention: Retention,
    allow_unrelated: bool,
    below: frozenset[str] | None = None,
) -> _Integrated:
    """Bring the local branch to include ``theirs``: fast-forward or merge (under the lock).

    ``below`` is given when ``theirs`` was fetched (the store did not have it): the commits
    the store had that the fetched ones stand on (see :func:`_below_fetched`; ``None`` when
    they could not be read). Every commit behind ``theirs`` is a fetched one or behind one
    of these, so the usual cases need no walk of the whole history:

    - ``ours`` is one of them: ``theirs`` descends from it (a fast-forward);
    - each of them is behind ``ours``: ``ours`` is behind none of them (a history has no
      cycle), nor is it a fetched commit, so the two have diverged (a merge);
    - otherwise both heads are walked back in turn until one meets the other (ahead or
      behind), which a history that moved on by a few commits does in a few steps.

    Only heads that have diverged with nothing fetched, or unrelated histories, are
    walked whole.
    """
    if theirs is None or theirs == ours:
        return _Integrated(ours, merged=False, fast_forward=False)
    if ours is None or store.only_root():
        # a store holding only the shared root has nothing to lose: take the remote as it
        # is, even one created before stores had that root (it would look unrelated)
        _move(store, ours, theirs)
        return _Integrated(theirs, merged=False, fast_forward=True)
    if below is not None and ours in below:
        _move(store, ours, theirs)
        return _Integrated(theirs, merged=False, fast_forward=True)
    if below and below <= _ancestors(store, ours, until=set(below)):
        related = True  # diverged: both stand on these
    else:
        mine, others, met = _meet(store, ours, theirs)
        if met == "ahead":
            return _Integrated(ours, merged=False, fast_forward=False)
        if met == "behind":
            _move(store, ours, theirs)
            return _Integrated(theirs, merged=False, fast_forward=True)
        related = bool(mine & others)
    if not related and not allow_unrelated:
        raise SyncError(
            f"{remote.shown}: the remote's history is unrelated to this store's "
            "(they share no commit); nothing was changed",
            "if both really are metrics stores to combine, run again with --allow-unrelated",
        )
    merge = merge_commit(store, ours, theirs, retention=retention)
    _move(store, ours, merge)
    return _Integrated(merge, merged=True, fast_forward=False)


def _below_fetched(objects: Any, theirs: str, store: Store) -> frozenset[str] | None:
    """The store's commits that the fetched history stands on: parents, already in the
    store, of the commits from ``theirs`` that it does not have (what the gate checks)."""
    below: set[str] = set()
    seen: set[bytes] = set()
    stack = [theirs.encode()]
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        try:
            parents = objects[sha].parents
        except Exception:
            return None  # unreadable: the gate names the problem
        for parent in parents:
            if store.has_object(parent.decode()):
                below.add(parent.decode())
            else:
                stack.append(parent)
    return frozenset(below)


def _ancestors(store: Store, head: str, until: set[str] | None = None) -> set[str]:
    """Every commit reachable from ``head`` (itself included); with ``until``, the walk
    stops once it has found all of those (what it saw so far: a part of the history).

    Exact, by following parents, nearest first: dulwich's merge-base search orders commits
    by their timestamps, which machines with skewed clocks (and merges made within one
    second) do not keep in order.
    """
    repo = store.repo
    seen: set[str] = set()
    missing = set(until) if until is not None else None
    queue = collections.deque([head])
    while queue:
        sha = queue.popleft()
        if sha in seen:
            continue
        seen.add(sha)
        if missing is not None:
            missing.discard(sha)
            if not missing:
                break
        queue.extend(p.decode() for p in repo[sha.encode()].parents)
    return seen


def _meet(store: Store, ours: str, theirs: str) -> tuple[set[str], set[str], str | None]:
    """Walk back from both heads a commit at a time each, nearest first, until one walk
    meets the other head: ``"ahead"`` (``theirs`` is behind ``ours``), ``"behind"``
    (``ours`` is behind ``theirs``), or ``None`` with both whole histories."""
    repo = store.repo
    walks = [
        (collections.deque([ours]), set[str](), theirs),
        (collections.deque([theirs]), set[str](), ours),
    ]
    while walks[0][0] or walks[1][0]:
        for n, (queue, seen, target) in enumerate(walks):
            while queue:
                sha = queue.popleft()
                if sha in seen:
                    continue
                seen.add(sha)
                if sha == target:
                    return walks[0][1], walks[1][1], "ahead" if n == 0 else "behind"
                queue.extend(p.decode() for p in repo[sha.encode()].parents)
                break
    return walks[0][1], walks[1][1], None


def _move(store: Store, old: str | None, new: str) -> None:
    if not store.move_branch(old, new):
        raise StoreError(
            f"{store.path}: the branch moved while syncing",
            "another program wrote to the store; run the command again",
        )
    store.sync_after(new, "what was pulled")


def _is_snapshot(path: str) -> bool:
    return path.startswith(SNAPSHOT_DIR + "/") and path.endswith(".json")


def merge_commit(
    store: Store, ours: str, theirs: str, *, retention: Retention, subject: str | None = None
) -> str:
    """Write the merge of two heads (nothing moves); the same commit whichever side merges.

    ``subject`` replaces the first line of the message (a backfill names what it placed).
    """
    repo = store.repo
    sides = sorted([ours, theirs])  # deterministic: the result must not depend on who merges
    trees = {c: store.files_at(c) for c in sides}
    snaps: dict[str, bytes] = {}
    for c in sides:
        for p, sha in trees[c].items():
            if _is_snapshot(p):
                snaps[p] = min(sha, snaps.get(p, sha))
    if not snaps:
        raise StoreError(f"{store.path}: nothing to merge: neither side has a snapshot")
    newest = max(snaps)  # names start with the timestamp: path order is time order
    newest_blob = snaps[newest]
    primary = next(
        (c for c in sides if trees[c].get(LATEST) == newest_blob),
        next((c for c in sides if newest in trees[c]), sides[0]),
    )
    files: dict[str, bytes] = {}
    for c in [c for c in sides if c != primary] + [primary]:
        files.update({p: s for p, s in trees[c].items() if not _is_snapshot(p)})
    files.update(snaps)
    snap = merged_state(store, sides, trees)  # the gate checked both sides' latest.json
    files[LATEST] = _blob(store, snapmod.to_json(snap))
    prune(files, retention)
    previous = _previous(store, sides, newest)
    store.apply_derived(files, snap, primary, previous=previous, sides=sides, snapshot_path=newest)
    when = max(repo[c.encode()].commit_time for c in sides)
    first = subject or (
        f"merge: union of {len(snaps)} snapshot file(s), newest {newest.rsplit('/', 1)[-1]}"
    )
    text = f"{first}\n\nGitmetrics-Merge: {sides[0]} {sides[1]}\n"
    return store.write_commit(files, sides, text, commit_time=when)


def merged_state(store: Store, sides: list[str], trees: Mapping[str, Mapping[str, bytes]]) -> Any:
    """The state of both sides joined: per repository the newest measurement."""
    states = []
    for c in sides:
        sha = trees[c].get(LATEST)
        if sha is not None:
            states.append(snapmod.read_stored(store.blob(sha), f"{LATEST}@{c[:10]}"))
    if not states:
        raise StoreError(f"{store.path}: nothing to merge: neither side has {LATEST}")
    policy = snapmod.StatePolicy() if store.policy is None else store.policy
    if len(states) == 1:
        return snapmod.merge_states(states[0], states[0], policy)
    return snapmod.merge_states(states[0], states[1], policy)


def _blob(store: Store, data: bytes) -> bytes:
    from dulwich.objects import Blob

    blob = Blob.from_string(data)
    store.add_objects([blob])
    return bytes(blob.id)


def _previous(store: Store, heads: list[str], newest: str) -> list[HistoryEntry]:
    """Earlier collections of both sides, newest first, independent of the walk order."""
    entries: dict[str, HistoryEntry] = {}
    for walk in store.repo.get_walker(include=[h.encode() for h in heads]):
        entry = parse_trailers(walk.commit)
        if entry is not None and entry.snapshot_path != newest:
            entries.setdefault(entry.snapshot_path, entry)
    ordered = sorted(entries.values(), key=lambda e: (e.timestamp, e.snapshot_path), reverse=True)
    return ordered[:DERIVE_HISTORY]


def _send(
    store: Store, client: Any, path: str, remote: Remote, *, expected: str | None, new: str
) -> str:
    """Move the remote branch from ``expected`` to ``new``; ``""`` when done, else why not.

    A local-path remote is written under its own gitmetrics lock, so a ``.lock`` file a
    killed push left there is recognised as stale and cleared, as in a local store.
    """
    if remote.kind in ("local", "file"):
        gitdir = Path(path)
        with locks.write_lock(gitdir, timeout=remote.timeout) as crashed:
            if crashed:
                locks.sweep(gitdir, None)
            locks.clear_stale(gitdir / (BRANCH.decode() + ".lock"))
            return _send_pack(store, client, path, expected=expected, new=new)
    return _send_pack(store, client, path, expected=expected, new=new)


def _send_pack(store: Store, client: Any, path: str, *, expected: str | None, new: str) -> str:
    from dulwich.file import FileLocked

    repo = store.repo
    lost: list[bytes | None] = []

    def update_refs(refs: dict[bytes, bytes]) -> dict[bytes, bytes]:
        current = refs.get(BRANCH)
        if current == _ZERO:
            current = None
        if current != (expected.encode() if expected else None):
            # the remote moved since our fetch: sending now would overwrite its commits
            lost.append(current)
            return dict(refs)
        out = dict(refs)
        out[BRANCH] = new.encode()
        return out

    def pack_data(have: Any, want: Any, *, ofs_delta: bool = False, **kw: Any) -> Any:
        from dulwich.pack import generate_unpacked_objects

        objects = repo.object_store
        known = {h for h in have if h in objects}
        todo = _to_send(objects, known, set(want))
        # reusing the pack's deltas reads every object of the pack: worth it for a large
        # push (a first one), not for the few objects of a collection or two
        return len(todo), generate_unpacked_objects(
            objects,
            todo,
            reuse_deltas=len(todo) > REUSE_DELTAS,
            ofs_delta=ofs_delta,
            progress=kw.get("progress"),
        )

    try:
        result = client.send_pack(path.encode(), update_refs, pack_data)
    except FileLocked:
        return "refs/heads/main is locked"  # another process is writing it right now
    if lost:
        return "the remote moved"
    status = (result.ref_status or {}).get(BRANCH)
    if status is None:
        return ""
    return status.decode("utf-8", "replace") if isinstance(status, bytes) else str(status)


#: How many commits back from the remote's heads a push looks for the commits the remote
#: has: what we send joins them within a few (a merge's own side forks off a recent one).
#: A history joining further back is still sent whole and right, only with more objects.
REMOTE_HAS = 1000
#: How much older than a commit the other side's walk looks for it: a parent is older than
#: its child unless clocks disagree; a commit missed through a clock further off is sent
#: again, with the objects it brings, never fewer.
CLOCK_SLACK = 3600
#: From how many objects a push reuses the pack's deltas (see :func:`_send_pack`).
REUSE_DELTAS = 1000


class _NotPlain(Exception):
    """An object of another kind than the tree or commit naming it says (see _to_send)."""


def _to_send(
    objects: Any,
    haves: set[bytes],
    wants: set[bytes],
    *,
    strict: bool = False,
    maybe_theirs: Callable[[bytes], bool] | None = None,
    keep: dict[bytes, Any] | None = None,
) -> list[Any]:
    """The objects reachable from ``wants`` that the side holding ``haves`` lacks, as
    ``(sha, (type, path))`` for dulwich's pack writer.

    dulwich's own search walks every ancestor of ``haves`` (the whole history) on every
    push and local fetch; here that side is walked only as far as it takes to meet the
    parents of the new commits (by commit time, see :data:`CLOCK_SLACK`), at most
    :data:`REMOTE_HAS` commits deep, and the trees of the commits where ours join it are
    what it is known to hold. ``maybe_theirs(sha)``, when the caller can tell, says False
    for a commit that side cannot hold (a fetch from a local path: one this store does not
    have), so that side is not walked for it. ``strict`` (objects from a remote): an object
    of another kind than named raises :class:`_NotPlain`, a missing one ``KeyError``.
    ``keep``, when given, is filled with the commits and trees read (id -> object).
    """
    from dulwich.objects import Blob, Commit, Tree

    def read(sha: bytes, kind: type) -> Any:
        obj = objects[sha]
        if strict and not isinstance(obj, kind):
            raise _NotPlain(sha)
        if keep is not None:
            keep[sha] = obj
        return obj

    commits: dict[bytes, Any] = {}

    def commit(sha: bytes) -> Any:
        found = commits.get(sha)
        if found is None:
            found = commits[sha] = read(sha, Commit)
        return found

    # the other side's commits found so far; its walk goes newest first (by commit time)
    # and only as far back as the commit asked about, less CLOCK_SLACK
    theirs: set[bytes] = set()
    frontier = [(-commit(sha).commit_time, sha) for sha in haves]
    heapq.heapify(frontier)

    def on_their_side(sha: bytes) -> bool:
        if sha in theirs or sha in haves:
            return True
        if maybe_theirs is not None and not maybe_theirs(sha):
            return False
        since = commit(sha).commit_time - CLOCK_SLACK
        while frontier and len(theirs) < REMOTE_HAS and -frontier[0][0] >= since:
            have = heapq.heappop(frontier)[1]
            if have not in theirs:
                theirs.add(have)
                for parent in commit(have).parents:
                    heapq.heappush(frontier, (-commit(parent).commit_time, parent))
            if have == sha:
                return True
        return sha in theirs

    new: list[Any] = []
    boundary: set[bytes] = set()
    seen: set[bytes] = set()
    # a want the other side is found to hold only sends a little more: the walk below
    # stops at its commits all the same
    stack = [w for w in wants if w not in haves]
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        new.append(commit(sha))
        for parent in new[-1].parents:
            if on_their_side(parent):
                boundary.add(parent)
            else:
                stack.append(parent)
    held: set[bytes] = set()
    out: list[Any] = [(c.id, (Commit.type_num, None)) for c in new]
    trees: list[tuple[bytes, list[Any] | None]] = [(commit(sha).tree, None) for sha in boundary]
    trees += [(c.tree, out) for c in new]
    for root, into in trees:
        todo = [(root, b"")]
        while todo:  # depth first, without recursion: a remote's tree may nest deep
            tree_id, path = todo.pop()
            if tree_id in held:
                continue
            held.add(tree_id)
            if into is not None:
                into.append((tree_id, (Tree.type_num, path)))
            for entry in read(tree_id, Tree).iteritems():
                name = path + b"/" + entry.path if path else entry.path
                if entry.mode == TREE_MODE:
                    todo.append((entry.sha, name))
                elif entry.mode != GITLINK_MODE and entry.sha not in held:  # no object here
                    if strict and entry.sha not in objects:
                        raise KeyError(entry.sha)
                    held.add(entry.sha)
                    if into is not None:
                        into.append((entry.sha, (Blob.type_num, name)))
    return out


def _count(store: Store, include: str | None, exclude: str | None) -> tuple[int, int]:
    """Commits and collections reachable from ``include`` but not from ``exclude``."""
    if include is None or include == exclude:
        return 0, 0
    walker = store.repo.get_walker(
        include=[include.encode()], exclude=[exclude.encode()] if exclude else None
    )
    commits = collections = 0
    for entry in walker:
        commits += 1
        if parse_trailers(entry.commit) is not None:
            collections += 1
    return commits, collections


def _result(
    action: str,
    store: Store,
    remote: Remote,
    before: str | None,
    remote_after: str | None,
    done: _Integrated,
    sent_from: str | None,
    attempts: int,
) -> SyncResult:
    head = store.head()
    received, snaps_in = _count(store, remote_after, before) if action == "pull" else (0, 0)
    sent = snaps_out = 0
    if action != "pull":
        received, snaps_in = _count(store, sent_from, before)
        if remote_after != sent_from:
            sent, snaps_out = _count(store, remote_after, sent_from)
    return SyncResult(
        action=action,
        remote=remote.shown,
        head=head,
        remote_head=remote_after,
        commits_sent=sent,
        commits_received=received,
        snapshots_sent=snaps_out,
        snapshots_received=snaps_in,
        merged=done.merged,
        fast_forward=done.fast_forward,
        attempts=attempts,
    )
