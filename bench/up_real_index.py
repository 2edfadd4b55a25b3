"""`platform-up --dry-run` against `poetry up --dry-run` on the real index, research layout.

    .venv/bin/python bench/up_real_index.py [--runs 5] [--profile out.prof]
    .venv/bin/python bench/up_real_index.py --cold-only [--runs 10] [--connections N] [--src DIR]

The project is examples/research-team (main plus the optional groups test, cloud, dev and
cloud_dev; 13 constraints, one of them a list split by Python). Both commands see every
group (`poetry up` needs `--with=test,cloud,dev,cloud_dev`) and run alternately, `--runs`
times each, in two states:

- cold: a fresh Poetry cache for every run (nothing read before);
- warm: one cache shared by the runs of each tool, filled by one untimed run first.

Both reach PyPI through one temporary primary legacy source at PyPI's simple index (its URL
is taken from pip at run time and only ever written into the temporary copy): some networks
serve the simple index but not the per-version JSON that Poetry's built-in PyPI repository
reads, and the two tools then read the same pages. Wall time is the median; CPU time is the
child's user + system time. `--cold-only` runs nothing but `--runs` cold platform-up runs
(default 10) and prints each wall time, the median and the slowest: a run that stalls on one
request (a 5 s name-resolution timeout) shows there, not in a median; `--connections N` sets
the index client's connections per host (POETRY_PLATFORM_CONNECTIONS_PER_HOST), `--src DIR`
runs the plugin from another checkout's `src` (a snapshot, while this one is edited).
`poetry --version` is timed alongside: the start-up both commands pay, which bounds any
ratio; and `poetry version` (start-up plus loading the project, `Factory.create_poetry`),
which both commands pay too. `--profile` writes a cProfile of one cold platform-up.

The plugin's bytecode is compiled first: the test environment sets
PYTHONDONTWRITEBYTECODE, so an editable checkout would otherwise compile every module of
the plugin from source on every run (~60 ms), which no installed wheel does and which
Poetry and poetry-plugin-up, installed into site-packages, never pay.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.project import POETRY  # noqa: E402
from tests.support.project import poetry_env  # noqa: E402

EXAMPLE = ROOT / "examples" / "research-team"
GROUPS = "test,cloud,dev,cloud_dev"
SOURCE = "bench-simple-index"
COLD_GOAL = 2.0
WARM_GOAL = 10.0


def simple_index_url() -> str:
    from pip._internal.models.index import PyPI

    url: str = PyPI.simple_url
    return url


def make_project(dest: Path) -> Path:
    import tomlkit

    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", "poetry.lock"))
    path = dest / "pyproject.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    source = tomlkit.table()
    source.update({"name": SOURCE, "url": simple_index_url(), "priority": "primary"})
    sources = tomlkit.aot()
    sources.append(source)
    doc["tool"]["poetry"]["source"] = sources  # type: ignore[index]
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return dest


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one command; CPU is the child's user + system time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cold_only(runs: int, extra: dict[str, str]) -> int:
    """`runs` cold `platform-up --dry-run` runs, one fresh cache each: every wall time, the
    median and the slowest, with the load average before and after."""
    compileall.compile_dir(ROOT / "src" / "poetry_platform", quiet=1)  # as a wheel install
    work = Path(tempfile.mkdtemp(prefix="bench-up-real-"))
    before = os.getloadavg()
    try:
        project = make_project(work / "project")
        command = [str(POETRY), "platform-up", "--dry-run"]
        walls = [
            timed(command, project, poetry_env(work / f"cold-{run}", offline=False, extra=extra))[0]
            for run in range(runs)
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = os.getloadavg()
    median = statistics.median(walls)
    print(
        f"research-team layout, real index through a legacy source: {runs} cold"
        f" `platform-up --dry-run` runs; load average {before[0]:.2f} before,"
        f" {after[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    print(f"  {extra}")
    print("  runs: " + " ".join(f"{w:.2f}" for w in walls))
    print(
        f"  median {median:.2f} s, slowest {max(walls):.2f} s"
        f" ({max(walls) / median:.2f}x the median)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument(
        "--cold-only", action="store_true", help="only cold platform-up runs: median and slowest"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of a cold platform-up")
    parser.add_argument("--connections", type=int, help="connections per host (--cold-only)")
    parser.add_argument("--src", type=Path, help="the plugin's src directory (--cold-only)")
    args = parser.parse_args(argv)
    if args.cold_only:
        extra = {"POETRY_PLATFORM_CONNECTIONS_PER_HOST": str(args.connections or "")}
        if args.src:
            extra["PYTHONPATH"] = str(args.src.resolve())
        return cold_only(args.runs or 10, extra)
    args.runs = args.runs or 5

    compileall.compile_dir(ROOT / "src" / "poetry_platform", quiet=1)  # as a wheel install
    work = Path(tempfile.mkdtemp(prefix="bench-up-real-"))
    try:
        project = make_project(work / "project")
        commands = {
            "platform-up": [str(POETRY), "platform-up", "--dry-run"],
            "poetry up": [str(POETRY), "up", "--dry-run", f"--with={GROUPS}"],
            "poetry --version": [str(POETRY), "--version"],
            "poetry version": [str(POETRY), "version"],
        }
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        warm_env = {
            key: poetry_env(work / f"warm-{i}", offline=False) for i, key in enumerate(commands)
        }
        for key, command in commands.items():
            timed(command, project, warm_env[key])  # fills that tool's warm cache
        for run in range(args.runs):
            for state in ("cold", "warm"):
                for key, command in commands.items():
                    env = warm_env[key]
                    if state == "cold":
                        env = poetry_env(
                            work / f"cold-{run}-{key.replace(' ', '-')}", offline=False
                        )
                    results.setdefault((state, key), []).append(timed(command, project, env))
        if args.profile:
            env = poetry_env(work / "profile", offline=False)
            profiled = [sys.executable, "-m", "cProfile", "-o", str(args.profile.resolve())]
            timed([*profiled, *commands["platform-up"]], project, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    load = os.getloadavg()
    print(
        f"research-team layout (13 constraints, 4 optional groups), real index through a legacy"
        f" source, median of {args.runs} alternating runs; load average"
        f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )
    ok = True
    for state, goal in (("cold", COLD_GOAL), ("warm", WARM_GOAL)):
        ours = results[(state, "platform-up")]
        theirs = results[(state, "poetry up")]
        wall_ours = statistics.median(w for w, _ in ours)
        wall_theirs = statistics.median(w for w, _ in theirs)
        cpu_ours = statistics.median(c for _, c in ours)
        cpu_theirs = statistics.median(c for _, c in theirs)
        ratio = wall_theirs / wall_ours
        ok = ok and ratio >= goal
        print(
            f"  {state}: platform-up {wall_ours:5.2f} s (CPU {cpu_ours:4.2f} s)"
            f"   poetry up {wall_theirs:5.2f} s (CPU {cpu_theirs:4.2f} s)"
            f"   {ratio:4.1f}x faster (goal >= {goal:g}x)"
        )
    floor = results[("cold", "poetry --version")]
    wall_floor = statistics.median(w for w, _ in floor)
    cpu_floor = statistics.median(c for _, c in floor)
    print(f"  start-up alone (poetry --version): {wall_floor:5.2f} s (CPU {cpu_floor:4.2f} s)")
    loaded = results[("warm", "poetry version")]
    wall_load = statistics.median(w for w, _ in loaded)
    print(
        f"  start-up + project load (poetry version): {wall_load:5.2f} s"
        f" (CPU {statistics.median(c for _, c in loaded):4.2f} s)"
    )
    for state in ("cold", "warm"):
        theirs = statistics.median(w for w, _ in results[(state, "poetry up")])
        print(
            f"  {state} ceiling (platform-up doing nothing but start-up):"
            f" {theirs / wall_floor:4.1f}x; (nothing but start-up and the project load):"
            f" {theirs / wall_load:4.1f}x"
        )
    for state in ("cold", "warm"):
        above = [
            statistics.median(w for w, _ in results[(state, key)]) - wall_floor
            for key in ("platform-up", "poetry up")
        ]
        print(
            f"  {state}, above start-up: platform-up {above[0]:5.2f} s, poetry up {above[1]:5.2f} s"
            f" ({above[1] / max(above[0], 0.01):4.1f}x)"
        )
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
