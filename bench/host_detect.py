"""Benchmark host detection (`detect_host`) on this machine. Goal: < 20 ms without a GPU.

    .venv/bin/python bench/host_detect.py [--runs 200] [--processes 30] [--fake-gpu]

Measures:
  1. in process, warm: `detect_host()` repeated, median and 90th percentile;
  2. first call: a fresh interpreter that has loaded Poetry's application (as every `poetry`
     command has before it runs) imports `poetry_platform.host.detect` and calls `detect_host()`
     once, timed from inside; the same in a bare interpreter, where the time is mostly
     stdlib imports (dataclasses, subprocess, pathlib...) that Poetry has already paid;
  3. end to end: `python -c` importing and detecting in a bare interpreter, against
     `python -c pass`, medians and difference;
  4. with --fake-gpu (needs gcc): the same in-process figures with a fake H100 behind NVML
     (tests/fakes/gpu.py), for scale.
Real probes run on the real machine: on a host with a GPU, (1)-(3) measure that host.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 20.0
ROOT = Path(__file__).resolve().parent.parent

FIRST_CALL = """
import time
t = time.perf_counter()
from poetry_platform.host.detect import detect_host
host = detect_host()
print((time.perf_counter() - t) * 1000)
"""
# What a `poetry` command pays: Poetry's application (and the stdlib it uses) is loaded
# before any command runs, so only our modules and the first detection are left.
IN_POETRY = "from poetry.console.application import Application\n" + FIRST_CALL


def warm_in_process(runs: int, env: dict[str, str] | None = None) -> list[float]:
    from poetry_platform.host.detect import detect_host

    detect_host(env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detect_host(env)
        times.append((time.perf_counter() - start) * 1000)
    return times


def first_calls(processes: int, env: dict[str, str], code: str = IN_POETRY) -> list[float]:
    return [float(_run([sys.executable, "-c", code], env).stdout) for _ in range(processes)]


def wall(argv: list[str], processes: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(processes):
        start = time.perf_counter()
        _run(argv, env)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=True)


def summary(times: list[float]) -> str:
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
    return f"median {statistics.median(times):6.2f} ms, p90 {p90:6.2f} ms ({len(times)} runs)"


def verdict(ms: float) -> str:
    return f"{'OK' if ms < GOAL_MS else 'OVER'} (goal < {GOAL_MS:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--processes", type=int, default=30)
    parser.add_argument("--fake-gpu", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)

    from poetry_platform.host.detect import detect_host

    host = detect_host()
    print(f"host: {host.sys_platform} {host.platform_machine}, Python {host.python_version}")
    print("probes: " + " | ".join(host.log))
    print()
    warm = warm_in_process(args.runs)
    first = first_calls(args.processes, env)
    cold = first_calls(args.processes, env, FIRST_CALL)
    detect = wall([sys.executable, "-c", FIRST_CALL], args.processes, env)
    bare = wall([sys.executable, "-c", "pass"], args.processes, env)
    print(f"in process, warm:        {summary(warm)}  {verdict(statistics.median(warm))}")
    print(f"first call, in Poetry:   {summary(first)}  {verdict(statistics.median(first))}")
    print(f"first call, bare Python: {summary(cold)}  (stdlib imports Poetry has already paid)")
    print(f"end to end, python -c:   {summary(detect)}")
    print(f"            python pass: {summary(bare)}")
    extra = statistics.median(detect) - statistics.median(bare)
    print(f"            difference:  {extra:6.2f} ms (import + detection)")

    if args.fake_gpu:
        sys.path.insert(0, str(ROOT))
        from tests.fakes.gpu import H100
        from tests.fakes.gpu import fake_gpu_env

        with tempfile.TemporaryDirectory() as folder:
            gpu_env = fake_gpu_env(Path(folder), H100, env)
            print()
            host = detect_host(gpu_env)
            print("fake H100: " + " | ".join(host.log))
            print(f"in process, warm:        {summary(warm_in_process(args.runs, gpu_env))}")
            print(f"first call, in Poetry:   {summary(first_calls(args.processes, gpu_env))}")


if __name__ == "__main__":
    main()
