"""`gitmetrics gc` and the delta encoder, checked with the real git CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dulwich.pack import apply_delta
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmetrics import store
from gitmetrics.store import pack
from gitmetrics.store.pack import line_delta
from tests.helpers import fsck, git, invoke, make_snapshot, repo_result


def _fill(path: Path, count: int, retention: int = 5) -> store.Store:
    st = store.init(path)
    st.derive = lambda ctx: {"README.md": f"# {ctx.snapshot.timestamp}\n".encode()}
    for i in range(count):
        day, hour = 1 + i // 20, i % 20
        results = [repo_result(f"repo-{r:02d}", 40 + (i * r) % 50) for r in range(12)]
        st.commit_snapshot(make_snapshot(day, results, hour=hour), retention=retention)
    return st


def _loose(path: Path) -> int:
    counts = dict(line.split(": ") for line in git("-C", path, "count-objects", "-v").splitlines())
    return int(counts["count"])


@pytest.mark.slow
def test_gc_packs_everything_and_keeps_history(store_dir: Path) -> None:
    st = _fill(store_dir, 40)
    history = list(st.history())
    oldest = st.snapshot_at(history[-1])
    log = git("-C", store_dir, "log", "--format=%H %T %s")
    before = pack.objects_size(st.gitdir)
    st.close()

    result = invoke("gc", "--store", str(store_dir), "--json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["loose_removed"] == done["objects"] > 0
    assert done["deltas"] > 30  # the snapshots are stored against each other
    assert done["bytes_after"] < before
    fsck(store_dir)
    assert _loose(store_dir) == 0
    assert len(list((store_dir / ".git" / "objects" / "pack").glob("*.pack"))) == 1
    assert git("-C", store_dir, "log", "--format=%H %T %s") == log
    assert git("-C", store_dir, "status", "--porcelain") == ""
    reopened = store.open_store(store_dir)
    assert list(reopened.history()) == history
    assert reopened.snapshot_at(history[-1]) == oldest
    # a packed store takes new commits, and a second gc replaces the first pack
    reopened.commit_snapshot(make_snapshot(28, [repo_result("api", 70)]), retention=5)
    reopened.close()
    again = pack.gc(store.open_store(store_dir))
    assert again.packs_removed == 1 and again.loose_removed > 0
    fsck(store_dir)
    assert _loose(store_dir) == 0
    assert len(list(store.open_store(store_dir).history())) == 41


def test_gc_output_and_empty_store(store_dir: Path) -> None:
    store.init(store_dir)
    result = invoke("gc", "--store", str(store_dir))
    # a new store holds the shared root commit: its commit, tree and marker blob
    assert result.exit_code == 0 and result.output.startswith("Packed 3 objects (0 as deltas)")
    again = invoke("gc", "--store", str(store_dir))
    assert again.exit_code == 0 and "removed 0 loose objects" in again.output
    fsck(store_dir)
    empty = store_dir.parent / "empty"
    git("init", "-q", empty)  # a repository with no commit at all
    result = invoke("gc", "--store", str(empty))
    assert result.exit_code == 0 and "Nothing to pack" in result.output
    _fill(store_dir, 3).close()
    result = invoke("gc", "--store", str(store_dir))
    assert result.exit_code == 0, result.output
    assert "into one pack; removed" in result.output and "Objects on disk:" in result.output


def test_gc_on_a_missing_store_is_a_clean_error(tmp_path: Path) -> None:
    result = invoke("gc", "--store", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert "no metrics repository" in result.output


def test_gc_keeps_unreachable_packed_objects_and_bare_stores(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    st = store.init(bare, bare=True)
    for day in range(1, 6):
        st.commit_snapshot(make_snapshot(day, [repo_result("api", 50 + day)]), retention=2)
    git("-C", bare, "repack", "-q", "-a", "-d")
    st.close()
    pack.gc(store.open_store(bare))
    fsck(bare)
    assert len(list(store.open_store(bare).history())) == 5
    # a pack marked .keep stays where it is
    st = store.open_store(bare)
    st.commit_snapshot(make_snapshot(9, [repo_result("api", 60)]), retention=2)
    st.close()
    kept = next((bare / "objects" / "pack").glob("*.pack"))
    kept.with_suffix(".keep").write_text("")
    done = pack.gc(store.open_store(bare))
    assert kept.exists() and done.packs_removed == 0
    fsck(bare)
    assert len(list(store.open_store(bare).history())) == 6


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([b'  "a": ', b"1,\n", b"22,\n", b'"x": ', b"}\n", b"\n", b"zz"]),
        max_size=60,
    ),
    st.lists(
        st.sampled_from([b'  "a": ', b"1,\n", b"3,\n", b'"x": ', b"}\n", b"\n", b"q"]), max_size=60
    ),
)
def test_line_delta_rebuilds_the_target(base: list[bytes], target: list[bytes]) -> None:
    a, b = b"".join(base), b"".join(target)
    assert b"".join(apply_delta(a, line_delta(a, b))) == b


def test_line_delta_on_large_runs() -> None:
    base = b"".join(b'  "n": %d,\n' % i for i in range(30_000))  # copies over 64 KiB
    target = base.replace(b'"n": 17,', b'"n": 18,') + b"tail"
    delta = line_delta(base, target)
    assert b"".join(apply_delta(base, delta)) == target
    assert len(delta) < 100


ROWS = [
    b"| billing-web | frontend | 71.0% | 75.0% | 2 | = | fair |\n",
    b"| billing-web | frontend | 72.5% | 75.0% | 2 | +1.5 | fair |\n",
    b"| geometry-c | library | 68.9% | 61.1% | 1 | = | fair |\n",
    b"| x |\n",
    b"\n",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ROWS), max_size=30), st.lists(st.sampled_from(ROWS), max_size=30))
def test_line_delta_rebuilds_tables(base: list[bytes], target: list[bytes]) -> None:
    a, b = b"".join(base), b"".join(target)
    assert b"".join(apply_delta(a, line_delta(a, b))) == b


def test_a_changed_row_costs_its_change_not_the_row() -> None:
    """A README row whose figure changed copies what it shares with the row it replaces."""
    base = b"".join(
        b"| repo-%03d | service | 71.0%% | 75.0%% | 2 | = | fair |\n" % i for i in range(50)
    )
    target = base.replace(b"| repo-017 | service | 71.0%", b"| repo-017 | service | 73.4%")
    delta = line_delta(base, target)
    assert b"".join(apply_delta(base, delta)) == target
    assert len(delta) < 40


def test_per_file_detail_is_packed_against_other_repositories(tmp_path: Path) -> None:
    """Two repositories measured from the same real report store near-identical
    ``files.json`` blobs (only the name differs): gc packs one as a delta of the other, as
    it packs a repository's next detail against its previous one."""
    import shutil

    fixture = Path(__file__).resolve().parent.parent / "fixtures/reports/lcov/nyc"
    for name in ("api", "web"):
        shutil.copytree(fixture, tmp_path / name)
    (tmp_path / "repos.yaml").write_text(
        "store: metrics\nrepos:\n"
        "  - {name: api, path: api, coverage: lcov.info}\n"
        "  - {name: web, path: web, coverage: lcov.info}\n"
    )
    assert invoke("collect", "-c", str(tmp_path / "repos.yaml")).exit_code == 0
    report = tmp_path / "web" / "lcov.info"
    report.write_text(report.read_text().replace("DA:5,0", "DA:5,1", 1))
    assert invoke("collect", "-c", str(tmp_path / "repos.yaml")).exit_code == 0
    metrics = tmp_path / "metrics"
    blobs = {
        line.split()[0]: line.split()[1]
        for line in git("-C", metrics, "rev-list", "--objects", "--all").splitlines()
        if line.endswith("/files.json")
    }
    assert sorted(set(blobs.values())) == ["repos/api/files.json", "repos/web/files.json"]
    assert len(blobs) == 3  # api once, web twice
    assert invoke("gc", "--store", str(metrics)).exit_code == 0
    fsck(metrics)
    (idx,) = (metrics / ".git/objects/pack").glob("*.idx")
    rows = [line.split() for line in git("verify-pack", "-v", str(idx)).splitlines()]
    bases = {r[0]: r[6] for r in rows if len(r) == 7 and r[0] in blobs}
    assert len(bases) == 2  # one whole, the other two deltas
    assert any(blobs[sha] != blobs[base] for sha, base in bases.items())  # across repositories


