"""The one deadline of a stage of index reads, and the bounded pool of threads that keeps it.

Poetry's own retries multiply its per-request timeout (an index that never answers took ~99 s
to fail); a stage of index reads (platform-up's lookups, platform-export's file URLs) has one
total budget instead, and what is not answered by then is "could not read". The threads are
daemons: a hung request must not delay an interrupted command's exit.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import TypeVar
from typing import cast

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_WORKERS = 64


def requests_timeout() -> float:
    """Poetry's per-request timeout (`POETRY_REQUESTS_TIMEOUT`, 15 s by default)."""
    try:
        value = float(os.environ.get("POETRY_REQUESTS_TIMEOUT", "15"))
    except ValueError:
        return 15.0
    return value if value > 0 else 15.0


def lookup_deadline(option: float | None = None) -> float:
    """Seconds all lookups together may take: the option, else twice Poetry's timeout.

    Poetry's own retries multiply its timeout (an index that never answers took ~99 s to
    fail); one total deadline bounds the whole phase instead.
    """
    if option is not None and option > 0:
        return option
    return 2 * requests_timeout()


def timeout_option(value: object, option: str = "--lookup-timeout") -> float | None:
    """The deadline option as typed: None when not given, else finite seconds above 0.

    `float()` accepts `nan`, `inf` and `1e999`; none of them is a deadline (`nan` compared
    false with everything and fell back to the default, `inf` waited forever), so they are
    refused like `0` and `abc`, in one line. platform-up and platform-export share it.
    """
    from poetry_platform.errors import UsageError

    if value in (None, ""):
        return None
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(
            f"{option} {value!r} is not a number of seconds above 0;"
            f" give a finite number, e.g. {option} 30."
        )
    return seconds


@dataclass(frozen=True)
class Deadline:
    """The one budget of a run's lookup stage: every page, metadata read and prefetch of
    the run is done by `at` (monotonic), `seconds` after the first page was asked for."""

    seconds: float
    at: float

    @classmethod
    def start(cls, option: float | None = None) -> Deadline:
        seconds = lookup_deadline(option)
        return cls(seconds, time.monotonic() + seconds)


def run_bounded(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = DEFAULT_WORKERS,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R]:
    """`[func(i) for i in items]` on at most `workers` daemon threads, results in order.

    The first exception is raised in the caller once every started call has finished or
    the caller is interrupted; daemon threads never keep the process alive (a hung request
    must not delay an interrupted command's exit).
    """
    return cast("list[R]", gather(func, items, workers=workers, until=None, on_done=on_done))


def gather(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = DEFAULT_WORKERS,
    until: float | None,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R | None]:
    """`[func(i) for i in items]` on daemon threads, stopping at `until` (monotonic; None:
    no deadline). Items not finished by then are None. After the first exception no new
    call starts; it is raised in the caller once the started calls have finished.
    """
    n = len(items)
    results: list[R | None] = [None] * n
    if n == 0:
        return results
    errors: list[BaseException | None] = [None] * n
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(n):
        todo.put(i)
    done: queue.SimpleQueue[int] = queue.SimpleQueue()
    stop = threading.Event()

    def in_time() -> bool:
        return until is None or time.monotonic() < until

    def worker() -> None:
        while not stop.is_set() and in_time():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = func(items[i])
            except BaseException as e:  # handed to the caller
                errors[i] = e
                stop.set()
            done.put(i)

    threads = [
        threading.Thread(target=worker, daemon=True, name=f"lookup-{k}")
        for k in range(min(workers, n))
    ]
    for t in threads:
        t.start()
    finished = 0
    try:
        while finished < n and in_time():
            if stop.is_set() and all(not t.is_alive() for t in threads):
                break
            wait = 0.1 if until is None else max(0.0, min(0.1, until - time.monotonic()))
            try:
                done.get(timeout=wait)
            except queue.Empty:
                continue
            finished += 1
            if on_done is not None:
                on_done(finished, n)
    finally:
        stop.set()
    for e in errors:
        if e is not None:
            raise e
    return results
