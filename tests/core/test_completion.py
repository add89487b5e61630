"""Shell completion: typer's own --show-completion script, and the completion protocol it
drives answering with gitmetrics' commands and options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GITMETRICS = Path(sys.executable).parent / "gitmetrics"


def _complete(words: str) -> list[str]:
    """What bash completion offers for the last of ``words`` (as the installed script asks)."""
    parts = words.split(" ")
    env = {
        **os.environ,
        "_GITMETRICS_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    done = subprocess.run(
        [str(GITMETRICS)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_show_completion_prints_a_bash_script() -> None:
    # typed in bash, as a user does: typer finds the shell among the process's parents
    # (a test runner started with no shell above it would find none)
    done = subprocess.run(
        ["bash", "-c", f"'{GITMETRICS}' --show-completion bash; exit $?"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "_gitmetrics_completion()" in done.stdout
    assert "complete -o default -F _gitmetrics_completion gitmetrics" in done.stdout


@pytest.mark.slow
def test_completion_offers_commands_and_options() -> None:
    assert _complete("gitmetrics imp") == ["import"]
    assert "collect" in _complete("gitmetrics co")
    assert _complete("gitmetrics import --fr") == ["--from"]
