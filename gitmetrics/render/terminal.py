"""Every view as the terminal shows it: rich tables and lines, printed on a given console.

Each function takes the console to print on and the data an :mod:`gitmetrics.api`
function returned; nothing here reads a store or a config.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitmetrics import percent
from gitmetrics.render import fmt
from gitmetrics.render.escape import terminal, visible

if TYPE_CHECKING:
    from rich.console import Console

    from gitmetrics.explain import Explained, Flaky
    from gitmetrics.filesview import FilesView
    from gitmetrics.historyview import HistoryRow
    from gitmetrics.perfile import Figures, FileChange
    from gitmetrics.rules import Breach, CheckResult
    from gitmetrics.snapshot import Snapshot
    from gitmetrics.store.gate import Audit
    from gitmetrics.store.pack import GcResult
    from gitmetrics.store.sync import SyncResult
    from gitmetrics.views import (
        DiffRow,
        DiffView,
        RepoFiles,
        ReportRow,
        ReportView,
        StatusRow,
        StatusView,
        Totals,
        TrendRow,
        TrendsView,
    )


def Table(*args: Any, **kwargs: Any) -> Any:
    """rich's Table, imported on first use: `gitmetrics --help` never needs it."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


def _plain_table(*columns: tuple[str, str], optional: Sequence[str] = ()) -> Grid:
    """A borderless table with these (heading, justify) columns that fits the terminal."""
    grid = Grid(optional=optional)
    for name, justify in columns:
        grid.add_column(name, justify=justify)
    return grid


