"""Benchmark `poetry platform-up --dry-run` against poetry-plugin-up's `poetry up --dry-run`.

    .venv/bin/python bench/up_vs_plugin_up.py [--packages 60] [--latency 0.1] [--runs 5]

One generated project (the research team's shape: main plus the groups test, cloud, dev and
cloud_dev, `--packages` dependencies spread over the five), locked once against a local
index on 127.0.0.1; then the index adds `--latency` seconds to every request and both
commands run side by side, alternating, `--runs` times each (median wall time). Both see
every group (`poetry up` needs `--with` for the optional ones).

The ideal for a dry run is Poetry's start-up and the command's own work (measured: the same
command with no added latency) plus the latency times the round trips that cannot overlap:
one, since every package's page can be asked for at once. Goals: platform-up at least 5x
faster than poetry-plugin-up, and within 2x of that ideal.
"""

from __future__ import annotations

import argparse
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
SPEED_GOAL = 5.0
IDEAL_GOAL = 2.0


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


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [str(POETRY), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"poetry {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.packages < 40:
        parser.error("--packages must be at least 40")

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-up-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        names = build_index(work / "index", args.packages)
        with IndexServer(work / "index") as server:
            project = work / "project"
            write_project(project, project_text(server, names))
            env = poetry_env(work / "state")
            run_poetry(["lock"], project, env)
            ours = ["platform-up", "--dry-run"]
            theirs = ["up", "--dry-run", "--with", ",".join(GROUPS[1:])]

            # no added latency: start-up and the command's own work
            for command in (ours, theirs):
                timed(command, project, env)  # warm the file system cache
            base_ours = statistics.median(timed(ours, project, env) for _ in range(args.runs))
            base_theirs = statistics.median(timed(theirs, project, env) for _ in range(args.runs))

            server.latency = args.latency
            times: dict[str, list[float]] = {"ours": [], "theirs": []}
            requests: dict[str, int] = {}
            for _ in range(args.runs):
                for key, command in (("ours", ours), ("theirs", theirs)):
                    before = len(server.requests)
                    times[key].append(timed(command, project, env))
                    requests[key] = len(server.requests) - before
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    t_ours = statistics.median(times["ours"])
    t_theirs = statistics.median(times["theirs"])
    ideal = base_ours + 1 * args.latency
    ideal_theirs = base_theirs + requests["theirs"] * args.latency
    speedup = t_theirs / t_ours
    over_ideal = t_ours / ideal
    print(
        f"{args.packages} dependencies in {len(GROUPS)} groups, {args.latency * 1000:.0f} ms added"
        f" per request, median of {args.runs} runs each (alternating)"
    )
    print(f"  poetry platform-up --dry-run     {t_ours:6.2f} s  ({requests['ours']} requests)")
    print(f"  poetry up --dry-run --with ...   {t_theirs:6.2f} s  ({requests['theirs']} requests)")
    print(f"  speed-up                         {speedup:6.1f}x  (goal >= {SPEED_GOAL:g}x)")
    print(
        f"  ideal for platform-up            {ideal:6.2f} s  = {base_ours:.2f} s without latency"
        f" + 1 round trip x {args.latency * 1000:.0f} ms"
    )
    print(f"  platform-up / ideal              {over_ideal:6.2f}x  (goal <= {IDEAL_GOAL:g}x)")
    print(
        f"  (poetry-plugin-up's own ideal    {ideal_theirs:6.2f} s  = {base_theirs:.2f} s"
        f" + {requests['theirs']} sequential round trips)"
    )
    ok = speedup >= SPEED_GOAL and over_ideal <= IDEAL_GOAL
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
