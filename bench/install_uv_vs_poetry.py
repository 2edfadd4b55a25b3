"""Benchmark `poetry platform-install --installer uv` against `poetry install`, side by side.

    .venv/bin/python bench/install_uv_vs_poetry.py [--rounds 3] [--modes warm,cold,noop]
                                                   [--no-floor] [--default]

The environment is the issue's: ~90 real wheels (JAX, SciPy, pandas, dask[complete], pytest,
IPython, ...) that `pip download` fetches once into bench/.cache/wheels (git-ignored, reused
by later runs), served by the test suite's local index on 127.0.0.1 and locked once by Poetry.
Each timed run installs the whole lock into a fresh, empty virtualenv (created before the
clock starts), with
  - warm caches: Poetry's artifact cache and uv's cache filled by an earlier run;
  - cold caches: both emptied just before the run (every file is downloaded again);
  - noop: into the environment the same command has just filled (nothing to do: what every
    later `platform-install` costs).
With --default the plugin runs as users get it: `platform-install` without --installer
(`installer = "auto"`, which takes uv here: the bench venv has the `uv` package), and Poetry's
side is `platform-install --installer poetry` (so both pay the plugin's own work).
The installers take turns within a round, so drift in the machine's speed hits all alike, and
each timed run starts after `sync`, so the previous run's pending writes are not its cost.
Prints the medians of wall time and of CPU time (user + system of the command and its
children: steadier than wall time on a shared machine), the ratio uv installer / poetry
(goals: <= 0.12 warm, <= 0.45 cold), `uv pip install --no-deps` of the same pins alone as the
floor, and whether both installers left identical environments (names, versions, installed
files' hashes; console scripts by name, as each installer writes its own launcher).

To measure another checkout of the plugin, run with PYTHONPATH=<checkout>/src.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.index import IndexServer  # noqa: E402
from tests.support.project import POETRY  # noqa: E402
from tests.support.project import poetry_env  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
GOALS = {"warm": 0.12, "cold": 0.45, "noop": 1.0}  # issue 13; noop: no slower than Poetry
# The environment: the research team's main dependencies plus test and dev tools.
REQUIREMENTS = (
    "jax",
    "jaxlib",
    "numpyro",
    "scipy",
    "pandas",
    "dask[complete]",
    "boto3",
    "pynvml",
    "networkx",
    "scikit-learn",
    "matplotlib",
    "requests",
    "pydantic",
    "pytest",
    "pytest-xdist",
    "hypothesis",
    "ipython",
    "ruff",
    "mypy",
)
# Files uv and Poetry write about the installation itself rather than the package's content.
BOOKKEEPING = frozenset({"INSTALLER", "REQUESTED", "RECORD", "uv_cache.json"})
SCRIPTS = "../../../bin/"
PY_TAG = f"{sys.version_info[0]}.{sys.version_info[1]}"


def normalize(name: str) -> str:
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


# setup -----------------------------------------------------------------------------------------
def fetch_wheels(directory: Path) -> list[Path]:
    """`pip download` the environment once; a stamp records what the directory holds."""
    stamp = directory / ".stamp"
    want = json.dumps({"requirements": REQUIREMENTS, "python": PY_TAG, "platform": sys.platform})
    if not (stamp.exists() and stamp.read_text() == want):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        print(f"fetching wheels into {directory} (once) ...", flush=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "-qq", "--disable-pip-version-check"),
                *("--only-binary", ":all:", "-d", str(directory), *REQUIREMENTS),
            ],
            check=True,
        )
        stamp.write_text(want)
    return sorted(directory.glob("*.whl"))


def build_index(wheels: list[Path], root: Path) -> None:
    """`<root>/pypi/<project>/<file>`, hard links to the downloaded wheels."""
    index = root / "pypi"
    shutil.rmtree(root, ignore_errors=True)
    for wheel in wheels:
        project = index / normalize(wheel.name.split("-")[0])
        project.mkdir(parents=True, exist_ok=True)
        os.link(wheel, project / wheel.name)


def write_project(directory: Path, wheels: list[Path], url: str) -> None:
    """A package depending on every top-level requirement, Linux and this Python only.

    The markers keep Poetry from resolving the Windows and macOS branches of the tree,
    whose wheels `pip download` did not fetch.
    """
    marker = "sys_platform == 'linux' and platform_system == 'Linux'"
    pins = {normalize(w.name.split("-")[0]): w.name.split("-")[1] for w in wheels}
    deps = []
    for requirement in REQUIREMENTS:
        name, _, extras = requirement.partition("[")
        version = pins[normalize(name)]
        extra = f"[{extras}" if extras else ""
        deps.append(f'    "{name}{extra}=={version} ; {marker}",')
    text = f"""[project]
