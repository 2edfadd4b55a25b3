"""Snapshots, atomic writes, signals as exceptions and the per-project lock."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest

from poetry_platform.atomic import Busy
from poetry_platform.atomic import ChangedOnDisk
from poetry_platform.atomic import FileWriteError
from poetry_platform.atomic import Interrupted
from poetry_platform.atomic import Snapshot
from poetry_platform.atomic import interrupts_as_exceptions
from poetry_platform.atomic import project_lock
from poetry_platform.atomic import transaction
from poetry_platform.atomic import write_all_atomic
from poetry_platform.atomic import write_atomic

if TYPE_CHECKING:
    from pathlib import Path

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")


def test_snapshot_restores_bytes_and_absence(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    a.write_bytes(b"x = 1\r\n# crlf kept\r\n")
    b = tmp_path / "b.lock"
    snap = Snapshot.take([a, b])
    snap.replace({a: b"changed", b: b"created"})
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
    with pytest.raises(RuntimeError), transaction([target]) as snap:
        snap.replace({target: b"during"})
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
    with pytest.raises(Interrupted) as info, transaction([target]) as snap:
        snap.replace({target: b"during"})
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert info.value.exit_code == 128 + signal.SIGTERM
    assert target.read_text() == "before"
    # the previous handler is back once the block is left
    assert signal.getsignal(signal.SIGTERM) is not None


def test_an_edit_saved_after_the_read_is_kept_and_nothing_is_written(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    lock = tmp_path / "poetry.lock"
    pyproject.write_text("as read")
    lock.write_text("lock as read")
    with pytest.raises(ChangedOnDisk) as info, transaction([pyproject, lock]) as snap:
        pyproject.write_text("the user's edit")  # saved while the run works
        snap.replace({pyproject: b"ours", lock: b"our lock"})
    assert pyproject.read_text() == "the user's edit"  # kept, and not "restored" either
    assert lock.read_text() == "lock as read"
    assert info.value.paths == [pyproject]
    assert str(info.value).startswith(
        "pyproject.toml changed on disk while the command was running; your edit was kept"
    )


def test_a_file_created_after_the_read_counts_as_an_edit(tmp_path: Path) -> None:
    lock = tmp_path / "poetry.lock"
    snap = Snapshot.take([lock])
    lock.write_text("someone ran poetry lock")
    with pytest.raises(ChangedOnDisk):
        snap.replace({lock: b"ours"})
    assert snap.restore() == []
    assert lock.read_text() == "someone ran poetry lock"


def test_an_edit_after_our_write_is_not_undone_by_a_later_failure(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("before")
    with pytest.raises(RuntimeError), transaction([target]) as snap:
        snap.replace({target: b"ours"})
        target.write_text("edited after our write")
        raise RuntimeError("install failed")
    assert target.read_text() == "edited after our write"


@posix_only
def test_an_interrupt_after_commit_keeps_the_writes(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("before")
    with pytest.raises(KeyboardInterrupt), transaction([target]) as snap:
        snap.replace({target: b"written"})
        snap.commit()
        raise KeyboardInterrupt
    assert target.read_text() == "written"
    with pytest.raises(RuntimeError), transaction([target]) as snap:
        snap.replace({target: b"again"})
        snap.commit()
        raise RuntimeError("an error still undoes a committed write")
    assert target.read_text() == "written"


def test_a_touch_without_a_change_is_no_edit(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("same")
    snap = Snapshot.take([target])
    os.utime(target, (1, 1))
    snap.replace({target: b"new"})
    assert target.read_text() == "new"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_of_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "poetry.lock", b"new")
    finally:
        os.umask(old)
    assert (tmp_path / "poetry.lock").stat().st_mode & 0o777 == mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_rewriting_a_users_file_keeps_its_owner_and_group(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("old")
    os.chown(target, 4242, 4343)
    target.chmod(0o640)
    write_atomic(target, b"new")
    st = target.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (4242, 4343, 0o640)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")
def test_a_symlinked_file_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "pyproject.toml"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "project" / "pyproject.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    with transaction([link]) as snap:
        snap.replace({link: b"new"})
    assert link.is_symlink()
    assert real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["pyproject.toml"]


def test_a_hard_linked_file_is_replaced_and_its_other_name_keeps_the_old_bytes(
    tmp_path: Path,
) -> None:
    """Decided and documented (docs/reliability.md rule 4): writing through a hard link
    would mean rewriting the file in place, which a crash or a full disk can leave half
    written; the rename keeps every write all-or-nothing, so the link is not kept."""
    project = tmp_path / "pyproject.toml"
    project.write_text("old")
    other = tmp_path / "backup.toml"
    os.link(project, other)
    assert project.stat().st_nlink == 2
    with transaction([project]) as snap:
        snap.replace({project: b"new"})
    assert project.read_text() == "new"
    assert other.read_text() == "old"
    assert project.stat().st_nlink == other.stat().st_nlink == 1
    assert not project.samefile(other)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anyway")
def test_a_file_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    target = tmp_path / "ro" / "poetry.lock"
    target.parent.mkdir()
    target.write_text("old")
    target.parent.chmod(0o555)
    try:
        with pytest.raises(FileWriteError) as info:
            write_atomic(target, b"new")
    finally:
        target.parent.chmod(0o755)
    assert str(target) in str(info.value)


def test_a_full_disk_is_reported_with_the_file_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "poetry.lock"
    target.write_text("old")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(FileWriteError) as info:
        write_atomic(target, b"new")
    assert str(info.value) == f"Could not write {target}: No space left on device."
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["poetry.lock"]


@posix_only
def test_interrupts_only_inside_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interrupts_as_exceptions():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from poetry_platform.atomic import project_lock
    with project_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.readline()  # held until told to let go
        Path(sys.argv[2]).write_text("let go")  # the last thing it does holding the lock
    """
)


@posix_only
def test_project_lock_makes_a_second_process_wait(tmp_path: Path) -> None:
    """The holder lets go only once the waiter says it waits: no sleep, no clock."""
    marker = tmp_path.parent / f"{tmp_path.name}-let-go"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), str(marker)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        stdin = holder.stdin
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(Busy), project_lock(tmp_path, timeout=0.2):
            pass
        waited: list[bool] = []

        def waiting() -> None:  # now tell the holder to let go
            waited.append(True)
            stdin.write("go\n")
            stdin.flush()

        with project_lock(tmp_path, timeout=60, on_wait=waiting):
            got_it_after_release = marker.exists()
        assert waited == [True]
        assert got_it_after_release  # only after the holder let go
    finally:
        holder.kill()
        holder.wait()
        marker.unlink(missing_ok=True)
    assert list(tmp_path.iterdir()) == []  # nothing created in the project
