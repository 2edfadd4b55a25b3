"""Lock each example against the real index and run `platform-check --strict` on its targets.

The tests run against a local index; this script asks the real one whether the examples tell
the truth: that every target's install set exists, has a wheel for the target and delivers
each variant's accelerator (docs/check.md quotes its output). It is not part of CI: it needs
the network and takes minutes.

Each scenario is copied into a temporary directory and locked there through a temporary
legacy source at PyPI's simple index: some networks let only the simple index through (not
the per-version JSON Poetry's built-in PyPI repository reads), and a legacy source reads it
fine. The index URL is asked of pip at run time, so no registry address is written anywhere
(see scripts/lock_self.py). Nothing in the repository is modified.

Scenarios:
  jax             examples/jax as shipped
  jax-old-floor   examples/jax with the floor it had before (jax>=0.6.2, Python >=3.10):
                  must FAIL the CUDA 13 target on the Pythons whose locked jax lacks the extra
  jax-old-floor-fix  jax>=0.6.2 on Python >=3.10,<3.14 with CUDA 13 targets on 3.11-3.13:
                  `platform-check --fix` must apply a fix that locks, then every target passes
  research-team   examples/research-team as shipped
  torch-pypi      torch taken from PyPI with no variants declared: the inferred `cpu`
                  variant pulls the CUDA build and its nvidia-* wheels on Linux (a warning;
                  --strict fails)
  torch-pypi-cuda-fix  torch from PyPI in a cu130 extra, a Linux CUDA target: Poetry locks two
                  entries of nvidia-cublas and nvidia-cuda-nvrtc for Linux; `platform-check
                  --fix` must pin the versions cuda-toolkit pins, then the target passes

Usage: .venv/bin/python scripts/check_examples_real.py [SCENARIO ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
SOURCE_NAME = "check-examples-simple-index"
POETRY = Path(sys.executable).parent / "poetry"


def simple_index_url() -> str:
    from pip._internal.models.index import PyPI

    url: str = PyPI.simple_url
    return url


def _edit(pyproject: Path, change: Callable[[Any], None]) -> None:
    import tomlkit

    doc = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    change(doc)
    pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _add_source(doc: Any, url: str) -> None:
    poetry = doc.setdefault("tool", {}).setdefault("poetry", {})
    if poetry.get("source"):
        raise SystemExit("check_examples_real.py: the scenario declares its own sources")
    import tomlkit

    sources = tomlkit.aot()
    sources.append({"name": SOURCE_NAME, "url": url, "priority": "primary"})
    poetry["source"] = sources


def _old_floor(doc: Any) -> None:
    """examples/jax as it shipped before issue 10: jax>=0.6.2 on Python >=3.10."""
    project = doc["project"]
    project["requires-python"] = ">=3.10,<4.0"
    project["dependencies"] = ["jax>=0.6.2"]
    extras = project["optional-dependencies"]
    for name in list(extras):
        extras[name] = [f"jax[{name}]>=0.6.2 ; sys_platform == 'linux'"]
    for target in doc["tool"]["poetry-platform"]["target"]:
        target["python"] = ["3.10", *target["python"]]


def _old_floor_fix(doc: Any) -> None:
    """Issue 20's case for `platform-check --fix`: jax>=0.6.2 on Python >=3.10,<3.14, CUDA 13
    targets on 3.11-3.13 (the Pythons a jax with the extra supports), the others on 3.10-3.13."""
    _old_floor(doc)
    doc["project"]["requires-python"] = ">=3.10,<3.14"
    for target in doc["tool"]["poetry-platform"]["target"]:
        low = "3.11" if target["variant"] == "cuda13" else "3.10"
        target["python"] = [p for p in ("3.10", "3.11", "3.12", "3.13") if p >= low]


def _linux_target(name: str, variant: str) -> str:
    return f"""
[[tool.poetry-platform.target]]
name = "{name}"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
glibc = "2.28"
variant = "{variant}"
"""


def _torch_project(name: str, tables: str) -> Callable[[Path], None]:
    """A PyTorch project taking torch from PyPI: `tables` are its own lines after the name."""

    def write(directory: Path) -> None:
        text = f'[project]\nname = "{name}"\nversion = "0.1.0"\n'
        text += 'requires-python = ">=3.10,<3.15"\n' + tables
        (directory / "pyproject.toml").write_text(text, encoding="utf-8")

    return write


_torch_pypi = _torch_project(
    "torch-from-pypi",
    'dependencies = ["torch>=2.9"]\n\n[tool.poetry]\npackage-mode = false\n'
    + _linux_target("ci-cpu", "cpu")
    + """
