"""A hostile remote: every attack is refused before anything moves or is written.

Each remote is a real metrics store pushed to a bare repository, with one commit on top
that a store would never write (built object by object with dulwich, as an attacker would).
It is served from a local path, by ``git daemon`` and by smart HTTP on 127.0.0.1; pull,
clone, sync and push must refuse it, and afterwards every file under the test's directory
(the store, the work tree and the place a bad path would land) is byte-for-byte as before,
and ``git fsck --strict`` is clean.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo

from gitmetrics import snapshot as snapmod
from gitmetrics.errors import SyncError
from gitmetrics.store import Store, gate
from gitmetrics.store import sync as S
from tests.helpers import fsck, git
from tests.sync.conftest import TOKEN, USER, bare_remote, collect, pushed_and_pulled, snap

NewStore = Callable[..., Store]
Attack = Callable[[Repo], str]

SNAP_PATH_HINT = "snapshots/2026/01/"


# --- building hostile commits --------------------------------------------------------


def _with_entry(repo: Repo, tree_id: bytes, parts: list[bytes], mode: int, sha: bytes) -> bytes:
    """``tree_id`` with an entry at ``parts`` added (intermediate trees made as needed)."""
    tree = repo[tree_id] if tree_id else Tree()
    assert isinstance(tree, Tree)
    out = Tree()
    for item in tree.iteritems():
        if item.path != parts[0]:
            out.add(item.path, item.mode, item.sha)
    if len(parts) == 1:
        out.add(parts[0], mode, sha)
    else:
        child = b""
        for item in tree.iteritems():
            if item.path == parts[0] and item.mode == 0o040000:
                child = item.sha
        out.add(parts[0], 0o040000, _with_entry(repo, child, parts[1:], mode, sha))
    repo.object_store.add_object(out)
    return out.id


def _commit_on_top(repo: Repo, tree: bytes, message: bytes | None = None) -> str:
    head = repo.refs[b"refs/heads/main"]
    parent = repo[head]
    assert isinstance(parent, Commit)
    c = Commit()
    c.tree = tree
    c.parents = [head]
    c.author = c.committer = b"attacker <a@example.invalid>"
    c.author_time = c.commit_time = parent.commit_time + 60
    c.author_timezone = c.commit_timezone = 0
    c.message = parent.message if message is None else message
    repo.object_store.add_object(c)
    repo.refs[b"refs/heads/main"] = c.id
    return c.id.decode()


def entry(path: list[bytes], content: bytes = b"pwned\n", mode: int = 0o100644) -> Attack:
    """An attack that adds one entry (at raw path components) to the head's tree."""

    def attack(repo: Repo) -> str:
        blob = Blob.from_string(content)
        repo.object_store.add_object(blob)
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        return _commit_on_top(repo, _with_entry(repo, head.tree, path, mode, blob.id))

    return attack


def gitlink() -> Attack:
    def attack(repo: Repo) -> str:
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        tree = _with_entry(repo, head.tree, [b"vendor"], 0o160000, b"1" * 40)
        return _commit_on_top(repo, tree)

    return attack


def raw_tree(mangle: Callable[[bytes], bytes]) -> Attack:
    """An attack whose root tree is the head's, its raw bytes changed by ``mangle``."""

    def attack(repo: Repo) -> str:
        import hashlib as h
        import zlib

        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        raw = mangle(repo[head.tree].as_raw_string())
        data = b"tree %d\0" % len(raw) + raw
        sha = h.sha1(data).hexdigest()
        obj = Path(repo.object_store.path) / sha[:2] / sha[2:]
        obj.parent.mkdir(exist_ok=True)
        obj.write_bytes(zlib.compress(data))
        return _commit_on_top(repo, sha.encode())

    return attack


def moved(source: bytes, target: list[bytes], mode: int = 0o100644) -> Attack:
    """An attack that puts the blob the head's tree holds at ``source`` at ``target`` (the
    same path with another mode, or another path): checked there as what it is there."""

    def attack(repo: Repo) -> str:
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        tree = repo[head.tree]
        assert isinstance(tree, Tree)
        sha = next(item.sha for item in tree.iteritems() if item.path == source)
        return _commit_on_top(repo, _with_entry(repo, head.tree, target, mode, sha))

    return attack


