"""`gitmetrics --help` stays fast: the CLI imports no heavy module until a command runs."""

from __future__ import annotations

import json
import subprocess
import sys

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
    code = (
        "import sys\n"
        "import gitmetrics.cli\n"
        "m = sys.modules.get('gitmetrics.api')\n"
        "print('loaded' if m is not None and type(m).__name__ != '_LazyModule' else 'lazy')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "lazy"
