"""gitmetrics patch: the diff, the matching of report paths, bad input, the config mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gitmetrics import patch as patchmod
from gitmetrics.cli import app
from gitmetrics.formats import FileCoverage
from gitmetrics.patch import DiffError, parse_diff

GIT_DIFF = b"""\
diff --git a/calc/core.py b/calc/core.py
index 1111111..2222222 100644
--- a/calc/core.py
+++ b/calc/core.py
@@ -2 +2,2 @@ def add(a, b):
-    return a + b
+    total = a + b
+    return total
@@ -10,0 +12,3 @@ def old():
+def new():
+    return 2
+
diff --git a/old name.py b/new name.py
similarity index 90%
rename from old name.py
rename to new name.py
index 3333333..4444444 100644
--- a/old name.py
+++ b/new name.py
@@ -5 +5 @@
-    return 1
+    return 2
diff --git a/moved.py b/moved2.py
similarity index 100%
rename from moved.py
rename to moved2.py
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 5555555..0000000
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
diff --git a/logo.png b/logo.png
index 6666666..7777777 100644
Binary files a/logo.png and b/logo.png differ
diff --git "a/caf\\303\\251.py" "b/caf\\303\\251.py"
new file mode 100644
--- /dev/null
+++ "b/caf\\303\\251.py"
@@ -0,0 +1,2 @@
+a = 1
+b = 2
\\ No newline at end of file
"""


def test_a_git_diff() -> None:
    files = parse_diff(GIT_DIFF, "x.diff")
    assert files["calc/core.py"].lines == (2, 3, 12, 13, 14)
    assert files["calc/core.py"].status == "modified"
    renamed = files["new name.py"]
    assert (renamed.status, renamed.old_path, renamed.lines) == ("renamed", "old name.py", (5,))
    assert files["moved2.py"].lines == ()
    assert files["gone.py"].status == "deleted"
    assert files["logo.png"].status == "binary"
    assert files["café.py"].status == "added"
    assert files["café.py"].lines == (1, 2)


def test_a_plain_unified_diff() -> None:
    diff = b"""\
--- a.py\t2026-01-01
+++ a.py\t2026-01-02
@@ -1,3 +1,4 @@
 x = 1
-y = 2
+y = 3
+z = 4
 w = 5
--- b.py
+++ b.py
@@ -1 +1 @@
--- an old line that starts with dashes
+++ a new line that starts with pluses
"""
    files = parse_diff(diff, "d")
    assert files["a.py"].lines == (2, 3)
    assert files["b.py"].lines == (1,)


def test_no_newline_marker_shifts_nothing() -> None:
    diff = b"""\