name = "benchapp"
version = "0.1.0"
requires-python = ">={PY_TAG},<{sys.version_info[0]}.{sys.version_info[1] + 1}"
dependencies = [
{chr(10).join(deps)}
]

[tool.poetry]
packages = [{{ include = "benchapp" }}]

[[tool.poetry.source]]
name = "local"
url = "{url}/pypi/simple/"
priority = "primary"
"""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "benchapp").mkdir(exist_ok=True)
    (directory / "benchapp" / "__init__.py").write_text("")
    pyproject = directory / "pyproject.toml"
    if not pyproject.exists() or pyproject.read_text() != text:
        pyproject.write_text(text)
        (directory / "poetry.lock").unlink(missing_ok=True)


# measuring -------------------------------------------------------------------------------------
def fresh_venv(project: Path) -> None:
    shutil.rmtree(project / ".venv", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(project / ".venv")], check=True)


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(args)}` failed:\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def snapshot(project: Path) -> dict[str, set[tuple[str, str]]]:
    """dist-info name -> (path, hash) rows of its RECORD, bookkeeping files left out."""
    found: dict[str, set[tuple[str, str]]] = {}
    for record in (project / ".venv").glob("lib/python*/site-packages/*.dist-info/RECORD"):
        dist = record.parent.name
        if dist.startswith(("pip-", "setuptools-", "benchapp-")):
            continue
        with record.open(newline="", encoding="utf-8") as f:
            rows = {
                # console scripts by name: each installer writes its own launcher template
                (row[0], "" if row[0].startswith(SCRIPTS) else row[1])
                for row in csv.reader(f)
                if row
                and row[0].rsplit("/", 1)[-1] not in BOOKKEEPING
                and "__pycache__" not in row[0]
            }
        found[dist] = rows
    return found


def clear_caches(env: dict[str, str]) -> None:
    for key in ("POETRY_CACHE_DIR", "UV_CACHE_DIR"):
        shutil.rmtree(env[key], ignore_errors=True)


def raw_uv_args(project: Path, installed: dict[str, set[tuple[str, str]]], url: str) -> list[str]:
    """uv alone, the issue's reference: the same pins, --no-deps, straight from the index."""
    pins = sorted("==".join(dist.removesuffix(".dist-info").split("-", 1)) for dist in installed)
    requirements = project / "raw-uv-requirements.txt"
    requirements.write_text("\n".join(pins) + "\n")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    python = project / ".venv" / "bin" / "python"
    args = [uv, "pip", "install", "--python", str(python), "--no-deps"]
    return [*args, "--index-url", f"{url}/pypi/simple/", "-r", str(requirements)]


