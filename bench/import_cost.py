"""What the plugin costs every `poetry` command: `poetry --version` with it installed vs without.

    .venv/bin/python bench/import_cost.py [--runs 41] [--warmup 3]

Poetry loads every application plugin before it runs any command (`--version` included), so
the plugin's import and `activate()` are paid by all of them. Two virtualenvs are built the
way pipx builds one, with the Poetry version pinned in poetry.lock; they differ only in the
plugin's wheel (freshly made by `poetry build`) installed in one of them. `poetry --version` is
then run alternately in each (order shuffled per round, after warm-up), and the medians and
their ratio are printed. Goal: ratio <= 1.03.

The venvs are kept in bench/.cache/ between runs (only the plugin wheel is reinstalled); pip
fetches Poetry the first time.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomlkit

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "import-cost"
GOAL = 1.03
# The plugin's own share, measured inside Poetry's process: load the entry point (imports the
# module) and activate it on a real Application. Entry-point discovery is left out: Poetry
# scans entry points whether or not any plugin is installed.
IN_PROCESS = """
import importlib.metadata, time
from poetry.console.application import Application
app = Application()
(ep,) = [e for e in importlib.metadata.entry_points(group="poetry.application.plugin")
         if e.name == "platform"]
start = time.perf_counter()
ep.load()().activate(app)
print(time.perf_counter() - start)
"""


def locked_poetry_version() -> str:
    lock = tomlkit.parse((ROOT / "poetry.lock").read_text(encoding="utf-8")).unwrap()
    (version,) = {p["version"] for p in lock["package"] if p["name"] == "poetry"}
    return str(version)


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--quiet", *args], check=True)


def make_venv(path: Path, poetry_version: str) -> Path:
    """A venv holding only Poetry, as pipx makes it (no pip of its own); reused when present."""
    python = path / "bin" / "python"
    stamp = path / ".poetry-version"
    if not (stamp.exists() and stamp.read_text() == poetry_version):
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
        pip("--python", str(python), "install", f"poetry=={poetry_version}")
        stamp.write_text(poetry_version)
    return path


def build_wheel(out: Path) -> Path:
    poetry = Path(sys.executable).parent / "poetry"
    subprocess.run(
        [str(poetry), "build", "--format", "wheel", "--output", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def time_once(poetry: Path, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run; CPU time suffers less from a busy
    machine, wall time is what the user waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [str(poetry), "--version"], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=41, help="timed runs per venv")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per venv first")
    args = parser.parse_args(argv)

    version = locked_poetry_version()
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
    without = make_venv(CACHE / f"without-{tag}", version)
    with_plugin = make_venv(CACHE / f"with-{tag}", version)
    with tempfile.TemporaryDirectory(prefix="import-cost-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "dist")
        python = str(with_plugin / "bin" / "python")
        pip("--python", python, "install", "--no-deps", "--force-reinstall", str(wheel))

        # Same state for both: empty Poetry config/cache, no project in the working directory.
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(work),
            "POETRY_CONFIG_DIR": str(work / "config"),
            "POETRY_CACHE_DIR": str(work / "cache"),
            "POETRY_DATA_DIR": str(work / "data"),
            "NO_COLOR": "1",
        }
        poetry = {"without": without / "bin" / "poetry", "with": with_plugin / "bin" / "poetry"}
        check = subprocess.run(
            [str(poetry["with"]), "self", "show", "plugins"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        if "poetry-platform" not in check.stdout:
            print("the plugin did not load in the 'with' venv:", check.stderr, file=sys.stderr)
            return 1

        times: dict[str, list[float]] = {"without": [], "with": []}
        cpu: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.warmup):
            for name in times:
                time_once(poetry[name], work, env)
        for _ in range(args.runs):
            order = list(times)
            random.shuffle(order)
            for name in order:
                wall, used = time_once(poetry[name], work, env)
                times[name].append(wall)
                cpu[name].append(used)

        own = [
            float(
                subprocess.run(
                    [python, "-c", IN_PROCESS], env=env, cwd=work, check=True, capture_output=True
                ).stdout
            )
            for _ in range(args.runs)
        ]

    print(f"poetry {version}, Python {sys.version.split()[0]}, {args.runs} runs each, interleaved")
    ratios = {}
    for label, samples in (("wall", times), ("cpu", cpu)):
        medians = {name: statistics.median(values) for name, values in samples.items()}
        ratios[label] = medians["with"] / medians["without"]
        for name, values in samples.items():
            q1, _, q3 = statistics.quantiles(values, n=4)
            print(
                f"  {label:>4} time, {name:>7} plugin: median {medians[name] * 1000:7.1f} ms"
                f"  (IQR {q1 * 1000:.1f}-{q3 * 1000:.1f} ms)"
            )
    for label, ratio in ratios.items():
        verdict = "meets" if ratio <= GOAL else "MISSES"
        print(f"  {label} ratio with/without: {ratio:.3f} ({verdict} goal <= {GOAL})")
    share = statistics.median(own)
    baseline = statistics.median(times["without"])
    print(
        f"  in process, plugin import + activate: median {share * 1000:.2f} ms"
        f" = {share / baseline * 100:.2f}% of `poetry --version` (wall)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
