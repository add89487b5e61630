"""`gitmetrics patch` against `diff-cover` on one big change: ratio of their times.

    python benchmarks/patch_bench.py [--files 5000] [--lines 120] [--runs 3]

Builds a git repository of ``--files`` source files, changes every one of them on a branch
(a 5,000-file diff), writes a Cobertura report of the changed tree (about 20 MB for the
defaults), then times both tools on the same diff and report, alternately, in this run.
Both must print the same totals (checked). Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
GITMETRICS = [
    PY,
    "-c",
    "import sys; from gitmetrics.cli import main; sys.argv[0] = 'gitmetrics'; main()",
]
DIFF_COVER = [str(Path(PY).with_name("diff-cover"))]
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.invalid",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True)


def build(root: Path, files: int, lines: int) -> Path:
    """The repository (base on `main`, the change on `work`) and the report's path."""
    git(root, "init", "-q", "-b", "main")
    names = [f"pkg{i // 100:03d}/mod{i:05d}.py" for i in range(files)]
    for name in names:
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text("".join(f"x{n} = {n}\n" for n in range(lines)))
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-q", "-b", "work")
    for i, name in enumerate(names):
        # every tenth line changed, and ten lines added at the end
        body = [f"x{n} = {n + 1 if n % 10 == i % 10 else n}\n" for n in range(lines)]
        body += [f"y{n} = {n}\n" for n in range(10)]
        (root / name).write_text("".join(body))
    git(root, "commit", "-qam", "work")
    report = root.parent / "coverage.xml"
    with report.open("w") as out:
        out.write(
            '<?xml version="1.0" ?>\n<coverage version="7.0" timestamp="1" '
            f'lines-valid="{files * (lines + 10)}" lines-covered="0" line-rate="0" '
            'branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">\n'
            f"<sources><source>{root}</source></sources>\n<packages>\n"
            '<package name="p" line-rate="0" branch-rate="0" complexity="0"><classes>\n'
        )
        covered = 0
        for i, name in enumerate(names):
            out.write(
                f'<class name="m{i}" filename="{name}" complexity="0" line-rate="0" '
                'branch-rate="0"><methods/><lines>\n'
            )
            for n in range(1, lines + 11):
                hit = (n * 7 + i) % 3 != 0
                covered += hit
                out.write(f'<line number="{n}" hits="{int(hit)}"/>\n')
            out.write("</lines></class>\n")
        out.write("</classes></package>\n</packages>\n</coverage>\n")
    text = report.read_text().replace('lines-covered="0"', f'lines-covered="{covered}"', 1)
    report.write_text(text)
    return report


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=ENV)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stderr[-2000:]}")
    return took, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--lines", type=int, default=120)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gm-patch-bench-"))
    try:
        root = tmp / "repo"
        root.mkdir()
        report = build(root, args.files, args.lines)
        size = report.stat().st_size
        ours_t: list[float] = []
        theirs_t: list[float] = []
        out_json = tmp / "dc.json"
        for _ in range(args.runs):
            t, out = timed(
                [*GITMETRICS, "patch", "--report", str(report), "--base", "main", "-f", "json"],
                root,
            )
            ours_t.append(t)
            mine = json.loads(out)
            t, _ = timed(
                [
                    *DIFF_COVER,
                    str(report),
                    "--compare-branch",
                    "main",
                    "--format",
                    f"json:{out_json}",
                    "-q",
                ],
                root,
            )
            theirs_t.append(t)
            theirs = json.loads(out_json.read_text())
            assert (mine["coverable"], mine["missing"]) == (
                theirs["total_num_lines"],
                theirs["total_num_violations"],
            ), (mine["coverable"], mine["missing"], theirs["total_num_lines"])
        ours_m, theirs_m = statistics.median(ours_t), statistics.median(theirs_t)
        print(
            f"{args.files} changed files, {mine['coverable']} changed coverable lines, "
            f"Cobertura report {size / 1e6:.1f} MB, median of {args.runs} runs each:"
        )
        print("| command | wall time | ratio to diff-cover |")
        print("| --- | ---: | ---: |")
        print(f"| gitmetrics patch | {ours_m:.2f} s | {ours_m / theirs_m:.2f} |")
        print(f"| diff-cover --format json | {theirs_m:.2f} s | 1.00 |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
