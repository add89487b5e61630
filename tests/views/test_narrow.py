"""Tables at 60 and 40 columns: names wrap whole (two never look alike), numbers never cut;
and --help shows plain types (no ``<bool>``, ``<list[str]>``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gitmetrics import snapshot as snapmod
from gitmetrics.cli import app
from gitmetrics.render.terminal import Grid
from gitmetrics.snapshot import RepoResult
from gitmetrics.store import init

#: two names alike but for their ends, a long role; figures as wide as they get
NAMES = [
    ("payments-service-api-gateway-eu-west", "service"),
    ("payments-service-api-gateway-us-east", "service"),
    ("frontend-web-dashboard", "frontend-applications"),
]
WIDTHS = (60, 40)
COMMANDS = [["status"], ["diff"], ["trends"], ["report", "-f", "table"],
            ["check", "--min-coverage", "99"]]  # fmt: skip


def result(name: str, role: str, covered: int) -> RepoResult:
    return RepoResult(
        name=name, role=role, coverage=snapmod.pct(covered, 1000), files_tested=1234,
        lines_covered=covered, lines_valid=1000, branch_coverage=snapmod.pct(covered // 2, 1000),
        branches_covered=covered // 2, branches_valid=1000, format="cobertura",
        report="coverage.xml",
    )  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("narrow") / "metrics"
    st = init(path)
    for day, top in ((1, 999), (2, 1000)):
        results = [result(n, r, top - 71 * k) for k, (n, r) in enumerate(NAMES)]
        snap = snapmod.build(results, host="ci-1", timestamp=f"2026-11-0{day}T10:00:00Z")
        st.commit_snapshot(snap, retention=5)
    st.close()
    yield path


def shown(args: list[str], store: Path, width: int) -> str:
    res = CliRunner().invoke(
        app, [*args, "--store", str(store)], env={"COLUMNS": str(width)}, catch_exceptions=False
    )
    assert res.exit_code in (0, 3), res.output
    return res.stdout


def names_as_shown(text: str) -> list[str]:
    """The first column's cells, each the join of its wrapped lines.

    A row's figures are on its first line; the lines below it hold only wrapped words.
    """
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Reposit"))
    end = next((i for i in range(head, len(lines)) if not lines[i].strip()), len(lines))
    body = lines[head + 1 : end]
    # a wrapped name fills its column: the longest first word is the column's width
    width = max(len(line.split()[0]) for line in body if line and not line[0].isspace())
    names: list[str] = []
    for line in body:
        if not line.strip():
            break
        cell = line[:width].strip()
        if re.search(r"\d", line[width:]):
            names.append(cell)
        elif names:
            names[-1] += cell
    return names


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_names_wrap_whole_and_numbers_are_never_cut(
    store: Path, width: int, args: list[str]
) -> None:
    text = shown(args, store, width)
    assert all(len(line) <= width for line in text.splitlines()), text
    assert "…" not in text, text  # nothing truncated
    shown_names = names_as_shown(text)
    assert len(shown_names) == len(set(shown_names)), text  # never two alike
    expected = {n for n, _ in NAMES} - ({NAMES[0][0]} if args[0] == "check" else set())
    assert expected <= set(shown_names), (shown_names, text)  # each name whole
    # every figure whole: a percentage is digits, a point and a digit, then %
    for cell in re.findall(r"\d+\.\d*%?", text):
        assert re.fullmatch(r"\d+\.\d+%?", cell), (cell, text)
    if args[0] in ("status", "diff", "trends", "report"):
        assert "100.0%" in text and "92.9%" in text


def test_a_grid_leaves_out_optional_columns_first() -> None:
    grid = Grid(optional=("Role",))
    grid.add_column("Repository")
    grid.add_column("Role")
    grid.add_column("Coverage", justify="right")
    grid.add_row("a-very-long-repository-name", "a-long-role", "100.0%")
    assert grid.widths(80) == [27, 11, 8]
    assert grid.widths(30) == [10, 8, 8]  # names and roles wrap, down to their headings
    assert grid.widths(26) == [16, None, 8]  # then the role goes, before a heading wraps
    assert grid.widths(12)[1:] == [None, 7]  # a heading wraps; the figure is never cut
    assert grid.widths(11) == [3, None, 6]


def test_help_shows_plain_types() -> None:
    group = typer.main.get_command(app)
    commands = [[], *([name] for name in group.commands)]  # type: ignore[attr-defined]
    for args in commands:
        res = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        found = re.findall(r"<[a-z][^>]*>", res.output)
        assert not found, (args, found)
    text = CliRunner().invoke(app, ["collect", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--jobs\s+-j\s+INTEGER", text) and re.search(
        r"--repo\s+-r\s+TEXT\.\.\.", text
    )
    assert re.search(r"--fail-below\s+NUMBER", text) and re.search(r"--config\s+-c\s+FILE", text)
    assert re.search(r"--dry-run\s+Build", text)  # a flag shows no type at all


@pytest.mark.parametrize("width", (200, 80, *WIDTHS))
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_rows_drawn_here_equal_rich_tables(
    store: Path, width: int, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no cell wraps, a grid draws its rows itself: the same bytes as rich's Table."""
    ours = shown(args, store, width)
    monkeypatch.setattr(Grid, "rich_rows", True)
    assert ours == shown(args, store, width)


