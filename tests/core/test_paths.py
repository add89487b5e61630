"""Path globs (gitmetrics/paths.py): the one matcher behind `files --path` and `components:`."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitmetrics.paths import compile_glob, matches_any

CASES = [
    ("src/**", "src/a.py", True),
    ("src/**", "src/a/b/c.py", True),
    ("src/**", "srcx/a.py", False),
    ("src/**", "lib/src/a.py", False),
    ("src/", "src/a/b.py", True),
    ("**/test_*.py", "test_a.py", True),
    ("**/test_*.py", "t/u/test_a.py", True),
    ("**/test_*.py", "t/u/atest_a.py", False),
    ("*.py", "a/b/c.py", True),
    ("*.py", "c.py", True),
    ("*.py", "c.pyc", False),
    ("src/*.py", "src/a.py", True),
    ("src/*.py", "src/a/b.py", False),
    ("/src/*.py", "src/a.py", True),
    ("./src/*.py", "src/a.py", True),
    ("src/**/api/*.go", "src/api/x.go", True),
    ("src/**/api/*.go", "src/a/b/api/x.go", True),
    ("src/**/api/*.go", "src/a/b/apix/x.go", False),
    ("a?c.py", "abc.py", True),
    ("a?c.py", "a/c.py", False),
    ("[ab].py", "a.py", True),
    ("[!ab].py", "c.py", True),
    ("[!ab].py", "a.py", False),
    ("src/a+b(1).py", "src/a+b(1).py", True),
    ("pkg/mod.py", "pkg/mod.py", True),
    ("pkg/mod.py", "x/pkg/mod.py", False),
]


@pytest.mark.parametrize(("glob", "path", "expected"), CASES)
def test_glob_semantics(glob: str, path: str, expected: bool) -> None:
    assert compile_glob(glob).matches(path) is expected


@pytest.mark.parametrize("bad", ["", "  ", "a//b", "../x", "a/./b", "[abc", "a\\b", "[]x"])
def test_bad_globs_are_refused_with_the_glob_named(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        compile_glob(bad)
    if bad.strip():
        assert repr(bad) in str(err.value)


def test_matches_any() -> None:
    globs = [compile_glob("docs/**"), compile_glob("*.md")]
    assert matches_any("docs/x/y.txt", globs)
    assert matches_any("a/README.md", globs)
    assert not matches_any("src/a.py", globs)
    assert not matches_any("a.py", [])


segment = st.text(alphabet="abc.-_", min_size=1, max_size=5).filter(lambda s: s not in (".", ".."))


@given(st.lists(segment, min_size=1, max_size=4), st.lists(segment, min_size=1, max_size=4))
def test_star_stays_in_one_segment_like_fnmatch_on_the_last_name(
    dirs: list[str], name: list[str]
) -> None:
    path = "/".join(dirs + name)
    last = path.rsplit("/", 1)[-1]
    # a glob without '/' is fnmatch on the last segment; '**/' in front changes nothing
    for glob in ("*.a", "a*", "*b*", "?c*"):
        expected = fnmatch.fnmatchcase(last, glob)
        assert compile_glob(glob).matches(path) is expected
        assert compile_glob("**/" + glob).matches(path) is expected
