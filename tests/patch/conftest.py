"""A real source repository with a real change: a Python and a C project, measured by
coverage.py and gcovr after the change, so that patch coverage is compared with
diff-cover's on reports made by the tools themselves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

BASE_PY = """\
def add(a, b):
    return a + b


def unused(x):
    # never called
    return x * 2


def old_name():
    return 1
"""

CHANGED_PY = """\
def add(a, b):
    total = a + b
    return total


def unused(x):
    # never called
    y = x * 2
    return y


def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0
"""

MOVED_BASE = """\
def greet(name):
    return "hello " + name


def shout(name):
    return greet(name).upper()
"""

MOVED_CHANGED = """\
def greet(name):
    return "hello " + name


def shout(name):
    text = greet(name)
    return text.upper() + "!"
"""

TEST_PY = """\
from calc.core import add, sign
from calc.names import greet


def test_it():
    assert add(1, 2) == 3
    assert sign(5) == 1
    assert greet("x") == "hello x"
"""

BASE_C = """\
int add(int a, int b) { return a + b; }

int sign(int x)
{
    if (x > 0)
        return 1;
    return 0;
}
"""

CHANGED_C = """\
int add(int a, int b) { return a + b; }

int sign(int x)
{
    if (x > 0)
        return 1;
    if (x < 0)
        return -1;
    return 0;
}

int twice(int x)
{
    int y = x * 2;
    return y;
}
"""

MAIN_C = """\
int add(int a, int b);
int sign(int x);

int main(void)
{
    return add(1, 2) == 3 && sign(3) == 1 ? 0 : 1;
}
"""


def run(*argv: str | Path, cwd: Path) -> None:
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="session")
def changed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose branch `work` adds, changes, renames and deletes files since `main`
    (with `origin/main` as its remote's default branch), measured after the change."""
    root = tmp_path_factory.mktemp("source") / "proj"
    root.mkdir()
    git("init", "-q", "-b", "main", root)
    (root / "calc").mkdir()
    (root / "calc" / "__init__.py").write_text("")
    (root / "calc" / "core.py").write_text(BASE_PY)
    (root / "calc" / "greeting.py").write_text(MOVED_BASE)
    (root / "calc" / "gone.py").write_text("x = 1\n")
    (root / "csrc").mkdir()
    (root / "csrc" / "calc.c").write_text(BASE_C)
    (root / "csrc" / "main.c").write_text(MAIN_C)
    (root / "README.md").write_text("# proj\n")
    (root / "logo.bin").write_bytes(b"\x00\x01\x02")
    git("add", ".", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    # a bare remote, so that the default base is its default branch
    remote = root.parent / "remote.git"
    git("clone", "-q", "--bare", root, remote)
    git("remote", "add", "origin", remote, cwd=root)
    git("fetch", "-q", "origin", cwd=root)
    git("remote", "set-head", "origin", "main", cwd=root)
    git("checkout", "-q", "-b", "work", cwd=root)
    (root / "calc" / "core.py").write_text(CHANGED_PY)
    git("mv", "calc/greeting.py", "calc/names.py", cwd=root)
    (root / "calc" / "names.py").write_text(MOVED_CHANGED)
    git("rm", "-q", "calc/gone.py", cwd=root)
    (root / "calc" / "extra.py").write_text("def extra():\n    return 42\n")
    (root / "csrc" / "calc.c").write_text(CHANGED_C)
    (root / "README.md").write_text("# proj\n\nNow with signs.\n")
    (root / "logo.bin").write_bytes(b"\x00\x01\x02\x03")
    (root / "test_calc.py").write_text(TEST_PY)
    (root / ".gitignore").write_text("*.gcda\n*.gcno\n*.o\n/a.out\n*.xml\n*.info\n.coverage\n")
    git("add", ".", cwd=root)
    git("commit", "-qm", "work", cwd=root)
    # the reports, by the real tools
    py = sys.executable
    run(
        py,
        "-m",
        "coverage",
        "run",
        "--branch",
        "--source=calc",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "test_calc.py",
        cwd=root,
    )
    run(py, "-m", "coverage", "xml", "-q", "-o", "coverage.xml", cwd=root)
    if shutil.which("gcc") and shutil.which("gcov"):
        run("gcc", "--coverage", "-O0", "-o", "a.out", "csrc/calc.c", "csrc/main.c", cwd=root)
        run(root / "a.out", cwd=root)
        gcovr = Path(sys.executable).with_name("gcovr")
        for flag, name in (
            ("--cobertura", "gcovr-cobertura.xml"),
            ("--lcov", "gcovr.info"),
            ("--clover", "gcovr-clover.xml"),
            ("--jacoco", "gcovr-jacoco.xml"),
        ):
            run(gcovr, "-r", ".", "--filter", "csrc/", flag, name, cwd=root)
    return root
