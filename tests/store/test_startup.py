"""`gitmetrics --help` stays fast: the CLI imports no heavy module until a command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gitmetrics.cli import app
from gitmetrics.store import init, open_store
from tests.helpers import git, invoke

HEAVY = ("yaml", "jsonschema", "dulwich", "gitmetrics.store")


def test_cli_import_loads_no_heavy_module() -> None:
    code = (
        "import json, sys\n"
        "import gitmetrics.cli\n"
        f"print(json.dumps([m for m in {(*HEAVY, 'rich.table')!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_help_lists_gc_without_loading_the_store() -> None:
    # (typer's own help renderer brings in rich.table, as it does for any typer app)
    code = (
        "import json, sys\n"
        "from gitmetrics.cli import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        f"print(json.dumps([result.exit_code, 'gc' in result.output,"
        f" [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [0, True, []]


def test_cli_import_leaves_the_api_unloaded() -> None:
    # gitmetrics.api is a lazy module (cli/common.py): an annotation such as
    # ``opts: api.CollectOptions`` evaluated when a command module is defined would load it
    # (about 10 ms of every command's start-up, --help's too)
    # (the same for the terminal renderers, gitmetrics.render.terminal: 2.5 ms with the
    # trends and number formats they import, which --help never uses)
    for name in ("gitmetrics.api", "gitmetrics.render.terminal"):
        code = (
            "import sys\n"
            "import gitmetrics.cli\n"
            f"m = sys.modules.get({name!r})\n"
            "print('loaded' if m is not None and type(m).__name__ != '_LazyModule' else 'lazy')\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert out.strip() == "lazy", name


def _after_main(args: list[str], tmp_path: Path) -> dict[str, object]:
    """What ``gitmetrics ARGS`` (the console script's ``main``) loaded and printed."""
    code = (
        "import contextlib, io, json, sys\n"
        "import typer.main\n"
        "from gitmetrics.cli import app, main\n"
        "built, get = [], typer.main.get_command\n"
        "typer.main.get_command = lambda a: (built.append(len(a.registered_commands)), get(a))[1]\n"
        f"sys.argv = ['gitmetrics', *{args!r}]\n"
        "out = io.StringIO()\n"
        "try:\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m, v in sys.modules.items() if type(v).__name__ != '_LazyModule']\n"
        "print(json.dumps({'modules': loaded, 'out': out.getvalue(),"
        " 'commands': built[0], 'after': len(app.registered_commands)}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


def test_history_builds_only_its_command_and_loads_no_writer(tmp_path: Path) -> None:
    # typer builds the options of every registered command on each run: main() keeps the
    # one invoked (12 ms of 24 commands); `history` reads, so the commit writer and the
    # per-file figures stay unloaded
    init(tmp_path / "store")
    open_store(tmp_path / "store").close()  # the check that it is a store, made once a head
    got = _after_main(["history", "--limit", "10", "--store", str(tmp_path / "store")], tmp_path)
    modules = got["modules"]
    assert isinstance(modules, list)
    assert "gitmetrics.historyview" in modules  # the command ran
    assert got["commands"] == 1
    assert got["after"] == len(app.registered_commands)  # a second main() sees them all
    for lazy in ("gitmetrics.store.writer", "gitmetrics.store.incoming", "gitmetrics.perfile"):
        assert lazy not in modules, lazy
    # nor the api's results (13 frozen dataclasses) or the snapshot model (8): `history`
    # reads trailers alone (a frozen dataclass costs about 0.6 ms to make)
    for lazy in ("gitmetrics.results", "gitmetrics.snapshot", "gitmetrics.store.provenance"):
        assert lazy not in modules, lazy
    # nor dulwich: the head, the config and the commits are read as plain files, packed too
    assert not [m for m in modules if m.split(".")[0] == "dulwich"]
    git("-c", "pack.window=0", "gc", "-q", cwd=tmp_path / "store")
    packed = _after_main(["history", "--store", str(tmp_path / "store")], tmp_path)
    assert isinstance(packed["modules"], list) and "gitmetrics.historyview" in packed["modules"]
    assert not [m for m in packed["modules"] if m.split(".")[0] == "dulwich"]


def test_the_api_still_names_its_results() -> None:
    from gitmetrics import api, results

    for name in api.RESULTS:
        assert getattr(api, name) is getattr(results, name), name
    assert {n for n, v in vars(results).items() if isinstance(v, type) and v.__module__ ==
            results.__name__} == api.RESULTS  # fmt: skip
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        api.Nothing  # noqa: B018


def test_a_command_help_is_the_same_with_one_command_built(tmp_path: Path) -> None:
    got = _after_main(["history", "--help"], tmp_path)
    assert got["commands"] == 1
    assert got["out"] == invoke("history", "--help").output


def test_the_root_help_an_unknown_name_and_no_name_keep_every_command(tmp_path: Path) -> None:
    total = len(app.registered_commands)
    for args in (["--help"], ["histor"], []):
        assert _after_main(args, tmp_path)["commands"] == total, args
    assert "history" in str(_after_main(["--help"], tmp_path)["out"])
