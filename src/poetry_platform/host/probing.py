"""The one failure rule of every host probe, and the bounded ways probes run things.

A probe returns facts or raises `ProbeError`, whose message becomes its log line
("nvidia-smi: timed out after 2.0 s"). A missing library or tool, an error code, a
timeout and an unreadable answer are all the same to the chain: note it, try the next
probe. Every way to run something here is bounded in time, so a hanging driver or tool
cannot hang a command: in-process calls run in a daemon thread that is abandoned on
timeout; tools run in their own process group, which is killed on timeout.

Records in the detection modules are NamedTuples, not dataclasses: creating the class costs
about 0.1 ms instead of 0.8 ms, and all of detection has a 20 ms budget.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING
from typing import NamedTuple
from typing import TypeVar

if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable
    from collections.abc import Mapping
    from collections.abc import Sequence

T = TypeVar("T")


class ProbeError(Exception):
    """The probe has no answer; the message says why, for the log.

    Internal to `host/`: every probe runs under `attempt`, which turns it into a log line,
    so it never reaches the user and is no `PlatformError`."""


def attempt(name: str, probe: Callable[[], T], log: list[str]) -> T | None:
    """Run one probe under the failure rule: any failure is a log line, never a crash."""
    try:
        return probe()
    except ProbeError as e:
        log.append(f"{name}: {e}")
    except Exception as e:  # a probe must never break the command that asked
        log.append(f"{name}: ignored, {type(e).__name__}: {e}")
    return None


def seconds(timeout: float) -> str:
    return repr(float(timeout))


def in_thread(fn: Callable[[], T], timeout: float) -> T:
    """`fn()` in a daemon thread; past `timeout` the thread is abandoned, not waited for.

    ctypes releases the GIL around foreign calls, so a driver call that never returns
    blocks only its own thread.
    """
    outcome: list[tuple[bool, object]] = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as e:  # handed to the caller below
            outcome.append((False, e))

    thread = threading.Thread(target=target, name="poetry-platform-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise ProbeError(f"timed out after {seconds(timeout)} s")
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]


class ToolRun(NamedTuple):
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def first_line(self) -> str:
        """The first non-blank line of output, to quote a tool's own error message."""
        for line in (self.stderr + "\n" + self.stdout).splitlines():
            if line.strip():
                return line.strip()
        return "no output"


def run_tools(
    argvs: Sequence[Sequence[str]], *, timeout: float, env: Mapping[str, str]
) -> list[ToolRun]:
    """Run the commands side by side, all of them within one deadline of `timeout`."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for argv in argvs:
            try:
                proc = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=dict(env),
                    start_new_session=os.name == "posix",
                )
            except OSError as e:
                raise ProbeError(f"cannot run {argv[0]}: {e.strerror or e}") from None
            procs.append(proc)
        deadline = time.monotonic() + timeout
        runs = []
        for proc, argv in zip(procs, argvs, strict=True):
            try:
                out, err = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise ProbeError(f"timed out after {seconds(timeout)} s") from None
            runs.append(ToolRun(tuple(argv), proc.returncode, _text(out), _text(err)))
        return runs
    finally:
        for proc in procs:
            _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the tool and whatever it started (a `sleep` in a wrapper script holds the pipes)."""
    if proc.poll() is None:
        try:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except OSError:
            pass  # already gone
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1.0)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def resolve_library(name: str, environ: Mapping[str, str]) -> str:
    """The file `dlopen(name)` would load first, looking in `environ`'s LD_LIBRARY_PATH.

    The dynamic loader reads LD_LIBRARY_PATH once, when the process starts; looking there
    ourselves makes a caller's `environ` count too. Anything else is left to the loader.
    """
    if "/" in name:
        return name
    for folder in environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        candidate = Path(folder) / name
        if folder and candidate.is_file():
            return str(candidate)
    return name


def load_library(name: str) -> ctypes.CDLL:
    """dlopen by soname or path. Never `ctypes.util.find_library`: it runs ldconfig or gcc."""
    import ctypes

    try:
        return ctypes.CDLL(name)
    except OSError as e:
        text = str(e)
        if "no such file" in text.lower() or "not found" in text.lower():
            raise ProbeError(f"{name} not found") from None
        raise ProbeError(f"cannot load {name}: {text}") from None
