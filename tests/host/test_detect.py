"""The probe chain end to end: overrides, probe order, combining, failures, no-GPU speed rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING
from typing import Any

import pytest

from poetry_platform.host.detect import HostOverrideError
from poetry_platform.host.detect import read_overrides
from tests.fakes.gpu import A100_DRIVER_535
from tests.fakes.gpu import DRIVER_WITHOUT_GPU
from tests.fakes.gpu import H100
from tests.fakes.gpu import SCENARIOS
from tests.fakes.gpu import build_fake_libcuda
from tests.fakes.gpu import build_fake_nvml
from tests.fakes.gpu import detect_isolated
from tests.fakes.gpu import fake_gpu_env
from tests.fakes.gpu import write_fake_nvidia_smi
from tests.fakes.gpu import write_fake_sysroot

if TYPE_CHECKING:
    from pathlib import Path

    from poetry_platform.host.profile import HostProfile

HANG_TIMEOUT = 0.5


def _detect(tmp_path: Path, env: dict[str, str] | None = None, **kwargs: Any) -> HostProfile:
    return detect_isolated(tmp_path, env, **kwargs)


def _nvidia_lines(host: HostProfile) -> list[str]:
    return [line for line in host.log if not line.startswith(("libc:", "kfd:", "rocm:"))]


def test_no_gpu_starts_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **_: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    host = _detect(tmp_path)
    assert (host.nvidia, host.rocm) == (None, None)
    assert host.sys_platform == sys.platform
    root = tmp_path / "empty-root"
    assert _nvidia_lines(host) == [
        f"nvml: {tmp_path / 'no-lib/libnvidia-ml.so.1'} not found",
        f"libcuda: {tmp_path / 'no-lib/libcuda.so.1'} not found",
        "nvidia-smi: nvidia-smi not found on PATH",
        f"sysfs: no {root / 'sys/module/nvidia/version'}",
        f"procfs: no {root / 'proc/driver/nvidia/version'}",
        "nvidia: no GPU found",
    ]


@pytest.mark.parametrize(
    ("scenario", "cuda", "driver", "caps"),
    [
        ("h100", "13.0", "580.159.04", ("9.0",)),
        ("driver-535", "12.2", "535.104.05", ("8.0",)),
        ("cuda13-cc61", "13.0", "580.159.04", ("6.1",)),
        ("two-gpus", "13.0", "580.159.04", ("9.0", "8.0")),
    ],
)
def test_scenarios_through_ld_library_path(
    tmp_path: Path, scenario: str, cuda: str, driver: str, caps: tuple[str, ...]
) -> None:
    fake = SCENARIOS[scenario]
    assert fake is not None
    env = fake_gpu_env(tmp_path, fake, {"PATH": str(tmp_path / "no-bin")})
    host = _detect(tmp_path, env)
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.nvidia.driver_version) == ("nvml", cuda, driver)
    assert host.compute_capabilities == caps
    assert host.nvidia.gpu_count == len(fake.gpus)
    assert host.log[-2] == (
        f"nvidia: CUDA {cuda}, driver {driver}, compute capability {', '.join(caps)} from nvml"
    )


def test_default_soname_loading_honours_ld_library_path(tmp_path: Path) -> None:
    """What end-to-end tests rely on: a command started with the fakes on its paths."""
    env = fake_gpu_env(tmp_path, H100, {"PATH": os.environ["PATH"]})
    code = "import json; from poetry_platform.host.detect import detect_host as d; "
    code += "from poetry_platform.render import host_json; "
    code += "print(json.dumps(host_json(d())))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    facts = json.loads(out.stdout)["nvidia"]
    assert (facts["source"], facts["cuda_version"], facts["compute_capabilities"]) == (
        "nvml",
        "13.0",
        ["9.0"],
    )


def test_nvml_failure_falls_back_to_libcuda_and_sysfs(tmp_path: Path) -> None:
    host_facts = A100_DRIVER_535
    lib = tmp_path / "lib"
    build_fake_nvml(lib, init_error=18)
    build_fake_libcuda(lib, host_facts.cuda, host_facts.compute_caps, host_facts.names)
    root = write_fake_sysroot(tmp_path / "root", host_facts.driver, host_facts.names)
    host = _detect(tmp_path, {"LD_LIBRARY_PATH": str(lib)}, root=root, timeout=5.0)
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.nvidia.driver_version) == (
        "libcuda",
        "12.2",
        "535.104.05",
    )
    assert host.compute_capabilities == ("8.0",)
    assert "nvml: nvmlInit_v2 failed: RM has detected an NVML/RM version mismatch." in (host.log[1])


def test_every_probe_hanging_still_answers_from_sysfs(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    build_fake_nvml(lib, hang=True)
    build_fake_libcuda(lib, hang=True)
    bin_dir = write_fake_nvidia_smi(tmp_path / "bin", behaviour="hang")
    root = write_fake_sysroot(tmp_path / "root", "580.159.04")
    host = _detect(
        tmp_path,
        {"LD_LIBRARY_PATH": str(lib), "PATH": str(bin_dir)},
        root=root,
        timeout=HANG_TIMEOUT,
    )
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.compute_capabilities) == ("sysfs+table", "13.0", ())
    for probe in ("nvml", "libcuda", "nvidia-smi"):
        assert f"{probe}: timed out after 0.5 s" in host.log


def test_nvml_hang_then_nvidia_smi_answers(tmp_path: Path) -> None:
    lib = build_fake_nvml(tmp_path / "lib", hang=True)
    bin_dir = write_fake_nvidia_smi(tmp_path / "bin")
    host = _detect(
        tmp_path,
        {"PATH": str(bin_dir)},
        nvml_library=str(lib / "libnvidia-ml.so.1"),
        timeout=HANG_TIMEOUT,
    )
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.compute_capabilities) == (
        "nvidia-smi",
        "13.0",
        ("9.0",),
    )


@pytest.mark.parametrize("behaviour", ["garbage", "no-driver"])
def test_broken_nvidia_smi_is_skipped(tmp_path: Path, behaviour: str) -> None:
    bin_dir = write_fake_nvidia_smi(tmp_path / "bin", behaviour=behaviour)
    root = write_fake_sysroot(tmp_path / "root", "535.104.05", ["NVIDIA A100-SXM4-80GB"])
    host = _detect(tmp_path, {"PATH": str(bin_dir)}, root=root)
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.nvidia.gpu_count) == ("sysfs+table", "12.2", 1)
    assert host.nvidia.gpu_names == ("NVIDIA A100-SXM4-80GB",)


def test_nvml_without_cuda_version_gets_it_from_the_table(tmp_path: Path) -> None:
    lib = build_fake_nvml(tmp_path / "lib", "535.104.05", 12020, [(8, 0)], ["A100"])
    build_fake_nvml(tmp_path / "lib", cuda_version_symbol=False)
    host = _detect(tmp_path, {"LD_LIBRARY_PATH": str(lib)})
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.compute_capabilities) == (
        "nvml+table",
        "13.0",
        ("9.0",),
    )


def test_procfs_alone(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path / "root", "550.54.14", sysfs=False, open_module=False)
    host = _detect(tmp_path, root=root)
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.nvidia.driver_version) == (
        "procfs+table",
        "12.4",
        "550.54.14",
    )


def test_driver_without_gpu_is_no_nvidia(tmp_path: Path) -> None:
    env = fake_gpu_env(tmp_path, DRIVER_WITHOUT_GPU, {"PATH": str(tmp_path / "no-bin")})
    host = _detect(tmp_path, env)
    assert host.nvidia is None
    assert "nvidia: nvml sees driver 580.159.04 but no GPU, so no NVIDIA GPU" in host.log


def test_cuda_override_replaces_every_probe(tmp_path: Path) -> None:
    env = fake_gpu_env(tmp_path, H100, {"PATH": str(tmp_path / "no-bin")})
    env["POETRY_PLATFORM_CUDA"] = " 12.4 "
    host = _detect(tmp_path, env)
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.compute_capabilities) == ("override", "12.4", ())
    assert _nvidia_lines(host) == ["nvidia: CUDA 12.4 from POETRY_PLATFORM_CUDA, no probe run"]


@pytest.mark.parametrize("variable", ["POETRY_PLATFORM_CUDA", "CONDA_OVERRIDE_CUDA"])
def test_empty_cuda_override_means_no_cuda(tmp_path: Path, variable: str) -> None:
    env = fake_gpu_env(tmp_path, H100, {"PATH": str(tmp_path / "no-bin")})
    env[variable] = ""
    host = _detect(tmp_path, env)
    assert host.nvidia is None
    assert _nvidia_lines(host) == [f"nvidia: none, {variable} is set empty"]


def test_conda_override_and_precedence(tmp_path: Path) -> None:
    host = _detect(tmp_path, {"CONDA_OVERRIDE_CUDA": "12.2"})
    assert (host.cuda, host.nvidia.source if host.nvidia else None) == ("12.2", "override")
    both = _detect(tmp_path, {"CONDA_OVERRIDE_CUDA": "12.2", "POETRY_PLATFORM_CUDA": "13.0"})
    assert both.cuda == "13.0"
    forced = _detect(
        tmp_path,
        {"POETRY_PLATFORM_CUDA": "13.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY": "7.5, 8.6,7.5"},
    )
    assert forced.compute_capabilities == ("7.5", "8.6")


def test_compute_capability_override_on_a_probed_gpu(tmp_path: Path) -> None:
    env = fake_gpu_env(tmp_path, H100, {"PATH": str(tmp_path / "no-bin")})
    env["POETRY_PLATFORM_COMPUTE_CAPABILITY"] = "8.6"
    host = _detect(tmp_path, env)
    assert host.nvidia is not None
    assert (host.nvidia.source, host.cuda, host.compute_capabilities) == (
        "nvml+override",
        "13.0",
        ("8.6",),
    )
    alone = _detect(tmp_path, {"POETRY_PLATFORM_COMPUTE_CAPABILITY": "8.6"})
    assert alone.nvidia is not None
    assert (alone.nvidia.source, alone.cuda, alone.compute_capabilities) == (
        "override",
        None,
        ("8.6",),
    )
    assert read_overrides({"POETRY_PLATFORM_COMPUTE_CAPABILITY": " "}).compute_capabilities is None


@pytest.mark.parametrize(
    ("variable", "value", "example"),
    [
        ("POETRY_PLATFORM_CUDA", "cuda12", "POETRY_PLATFORM_CUDA=12.4"),
        ("POETRY_PLATFORM_CUDA", "12.4.x", "POETRY_PLATFORM_CUDA=12.4"),
        ("CONDA_OVERRIDE_CUDA", "yes", "CONDA_OVERRIDE_CUDA=12.4"),
        ("POETRY_PLATFORM_COMPUTE_CAPABILITY", "86", "POETRY_PLATFORM_COMPUTE_CAPABILITY=8.6"),
        ("POETRY_PLATFORM_COMPUTE_CAPABILITY", "8.6;9.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY=8.6"),
        ("POETRY_PLATFORM_COMPUTE_CAPABILITY", "sm_90", "POETRY_PLATFORM_COMPUTE_CAPABILITY=8.6"),
        ("POETRY_PLATFORM_ROCM", "latest", "POETRY_PLATFORM_ROCM=6.2"),
    ],
)
def test_malformed_override_is_one_clear_error(
    tmp_path: Path, variable: str, value: str, example: str
) -> None:
    with pytest.raises(HostOverrideError) as caught:
        _detect(tmp_path, {variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}={value!r} is not ")
    assert f"use e.g. {example}" in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)