def test_a_pack_of_whole_objects_is_what_git_reads(tmp_path: Path) -> None:
    # sizes across the entry header's 4-bit and 7-bit steps, an empty blob, each kind
    import hashlib
    import os

    from dulwich.objects import object_header

    bare = tmp_path / "bare.git"
    git("init", "-q", "--bare", bare)
    contents = [b"", b"x", b"y" * 15, b"z" * 16, b"w" * 2047, b"v" * 2048, os.urandom(300_000)]
    objects = []
    for raw in contents:
        sha = hashlib.sha1(object_header(3, len(raw)) + raw).hexdigest().encode()
        objects.append((sha, 3, raw))
    tree = b"100644 a\0" + bytes.fromhex(objects[1][0].decode())
    objects.append((hashlib.sha1(object_header(2, len(tree)) + tree).hexdigest().encode(), 2, tree))
    name = pack.write_whole(bare / "objects" / "pack", objects)
    index = bare / "objects" / "pack" / f"{name}.idx"
    listed = git("verify-pack", "-v", index)
    assert all(sha.decode() in listed for sha, _, _ in objects)
    for sha, _, raw in objects:
        assert git("--git-dir", bare, "cat-file", "-s", sha.decode()).strip() == str(len(raw))
    assert git("--git-dir", bare, "cat-file", "-p", objects[-1][0].decode()).startswith("100644")
    assert [p.name for p in index.parent.iterdir() if p.name.startswith("tmp")] == []
    fsck(bare)


def test_a_large_write_lands_as_one_pack_git_reads(tmp_path: Path) -> None:
    from dulwich.objects import Blob

    from gitmetrics.store import locks

    st = store.init(tmp_path / "metrics")
    before = set((st.gitdir / "objects").glob("??/*"))  # the root commit's
    blobs = [Blob.from_string(b"report %d\n" % i) for i in range(pack.PACKED_FROM)]
    st.add_objects([*blobs, blobs[0]])  # a repeated object is written once
    packs = list((st.gitdir / "objects" / "pack").glob("*.pack"))
    assert len(packs) == 1
    assert set((st.gitdir / "objects").glob("??/*")) == before
    listed = git("verify-pack", "-v", packs[0].with_suffix(".idx"))
    assert sum(b.id.decode() in listed for b in blobs) == len(blobs)
    assert git("-C", st.path, "cat-file", "-p", blobs[7].id.decode()) == "report 7\n"
    # what is already in the store is not written again; a small write stays loose
    st.add_objects(blobs)
    assert len(list((st.gitdir / "objects" / "pack").glob("*.pack"))) == 1
    st.add_objects([Blob.from_string(b"one more\n")])
    assert len(set((st.gitdir / "objects").glob("??/*")) - before) == 1
    fsck(st.path)
    # a pack a killed writer left half-written is swept with its locks
    left = st.gitdir / "objects" / "pack" / "tmp_whole_0123456789abcdef.pack"
    left.write_bytes(b"PACK")
    assert left in locks.sweep(st.gitdir, st.path)
    assert not left.exists()
    st.close()
