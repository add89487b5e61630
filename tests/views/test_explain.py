"""`gitmetrics explain` and `gitmetrics flaky` on stores collected from real coverage.py runs.

A temporary git repository holds a small package and its tests; coverage.py measures it for
real at each commit and `gitmetrics collect` reads its JSON report. The expected figures are
coverage.py's own (its per-file ``summary`` and ``missing_lines``), the expected commits git
log's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import git, invoke

CALC = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    result = a * b
    return result
"""

TESTS = """\
from calc.core import add, mul, sub


def test_add():
    assert add(1, 2) == 3


def test_sub():
    assert sub(3, 2) == 1


def test_mul():
    assert mul(2, 3) == 6
"""

#: the same tests without the ones of ``sub`` and ``mul``
FEWER_TESTS = """\
from calc.core import add


def test_add():
    assert add(1, 2) == 3
"""


def commit(repo: Path, files: dict[str, str], subject: str, author: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
        git("add", name, cwd=repo)
    git("commit", "-q", "-m", subject, cwd=repo, env={"GIT_AUTHOR_NAME": author})
    return git("rev-parse", "HEAD", cwd=repo).strip()


def measure(repo: Path) -> dict[str, Any]:
    """coverage.py run for real on the package's tests; its JSON report, as it wrote it."""
    for args in (
        ["run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        ["json", "-q", "-o", "coverage.json"],
    ):
        subprocess.run(
            [sys.executable, "-m", "coverage", *args], cwd=repo, check=True, capture_output=True
        )
    report: dict[str, Any] = json.loads((repo / "coverage.json").read_text())
    return report


def collect(cfg: Path) -> None:
    result = invoke("collect", "-c", cfg)
    assert result.exit_code == 0, result.output


def run_json(*args: str | Path, code: int = 0) -> Any:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


class Source:
    """A source repository measured and collected twice: its tests cut in between."""

    def __init__(self, tmp: Path, extra: str = "", collect_after: bool = True) -> None:
        self.repo = tmp / "calc-src"
        self.repo.mkdir()
        git("init", "-q", "--initial-branch=main", self.repo)
        (self.repo / ".gitignore").write_text(".coverage\ncoverage.json\n__pycache__/\n")
        self.start = commit(
            self.repo,
            {".gitignore": (self.repo / ".gitignore").read_text(), "calc/__init__.py": "",
             "calc/core.py": CALC, "tests/test_core.py": TESTS},
            "calc: add, sub and mul with their tests", "Ann Author",
        )  # fmt: skip
        self.cfg = tmp / "repos.yaml"
        self.cfg.write_text(
            "store: metrics\n"
            "commit_url: https://git.example.com/{repo}/commit/{commit}\n"
            "repos:\n  - name: calc\n    path: calc-src\n    coverage: coverage.json\n" + extra
        )
        self.before = measure(self.repo)
        collect(self.cfg)
        self.docs = commit(self.repo, {"README.md": "# calc\n"}, "docs: a readme", "Dee Docs")
        self.cut = commit(
            self.repo, {"tests/test_core.py": FEWER_TESTS}, "tests: drop the sub and mul tests",
            "Cy Cutter",
        )  # fmt: skip
        self.after = measure(self.repo)
        if collect_after:
            collect(self.cfg)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    return Source(tmp_path_factory.mktemp("explain"))


def summary(report: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = report["files"][path]["summary"]
    return found


@pytest.mark.slow
def test_explain_names_the_commit_that_removed_tests(source: Source) -> None:
    out = run_json("explain", "calc", "-c", source.cfg)
    assert out["last_drop"] is True
    (repo,) = out["repos"]
    assert repo["repo"] == "calc"
    assert repo["before"]["source_commit"] == source.start
    assert repo["after"]["source_commit"] == source.cut
    # the range holds both commits; only the one that cut the tests touched a file that moved
    assert repo["source"]["commits_in_range"] == 2
    oracle = git("log", "--format=%H|%an|%s", f"{source.start}..{source.cut}", "--",
                 "tests/test_core.py", "calc/core.py", cwd=source.repo)  # fmt: skip
    got = [f"{c['commit']}|{c['author']}|{c['subject']}" for c in repo["source"]["commits"]]
    assert (
        got == oracle.splitlines() == [f"{source.cut}|Cy Cutter|tests: drop the sub and mul tests"]
    )
    assert repo["source"]["dirty"] is False
    (cut,) = repo["source"]["commits"]
    assert cut["files"] == ["tests/test_core.py"]
    assert cut["url"] == f"https://git.example.com/calc/commit/{source.cut}"
    # the files and figures are coverage.py's own
    files = {f["path"]: f for f in repo["files"]}
    core = files["calc/core.py"]
    for side, report in (("before", source.before), ("after", source.after)):
        s = summary(report, "calc/core.py")
        assert core[side]["lines_covered"] == s["covered_lines"]
        assert core[side]["lines_valid"] == s["num_statements"]
    missing_after = set(source.after["files"]["calc/core.py"]["missing_lines"])
    missing_before = set(source.before["files"]["calc/core.py"]["missing_lines"])
    lost = sorted(missing_after - missing_before)
    assert lost == [6, 10, 11]  # the bodies of sub and mul
    assert core["uncovered"] == "6,10-11"
    assert core["kind"] == "changed" and core["change"] < 0
    # worst first: the package's file lost the most
    assert repo["files"][0]["path"] == "calc/core.py"
    cov = {s: source.__dict__[s]["totals"]["percent_covered"] for s in ("before", "after")}
    assert repo["before"]["line_coverage"] == round(cov["before"], 2)
    assert repo["after"]["line_coverage"] == round(cov["after"], 2)


@pytest.mark.slow
def test_explain_in_the_terminal_markdown_and_csv(source: Source) -> None:
    result = invoke("explain", "-c", source.cfg)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "The last drop" in text and "calc" in text
    assert source.cut[:10] in text and "Cy Cutter: tests: drop the sub and mul tests" in text
    assert "6,10-11" in text and source.docs[:10] not in text
    md = invoke("explain", "calc", "-c", source.cfg, "--format", "markdown").output
    assert "### calc:" in md and "| `" + source.cut[:10] + "` |" in md
    assert "| calc/core.py | changed |" in md
    csv = invoke("explain", "calc", "-c", source.cfg, "--format", "csv").output.splitlines()
    assert csv[0].startswith("repo,repo_change,path,kind,change,")
    assert any(line.startswith("calc,") and "calc/core.py" in line for line in csv[1:])


@pytest.mark.slow
def test_explain_between_named_points_and_without_the_source(
    source: Source, tmp_path: Path
) -> None:
    out = run_json("explain", "--from", "HEAD~1", "--to", "HEAD", "-c", source.cfg)
    assert out["last_drop"] is False and [r["repo"] for r in out["repos"]] == ["calc"]
    # the source repository moved away: said, not a crash
    moved = tmp_path / "repos.yaml"
    moved.write_text(
        source.cfg.read_text().replace("path: calc-src", "path: gone")
        .replace("store: metrics", f"store: {source.cfg.parent / 'metrics'}")
    )  # fmt: skip
    out = run_json("explain", "calc", "-c", moved)
    (repo,) = out["repos"]
    assert repo["source"]["commits"] == [] and "not on this machine" in repo["source"]["note"]
    assert repo["files"][0]["uncovered"] == "6,10-11"


@pytest.mark.slow
def test_explain_errors(source: Source, tmp_path: Path) -> None:
    unknown = invoke("explain", "nope", "-c", source.cfg)
    assert unknown.exit_code == 1 and "no repository 'nope'" in unknown.output
    # a repository whose coverage never fell
    no_drop = invoke("explain", "calc", "--to", "HEAD~1", "-c", source.cfg)
    assert no_drop.exit_code == 1 and "no collection before" in no_drop.output
    # one collection only
    (tmp_path / "one").mkdir()
    cfg = tmp_path / "one" / "repos.yaml"
    cfg.write_text(source.cfg.read_text().replace("path: calc-src", f"path: {source.repo}"))
    collect(cfg)
    one = invoke("explain", "-c", cfg)
    assert one.exit_code == 1 and "only one collection" in one.output
    err = run_json("explain", "-c", cfg, code=1)
    assert err["error"]["code"] == "store"
    # two collections of the same figures: no drop
    collect(cfg)
    flat = invoke("explain", "calc", "-c", cfg)
    assert flat.exit_code == 1 and "calc's coverage did not fall between two" in flat.output


@pytest.mark.slow
def test_check_explains_a_drop_in_two_lines(source: Source) -> None:
    out = run_json("check", "--max-drop", "5", "-c", source.cfg, code=3)
    (breach,) = out["breaches"]
    assert breach["rule"] == "max_drop"
    first, second = breach["explained"]
    assert first == (
        f"source {source.start[:10]}..{source.cut[:10]}: 2 commits, 1 touched the files that "
        f'moved; newest {source.cut[:10]} "tests: drop the sub and mul tests" by Cy Cutter'
    )
    assert second == "lost coverage: calc/core.py lines 6,10-11 (-42.86 points)"
    text = invoke("check", "--max-drop", "5", "-c", source.cfg).output
    assert "    " + second in text.splitlines()
    # a floor is no drop: nothing to explain there
    floor = run_json("check", "--min-coverage", "90", "-c", source.cfg, code=3)
    assert [b["explained"] for b in floor["breaches"]] == [[]]


@pytest.fixture
def posts() -> Iterator[tuple[list[Any], int]]:
    """A real HTTP server on 127.0.0.1 that keeps the JSON posted to it."""
    got: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield got, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_watch_alert_explains_the_drop(tmp_path: Path, posts: tuple[list[Any], int]) -> None:
    got, port = posts
    extra = (
        "rules:\n  max_drop: 5\n"
        f"notify:\n  webhooks:\n    - name: ops\n      url: http://127.0.0.1:{port}/hook\n"
    )
    src = Source(tmp_path, extra, collect_after=False)
    result = invoke("watch", "--once", "-c", src.cfg)
    assert result.exit_code == 3, result.output
    (post,) = got
    (new,) = post["new"]
    assert new["rule"] == "max_drop" and len(new["explained"]) == 2
    assert "tests: drop the sub and mul tests" in new["explained"][0]
    lines = post["text"].splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("  - calc: max_drop:"))
    assert lines[i + 1] == "    " + new["explained"][0]
    assert lines[i + 2] == "    lost coverage: calc/core.py lines 6,10-11 (-42.86 points)"


def coverage_json(covered: list[int], missed: list[int]) -> str:
    """A coverage.py JSON report of one file with these lines executed and missed."""
    n = len(covered) + len(missed)
    pct = 100.0 * len(covered) / n
    summary = {"covered_lines": len(covered), "num_statements": n, "percent_covered": pct,
               "missing_lines": len(missed), "excluded_lines": 0}  # fmt: skip
    body = {"executed_lines": covered, "missing_lines": missed, "excluded_lines": [],
            "summary": summary}  # fmt: skip
    return json.dumps(
        {
            "meta": {
                "version": "7.6.1",
                "timestamp": "2026-11-01T10:00:00",
                "branch_coverage": False,
                "show_contexts": False,
                "format": 2,
            },
            "files": {"calc/core.py": body},
            "totals": summary,
        }
    )


@pytest.mark.slow
def test_flaky_finds_a_line_that_flipped_at_one_source_commit(tmp_path: Path) -> None:
    repo = tmp_path / "calc-src"
    repo.mkdir()
    git("init", "-q", "--initial-branch=main", repo)
    (repo / ".gitignore").write_text("coverage.json\n")
    one = commit(repo, {".gitignore": "coverage.json\n", "calc/core.py": CALC}, "one", "Ann")
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        "store: metrics\nrepos:\n  - name: calc\n    path: calc-src\n    coverage: coverage.json\n"
    )
    report = repo / "coverage.json"
    # the same source commit measured three times: line 6 covered, missed, covered again
    for covered, missed in (([1, 2, 5, 6], [9]), ([1, 2, 5], [6, 9]), ([1, 2, 5, 6], [9])):
        report.write_text(coverage_json(covered, missed))
        collect(cfg)
    # a new commit with line 9 covered: a change of code, not a flip
    two = commit(repo, {"calc/core.py": CALC + "\n"}, "two", "Bob")
    report.write_text(coverage_json([1, 2, 5, 6, 9], []))
    collect(cfg)
    # a commit that touched no measured file, and line 6 missed again: a flip only --untouched sees
    three = commit(repo, {"README.md": "# calc\n"}, "three", "Cy")
    report.write_text(coverage_json([1, 2, 5, 9], [6]))
    collect(cfg)
    oracle = git("-C", tmp_path / "metrics", "log", "--format=%H", "-5").split()
    out = run_json("flaky", "calc", "-c", cfg)
    assert out["collections"] == 5 and out["compared"] == 2 and out["untouched"] is False
    (flip,) = out["flips"]
    assert flip["repo"] == "calc" and flip["path"] == "calc/core.py"
    assert flip["lines"] == "6" and flip["flips"] == 2
    assert flip["source_commits"] == [one]
    assert flip["collections"] == oracle[2:4]  # the two collections that flipped it
    # --untouched: two..three touched no measured file (git log says so too); one..two did
    assert git("log", "--format=%H", f"{two}..{three}", "--", "calc", cwd=repo) == ""
    wide = run_json("flaky", "calc", "--untouched", "-c", cfg)
    assert wide["compared"] == 3 and wide["untouched"] is True
    (flip,) = wide["flips"]
    assert flip["lines"] == "6" and flip["flips"] == 3
    assert flip["source_commits"] == [one, two, three]
    assert flip["collections"] == [oracle[0], oracle[2], oracle[3]]
    # a window too short to hold a pair of the same commit: nothing
    assert run_json("flaky", "-n", "2", "-c", cfg)["flips"] == []
    assert run_json("flaky", "-n", "2", "--untouched", "-c", cfg)["flips"][0]["flips"] == 1
    assert run_json("flaky", "--since", "1h", "-c", cfg)["collections"] == 5
    text = invoke("flaky", "-c", cfg).output
    assert "calc/core.py" in text and one[:10] in text
    unknown = invoke("flaky", "nope", "-c", cfg)
    assert unknown.exit_code == 1 and "no repository 'nope'" in unknown.output


@pytest.mark.slow
def test_explain_says_a_side_measured_uncommitted_changes(tmp_path: Path) -> None:
    src = Source(tmp_path, collect_after=False)
    (src.repo / "README.md").write_text("# calc\n\nedited, not committed\n")
    collect(src.cfg)
    (repo,) = run_json("explain", "calc", "-c", src.cfg)["repos"]
    assert repo["source"]["dirty"] is True
    assert [c["commit"] for c in repo["source"]["commits"]] == [src.cut]
    text = invoke("check", "--max-drop", "5", "-c", src.cfg, env={"COLUMNS": "300"}).output
    assert (
        "the files that moved (a side measured uncommitted changes: they are in no commit" in text
    )


@pytest.mark.slow
def test_the_whole_picture_shows_the_repositories_that_moved(tmp_path: Path) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        "store: metrics\nrepos:\n"
        "  - name: a\n    path: a\n    coverage: coverage.json\n"
        "  - name: b\n    path: b\n    coverage: coverage.json\n"
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    # a falls at the second collection, b rises at the third; neither has a source repository
    steps = [(([1, 2, 5, 6], [9]), ([1, 2], [5, 6, 9])),
             (([1, 2], [5, 6, 9]), ([1, 2], [5, 6, 9])),
             (([1, 2], [5, 6, 9]), ([1, 2, 5, 6, 9], []))]  # fmt: skip
    for (ac, am), (bc, bm) in steps:
        (tmp_path / "a" / "coverage.json").write_text(coverage_json(ac, am))
        (tmp_path / "b" / "coverage.json").write_text(coverage_json(bc, bm))
        collect(cfg)
    drop = run_json("explain", "-c", cfg)
    assert drop["last_drop"] is True and [r["repo"] for r in drop["repos"]] == ["a"]
    (a,) = drop["repos"]
    assert (a["before"]["line_coverage"], a["after"]["line_coverage"]) == (80.0, 40.0)
    assert a["files"][0]["uncovered"] == "5-6"
    assert a["source"]["commits"] == [] and a["source"]["note"]  # no git repository there
    rise = run_json("explain", "--from", "HEAD~1", "-c", cfg)
    assert [r["repo"] for r in rise["repos"]] == ["b"] and rise["repos"][0]["change"] == 60.0
    assert rise["repos"][0]["files"][0]["covered"] == "5-6,9"
    never = invoke("explain", "b", "-c", cfg)
    assert never.exit_code == 1 and "b's coverage did not fall" in never.output