diff --git a/f.py b/f.py
--- a/f.py
+++ b/f.py
@@ -2 +2,2 @@
-b
\\ No newline at end of file
+b
+c
"""
    assert parse_diff(diff, "d")["f.py"].lines == (2, 3)


@pytest.mark.parametrize(
    ("diff", "message"),
    [
        (b"@@ -1 +1 @@\n+x\n", "d: line 1: a hunk before any file header"),
        (b"diff --git a/f b/f\n@@ nonsense @@\n", "d: line 2: not a hunk header"),
        (b"diff --git a/f b/f\n@@ -1,2 +1,2 @@\n+x\n", "d: line 3: the diff ends inside a hunk"),
        (b"diff --git a/f b/f\n@@ -1 +1 @@\n+x\nfoo\n", "d: line 4: the hunk ends early"),
        (b"diff --git a/f b/f\n@@ -1 +1 @@\n+x\n+y\n", "d: line 4: more lines than the hunk"),
        (b"diff --git a/f b/f\n@@ -1 +1," + b"9" * 40 + b" @@\n", "beyond 2**53"),
        (b"diff --cc f\n@@@ -1 -1 +1 @@@\n", "a combined diff"),
    ],
)
def test_a_hostile_diff_is_refused_with_its_place(diff: bytes, message: str) -> None:
    with pytest.raises(DiffError) as info:
        parse_diff(diff, "d")
    assert message in info.value.message


def test_report_paths_absolute_relative_and_under_a_root(tmp_path: Path) -> None:
    files = [
        FileCoverage(str(tmp_path / "pkg" / "a.py"), 1, 1, lines={1: 1}),
        FileCoverage("b.py", 1, 1, lines={1: 1}),
        FileCoverage("/elsewhere/c.py", 1, 1, lines={1: 1}),
    ]
    found = patchmod.index(files, tmp_path, ["src"], ["/build/root"])
    assert "pkg/a.py" in found
    assert {"b.py", "src/b.py"} <= set(found)
    assert not any("c.py" in k for k in found)
    # a report made in another checkout: its root given as a source root
    assert "c.py" in patchmod.index(files, tmp_path, ["/elsewhere/"])


def test_ranges() -> None:
    assert patchmod.ranges([9, 3, 4, 5, 11]) == ((3, 5), (9, 9), (11, 11))
    assert patchmod.ranges_text(((3, 5), (9, 9))) == "3-5, 9"


# --- the command -----------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["patch", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.slow
def test_no_config_mode(changed_repo: Path) -> None:
    code, out = invoke("--path", str(changed_repo), "--report", str(changed_repo / "coverage.xml"))
    assert code == 0, out
    assert "calc/core.py" in out
    assert "Patch coverage" in out
    assert "README.md: not in the report" in out
    assert "calc/gone.py: deleted" in out
    assert "logo.bin: binary" in out


@pytest.mark.slow
def test_fail_under_exits_like_a_failed_check(changed_repo: Path) -> None:
    from gitmetrics.errors import ExitCode

    report = str(changed_repo / "coverage.xml")
    code, out = invoke("--path", str(changed_repo), "--report", report, "-f", "json")
    figure = json.loads(out)["percent"]
    code, out = invoke("--path", str(changed_repo), "--report", report, "--fail-under", "100")
    assert code == ExitCode.GATE == 3
    assert "below 100.0%" in out
    code, out = invoke(
        "--path", str(changed_repo), "--report", report, "--fail-under", str(figure - 1)
    )
    assert code == 0


@pytest.mark.slow
def test_config_mode(changed_repo: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "repos.yaml"
    cfg.write_text(
        f"store: {tmp_path / 'metrics'}\n"
        f"repos:\n  - name: proj\n    path: {changed_repo}\n    coverage: coverage.xml\n"
        f"  - name: other\n    path: {tmp_path}\n"
    )
    code, out = invoke("-c", str(cfg), "-f", "json")
    assert code == 1
    assert "2 repositories: which one?" in out
    code, out = invoke("-c", str(cfg), "--repo", "proj", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["repo"] == "proj"
    assert data["coverable"] > 0
    assert data["base"].startswith("origin/main (")


def test_path_needs_a_report(tmp_path: Path) -> None:
    code, out = invoke("--path", str(tmp_path))
    assert code == 1
    assert "--path goes with --report" in out


def test_a_summary_only_report_is_refused(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
    report = next((fixtures / "gcovr-summary").rglob("*.json"))
    diff = tmp_path / "d.diff"
    diff.write_bytes(b"")
    code, out = invoke("--path", str(tmp_path), "--report", str(report), "--diff-file", str(diff))
    assert code == 1
    assert "gcovr-summary cannot give patch coverage" in out
    assert "Traceback" not in out


def test_a_bad_diff_file_is_named(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
    report = next((fixtures / "lcov").rglob("*.info"))
    diff = tmp_path / "d.diff"
    diff.write_bytes(b"diff --git a/f b/f\n@@ -1 +1,3 @@\n+x\n")
    code, out = invoke("--path", str(tmp_path), "--report", str(report), "--diff-file", str(diff))
    assert code == 1
    assert f"{diff}: line 3: the diff ends inside a hunk" in out
    code, out = invoke(
        "--path", str(tmp_path), "--report", str(report), "--diff-file", str(tmp_path / "no")
    )
    assert code == 1
    assert "does not exist" in out


def test_no_base_to_compare_with(tmp_path: Path) -> None:
    from tests.conftest import git

    git("init", "-q", tmp_path)
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
    report = next((fixtures / "lcov").rglob("*.info"))
    code, out = invoke("--path", str(tmp_path), "--report", str(report))
    assert code == 1
    assert "no default branch of a remote to compare with" in out
    code, out = invoke("--path", str(tmp_path), "--report", str(report), "--base", "nope")
    assert code == 1
    assert "--base nope: no such branch or commit" in out