@pytest.mark.parametrize("width", (200, 60))
def test_coloured_rows_drawn_here_equal_rich_tables(
    store: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    from gitmetrics import api
    from gitmetrics.render import terminal

    view = api.status(store=store)

    def drawn() -> str:
        console = Console(
            file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor"
        )
        terminal.status(console, view)
        out = console.file.getvalue()  # type: ignore[attr-defined]
        assert isinstance(out, str)
        return out

    ours = drawn()
    assert "\x1b[" in ours
    monkeypatch.setattr(Grid, "rich_rows", True)
    assert ours == drawn()


@pytest.mark.parametrize("colour", (True, False), ids=("colour", "plain"))
def test_a_grid_draws_wide_characters_and_styles_as_rich_does(
    monkeypatch: pytest.MonkeyPatch, colour: bool
) -> None:
    import io

    from rich.console import Console

    grid = Grid()
    grid.add_column("Repository")
    grid.add_column("Coverage", justify="right")
    grid.add_column("Status")
    grid.add_row("名前-サービス", "[green]91.0%[/]", "[green]good[/] [yellow](carried)[/]")
    grid.add_row("b", "[red]1.0%[/]", "", end_section=True)
    grid.add_row("c\\[x]", "50.0%", "[dim]error[/]")
    grid.add_row("d:smile:", "2.0%", "a:b [bold]c[/]")

    def drawn() -> str:
        console = Console(
            file=io.StringIO(),
            width=100,
            force_terminal=colour,
            color_system="truecolor" if colour else None,
        )
        console.print(grid)
        out = console.file.getvalue()  # type: ignore[attr-defined]
        assert isinstance(out, str)
        return out

    ours = drawn()
    monkeypatch.setattr(Grid, "rich_rows", True)
    assert ours == drawn()


@given(
    st.sampled_from(["", "[red]", "[bold red]", "[#ff0000]", "[dim]", "[link=x]", "\\[red]"]),
    st.text(alphabet="ab █▉:[]\\/", max_size=8) | st.sampled_from([":smile:", "a :+1: b"]),
    st.sampled_from(["", "[/]", "[/red]"]),
)
def test_a_cells_text_is_what_rich_shows(opening: str, text: str, closing: str) -> None:
    from rich.errors import MarkupError
    from rich.text import Text

    markup = opening + text + closing
    try:
        expected = Text.from_markup(markup)
    except MarkupError:
        return  # not markup any view writes
    grid = Grid()
    assert grid._plain(markup) == expected.plain
    assert grid._length(markup) == expected.cell_len
