"""Snapshots, atomic writes, signals as exceptions and the per-project lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest

from poetry_platform.up.atomic import Busy
from poetry_platform.up.atomic import Interrupted
from poetry_platform.up.atomic import Snapshot
from poetry_platform.up.atomic import interrupts_as_exceptions
from poetry_platform.up.atomic import project_lock
from poetry_platform.up.atomic import transaction
from poetry_platform.up.atomic import write_all_atomic
from poetry_platform.up.atomic import write_atomic

if TYPE_CHECKING:
    from pathlib import Path

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")


def test_snapshot_restores_bytes_and_absence(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    a.write_bytes(b"x = 1\r\n# crlf kept\r\n")
    b = tmp_path / "b.lock"
    snap = Snapshot.take([a, b])
    a.write_text("changed")
    b.write_text("created")
    assert sorted(p.name for p in snap.restore()) == ["a.toml", "b.lock"]
    assert a.read_bytes() == b"x = 1\r\n# crlf kept\r\n"
    assert not b.exists()
    assert snap.restore() == []


def test_write_atomic_keeps_permissions_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    write_all_atomic({target: b"newer", tmp_path / "poetry.lock": b"lock"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poetry.lock", "pyproject.toml"]


def test_transaction_restores_on_exception(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("before")
    with pytest.raises(RuntimeError), transaction([target]):
        target.write_text("during")
        raise RuntimeError("boom")
    assert target.read_text() == "before"


def test_transaction_keeps_a_successful_result(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("before")
    with transaction([target]):
        write_atomic(target, b"after")
    assert target.read_text() == "after"


@posix_only
def test_sigterm_becomes_an_exception_and_restores(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("before")
    with pytest.raises(Interrupted) as info, transaction([target]):
        target.write_text("during")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert info.value.exit_code == 128 + signal.SIGTERM
    assert target.read_text() == "before"
    # the previous handler is back once the block is left
    assert signal.getsignal(signal.SIGTERM) is not None


@posix_only
def test_interrupts_only_inside_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interrupts_as_exceptions():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from poetry_platform.up.atomic import project_lock
    with project_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
        print(time.time(), flush=True)  # the last moment it still holds the lock
    """
)


@posix_only
def test_project_lock_makes_a_second_process_wait(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), "1.5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(Busy), project_lock(tmp_path, timeout=0.2):
            pass
        waited: list[bool] = []
        with project_lock(tmp_path, timeout=30, on_wait=lambda: waited.append(True)):
            got_it = time.time()
        assert waited == [True]
        assert got_it >= float(holder.stdout.readline())  # only after the holder let go
    finally:
        holder.kill()
        holder.wait()
    assert list(tmp_path.iterdir()) == []  # nothing created in the project