class Grid:
    """A borderless table that fits any width without losing what matters.

    Right-aligned columns hold figures: they are always as wide as their widest cell, so a
    number is never cut (``100.…``). Left-aligned columns hold names and words: narrowed,
    they wrap (every character kept, so two names never look the same). Too narrow for
    all of them, the ``optional`` columns are left out, in that order. Only its widths are
    decided here; rich draws it.
    """

    #: draw every row with rich's Table even when no cell wraps (the reference the rows
    #: drawn here must equal, byte for byte: tests set it)
    rich_rows = False

    def __init__(self, *, optional: Sequence[str] = ()) -> None:
        self.columns: list[tuple[str, str]] = []
        self.rows: list[tuple[list[str], bool]] = []
        self.optional = tuple(optional)
        self._texts: dict[str, Any] = {}  # markup -> rich Text, each parsed once
        self._cell_lengths: dict[str, int] = {}
        self._plains: dict[str, str] = {}
        self._widths: dict[int, list[int | None]] = {}

    def add_column(self, heading: str = "", *, justify: str = "left") -> None:
        """A column: ``justify="right"`` for figures."""
        self.columns.append((heading, justify))
        self._widths.clear()

    def add_row(self, *cells: str, end_section: bool = False) -> None:
        """One row of rich markup cells."""
        self.rows.append((list(cells), end_section))
        self._widths.clear()

    def _text(self, markup: str) -> Any:
        found = self._texts.get(markup)
        if found is None:
            from rich.text import Text

            found = self._texts[markup] = (
                Text(markup) if _unmarked(markup) else Text.from_markup(markup)
            )
        return found

    def _plain(self, markup: str) -> str:
        """The characters a markup cell shows (each cell read once)."""
        found = self._plains.get(markup)
        if found is None:
            if _unmarked(markup):
                found = markup
            else:
                simple = _ONE_STYLE.fullmatch(markup)
                found = simple.group(1) if simple else str(self._text(markup).plain)
            self._plains[markup] = found
        return found

    def _length(self, markup: str) -> int:
        """The cells a markup string takes on a terminal (each measured once)."""
        self._measure((markup,))
        return self._cell_lengths[markup]

    def _lengths(self) -> list[int]:
        """Each column's widest cell (each distinct cell measured once)."""
        columns = self._columns(self.rows)
        if not columns:
            return [0] * len(self.columns)
        length = self._cell_lengths.__getitem__
        return [max(map(length, set(column))) for column in columns]

    def _columns(self, rows: Sequence[tuple[Sequence[str], bool]]) -> list[tuple[str, ...]]:
        """The cells of ``rows`` column by column, each distinct one measured."""
        columns = list(zip(*[cells for cells, _ in rows], strict=True))
        self._measure(set().union(*columns))
        return columns

    def _measure(self, cells: Iterable[str]) -> None:
        """The plain text and the width of each of ``cells`` not measured yet, in one pass."""
        lengths = self._cell_lengths
        for cell in set(cells).difference(lengths):
            plain = self._plain(cell)
            if plain.isascii() and plain.isprintable():
                lengths[cell] = len(plain)  # one cell a character, as rich counts them
            else:
                from rich.cells import cell_len

                lengths[cell] = cell_len(plain)

    def widths(self, width: int, lengths: Sequence[int] | None = None) -> list[int | None]:
        """Each column's width at ``width`` (``None``: left out); ``lengths``: each
        column's widest cell, when the caller has them already."""
        cells = list(self._lengths() if lengths is None else lengths)
        heads = [len(h) for h, _ in self.columns]
        figure = [j == "right" for _, j in self.columns]
        want = [max(c, h) for c, h in zip(cells, heads, strict=True)]
        kept = list(range(len(self.columns)))

        def need(i: int, plain: bool) -> int:
            """The least width: a figure's widest cell (and its heading, unless ``plain``),
            a word column's heading (or 3 when ``plain``), never more than it holds."""
            if figure[i]:
                return cells[i] if plain else want[i]
            return min(want[i], 3 if plain else max(8, heads[i]))

        def room(plain: bool) -> int:
            return width - 2 * (len(kept) - 1) - sum(need(i, plain) for i in kept)

        # leave out optional columns before a heading has to wrap, then wrap headings
        drop = [i for h in self.optional for i, (name, _) in enumerate(self.columns) if name == h]
        while room(False) < 0 and drop:
            kept.remove(drop.pop(0))
        plain = room(False) < 0
        least = {i: max(1, need(i, plain)) for i in kept}
        extra = room(plain)
        widths = dict(least)
        for i in [*(i for i in kept if figure[i]), *(i for i in kept if not figure[i])]:
            grow = max(0, min(extra, want[i] - widths[i])) if figure[i] else 0
            widths[i] += grow
            extra -= grow
        while extra > 0:  # the rest to the words, a column at a time
            short = [i for i in kept if not figure[i] and widths[i] < want[i]]
            if not short:
                break
            for i in short:
                if extra > 0:
                    widths[i] += 1
                    extra -= 1
        return [widths.get(i) for i in range(len(self.columns))]

    def print_on(self, console: Console) -> None:
        """Print it on ``console``. When its columns fit the console (they do, but on the
        narrowest terminals) rich is told not to cut its lines to the width again: that
        pass costs a call per segment, the most of printing a table of 100 rows."""
        widths = [w for w in self._widths_at(console.width) if w is not None]
        console.print(self, crop=sum(widths) + 2 * (len(widths) - 1) > console.width)

    def _widths_at(self, width: int) -> list[int | None]:
        """:meth:`widths` of the rows as they are, worked out once per width."""
        found = self._widths.get(width)
        if found is None:
            found = self._widths[width] = self.widths(width, self._lengths())
        return found

    def __rich_console__(self, console: Console, options: Any) -> Any:
        lengths = self._lengths()
        widths = self._widths_at(options.max_width)
        kept = [i for i, w in enumerate(widths) if w is not None]
        wraps = self.rich_rows or any(lengths[i] > (widths[i] or 0) for i in kept)
        from rich.segment import Segment

        if not wraps and console.color_system is None and not console.record:
            headings = [heading for heading, _ in self.columns]
            if all(self._length(headings[i]) <= (widths[i] or 0) for i in kept):
                # no style is written and nothing wraps: each line is one string
                yield from self._plain_lines([(headings, False), *self.rows], kept, widths)
                return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for i in kept:
            heading, justify = self.columns[i]
            table.add_column(heading, justify=justify, width=widths[i], overflow="fold")
        if wraps:  # a cell wraps: rich lays the rows out
            for cells, end in self.rows:
                table.add_row(*(cells[i] for i in kept), end_section=end)
            yield table
            return
        yield table  # the headings; the rows as rich pads them (a row of a table of 100
        # took rich about 1 ms), each distinct cell drawn once, unstyled runs merged
        right = [self.columns[i][1] == "right" for i in kept]
        drawn: dict[str, list[Any]] = {}
        for cells, _ in self.rows:
            line: list[Any] = []
            plain = ""  # unstyled text not yet given a segment: gaps, pads, plain cells
            for n, i in enumerate(kept):
                cell = cells[i]
                segments = drawn.get(cell)
                if segments is None:
                    segments = drawn[cell] = list(self._text(cell).render(console))
                pad = " " * ((widths[i] or 0) - self._length(cell))
                if n:
                    plain += "  "
                if right[n]:
                    plain += pad
                for segment in segments:
                    if segment.style is None and not segment.control:
                        plain += segment.text
                        continue
                    if plain:
                        line.append(Segment(plain))
                        plain = ""
                    line.append(segment)
                if not right[n]:
                    plain += pad
            if plain:
                line.append(Segment(plain))
            line.append(Segment.line())
            yield from line

    def _plain_lines(
        self, rows: Sequence[tuple[Sequence[str], bool]], kept: list[int], widths: list[int | None]
    ) -> Iterator[Any]:
        """Rows as rich pads them, one string a line (for a console that writes no style)."""
        from rich.segment import Segment

        columns = self._columns(rows)
        plains, lengths = self._plains, self._cell_lengths
        parts = []
        for i in kept:
            width, column = widths[i] or 0, columns[i]
            if self.columns[i][1] == "right":
                padded = {c: " " * (width - lengths[c]) + plains[c] for c in set(column)}
            else:
                padded = {c: plains[c] + " " * (width - lengths[c]) for c in set(column)}
            parts.append(map(padded.__getitem__, column))
        line_end = Segment.line()
        for line in map("  ".join, zip(*parts, strict=True)):
            yield Segment(line)
            yield line_end


#: a cell of one style around text with no markup and no emoji code (``[red]12.5%[/]``):
#: its text is what is between the tags
_ONE_STYLE = re.compile(r"\[[a-z][a-z0-9 #]*\]([^\[\]\\:]*)\[/\]")


