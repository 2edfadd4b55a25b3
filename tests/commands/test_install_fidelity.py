"""`platform-install` and `platform-show` refuse what the lock cannot deliver: real lock,
real venvs, on `layouts_check.jax_split` (jax's `cuda13` extra only exists for a newer
Python than this one) and `layouts_check.torch_pypi` (PyPI's CUDA torch; with a CPU source
declared, the same exact fix from check, show, install and export)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from tests.support import layouts_check
from tests.support.index import IndexServer
from tests.support.layouts_check import NEWER_PYTHON
from tests.support.layouts_check import SPLIT_OLD
from tests.support.layouts_check import THIS_PYTHON
from tests.support.project import installed
from tests.support.project import poetry_env
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project
from tests.support.templates import cpu_target
from tests.support.templates import split_project
from tests.support.templates import torch_default_project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform != "linux", reason="the CUDA plugins of the layout are Linux wheels"
    ),
]

# A CUDA 13 host by override: no GPU needed to run the real selection code.
H100 = {"POETRY_PLATFORM_CUDA": "13.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY": "9.0"}
NO_GPU = {"POETRY_PLATFORM_CUDA": ""}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("install-fidelity-index")
    layouts_check.jax_split(root)
    layouts_check.torch_cpu_source(root)  # torch_pypi and PyTorch's own indexes
    with IndexServer(root) as server:
        yield server


def locked_project(
    factory: pytest.TempPathFactory, name: str, text: str
) -> tuple[Path, dict[str, str]]:
    root = factory.mktemp(name)
    env = poetry_env(root / "state")
    project = root / "project"
    write_project(project, text)
    run_poetry(["lock"], project, env)
    return project, env


@pytest.fixture(scope="module")
def split(
    index: IndexServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    return locked_project(
        tmp_path_factory,
        "split",
        split_project(index),
    )


def install(
    project: Path, env: dict[str, str], *args: str, check: bool = True
) -> tuple[int, str, dict[str, str]]:
    result = run_poetry(["platform-install", "--sync", *args], project, env, check=check)
    return result.returncode, result.stdout + result.stderr, installed(project)


UNDELIVERED = (
    "provides jax-cuda13-plugin or jaxlib+cuda13*: poetry.lock does not deliver it on "
    f"Python {THIS_PYTHON}: the locked jax {SPLIT_OLD} for Python {THIS_PYTHON} has no "
    "extra cuda13 (poetry.lock's [package.extras] for it: "
)


def test_auto_selection_falls_through_to_the_next_variant(
    split: tuple[Path, dict[str, str]],
) -> None:
    project, env = split
    code, output, found = install(project, env | H100)
    assert code == 0
    assert "Platform variant: cuda12 (" in output
    # No nested parentheses closing the line (`))))`): the cause in brief.
    assert (
        "skipped cuda13: poetry.lock does not deliver jax-cuda13-plugin or jaxlib+cuda13* on "
        f"Python {THIS_PYTHON}: the locked jax {SPLIT_OLD} has no extra cuda13)" in output
    )
    assert set(found) == {"jax", "jaxlib", "jax-cuda12-plugin"}


def test_show_lists_the_reason_beside_the_others(split: tuple[Path, dict[str, str]]) -> None:
    project, env = split
    result = run_poetry(["platform-show"], project, env | H100)
    assert f"not met: {UNDELIVERED}" in result.stdout
    assert "Selected: cuda12" in result.stdout
    # A cause that closes its own parenthesis is not wrapped in another: no `))`.
    assert not [line for line in result.stdout.splitlines() if line.endswith("))")]
    report = json.loads(run_poetry(["platform-show", "--json"], project, env | H100).stdout)
    assert report["chosen"] == "cuda12"
    cuda13 = next(v for v in report["variants"] if v["name"] == "cuda13")
    assert not cuda13["satisfied"]
    assert cuda13["accelerator"]["missing_accelerator"]["causes"][0]["kind"] == "no-extra"
    # One marker environment: show reads the Python platform-install would install into.
    assert report["host"]["python_version"].startswith(f"{THIS_PYTHON}.")


def test_forced_variant_that_delivers_nothing_is_refused(
    split: tuple[Path, dict[str, str]],
) -> None:
    project, env = split
    before = installed(project)
    code, output, after = install(project, env | NO_GPU, "--variant", "cuda13", check=False)
    assert code == 1
    assert (
        f"variant cuda13 delivers no accelerator on Python {THIS_PYTHON}: it must install "
        "jax-cuda13-plugin or jaxlib+cuda13*" in output
    )
    assert "Nothing was installed; --allow-missing-accelerator installs it anyway." in output
    # No "use another Python": this lock holds jax 0.6.2 alone, so no Python the project
    # allows gets cuda13 from it (tests/check/test_fix.py: after the split, it names them).
    assert "poetry env use" not in output
    assert f"narrow requires-python to Python {NEWER_PYTHON} and later" in output
    assert after == before
    # The environment variable forces it the same way.
    env_forced = env | NO_GPU | {"POETRY_PLATFORM_VARIANT": "cuda13"}
    code, output, _ = install(project, env_forced, check=False)
    assert code == 1
    assert "delivers no accelerator" in output


def test_allow_missing_accelerator_installs_it_and_says_so(
    split: tuple[Path, dict[str, str]],
) -> None:
    project, env = split
    code, output, found = install(
        project, env | NO_GPU, "--variant", "cuda13", "--allow-missing-accelerator"
    )
    assert code == 0
    assert "Installing variant cuda13 without its accelerator" in output
    assert set(found) == {"jax", "jaxlib"}


def test_cpu_install_of_pypi_torch_warns_with_the_remedy(
    index: IndexServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project, env = locked_project(
        tmp_path_factory,
        "pypi-torch",
        f"""[project]
