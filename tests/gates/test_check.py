"""`gitmetrics check` and the rules behind it, on stores with known histories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmetrics import config as configmod
from gitmetrics import duration, rules
from gitmetrics.errors import ConfigError
from gitmetrics.history import Collection
from gitmetrics.snapshot import build
from tests.gates.conftest import make_store, result, write_config
from tests.helpers import invoke


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def cfg_with(tmp_path: Path, extra: dict[str, object]) -> configmod.Config:
    path = write_config(tmp_path / "repos.yaml", {"api": "service", "web": "frontend"}, extra)
    return configmod.load(path)


def points(*rounds: tuple[str, list[object]]) -> list[Collection]:
    """Newest first, as the store yields them."""
    return [
        Collection.of(build(res, host="ci", timestamp=ts), f"m{i}")
        for i, (ts, res) in enumerate(rounds)
    ]


# --- parsing ---------------------------------------------------------------------------


def test_rules_layer_repo_over_role_over_global(tmp_path: Path) -> None:
    path = tmp_path / "repos.yaml"
    path.write_text(
        """
min_coverage: 70
rules:
  max_drop: 2
  max_drop_over: {window: 7d, points: 5}
  min_weighted_coverage: 60
  roles:
    frontend: {min_coverage: 50, max_drop: 4}
repos:
  - {name: api, path: api, role: service}
  - {name: web, path: web, role: frontend}
  - {name: old, path: old, role: frontend, min_coverage: 20, max_drop_over: {window: 10 snapshots, points: 8}}
