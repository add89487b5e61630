"""Hostile roles, hosts and errors in a snapshot reach every output escaped for it.

Names are portable by construction (the config and snapshot schemas refuse anything else),
but a role, a host and an error message may hold any text: from repos.yaml, from a report
or a child process, or from a snapshot pulled from a remote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitmetrics import notify
from gitmetrics import snapshot as snapmod
from gitmetrics.config import Config
from gitmetrics.derive import make_deriver
from gitmetrics.render import escape
from gitmetrics.snapshot import RepoResult
from gitmetrics.store import Store, init
from tests.helpers import fsck, invoke, repo_result

ROLE = "svc\x1b[31m|red\r\n<b>&amp;</b> [bold]markup[/] :warning: \u202eevil\x9b2J\t`x`"
HOST = "ci\x1b]0;owned\x07|`h`\r\n</script><!--"
ERROR = "bad report\r\n| col | \x1b[2J <script>alert(1)</script> & [red]x[/]"
#: What shows that a string was escaped rather than dropped.
SHOWN_ROLE = r"svc\x1b[31m"


def _snapshots() -> list[snapmod.Snapshot]:
    first = [repo_result("api", 70, role=ROLE), repo_result("web", 90, role="web")]
    second = [
        repo_result("api", 75, role=ROLE),
        RepoResult(name="web", role="web", status="error", error=ERROR),
    ]
    return [
        snapmod.build(first, host=HOST, timestamp="2026-11-01T10:00:00Z"),
        snapmod.build(second, host=HOST, timestamp="2026-11-02T10:00:00Z"),
    ]


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Store]:
    """A store with two collections of hostile text, derived files and dashboard included."""
    path = tmp_path / "metrics"
    cfg = Config(path=tmp_path / "repos.yaml", store=path, repos=(), raw={"dashboard": True})
    st = init(path)
    st.derive = make_deriver(cfg)
    for snap in _snapshots():
        st.commit_snapshot(snap, retention=0)
    yield st
    st.close()


def _clean_for_terminal(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text and "\x9b" not in text
    assert "\u202e" not in text and "\x07" not in text


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["status", "--json"],
        ["history"],
        ["diff"],
        ["diff", "--markdown"],
        ["trends"],
        ["report"],
        ["report", "--format", "csv"],
        ["report", "--format", "json"],
        ["report", "--format", "html"],
        ["check", "--min-coverage", "99"],
        ["check", "--min-coverage", "99", "--markdown"],
    ],
)
def test_terminal_output_holds_no_control_characters(hostile: Store, args: list[str]) -> None:
    result = invoke(*[*args, "--store", str(hostile.path)])
    assert result.exit_code in (0, 3), result.output
    _clean_for_terminal(result.stdout)
    _clean_for_terminal(result.stderr)


def test_terminal_shows_what_was_escaped(hostile: Store) -> None:
    out = invoke(*["status", "--store", str(hostile.path)]).stdout
    assert r"ci\x1b]0;owned\x07|`h`\r\n</script><!--" in out  # the host, made visible
    assert SHOWN_ROLE in out
    assert "[bold]markup[/]" in out and ":warning:" in out  # markup and emoji codes stay text
    data = json.loads(invoke(*["status", "--json", "--store", str(hostile.path)]).stdout)
    assert {r["role"] for r in data["rows"]} == {ROLE, "web"}  # --json keeps the exact data


def test_collect_shows_a_hostile_role_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "lcov.info").write_text("SF:a.py\nDA:1,1\nDA:2,0\nend_of_record\n")
    (tmp_path / "repos.yaml").write_text(
        "repos:\n  - name: api\n    path: api\n    coverage: lcov.info\n"
        f"    role: {json.dumps(ROLE)}\n  - name: gone\n    path: nowhere\n"
    )
    result = invoke(*["collect", "-c", str(tmp_path / "repos.yaml")])
    assert result.exit_code == 0, result.output
    _clean_for_terminal(result.stdout)
    assert SHOWN_ROLE in result.stdout


def _table_rows(markdown: str) -> list[list[str]]:
    """Every table of a markdown text, as rows of cells (``\\|`` stays inside a cell)."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line
            rows.append(re.split(r"(?<!\\)\|", line[1:-1]))
    return rows