def _unmarked(markup: str) -> bool:
    """True when a cell holds no rich markup and no emoji code: its text is itself."""
    return "[" not in markup and ":" not in markup


# --- collect -----------------------------------------------------------------------------


def collect(console: Console, done: Any) -> None:
    """``collect`` (an ``api.Collected``): the repositories measured, the failures, the
    summary, the state, what was committed."""
    snap: Snapshot = done.snapshot
    result: Mapping[str, Any] = done.result
    state: Snapshot | None = done.state
    table = _plain_table(
        ("Repository", "left"), ("Role", "left"), ("Coverage", "right"), ("Branches", "right"),
        ("Files", "right"), ("Report", "left"), optional=("Report", "Role", "Files"),
    )  # fmt: skip
    for r in snap.repositories:
        if r.ok:
            table.add_row(
                terminal(r.name),
                terminal(r.role),
                fmt.pct(percent.of(r)),
                percent.counted_text(r.branches_covered, r.branches_valid, r.branch_coverage),
                fmt.count(r.files_tested),
                terminal(f"{r.report} ({r.format})")
                + (" [yellow]stale: older than HEAD[/]" if r.stale_report else ""),
            )
        else:
            table.add_row(
                terminal(r.name), terminal(r.role), "[red]error[/]", "", "", "[red]see below[/]"
            )
    table.print_on(console)
    failures = [r for r in snap.repositories if not r.ok]
    if failures:
        console.print("\n[bold red]Errors:[/]")
        for r in failures:
            # one unwrapped line each, so paths and log names can be copied
            console.print(
                f"  [bold]{terminal(r.name)}[/]: {terminal(r.error or '')}", soft_wrap=True
            )
    warned = [(r.name, w) for r in snap.repositories for w in r.warnings]
    if warned:
        console.print("\n[bold yellow]Warnings:[/]")
        for name, warning in warned:
            console.print(f"  [bold]{terminal(name)}[/]: {terminal(warning)}", soft_wrap=True)
    s = snap.summary
    failed = f", [red]{s.repos_failed} failed[/]" if s.repos_failed else ""
    console.print(
        f"\n{s.repos_ok} of {s.repos_count} repos measured{failed}: "
        f"avg [bold]{fmt.pct(s.avg_coverage)}[/], lines-weighted {fmt.pct(s.weighted_coverage)}, "
        f"{s.total_files_tested} files"
    )
    if state is not None and state.summary.repos_carried:
        t = state.summary
        stale = f", [yellow]{t.repos_stale} stale[/]" if t.repos_stale else ""
        console.print(
            f"State: {t.repos_count} repos ({t.repos_carried} carried{stale}): "
            f"avg [bold]{fmt.pct(t.avg_coverage)}[/], lines-weighted {fmt.pct(t.weighted_coverage)}"
        )
    gone = result.get("removed")
    if gone:
        console.print(
            f"Removed from the state (no longer in repos.yaml): {terminal(', '.join(gone))}"
        )
    if result.get("commit"):
        console.print(f"Committed {result['commit'][:10]}: {terminal(result['snapshot_path'])}")
        if result.get("merge"):
            console.print(
                f"Dated {terminal(snap.timestamp)}, before the newest collection: placed in "
                f"history by merge {result['merge'][:10]}; latest.json keeps the newest"
            )
        if result.get("pruned"):
            console.print(
                f"Retention pruned {len(result['pruned'])} old snapshot file(s) from the tree"
            )
    elif result.get("dry_run") and s.repos_ok:
        console.print("Dry run: snapshot is valid; nothing was committed.")
    issues = result.get("issues")
    if issues:
        acts = issues["actions"]
        verb = "written" if issues["written"] else "not written (dry run)"
        if not acts:
            console.print(f"Coordination issues: no change ({terminal(issues['file'])})")
        else:
            console.print(f"Coordination issues {verb}: {terminal(issues['file'])}")
        for a in acts:
            console.print(
                f"  {a['action']:<8} {terminal(a['id'])}  {terminal(a['repo'])} "
                f"{fmt.pct(a['coverage'])} (target {a['target']:g}%)"
            )


def below(console: Console, floor: float, lines: tuple[str, ...]) -> None:
    """What ``--fail-below`` failed on."""
    for line in lines:
        console.print(f"[red]below {floor:g}%:[/] {terminal(line)}")


# --- history -------------------------------------------------------------------------------


#: the history table's columns: heading, width, right-aligned (known before any row is read)
_HISTORY_STORE = (("Timestamp", 16, False), ("Avg Coverage", 12, True), ("Repos", 15, True),
                  ("Measured", 8, True), ("Files", 7, True), ("Trend", 8, True))  # fmt: skip
_HISTORY_REPO = (("Timestamp", 16, False), ("Coverage", 8, True), ("Branches", 8, True),
                 ("Files", 7, True), ("Status", 6, False), ("Trend", 8, True))  # fmt: skip


def _padded(
    cells: Sequence[tuple[str, str]], columns: Sequence[tuple[str, int, bool]]
) -> list[tuple[str, str]]:
    """(text, markup) cells padded to the columns' widths."""
    out = []
    for (plain, markup), (_, width, right) in zip(cells, columns, strict=True):
        pad = " " * max(0, width - len(plain))
        out.append((pad + plain, pad + markup) if right else (plain + pad, markup + pad))
    return out


