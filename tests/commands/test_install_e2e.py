"""`poetry platform-install` end to end: real Poetry, real lock, real venvs, fake GPU hosts.

Each layout is locked once (session cache); each test installs into the project's own venv
with `--sync`, so the venv holds exactly what the variant selects and nothing left over from
another host. The GPU hosts are compiled fake NVML/libcuda libraries and a fake nvidia-smi
found through LD_LIBRARY_PATH and PATH, so the real probing code runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest
import tomlkit

from tests.fakes.gpu import A100_DRIVER_535
from tests.fakes.gpu import GTX_1080_TI_CUDA_13
from tests.fakes.gpu import H100
from tests.fakes.gpu import FakeNvidiaHost
from tests.fakes.gpu import fake_gpu_env
from tests.support.layouts import JAX_RELEASES_INDEX
from tests.support.layouts import NVIDIA_CU12
from tests.support.layouts import NVIDIA_CU13
from tests.support.layouts import OLD_JAX_CUDA
from tests.support.layouts import OLD_JAX_VERSIONS
from tests.support.layouts import TORCH_CPU_INDEX
from tests.support.layouts import TORCH_CU130_INDEX
from tests.support.project import installed
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.templates import findlinks_project
from tests.support.templates import jax_project
from tests.support.templates import torch_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform != "linux", reason="fake GPU libraries are Linux shared objects"
    ),
]

HOSTS: dict[str, FakeNvidiaHost | None] = {
    "no-gpu": None,
    "driver-535": A100_DRIVER_535,
    "driver-580": H100,
    "cuda13-cc61": GTX_1080_TI_CUDA_13,
}

JAX_BASE = {"jax", "jaxlib", "ml-dtypes", "numpy", "opt-einsum", "scipy"}
JAX_CUDA = {
    12: {"jax-cuda12-plugin", "jax-cuda12-pjrt", *NVIDIA_CU12},
    13: {"jax-cuda13-plugin", "jax-cuda13-pjrt", *NVIDIA_CU13},
}
TEST_GROUP = {"pytest", "iniconfig", "packaging", "pluggy"}


def host_env(tmp_path: Path, base: dict[str, str], host: FakeNvidiaHost | None) -> dict[str, str]:
    env = fake_gpu_env(tmp_path, host, base)
    if host is None:
        # Hermetic even on a developer's GPU machine: "no CUDA" by override.
        env["POETRY_PLATFORM_CUDA"] = ""
    return env


def lock_once(
    factory: pytest.TempPathFactory, name: str, pyproject_text: str
) -> tuple[Path, dict[str, str]]:
    """A project locked once for a module, with its own Poetry state, for `--sync` installs."""
    from tests.support.project import poetry_env
    from tests.support.project import write_project

    root = factory.mktemp(f"{name}-e2e")
    env = poetry_env(root / "state")
    project = root / "project"
    write_project(project, pyproject_text)
    run_poetry(["lock"], project, env)
    return project, env


def locked_versions(project: Path) -> dict[str, set[str]]:
    lock = tomlkit.parse((project / "poetry.lock").read_text())
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


def install(project: Path, env: dict[str, str], *args: str) -> tuple[str, dict[str, str]]:
    result = run_poetry(["platform-install", "--sync", *args], project, env)
    return result.stdout + result.stderr, installed(project)


def assert_exact(project: Path, found: dict[str, str], names: set[str]) -> None:
    """The venv holds exactly `names`, each at a version the lock holds for it."""
    assert set(found) == names
    versions = locked_versions(project)
    for name, version in found.items():
        assert version in versions[name], (name, version, versions[name])


# --- JAX-like: the CUDA builds come from jax's own extras -------------------------------------

EXPECTED_JAX = {
    "no-gpu": ("cpu", JAX_BASE),
    "driver-535": ("cuda12", JAX_BASE | JAX_CUDA[12]),
    "driver-580": ("cuda13", JAX_BASE | JAX_CUDA[13]),
    "cuda13-cc61": ("cuda12", JAX_BASE | JAX_CUDA[12]),
}


@pytest.fixture(scope="module")
def jax_env_project(
    tmp_path_factory: pytest.TempPathFactory, index_server: IndexServer
) -> tuple[Path, dict[str, str]]:
    return lock_once(tmp_path_factory, "jax", jax_project(index_server))


@pytest.mark.parametrize("host_name", list(EXPECTED_JAX))
def test_jax_like_installs_the_variant_of_each_host(
    host_name: str, jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = jax_env_project
    variant, names = EXPECTED_JAX[host_name]
    output, found = install(project, host_env(tmp_path, base, HOSTS[host_name]))
    assert f"Platform variant: {variant} (" in output
    assert_exact(project, found, names)
    # jax and jaxlib always move together.
    assert found["jax"] == found["jaxlib"]


def test_jax_like_reports_the_probe_and_the_skipped_variant(
    jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = jax_env_project
    output, _ = install(project, host_env(tmp_path, base, GTX_1080_TI_CUDA_13), "--dry-run")
    line = next(line for line in output.splitlines() if line.startswith("Platform variant"))
    assert "CUDA 13.0 (driver 580.159.04), compute capability 6.1 from nvml" in line
    assert "skipped cuda13: compute-capability >=7.5: host has compute capability 6.1)" in line


def test_forcing_cuda13_without_a_gpu_installs_it_and_says_so(
    jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = jax_env_project
    output, found = install(project, host_env(tmp_path, base, None), "--variant", "cuda13")
    assert "Platform variant: cuda13 (forced by --variant; this host does not meet it" in output
    assert "although this host does not run it" in output
    assert_exact(project, found, JAX_BASE | JAX_CUDA[13])


def test_variant_from_the_environment(
    jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = jax_env_project
    env = host_env(tmp_path, base, H100) | {"POETRY_PLATFORM_VARIANT": "cpu"}
    output, found = install(project, env)
    assert "Platform variant: cpu (forced by POETRY_PLATFORM_VARIANT" in output
    assert_exact(project, found, JAX_BASE)


def test_only_main_test_like_ci(
    jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = jax_env_project
    _, found = install(project, host_env(tmp_path, base, None), "--only", "main,test")
    assert_exact(project, found, JAX_BASE | TEST_GROUP)


def test_dry_run_installs_nothing(
    tmp_path: Path, locked_project: Callable[..., Path], index_server: IndexServer
) -> None:
    from tests.support.project import poetry_env

    project = locked_project(jax_project(index_server))
    env = host_env(tmp_path, poetry_env(tmp_path / "state"), H100)
    result = run_poetry(["platform-install", "--dry-run"], project, env)
    assert "Platform variant: cuda13" in result.stdout
    assert "jax-cuda13-plugin" in result.stdout  # the plan names the CUDA plugin
    venv = project / ".venv"
    assert not venv.exists() or installed(project) == {}


def test_refuses_an_extra_of_another_variant(
    jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = jax_env_project
    result = run_poetry(
        ["platform-install", "-E", "cuda12"], project, host_env(tmp_path, base, H100), check=False
    )
    assert result.returncode == 1
    assert "-E cuda12: belongs to another variant: cuda12 (variant cuda12)" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_extra_named_like_an_inferred_variant_points_to_variant(
    jax_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`-E cpu` where `cpu` is inferred (no such extra): the option to use, not the lock."""
    project, base = jax_env_project
    env = host_env(tmp_path, base, None)
    result = run_poetry(["platform-install", "-E", "cpu"], project, env, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "-E cpu: there is no extra `cpu`; the `cpu` variant needs none: use `--variant cpu`."
    )
    result = run_poetry(["platform-install", "-E", "cuda14"], project, env, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "-E cuda14: the project declares no such extra (it has: cuda12, cuda13); did you mean"
        " cuda13? Or declare it under [project.optional-dependencies]."
    )
    assert "poetry.lock" not in result.stderr


