"""`bash scripts/demo.sh` (the README's first command on a fresh clone) works, and what it
prints can be copied: the commands shown are the real ones, with the real variable names,
and the "by hand" lines it ends with run as printed, in a plain shell, after the demo's
index has stopped.

The demo runs through scripts/demo.py (demo.sh only runs bootstrap.sh first, which the test
environment already is), into a temporary directory instead of .demo/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="the demo prints POSIX shell lines"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    work = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--work", str(work)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout), work


def test_the_demo_shows_commands_a_user_can_type(demo: tuple[str, Path]) -> None:
    output, _ = demo
    shown = [line.split("  #")[0] for line in output.splitlines() if line.startswith("$ ")]
    assert shown == [
        "$ poetry lock",
        "$ poetry platform-show",
        "$ poetry platform-install",
        "$ POETRY_PLATFORM_CUDA=13.0 POETRY_PLATFORM_COMPUTE_CAPABILITY=9.0 poetry platform-show",
        "$ POETRY_PLATFORM_CUDA='' poetry platform-install --variant cuda13",
        "$ POETRY_PLATFORM_CUDA='' poetry platform-install --sync",
        "$ poetry platform-check",
    ]
    assert "DEMO_" not in output
    # The faked H100 really was what the command saw.
    assert "Selected: cuda13" in output


def test_the_by_hand_lines_run_as_printed(demo: tuple[str, Path], tmp_path: Path) -> None:
    output, work = demo
    lines = output.split("Repeat parts of it by hand", 1)[1].splitlines()[1:]
    script = [line.strip() for line in lines if line.startswith("  ")]
    assert len(script) == 5
    assert script[1] == f"cd {work / 'jax'}"
    # A user's shell: none of the test's Poetry settings, a home of its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POETRY_", "VIRTUAL_ENV"))}
    env["HOME"] = str(tmp_path / "home")
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_CACHE_HOME", None)

    result = subprocess.run(
        ["bash", "-euc", "\n".join(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Selected: cuda13" in result.stdout  # the faked H100
    assert "forced by --variant" in result.stdout
    assert "OK" in result.stdout  # platform-check
