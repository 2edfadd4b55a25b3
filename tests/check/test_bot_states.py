"""What update bots leave in pyproject.toml (check/bot_states.py), found and worded."""

from __future__ import annotations

import pytest
import tomlkit

from poetry_platform import render
from poetry_platform.check.bot_states import FamilyOutOfStep
from poetry_platform.check.bot_states import LocalLabelInRange
from poetry_platform.check.bot_states import bot_states

# Dependabot's edit of a PyTorch project (public reports: archimedes#1494, mlir-aie#3167).
TORCH_BOT = """
[project]
name = "p"
dependencies = ["numpy>=2", "torch>=2.13.0+cpu ; sys_platform == 'linux'"]

[tool.poetry.group.gpu.dependencies]
torchvision = { version = "^0.28.0+cu130", source = "torch-cu130" }
torchaudio = "==2.13.0+cpu"
"""
# A bot bumped jax; the explicit CUDA plugin pin stayed behind.
JAX_BOT = """
[project]
name = "p"
dependencies = ["jax>=0.8.0"]

[project.optional-dependencies]
cuda13 = [
    "jax[cuda13]>=0.8.0 ; sys_platform == 'linux'",
    "jax-cuda13-plugin==0.7.2 ; sys_platform == 'linux'",
]
"""


def states(text: str) -> list[object]:
    return list(bot_states(tomlkit.parse(text).unwrap()))


def test_a_local_label_in_a_range_is_found_with_the_pin_to_write() -> None:
    found = states(TORCH_BOT)
    assert [type(s) for s in found] == [LocalLabelInRange, LocalLabelInRange]
    first, second = found
    assert isinstance(first, LocalLabelInRange) and isinstance(second, LocalLabelInRange)
    assert (first.declared.where, first.clause, first.pin) == (
        "[project] dependencies",
        ">=2.13.0+cpu",
        "torch==2.13.0+cpu",
    )
    assert (second.declared.where, second.pin) == (
        "[tool.poetry.group.gpu.dependencies]",
        "torchvision==0.28.0+cu130",
    )
    assert render.bot_states(found)[0].text == (  # type: ignore[arg-type]
        "<error>pyproject.toml [project] dependencies: torch>=2.13.0+cpu: a local version"
        " label (+cpu) is only allowed with == or != (PEP 440: local labels have no order),"
        " so no release matches it; write torch==2.13.0+cpu (update bots copy the installed"
        " build into a lower bound)</error>"
    )


def test_jax_bumped_without_its_plugin_pin_is_found() -> None:
    (state,) = states(JAX_BOT)
    assert isinstance(state, FamilyOutOfStep)
    assert state.pin == "jax-cuda13-plugin==0.8.0"
    assert state.behind.where == "[project.optional-dependencies] cuda13"
    text = render.bot_states([state])[0].text
    assert "jax-cuda13-plugin==0.7.2 is out of step with jax>=0.8.0" in text
    assert "write jax-cuda13-plugin==0.8.0" in text
    assert render.bot_states_json([state])[0]["kind"] == "family-out-of-step"


@pytest.mark.parametrize(
    "text",
    [
        '[project]\nname = "p"\ndependencies = ["torch==2.13.0+cpu", "torch!=2.1.0+cpu"]',
        '[tool.poetry.dependencies]\ntorch = "2.13.0+cpu"',
        '[tool.poetry.dependencies]\ntorch = [{ version = "==2.13.0+cpu", markers = "x" }]',
        '[tool.poetry.dependencies]\njax = "==0.8.0"\njaxlib = "0.8.0"\njax-cuda13-pjrt = "0.8.0"',
        '[tool.poetry.dependencies]\njax = ">=0.7.2"\njaxlib = "0.8.0"\njax-cuda13-plugin = ">=0"',
        '[dependency-groups]\ndev = [{ include-group = "test" }, "ruff>=0.1"]',
        '[project]\nname = "p"\ndependencies = ["jax @ https://example.invalid/jax.whl"]',
    ],
)
def test_sound_states_are_not_reported(text: str) -> None:
    assert states(text) == []


def test_pinned_jax_and_a_different_pin_of_jaxlib_is_out_of_step() -> None:
    text = '[tool.poetry.dependencies]\njax = "0.8.0"\njaxlib = "==0.7.2"'
    (state,) = states(text)
    assert isinstance(state, FamilyOutOfStep)
    assert state.pin == "jaxlib==0.8.0"