""",
        encoding="utf-8",
    )
    r = rules.parse_rules(configmod.load(path))
    api = r.for_repo("api", "service")
    assert (api.min_coverage, api.max_drop) == (70.0, 2.0)
    assert api.max_drop_over is not None and api.max_drop_over.window.seconds == 7 * 86400
    web = r.for_repo("web", "frontend")
    assert (web.min_coverage, web.max_drop) == (50.0, 4.0)
    old = r.for_repo("old", "frontend")
    assert old.min_coverage == 20.0 and old.max_drop == 4.0
    assert old.max_drop_over is not None and old.max_drop_over.window.snapshots == 10
    assert r.min_weighted_coverage == 60.0
    forced = rules.override(r, min_coverage=90)
    assert forced.for_repo("old", "frontend").min_coverage == 90


@pytest.mark.parametrize("text", ["7x", "soon", "1 fortnight", "0d", "1 snapshot"])
def test_bad_window_is_a_config_error(tmp_path: Path, text: str) -> None:
    cfg = cfg_with(tmp_path, {"rules": {"max_drop_over": {"window": text, "points": 1}}})
    with pytest.raises(ConfigError, match=r"rules\.max_drop_over\.window"):
        rules.parse_rules(cfg)


def test_schema_refuses_an_unknown_rule(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rules.*min_cov"):
        cfg_with(tmp_path, {"rules": {"min_cov": 3}})


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("45s", 45), ("30m", 1800), ("1h", 3600), ("2d", 172800)]
)
def test_durations(text: str, seconds: float) -> None:
    assert duration.parse(text, bare="s") == seconds


# --- evaluation --------------------------------------------------------------------------


def test_floor_breaks_below_and_passes_at_the_floor() -> None:
    r = rules.Rules(default=rules.RuleSet(min_coverage=80))
    pts = points(
        ("2026-01-03T00:00:00Z", [result("api", 79, commit="c3" * 20), result("web", 80)]),
        ("2026-01-02T00:00:00Z", [result("api", 78, commit="c2" * 20), result("web", 80)]),
        ("2026-01-01T00:00:00Z", [result("api", 85, commit="c1" * 20), result("web", 80)]),
    )
    out = rules.evaluate(r, pts)
    assert [(b.repo, b.rule, b.value, b.limit) for b in out.breaches] == [
        ("api", "min_coverage", 79.0, 80.0)
    ]
    b = out.breaches[0]
    # the range runs from the last collection at or above the floor to the latest
    assert (b.from_commit, b.to_commit) == ("c1" * 20, "c3" * 20)
    assert (b.from_snapshot, b.to_snapshot) == ("m2", "m0")


def test_max_drop_against_the_previous_measurement() -> None:
    r = rules.Rules(default=rules.RuleSet(max_drop=2))
    pts = points(
        ("2026-01-03T00:00:00Z", [result("api", 80, commit="b" * 40), result("web", 70)]),
        ("2026-01-02T00:00:00Z", [result("api", 0, status="error"), result("web", 72)]),
        ("2026-01-01T00:00:00Z", [result("api", 83, commit="a" * 40), result("web", 72)]),
    )
    out = rules.evaluate(r, pts)
    # api: 83 -> (failed) -> 80 is a 3-point drop across the failed round; web fell exactly 2
    assert [(b.repo, b.rule, b.value) for b in out.breaches] == [("api", "max_drop", 3.0)]
    assert (out.breaches[0].from_commit, out.breaches[0].to_commit) == ("a" * 40, "b" * 40)


def test_drop_over_a_time_window_catches_slow_erosion() -> None:
    over = rules.DropOver(rules.parse_window("7d", "w"), 5)
    r = rules.Rules(default=rules.RuleSet(max_drop=2, max_drop_over=over))
    days = [f"2026-01-{d:02d}T00:00:00Z" for d in range(10, 0, -1)]  # newest first
    covs = [84, 85, 86, 87, 88, 89, 90, 91, 99, 99]  # one point a day, 99 long ago
    pts = points(*[(ts, [result("api", c)]) for ts, c in zip(days, covs, strict=True)])
    out = rules.evaluate(r, pts)
    assert [(b.rule, b.value, b.limit) for b in out.breaches] == [("max_drop_over", 7.0, 5.0)]
    assert out.breaches[0].from_timestamp == "2026-01-03T00:00:00Z"  # peak inside 7 days
    # a 10-snapshot window reaches back to the 99
    over10 = rules.DropOver(rules.parse_window("10 snapshots", "w"), 5)
    out10 = rules.evaluate(rules.Rules(default=rules.RuleSet(max_drop_over=over10)), pts)
    assert [(b.rule, b.value) for b in out10.breaches] == [("max_drop_over", 15.0)]
    # a window of 3 snapshots sees 86 -> 84 only
    over3 = rules.DropOver(rules.parse_window(3, "w"), 5)
    assert rules.evaluate(rules.Rules(default=rules.RuleSet(max_drop_over=over3)), pts).ok


def test_weighted_floor_and_unmeasured_repos() -> None:
    r = rules.Rules(default=rules.RuleSet(min_coverage=10), min_weighted_coverage=60)
    pts = points(
        (
            "2026-01-01T00:00:00Z",
            [result("api", 450, 900), result("web", 90, 100), result("gone", 0, status="error")],
        )
    )
    out = rules.evaluate(r, pts)
    # weighted: 540 / 1000 lines = 54%; the plain mean (70%) would pass
    assert [(b.repo, b.rule, b.value) for b in out.breaches] == [
        (None, "min_weighted_coverage", 54.0)
    ]
    assert out.unmeasured == ("gone",)
    assert out.checked == ("api", "web")


# --- the command ---------------------------------------------------------------------------


def history_store(tmp_path: Path) -> tuple[Path, list[str]]:
    rounds = [
        (
            "2026-01-01T00:00:00Z",
            [result("api", 85, commit="1" * 40), result("web", 60, role="frontend")],
        ),
        (
            "2026-01-02T00:00:00Z",
            [result("api", 84, commit="2" * 40), result("web", 61, role="frontend")],
        ),
        (
            "2026-01-03T00:00:00Z",
            [result("api", 78, commit="3" * 40), result("web", 61, role="frontend")],
        ),
    ]
    return tmp_path / "metrics", make_store(tmp_path / "metrics", rounds)


def test_check_exit_codes_and_breach_list(tmp_path: Path) -> None:
    _, commits = history_store(tmp_path)
    write_config(
        tmp_path / "repos.yaml",
        {"api": "service", "web": "frontend"},
        {"rules": {"min_coverage": 80, "max_drop": 5, "roles": {"frontend": {"min_coverage": 50}}}},
    )
    res = invoke("check", "-c", str(tmp_path / "repos.yaml"))
    assert res.exit_code == 3, res.output  # a gate failed
    assert "2 rules broken." in res.output
    assert "2222222222..3333333333" in res.output  # the drop: previous -> latest
    js = invoke("check", "-c", str(tmp_path / "repos.yaml"), "--json")
    data = json.loads(js.stdout)
    assert js.exit_code == 3
    assert data["ok"] is False and data["collection"] == commits[-1]
    got = {(b["repo"], b["rule"]): b for b in data["breaches"]}
    assert set(got) == {("api", "min_coverage"), ("api", "max_drop")}
    assert got["api", "max_drop"]["value"] == 6.0
    drop = got["api", "max_drop"]
    assert (drop["from"]["source_commit"], drop["to"]["source_commit"]) == ("2" * 40, "3" * 40)
    assert drop["to"]["collection"] == commits[-1]
    # the floor was last met by the 2nd collection
    assert got["api", "min_coverage"]["from"]["collection"] == commits[1]
    # looser limits on the command line: everything passes, exit 0
    ok = invoke(
        "check", "-c", str(tmp_path / "repos.yaml"), "--min-coverage", "50", "--max-drop", "6"
    )
    assert ok.exit_code == 0, ok.output
    assert "All rules pass." in ok.output


def test_check_markdown_for_a_job_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./repos.yaml: the command line is the only rule
    store, _ = history_store(tmp_path)
    res = invoke("check", "--store", str(store), "--max-drop", "1", "--markdown")
    assert res.exit_code == 3
    lines = res.stdout.splitlines()
    assert lines[0] == "## gitmetrics check: 1 rule broken"
    assert "| Repository | Rule | Value | Limit | Age | Source commits | Detail |" in lines
    row = next(line for line in lines if line.startswith("| api |"))
    assert "`max_drop`" in row and "-6.00 pts" in row and "`2222222222..3333333333`" in row


def test_check_without_rules_or_store_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store, _ = history_store(tmp_path)
    res = invoke("check", "--store", str(store))
    assert res.exit_code == 1 and "no rules to check" in res.output
    empty = invoke("check", "--store", str(tmp_path / "nope"), "--min-coverage", "1")
    assert empty.exit_code == 1 and "no metrics repository here" in flat(empty.output)
