"""Real Poetry against the test index: locks resolve, record hashes and install what they say."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

import pytest
import tomlkit

from tests.support.layouts import JAX_LATEST
from tests.support.layouts import NVIDIA_CU13
from tests.support.layouts import OLD_JAX_VERSIONS
from tests.support.layouts import TAGGED
from tests.support.layouts import TORCH_VERSIONS
from tests.support.layouts import add_release
from tests.support.project import installed
from tests.support.project import poetry_env
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


@pytest.mark.parametrize(
    ("serve_json", "serve_metadata"),
    [(True, True), (False, True), (False, False)],
    ids=["pep691-json", "pep503-html", "html-lazy-wheel"],
)
def test_poetry_skips_yanked_prereleases_and_too_new_python(
    make_index: Callable[..., IndexServer],
    tmp_path: Path,
    hermetic_env: dict[str, str],
    serve_json: bool,
    serve_metadata: bool,
) -> None:
    server = make_index(serve_json=serve_json, serve_metadata=serve_metadata)
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
    metadata = "/pypi/files/pkg/pkg-1.1-py3-none-any.whl.metadata"
    assert (metadata in server.requests) is serve_metadata
    assert server.errors == []


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


@pytest.mark.parametrize(
    ("extra", "build"), [("cpu", "+cpu"), ("cu130", "+cu130")], ids=["cpu", "cu130"]
)
def test_torch_exclusive_extras_pick_the_build_of_their_source(
    torch_locked: Path,
    hermetic_env: dict[str, str],
    index_server: IndexServer,
    extra: str,
    build: str,
) -> None:
    torches = [p for p in read_lock(torch_locked)["package"] if p["name"] == "torch"]
    assert {p["source"]["url"] for p in torches} == {
        index_server.simple_url("torch-cpu").rstrip("/"),
        index_server.simple_url("torch-cu130").rstrip("/"),
    }

    run_poetry(["install", "-E", extra], torch_locked, hermetic_env)

    got = installed(torch_locked)
    assert got["torch"] == f"{TORCH_VERSIONS[1]}{build}"
    assert ("nvidia-cuda-runtime" in got) is (extra == "cu130")


def test_torch_both_extras_install_no_torch(
    torch_locked: Path, hermetic_env: dict[str, str]
) -> None:
    run_poetry(["install", "-E", "cpu cu130"], torch_locked, hermetic_env)

    assert "torch" not in installed(torch_locked)


def test_findlinks_lock_has_both_jaxlib_builds_and_linux_gets_cuda(
    findlinks_locked: Path, hermetic_env: dict[str, str], index_server: IndexServer
) -> None:
    jaxlibs = {
        p["version"]: p["source"]["url"]
        for p in read_lock(findlinks_locked)["package"]
        if p["name"] == "jaxlib"
    }
    version = OLD_JAX_VERSIONS[-1]
    assert jaxlibs == {
        version: index_server.simple_url().rstrip("/"),
        f"{version}+cuda12": index_server.links_url("jax-releases"),
    }

    run_poetry(["install"], findlinks_locked, hermetic_env)

    assert installed(findlinks_locked)["jaxlib"] == f"{version}+cuda12"


def test_tagged_lock_keeps_every_file_and_reads_sdist_metadata(tagged_locked: Path) -> None:
    packages = {p["name"]: p for p in read_lock(tagged_locked)["package"]}

    assert set(packages) == set(TAGGED)
    for name, (_, files) in TAGGED.items():
        assert len(packages[name]["files"]) == len(files), name
    assert packages["sdist-only"]["dependencies"] == {"pure-lib": ">=1.0"}
    assert packages["cuda-plugin"]["markers"] == 'sys_platform == "linux" and extra == "cuda"'
    native = [f["file"] for f in packages["native-lib"]["files"]]
    assert "native_lib-1.0-cp311-cp311-macosx_11_0_arm64.whl" in native


def test_poetry_locks_and_installs_through_basic_auth(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    server = make_index(auth=("reader", "s3cret-token"))
    add_release(server.root.root, "pypi", "private-pkg", "1.0")
    project = tmp_path / "project"
    write_project(
        project,
        '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["private-pkg"]\n[tool.poetry]\npackage-mode = false\n'
        + sources_toml(server),
    )
    env = poetry_env(
        tmp_path / "state",
        extra={
            "POETRY_HTTP_BASIC_LOCAL_USERNAME": "reader",
            "POETRY_HTTP_BASIC_LOCAL_PASSWORD": "s3cret-token",
        },
    )

    run_poetry(["lock"], project, env)
    run_poetry(["install"], project, env)

    assert installed(project) == {"private-pkg": "1.0"}
    assert "s3cret-token" not in (project / "poetry.lock").read_text()
