"""Benchmark `poetry platform-up --dry-run` against poetry-plugin-up's `poetry up --dry-run`.

    .venv/bin/python bench/up_vs_plugin_up.py [--packages 45,200,800] [--latency 0.1] [--runs 3]
        [--connections 4,8,16,32] [--before DIR]

One generated project (the research team's shape: main plus the groups test, cloud, dev and
cloud_dev, `--packages` dependencies spread over the five), locked once against a local
index on 127.0.0.1; then the index adds `--latency` seconds to every request and both
commands run side by side, alternating, `--runs` times each (median wall time), both with
`poetry --no-cache` so that every run asks the index. Both see every group (`poetry up`
needs `--with` for the optional ones).

The ideal for a dry run is Poetry's start-up and the command's own work (measured: the same
command with no added latency) plus the latency times the round trips that cannot overlap:
one, since every package's page can be asked for at once. Goals: platform-up at least 5x
faster than poetry-plugin-up at 45 dependencies and 20x at 800, and less CPU time per
dependency (the child's user + system time, start-up included).

`--src DIR` runs platform-up from a snapshot's `src` (PYTHONPATH), so that this checkout can
be edited meanwhile. `--connections` adds one platform-up run per value of the index
client's connections per host (POETRY_PLATFORM_CONNECTIONS_PER_HOST), `--before DIR` one
with the plugin's code from another checkout's `src` (PYTHONPATH): all alternate with the
others in the same loop, so they are measured side by side under the same load. Each also
prints its slowest run.
"""

from __future__ import annotations

import argparse
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

from tests.support import layouts  # noqa: E402
from tests.support.index import IndexServer  # noqa: E402
from tests.support.project import POETRY  # noqa: E402
from tests.support.project import poetry_env  # noqa: E402
from tests.support.project import run_poetry  # noqa: E402
from tests.support.project import sources_toml  # noqa: E402
from tests.support.project import write_project  # noqa: E402

GROUPS = ("main", "test", "cloud", "dev", "cloud_dev")
VERSIONS = ("1.0.0", "1.1.0", "1.2.3")
SPEED_GOALS = {45: 5.0, 800: 20.0}  # at least this many dependencies: this speed-up


def build_index(root: Path, packages: int) -> list[str]:
    names = [f"bench-pkg-{i:03d}" for i in range(packages)]
    for name in names:
        for version in VERSIONS:
            layouts.add_release(root, layouts.PYPI, name, version, requires_python=">=3.8")
    return names


def project_text(server: IndexServer, names: list[str]) -> str:
    """Main deps as PEP 508 strings; the four groups as optional Poetry groups with carets."""
    by_group: dict[str, list[str]] = {g: [] for g in GROUPS}
    for i, name in enumerate(names):
        by_group[GROUPS[i % len(GROUPS)]].append(name)
    main = ",\n".join(f'    "{n}>=1.0"' for n in by_group["main"])
    text = f"""[project]
name = "bench-up"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = [
{main},
]

[tool.poetry]
package-mode = false
"""
    for group in GROUPS[1:]:
        text += f"\n[tool.poetry.group.{group}]\noptional = true\n"
        text += f"[tool.poetry.group.{group}.dependencies]\n"
        text += "".join(f'{n} = "^1.0"\n' for n in by_group[group])
    return text + sources_toml(server)


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one command; CPU is the child's user + system time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [str(POETRY), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"poetry {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def goal_for(packages: int) -> float:
    return max((g for n, g in SPEED_GOALS.items() if packages >= n), default=5.0)


