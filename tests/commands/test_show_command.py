"""`platform-show` through cleo's CommandTester, in process, on real Poetry projects."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest
from cleo.io.null_io import NullIO
from cleo.testers.command_tester import CommandTester
from poetry.console.application import Application

from poetry_platform import poetry_api
from tests.fakes.gpu import GTX_1080_TI_CUDA_13
from tests.fakes.gpu import H100
from tests.fakes.gpu import fake_gpu_env

if TYPE_CHECKING:
    from pathlib import Path

JAX_PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = []

[project.optional-dependencies]
cuda12 = ["jax[cuda12] ; sys_platform == 'linux'"]
cuda13 = ["jax[cuda13] ; sys_platform == 'linux'"]

[tool.poetry]
package-mode = false
"""


def show_tester(
    project: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> CommandTester:
    monkeypatch.chdir(project)
    for key in ("POETRY_PLATFORM_CUDA", "CONDA_OVERRIDE_CUDA", "POETRY_PLATFORM_VARIANT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = Application()
    poetry_api.load_plugins(app, NullIO())
    return CommandTester(app.find("platform-show"))


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text)
    return tmp_path


def test_json_shape_without_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command = show_tester(write(tmp_path, JAX_PROJECT), monkeypatch, {"POETRY_PLATFORM_CUDA": ""})
    assert command.execute("--json") == 0
    data = json.loads(command.io.fetch_output())
    assert data["chosen"] == "cpu"
    assert data["variants_inferred"] is True
    assert [v["name"] for v in data["variants"]] == ["cuda13", "cuda12", "cpu"]
    assert data["variants"][1] == {
        "name": "cuda12",
        "satisfied": False,
        "reasons": ["cuda >=12.0: host has no CUDA driver"],
        "assumed": [],
        "extras": ["cuda12"],
        "groups": [],
        "requires": ['markers sys_platform == "linux"', "cuda >=12.0"],
        # No poetry.lock: nothing to judge what the variant delivers from.
        "accelerator": None,
    }
    host = data["host"]
    assert {"sys_platform", "platform_machine", "cuda", "compute_capabilities"} <= set(host)
    assert host["cuda"] is None
    assert host["compute_capabilities"] == []


@pytest.mark.skipif("sys.platform != 'linux'")
def test_fake_h100_and_pascal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p").mkdir()
    project = write(tmp_path / "p", JAX_PROJECT)
    command = show_tester(
        project, monkeypatch, fake_gpu_env(tmp_path / "h100", H100, dict(os.environ))
    )
    assert command.execute("--json") == 0
    data = json.loads(command.io.fetch_output())
    assert data["chosen"] == "cuda13"
    assert data["host"]["cuda"] == "13.0"
    assert data["host"]["compute_capabilities"] == ["9.0"]
    assert data["host"]["nvidia"]["driver_version"] == "580.159.04"
    assert data["host"]["nvidia"]["source"] == "nvml"

    command = show_tester(
        project, monkeypatch, fake_gpu_env(tmp_path / "gtx", GTX_1080_TI_CUDA_13, dict(os.environ))
    )
    assert command.execute() == 0
    text = command.io.fetch_output()
    assert "not met: compute-capability >=7.5: host has compute capability 6.1" in text
    assert "Selected: cuda12 (" in text


def test_no_variant_fits_explains_each_and_the_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = JAX_PROJECT + (
        '\n[[tool.poetry-platform.variant]]\nname = "gpu"\nextras = ["cuda12"]\n'
        'requires = { cuda = ">=12.0" }\n'
    )
    command = show_tester(write(tmp_path, text), monkeypatch, {"POETRY_PLATFORM_CUDA": ""})
    assert command.execute() == 0
    error = command.io.fetch_error()
    assert "No declared variant runs on this machine:" in error
    assert "  - gpu: cuda >=12.0: host has no CUDA driver" in error
    assert "POETRY_PLATFORM_VARIANT=gpu" in error
    assert "✘ gpu (extras: cuda12)" in command.io.fetch_output()
    command.execute("--json")
    assert json.loads(command.io.fetch_output())["chosen"] is None


@pytest.mark.parametrize(
    ("extra_toml", "env", "message"),
    [
        (
            "\n[tool.poetry-platform]\nvariants = []\n",
            {},
            "Invalid configuration in pyproject.toml: [tool.poetry-platform] variants: unknown key",
        ),
        (
            '\n[[tool.poetry-platform.variant]]\nname = "gpu"\nextras = ["cuda14"]\n',
            {},
            "[tool.poetry-platform] variant[0] (gpu).extras: the project has no extra 'cuda14'",
        ),
        ("", {"POETRY_PLATFORM_CUDA": "abc"}, "POETRY_PLATFORM_CUDA='abc' is not a CUDA version"),
        (
            "",
            {"POETRY_PLATFORM_VARIANT": "cuda14"},
            "POETRY_PLATFORM_VARIANT: no variant cuda14 (variants here, inferred from extras: "
            "cuda13, cuda12, cpu); did you mean cuda13?",
        ),
    ],
)
def test_bad_input_is_one_error_line_and_exit_1(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra_toml: str,
    env: dict[str, str],
    message: str,
) -> None:
    command = show_tester(write(tmp_path, JAX_PROJECT + extra_toml), monkeypatch, env)
    assert command.execute() == 1
    error = command.io.fetch_error().strip()
    assert message in error
    assert len(error.splitlines()) == 1
    assert command.io.fetch_output() == ""


def test_a_broken_target_is_a_warning_and_show_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Targets are check data: `variant = "cuda-13"` in a [[target]] does not stop show (or
    install); check and export refuse it (issue 20)."""
    text = JAX_PROJECT + (
        '\n[[tool.poetry-platform.target]]\nname = "gpu"\nsys_platform = "linux"\n'
        'platform_machine = "x86_64"\npython = "3.12"\nvariant = "cuda-13"\n'
    )
    command = show_tester(write(tmp_path, text), monkeypatch, {"POETRY_PLATFORM_CUDA": ""})
    assert command.execute() == 0
    [warning] = command.io.fetch_error().strip().splitlines()
    assert "Warning: [tool.poetry-platform] target[0] (gpu).variant: there is no variant" in (
        warning
    )
    assert "did you mean cuda13?" in warning
    assert "platform-show goes on without them)" in warning
    assert "Selected: cpu" in command.io.fetch_output()
    command.execute("--json")
    assert "target[0] (gpu).variant" in json.loads(command.io.fetch_output())["target_error"]


def test_outside_a_project_the_host_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user probes a machine before adopting the plugin (issue 20): no pyproject.toml here
    or above, so the host facts and a line saying no project was found, exit 0."""
    empty = tmp_path / "empty"
    empty.mkdir()
    command = show_tester(empty, monkeypatch, {"POETRY_PLATFORM_CUDA": "13.0"})
    assert command.execute() == 0
    text = command.io.fetch_output()
    assert "nvidia" in text and "CUDA 13.0" in text
    assert "No project found (no pyproject.toml here or in a parent directory)" in text
    command.execute("--json")
    data = json.loads(command.io.fetch_output())
    assert data["project"] is None
    assert data["host"]["cuda"] == "13.0"