def _fixed(cells: Sequence[tuple[str, str]], columns: Sequence[tuple[str, int, bool]]) -> str:
    """One line of (text, markup) cells padded to the columns' widths, two spaces apart."""
    return "  ".join(markup for _, markup in _padded(cells, columns)).rstrip()


def _lines(console: Console) -> Callable[[Sequence[tuple[str, str]]], str]:
    """Cells of (text, markup) to a line as ``console.print(markup, soft_wrap=True)`` shows
    it, each distinct markup rendered by rich once: a table of 10,000 rows has a handful of
    distinct coloured cells, and rich's markup parser per row was most of its time."""
    cache: dict[str, str] = {}

    def shown(plain: str, markup: str) -> str:
        if plain == markup:
            return plain
        got = cache.get(markup)
        if got is None:
            with console.capture() as captured:
                console.print(markup, end="", soft_wrap=True)
            got = cache[markup] = captured.get()
        return got

    def line(cells: Sequence[tuple[str, str]]) -> str:
        return "  ".join(shown(*cell) for cell in cells)

    return line


def history(
    console: Console,
    rows: Iterable[HistoryRow],
    *,
    repo: str | None,
    role: str | None,
    component: str | None = None,
) -> None:
    """Collections newest first, printed as they come (a row is never held back for widths)."""
    rows = iter(rows)
    first = next(rows, None)  # an error (an unknown repository, say) comes before any output
    if component is not None:
        console.print(f"History of component {terminal(component)}")
        repo = component  # a component's rows are shaped as a repository's
    elif repo is not None or role is not None:
        what = f"repository {repo}" if repo is not None else f"role {role}"
        console.print(f"History of {terminal(what)}")
    columns = _HISTORY_REPO if repo is not None else _HISTORY_STORE
    console.print(_fixed([(c, f"[bold]{c}[/]") for c, _, _ in columns], columns), soft_wrap=True)
    if first is None:
        return
    line = _lines(console)
    out = console.file
    for r in itertools.chain([first], rows):
        out.write(line(_padded(_row_cells(r, repo), columns)).rstrip() + "\n")
    out.flush()


def _row_cells(r: HistoryRow, repo: str | None) -> list[tuple[str, str]]:
    """One history row's cells, each as (text, markup)."""
    cells = [(fmt.short_time(r.timestamp),) * 2, (fmt.pct(r.avg_coverage),) * 2]
    if repo is not None:
        state = r.status or ""
        shown = f"[red]{state}[/]" if state == "error" else f"[dim]{state}[/]"
        cells += [(fmt.pct(r.branch_coverage),) * 2, (fmt.count(r.files),) * 2, (state, shown)]
    else:
        failed = f" ({r.failed} failed)" if r.failed else ""
        repos = f"{r.repos}{failed}"
        cells += [(repos, f"{r.repos}[red]{failed}[/]" if failed else repos)]
        measured = str(r.repos if r.measured is None else r.measured)
        cells += [(measured,) * 2, (str(r.files),) * 2]
    cells.append((fmt.trend_text(r.change), fmt.trend_markup(r.change)))
    return cells


# --- status, diff, trends ----------------------------------------------------------------


def totals_line(t: Totals) -> str:
    """``12 repos: 8 good, ... Average 81.2%, lines-weighted 79.9%. By role: ...``."""
    counts = ", ".join(f"{n} {fmt.status_markup(k)}" for k, n in t.counts.items() if n)
    roles = ", ".join(f"{terminal(r.role)} {fmt.pct(r.avg_coverage)}" for r in t.roles)
    return (
        f"{t.repos} repos: {counts}. Average [bold]{fmt.pct(t.avg_coverage)}[/], "
        f"lines-weighted {fmt.pct(t.weighted_coverage)}" + (f". By role: {roles}" if roles else "")
    )


def age_mark(r: StatusRow | ReportRow | DiffRow | TrendRow | Breach) -> str:
    """`` (carried)``, `` (carried, stale)`` in yellow, or nothing for a fresh repository."""
    note = fmt.age_note(r.carried, r.stale)
    return f" [yellow]({note})[/]" if note else ""


def status(console: Console, view: StatusView) -> None:
    """The newest snapshot, worst first."""
    table = _plain_table(
        ("Repository", "left"),
        ("Role", "left"),
        ("Coverage", "right"),
        ("", "left"),
        ("Branches", "right"),
        ("Files", "right"),
        ("Change", "right"),
        ("Age", "right"),
        ("Status", "left"),
        optional=("", "Files", "Role", "Branches", "Age"),
    )
    for r in view.rows:
        style = fmt.STATUS_STYLE.get(r.status, "")
        table.add_row(
            terminal(r.name),
            terminal(r.role),
            percent.counted_text(r.lines_covered, r.lines_valid, r.coverage),
            f"[{style}]{fmt.bar(r.coverage)}[/]",
            fmt.pct(r.branch_coverage),
            fmt.count(r.files),
            fmt.trend_markup(r.change),
            fmt.age(r.age),
            fmt.status_markup(r.status)
            + age_mark(r)
            + (f" [dim]{terminal(r.error)}[/]" if r.error else "")
            + (" [yellow]stale report[/]" if r.stale_report else ""),
        )
    console.print(
        f"Snapshot {fmt.short_time(view.timestamp)} UTC from {terminal(view.host)}"
        + (
            f", change since {fmt.short_time(view.previous_timestamp)}"
            if view.previous_timestamp
            else " (the first collection)"
        )
        + f"; good at {view.min_coverage:g}% or more\n"
    )
    table.print_on(console)
    console.print("\n" + totals_line(view.totals))


