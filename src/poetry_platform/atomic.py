"""All-or-nothing edits of project files: snapshot, atomic writes, interrupts, one writer.

A command that rewrites `pyproject.toml` and `poetry.lock` must leave them exactly as they
were when anything goes wrong: a failed lookup or lock, an exception, Ctrl-C, or a SIGTERM
from CI or Docker. `transaction()` gives that guarantee for any set of files:

1. it takes a per-project lock, so two runs on one project take turns instead of
   interleaving their writes (the second sees the first's result);
2. it snapshots the files' bytes (or their absence) and fingerprints (hash, mtime, size):
   what the run reads;
3. while it runs, SIGTERM and SIGHUP raise `Interrupted` in the main thread, like Ctrl-C
   raises `KeyboardInterrupt`, so `finally` blocks run;
4. `Snapshot.replace()` compares before it replaces: if any file no longer holds what was
   read (the user saved an edit while the run looked things up or re-locked), it writes
   nothing and raises `ChangedOnDisk`, so the user's edit is kept, never overwritten;
5. on any exception or interrupt it puts back what the run itself wrote, with signals held
   off, and re-raises; a file someone else changed is never "restored" over their edit.
   After `Snapshot.commit()`, an interrupt keeps the writes (the caller reports them).

Writes go through `write_atomic` (temporary file in the same directory, fsync, rename), so a
reader (or a kill -9) never sees half a file. The new file keeps the old one's mode, owner
and group (where the process may set them); a new file gets the mode `poetry lock` would
give it under the current umask; a symlink is written through, the link kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from poetry_platform.errors import FileError

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Iterator
    from collections.abc import Sequence
    from types import FrameType

_CAUGHT = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None
)


class Interrupted(BaseException):
    """A termination signal arrived; a BaseException so that `except Exception` lets it pass."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class Busy(FileError):
    """Another process holds the project lock and did not let go in time."""


class ChangedOnDisk(FileError):
    """A file changed on disk after the run read it; nothing was written over it."""

    def __init__(self, paths: list[Path], command: str = "the command") -> None:
        self.paths = paths
        names = " and ".join(p.name for p in paths)
        super().__init__(
            f"{names} changed on disk while {command} was running; your edit was kept and"
            " nothing was written.",
            f"Run {command} again to start from the edited file{'s' * (len(paths) > 1)}.",
        )


@dataclass(frozen=True)
class Fingerprint:
    """What a file held when it was read: a content hash, plus mtime and size."""

    sha256: str | None  # None: the file did not exist
    mtime_ns: int | None = None
    size: int | None = None

    @classmethod
    def of(cls, path: Path, data: bytes | None) -> Fingerprint:
        if data is None:
            return cls(None)
        digest = hashlib.sha256(data).hexdigest()
        try:
            st = path.stat()
        except OSError:
            return cls(digest)
        return cls(digest, st.st_mtime_ns, st.st_size)

    def matches(self, path: Path) -> bool:
        """Whether `path` still holds what was read (the content decides; a touch is no edit)."""
        data = _read(path)
        if data is None or self.sha256 is None:
            return data is None and self.sha256 is None
        return hashlib.sha256(data).hexdigest() == self.sha256


@dataclass
class Snapshot:
    """The exact bytes of some files as read (None: absent), and what the run wrote since."""

    contents: dict[Path, bytes | None]
    read: dict[Path, Fingerprint] = field(default_factory=dict)
    written: dict[Path, bytes] = field(default_factory=dict)
    committed: bool = False  # see `commit()`

    def commit(self) -> None:
        """The writes stand even if an interrupt follows (an exception still undoes them).

        For a caller that, once both files are written, would rather say what was written
        and what is left (an install to finish) than undo a consistent result.
        """
        self.committed = True

    @classmethod
    def take(cls, paths: Iterable[Path]) -> Snapshot:
        contents = {Path(p): _read(Path(p)) for p in paths}
        return cls(contents, {p: Fingerprint.of(p, data) for p, data in contents.items()})

    def edited(self) -> list[Path]:
        """The files that no longer hold what was read."""
        return [p for p, fp in self.read.items() if not fp.matches(p)]

    def replace(self, files: dict[Path, bytes], *, command: str = "the command") -> None:
        """Compare, then replace: write `files` only if every snapshotted file is as read.

        Signals are held off for the whole compare-and-write, so an interrupt cannot split
        the files; `ChangedOnDisk` names the files that changed, and nothing is written.
        """
        with held_signals():
            edited = self.edited()
            if edited:
                raise ChangedOnDisk(edited, command)
            for path, data in files.items():
                write_atomic(path, data)
                self.written[Path(path)] = data

    def restore(self) -> list[Path]:
        """Undo the run's own writes; returns the files that had to be restored.

        Only files written through `replace` that still hold what the run wrote are put
        back. Any other change is someone's edit (saved while the run looked things up or
        re-locked), and an edit is never thrown away.
        """
        restored: list[Path] = []
        with held_signals():
            for path, data in self.contents.items():
                current = _read(path)
                ours = self.written.get(path)
                if ours is None or current != ours or current == data:
                    continue
                if data is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomic(path, data)
                restored.append(path)
        return restored


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise FileReadError(path, e) from e


