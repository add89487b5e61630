"""Synthetic but realistic inputs for the benchmarks: reports, repositories, stores.

Reports are shaped like the real ones in tests/fixtures (coverage.py's Cobertura and JSON,
lcov/geninfo tracefiles); snapshots are built with gitmetrics' own code, and big stores
are written with ``git fast-import`` so that a 10,000-snapshot store takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitmetrics import snapshot as snapmod
from gitmetrics.snapshot import RepoResult, ReportRef, Source
from gitmetrics.store.writer import commit_message, prune

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}


def git(*args: str | Path, cwd: Path | None = None, data: bytes | None = None) -> bytes:
    """Run the git CLI; raise with its stderr on failure."""
    proc = subprocess.run(
        ["git", *map(str, args)], cwd=cwd, input=data, capture_output=True, env=GIT_ENV
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(map(str, args))}: {proc.stderr.decode()}")
    return proc.stdout


# --- reports -------------------------------------------------------------------------


def _files(target_bytes: int, per_line: int, seed: int) -> Iterator[tuple[str, list[int]]]:
    """(path, hits per line) for source files until about ``target_bytes`` of report."""
    rnd = random.Random(seed)
    written = 0
    i = 0
    while written < target_bytes:
        n = rnd.randint(20, 400)
        hits = [rnd.choice((0, 0, 1, 1, 2, 5, 17)) for _ in range(n)]
        yield f"src/pkg{i // 50}/module_{i}.py", hits
        written += n * per_line + 200
        i += 1


def cobertura(path: Path, target_bytes: int, seed: int = 1, branches: bool = False) -> None:
    """A Cobertura report as coverage.py writes it; with ``branches``, as `--cov-branch` does."""
    files = list(_files(target_bytes, 36, seed))
    valid = sum(len(h) for _, h in files)
    covered = sum(1 for _, h in files for x in h if x)
    # with branches, the root carries real branch totals, as coverage.py writes them
    arms = sum(2 for _, h in files for n in range(8, len(h) + 1, 8)) if branches else 0
    taken = sum(2 if h[n - 1] else 1 for _, h in files for n in range(8, len(h) + 1, 8))
    taken = taken if branches else 0
    rate = f"{taken / arms:.4f}" if arms else "0"
    with path.open("w") as out:
        out.write('<?xml version="1.0" ?>\n')
        out.write(
            f'<coverage version="7.6.1" timestamp="1732000000000" lines-valid="{valid}" '
            f'lines-covered="{covered}" line-rate="{covered / valid:.4f}" '
            f'branches-covered="{taken}" branches-valid="{arms}" branch-rate="{rate}" '
            'complexity="0">\n'
            "\t<sources>\n\t\t<source>/src</source>\n\t</sources>\n\t<packages>\n"
            '\t\t<package name="pkg" line-rate="0.5" branch-rate="0" complexity="0">\n'
            "\t\t\t<classes>\n"
        )
        for name, hits in files:
            out.write(
                f'\t\t\t\t<class name="{Path(name).name}" filename="{name}" complexity="0" '
                'line-rate="0.5" branch-rate="0">\n\t\t\t\t\t<methods/>\n\t\t\t\t\t<lines>\n'
            )
            for n, h in enumerate(hits, 1):
                if branches and n % 8 == 0:
                    # coverage.py marks a line that branches, and which arms were missed
                    taken = 2 if h else 1
                    out.write(
                        f'\t\t\t\t\t\t<line number="{n}" hits="{h}" branch="true" '
                        f'condition-coverage="{taken * 50}% ({taken}/2)"'
                        + ("" if taken == 2 else f' missing-branches="{n + 2}"')
                        + "/>\n"
                    )
                    continue
                out.write(f'\t\t\t\t\t\t<line number="{n}" hits="{h}"/>\n')
            out.write("\t\t\t\t\t</lines>\n\t\t\t\t</class>\n")
        out.write("\t\t\t</classes>\n\t\t</package>\n\t</packages>\n</coverage>\n")


def lcov(path: Path, target_bytes: int, seed: int = 2) -> None:
    """A tracefile as lcov 1.16's geninfo writes it for a C project built with gcov.

    Per source file: ``TN:``, ``SF:`` (an absolute path), its functions (``FN:``, then
    ``FNDA:``, ``FNF:``, ``FNH:``), its branches (``BRDA:`` with ``-`` for arms of a line
    never reached, ``BRF:``, ``BRH:``) and its executable lines (``DA:``, with the gaps of
    comments and blank lines, ``LF:``, ``LH:``), then ``end_of_record``. A fifth of the
    functions never ran; counts run from 1 to millions, as in loops.
    """
    rnd = random.Random(seed)
    counts = (1, 1, 1, 2, 3, 4, 8, 12, 40, 97, 180, 1024, 4096, 65536, 1048576)
    written = 0
    i = 0
    with path.open("w") as out:
        while written < target_bytes:
            name = f"/home/runner/work/engine/engine/src/pkg{i // 40}/module_{i}.c"
            n = rnd.randint(20, 400)  # executable lines
            funcs: list[tuple[int, str, int]] = []
            lines: list[tuple[int, int]] = []
            branches: list[tuple[int, int, int, str]] = []
            line = rnd.randint(1, 30)
            calls = 0
            for k in range(n):
                if k % 15 == 0:  # a function starts
                    calls = 0 if rnd.random() < 0.2 else rnd.choice(counts)
                    funcs.append((line, f"pkg{i // 40}_module_{i}_fn{k // 15}", calls))
                hits = 0 if not calls or rnd.random() < 0.08 else calls * rnd.choice((1, 1, 2, 3))
                lines.append((line, hits))
                if rnd.random() < 0.14:  # a condition: 2 arms, sometimes 4
                    for b in range(rnd.choice((2, 2, 2, 4))):
                        taken = "-" if not hits else str(rnd.choice((0, hits, 1, hits // 2)))
                        branches.append((line, len(branches) // 2, b, taken))
                line += rnd.choice((1, 1, 1, 1, 2, 2, 3, 5, 8))
            parts = [f"TN:\nSF:{name}\n"]
            parts += [f"FN:{ln},{fn}\n" for ln, fn, _ in funcs]
            parts += [f"FNDA:{c},{fn}\n" for _, fn, c in funcs]
            parts.append(f"FNF:{len(funcs)}\nFNH:{sum(1 for f in funcs if f[2])}\n")
            parts += [f"BRDA:{ln},{blk},{b},{t}\n" for ln, blk, b, t in branches]
            if branches:
                hit = sum(1 for b in branches if b[3] not in ("-", "0"))
                parts.append(f"BRF:{len(branches)}\nBRH:{hit}\n")
            parts += [f"DA:{ln},{h}\n" for ln, h in lines]
            parts.append(f"LF:{n}\nLH:{sum(1 for _, h in lines if h)}\nend_of_record\n")
            text = "".join(parts)
            out.write(text)
            written += len(text)
            i += 1


def coverage_json(path: Path, target_bytes: int, seed: int = 3) -> None:
    """A coverage.py JSON report (format 3, no branches), indented as `coverage json` writes."""
    files = {}
    total_c = total_v = 0
    for name, hits in _files(target_bytes, 20, seed):
        executed = [n for n, h in enumerate(hits, 1) if h]
        missing = [n for n, h in enumerate(hits, 1) if not h]
        total_c += len(executed)
        total_v += len(hits)
        summary = {
            "covered_lines": len(executed),
            "num_statements": len(hits),
            "percent_covered": 100 * len(executed) / len(hits),
            "missing_lines": len(missing),
            "excluded_lines": 0,
        }
        files[name] = {
            "executed_lines": executed,
            "summary": summary,
            "missing_lines": missing,
            "excluded_lines": [],
        }
    data = {
        "meta": {
            "format": 3,
            "version": "7.6.1",
            "timestamp": "2026-11-01T10:00:00",
            "branch_coverage": False,
            "show_contexts": False,
        },
        "files": files,
        "totals": {
            "covered_lines": total_c,
            "num_statements": total_v,
            "percent_covered": 100 * total_c / total_v,
            "missing_lines": total_v - total_c,
            "excluded_lines": 0,
        },
    }
    path.write_text(json.dumps(data, indent=4))


def cobertura_branches(path: Path, target_bytes: int, seed: int = 1) -> None:
    """A Cobertura report as coverage.py writes it with branch coverage on."""
    cobertura(path, target_bytes, seed, branches=True)


def cobertura_gcovr(path: Path, target_bytes: int, seed: int = 4) -> None:
    """A Cobertura report as gcovr writes it: branch lines carry <conditions>, and every
    line is repeated under its <method>."""
    files = list(_files(target_bytes, 2 * 44, seed))
    valid = sum(len(h) for _, h in files)
    covered = sum(1 for _, h in files for x in h if x)
    arms = sum(2 for _, h in files for n in range(1, len(h) + 1) if n % 8 == 0)
    taken = sum(2 if x else 1 for _, h in files for n, x in enumerate(h, 1) if n % 8 == 0)

    def line(n: int, h: int, indent: str) -> str:
        if n % 8:
            return f'{indent}<line number="{n}" hits="{h}" branch="false"/>\n'
        t = 2 if h else 1
        return (
            f'{indent}<line number="{n}" hits="{h}" branch="true" '
            f'condition-coverage="{t * 50}% ({t}/2)">\n{indent}  <conditions>\n'
            f'{indent}    <condition number="0" type="jump" coverage="{t * 50}%"/>\n'
            f"{indent}  </conditions>\n{indent}</line>\n"
        )

    with path.open("w") as out:
        out.write("<?xml version='1.0' encoding='utf-8'?>\n")
        out.write(
            "<!DOCTYPE coverage SYSTEM 'https://github.com/cobertura/cobertura/blob/master/"
            "cobertura/src/site/htdocs/xml/coverage-04.dtd'>\n"
            f'<coverage line-rate="{covered / valid}" branch-rate="{taken / arms}" '
            f'lines-covered="{covered}" lines-valid="{valid}" branches-covered="{taken}" '
            f'branches-valid="{arms}" complexity="0.0" timestamp="1732000000" '
            'version="gcovr 8.8">\n  <sources>\n    <source>/src</source>\n  </sources>\n'
            '  <packages>\n    <package name="" line-rate="0.5" branch-rate="0.5" '
            'complexity="0.0">\n      <classes>\n'
        )
        for name, hits in files:
            out.write(
                f'        <class name="{Path(name).stem}" filename="{name}" line-rate="0.5" '
                'branch-rate="0.5" complexity="0.0">\n          <methods>\n'
            )
            # one method per 20 lines, holding those lines again
            for start in range(0, len(hits), 20):
                out.write(
                    f'            <method name="f{start}" signature="" line-rate="0.5" '
                    'branch-rate="0.5" complexity="0.0">\n              <lines>\n'
                )
                for n in range(start + 1, min(start + 20, len(hits)) + 1):
                    out.write(line(n, hits[n - 1], "                "))
                out.write("              </lines>\n            </method>\n")
            out.write("          </methods>\n          <lines>\n")
            for n, h in enumerate(hits, 1):
                out.write(line(n, h, "            "))
            out.write("          </lines>\n        </class>\n")
        out.write("      </classes>\n    </package>\n  </packages>\n</coverage>\n")


def jacoco(path: Path, target_bytes: int, seed: int = 5) -> None:
    """A JaCoCo XML report as its Maven/Gradle plugins write it: one line of XML, counters
    per method, class, sourcefile, package and report, one <line> per source line."""
    kinds = ("INSTRUCTION", "BRANCH", "LINE", "COMPLEXITY", "METHOD")
    rnd = random.Random(seed)
    total = {k: [0, 0] for k in (*kinds, "CLASS")}

    def counters(c: dict[str, list[int]]) -> str:
        return "".join(
            f'<counter type="{k}" missed="{m}" covered="{v}"/>' for k, (m, v) in c.items() if m + v
        )

    with path.open("w") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC '
            '"-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="bench">'
            '<sessioninfo id="ci-1" start="1732000000000" dump="1732000009000"/>'
        )
        files = list(_files(target_bytes, 70, seed))
        for p0 in range(0, len(files), 50):
            package = f"com/example/pkg{p0 // 50}"
            out.write(f'<package name="{package}">')
            sources = []
            for name, hits in files[p0 : p0 + 50]:
                cls = Path(name).stem.title().replace("_", "")
                lines = []
                per_file = {k: [0, 0] for k in (*kinds, "CLASS")}
                methods = []
                for start in range(0, len(hits), 12):
                    m = {k: [0, 0] for k in kinds}
                    for n in range(start + 1, min(start + 12, len(hits)) + 1):
                        h = hits[n - 1]
                        ins = rnd.randint(2, 9)
                        mi, ci = (0, ins) if h else (ins, 0)
                        mb = cb = 0
                        if n % 8 == 0:
                            cb = 2 if h else 0
                            mb = 2 - cb
                        lines.append(f'<line nr="{n}" mi="{mi}" ci="{ci}" mb="{mb}" cb="{cb}"/>')
                        for k, (a, b) in (
                            ("INSTRUCTION", (mi, ci)),
                            ("BRANCH", (mb, cb)),
                            ("LINE", (0 if h else 1, 1 if h else 0)),
                        ):
                            m[k][0] += a
                            m[k][1] += b
                    hit = m["LINE"][1] > 0
                    m["COMPLEXITY"] = [1, 0] if not hit else [0, 1]
                    m["METHOD"] = [0, 1] if hit else [1, 0]
                    methods.append(
                        f'<method name="m{start}" desc="(Ljava/lang/String;I)V" '
                        f'line="{start + 1}">{counters(m)}</method>'
                    )
                    for k in kinds:
                        per_file[k][0] += m[k][0]
                        per_file[k][1] += m[k][1]
                per_file["CLASS"] = [0, 1] if per_file["METHOD"][1] else [1, 0]
                out.write(
                    f'<class name="{package}/{cls}" sourcefilename="{cls}.java">'
                    + "".join(methods)
                    + counters(per_file)
                    + "</class>"
                )
                sources.append(
                    f'<sourcefile name="{cls}.java">'
                    + "".join(lines)
                    + counters(per_file)
                    + "</sourcefile>"
                )
                for k in total:
                    total[k][0] += per_file[k][0]
                    total[k][1] += per_file[k][1]
            out.write("".join(sources) + "</package>")
        out.write(counters(total) + "</report>")


#: reports for the parse benchmark only, as (file name, maker, gitmetrics format)
PARSE_ONLY = {
    "cobertura-branches": ("coverage.xml", cobertura_branches, "cobertura"),
    "cobertura-gcovr": ("coverage.xml", cobertura_gcovr, "cobertura"),
    "jacoco": ("jacoco.xml", jacoco, "jacoco"),
}

REPORTS = {
    "cobertura": ("coverage.xml", cobertura),
    "lcov": ("lcov.info", lcov),
    "coverage-json": ("coverage.json", coverage_json),
}


# --- repositories and a config ---------------------------------------------------------


def repos(root: Path, count: int) -> Path:
    """``count`` git repositories with a report each (a few KB to ~1 MB), and a repos.yaml."""
    template = root / "_template"
    if not template.exists():
        template.mkdir(parents=True)
        (template / "README.md").write_text("a repository\n")
        git("init", "-q", "-b", "main", cwd=template)
        git("add", "README.md", cwd=template)
        git("commit", "-q", "-m", "start", cwd=template)
    rnd = random.Random(count)
    lines = ["store: metrics", "repos:"]
    kinds = list(REPORTS)
    for i in range(count):
        repo = root / f"repo{i:04d}"
        if not repo.exists():
            shutil.copytree(template, repo, symlinks=True)
            kind = kinds[i % len(kinds)]
            name, make = REPORTS[kind]
            # most repositories are small; a few are big
            size = rnd.choice((4_000, 20_000, 60_000, 150_000, 400_000)) * (
                3 if rnd.random() < 0.05 else 1
            )
            make(repo / name, size, seed=i)
        lines.append(f"  - name: repo{i:04d}\n    path: repo{i:04d}\n    role: service")
    config = root / f"repos-{count}.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


# --- snapshots and stores --------------------------------------------------------------


def detail(name: str, gen: int, files: int) -> bytes:
    """The per-file detail of ``files`` files of one measurement of a repository: the same
    ``gen`` gives the same bytes (one blob), another one other figures."""
    rnd = random.Random(f"{name}/{gen}")
    found = []
    for i in range(files):
        valid = rnd.randint(5, 400)
        missed = tuple(sorted(rnd.sample(range(1, valid + 1), rnd.randint(0, valid // 3))))
        skip = set(missed)
        covered = tuple(n for n in range(1, valid + 1) if n not in skip)
        found.append(
            snapmod.FileDetail(
                f"src/pkg{i % 7}/module_{i:04d}.py",
                len(covered),
                valid,
                None,
                None,
                covered,
                missed,
            )
        )
    return snapmod.files_json(name, "cobertura", found)


def snapshots(
    repo_count: int, count: int, seed: int = 7, files: int = 0
) -> Iterator[tuple[snapmod.Snapshot, bytes]]:
    """``count`` hourly snapshots of ``repo_count`` repositories, figures drifting slowly;
    with ``files``, each measurement has per-file detail of that many files (changed with
    the report)."""
    rnd = random.Random(seed)
    state = []
    for i in range(repo_count):
        valid = rnd.randint(200, 40_000)
        state.append([f"service-{i:04d}", valid, rnd.randint(0, valid), "0" * 40, 0])
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made: dict[tuple[str, int], bytes] = {}  # the detail of each repository's report
    for k in range(count):
        results = []
        for s in state:
            if rnd.random() < 0.2:  # someone merged: the report and the commit change
                s[1] = max(100, s[1] + rnd.randint(-50, 200))
                s[2] = min(s[1], max(0, s[2] + rnd.randint(-40, 160)))
                s[3] = hashlib.sha1(f"{s[0]}{k}".encode()).hexdigest()
                s[4] += 1
            name, valid, cov, commit, gen = s
            if files and (name, gen) not in made:
                made.pop((name, gen - 1), None)
                made[(name, gen)] = detail(name, gen, files)
            results.append(
                RepoResult(
                    name=name,
                    role="service",
                    coverage=snapmod.pct(cov, valid),
                    files_tested=valid // 40,
                    lines_covered=cov,
                    lines_valid=valid,
                    format="cobertura",
                    report="coverage.xml",
                    reports=(
                        ReportRef(
                            "coverage.xml",
                            "cobertura",
                            hashlib.sha256(f"{name}{gen}".encode()).hexdigest(),
                            cov,
                            valid,
                        ),
                    ),
                    source=Source(commit, "main", False),
                    duration_ms=rnd.randint(3, 900),
                    detail=made[(name, gen)] if files else None,
                )
            )
        when = start + timedelta(hours=k)
        snap = snapmod.build(
            results, host="ci-runner-1", timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        # validated once by the caller; to_dict+dumps is what to_json writes
        yield snap, snapmod.dumps(snapmod.to_dict(snap))


def store(
    path: Path,
    repo_count: int,
    count: int,
    *,
    retention: int,
    bare: bool = False,
    files: int = 0,
) -> int:
    """A metrics store of ``count`` collections, as gitmetrics writes it, via git fast-import
    (with ``files``, each repository's per-file detail too, rewritten when it changes).

    Returns the raw JSON bytes of all snapshots.
    """
    from gitmetrics import store as storemod

    st = storemod.init(path, bare=bare)
    root = st.head()  # every store starts from the shared root commit
    st.close()
    assert root is not None
    stream: list[bytes] = []
    raw = 0
    tree: dict[str, bytes] = {}
    prev = None
    t0 = 1_735_689_600
    details: dict[str, bytes] = {}
    for k, (snap, data) in enumerate(snapshots(repo_count, count, files=files)):
        if k == 0:
            snapmod.validate(json.loads(data))
        raw += len(data)
        snap_path = snapmod.file_name(snap, data)
        before = set(tree)
        tree[snap_path] = b""
        tree["latest.json"] = b""
        prune(tree, retention)
        msg = commit_message(snap, snap_path, prev).encode()
        prev = _entry(snap, snap_path)
        stream.append(b"blob\nmark :%d\ndata %d\n%s\n" % (k + 1, len(data), data))
        stream.append(
            b"commit refs/heads/main\ncommitter gitmetrics <gitmetrics@localhost> %d +0000\n"
            b"data %d\n%s\n" % (t0 + 3600 * k, len(msg), msg)
        )
        if k == 0:
            stream.append(b"from %s\n" % root.encode())
        for gone in sorted(before - set(tree)):
            stream.append(b"D %s\n" % gone.encode())
        stream.append(b"M 100644 :%d %s\n" % (k + 1, snap_path.encode()))
        stream.append(b"M 100644 :%d latest.json\n" % (k + 1))
        for r in snap.repositories:
            if r.detail is not None and details.get(r.name) != r.detail:
                details[r.name] = r.detail
                where = snapmod.files_path(r.name).encode()
                stream.append(
                    b"M 100644 inline %s\ndata %d\n%s\n" % (where, len(r.detail), r.detail)
                )
        stream.append(b"\n")
    git("fast-import", "--quiet", cwd=path, data=b"".join(stream))
    if not bare:
        git("reset", "-q", "--hard", "main", cwd=path)
    return raw


def _entry(snap: snapmod.Snapshot, path: str) -> object:
    from gitmetrics.store.reader import HistoryEntry

    s = snap.summary
    return HistoryEntry(
        "",
        snap.timestamp,
        path,
        s.avg_coverage,
        s.weighted_coverage,
        s.repos_count,
        s.total_files_tested,
        s.repos_failed,
        snap.host,
        "",
    )


def unpack(store_path: Path) -> None:
    """Turn a store's packs into loose objects: the state gitmetrics itself leaves a store in."""
    gitdir = store_path / ".git" if (store_path / ".git").is_dir() else store_path
    packs = sorted((gitdir / "objects" / "pack").glob("*.pack"))
    for pack in packs:
        moved = pack.with_name("_" + pack.name)
        pack.rename(moved)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as fh:
            subprocess.run(
                ["git", "unpack-objects", "-q"], stdin=fh, cwd=store_path, check=True, env=GIT_ENV
            )
        moved.unlink()


def du(path: Path) -> int:
    """Bytes on disk (allocated blocks) of the objects of a store."""
    gitdir = path / ".git" if (path / ".git").is_dir() else path
    total = 0
    for p in (gitdir / "objects").rglob("*"):
        if p.is_file():
            total += p.stat().st_blocks * 512
    return total


def apparent(path: Path) -> int:
    """Bytes (file sizes) of the objects of a store."""
    gitdir = path / ".git" if (path / ".git").is_dir() else path
    return sum(p.stat().st_size for p in (gitdir / "objects").rglob("*") if p.is_file())