name = "pypi-torch-demo"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["torch=={layouts_check.PYPI_TORCH}"]

[tool.poetry]
package-mode = false
{sources_toml(index)}
""",
    )
    code, output, found = install(project, env | NO_GPU)
    assert code == 0
    assert "Platform variant: cpu (" in output
    assert (
        f"Warning: variant cpu forbids nvidia-*, but the install takes "
        f"{layouts_check.PYPI_TORCH_NVIDIA} 12.8.4.1 (required by torch "
        f"{layouts_check.PYPI_TORCH}).\n  PyTorch from PyPI is the CUDA build on Linux" in output
    )  # the fix on a line of its own, under the warning
    # The only variant is the inferred cpu: torch itself takes the CPU source, once declared.
    assert "Fix: declare PyTorch's CPU wheel index as the explicit source torch-cpu" in output
    assert '    set torch = { source = "torch-cpu" }' in output
    assert layouts_check.PYPI_TORCH_NVIDIA in found


def test_the_cpu_source_fix_is_the_same_in_check_show_install_and_export(
    index: IndexServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A cpu extra taking the default index's torch, a CPU source declared: every command
    that warns prints the same exact edit and command."""
    project, env = locked_project(
        tmp_path_factory,
        "torch-default",
        torch_default_project(index, cu130=False) + cpu_target(THIS_PYTHON),
    )
    env = env | NO_GPU
    fix = [
        "Fix: take torch from the CPU source torch-cpu for variant cpu "
        "(platform-check --fix applies it):",
        "in pyproject.toml [tool.poetry.dependencies]:",
        'set torch = [{ markers = "extra == \'cpu\'", source = "torch-cpu" }]',
        "then run: poetry update --lock torch",
    ]
    outputs = {
        "check": run_poetry(["platform-check"], project, env),
        "show": run_poetry(["platform-show"], project, env),
        "install": run_poetry(["platform-install", "--dry-run"], project, env),
        "export": run_poetry(["platform-export", "--target", "ci-cpu"], project, env),
    }
    for command, result in outputs.items():
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
        at = next((n for n, line in enumerate(lines) if line.endswith(fix[0])), None)
        assert at is not None, f"{command}: {result.stdout}{result.stderr}"
        assert lines[at + 1 : at + 4] == fix[1:], command
