"""`platform-check` proves each variant delivers its accelerator: real `poetry lock` on the
local index, the two real-index traps of issue 10 in small (`layouts_check.jax_split`,
`layouts_check.torch_pypi`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

import pytest

from tests.support import layouts_check
from tests.support.index import IndexServer
from tests.support.layouts_check import NEWER_PYTHON
from tests.support.layouts_check import SPLIT_NEW
from tests.support.layouts_check import SPLIT_OLD
from tests.support.layouts_check import THIS_PYTHON
from tests.support.project import copy_project
from tests.support.project import poetry_env
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project
from tests.support.templates import split_project

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow


def torch_pyproject(server: IndexServer) -> str:
    return f"""[project]
name = "pypi-torch-demo"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["torch=={layouts_check.PYPI_TORCH}"]

[tool.poetry]
package-mode = false
{sources_toml(server)}
"""


def target(name: str, variant: str, pythons: list[str], **extra: str) -> str:
    platform = extra.get("platform", "linux")
    machine = "arm64" if platform == "darwin" else "x86_64"
    os_key = 'macos = "14.0"' if platform == "darwin" else 'glibc = "2.28"'
    python = json.dumps(pythons)
    return f"""
[[tool.poetry-platform.target]]
name = "{name}"
sys_platform = "{platform}"
platform_machine = "{machine}"
python = {python}
variant = "{variant}"
{os_key}
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("fidelity-index")
    layouts_check.jax_split(root)
    layouts_check.torch_pypi(root)
    with IndexServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return poetry_env(tmp_path_factory.mktemp("fidelity-poetry-state"))


@pytest.fixture(scope="module")
def locked(
    index: IndexServer, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = {}
    for name, text in (("split", split_project(index)), ("torch", torch_pyproject(index))):
        project = tmp_path_factory.mktemp(f"fidelity-{name}")
        write_project(project, text)
        run_poetry(["lock"], project, env)
        out[name] = project
    return out


def project_with(locked: dict[str, Path], tmp_path: Path, which: str, table: str) -> Path:
    project = copy_project(locked[which], tmp_path / which)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + table)
    return project