def measure(
    packages: int,
    latency: float,
    runs: int,
    work: Path,
    variants: dict[str, dict[str, str]],
    ours_env: dict[str, str] | None = None,
) -> dict[str, float]:
    """Medians for one project size: wall and CPU of both commands, requests, no-latency base;
    each of `variants` (label -> environment added) is another platform-up, run alongside."""
    names = build_index(work / "index", packages)
    with IndexServer(work / "index") as server:
        project = work / "project"
        write_project(project, project_text(server, names))
        env = {**poetry_env(work / "state"), **(ours_env or {})}
        run_poetry(["lock"], project, env)
        # --no-cache: every run asks the index (platform-up would otherwise reuse the pages
        # of the previous run for their cache lifetime; bench/up_real_index.py times that)
        ours = ["--no-cache", "platform-up", "--dry-run"]
        theirs = ["--no-cache", "up", "--dry-run", "--with", ",".join(GROUPS[1:])]
        commands = {"ours": (ours, env), "theirs": (theirs, env)}
        commands.update({label: (ours, {**env, **extra}) for label, extra in variants.items()})
        # theirs: poetry-plugin-up, whatever src platform-up runs from
        for command, command_env in commands.values():
            timed(command, project, command_env)  # warm the file system cache
        base = statistics.median(timed(ours, project, env)[0] for _ in range(runs))
        server.latency = latency
        times: dict[str, list[tuple[float, float]]] = {key: [] for key in commands}
        requests: dict[str, int] = {}
        for _ in range(runs):
            for key, (command, command_env) in commands.items():
                before = len(server.requests)
                times[key].append(timed(command, project, command_env))
                requests[key] = len(server.requests) - before
    out = {"base": base}
    for key, samples in times.items():
        out[f"{key}_wall"] = statistics.median(w for w, _ in samples)
        out[f"{key}_slowest"] = max(w for w, _ in samples)
        out[f"{key}_cpu"] = statistics.median(c for _, c in samples)
        out[f"{key}_requests"] = requests[key]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default="45,200,800", help="comma-separated sizes")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument("--connections", default="", help="comma-separated connections per host")
    parser.add_argument("--before", type=Path, help="another checkout's src, run alongside")
    parser.add_argument("--src", type=Path, help="run platform-up from this src (a snapshot)")
    args = parser.parse_args(argv)
    variants = {
        f"{n} connections": {"POETRY_PLATFORM_CONNECTIONS_PER_HOST": n.strip()}
        for n in str(args.connections).split(",")
        if n.strip()
    }
    if args.before:
        variants["before"] = {"PYTHONPATH": str(args.before.resolve())}
    ours_env = {"PYTHONPATH": str(args.src.resolve())} if args.src else {}
    sizes = [int(n) for n in str(args.packages).split(",") if n.strip()]
    if min(sizes) < 40:
        parser.error("--packages must be at least 40")

    print(
        f"{args.latency * 1000:.0f} ms added per request, median of {args.runs} alternating"
        f" runs each; {os.cpu_count()} CPUs"
    )
    ok = True
    for packages in sizes:
        work = (args.keep or Path(tempfile.mkdtemp(prefix="bench-up-"))) / str(packages)
        work.mkdir(parents=True, exist_ok=True)
        try:
            m = measure(packages, args.latency, args.runs, work, variants, ours_env)
        finally:
            if args.keep is None:
                shutil.rmtree(work.parent, ignore_errors=True)
        load = os.getloadavg()[0]
        speedup = m["theirs_wall"] / m["ours_wall"]
        goal = goal_for(packages)
        cpu_ok = m["ours_cpu"] < m["theirs_cpu"]
        ok = ok and speedup >= goal and cpu_ok
        print(
            f"  {packages:4d} deps: platform-up {m['ours_wall']:6.2f} s"
            f" (CPU {m['ours_cpu']:5.2f} s, {m['ours_cpu'] / packages * 1000:5.1f} ms/dep,"
            f" {m['ours_requests']:.0f} requests; {m['base']:.2f} s without latency)"
        )
        print(
            f"             poetry up   {m['theirs_wall']:6.2f} s"
            f" (CPU {m['theirs_cpu']:5.2f} s, {m['theirs_cpu'] / packages * 1000:5.1f} ms/dep,"
            f" {m['theirs_requests']:.0f} requests)"
        )
        print(
            f"             {speedup:5.1f}x faster (goal >= {goal:g}x), CPU per dependency"
            f" {'below' if cpu_ok else 'NOT below'} poetry up's; load average {load:.2f}"
        )
        for label in ("ours", *variants):
            print(
                f"             {label:>15}: {m[f'{label}_wall']:6.2f} s median,"
                f" {m[f'{label}_slowest']:6.2f} s slowest,"
                f" {m['theirs_wall'] / m[f'{label}_wall']:5.1f}x poetry up"
            )
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