[[tool.poetry-platform.target]]
name = "mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
macos = "14.0"
variant = "cpu"
""",
)
_torch_pypi_cuda_fix = _torch_project(
    "torch-cuda-from-pypi",
    'dependencies = ["einops>=0.8"]\n\n[project.optional-dependencies]\n'
    "cu130 = [\"torch>=2.9 ; sys_platform == 'linux'\"]\n\n"
    "[tool.poetry]\npackage-mode = false\n" + _linux_target("gpu", "cu130"),
)


def _copy_example(name: str) -> Callable[[Path], None]:
    def copy(directory: Path) -> None:
        source = ROOT / "examples" / name
        for item in source.iterdir():
            if item.name in ("poetry.lock", ".venv"):
                continue
            if item.is_dir():
                shutil.copytree(item, directory / item.name)
            else:
                shutil.copy2(item, directory / item.name)

    return copy


SCENARIOS: dict[str, tuple[Callable[[Path], None], Callable[[Any], None] | None]] = {
    "jax": (_copy_example("jax"), None),
    "jax-old-floor": (_copy_example("jax"), _old_floor),
    "jax-old-floor-fix": (_copy_example("jax"), _old_floor_fix),
    "research-team": (_copy_example("research-team"), None),
    "torch-pypi": (_torch_pypi, None),
    "torch-pypi-cuda-fix": (_torch_pypi_cuda_fix, None),
}


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "POETRY_NO_INTERACTION": "1",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "POETRY_VIRTUALENVS_CREATE": "false",
            "POETRY_CACHE_DIR": str(cache),
            "NO_COLOR": "1",
        }
    )
    return env


def run_scenario(name: str, work: Path, url: str, cache: Path) -> int:
    setup, change = SCENARIOS[name]
    directory = work / name
    directory.mkdir(parents=True)
    setup(directory)
    pyproject = directory / "pyproject.toml"
    if change is not None:
        _edit(pyproject, change)
    _edit(pyproject, lambda doc: _add_source(doc, url))
    env = _env(cache)

    print(f"## {name}\n")
    start = time.monotonic()
    lock = subprocess.run(
        [str(POETRY), "lock"], cwd=directory, env=env, capture_output=True, text=True
    )
    took = time.monotonic() - start
    if lock.returncode != 0:
        print(f"poetry lock FAILED ({took:.0f} s):\n{lock.stderr.strip()}\n")
        return 1
    output = (lock.stdout + lock.stderr).splitlines()
    warnings = [line for line in output if "warning" in line.lower() or "extra" in line.lower()]
    print(f"$ poetry lock   # {took:.0f} s, lines about warnings or extras: {len(warnings)}")
    for line in warnings:
        print(f"  {line.strip()}")
    if name.endswith("-fix"):
        fixed = subprocess.run(
            [str(POETRY), "platform-check", "--fix"],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
        )
        print(f"$ poetry platform-check --fix   # exit {fixed.returncode}")
        print((fixed.stdout + fixed.stderr).rstrip() + "\n")
        locked = subprocess.run(
            [str(POETRY), "check", "--lock"], cwd=directory, env=env, capture_output=True, text=True
        )
        print(f"$ poetry check --lock   # exit {locked.returncode}\n")
    check = subprocess.run(
        [str(POETRY), "platform-check", "--strict"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
    )
    print(f"$ poetry platform-check --strict   # exit {check.returncode}")
    print((check.stdout + check.stderr).rstrip())
    report = subprocess.run(
        [str(POETRY), "platform-check", "--strict", "--json"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
    )
    print("\nsummary:")
    for target in json.loads(report.stdout)["targets"]:
        missing = target["missing_accelerator"]
        forbidden = [f["package"] for f in target["forbidden_packages"]]
        jax = next((p["version"] for p in target["packages"] if p["name"] == "jax"), None)
        line = f"  {target['name']} Python {target['python']}: {'OK' if target['ok'] else 'FAILED'}"
        if jax:
            line += f", jax {jax}"
        if missing:
            line += f", missing accelerator ({missing['rule']})"
        if forbidden:
            line += f", forbidden: {', '.join(forbidden)}"
        print(line)
    print()
    return check.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)}")
    parser.add_argument("--keep", type=Path, help="lock into this directory and keep it")
    args = parser.parse_args(argv)
    names = args.scenarios or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    url = simple_index_url()
    codes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="check-examples-") as tmp:
        work = args.keep or Path(tmp)
        cache = Path(tmp) / "poetry-cache"
        for name in names:
            codes[name] = run_scenario(name, work, url, cache)
    print("## exit codes of platform-check --strict")
    for name, code in codes.items():
        print(f"  {name}: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