def test_stale_lock_gets_poetrys_message_and_what_to_run(
    tmp_path: Path, locked_project: Callable[..., Path], index_server: IndexServer
) -> None:
    from tests.support.project import poetry_env

    project = locked_project(jax_project(index_server))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"jax>=0.6.2"', '"jax>=0.7.0"'))
    env = host_env(tmp_path, poetry_env(tmp_path / "state"), None)
    result = run_poetry(["platform-install"], project, env, check=False)
    assert result.returncode == 1
    assert "poetry.lock cannot be installed on this machine:" in result.stderr
    assert "changed significantly since poetry.lock was last generated" in result.stderr
    assert "run `poetry lock`" in result.stderr
    assert "Nothing was installed" in result.stderr


def test_lock_without_the_variants_extra(
    tmp_path: Path, locked_project: Callable[..., Path], index_server: IndexServer
) -> None:
    """Declaring a variant whose extra the lock lacks: say so and what to run."""
    from tests.support.project import poetry_env

    project = locked_project(jax_project(index_server))
    lock = project / "poetry.lock"
    text = lock.read_text()
    start = text.index("\n[extras]")
    end = text.index("\n[metadata]")
    lock.write_text(text[:start] + text[end:])
    env = host_env(tmp_path, poetry_env(tmp_path / "state"), None)
    result = run_poetry(["platform-install", "--variant", "cuda13"], project, env, check=False)
    assert result.returncode == 1
    assert "needs extra 'cuda13', which poetry.lock does not have" in result.stderr


# --- PyTorch-like: +cpu / +cu130 from two explicit sources, exclusive extras ------------------

TORCH_DEPS = {"filelock", "typing-extensions", "sympy", "mpmath", "fsspec"}
TORCH_CU130_LIBS = {"nvidia-cuda-runtime", "nvidia-cublas", "triton"}


@pytest.fixture(scope="module")
def torch_env_project(
    tmp_path_factory: pytest.TempPathFactory, index_server: IndexServer
) -> tuple[Path, dict[str, str]]:
    return lock_once(tmp_path_factory, "torch", torch_project(index_server))