def forged() -> Attack:
    """A new snapshot whose object file holds other bytes than its id names."""

    def attack(repo: Repo) -> str:
        import zlib

        named = Blob.from_string(_valid)
        repo.object_store.add_object(named)
        other = _valid.replace(b"{", b"{ ", 1)
        loose = Path(repo.object_store.path) / named.id[:2].decode() / named.id[2:].decode()
        loose.chmod(0o644)
        loose.write_bytes(zlib.compress(b"blob %d\0" % len(other) + other))
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        parts = [b"snapshots", b"2026", b"01", b"metrics_20260101_000900_evil_0123456789.json"]
        return _commit_on_top(repo, _with_entry(repo, head.tree, parts, 0o100644, named.id))

    return attack


def _first_entry(raw: bytes) -> bytes:
    end = raw.index(b"\0") + 21
    return raw[:end]


def message(text: bytes) -> Attack:
    """A collection commit whose message is ``text`` (its tree unchanged)."""

    def attack(repo: Repo) -> str:
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        return _commit_on_top(repo, head.tree, text)

    return attack


def snapshot_file(
    data: bytes, name: bytes = b"metrics_20260101_000900_evil_0123456789.json"
) -> Attack:
    return entry([b"snapshots", b"2026", b"01", name], data)


def _bad_trailer_message(repo: Repo) -> bytes:
    head = repo[repo.refs[b"refs/heads/main"]]
    assert isinstance(head, Commit)
    return head.message.replace(b"Gitmetrics-Avg-Coverage: 50.00", b"Gitmetrics-Avg-Coverage: abc")


def bad_trailer() -> Attack:
    def attack(repo: Repo) -> str:
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        return _commit_on_top(repo, head.tree, _bad_trailer_message(repo))

    return attack


def newer_schema_trailer() -> Attack:
    """The head's collection again, its trailers claiming a schema this gitmetrics lacks."""

    def attack(repo: Repo) -> str:
        head = repo[repo.refs[b"refs/heads/main"]]
        assert isinstance(head, Commit)
        text = head.message.replace(b"Gitmetrics-Schema: 2", b"Gitmetrics-Schema: 3")
        assert text != head.message
        return _commit_on_top(repo, head.tree, text)

    return attack


_valid = snapmod.to_json(snap("evil", 9))
_newer = json.dumps({**json.loads(_valid), "schema_version": 99}).encode()
_invalid = json.dumps({**json.loads(_valid), "summary": "nope"}).encode()

ATTACKS: dict[str, Attack] = {
    "dotdot-dir": entry([b"..", b"x"]),
    "dotdot-in-name": entry([b"snapshots/../../x"]),
    "absolute-name": entry([b"/tmp/gitmetrics-pwned"]),
    "dot-git-config": entry([b".git", b"config"], b"[core]\n\tfsmonitor = touch /tmp/pwned\n"),
    "dot-git-uppercase": entry([b".GIT", b"config"]),
    "dot-git-trailing-dot": entry([b".git.", b"config"]),
    "git-8.3-name": entry([b"GIT~1", b"config"]),
    "hfs-ignorable": entry([".g\u200cit".encode(), b"config"]),
    "symlink": entry([b"badges", b"alpha.svg"], b"/etc/passwd", mode=0o120000),
    "gitlink": gitlink(),
    "executable": entry([b"badges", b"run.svg"], b"#!/bin/sh\n", mode=0o100755),
    "outside-layout": entry([b"hooks", b"post-checkout"]),
    "store-marker-as-snapshot": moved(
        b".gitmetrics.json", [b"snapshots", b"2026", b"01", b"metrics_20260101_000900_e_1.json"]
    ),
    "store-marker-executable": moved(b".gitmetrics.json", [b".gitmetrics.json"], 0o100755),
    "forged-object": forged(),
    "snapshot-newer": snapshot_file(_newer),
    "snapshot-invalid": snapshot_file(_invalid),
    "snapshot-not-json": snapshot_file(b"{not json"),
    "latest-invalid": entry([b"latest.json"], _invalid),
    "oversize": entry([b"dashboard", b"index.html"], b"x" * (gate.MAX_COMMIT_BYTES * 20)),
    "bad-trailer": bad_trailer(),
    "schema-trailer-newer": newer_schema_trailer(),
    "store-version-newer": entry(
        [b".gitmetrics.json"], b'{"kind": "gitmetrics-store", "store_version": 2}\n'
    ),
    "duplicate-entry": raw_tree(lambda raw: _first_entry(raw) + raw),
    "zero-padded-mode": raw_tree(lambda raw: raw.replace(b"100644 ", b"0100644 ", 1)),
    "trailer-names-missing-snapshot": message(
        b"collect: 1 repos\n\nGitmetrics-Snapshot: snapshots/2026/01/metrics_gone.json\n"
        b"Gitmetrics-Timestamp: 2026-01-01T00:09:00Z\n"
    ),
    "trailer-path-outside": message(
        b"collect: 1 repos\n\nGitmetrics-Snapshot: ../../etc/passwd\n"
        b"Gitmetrics-Timestamp: 2026-01-01T00:09:00Z\n"
    ),
}
#: a cap small enough for the oversize attack, far above every real file of these stores
LIMITS = gate.Limits(max_file_bytes=gate.MAX_COMMIT_BYTES * 10)


