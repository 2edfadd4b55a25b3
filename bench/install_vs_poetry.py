"""Benchmark `poetry platform-install` against `poetry install -E <same extras>`, side by side.

    .venv/bin/python bench/install_vs_poetry.py [--rounds 7] [--modes noop,empty]
        [--select variant|env] [--keep DIR] [--in-process]

One lock of the test suite's JAX-like layout (jax, jaxlib, the CUDA 13 plugin and its
nvidia-* wheels: 11 packages to install), served on 127.0.0.1 by the suite's IndexServer.
Both commands install the same set: `platform-install` the cuda13 variant (forced with
`--variant cuda13`, so host detection still runs in full, as on a GPU-less build machine;
or, with `--select env`, chosen through POETRY_PLATFORM_CUDA=13.0), `poetry install -E
cuda13` the same extra.
  - noop: everything is installed already; each command only finds nothing to do.
  - empty: `.venv` is deleted before each run, so each run creates the venv and installs
    everything from Poetry's artifact cache (filled by an untimed first run).
The two commands alternate within a round (order flipped every round), so drift in the
machine's speed hits both alike. Prints every run, the median wall and CPU time (user +
system of the command and its children: steadier on a busy machine), the ratio
platform-install / poetry install of the medians (goal <= 1.05) and the median of the
per-round ratios, and whether both left the same packages. `--in-process` adds the no-op
commands timed inside a fresh interpreter each (from entering the command to the end of
Poetry's installer): the plugin's own overhead is the difference, goal < 30 ms. Exit 1 when
a goal is missed.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import layouts  # noqa: E402
from tests.support.index import IndexServer  # noqa: E402
from tests.support.project import POETRY  # noqa: E402
from tests.support.project import installed  # noqa: E402
from tests.support.project import poetry_env  # noqa: E402
from tests.support.project import write_project  # noqa: E402
from tests.support.templates import jax_project  # noqa: E402

GOAL = 1.05
# The plugin's own work in a no-op install, in process: platform-install's command time
# minus `poetry install`'s (both from entering the command to the end of Poetry's installer).
PLUGIN_GOAL_MS = 30.0
# Run in a fresh interpreter per sample (a cold start, as on the command line): the command
# in process, with the time it entered the command, entered Poetry's installer and ended.
IN_PROCESS = """
import json, sys, time
from cleo.io.inputs.argv_input import ArgvInput
from cleo.io.outputs.buffered_output import BufferedOutput
from poetry.console.application import Application
from poetry.console.commands.install import InstallCommand
marks = {}
handle = InstallCommand.handle
def timed_handle(self):
    marks.setdefault("start", time.perf_counter())
    marks["poetry"] = time.perf_counter()
    code = handle(self)
    marks["end"] = time.perf_counter()
    return code
InstallCommand.handle = timed_handle
if sys.argv[1] == "platform-install":
    from poetry_platform.commands.base import PlatformCommand
    ours = PlatformCommand.handle
    def timed_ours(self):
        marks["start"] = time.perf_counter()
        return ours(self)
    PlatformCommand.handle = timed_ours
