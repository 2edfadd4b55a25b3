"""platform-check on the two pyproject states update bots make (check/bot_states.py), end to
end through Poetry: Poetry itself loads both without a word."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.support.project import run_poetry
from tests.support.project import write_project

if TYPE_CHECKING:
    from pathlib import Path

# Dependabot's torch floor with the installed +cpu, and jax bumped without its plugin pin.
BOT_MADE = """\
[project]
name = "bot-made"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["jax>=0.8.0", "torch>=2.13.0+cpu"]

[project.optional-dependencies]
cuda13 = ["jax-cuda13-plugin==0.7.2 ; sys_platform == 'linux'"]

[tool.poetry]
package-mode = false
"""
TORCH_LINE = (
    "pyproject.toml [project] dependencies: torch>=2.13.0+cpu: a local version label (+cpu)"
    " is only allowed with == or != (PEP 440: local labels have no order), so no release"
    " matches it; write torch==2.13.0+cpu (update bots copy the installed build into a lower"
    " bound)"
)
JAX_LINE = (
    "pyproject.toml [project.optional-dependencies] cuda13: jax-cuda13-plugin==0.7.2 is out"
    " of step with jax>=0.8.0 ([project] dependencies): JAX's packages work only at one"
    " version; write jax-cuda13-plugin==0.8.0, or let `poetry platform-up` move the family"
    " together (update bots bump jax alone)"
)


@pytest.mark.slow
def test_bot_made_states_fail_the_check_with_their_fixes(
    tmp_path: Path, hermetic_env: dict[str, str]
) -> None:
    project = tmp_path / "bot-made"
    write_project(project, BOT_MADE)
    assert "All set!" in run_poetry(["check"], project, hermetic_env).stdout  # Poetry: fine

    result = run_poetry(["platform-check", "--offline"], project, hermetic_env, check=False)

    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [TORCH_LINE, JAX_LINE]
    assert "Traceback" not in result.stdout + result.stderr
    as_json = run_poetry(
        ["platform-check", "--offline", "--json"], project, hermetic_env, check=False
    )
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["ok"] is False
    found = json.loads(as_json.stdout)["pyproject"]
    assert [f["write"] for f in found] == ["torch==2.13.0+cpu", "jax-cuda13-plugin==0.8.0"]
