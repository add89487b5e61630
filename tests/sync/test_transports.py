"""Every transport against a real server on 127.0.0.1, and the errors users meet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitmetrics.errors import SyncError
from gitmetrics.store import Store, incoming
from gitmetrics.store import sync as S
from tests.helpers import ROOT_SUBJECT, fsck, git
from tests.sync.conftest import (
    TOKEN,
    USER,
    bare_remote,
    collect,
    free_port,
    pushed_and_pulled,
    snapshot_paths_in_history,
)

NewStore = Callable[..., Store]


def _round_trip(new_store: NewStore, remote: S.Remote, gitdir: Path) -> None:
    """Two machines push divergent work through ``remote``; git sees all of it."""
    a, b = new_store("a"), new_store("b")
    p1 = collect(a, "runner-a", 1)
    assert S.push(a, remote, retention=30).commits_sent == 2  # the shared root and p1
    assert S.pull(b, remote, retention=30).snapshots_received == 1
    p2 = collect(a, "runner-a", 2)
    p3 = collect(b, "runner-b", 3)
    S.push(a, remote, retention=30)
    result = S.sync(b, remote, retention=30)
    assert result.merged and result.snapshots_received == 1 and result.snapshots_sent == 1
    S.pull(a, remote, retention=30)
    assert a.head() == b.head() == git("--git-dir", gitdir, "rev-parse", "main").strip()
    assert snapshot_paths_in_history(gitdir) == {p1, p2, p3}
    fsck(gitdir)
    fsck(a.gitdir)
    fsck(b.gitdir)


def test_local_path_and_file_url(new_store: NewStore, tmp_path: Path) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    _round_trip(new_store, S.make_remote(bare.as_uri(), env={}), bare)
    assert S.make_remote(bare.as_uri(), env={}).kind == "file"
    assert S.make_remote(str(bare), env={}).kind == "local"


def test_git_daemon(new_store: NewStore, git_daemon: tuple[str, Path]) -> None:
    url, base = git_daemon
    bare = bare_remote(base / "metrics.git")
    _round_trip(new_store, S.make_remote(f"{url}/metrics.git", env={}), bare)


def test_smart_http_with_a_token(
    new_store: NewStore, http_server: tuple[str, Path, list[str]]
) -> None:
    url, root, seen = http_server
    bare = bare_remote(root / "metrics.git")
    remote = S.make_remote(f"{url}/metrics.git", username=USER, env={S.TOKEN_ENV: TOKEN})
    assert TOKEN not in repr(remote)
    _round_trip(new_store, remote, bare)
    assert any(seen)  # the server did check credentials on the requests it answered


def test_ssh_url_and_scp_style_through_git_ssh_command(
    new_store: NewStore, tmp_path: Path, fake_ssh: Path
) -> None:
    bare = bare_remote(tmp_path / "remote.git")
    ssh_url = S.make_remote(f"ssh://git@build-host{bare}", env={})
    scp = S.make_remote(f"git@build-host:{bare}", env={})
    assert ssh_url.kind == scp.kind == "ssh"
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, ssh_url, retention=30)
    S.pull(b, scp, retention=30)
    collect(b, "runner-b", 2)
    collect(a, "runner-a", 3)
    S.push(a, scp, retention=30)
    assert S.sync(b, ssh_url, retention=30).merged
    assert b.head() == git("--git-dir", bare, "rev-parse", "main").strip()
    fsck(bare)
    assert set(fake_ssh.read_text().split()) == {"git@build-host"}


def test_race_lost_after_the_ref_advertisement_is_merged_and_retried(
    new_store: NewStore,
    git_daemon: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The remote moves between receive-pack's advertisement and our update command."""
    from dulwich.client import TraditionalGitClient

    url, base = git_daemon
    bare = bare_remote(base / "metrics.git")
    remote = S.make_remote(f"{url}/metrics.git", env={})
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    S.pull(b, remote, retention=30)
    collect(a, "runner-a", 2)
    collect(b, "runner-b", 3)

    original = TraditionalGitClient.send_pack
    statuses: list[object] = []

    def racing_send_pack(
        self: object, path: bytes, update_refs: object, *args: object, **kw: object
    ):  # type: ignore[no-untyped-def]
        def update(refs: dict[bytes, bytes]) -> dict[bytes, bytes]:
            new = update_refs(refs)  # type: ignore[operator]
            if not statuses:
                # another runner wins the race right now, with plain git
                git("push", "-q", f"{url}/metrics.git", "main", cwd=a.path)
            return new  # type: ignore[no-any-return]

        result = original(self, path, update, *args, **kw)  # type: ignore[arg-type]
        statuses.append(result.ref_status)
        return result

    monkeypatch.setattr(TraditionalGitClient, "send_pack", racing_send_pack)
    result = S.push(b, remote, retention=30)
    assert result.attempts == 2 and result.merged
    assert statuses[0] and statuses[0][b"refs/heads/main"]  # the lost race, as dulwich reports it
    assert statuses[1] == {b"refs/heads/main": None}
    assert len(snapshot_paths_in_history(bare)) == 3
    fsck(bare)


