"""Exported files install exactly what `platform-install --variant X` installs.

For a JAX-style project (CUDA builds through jax's own extras) and a PyTorch-style one
(`+cpu`/`+cu130` builds from two explicit sources, and a plain `torch` on the primary index
that must never be taken), every variant is exported with `--all-targets`, in both formats.
Each file is installed into a fresh virtualenv by another installer (`uv pip install -r
pylock.X.toml`, `pip install --no-deps --require-hashes -r requirements-X.txt`) and the
result (distributions, versions, and the hash of every installed file) is compared with the
venv Poetry's own installer builds for the same variant.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.support.project import BIN_DIR
from tests.support.project import run_poetry
from tests.support.project import venv_python
from tests.support.templates import jax_project
from tests.support.templates import torch_project

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the layouts' GPU wheels are Linux ones"),
]

# name -> [version, {installed path: sha256}]: every file the wheel brought, with its METADATA
# and WHEEL (whose Tag lines tell the builds of one version apart); the dist-info files each
# installer writes itself (RECORD, INSTALLER, REQUESTED, direct_url.json, ...) left out.
SNAPSHOT = r"""
import hashlib, importlib.metadata as m, json, re
out = {}
for dist in m.distributions():
    name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
    if name in ("pip", "setuptools", "wheel"):
        continue
    files = {}
    for f in dist.files or []:
        path = str(f)
        if path.endswith(".pyc") or path.startswith(".."):
            continue
        if ".dist-info/" in path and path.rsplit("/", 1)[1] not in ("METADATA", "WHEEL"):
            continue
        with open(f.locate(), "rb") as fh:
            files[path] = hashlib.sha256(fh.read()).hexdigest()
    out[name] = [dist.version, files]
print(json.dumps(out, sort_keys=True))
"""

Snapshot = dict[str, list[object]]


def snapshot(python: Path) -> Snapshot:
    out = subprocess.run(
        [str(python), "-c", SNAPSHOT], capture_output=True, text=True, check=True
    ).stdout
    found: Snapshot = json.loads(out)
    return found


def lock_once(factory: pytest.TempPathFactory, name: str, text: str) -> tuple[Path, dict[str, str]]:
    from tests.support.project import poetry_env
    from tests.support.project import write_project

    root = factory.mktemp(f"{name}-export")
    env = poetry_env(root / "state")
    project = root / "project"
    write_project(project, text)
    run_poetry(["lock"], project, env)
    return project, env


def fresh_venv(path: Path, env: dict[str, str], *, with_pip: bool) -> Path:
    if with_pip:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, env=env)
    else:
        uv = shutil.which("uv", path=str(BIN_DIR))
        assert uv is not None, "uv is in the dev group"
        cmd = [uv, "venv", "-q", "--python", sys.executable, str(path)]
        subprocess.run(cmd, check=True, env=env)
    return path / "bin" / "python"


def install_pylock(file: Path, venv: Path, env: dict[str, str]) -> Snapshot:
    python = fresh_venv(venv, env, with_pip=False)
    uv = shutil.which("uv", path=str(BIN_DIR))
    assert uv is not None
    cmd = [uv, "pip", "install", "--python", str(python), "-r", str(file)]
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    return snapshot(python)


def install_requirements(file: Path, venv: Path, env: dict[str, str]) -> Snapshot:
    python = fresh_venv(venv, env, with_pip=True)
    cmd = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--require-hashes"]
    result = subprocess.run(
        [*cmd, "-r", str(file)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return snapshot(python)


def exported(project: Path, env: dict[str, str], out: Path) -> None:
    out.mkdir()
    run_poetry(["platform-export", "--all-targets", "-o", str(out)], project, env)
    run_poetry(
        ["platform-export", "--all-targets", "--format", "requirements", "-o", str(out)],
        project,
        env,
    )


def assert_same_installs(
    project: Path, env: dict[str, str], variants: list[str], tmp: Path
) -> dict[str, Snapshot]:
    out = tmp / "exported"
    exported(project, env, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"pylock.{v}.toml" for v in variants] + [f"requirements-{v}.txt" for v in variants]
    )
    poetry_sets: dict[str, Snapshot] = {}
    for variant in variants:
        run_poetry(["platform-install", "--sync", "--variant", variant], project, env)
        poetry_sets[variant] = expected = snapshot(venv_python(project))
        assert expected, variant
        via_uv = install_pylock(out / f"pylock.{variant}.toml", tmp / f"uv-{variant}", env)
        assert via_uv == expected, variant
        via_pip = install_requirements(
            out / f"requirements-{variant}.txt", tmp / f"pip-{variant}", env
        )
        assert via_pip == expected, variant
    return poetry_sets


@pytest.fixture(scope="module")
def jax(
    tmp_path_factory: pytest.TempPathFactory, index_server: IndexServer
) -> tuple[Path, dict[str, str]]:
    return lock_once(tmp_path_factory, "jax", jax_project(index_server))


@pytest.fixture(scope="module")
def torch(
    tmp_path_factory: pytest.TempPathFactory, index_server: IndexServer
) -> tuple[Path, dict[str, str]]:
    return lock_once(tmp_path_factory, "torch", torch_project(index_server))


def test_jax_like_exports_install_what_platform_install_installs(
    jax: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, env = jax
    sets = assert_same_installs(project, env, ["cuda13", "cuda12", "cpu"], tmp_path)
    # The three variants really differ: the comparison above is not vacuous.
    assert "jax-cuda13-plugin" in sets["cuda13"]
    assert "jax-cuda12-plugin" in sets["cuda12"]
    assert not {n for n in sets["cpu"] if n.startswith(("jax-cuda", "nvidia-"))}


def test_torch_like_exports_take_each_build_from_its_own_index(
    torch: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, env = torch
    sets = assert_same_installs(project, env, ["cu130", "cpu"], tmp_path)
    assert str(sets["cpu"]["torch"][0]).endswith("+cpu")
    assert str(sets["cu130"]["torch"][0]).endswith("+cu130")
    assert any(n.startswith("nvidia-") for n in sets["cu130"])
