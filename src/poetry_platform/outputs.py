"""The one rule for every file the plugin writes for the user (exports today, any later writer).

A destination comes from the user (`-o`), and a typo there must never cost a file:

1. the project's own `pyproject.toml` and `poetry.lock` are never a destination, however
   they are reached (a symlink, a hard link, a `..` path): writing requirements text over
   the lock would destroy it;
2. only a regular file (or a name not yet taken) is a destination: not a directory, and not
   a device, FIFO or socket. The atomic rename does not look at what it replaces, so without
   this rule `-o /dev/null` run as root replaces the machine's `/dev/null` with a file;
3. several files are written all or none: if a later one fails, the earlier ones of the run
   are removed (or put back, when they existed before) and the message says so.

Every destination is checked before anything is written (and before any slow work, when
the caller checks early with `check_destinations`).
"""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

from poetry_platform.errors import FileError
from poetry_platform.errors import PlatformError
from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def check_destinations(paths: Iterable[Path], protected: Iterable[Path]) -> None:
    """Refuse (one `UsageError`, nothing written) any destination the rule forbids, and two
    files of one run that would land on the same file."""
    keep = list(protected)
    seen: dict[Path, Path] = {}
    for path in paths:
        check_destination(path, keep)
        real = path.resolve()
        if real in seen:
            raise UsageError(
                f"{seen[real]} and {path} are the same file; nothing was written.",
                "Give the targets names that differ in more than dots and dashes.",
            )
        seen[real] = path


def check_destination(path: Path, protected: Iterable[Path]) -> None:
    """`path` may be written: not a protected file, not a directory, not a special file."""
    for kept in protected:
        if _same_file(path, kept):
            raise UsageError(
                f"{path}: that is the project's {kept.name}; nothing was written.",
                "Name another file.",
            )
    try:
        st = path.stat()  # follows a symlink: what would be replaced is its target
    except FileNotFoundError:
        return
    except OSError as e:
        raise UsageError(f"{path}: cannot be written ({e.strerror}); nothing was written.") from e
    if stat.S_ISREG(st.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    raise UsageError(
        f"{path}: is {kind}, not a regular file; nothing was written.",
        "Name a file (without -o, one export goes to standard output).",
    )


def _same_file(path: Path, kept: Path) -> bool:
    """The same file by resolved path (symlinks, `..`) or, when both exist, by inode."""
    try:
        if path.resolve() == kept.resolve():
            return True
        return path.samefile(kept)
    except OSError:
        return False


def write_all_or_none(
    files: dict[Path, bytes], protected: Iterable[Path], written: list[Path] | None = None
) -> list[Path]:
    """Check every destination, then write each atomically; on a failure undo the others.

    Signals are held off for the whole write, so Ctrl-C cannot leave half a set (it
    arrives once every file is written; `written`, the caller's list, then names them).
    Earlier files of the run are removed, or given back their previous bytes when they
    existed before; the error names the file that failed and says what was undone.
    """
    from poetry_platform.atomic import held_signals
    from poetry_platform.atomic import write_atomic

    check_destinations(files, protected)
    before = {path: _previous(path) for path in files}
    written = [] if written is None else written
    with held_signals():
        for path, data in files.items():
            try:
                write_atomic(path, data)
            except PlatformError as e:
                if not written:
                    raise
                undone = _undo(written, before)
                written.clear()
                raise FileError(f"{e.message} {undone}", e.remedy) from e
            written.append(path)
    return written


def _previous(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise UsageError(f"{path}: cannot be read ({e.strerror}); nothing was written.") from e


def _undo(written: list[Path], before: dict[Path, bytes | None]) -> str:
    """Remove or restore the files written so far; the sentence that says which.

    A symlinked destination was written through: its target is what is undone, the link
    stays.
    """
    from poetry_platform.atomic import write_atomic

    removed: list[str] = []
    restored: list[str] = []
    failed: list[str] = []
    for path in written:
        old = before[path]
        try:
            if old is None:
                path.resolve().unlink()
                removed.append(str(path))
            else:
                write_atomic(path, old)
                restored.append(str(path))
        except (OSError, PlatformError):
            failed.append(str(path))
    parts = []
    if removed:
        parts.append(f"{_names(removed)}, written before it, {_was(removed)} removed")
    if restored:
        parts.append(f"{_names(restored)} {_was(restored)} put back as before")
    if failed:
        parts.append(f"{_names(failed)} could not be undone and {_hold(failed)} this run's output")
    return f"All or none: {'; '.join(parts)}."


def _names(paths: list[str]) -> str:
    return ", ".join(paths)


def _was(paths: list[str]) -> str:
    return "was" if len(paths) == 1 else "were"


def _hold(paths: list[str]) -> str:
    return "holds" if len(paths) == 1 else "hold"