def report(modes: list[str], runs: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
    def median(mode: str, who: str, i: int) -> float:
        return statistics.median(r[i] for r in runs[(mode, who)])

    print("\nmedians, fresh venv, local index on 127.0.0.1 (wall s / CPU s):")
    header = f"  {'caches':6} {'poetry install':>16} {'--installer uv':>16} {'ratio':>12}"
    print(f"{header} {'goal':>5} {'uv alone':>16} {'vs uv alone':>12}")
    for mode in modes:
        poetry = [median(mode, "poetry", i) for i in (0, 1)]
        uv = [median(mode, "uv", i) for i in (0, 1)]
        raw = [median(mode, "uv-alone", i) for i in (0, 1)] if (mode, "uv-alone") in runs else []
        ratio = [u / p for u, p in zip(uv, poetry, strict=True)]
        verdict = "ok" if ratio[0] <= GOALS[mode] else "MISSED"
        cells = [f"{a:7.2f} /{b:6.2f}" for a, b in (poetry, uv, *([raw] if raw else []))]
        print(
            f"  {mode:6} {cells[0]:>16} {cells[1]:>16} {ratio[0]:5.3f} /{ratio[1]:5.3f}"
            f" {GOALS[mode]:>5} {verdict:6} {cells[2] if raw else '':>16}"
            + (f" {uv[0] / raw[0]:5.2f} /{uv[1] / raw[1]:5.2f}" if raw else "")
        )
    print("  ratio = uv installer / poetry install (wall / CPU); uv alone: `uv pip install")
    print("  --no-deps` of the same pins from the same index, without Poetry (the floor);")
    print("  vs uv alone = uv installer / uv alone (wall / CPU): what Poetry's part adds.")
    for mode in modes:
        if (mode, "uv-base") in runs:
            base = [median(mode, "uv-base", i) for i in (0, 1)]
            ratio = [b / median(mode, "poetry", i) for i, b in enumerate(base)]
            print(
                f"  {mode}: --installer uv of --baseline-src: {base[0]:.2f} /{base[1]:6.2f}"
                f", ratio {ratio[0]:.3f} /{ratio[1]:.3f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="warm,cold")
    parser.add_argument("--port", type=int, default=38419, help="fixed: the lock names the URL")
    parser.add_argument("--no-floor", action="store_true", help="skip `uv pip install` alone")
    parser.add_argument(
        "--default",
        action="store_true",
        help="platform-install without --installer (auto: uv) vs --installer poetry",
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also time `--installer uv` of another checkout's src/ (e.g. before a change), "
        "in the same rounds, with Poetry state of its own",
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]

    wheels = fetch_wheels(CACHE / "wheels")
    build_index(wheels, CACHE / "index")
    project = CACHE / "project"
    state = CACHE / "state"
    env = poetry_env(state)
    env["POETRY_INSTALLER_RE_RESOLVE"] = "false"
    if os.environ.get("PYTHONPATH"):  # to measure another checkout of the plugin
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    commands = {
        "poetry": [str(POETRY), "install"],
        "uv": [str(POETRY), "platform-install", "--installer", "uv"],
    }
    envs = dict.fromkeys(commands, env)
    if args.default:
        commands["poetry"] = [str(POETRY), "platform-install", "--installer", "poetry"]
        commands["uv"] = [str(POETRY), "platform-install"]
        envs["uv"] = {k: v for k, v in env.items() if k != "POETRY_PLATFORM_INSTALLER"}
    if args.baseline_src:
        commands["uv-base"] = commands["uv"]
        envs["uv-base"] = {
            **poetry_env(CACHE / "state-baseline"),
            "POETRY_INSTALLER_RE_RESOLVE": "false",
            "PYTHONPATH": str(args.baseline_src.resolve()),
        }
    with IndexServer(CACHE / "index", port=args.port) as server:
        write_project(project, wheels, server.url)
        if not (project / "poetry.lock").exists():
            print("locking the bench project (once) ...", flush=True)
            lock_env = {**env, "POETRY_CACHE_DIR": str(state / "lock-cache")}
            subprocess.run([str(POETRY), "lock"], cwd=project, env=lock_env, check=True)
        packages = (project / "poetry.lock").read_text().count("[[package]]")
        print(f"{packages} locked packages, {len(wheels)} wheels, Python {PY_TAG}", flush=True)
        print(f"load average at start: {os.getloadavg()[0]:.2f}\n", flush=True)

        # Untimed: fills every cache and takes each installer's snapshot.
        snapshots: dict[str, dict[str, set[tuple[str, str]]]] = {}
        for installer in commands:
            fresh_venv(project)
            timed(commands[installer], project, envs[installer])
            snapshots[installer] = snapshot(project)
        if not args.no_floor:
            commands["uv-alone"] = raw_uv_args(project, snapshots["uv"], server.url)
            envs["uv-alone"] = env
            fresh_venv(project)
            timed(commands["uv-alone"], project, env)

        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for position, mode in enumerate(modes):
            if mode == "warm" and position > 0:  # after cold runs: fill the caches again
                for name, command in commands.items():
                    fresh_venv(project)
                    timed(command, project, envs[name])
            for round_ in range(args.rounds):
                order = list(commands)
                order = order[round_ % len(order) :] + order[: round_ % len(order)]
                for installer in order:
                    fresh_venv(project)
                    if mode == "noop":  # filled by the same command, untimed
                        timed(commands[installer], project, envs[installer])
                    if mode == "cold":
                        clear_caches(envs[installer])
                    # The previous run's writes (a 1.1 GB environment, a cache) reach the disk
                    # now, not during this run: on a small VM they otherwise slow the next run.
                    os.sync()
                    wall, cpu = timed(commands[installer], project, envs[installer])
                    runs.setdefault((mode, installer), []).append((wall, cpu))
                    if installer in snapshots:
                        snapshots[installer] = snapshot(project)
                    line = f"  {mode:4} round {round_ + 1} {installer:8} {wall:7.2f} s"
                    print(f"{line} wall {cpu:7.2f} s CPU", flush=True)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")

    report(modes, runs)
    same = snapshots.get("poetry") == snapshots.get("uv")
    print(
        "\nidentical environments (names, versions, hashes of installed files; console scripts"
        f" by name): {'yes' if same else 'NO'}"
    )
    if not same:
        for dist in sorted(set(snapshots["poetry"]) ^ set(snapshots["uv"])):
            print(f"  only one side: {dist}")
        for dist in sorted(set(snapshots["poetry"]) & set(snapshots["uv"])):
            diff = snapshots["poetry"][dist] ^ snapshots["uv"][dist]
            if diff:
                print(f"  {dist}: {sorted(diff)[:4]}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