def _pushed_once(new_store: NewStore, tmp_path: Path) -> tuple[Path, S.Remote, Store, Store]:
    """A local remote that store ``a`` pushed one collection to, and a store ``b``."""
    bare = bare_remote(tmp_path / "remote.git")
    remote = S.make_remote(str(bare), env={})
    a, b = new_store("a"), new_store("b")
    collect(a, "runner-a", 1)
    S.push(a, remote, retention=30)
    return bare, remote, a, b


def _advertise(
    monkeypatch: pytest.MonkeyPatch, bare: Path, refs: Callable[[int], dict[bytes, bytes] | None]
) -> list[int]:
    """The local remote ``bare`` advertises ``refs(n)`` at its n-th read of its refs (its
    real refs when that is ``None``); returns the list of reads."""
    from dulwich.repo import Repo

    real = Repo.get_refs
    reads: list[int] = []

    def get_refs(self: Repo) -> dict[bytes, bytes]:
        if Path(self.path).resolve() != bare.resolve():
            return real(self)  # type: ignore[return-value]
        reads.append(1)
        return refs(len(reads)) or real(self)  # type: ignore[return-value]

    monkeypatch.setattr(Repo, "get_refs", get_refs)
    return reads


def test_a_head_advertised_without_its_objects_is_fetched_again(
    new_store: NewStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local remote written while it is read: the ref moved, the new pack was not seen."""
    bare, remote, a, b = _pushed_once(new_store, tmp_path)
    collect(a, "runner-a", 2)
    ahead = a.head()
    assert ahead is not None

    def refs(n: int) -> dict[bytes, bytes] | None:
        if n == 1:  # another runner's push: its ref is read before its pack is there
            return {b"refs/heads/main": ahead.encode()}
        if n == 2:
            git("push", "-q", str(bare), "main", cwd=a.path)  # plain git: no fetch of ours
        return None

    reads = _advertise(monkeypatch, bare, refs)
    result = S.pull(b, remote, retention=30)
    assert len(reads) == 2 and result.snapshots_received == 2
    assert b.head() == ahead == git("--git-dir", bare, "rev-parse", "main").strip()
    fsck(b.gitdir)


def test_a_remote_that_never_sends_its_head_is_refused_unchanged(
    new_store: NewStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, remote, a, b = _pushed_once(new_store, tmp_path)
    before = b.head()
    collect(a, "runner-a", 2)
    never = {b"refs/heads/main": (a.head() or "").encode()}  # never pushed
    reads = _advertise(monkeypatch, bare, lambda _n: never)
    with pytest.raises(SyncError, match="kept moving while it was fetched"):
        S.pull(b, remote, retention=30)
    assert len(reads) == S.FETCH_ATTEMPTS
    assert b.head() == before
    fsck(b.gitdir)


def test_unreachable_remote(new_store: NewStore) -> None:
    st = new_store("a")
    collect(st, "runner-a", 1)
    head = st.head()
    port = free_port()  # nothing listens there
    for url in (f"git://127.0.0.1:{port}/m.git", f"http://127.0.0.1:{port}/m.git"):
        with pytest.raises(SyncError, match="cannot reach the remote"):
            S.push(st, S.make_remote(url, env={}), retention=30)
    with pytest.raises(SyncError, match="no git repository there"):
        S.push(st, S.make_remote(str(st.path.parent / "missing.git"), env={}), retention=30)
    assert st.head() == head
    assert S.REMOTE_REF not in st.repo.refs


def test_wrong_or_missing_token(
    new_store: NewStore, http_server: tuple[str, Path, list[str]]
) -> None:
    url, root, _ = http_server
    bare_remote(root / "metrics.git")
    st = new_store("a")
    collect(st, "runner-a", 1)
    head = st.head()
    wrong = S.make_remote(f"{url}/metrics.git", username=USER, env={S.TOKEN_ENV: "nope-123"})
    with pytest.raises(SyncError, match="authentication failed for user 'ci-bot'") as info:
        S.push(st, wrong, retention=30)
    assert "nope-123" not in str(info.value)
    with pytest.raises(SyncError, match="authentication required") as info:
        S.pull(st, S.make_remote(f"{url}/metrics.git", env={}), retention=30)
    assert S.TOKEN_ENV in (info.value.hint or "")
    assert st.head() == head


def test_tokens_stay_out_of_urls_and_off_plain_http() -> None:
    with pytest.raises(SyncError, match="contains a password") as info:
        S.make_remote(f"https://bot:{TOKEN}@git.example.com/m.git", env={})
    assert TOKEN not in str(info.value)
    assert S.mask_url(f"https://bot:{TOKEN}@git.example.com/m.git") == (
        "https://bot:***@git.example.com/m.git"
    )
    with pytest.raises(SyncError, match="plain http"):
        S.make_remote("http://git.example.com/m.git", env={S.TOKEN_ENV: TOKEN})
    assert S.make_remote("http://localhost:8080/m.git", env={S.TOKEN_ENV: TOKEN}).token == TOKEN
    assert S.make_remote("https://bob@git.example.com/m.git", env={}).username == "bob"
    assert S.make_remote("https://git.example.com/m.git", env={}).username == "x-access-token"


def test_git_clone_of_the_remote_shows_every_snapshot(
    new_store: NewStore, git_daemon: tuple[str, Path], tmp_path: Path
) -> None:
    url, base = git_daemon
    bare_remote(base / "metrics.git")
    remote = S.make_remote(f"{url}/metrics.git", env={})
    a = new_store("a")
    paths = {collect(a, "runner-a", m) for m in (1, 2)}
    S.push(a, remote, retention=30)
    git("clone", "-q", f"{url}/metrics.git", tmp_path / "plain")
    log = git("log", "--format=%s", cwd=tmp_path / "plain").splitlines()
    assert log == [
        "collect: 1 repos, avg 50.0% (+0.0)",
        "collect: 1 repos, avg 50.0%",
        ROOT_SUBJECT,
    ]
    assert {
        str(p.relative_to(tmp_path / "plain")) for p in (tmp_path / "plain").rglob("*.json")
    } == (paths | {"latest.json", ".gitmetrics.json"})


def _told(monkeypatch: pytest.MonkeyPatch, limit: int) -> list[incoming._Bounded]:
    """Every graph walker the fetches make from now on, each telling at most ``limit``."""
    made: list[incoming._Bounded] = []
    real = incoming._bounded_walker

    def spy(repo: object, heads: list[bytes] | None = None) -> incoming._Bounded:
        made.append(real(repo, heads))
        return made[-1]

    monkeypatch.setattr(incoming, "_bounded_walker", spy)
    monkeypatch.setattr(incoming, "HAVES", limit)
    return made


def _shared_over_daemon(
    new_store: NewStore, git_daemon: tuple[str, Path], count: int, *, retention: int
) -> tuple[Path, S.Remote, Store, Store]:
    """A remote over git daemon that store ``a`` pushed ``count`` collections to (minutes
    1 to ``count``), and a store ``b`` that pulled them."""
    url, base = git_daemon
    bare = bare_remote(base / "metrics.git")
    remote = S.make_remote(f"{url}/metrics.git", env={})
    a, b = pushed_and_pulled(new_store, remote, count, retention=retention)
    return bare, remote, a, b


def test_a_pull_names_a_bounded_number_of_commits_it_has(
    new_store: NewStore, git_daemon: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # dulwich's own walker names every commit of the history to a git server (which
    # answers only after the last): a pull of one collection walked all of them
    bare, remote, a, b = _shared_over_daemon(new_store, git_daemon, 20, retention=30)
    made = _told(monkeypatch, 4)
    collect(a, "runner-a", 21)
    S.push(a, remote, retention=30)
    received = S.pull(b, remote, retention=30)
    assert received.snapshots_received == 1 and received.fast_forward
    # the server answers after the last "have": the walker names as many as it may (22
    # commits of history without the bound)
    assert made and max(w.told for w in made) == 4
    # diverged further back than the walker looks: b's own 6 collections hide its history,
    # the remote's head as last fetched is still named, so only what is new comes
    for minute in range(30, 36):
        collect(b, "runner-b", minute)
    collect(a, "runner-a", 22)
    S.push(a, remote, retention=30)
    made.clear()
    result = S.sync(b, remote, retention=30)
    assert result.merged and result.snapshots_received == 1 and result.snapshots_sent == 6
    assert made and all(w.told <= 4 for w in made)
    S.pull(a, remote, retention=30)
    assert a.head() == b.head() == git("--git-dir", bare, "rev-parse", "main").strip()
    fsck(bare)
    fsck(b.gitdir)


@pytest.mark.parametrize("remote_has, reuse", [(3, 0), (1000, 1000)])
def test_a_push_sends_what_the_remote_lacks_from_a_bounded_look_at_its_side(
    new_store: NewStore,
    git_daemon: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    remote_has: int,
    reuse: int,
) -> None:
    # git's receive-pack refuses a pack that leaves the branch without every object it
    # needs, and fsck checks the rest; b's own side forks off the remote's history 6
    # commits back, further than REMOTE_HAS=3 looks: more is sent, never less
    monkeypatch.setattr(S, "REMOTE_HAS", remote_has)
    monkeypatch.setattr(S, "REUSE_DELTAS", reuse)  # 0: the pack's deltas are reused
    bare, remote, a, b = _shared_over_daemon(new_store, git_daemon, 10, retention=3)
    for minute in range(11, 17):
        collect(a, "runner-a", minute)
    S.push(a, remote, retention=3)
    for minute in range(20, 25):
        collect(b, "runner-b", minute)
    result = S.sync(b, remote, retention=3)
    assert result.merged and result.snapshots_sent == 5 and result.snapshots_received == 6
    assert b.head() == git("--git-dir", bare, "rev-parse", "main").strip()
    fsck(bare)
    assert len(snapshot_paths_in_history(bare)) == 21


@pytest.mark.parametrize("apart", [2 * S.CLOCK_SLACK, 0, -2 * S.CLOCK_SLACK])
def test_what_to_send_walks_the_other_side_only_as_far_as_the_new_commits_reach(
    new_store: NewStore, monkeypatch: pytest.MonkeyPatch, apart: int
) -> None:
    # the other side holds collection 20 of 30: what it lacks is what `git rev-list
    # --objects` lists, and of its side only commit 20 itself is read, when the commits
    # are further apart than CLOCK_SLACK (the walk of REMOTE_HAS commits it did before read all twenty;
    # commits of one second, or each older than its parent (clocks that disagree), still
    # walk it all, and still send just what is missing)
    from gitmetrics.store import objects as objects_module

    clock = iter(range(1_800_000_000, 1_800_000_000 + 1000 * (apart or 1), apart or 1))

    class Clock:
        @staticmethod
        def time() -> float:
            return float(next(clock) if apart else 1_800_000_000)

    monkeypatch.setattr(objects_module, "time", Clock)
    a = new_store("a")
    for minute in range(1, 31):
        collect(a, "runner-a", minute)
    head = a.head()
    assert head is not None
    base = git("--git-dir", a.gitdir, "rev-parse", "main~10").strip()
    objects = a.repo.object_store

    class Counting:
        def __init__(self) -> None:
            self.read: list[bytes] = []

        def __getitem__(self, sha: bytes) -> object:
            self.read.append(sha)
            return objects[sha]

        def __contains__(self, sha: bytes) -> bool:
            return sha in objects

    for maybe_theirs in (None, objects.__contains__):
        counting = Counting()
        todo = S._to_send(counting, {base.encode()}, {head.encode()}, maybe_theirs=maybe_theirs)
        listed = git("--git-dir", a.gitdir, "rev-list", "--objects", "main", "--not", base)
        assert {sha for sha, _ in todo} == {line[:40].encode() for line in listed.splitlines()}
        new = set(git("--git-dir", a.gitdir, "rev-list", "main", "--not", base).encode().split())
        commits_read = {sha for sha in counting.read if objects[sha].type_name == b"commit"}
        if apart > 0:
            assert commits_read - new == {base.encode()}
        else:
            assert len(commits_read - new) > 10


@pytest.mark.parametrize("whole_bytes", [S.WHOLE_BYTES, 0])
def test_a_local_pull_reads_what_it_brings_once_up_to_a_cap(
    new_store: NewStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_bytes: int
) -> None:
    # read whole, written as one pack of whole objects and checked from memory; over the
    # cap copied by dulwich with the pack's deltas: the same history either way
    monkeypatch.setattr(S, "WHOLE_BYTES", whole_bytes)
    bare = bare_remote(tmp_path / "remote" / "metrics.git")
    remote = S.make_remote(str(bare), env={})
    a, b = pushed_and_pulled(new_store, remote, 5)
    before = b.head()
    assert before is not None
    for minute in range(6, 9):
        collect(a, "runner-a", minute)
    S.push(a, remote, retention=30)
    written: list[int] = []
    real = incoming.Quarantine.add_whole

    def spy(q: incoming.Quarantine, objects: list[tuple[bytes, int, bytes]]) -> None:
        written.append(len(objects))
        real(q, objects)

    monkeypatch.setattr(incoming.Quarantine, "add_whole", spy)
    got = S.pull(b, remote, retention=30)
    assert got.snapshots_received == 3 and b.head() == a.head()
    listed = git("--git-dir", bare, "rev-list", "--objects", "main", "--not", before)
    assert written == ([len(listed.splitlines())] if whole_bytes else [])
    fsck(b.gitdir)
