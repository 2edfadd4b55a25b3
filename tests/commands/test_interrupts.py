"""Ctrl-C in platform-install and platform-export: exit 130 and one honest line (what was
done, what to run), never exit 1 with no message. SIGTERM (`docker stop`, a CI timeout) the
same, with exit 143 and the signal named (before: a silent death). A real signal reaches the
poetry process while the local index holds a response, so the interrupt lands at a known point.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.project import POETRY
from tests.support.project import installed

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]


def interrupt_while_held(
    server: IndexServer,
    path: str,
    project: Path,
    env: dict[str, str],
    args: list[str],
    signum: int = signal.SIGINT,
) -> subprocess.CompletedProcess[str]:
    """Run `poetry ARGS`, send `signum` once it asked the index for a path ending with `path`
    (held until then), release the request, and wait for the process."""
    before = len([p for p in server.requests_for(path) if p.endswith(path)])
    release = server.hold_paths(path, suffix=True)
    try:
        process = subprocess.Popen(
            [str(POETRY), *args],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while len([p for p in server.requests_for(path) if p.endswith(path)]) == before:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signum)
        time.sleep(0.5)  # let the signal land before the held request is answered
        release.set()
        out, err = process.communicate(timeout=120)
    finally:
        server.clear_faults()
    return subprocess.CompletedProcess(args, process.returncode, out, err)


# Ctrl-C and a `kill` (SIGTERM, as a CI runner or `docker stop` sends): the same path, the
# shell's exit code for each (128 + the signal), the signal named in the line.
BOTH_SIGNALS = pytest.mark.parametrize(
    ("signum", "code", "by"),
    [(signal.SIGINT, 130, ""), (signal.SIGTERM, 143, " by SIGTERM")],
    ids=["SIGINT", "SIGTERM"],
)


@BOTH_SIGNALS
def test_ctrl_c_during_platform_install_says_the_venv_may_be_partly_changed(
    jax_locked: Path,
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    signum: int,
    code: int,
    by: str,
) -> None:
    project = jax_locked
    wheel = ".whl"  # the first wheel the install downloads
    env = {**hermetic_env, "POETRY_PLATFORM_CUDA": ""}
    args = ["platform-install"]
    result = interrupt_while_held(index_server, wheel, project, env, args, signum)
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Interrupted{by} during the install: the venv may be partly changed (the packages "
        "under way were finished, the rest not started), so it may not match poetry.lock. Run "
        "`poetry platform-install` again to finish it."
    )
    assert "Traceback" not in result.stdout + result.stderr
    # what it says to run does finish it
    finish = subprocess.run(
        [str(POETRY), "platform-install"], cwd=project, env=env, capture_output=True, text=True
    )
    assert finish.returncode == 0, finish.stderr
    assert "jax" in installed(project)


@BOTH_SIGNALS
def test_ctrl_c_during_platform_export_writes_nothing(
    jax_locked: Path,
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    signum: int,
    code: int,
    by: str,
) -> None:
    """pylock needs each file's URL: the export waits on an index page when Ctrl-C comes."""
    env = {**hermetic_env, "POETRY_PLATFORM_CUDA": ""}
    args = ["platform-export", "--variant", "cpu", "-o", "pylock.toml"]
    before = {p.name: p.read_bytes() for p in jax_locked.iterdir() if p.is_file()}
    result = interrupt_while_held(index_server, "/simple/jaxlib/", jax_locked, env, args, signum)
    assert result.returncode == code, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        f"Interrupted{by}: nothing was exported and no file was written. "
        "Run `poetry platform-export` again."
    )
    assert {p.name: p.read_bytes() for p in jax_locked.iterdir() if p.is_file()} == before
    assert not (jax_locked / "pylock.toml").exists()