# --- the oracle ------------------------------------------------------------------------


def tree_digest(top: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file (and symlink) under ``top``: relative path -> sha256 of its bytes."""
    out: dict[str, str] = {}
    for path in sorted(top.rglob("*")):
        if any(path.is_relative_to(s) for s in skip):
            continue
        if path.is_symlink():
            out[str(path.relative_to(top))] = "link:" + str(path.readlink())
        elif path.is_file():
            out[str(path.relative_to(top))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            out[str(path.relative_to(top)) + "/"] = "dir"
    return out


def outside_paths() -> list[Path]:
    return [Path("/tmp/gitmetrics-pwned"), Path("/tmp/pwned")]


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, Callable[[], S.Remote], Path]]:
    """(kind, make_remote, bare path) for the transport named by the test's parameter."""
    kind = request.param
    if kind == "local":
        bare = bare_remote(tmp_path / "served" / "metrics.git")
        yield kind, lambda: S.make_remote(str(bare), env={}), bare
    elif kind == "daemon":
        url, base = request.getfixturevalue("git_daemon")
        bare = bare_remote(base / "metrics.git")
        yield kind, lambda: S.make_remote(f"{url}/metrics.git", env={}), bare
    else:
        url, root, _ = request.getfixturevalue("http_server")
        bare = bare_remote(root / "metrics.git")
        yield (
            kind,
            lambda: S.make_remote(f"{url}/metrics.git", username=USER, env={S.TOKEN_ENV: TOKEN}),
            bare,
        )


def _poison(new_store: NewStore, remote: S.Remote, bare: Path, attack: Attack) -> str:
    """A real store pushed to ``bare``, then the attack committed on top there."""
    origin = new_store("origin")
    collect(origin, "runner-a", 1)
    collect(origin, "runner-a", 2)
    S.push(origin, remote, retention=30)
    repo = Repo(str(bare))
    try:
        return attack(repo)
    finally:
        repo.close()


def _assert_untouched(tmp_path: Path, before: dict[str, str], st: Store | None) -> None:
    for p in outside_paths():
        assert not p.exists(), f"{p} was written"
    # the remote's own directory is the attacker's: everything else must be as it was
    assert tree_digest(tmp_path, skip=_server_dirs(tmp_path)) == before
    if st is not None:
        fsck(st.gitdir)


def _server_dirs(tmp_path: Path) -> tuple[Path, ...]:
    return (tmp_path / "served", tmp_path / "daemon", tmp_path / "http", tmp_path / "origin")


def _refused(exc: pytest.ExceptionInfo[SyncError]) -> None:
    text = exc.value.message
    assert "refused" in text or "not a gitmetrics store" in text, text
    assert "nothing was changed" in text, text


# --- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ATTACKS))
@pytest.mark.parametrize("served", ["local"], indirect=True)
def test_pull_refuses_and_changes_nothing(
    name: str, served: tuple[str, Callable[[], S.Remote], Path], new_store: NewStore, tmp_path: Path
) -> None:
    _, make, bare = served
    remote = make()
    _poison(new_store, remote, bare, ATTACKS[name])
    st = new_store("mine")
    collect(st, "runner-b", 3)
    before = tree_digest(tmp_path, skip=_server_dirs(tmp_path))
    with pytest.raises(SyncError) as exc:
        S.pull(st, remote, retention=30, limits=LIMITS)
    _refused(exc)
    _assert_untouched(tmp_path, before, st)
    # the store still works: it can collect and nothing of the attack is in it
    collect(st, "runner-b", 4)
    assert all(".." not in p and ".git/" not in p.lower() for p in st.files_at())


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["dotdot-dir", "dot-git-config", "symlink", "bad-trailer", "forged-object"]
)
@pytest.mark.parametrize("served", ["local", "daemon", "http"], indirect=True)
@pytest.mark.parametrize("action", ["pull", "sync", "push", "clone"])
def test_every_operation_and_transport_refuses(
    name: str,
    action: str,
    served: tuple[str, Callable[[], S.Remote], Path],
    new_store: NewStore,
    tmp_path: Path,
) -> None:
    _, make, bare = served
    remote = make()
    _poison(new_store, remote, bare, ATTACKS[name])
    remote_refs = git("--git-dir", bare, "for-each-ref")
    st = None
    if action != "clone":
        st = new_store("mine")
        collect(st, "runner-b", 3)  # diverged: push and sync would merge
    before = tree_digest(tmp_path, skip=_server_dirs(tmp_path))
    with pytest.raises(SyncError) as exc:
        if action == "clone":
            S.clone(tmp_path / "cloned", remote, retention=30, limits=LIMITS)
        else:
            assert st is not None
            getattr(S, action)(st, remote, retention=30, limits=LIMITS)
    _refused(exc)
    _assert_untouched(tmp_path, before, st)
    assert not (tmp_path / "cloned").exists()
    assert git("--git-dir", bare, "for-each-ref") == remote_refs  # nothing was pushed