def check(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_poetry(["platform-check", *args], project, env, check=False)


def check_json(project: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    result = check(project, env, "--json", *args)
    return result.returncode, json.loads(result.stdout)


def by_python(report: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {t["python"]: t for t in report["targets"] if t["name"] == name}


def test_lock_holds_a_jax_without_the_extra(locked: dict[str, Path]) -> None:
    """The premise: Poetry locked the jax that every Python accepts, and said OK."""
    text = (locked["split"] / "poetry.lock").read_text()
    assert f'version = "{SPLIT_OLD}"' in text
    assert f'version = "{SPLIT_NEW}"' not in text
    assert "jax-cuda13-plugin" not in text


def test_cuda13_fails_that_target_only(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    table = target("gpu13", "cuda13", [THIS_PYTHON]) + target("gpu12", "cuda12", [THIS_PYTHON])
    project = project_with(locked, tmp_path, "split", table)
    code, report = check_json(project, env)
    assert code == 1
    [gpu13], [gpu12] = by_python(report, "gpu13").values(), by_python(report, "gpu12").values()
    assert not gpu13["ok"]
    assert gpu12["ok"]
    assert gpu12["missing_accelerator"] is None
    assert gpu12["accelerator"]["delivered_by"] == [f"jax-cuda12-plugin {SPLIT_OLD}"]

    missing = gpu13["missing_accelerator"]
    assert missing["variant"] == "cuda13"
    assert missing["python"] == THIS_PYTHON
    assert missing["rule"] == "family"
    [cause] = missing["causes"]
    assert cause["kind"] == "no-extra"
    assert (cause["package"], cause["version"], cause["extra"]) == ("jax", SPLIT_OLD, "cuda13")
    # No locked jax has the extra: the lock alone cannot name the release that has it.
    assert cause["first_locked_with_extra"] is None
    assert [p["kind"] for p in gpu13["problems"]] == ["missing-accelerator"]

    text = check(project, env, "--target", "gpu13")
    assert text.returncode == 1
    assert (
        f"variant cuda13 delivers no accelerator on Python {THIS_PYTHON}: it must install "
        "jax-cuda13-plugin or jaxlib+cuda13* (JAX build for its extras)\n"
        f"      because the locked jax {SPLIT_OLD} for Python {THIS_PYTHON} has no extra cuda13"
        " (poetry.lock's [package.extras] for it: cuda12)\n"
        "      Fixes, in order (platform-check --fix applies the first that locks):\n"
        in text.stdout
    )
    # The index names the first release with the extra (the lock holds none), and that it
    # does not support this Python.
    # It needs a newer Python than the project's floor, so the first fix is the split by
    # Python, with its edits and the command that re-chooses.
    assert (
        f"1. split jax by Python at {NEWER_PYTHON}: jax[cuda13]>={SPLIT_NEW} (its first release "
        f"with the extra, per the index, which needs Python >={NEWER_PYTHON}, not "
        f"{THIS_PYTHON}) from Python {NEWER_PYTHON} on, the old floor below" in text.stdout
    )
    assert "then run: poetry update --lock jax jaxlib" in text.stdout
    offline = check(project, env, "--target", "gpu13", "--offline")
    assert "raise the floor of jax[cuda13] to its first release that has the extra" in (
        offline.stdout
    )
    assert f"narrow requires-python to Python {NEWER_PYTHON} and later" in text.stdout
    assert f"drop Python {THIS_PYTHON} from target gpu13" in text.stdout


def test_raising_the_floor_as_advised_passes(
    index: IndexServer, env: dict[str, str], tmp_path: Path
) -> None:
    """The remedy works: the release with the extra, and the Pythons it supports."""
    text = (
        split_project(index)
        .replace(f">={SPLIT_OLD}", f">={SPLIT_NEW}")
        .replace('requires-python = ">=3.10,<4.0"', f'requires-python = ">={NEWER_PYTHON},<4.0"')
    )
    project = tmp_path / "fixed"
    write_project(project, text + target("gpu13", "cuda13", [NEWER_PYTHON]))
    run_poetry(["lock"], project, env)
    result = check(project, env, "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gpu13 (linux x86_64, Python" in result.stdout


def test_declared_provides_and_forbids_with_globs(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    table = """
[[tool.poetry-platform.variant]]
name = "gpu"
extras = ["cuda12"]
provides = ["JAX_cuda1?-plugin"]
[[tool.poetry-platform.variant]]
name = "wrong"
extras = ["cuda12"]
provides = ["jax-cuda13-*", "jaxlib+cuda*"]
[[tool.poetry-platform.variant]]
name = "cpu"
forbids = ["jaxlib", "jax-cuda*"]
""" + "".join(target(name, name, [THIS_PYTHON]) for name in ("gpu", "wrong", "cpu"))
    project = project_with(locked, tmp_path, "split", table)
    code, report = check_json(project, env)
    assert code == 1
    results = {t["name"]: t for t in report["targets"]}
    assert results["gpu"]["ok"]
    assert results["gpu"]["accelerator"]["delivered_by"] == [f"jax-cuda12-plugin {SPLIT_OLD}"]
    assert not results["wrong"]["ok"]
    assert results["wrong"]["missing_accelerator"]["rule"] == "declared"
    assert results["wrong"]["missing_accelerator"]["expected"] == (
        "it provides jax-cuda13-* or jaxlib+cuda* (declared)"
    )
    # forbids: a warning naming the package and who requires it; OK without --strict.
    assert results["cpu"]["ok"]
    [forbidden] = results["cpu"]["forbidden_packages"]
    assert forbidden["package"] == "jaxlib"
    assert forbidden["pattern"] == "jaxlib"
    assert forbidden["required_by"] == [f"jax {SPLIT_OLD}"]
    code, report = check_json(project, env, "--strict", "--target", "cpu")
    assert code == 1


def test_cpu_target_taking_pypi_torch_warns_and_strict_fails(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    # No [tool.poetry-platform] variants: the inferred `cpu` variant is the only one.
    table = target("ci", "cpu", [THIS_PYTHON]) + target(
        "mac", "cpu", [THIS_PYTHON], platform="darwin"
    )
    project = project_with(locked, tmp_path, "torch", table)
    result = check(project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"variant cpu forbids nvidia-*, but the install takes {layouts_check.PYPI_TORCH_NVIDIA} "
        f"12.8.4.1 (required by torch {layouts_check.PYPI_TORCH}).\n"
        "    PyTorch from PyPI is the CUDA build on Linux. Fix: declare PyTorch's CPU wheel "
        "index as the explicit source torch-cpu and take torch from it for variant cpu"
        in result.stdout
    )  # the fix on lines of its own, under the warning: the inferred cpu is the only
    # variant, so torch in the main dependencies takes the source
    assert 'set torch = { source = "torch-cpu" }' in result.stdout
    strict = check(project, env, "--strict")
    assert strict.returncode == 1
    _, report = check_json(project, env, "--strict")
    results = {t["name"]: t for t in report["targets"]}
    assert not results["ci"]["ok"]
    assert [f["package"] for f in results["ci"]["forbidden_packages"]] == [
        layouts_check.PYPI_TORCH_NVIDIA
    ]
    # macOS wheels on PyPI are CPU: nothing forbidden there.
    assert results["mac"]["ok"]
    assert results["mac"]["forbidden_packages"] == []


def test_export_prints_the_checks_warnings_and_strict_refuses(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    """platform-export of the cpu target taking PyPI's CUDA torch says so, as check does
    (issue 20: it printed only "Wrote req.txt"); --strict refuses it."""
    project = project_with(locked, tmp_path, "torch", target("ci", "cpu", [THIS_PYTHON]))
    result = run_poetry(
        ["platform-export", "--target", "ci", "-f", "requirements"], project, env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Target ci (" in result.stderr
    assert "platform-check warns (--strict refuses it)" in result.stderr
    assert (
        f"variant cpu forbids nvidia-*, but the install takes {layouts_check.PYPI_TORCH_NVIDIA}"
        in (result.stderr)
    )
    assert "forbids" not in result.stdout  # the exported file stays clean
    strict = run_poetry(
        ["platform-export", "--target", "ci", "--strict"], project, env, check=False
    )
    assert strict.returncode == 1
    assert strict.stdout == ""
    assert "Target ci (" in strict.stderr and "fails platform-check" in strict.stderr
