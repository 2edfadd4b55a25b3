"""`[tool.poetry-platform]` values checked for meaning, end to end through platform-check:
a glob that could match nothing is refused with its key; a provides that matches nothing in
poetry.lock is named as the cause of the missing accelerator (not the Python range)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.project import run_poetry

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

GPU_TARGET = """
[[tool.poetry-platform.target]]
name = "gpu"
sys_platform = "linux"
platform_machine = "x86_64"
python = ["3.11", "3.12"]
variant = "gpu"
"""


def configure(project: Path, variant: str) -> None:
    path = project / "pyproject.toml"
    text = f'\n[[tool.poetry-platform.variant]]\nname = "gpu"\nextras = ["cuda13"]\n{variant}\n'
    path.write_text(path.read_text() + text + GPU_TARGET)


@pytest.fixture
def env(hermetic_env: dict[str, str]) -> dict[str, str]:
    return {**hermetic_env, "POETRY_PLATFORM_CUDA": ""}


def test_a_glob_that_matches_nothing_by_construction_is_refused(
    jax_locked: Path, env: dict[str, str]
) -> None:
    configure(jax_locked, 'forbids = ["[invalid", "!"]')
    result = run_poetry(["platform-check"], jax_locked, env, check=False)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "Invalid configuration in pyproject.toml: [tool.poetry-platform] variant[0] (gpu)"
        ".forbids: '[invalid' has an unclosed `[`"
    )


def test_a_provides_matching_nothing_is_named_as_the_cause(
    jax_locked: Path, env: dict[str, str]
) -> None:
    configure(jax_locked, 'provides = ["nonexistent-*"]')
    result = run_poetry(["platform-check", "--target", "gpu"], jax_locked, env, check=False)
    assert result.returncode == 1
    text = " ".join(result.stdout.split())
    assert "no package in poetry.lock matches that: the likely cause is the provides glob" in text
    assert "jax-cuda13-plugin" in text  # what the extras add: the names to write
    assert "requires-python" not in text
    assert "drop Python" not in text
