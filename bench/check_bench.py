"""Benchmark `poetry platform-check`: a generated 320-package lock, 6 targets, no network.

    .venv/bin/python bench/check_bench.py [--packages 320] [--runs 9] [--keep DIR]

Measures, on one generated project:
  1. in process: the whole check after Poetry has loaded the project (read the lock, build
     every target's tags, select packages, pick files): the figure the goal is about;
  2. end to end: `poetry platform-check` against `poetry version` (Poetry start-up and
     project loading, nothing else), median wall time of each and the difference;
  3. no network: the command runs in a network namespace without interfaces
     (`unshare -rn`) when the kernel allows it, and, in any case, with every source pointed
     at a local port this script listens on, asserting that nothing ever connects to it.
The lock is written by Poetry's own `Locker.set_lock_data`, so it has the real format and a
content hash that matches the project (the check's freshness test passes).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOAL_S = 0.5
PYTHONS = ("cp310", "cp311", "cp312", "cp313")
PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_28_aarch64",
    "macosx_11_0_arm64",
    "macosx_10_13_x86_64",
    "win_amd64",
)
TARGETS = """
[[tool.poetry-platform.variant]]
name = "cuda13"
extras = ["cuda13"]
requires = { markers = "sys_platform == 'linux'", cuda = ">=13.0" }
[[tool.poetry-platform.variant]]
name = "cpu"

[[tool.poetry-platform.target]]
name = "mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
variant = "cpu"
groups = ["main", "test", "dev"]
macos = "14.0"
[[tool.poetry-platform.target]]
name = "mac-intel"
sys_platform = "darwin"
platform_machine = "x86_64"
python = "3.11"
variant = "cpu"
groups = ["main", "test"]
[[tool.poetry-platform.target]]
name = "gpu"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
variant = "cuda13"
groups = ["main", "cloud"]
glibc = "2.28"
[[tool.poetry-platform.target]]
name = "arm-server"
sys_platform = "linux"
platform_machine = "aarch64"
python = "3.13"
variant = "cpu"
groups = ["main", "cloud"]
glibc = "2.28"
[[tool.poetry-platform.target]]
name = "ci"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.11"
variant = "cpu"
groups = ["main", "test"]
[[tool.poetry-platform.target]]
name = "windows"
sys_platform = "win32"
platform_machine = "AMD64"
python = "3.12"
variant = "cpu"
groups = ["main", "test", "dev"]
"""


def files_for(name: str, version: str, kind: str) -> list[dict[str, str]]:
    stem = f"{name.replace('-', '_')}-{version}"
    if kind == "pure":
        names = [f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"]
    elif kind == "binary":
        names = [f"{stem}-{py}-{py}-{plat}.whl" for py in PYTHONS for plat in PLATFORMS]
        names.append(f"{stem}.tar.gz")
    elif kind == "abi3":
        names = [f"{stem}-cp39-abi3-{plat}.whl" for plat in PLATFORMS]
    elif kind == "cuda":
        names = [f"{stem}-py3-none-manylinux_2_27_x86_64.whl"]
    else:
        names = [f"{stem}.tar.gz"]
    return [{"file": n, "hash": f"sha256:{hashlib.sha256(n.encode()).hexdigest()}"} for n in names]


def generate(project: Path, count: int, source_url: str) -> None:
    """A project whose lock holds `count` packages in the shapes real locks have."""
    from poetry.core.packages.package import Package
    from poetry.core.version.markers import parse_marker
    from poetry.factory import Factory
    from poetry.packages.transitive_package_info import TransitivePackageInfo

    rng = random.Random(4)
    kinds = ["pure"] * 40 + ["binary"] * 38 + ["abi3"] * 10 + ["cuda"] * 7 + ["sdist"] * 5
    groups_pool = ["main"] * 14 + ["test"] * 3 + ["dev"] * 2 + ["cloud"]
    markers_pool = [
        "",
        "",
        "",
        'python_version < "3.12"',
        'sys_platform == "win32"',
        'platform_machine == "x86_64" or platform_machine == "AMD64"',
        'sys_platform != "emscripten"',
    ]
    specs = []
    for i in range(count):
        name = f"pkg-{i:03d}"
        kind = rng.choice(kinds)
        group = rng.choice(groups_pool)
        marker = rng.choice(markers_pool)
        if kind == "cuda":
            group, marker = "main", 'sys_platform == "linux" and extra == "cuda13"'
        specs.append(
            (
                name,
                f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
                kind,
                group,
                marker,
            )
        )

    # The first 120 are the project's own dependencies, with the markers their lock entries
    # carry (as `poetry lock` would write them); the rest stand for transitive ones.
    by_group: dict[str, list[tuple[str, str, str]]] = {
        "main": [],
        "test": [],
        "dev": [],
        "cloud": [],
    }
    cuda = []
    for name, version, kind, group, marker in specs[:120]:
        if kind == "cuda":
            cuda.append(f"\"{name}>={version} ; sys_platform == 'linux'\"")
        else:
            by_group[group].append((name, version, marker))
    deps = ",\n    ".join(
        f'"{n}>={v}' + (f" ; {m.replace(chr(34), chr(39))}" if m else "") + '"'
        for n, v, m in by_group["main"]
    )
    group_tables = "".join(
        f"\n[tool.poetry.group.{g}]\noptional = true\n[tool.poetry.group.{g}.dependencies]\n"
        + "".join(
            f"{n} = {{ version = \">={v}\", markers = '{m}' }}\n" if m else f'{n} = ">={v}"\n'
            for n, v, m in by_group[g]
        )
        for g in ("test", "dev", "cloud")
    )
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(
        f"""[project]
name = "bench-project"
version = "0.1.0"
requires-python = ">=3.10,<3.14"
dependencies = [
    {deps}
]