class FileReadError(FileError):
    """A project file exists but cannot be read (permissions, a directory); names the file."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        reason = error.strerror or type(error).__name__
        super().__init__(f"Could not read {path}: {reason}.")


def current_umask() -> int:
    """The process umask (read by setting it and setting it back: no other way to ask)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename, the way the user expects the file to stay.

    An existing file keeps its permission bits, and its owner and group where the process
    may set them (root rewriting a user's project must not hand it to root). A new file gets
    `0o666 & ~umask`, what `poetry lock` gives it (0644 at umask 022), not `mkstemp`'s 0600.
    A symlink is written through: the target changes, the link stays a link. An `OSError`
    (disk full, read-only directory) names the file.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    try:
        st: os.stat_result | None = path.stat()
    except FileNotFoundError:
        st = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise FileWriteError(path, e) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if st is None:
            Path(tmp).chmod(0o666 & ~current_umask())
        else:
            Path(tmp).chmod(st.st_mode & 0o7777)
            _keep_owner(Path(tmp), st)
        Path(tmp).replace(path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        if isinstance(e, OSError):
            raise FileWriteError(path, e) from e
        raise


def _keep_owner(tmp: Path, st: os.stat_result) -> None:
    """Give the temporary file the old file's owner and group, as far as allowed."""
    if not hasattr(os, "chown"):  # pragma: no cover - Windows
        return
    mine = tmp.stat()
    if (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid):
        return
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except PermissionError:
        # not root: the group alone may still be allowed (one of our groups)
        with contextlib.suppress(PermissionError):
            os.chown(tmp, -1, st.st_gid)
    # chown clears set-id bits on some systems: put the mode back
    tmp.chmod(st.st_mode & 0o7777)


class FileWriteError(FileError):
    """A project file could not be written (disk full, read-only); names the file."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        reason = error.strerror or type(error).__name__
        super().__init__(f"Could not write {path}: {reason}.")


def write_all_atomic(files: dict[Path, bytes]) -> None:
    """Write several files with signals held off, so an interrupt cannot split them.

    Inside a `transaction`, use `Snapshot.replace` instead: it compares before it replaces.
    """
    with held_signals():
        for path, data in files.items():
            write_atomic(path, data)


# --- signals -------------------------------------------------------------------------------


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def interrupts_as_exceptions() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP raise `Interrupted` in the main thread."""
    if not _main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in _CAUGHT}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Delay SIGINT/SIGTERM/SIGHUP until the block is done (a critical section)."""
    if not _main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, *_CAUGHT}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


# --- one writer per project ----------------------------------------------------------------


@contextlib.contextmanager
def project_lock(
    directory: Path,
    *,
    timeout: float | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold an exclusive advisory lock for `directory` (blocking, Ctrl-C still works).

    POSIX: `flock` on the directory itself, so nothing is created in the project. Elsewhere:
    a lock file in the temporary directory named after the project's path. `on_wait` is
    called once if the lock is busy; `timeout` (seconds) raises `Busy` when it runs out.
    """
    directory = Path(directory).resolve()
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
        digest = hashlib.sha256(str(directory).encode()).hexdigest()[:16]
        target = Path(tempfile.gettempdir()) / f"poetry-platform-{digest}.lock"
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
    else:
        fd = os.open(directory, os.O_RDONLY)
    try:
        _acquire(fd, timeout, on_wait)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _release(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _acquire(fd: int, timeout: float | None, on_wait: Callable[[], None] | None) -> None:
    if _try_lock(fd):
        return
    if on_wait is not None:
        on_wait()
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.05
    while not _try_lock(fd):
        if deadline is not None and time.monotonic() >= deadline:
            raise Busy(f"another process is editing this project (waited {timeout:g} s)")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


# --- all together --------------------------------------------------------------------------


@contextlib.contextmanager
def transaction(
    paths: Iterable[Path],
    *,
    lock_dir: Path | None = None,
    timeout: float | None = None,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[Snapshot]:
    """Lock, snapshot, run the block; on an exception, undo the block's writes and re-raise.

    An interrupt (Ctrl-C, SIGTERM) undoes the writes too, unless the block called
    `snapshot.commit()`: then the caller says what was written and what is left to do.
    """
    files = [Path(p) for p in paths]
    directory = lock_dir if lock_dir is not None else files[0].parent
    with project_lock(directory, timeout=timeout, on_wait=on_wait), interrupts_as_exceptions():
        snapshot = Snapshot.take(files)
        try:
            yield snapshot
        except (KeyboardInterrupt, Interrupted):
            if not snapshot.committed:
                snapshot.restore()
            raise
        except BaseException:
            snapshot.restore()
            raise


@contextlib.contextmanager
def noting_interrupts() -> Iterator[list[int]]:
    """Ctrl-C, SIGTERM and SIGHUP raise `KeyboardInterrupt` in the block, each noted in the
    list (its number: the exit code is 128 + it).

    For code that swallows it: Poetry's installer catches `KeyboardInterrupt` and returns
    1, which would read as a failed install instead of an interrupted one. SIGTERM (`docker
    stop`, a CI timeout) takes Ctrl-C's path, so it gets the same honest line instead of a
    silent death.
    """
    seen: list[int] = []
    if not _main_thread():
        yield seen
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        seen.append(signum)
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, *_CAUGHT)}
    try:
        yield seen
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def interrupt_exit_code(seen: Sequence[int]) -> int:
    """128 + the signal that interrupted (the last one noted), as a shell reports it;
    130 (SIGINT) when none was noted (a `KeyboardInterrupt` raised by other means)."""
    return 128 + (seen[-1] if seen else int(signal.SIGINT))


def signal_name(code: int) -> str:
    """`SIGTERM` for exit code 143 (128 + its number), "" for Ctrl-C's 130 or no signal."""
    try:
        name = signal.Signals(code - 128).name
    except ValueError:
        return ""
    return "" if name == "SIGINT" else name