def diff(console: Console, view: DiffView) -> None:
    """Both ends, then one row per repository, then the averages and the counts."""
    console.print(
        f"{fmt.short_time(view.a.timestamp)} ({terminal(view.a.spec)}, {view.a.commit[:10]}) → "
        f"{fmt.short_time(view.b.timestamp)} ({terminal(view.b.spec)}, {view.b.commit[:10]})\n"
    )
    table = _plain_table(optional=("Role", "Age"))
    table.add_column("Repository")
    table.add_column("Role")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("Age", justify="right")
    table.add_column("")
    for r in view.rows:
        kind = {
            "added": "[cyan]added[/]",
            "removed": "[magenta]removed[/]",
            "failed": "[red]failed[/]",
        }.get(r.kind, "")
        table.add_row(
            terminal(r.name),
            terminal(r.role),
            "error" if r.status_before == "error" else fmt.pct(r.before),
            "error" if r.status_after == "error" else fmt.pct(r.after),
            fmt.trend_markup(r.change),
            fmt.age(r.age),
            (kind + age_mark(r)).strip(),
        )
    table.print_on(console)
    c = view.counts
    console.print(
        f"\nAverage {fmt.pct(view.a.avg_coverage)} → [bold]{fmt.pct(view.b.avg_coverage)}[/] "
        f"({fmt.trend_markup(view.avg_change)}); lines-weighted "
        f"{fmt.pct(view.a.weighted_coverage)} → {fmt.pct(view.b.weighted_coverage)}. "
        f"{c['changed']} changed, {c['failed']} failed, {c['same']} unchanged, {c['added']} added, "
        f"{c['removed']} removed"
    )
    if view.files is None:
        return
    still = [m.repo for m in view.files if not m.changes and not m.note]
    for moved in view.files:
        if moved.changes or moved.note:
            diff_files(console, moved)
    if still:
        console.print(f"\nNo file moved in {', '.join(terminal(n) for n in still)}")


#: the most line ranges a terminal row shows (``--format json`` has them all)
MAX_RANGES = 40


def _ranges(text: str | None) -> str:
    if not text:
        return ""
    return text if len(text) <= MAX_RANGES else text[: text.rfind(",", 0, MAX_RANGES)] + ",…"


def _counts(f: Figures | None) -> str:
    return "" if f is None else f"{f.lines_covered}/{f.lines_valid}"


def diff_files(console: Console, moved: RepoFiles) -> None:
    """One repository's files that moved: both sides, and the lines that changed state."""
    n = fmt.plural(len(moved.changes), "file")
    console.print(f"\n[bold]{terminal(moved.repo)}[/]: {n} moved")
    if moved.note:
        console.print(f"  {terminal(moved.note)}")
    if moved.changes:
        file_changes(console, moved.changes)


def file_changes(console: Console, changes: Sequence[FileChange]) -> None:
    """Files between two measurements: both sides, and the lines that changed state."""
    table = _plain_table(optional=("Lines", "Covered"))
    table.add_column("File")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("Lines", justify="right")
    table.add_column("Now uncovered")
    table.add_column("Covered")
    for ch in changes:
        kind = {"added": " [cyan]added[/]", "removed": " [magenta]removed[/]"}.get(ch.kind, "")
        table.add_row(
            terminal(ch.path) + kind,
            "" if ch.before is None else fmt.pct(ch.before.exact, 2),
            "" if ch.after is None else fmt.pct(ch.after.exact, 2),
            fmt.trend_markup(ch.change),
            _counts(ch.after or ch.before),
            "[red]" + _ranges(ch.uncovered) + "[/]" if ch.uncovered else "",
            "[green]" + _ranges(ch.covered) + "[/]" if ch.covered else "",
        )
    table.print_on(console)