[project.optional-dependencies]
cuda13 = [{", ".join(cuda)}]

[tool.poetry]
package-mode = false
{group_tables}
[[tool.poetry.source]]
name = "local"
url = "{source_url}"
priority = "primary"
{TARGETS}"""
    )
    poetry = Factory().create_poetry(project)
    packages = {}
    for name, version, kind, group, marker in specs:
        package = Package(
            name,
            version,
            source_type="legacy",
            source_url=source_url,
            source_reference="local",
        )
        package.files = files_for(name, version, kind)
        package.optional = kind == "cuda"
        package.python_versions = ">=3.10"
        groups = {group} if group == "main" else {group, "main"} if rng.random() < 0.2 else {group}
        packages[package] = TransitivePackageInfo(
            0,
            set(groups),
            {g: parse_marker(marker) if marker else parse_marker("") for g in groups},
        )
    poetry.locker.set_lock_data(poetry.package, packages)


def in_process(project: Path, runs: int) -> tuple[float, float, int, int]:
    """Median seconds for loading the project, and for the whole check after it."""
    from poetry.factory import Factory

    from poetry_platform import render
    from poetry_platform.check.targets import check_target
    from poetry_platform.check.targets import plans_for
    from poetry_platform.context import project_config
    from poetry_platform.lockset.lock import binary_policy
    from poetry_platform.lockset.lock import read_lock
    from poetry_platform.lockset.lock import root_requirements

    load, check = [], []
    results = []
    for _ in range(runs):
        t0 = time.perf_counter()
        poetry = Factory().create_poetry(project)
        t1 = time.perf_counter()
        config = project_config(poetry)
        lock = read_lock(poetry)
        policy = binary_policy(poetry)
        results = []
        for target in config.targets:
            variant = config.variant(target.variant) if target.variant else None
            for plan, problem in plans_for(target, variant):
                results.append(
                    check_target(
                        plan,
                        lock,
                        requirements=root_requirements(poetry, plan.groups),
                        policy=policy,
                        python_problem=problem,
                    )
                )
        t2 = time.perf_counter()
        load.append(t1 - t0)
        check.append(t2 - t1)
        assert not lock.problems, [render.problem(p) for p in lock.problems]
    return statistics.median(load), statistics.median(check), len(lock.locked), len(results)


def walls(
    commands: list[list[str]], cwd: Path, env: dict[str, str], runs: int
) -> tuple[list[float], list[str]]:
    """Median wall time of each command, run interleaved so machine noise hits all alike."""
    times: list[list[float]] = [[] for _ in commands]
    outputs = [""] * len(commands)
    for _ in range(runs):
        for i, args in enumerate(commands):
            t0 = time.perf_counter()
            result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
            times[i].append(time.perf_counter() - t0)
            outputs[i] = result.stdout + result.stderr
            if result.returncode not in (0, 1):
                raise SystemExit(f"{' '.join(args)} exited {result.returncode}:\n{outputs[i]}")
    return [statistics.median(t) for t in times], outputs


class Tripwire:
    """A listening socket standing in for the package index: it counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/simple/"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=320)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", type=Path, help="write the project here and keep it")
    ns = parser.parse_args()

    poetry_bin = str(Path(sys.executable).parent / "poetry")
    tripwire = Tripwire()
    tmp = Path(tempfile.mkdtemp(prefix="check-bench-"))
    project = ns.keep or tmp / "project"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POETRY_")},
        "POETRY_CACHE_DIR": str(tmp / "cache"),
        "POETRY_CONFIG_DIR": str(tmp / "config"),
        "POETRY_DATA_DIR": str(tmp / "data"),
        "NO_COLOR": "1",
        "POETRY_NO_INTERACTION": "1",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("POETRY_")})
    try:
        generate(project, ns.packages, tripwire.url)
        load_s, check_s, n_packages, n_targets = in_process(project, ns.runs)
        (check_wall, base_wall), (output, _) = walls(
            [[poetry_bin, "platform-check"], [poetry_bin, "version"]], project, env, ns.runs
        )
        offline = "unshare unavailable here"
        if can_unshare():
            t0 = time.perf_counter()
            result = subprocess.run(
                ["unshare", "-rn", poetry_bin, "platform-check"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
            )
            offline_s = time.perf_counter() - t0
            same = (result.stdout + result.stderr) == output
            offline = (
                "`unshare -rn poetry platform-check` (no network interfaces): "
                f"exit {result.returncode}, {offline_s:.3f} s, "
                f"output {'identical' if same else 'DIFFERS'}"
            )
            if not same:
                raise SystemExit(f"output differs without network:\n{result.stdout}{result.stderr}")
    finally:
        tripwire.close()
        if ns.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"lock: {n_packages} packages; {n_targets} target checks")
    print(
        f"in process: project load {load_s * 1000:.0f} ms; check after load {check_s * 1000:.0f} ms"
        f" (goal < {GOAL_S * 1000:.0f} ms): {'OK' if check_s < GOAL_S else 'MISSED'}"
    )
    extra = check_wall - base_wall
    print(
        f"end to end: poetry platform-check {check_wall:.3f} s, poetry version {base_wall:.3f} s,"
        f" difference {extra:.3f} s (goal < {GOAL_S} s): {'OK' if extra < GOAL_S else 'MISSED'}"
    )
    print(f"no network: {tripwire.connections} connection(s) to the index port; {offline}")
    if tripwire.connections:
        raise SystemExit("platform-check connected to the package index")
    verdicts = [line.split("): ", 1)[1] for line in output.splitlines() if "): " in line]
    print(f"check says: {'; '.join(verdicts)}")


if __name__ == "__main__":
    main()
