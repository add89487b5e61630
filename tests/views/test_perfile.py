"""Per-file comparison and roll-ups (gitmetrics.perfile)."""

from __future__ import annotations

from gitmetrics import perfile
from gitmetrics.paths import compile_glob
from gitmetrics.snapshot import FileDetail


def fd(path: str, covered: tuple[int, ...], missed: tuple[int, ...]) -> FileDetail:
    return FileDetail(path, len(covered), len(covered) + len(missed), None, None, covered, missed)


def test_compare_names_added_removed_changed_and_same_files() -> None:
    a = [fd("a.py", (1, 2, 3), (4,)), fd("gone.py", (1,), (2,)), fd("same.py", (1,), ())]
    b = [fd("a.py", (1, 4), (2, 3, 5)), fd("new.py", (1,), (2, 3)), fd("same.py", (1,), ())]
    rows = {r.path: r for r in perfile.compare(a, b)}
    assert [r.path for r in perfile.compare(a, b)] == ["a.py", "gone.py", "new.py", "same.py"]
    ch = rows["a.py"]
    assert ch.kind == perfile.CHANGED
    assert (ch.uncovered, ch.covered, ch.new_missed) == ("2-3", "4", "5")
    assert ch.change == -35.0  # 75% -> 40%
    assert rows["gone.py"].kind == perfile.REMOVED and rows["gone.py"].uncovered == "1"
    assert rows["new.py"].kind == perfile.ADDED and rows["new.py"].new_missed == "2-3"
    assert rows["same.py"].kind == perfile.SAME and not rows["same.py"].moved


def test_a_file_without_line_maps_is_compared_on_counts() -> None:
    a = [FileDetail("x.go", 5, 10, None, None, None, None)]
    b = [FileDetail("x.go", 6, 10, None, None, None, None)]
    (row,) = perfile.compare(a, b)
    assert row.kind == perfile.CHANGED and row.uncovered is None and row.change == 10.0


def test_directories_roll_up_counts_and_branches() -> None:
    files = [
        FileDetail("src/a/x.py", 1, 2, 1, 2, None, None),
        FileDetail("src/a/y.py", 2, 2, None, None, None, None),
        FileDetail("src/b.py", 0, 3, 0, 4, None, None),
        FileDetail("top.py", 1, 1, None, None, None, None),
    ]
    dirs = perfile.directories(files)
    assert list(dirs) == [".", "src", "src/a"]
    assert dirs["src/a"] == perfile.Figures(3, 4, 1, 2, 2)
    one = perfile.directories(files, depth=1)
    assert one["src"] == perfile.Figures(3, 7, 1, 6, 3)
    assert one["src"].coverage == 42.86 and one["src"].branch_coverage == 16.67


def test_select_by_glob_and_rounding_never_reaches_100() -> None:
    files = [fd("src/api/a.py", (1,), ()), fd("tests/t.py", (1,), ())]
    assert [f.path for f in perfile.select(files, [compile_glob("src/api/**")])] == ["src/api/a.py"]
    assert perfile.Figures(99999, 100000, None, None).coverage == 99.99