app = Application()
app.auto_exits(False)
code = app.run(ArgvInput(["poetry", *sys.argv[1:]]), BufferedOutput(), BufferedOutput())
assert code == 0, code
print(json.dumps({k: (v - marks["start"]) * 1000 for k, v in marks.items()}))
"""
EXTRA = "cuda13"
MODES = ("noop", "empty")
# command name -> (argv, environment)
Runs = dict[str, tuple[list[str], dict[str, str]]]
# command name -> one (wall, cpu) pair per round
Times = dict[str, list[tuple[float, float]]]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command and its child processes)."""
    cpu = children_cpu()
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(args)}` failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, children_cpu() - cpu


def commands(select: str, env: dict[str, str]) -> Runs:
    """Both install the cuda13 extra and nothing else."""
    platform_args = [str(POETRY), "platform-install"]
    platform_env = dict(env)
    if select == "variant":
        platform_args += ["--variant", EXTRA]  # detection still probes everything
    else:
        platform_env["POETRY_PLATFORM_CUDA"] = "13.0"
        platform_env["POETRY_PLATFORM_COMPUTE_CAPABILITY"] = "9.0"
    return {
        "poetry install": ([str(POETRY), "install", "-E", EXTRA], dict(env)),
        "platform-install": (platform_args, platform_env),
    }


def measure(project: Path, mode: str, rounds: int, runs: Runs) -> tuple[Times, dict[str, Any]]:
    times: Times = {name: [] for name in runs}
    left: dict[str, Any] = {}
    # Untimed: fill Poetry's artifact cache and the venv, compile the plugin's bytecode.
    for args, env in runs.values():
        timed(args, project, env)
    for round_ in range(rounds):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            if mode == "empty":
                shutil.rmtree(project / ".venv", ignore_errors=True)
            args, env = runs[name]
            wall, cpu = timed(args, project, env)
            times[name].append((wall, cpu))
            left[name] = installed(project)
            print(
                f"  {mode:5} round {round_ + 1:2} {name:16} {wall:6.2f} s wall {cpu:6.2f} s cpu",
                flush=True,
            )
    return times, left


def in_process(project: Path, rounds: int, runs: Runs) -> bool:
    """Median ms from entering the command to Poetry's installer ("before installer") and to
    its end ("command"), per command, cold process each; True when the plugin's overhead
    (platform-install's command minus poetry install's) meets PLUGIN_GOAL_MS."""
    import json

    samples: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    for round_ in range(rounds):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            args, env = runs[name]
            result = subprocess.run(
                [sys.executable, "-c", IN_PROCESS, *args[1:]],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise SystemExit(f"in-process {name} failed:\n{result.stderr}")
            samples[name].append(json.loads(result.stdout))
    print("\nin process, no-op, cold interpreter per run: median ms from entering the command")
    print(f"  {'':16} {'to installer':>12} {'to the end':>11}")
    ends = {}
    for name, rows in samples.items():
        before = statistics.median(r["poetry"] for r in rows)
        ends[name] = statistics.median(r["end"] for r in rows)
        print(f"  {name:16} {before:12.1f} {ends[name]:11.1f}")
    overhead = ends["platform-install"] - ends["poetry install"]
    met = overhead <= PLUGIN_GOAL_MS
    print(
        f"  plugin overhead (difference of the ends): {overhead:.1f} ms "
        f"(goal < {PLUGIN_GOAL_MS:.0f} ms): {'ok' if met else 'MISSED'}"
    )
    return met


def report(results: dict[str, tuple[Times, dict[str, Any]]]) -> bool:
    """Print the medians and ratios; True when every wall-time ratio meets the goal."""
    base_name, ours_name = "poetry install", "platform-install"
    print("\nmedians (s) of the whole command, local index on 127.0.0.1; ratio = ours / poetry's")
    print(
        f"  {'mode':6} {'':5} {base_name:>15} {ours_name:>17} {'ratio':>6}"
        f" {'paired':>7} {'goal':>5}"
    )
    met = True
    for mode, (times, _) in results.items():
        for column, label in ((0, "wall"), (1, "cpu")):
            base = [t[column] for t in times[base_name]]
            ours = [t[column] for t in times[ours_name]]
            ratio = statistics.median(ours) / statistics.median(base)
            # Per-round ratios: each pair ran back to back, so slow spells cancel out.
            paired = statistics.median(o / b for o, b in zip(ours, base, strict=True))
            verdict = ""
            if label == "wall":
                verdict = "ok" if ratio <= GOAL else "MISSED"
                met = met and ratio <= GOAL
            print(
                f"  {mode:6} {label:5} {statistics.median(base):15.3f}"
                f" {statistics.median(ours):17.3f} {ratio:6.3f} {paired:7.3f} {GOAL:>5} {verdict}"
            )
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--select",
        choices=("variant", "env"),
        default="variant",
        help="how platform-install gets cuda13: --variant (full detection runs) or the override",
    )
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="also time the no-op commands in process (the plugin's own work, goal < 30 ms)",
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(sorted(unknown))}; known: {', '.join(MODES)}")

    work = args.keep or Path(tempfile.mkdtemp(prefix="install-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = poetry_env(work / "state")
    # The plugin's modules must be read from bytecode, as in a real installation.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    project = work / "project"
    try:
        with IndexServer(layouts.build(work / "index", "jax_like")) as server:
            shutil.rmtree(project, ignore_errors=True)
            write_project(project, jax_project(server))
            subprocess.run(
                [str(POETRY), "lock"], cwd=project, env=env, check=True, capture_output=True
            )
            packages = (project / "poetry.lock").read_text().count("[[package]]")
            print(
                f"jax_like lock: {packages} packages; Python {sys.version.split()[0]}; "
                f"platform-install selects {EXTRA} by {args.select}\n",
                flush=True,
            )
            runs = commands(args.select, env)
            results = {mode: measure(project, mode, args.rounds, runs) for mode in modes}
            plugin_met = in_process(project, args.rounds, runs) if args.in_process else True
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    met = report(results)
    for mode, (_, left) in results.items():
        same = left["poetry install"] == left["platform-install"]
        count = len(left["platform-install"])
        print(f"  {mode}: both leave the same {count} packages: {'yes' if same else 'NO'}")
        if not same:
            return 2
    return 0 if met and plugin_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
