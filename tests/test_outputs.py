"""The one output rule: never the project's own files, never a directory or special file,
several files all or none (each refusal leaves every file as it was)."""

from __future__ import annotations

import errno
import os
import socket
import stat
import sys
from typing import TYPE_CHECKING

import pytest

from poetry_platform import atomic
from poetry_platform import outputs
from poetry_platform.errors import FileError
from poetry_platform.errors import PlatformError
from poetry_platform.errors import UsageError
from poetry_platform.outputs import check_destinations
from poetry_platform.outputs import write_all_or_none

if TYPE_CHECKING:
    from pathlib import Path

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file kinds")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "poetry.lock").write_text("# lock\n")
    return root


def protected(project: Path) -> list[Path]:
    return [project / "pyproject.toml", project / "poetry.lock"]


def refused(project: Path, path: Path) -> str:
    before = {p: p.read_bytes() for p in protected(project)}
    with pytest.raises(UsageError) as info:
        write_all_or_none({path: b"requirements text\n"}, protected(project))
    assert {p: p.read_bytes() for p in protected(project)} == before
    assert "\n" not in str(info.value)
    return str(info.value)


def test_the_projects_own_files_are_never_a_destination(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "the project's pyproject.toml" in refused(project, project / "pyproject.toml")
    assert "the project's poetry.lock" in refused(project, project / "poetry.lock")
    # through `..`, a relative path, a symlink and a hard link
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert "poetry.lock" in refused(project, other / ".." / "project" / "poetry.lock")
    link = other / "requirements.txt"
    link.symlink_to(project / "poetry.lock")
    assert "the project's poetry.lock" in refused(project, link)
    assert link.is_symlink()
    hard = other / "hard.txt"
    os.link(project / "pyproject.toml", hard)
    assert "the project's pyproject.toml" in refused(project, hard)
    monkeypatch.chdir(project)
    assert "pyproject.toml" in refused(project, type(project)("pyproject.toml"))


def test_a_directory_is_not_a_destination(project: Path) -> None:
    (project / "dist").mkdir()
    assert refused(project, project / "dist").endswith(
        "dist: is a directory, not a regular file; nothing was written. Name a file "
        "(without -o, one export goes to standard output)."
    )
    assert (project / "dist").is_dir()


@posix_only
def test_a_fifo_is_not_a_destination(project: Path) -> None:
    fifo = project / "pipe"
    os.mkfifo(fifo)
    assert "is a FIFO (named pipe), not a regular file" in refused(project, fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@posix_only
def test_a_character_device_is_not_a_destination(project: Path) -> None:
    """What `-o /dev/null` as root did: the rename replaced the device with a file."""
    null = project / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a character device here: {e}")
    assert "is a character device, not a regular file" in refused(project, null)
    assert stat.S_ISCHR(null.stat().st_mode)


@posix_only
def test_a_socket_is_not_a_destination(project: Path) -> None:
    path = project / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert "is a socket" in refused(project, path)
    assert stat.S_ISSOCK(path.stat().st_mode)


def test_a_symlink_to_a_regular_file_is_written_through(project: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = project / "requirements.txt"
    link.symlink_to(real)
    assert write_all_or_none({link: b"new\n"}, protected(project)) == [link]
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_two_files_of_one_run_on_the_same_path_are_refused(project: Path) -> None:
    a, b = project / "out" / "pylock.a-b.toml", project / "out" / ".." / "out" / "pylock.a-b.toml"
    (project / "out").mkdir()
    with pytest.raises(UsageError, match="are the same file"):
        check_destinations([a, b], protected(project))


def failing_second_write(monkeypatch: pytest.MonkeyPatch, bad: Path) -> None:
    real = atomic.write_atomic

    def write(path: Path, data: bytes) -> None:
        if path == bad:
            raise atomic.FileWriteError(path, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
        real(path, data)

    monkeypatch.setattr(atomic, "write_atomic", write)


def test_all_or_none_removes_the_files_written_before_a_failure(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project / "dist"
    out.mkdir()
    first, second = out / "pylock.a.toml", out / "pylock.b.toml"
    failing_second_write(monkeypatch, second)
    with pytest.raises(PlatformError) as info:
        write_all_or_none({first: b"a\n", second: b"b\n"}, protected(project))
    assert str(info.value) == (
        f"Could not write {second}: No space left on device. All or none: {first}, written "
        "before it, was removed."
    )
    assert isinstance(info.value, FileError)
    assert list(out.iterdir()) == []


def test_all_or_none_puts_back_a_file_that_existed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project / "dist"
    out.mkdir()
    first, new, second = out / "pylock.a.toml", out / "pylock.n.toml", out / "pylock.b.toml"
    first.write_text("previous export\n")
    first.chmod(0o640)
    failing_second_write(monkeypatch, second)
    with pytest.raises(PlatformError) as info:
        write_all_or_none({first: b"a\n", new: b"n\n", second: b"b\n"}, protected(project))
    assert str(info.value).endswith(
        f"All or none: {new}, written before it, was removed; {first} was put back as before."
    )
    assert first.read_text() == "previous export\n"
    assert stat.S_IMODE(first.stat().st_mode) == 0o640
    assert sorted(p.name for p in out.iterdir()) == ["pylock.a.toml"]


def test_a_first_write_failing_is_the_write_error_alone(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = project / "pylock.toml"
    failing_second_write(monkeypatch, target)
    with pytest.raises(PlatformError) as info:
        write_all_or_none({target: b"x"}, protected(project))
    assert str(info.value) == f"Could not write {target}: No space left on device."


def test_the_rule_is_checked_before_any_write(project: Path) -> None:
    out = project / "dist"
    out.mkdir()
    (out / "sub").mkdir()
    with pytest.raises(UsageError):
        write_all_or_none({out / "a.txt": b"a", out / "sub": b"b"}, protected(project))
    assert sorted(p.name for p in out.iterdir()) == ["sub"]
    outputs.check_destination(out / "new.txt", protected(project))  # a new name is fine


def test_the_callers_list_names_what_was_written(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupt held off until the writes end still knows which files are complete; a
    failure that undid them leaves the list empty."""
    out = project / "dist"
    out.mkdir()
    written: list[Path] = []
    write_all_or_none({out / "a": b"a", out / "b": b"b"}, protected(project), written)
    assert written == [out / "a", out / "b"]
    failing_second_write(monkeypatch, out / "d")
    undone: list[Path] = []
    with pytest.raises(PlatformError):
        write_all_or_none({out / "c": b"c", out / "d": b"d"}, protected(project), undone)
    assert undone == []
