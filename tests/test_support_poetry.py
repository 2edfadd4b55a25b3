"""Real Poetry against the test index: locks resolve, record hashes and install what they say."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

import pytest
import tomlkit

from tests.support.layouts import JAX_LATEST
from tests.support.layouts import NVIDIA_CU13
from tests.support.layouts import add_release
from tests.support.project import installed
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow


def read_lock(project: Path) -> dict[str, Any]:
    return tomlkit.parse((project / "poetry.lock").read_text()).unwrap()


def locked_versions(project: Path) -> dict[str, str]:
    return {p["name"]: p["version"] for p in read_lock(project)["package"]}


def test_jax_lock_records_every_file_with_its_hash(
    jax_locked: Path, index_server: IndexServer, index_root: Path
) -> None:
    packages = read_lock(jax_locked)["package"]

    assert {p["name"]: p["version"] for p in packages}["jax"] == JAX_LATEST
    for package in packages:
        assert package["source"]["url"] == index_server.simple_url().rstrip("/")
        directory = index_root / "pypi" / package["name"]
        for entry in package["files"]:
            data = (directory / entry["file"]).read_bytes()
            assert entry["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
    jaxlib = next(p for p in packages if p["name"] == "jaxlib")
    assert len(jaxlib["files"]) == 4  # linux x86_64 + aarch64, macOS arm64, windows


def test_jax_install_with_cuda13_extra_and_test_group(
    jax_locked: Path, hermetic_env: dict[str, str]
) -> None:
    run_poetry(["install", "-E", "cuda13", "--with", "test"], jax_locked, hermetic_env)

    got = installed(jax_locked)
    assert got["jax"] == got["jaxlib"] == got["jax-cuda13-plugin"] == JAX_LATEST
    assert got["jax-cuda13-pjrt"] == JAX_LATEST
    assert got["nvidia-cuda-runtime"] == NVIDIA_CU13["nvidia-cuda-runtime"][-1]
    assert "pytest" in got
    assert not any(name.startswith("jax-cuda12") or name.endswith("-cu12") for name in got)


def test_jax_install_without_extras_is_cpu_only(
    jax_locked: Path, hermetic_env: dict[str, str]
) -> None:
    run_poetry(["install"], jax_locked, hermetic_env)

    got = installed(jax_locked)
    assert got["jaxlib"] == JAX_LATEST
    assert "pytest" not in got
    assert not any(name.startswith(("jax-cuda", "nvidia-")) for name in got)


@pytest.mark.parametrize("serve_json", [True, False], ids=["pep691-json", "pep503-html"])
def test_poetry_skips_yanked_prereleases_and_too_new_python(
    make_index: Callable[..., IndexServer],
    tmp_path: Path,
    hermetic_env: dict[str, str],
    serve_json: bool,
) -> None:
    server = make_index(serve_json=serve_json)
    root = server.root.root
    add_release(root, "pypi", "pkg", "1.0")
    add_release(root, "pypi", "pkg", "1.1", requires_python=">=3.10")
    add_release(root, "pypi", "pkg", "2.0", requires_python=">=3.99")
    add_release(root, "pypi", "pkg", "2.1", yanked="broken")
    add_release(root, "pypi", "pkg", "3.0a1")
    project = tmp_path / "project"
    write_project(
        project,
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["pkg"]\n[tool.poetry]\npackage-mode = false\n' + sources_toml(server),
    )

    run_poetry(["lock"], project, hermetic_env)

    # Poetry takes Requires-Python from the metadata (PEP 658 file or wheel), not the page.
    assert locked_versions(project) == {"pkg": "1.1"}
    assert "/pypi/files/pkg/pkg-1.1-py3-none-any.whl.metadata" in server.requests


def test_no_request_leaves_the_local_index(
    make_index: Callable[..., IndexServer], tmp_path: Path, hermetic_env: dict[str, str]
) -> None:
    server = make_index("jax_like")
    project = tmp_path / "project"
    write_project(
        project,
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["numpyro"]\n[tool.poetry]\npackage-mode = false\n' + sources_toml(server),
    )

    result = run_poetry(["lock", "-vvv"], project, hermetic_env)

    assert "numpyro" in locked_versions(project)
    urls = set(re.findall(r"https?://[^\s/\"']+", result.stdout + result.stderr))
    assert urls == {server.url}
    assert all(path.startswith("/pypi/") for path in server.requests)