EXPECTED_TORCH = {
    "no-gpu": "cpu",
    "driver-535": "cpu",  # the only CUDA build needs CUDA 13
    "driver-580": "cu130",
    "cuda13-cc61": "cpu",
}


@pytest.mark.parametrize("host_name", list(EXPECTED_TORCH))
def test_torch_like_picks_the_build_from_the_right_index(
    host_name: str, torch_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = torch_env_project
    variant = EXPECTED_TORCH[host_name]
    output, found = install(project, host_env(tmp_path, base, HOSTS[host_name]))
    assert f"Platform variant: {variant} (" in output
    assert found["torch"].endswith(f"+{variant}")
    lock = tomlkit.parse((project / "poetry.lock").read_text())
    (entry,) = [p for p in lock["package"] if p["version"] == found["torch"]]
    assert (
        entry["source"]["reference"]
        == {"cpu": TORCH_CPU_INDEX, "cu130": TORCH_CU130_INDEX}[variant]
    )
    expected = TORCH_DEPS | {"torch"}
    if variant == "cu130":
        expected |= TORCH_CU130_LIBS
    assert_exact(project, found, expected)


def test_torch_like_forced_cu130_without_gpu(
    torch_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = torch_env_project
    output, found = install(project, host_env(tmp_path, base, None), "--variant", "cu130")
    assert found["torch"].endswith("+cu130")
    assert "forced by --variant" in output


def test_all_extras_leaves_out_other_variants(
    torch_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`poetry install --all-extras` would install no torch at all; ours keeps one build."""
    project, base = torch_env_project
    _, found = install(project, host_env(tmp_path, base, None), "--all-extras")
    assert found["torch"].endswith("+cpu")


# --- the old JAX way: jaxlib +cuda12 on a find-links page -------------------------------------
# The layout as teams wrote it: `jaxlib==X+cuda12` for Linux from an explicit find-links source,
# plain `jaxlib==X` for macOS by platform marker. It declares no variant (inferred: cpu only),
# so every Linux host gets the CUDA build the lock names for Linux, GPU or not.


@pytest.fixture(scope="module")
def findlinks_env_project(
    tmp_path_factory: pytest.TempPathFactory, index_server: IndexServer
) -> tuple[Path, dict[str, str]]:
    return lock_once(tmp_path_factory, "findlinks", findlinks_project(index_server))


@pytest.mark.parametrize("host_name", list(HOSTS))
def test_findlinks_layout(
    host_name: str, findlinks_env_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, base = findlinks_env_project
    output, found = install(project, host_env(tmp_path, base, HOSTS[host_name]))
    assert "Platform variant: cpu (" in output
    assert found["jaxlib"] == f"{OLD_JAX_VERSIONS[-1]}+{OLD_JAX_CUDA}"
    assert_exact(project, found, JAX_BASE)


def findlinks_variant_project(server: IndexServer) -> str:
    """The same builds as exclusive extras: looks right, but jax itself requires jaxlib, so
    Poetry locks both jaxlib entries for every install (the team's "+cuda on macOS" bug)."""
    version = OLD_JAX_VERSIONS[-1]
    return f"""[project]
name = "old-jax-variants"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["jax=={version}"]

[project.optional-dependencies]
cpu = ["jaxlib=={version}"]
cuda12 = ["jaxlib=={version}+cuda12 ; sys_platform == 'linux'"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
jaxlib = [
    {{ markers = "extra == 'cpu' and extra != 'cuda12'", source = "local" }},
    {{ markers = "extra == 'cuda12' and extra != 'cpu'", source = "jax-releases" }},
]
{sources_toml(server, find_links={"jax-releases": JAX_RELEASES_INDEX})}"""


@pytest.mark.parametrize("variant", ["cpu", "cuda12"])
def test_a_lock_selecting_two_builds_is_refused_before_installing(
    variant: str,
    tmp_path: Path,
    locked_project: Callable[..., Path],
    index_server: IndexServer,
) -> None:
    from tests.support.project import poetry_env

    project = locked_project(findlinks_variant_project(index_server))
    env = host_env(tmp_path, poetry_env(tmp_path / "state"), None)
    result = run_poetry(["platform-install", "--variant", variant], project, env, check=False)
    assert result.returncode == 1
    assert "poetry.lock cannot be installed on this machine:" in result.stderr
    assert "jaxlib 0.4.31, 0.4.31+cuda12: 2 locked entries are selected at once" in result.stderr
    # Who brings each entry and the change that fixes it: re-locking alone cannot.
    assert "jax 0.4.31 (jaxlib >=" in result.stderr
    assert (
        "Fix: jax 0.4.31 requires jaxlib and accepts every entry, so no marker on the "
        "project's own jaxlib requirement (an extra, a source) can keep one out; take CUDA "
        "through jax's extra (`jax[cuda12]`" in " ".join(result.stderr.split())
    )
    assert installed(project) == {} if (project / ".venv").exists() else True
