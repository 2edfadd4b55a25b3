"""All-or-nothing edits of project files: snapshot, atomic writes, interrupts, one writer.

A command that rewrites `pyproject.toml` and `poetry.lock` must leave them exactly as they
were when anything goes wrong: a failed lookup or lock, an exception, Ctrl-C, or a SIGTERM
from CI or Docker. `transaction()` gives that guarantee for any set of files:

1. it takes a per-project lock, so two runs on one project take turns instead of
   interleaving their writes (the second sees the first's result);
2. it snapshots the files' bytes (or their absence);
3. while it runs, SIGTERM and SIGHUP raise `Interrupted` in the main thread, like Ctrl-C
   raises `KeyboardInterrupt`, so `finally` blocks run;
4. on any exception it puts the snapshot back, with signals held off, and re-raises.

Writes go through `write_atomic` (temporary file in the same directory, fsync, rename), so a
reader (or a kill -9) never sees half a file.
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
from pathlib import Path
from typing import TYPE_CHECKING

from poetry_platform.errors import PlatformError

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Iterator
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


class Busy(PlatformError):
    """Another process holds the project lock and did not let go in time."""


@dataclass(frozen=True)
class Snapshot:
    """The exact bytes of some files (None: the file did not exist)."""

    contents: dict[Path, bytes | None]

    @classmethod
    def take(cls, paths: Iterable[Path]) -> Snapshot:
        contents: dict[Path, bytes | None] = {}
        for path in paths:
            try:
                contents[Path(path)] = Path(path).read_bytes()
            except FileNotFoundError:
                contents[Path(path)] = None
        return cls(contents)

    def restore(self) -> list[Path]:
        """Put every changed file back as it was; returns the files that had to be restored."""
        restored: list[Path] = []
        with held_signals():
            for path, data in self.contents.items():
                if _read(path) == data:
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


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename, keeping its permission bits."""
    path = Path(path)
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def write_all_atomic(files: dict[Path, bytes]) -> None:
    """Write several files with signals held off, so an interrupt cannot split them."""
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
    """Lock, snapshot, run the block; on any exception or interrupt, restore and re-raise."""
    files = [Path(p) for p in paths]
    directory = lock_dir if lock_dir is not None else files[0].parent
    with project_lock(directory, timeout=timeout, on_wait=on_wait), interrupts_as_exceptions():
        snapshot = Snapshot.take(files)
        try:
            yield snapshot
        except BaseException:
            snapshot.restore()
            raise