def files(console: Console, view: FilesView) -> None:
    """A repository's files (or directories): figures, change, missed lines; the total."""
    against = view.against
    console.print(
        f"[bold]{terminal(view.repo)}[/] at {fmt.short_time(view.at.timestamp)} "
        f"({terminal(view.at.spec)}, {view.at.collection[:10]}"
        + (f", source {view.at.source_commit[:10]}" if view.at.source_commit else "")
        + ")"
        + (
            f", against {fmt.short_time(against.timestamp)} ({terminal(against.spec)}, "
            f"{against.collection[:10]})"
            if against is not None
            else ", no earlier measurement that differs"
        )
        + "\n"
    )
    unit = "Directory" if view.unit == "directory" else "File"
    per_file = view.unit == "file"
    table = _plain_table(optional=("Branches", "Missing", "Lines"))
    table.add_column(unit)
    table.add_column("Lines", justify="right")
    table.add_column("Coverage", justify="right")
    table.add_column("Branches", justify="right")
    table.add_column("Change", justify="right")
    if per_file:
        table.add_column("Missing")
    for r in view.rows:
        f = r.figures
        kind = " [cyan]new[/]" if r.kind == "added" else ""
        cells = [
            terminal(r.path) + kind,
            _counts(f),
            fmt.pct(f.exact, 2),
            "" if f.branches_valid is None else f"{f.branches_covered}/{f.branches_valid}",
            fmt.trend_markup(r.change),
        ]
        table.add_row(*cells, *([_ranges(r.missing)] if per_file else []))
    table.print_on(console)
    t = view.total
    shown = fmt.plural(t.files, "file")
    if view.unit == "directory":
        shown = f"{fmt.plural(len(view.rows), 'directory', 'directories')}, {shown}"
    line = f"\n{shown}: {t.lines_covered}/{t.lines_valid} lines, [bold]{fmt.pct(t.exact, 2)}[/]"
    if view.total_before is not None:
        line += f" ({fmt.trend_markup(view.change)})"
    if view.removed:
        names = ", ".join(terminal(p) for p in view.removed[:10])
        more = "…" if len(view.removed) > 10 else ""
        line += f"; {fmt.plural(len(view.removed), 'file')} removed: {names}{more}"
    console.print(line)


def explain(console: Console, view: Explained) -> None:
    """Why coverage moved: per repository, its source range, the commits that touched the
    files that moved, and those files with the lines that lost coverage."""
    from gitmetrics.explain import source_line

    a, b = view.a, view.b
    what = "The last drop" if view.last_drop else "From"
    console.print(
        f"{what}: {fmt.short_time(a.timestamp)} ({terminal(a.spec)}, {a.collection[:10]}) -> "
        f"{fmt.short_time(b.timestamp)} ({terminal(b.spec)}, {b.collection[:10]}); average "
        f"{fmt.pct(a.avg_coverage)} -> {fmt.pct(b.avg_coverage)} "
        f"({fmt.trend_markup(view.avg_change)})"
    )
    if not view.repos:
        console.print("\nNo repository's coverage moved.")
    for r in view.repos:
        console.print(
            f"\n[bold]{terminal(r.repo)}[/]: {fmt.pct(r.before, 2)} -> {fmt.pct(r.after, 2)} "
            f"({fmt.trend_markup(r.change)})"
        )
        console.print(f"  source {terminal(source_line(r))}")
        for c in r.commits:
            console.print(
                f"    {c.commit[:10]} {fmt.short_time(c.date)} {terminal(c.author)}: "
                f"{terminal(c.subject)} [dim]({terminal(', '.join(c.files))})[/]"
            )
        if r.files_note:
            console.print(f"  {terminal(r.files_note)}")
        if r.files:
            file_changes(console, r.files)
        else:
            console.print("  no file's figures or lines moved")


def flaky(console: Console, view: Flaky) -> None:
    """Files whose lines flipped between measurements of the same source commit."""
    who = f" of {terminal(view.repo)}" if view.repo else ""
    console.print(
        f"{fmt.plural(view.collections, 'collection')}{who} read, "
        f"{fmt.plural(view.compared, 'pair')} of measurements of "
        + ("unchanged code" if view.untouched else "the same source commit")
        + " compared"
    )
    if not view.flips:
        console.print("[green]No line changed its covered state without a change of code.[/]")
        return
    table = _plain_table(
        ("Repository", "left"),
        ("File", "left"),
        ("Lines", "left"),
        ("Times", "right"),
        ("Source commits", "left"),
        optional=("Source commits",),
    )
    for f in view.flips:
        table.add_row(
            terminal(f.repo),
            terminal(f.path),
            "[yellow]" + _ranges(f.lines) + "[/]",
            str(f.flips),
            ", ".join(c[:10] for c in f.source_commits),
        )
    table.print_on(console)
    console.print(f"\n{fmt.plural(len(view.flips), 'file')} with lines that flipped.")


def trends(console: Console, view: TrendsView, *, plot: bool = False) -> None:
    """Sparkline, change, slope (and forecast) per repository, the average last."""
    console.print(
        f"{view.collections} collections from {fmt.short_time(view.start)} to "
        f"{fmt.short_time(view.end)} (last {view.days} days)\n"
    )
    table = _plain_table(optional=("Trend", "Slope", "Age"))
    table.add_column("Repository")
    table.add_column("Trend")
    table.add_column("Now", justify="right")
    table.add_column("Change", justify="right")
    table.add_column("Slope", justify="right")
    if view.forecast_days:
        table.add_column(f"In {view.forecast_days} days", justify="right")
        table.add_column(f"Crossing {view.min_coverage:g}%")
    table.add_column("Age", justify="right")
    for i, r in enumerate([*view.rows, view.average, *view.components]):
        name = terminal(r.name) + age_mark(r)
        if r is view.average:
            name = f"[bold]{terminal(r.name)}[/]"
        elif r.role == "component":
            name = f"component [bold]{terminal(r.name)}[/]"
        cells = [
            name,
            r.sparkline,
            fmt.pct(r.current),
            fmt.trend_markup(r.change),
            fmt.slope(r.slope_per_week),
        ]
        if r.forecast is not None:
            f = r.forecast
            projected = fmt.pct(f.projected) if f.projected is not None else "-"
            note = f.crossing_text
            if f.verdict in ("flat", "noisy", "too few points"):
                note = f"{f.verdict}: {note}"
            cells += [projected, terminal(note)]
        cells.append("" if r is view.average or r.role == "component" else fmt.age(r.age))
        table.add_row(*cells, end_section=i in (len(view.rows) - 1, len(view.rows)))
    table.print_on(console)
    if plot:
        from gitmetrics.render.plot import plot as draw

        series = [("average", view.average.values), *((r.name, r.values) for r in view.rows)]
        lines, legend = draw(series)
        console.print()
        for line in lines:
            console.print(terminal(line))
        console.print("  ".join(f"{m} {terminal(n)}" for m, n in legend))