def _tables(markdown: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    previous_was_row = False
    for line in markdown.splitlines():
        is_row = line.startswith("|")
        if is_row and not previous_was_row:
            tables.append([])
        if is_row:
            tables[-1].extend(_table_rows(line))
        previous_was_row = is_row
    return tables


def test_metrics_readme_tables_keep_their_columns(hostile: Store) -> None:
    text = (hostile.path / "README.md").read_text()
    assert "\r" not in text and "\x1b" not in text and "<b>" not in text and "<script" not in text
    tables = _tables(text)
    assert len(tables) == 2  # the state table and the badges table
    for table in tables:
        widths = {len(row) for row in table}
        assert widths == {len(table[0])}, table
    state = tables[0]
    assert [c.strip() for c in state[0]][:2] == ["Repository", "Role"]
    api = next(row for row in state if row[0].strip() == "api")
    assert api[1].strip().startswith(r"svc\\x1b\[31m\|red\\r\\n\<b\>\&amp;\</b\>")
    # every line of the file is one line of the README: the host's newline is shown, not kept
    assert r"\r\n" in next(line for line in text.splitlines() if "Newest collection" in line)


def test_markdown_reports_keep_their_columns(hostile: Store) -> None:
    for args in (["report"], ["diff", "--markdown"]):
        out = invoke(*[*args, "--store", str(hostile.path)]).stdout
        for table in _tables(out):
            assert {len(row) for row in table} == {len(table[0])}, out


def test_badges_and_report_html_are_well_formed(hostile: Store) -> None:
    badges = sorted((hostile.path / "badges").glob("*.svg"))
    assert [b.name for b in badges] == ["api.svg", "average.svg", "web.svg"]
    for badge in badges:
        SafeET.fromstring(badge.read_bytes())  # valid XML, no entities
    page = invoke(*["report", "-f", "html", "--store", str(hostile.path)]).stdout
    body = page.split("<body>", 1)[1]
    assert "<b>" not in body and "<script" not in body and "\x1b" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_dashboard_data_cannot_close_its_script(hostile: Store) -> None:
    page = (hostile.path / "dashboard" / "index.html").read_text()
    # the template's two blocks, and nothing in the data that ends or comments out one
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<!--" not in page and "\u2028" not in page and "\u202e" not in page
    data = re.search(r'<script type="application/json" id="gm-data">(.*?)</script>', page, re.S)
    assert data is not None and json.loads(data.group(1))["last"]["host"] == HOST


def test_alerts_and_issue_bodies_show_control_characters() -> None:
    from gitmetrics import coordination
    from gitmetrics.rules import Breach, CheckResult

    breach = Breach(repo="api", rule="min_coverage", value=10.0, limit=80.0, message=ERROR)
    result = CheckResult(
        timestamp="2026-11-02T10:00:00Z",
        snapshot="0" * 40,
        breaches=(breach,),
        checked=("api",),
        unmeasured=(),
    )
    news = notify.plan(result, {}, ["webhook:x"])[0]
    body = notify.text(news, result)
    assert "\x1b" not in body and "\r" not in body and r"\x1b[2J" in body
    assert body.count("\n") == len(body.splitlines())  # no line but those gitmetrics writes
    slack = notify.payload(
        notify.WebhookChannel("x", "http://127.0.0.1/", format="slack"), news, result
    )
    assert "<script>" not in slack["text"] and "&lt;script&gt;" in slack["text"]

    snap = _snapshots()[0]
    issues, _ = coordination.reconcile([], snap, lambda r: 80.0)
    (issue,) = issues
    assert "\x1b" not in issue["description"] and SHOWN_ROLE in issue["description"]
    assert issue["metadata"]["role"] == ROLE  # the data stays exact


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1bb", r"a\x1bb"),
        ("a\nb\rc\td", r"a\nb\rc\td"),
        ("\x00\x7f\x9b", r"\x00\x7f\x9b"),
        ("l\u202er \u2028 \u2066", r"l\u202er \u2028 \u2066"),
        ("café → ✓ 🟢", "café → ✓ 🟢"),
    ],
)
def test_visible_shows_every_control_character(raw: str, shown: str) -> None:
    assert escape.visible(raw) == shown


def test_each_output_kind_has_its_escape() -> None:
    assert escape.terminal("[bold]x\x1b") == r"\[bold]x\x1b"
    assert escape.markdown("a|b\n<i>&") == r"a\|b\\n\<i\>\&"
    assert escape.markdown_code("x`y|z") == r"``x`y\|z``"
    assert escape.markdown_code("`x") == "`` `x ``"
    assert escape.html('<a href="x">&\x1b') == "&lt;a href=&quot;x&quot;&gt;&amp;\\x1b"
    assert escape.slack("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
    text = json.dumps({"k": "</script>\u2028\x9b"}, ensure_ascii=False)
    for for_html in (False, True):
        safe = escape.json_text(text, for_html=for_html)
        assert json.loads(safe) == json.loads(text)
        assert "\u2028" not in safe and "\x9b" not in safe
    assert "</script>" not in escape.json_text(text, for_html=True)


def test_longest_name_collects_and_checks_out(tmp_path: Path) -> None:
    from gitmetrics import config as configmod

    name = "n" * configmod.NAME_MAX
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lcov.info").write_text("SF:a.py\nDA:1,1\nend_of_record\n")
    (tmp_path / "repos.yaml").write_text(
        f"repos:\n  - {{name: {name}, path: src, coverage: lcov.info}}\n"
    )
    for _ in range(2):
        result = invoke(*["collect", "-c", str(tmp_path / "repos.yaml")])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "metrics" / "badges" / f"{name}.svg").is_file()
    fsck(tmp_path / "metrics")