def test_a_project_repository_is_refused_and_its_objects_stay_out(
    new_store: NewStore, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    git("init", "-q", "--initial-branch=main", project)
    (project / "app.py").write_text("print('hi')\n")
    git("-C", project, "add", "app.py")
    git("-C", project, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "app")
    st = new_store("mine")
    collect(st, "runner-b", 3)
    before = tree_digest(tmp_path / "mine")
    with pytest.raises(SyncError, match="not a gitmetrics store"):
        S.pull(st, S.make_remote(str(project), env={}), retention=30)
    assert tree_digest(tmp_path / "mine") == before
    blob = git("-C", project, "rev-parse", "HEAD:app.py").strip()
    assert blob.encode() not in st.repo.object_store


def test_a_clean_pull_leaves_no_quarantine(new_store: NewStore, tmp_path: Path) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    remote = S.make_remote(str(bare), env={})
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    S.pull(b, remote, retention=30)
    assert b.head() == a.head()
    assert not (b.gitdir / "gitmetrics-incoming").exists()
    fsck(b.gitdir)


def test_a_quarantine_left_by_a_killed_pull_is_swept(new_store: NewStore) -> None:
    st = new_store("a")
    left = st.gitdir / "gitmetrics-incoming" / "999999999-deadbeef"
    (left / "objects" / "pack").mkdir(parents=True)
    (left / "objects" / "pack" / "pack-1.idx.lock").write_bytes(b"half")
    collect(st, "runner-a", 1)  # any write sweeps it
    assert not left.exists()


@pytest.mark.parametrize("name", ["store-marker-as-snapshot", "store-marker-executable"])
def test_on_a_parent_the_store_has_only_what_changed_is_checked_again(
    name: str, new_store: NewStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a collection keeps every other file of its parent: those were checked (or written)
    # at the same path with the same mode, and are not parsed again; a blob the store has
    # put at another path, or at its path with another mode, is checked as before
    bare = bare_remote(tmp_path / "served" / "metrics.git")
    remote = S.make_remote(str(bare), env={})
    origin, mine = pushed_and_pulled(new_store, remote, 5)
    parsed: list[str] = []
    real = gate._check_blob

    def spy(path: str, kind: str, data: bytes) -> None:
        parsed.append(path)
        real(path, kind, data)

    monkeypatch.setattr(gate, "_check_blob", spy)
    collect(origin, "runner-a", 6)
    S.push(origin, remote, retention=30)
    assert S.pull(mine, remote, retention=30).snapshots_received == 1
    # the new snapshot, once (latest.json holds the same blob): not the five mine has
    assert [p for p in parsed if p == "latest.json" or p.startswith("snapshots/")] == [
        "latest.json"
    ]
    repo = Repo(str(bare))
    try:
        ATTACKS[name](repo)
    finally:
        repo.close()
    before = tree_digest(tmp_path, skip=_server_dirs(tmp_path))
    with pytest.raises(SyncError) as exc:
        S.pull(mine, remote, retention=30, limits=LIMITS)
    _refused(exc)
    _assert_untouched(tmp_path, before, mine)