def dashboard(console: Console, done: Any) -> None:
    """Where the page was written (an ``api.Dashboard``) and how big it is."""
    console.print(
        f"Wrote [bold]{terminal(str(done.output))}[/] ({done.snapshots} snapshots, "
        f"{done.bytes / 1024:,.0f} KiB)" + (f" as of {terminal(done.at)}" if done.at else "")
    )


def report(console: Console, view: ReportView) -> None:
    """``report --format table``: one row per repository with its history."""
    console.print(
        f"Report of {fmt.short_time(view.timestamp)} UTC from {terminal(view.host)}: "
        f"{view.collections} collections, trend over the last {view.window}; good at "
        f"{view.min_coverage:g}% or more\n"
    )
    table = _plain_table(
        ("Repository", "left"), ("Role", "left"), ("Coverage", "right"), ("Previous", "right"),
        ("Change", "right"), ("Best", "right"), ("Worst", "right"), ("Trend", "left"),
        ("Slope", "right"), ("Age", "right"), ("Status", "left"),
        optional=("Trend", "Best", "Worst", "Previous", "Role", "Slope", "Age"),
    )  # fmt: skip
    for r in view.rows:
        table.add_row(
            terminal(r.name), terminal(r.role), fmt.pct(r.current), fmt.pct(r.previous),
            fmt.trend_markup(r.change), fmt.pct(r.best), fmt.pct(r.worst), r.sparkline,
            fmt.slope(r.slope_per_week), fmt.age(r.age),
            fmt.status_markup(r.status) + age_mark(r)
            + (f" [dim]{terminal(r.error)}[/]" if r.error else ""),
        )  # fmt: skip
    table.print_on(console)
    console.print("\n" + totals_line(view.totals))


# --- gates -----------------------------------------------------------------------------


def check(console: Console, result: CheckResult) -> None:
    """The check as a table in the terminal."""
    from gitmetrics.render.markdown import breach_range, breach_subject, breach_value

    where = f", metrics commit {result.snapshot[:10]}" if result.snapshot else ""
    unmeasured = f", {len(result.unmeasured)} not measured" if result.unmeasured else ""
    console.print(
        f"Checked {len(result.checked)} repositories{unmeasured} "
        f"(collection of {terminal(result.timestamp)}{where})"
    )
    if result.ok:
        console.print("[green]All rules pass.[/]")
        return
    table = _plain_table(
        ("Repository", "left"),
        ("Rule", "left"),
        ("Value", "right"),
        ("Limit", "right"),
        ("Age", "right"),
        ("Source commits", "left"),
        optional=("Source commits", "Age"),
    )
    for b in result.breaches:
        value, limit = breach_value(b)
        table.add_row(
            terminal(breach_subject(b)) + age_mark(b),
            b.rule,
            f"[red]{value}[/]",
            limit,
            fmt.age(b.age),
            breach_range(b),
        )
    table.print_on(console)
    console.print("")
    for b in result.breaches:
        console.print(
            f"[red]✗[/] {terminal(breach_subject(b, '(all repositories)'))}: {terminal(b.message)}"
        )
        for line in b.explained:
            console.print(f"    {terminal(line)}")
    n = len(result.breaches)
    console.print(f"\n[red]{n} rule{'s' if n != 1 else ''} broken.[/]")


def issues(console: Console, found: Any) -> None:
    """The coordination issues (an ``api.Issues``) as a table."""
    from gitmetrics import coordination

    shown: Sequence[Any] = found.shown
    where: str = found.where
    filtered: bool = found.filtered

    if not shown:
        console.print(f"No issues in {terminal(where)}" + (" match" if filtered else ""))
        return
    table = _plain_table(optional=("Priority", "Updated", "Target"))
    for col in ("ID", "Status", "Priority", "Repos", "Coverage", "Target", "Updated", "Title"):
        table.add_column(col, justify="right" if col in ("Coverage", "Target") else "left")
    for i in shown:
        meta = i.get("metadata") or {}
        cov = meta.get("current_coverage")
        target = meta.get("target_coverage")
        st_text = str(i.get("status", "pending"))
        color = "green" if st_text in coordination.CLOSED else "yellow"
        table.add_row(
            terminal(str(i.get("id"))),
            f"[{color}]{terminal(st_text)}[/]",
            terminal(str(i.get("priority", ""))),
            terminal(", ".join(map(str, i.get("repos") or []))),
            fmt.pct(cov) if isinstance(cov, int | float) else "-",
            fmt.pct(target, 0) if isinstance(target, int | float) else "-",
            terminal(str(i.get("updated", ""))[:16].replace("T", " ")),
            terminal(str(i.get("title", ""))),
        )
    table.print_on(console)
    console.print(f"\n{len(shown)} issue(s) in {terminal(where)}")