def test_a_store_written_by_0_1_0_reads_with_the_stricter_names(tmp_path: Path) -> None:
    import tarfile

    fixture = Path("/work/shared/fixtures/store-v1.tar.gz")
    if not fixture.exists():
        pytest.skip(f"{fixture} is not on this machine")
    with tarfile.open(fixture) as tar:
        tar.extractall(tmp_path, filter="data")
    st = init(tmp_path / "store")
    try:
        snaps = list(st.snapshots())
    finally:
        st.close()
    assert len(snaps) == 6
    assert {r.name for _, s in snaps for r in s.repositories} == {"alpha", "beta", "gamma"}
    for snap in (s for _, s in snaps):
        snapmod.validate(snapmod.to_dict(replace(snap)))


@pytest.mark.parametrize("name", ["a\0b", "a\nb", "api\n", "../x", "a\\b", " a", "x" * 201, "\x9b"])
def test_a_snapshot_with_an_unsafe_name_is_refused(name: str) -> None:
    from gitmetrics.errors import SnapshotError

    data = snapmod.to_dict(_snapshots()[0])
    data["repositories"][0]["name"] = name
    with pytest.raises(SnapshotError, match=r"repositories\[0\]\.name"):
        snapmod.from_json(json.dumps(data), "pulled.json")


@pytest.mark.parametrize("name", ["my repo", "Dienst für Zahlungen", ".git", "x" * 101, "nul"])
def test_a_name_0_1_0_allowed_is_read_and_shown_but_never_a_file(tmp_path: Path, name: str) -> None:
    st = init(tmp_path / "metrics")
    st.derive = make_deriver(Config(path=tmp_path / "repos.yaml", store=st.path, repos=()))
    st.commit_snapshot(
        snapmod.build(
            [repo_result(name, 10), repo_result("api", 50)],
            host="old",
            timestamp="2026-11-01T10:00:00Z",
        ),
        retention=0,
    )
    st.close()
    badges = sorted(p.name for p in (tmp_path / "metrics" / "badges").iterdir())
    assert badges == ["api.svg", "average.svg"]
    fsck(tmp_path / "metrics")
    result = invoke("status", "--store", str(tmp_path / "metrics"))
    assert result.exit_code == 0, result.output
    assert name[:20] in result.stdout


def test_a_stored_repo_named_average_leaves_the_average_badge_alone(tmp_path: Path) -> None:
    st = init(tmp_path / "metrics")
    st.derive = make_deriver(Config(path=tmp_path / "repos.yaml", store=st.path, repos=()))
    st.commit_snapshot(
        snapmod.build([repo_result("average", 10)], host="old", timestamp="2026-11-01T10:00:00Z"),
        retention=0,
    )
    st.close()
    badge = (tmp_path / "metrics" / "badges" / "average.svg").read_text()
    assert "average coverage" in badge


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain café/naïve.py", "plain café/naïve.py"),
        ("a\x1b[2Jb", r"a\x1b[2Jb"),
        ("\u202eevil", r"\u202eevil"),
        ("line\nbreak\ttab", r"line\nbreak\ttab"),
        ("csi\x9b", r"csi\x9b"),
        ("nb\xa0sp", r"nb\xa0sp"),
        ("zero\u200bwidth", r"zero\u200bwidth"),
    ],
)
def test_one_visible_text_for_every_message(raw: str, shown: str) -> None:
    """The trust gate, the commit reader and every renderer show odd text the same way."""
    from gitmetrics.store import gate, reader

    assert escape.visible(raw) == shown
    assert gate._shown(raw.encode()) == shown
    assert reader.shown(raw) == shown
    assert escape.visible(raw * 50, 80) == escape.visible(raw * 50)[:80]


@given(st.text(alphabet="ab[]\\/#@: \x1b", max_size=12))
def test_terminal_escape_is_riches_escape_of_what_is_shown(raw: str) -> None:
    from rich.markup import escape as rich_escape

    assert escape.terminal(raw) == rich_escape(escape.visible(raw))
