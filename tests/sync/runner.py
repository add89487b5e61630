"""One repository's CI job in the many-runners tests: `collect --repo X && push`.

Run as a separate process: ``python runner.py DIR REPO ROUND [BRANCH]``. ``DIR`` holds the
runner's own ``repos.yaml`` (every repository of the team, its own store, the shared remote)
and the checkout of ``REPO``; the job writes that repository's report for ``ROUND``
(``covered_lines(REPO, ROUND)`` of 100 lines covered), then runs, as CI would,

    gitmetrics collect --repo REPO && gitmetrics push

and prints one JSON line: ``{"collect": <collect --json>, "push": <push --json>,
"seconds": ...}``. With ``BRANCH`` (the alternative the benchmark measures) the push is
``git push <remote> main:BRANCH`` instead: every runner on a branch of its own, no race.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LINES = 100


def covered_lines(repo: str, rnd: int) -> int:
    """The figure a round's report holds: different per repository and per round."""
    return (int(repo.rsplit("-", 1)[-1]) * 7 + rnd * 13) % LINES


def write_report(checkout: Path, repo: str, rnd: int) -> None:
    covered = covered_lines(repo, rnd)
    lines = "".join(f"DA:{n},{1 if n <= covered else 0}\n" for n in range(1, LINES + 1))
    text = f"TN:\nSF:src/{repo}.py\n{lines}LF:{LINES}\nLH:{covered}\nend_of_record\n"
    checkout.mkdir(parents=True, exist_ok=True)
    (checkout / "lcov.info").write_text(text)


def repo_names(count: int) -> list[str]:
    return [f"repo-{i:02d}" for i in range(count)]


def make_runner(folder: Path, remote: str, repos: list[str], retention: int = 30) -> Path:
    """A runner's folder: a repos.yaml naming every repository, its store, the remote."""
    folder.mkdir(parents=True)
    entries = "".join(
        f"  - {{name: {n}, path: {n}, coverage: lcov.info, format: lcov}}\n" for n in repos
    )
    text = f"store: store\nremote: {remote}\nretention: {retention}\nrepos:\n{entries}"
    (folder / "repos.yaml").write_text(text)
    (folder / "remote").write_text(remote + "\n")
    return folder


def _gitmetrics(*args: str) -> Any:
    """``gitmetrics ARGS --json`` in this process; its JSON (exit code 0 required)."""
    from gitmetrics.cli import app

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            app([*args, "--json"], prog_name="gitmetrics")
        except SystemExit as stop:
            if stop.code not in (0, None):
                sys.stderr.write(out.getvalue())
                raise
    return json.loads(out.getvalue())


def run(folder: Path, repo: str, rnd: int, branch: str | None) -> dict[str, Any]:
    start = time.perf_counter()
    write_report(folder / repo, repo, rnd)
    config = str(folder / "repos.yaml")
    done: dict[str, Any] = {"collect": _gitmetrics("collect", "--config", config, "--repo", repo)}
    if branch is None:
        done["push"] = _gitmetrics("push", "--config", config)
    else:
        remote = (folder / "remote").read_text().strip()
        subprocess.run(
            ["git", "-C", str(folder / "store"), "push", "-q", remote, f"main:{branch}"],
            check=True,
            capture_output=True,
        )
    done["seconds"] = time.perf_counter() - start
    return done


if __name__ == "__main__":
    a = sys.argv[1:]
    print(json.dumps(run(Path(a[0]), a[1], int(a[2]), a[3] if len(a) > 3 else None)))