def watch_round(console: Console, errors: Console, done: Any) -> None:
    """One round of ``watch`` (an ``api.Round``): failures, the collection, breaches, alerts."""
    snap: Snapshot = done.collected.snapshot
    s = snap.summary
    for r in snap.repositories:
        if not r.ok:
            errors.print(f"[red]{terminal(r.name)}: {terminal(r.error or 'failed')}[/]")
    if done.collected.nothing:
        return
    failed = f", [red]{s.repos_failed} failed[/]" if s.repos_failed else ""
    console.print(
        f"collected {s.repos_ok} of {s.repos_count} repos{failed}: avg {fmt.pct(s.avg_coverage)}, "
        f"committed {done.collected.result['commit'][:10]}"
    )
    for a in (done.collected.result.get("issues") or {}).get("actions", []):
        console.print(f"  issue {a['action']} {terminal(a['id'])} ({terminal(a['repo'])})")
    result = done.check
    if result is None:
        return
    if result.ok:
        console.print("[green]all rules pass[/]")
    for b in result.breaches:
        console.print(
            f"[red]breach[/] {terminal(b.repo or '(all)')}: {b.rule}: {terminal(b.message)}"
        )
    if not done.channels:
        return
    deliveries = done.deliveries
    for d in deliveries:
        if not d.ok:
            errors.print(
                f"[red]alert not delivered[/] via {terminal(d.channel)}: {terminal(d.error or '')}"
                " (will retry next round)"
            )
        elif d.new or d.recovered:
            console.print(
                f"alert sent via {terminal(d.channel)}: {d.new} new, {d.recovered} recovered"
            )
    if all(d.ok and not d.new and not d.recovered for d in deliveries):
        console.print(f"no new alerts ({len(result.breaches)} breach(es) already reported)")


# --- sync and maintenance --------------------------------------------------------------


def sync(console: Console, result: SyncResult) -> None:
    """What moved between the store and the remote."""
    verb = {"push": "Pushed to", "pull": "Pulled from", "sync": "Synced with"}[result.action]
    console.print(f"{verb} [bold]{terminal(result.remote)}[/]")
    if result.up_to_date:
        console.print("  already up to date")
    else:
        console.print(
            f"  received {_n(result.commits_received, 'commit')} "
            f"({_n(result.snapshots_received, 'snapshot')}), "
            f"sent {_n(result.commits_sent, 'commit')} "
            f"({_n(result.snapshots_sent, 'snapshot')})"
        )
        how = "merged both histories" if result.merged else ""
        how = how or ("fast-forward" if result.fast_forward else "")
        if how:
            console.print(f"  {how}")
    if result.attempts > 1:
        console.print(f"  the remote moved meanwhile: merged and retried ({result.attempts} tries)")
    head = result.head[:10] if result.head else "(empty)"
    console.print(f"  head {head}")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def size(n: float) -> str:
    """``812 B``, ``1.5 KB``, ``3.2 MB``: decimal units."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)  # pragma: no cover - the loop always returns


def gc(console: Console, done: GcResult) -> None:
    """What packing did."""
    if not done.objects:
        console.print("Nothing to pack: the metrics repository is empty.")
        return
    console.print(
        f"Packed {done.objects:,} objects ({done.deltas:,} as deltas) into one pack; "
        f"removed {done.loose_removed:,} loose objects and {done.packs_removed} old pack(s)."
    )
    console.print(f"Objects on disk: {size(done.bytes_before)} -> {size(done.bytes_after)}")


def verify(console: Console, verified: Any) -> None:
    """One line per problem (commit and what is wrong), then a one-line summary."""
    store: str = verified.store
    found: Audit = verified.audit
    for p in found.problems:
        console.print(f"commit {p.commit[:10]}: {visible(p.message)}", markup=False, soft_wrap=True)
    counted = f"{found.commits:,} commits ({found.collections:,} collections) of {store}"
    if found.problems:
        console.print(f"{len(found.problems)} problem(s) in {counted}", markup=False)
    else:
        console.print(f"verified {counted}: no problems", markup=False)


def init(console: Console, done: Any) -> None:
    """Where the store is ready (an ``api.Initialized``), and what ``--remote`` pulled."""
    console.print(f"Metrics repository ready at [bold]{terminal(str(done.path))}[/]")
    if done.pulled is not None:
        sync(console, done.pulled)


def clone(console: Console, done: Any) -> None:
    """Where the store was cloned (an ``api.Cloned``), and what was fetched."""
    console.print(f"Cloned into [bold]{terminal(str(done.store))}[/]")
    sync(console, done.result)


def imported(console: Console, done: Any) -> None:
    """What ``import`` added (an ``api.Imported``): the span, and what was there already."""
    for note in done.skipped:
        console.print(f"[dim]skipped {terminal(note)}[/]")
    new = done.imported
    verb = "Would import" if done.dry_run else "Imported"
    span = f": {new[0].timestamp} to {new[-1].timestamp}" if new else ""
    console.print(f"{verb} {len(new)} collection(s){span}; {done.already} already in the store")
