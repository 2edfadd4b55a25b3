"""A locked file without a usable hash: platform-check, platform-install and platform-export
agree that the target taking that file cannot install it (before this, the check said OK and
the install stopped part-way, with some packages installed).

Poetry's content hash does not cover the files' hashes, so the edited lock stays fresh.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.support.project import installed
from tests.support.project import run_poetry

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

TARGETS = """
[[tool.poetry-platform.target]]
name = "mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
[[tool.poetry-platform.target]]
name = "gpu"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
"""


@pytest.fixture
def env(hermetic_env: dict[str, str]) -> dict[str, str]:
    return {**hermetic_env, "POETRY_PLATFORM_CUDA": ""}


def set_hashes(project: Path, file_pattern: str, value: str) -> int:
    """Give every locked file whose name matches `file_pattern` the hash `value`."""
    lock = project / "poetry.lock"
    text, count = re.subn(
        rf'(\{{file = "{file_pattern}", hash = )"[^"]*"',
        lambda m: f'{m.group(1)}"{value}"',
        lock.read_text(),
    )
    assert count, file_pattern
    lock.write_text(text)
    return count


def test_check_fails_only_the_target_taking_the_unverifiable_file(
    jax_locked: Path, env: dict[str, str]
) -> None:
    (jax_locked / "pyproject.toml").write_text(
        (jax_locked / "pyproject.toml").read_text() + TARGETS
    )
    set_hashes(jax_locked, r"jaxlib-[^\"]*manylinux[^\"]*", "")
    gpu = run_poetry(["platform-check", "--target", "gpu"], jax_locked, env, check=False)
    assert gpu.returncode == 1
    text = " ".join(gpu.stdout.split())
    assert "poetry.lock records no hash for jaxlib-" in text
    assert "run `poetry lock --regenerate`" in text
    assert "Traceback" not in gpu.stdout + gpu.stderr
    mac = run_poetry(["platform-check", "--target", "mac"], jax_locked, env)
    assert "no hash" not in mac.stdout

    set_hashes(jax_locked, r"jaxlib-[^\"]*manylinux[^\"]*", "sha256:not-a-digest")
    gpu = run_poetry(["platform-check", "--target", "gpu"], jax_locked, env, check=False)
    assert gpu.returncode == 1
    assert "a malformed hash ('sha256:not-a-digest')" in gpu.stdout

    export = ["platform-export", "--target", "gpu", "-f", "requirements"]
    refused = run_poetry(export, jax_locked, env, check=False)
    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert "fails platform-check, nothing exported" in line
    assert "malformed hash" in line


def test_install_refuses_before_touching_the_venv(jax_locked: Path, env: dict[str, str]) -> None:
    """The file this machine would take has no hash: nothing installed (was: every package
    before it installed, then Poetry's "No usable hash type(s)" part-way)."""
    set_hashes(jax_locked, r"scipy-[^\"]*", "")
    result = run_poetry(["platform-install", "--variant", "cpu"], jax_locked, env, check=False)
    assert result.returncode == 1
    text = " ".join(result.stderr.split())
    assert "poetry.lock cannot be installed on this machine:" in text
    assert "poetry.lock records no hash for scipy-" in text
    assert "run `poetry lock --regenerate`" in text
    assert "Nothing was installed." in text
    assert "Traceback" not in result.stdout + result.stderr
    assert installed(jax_locked) == {} if (jax_locked / ".venv").exists() else True
