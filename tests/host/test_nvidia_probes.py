"""Each NVIDIA probe, run for real against fake libraries, a fake nvidia-smi, fake /sys and /proc.

Hanging fakes answer after their sleep: only a working timeout keeps their GPU hidden.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from poetry_platform.host.nvidia import NvidiaReading
from poetry_platform.host.nvidia import probe_libcuda
from poetry_platform.host.nvidia import probe_nvidia_smi
from poetry_platform.host.nvidia import probe_nvml
from poetry_platform.host.nvidia import probe_procfs
from poetry_platform.host.nvidia import probe_sysfs
from poetry_platform.host.probing import ProbeError
from tests.fakes.gpu import A100_DRIVER_535
from tests.fakes.gpu import H100_AND_A100
from tests.fakes.gpu import build_fake_libcuda
from tests.fakes.gpu import build_fake_nvml
from tests.fakes.gpu import write_fake_nvidia_smi
from tests.fakes.gpu import write_fake_sysroot

if TYPE_CHECKING:
    from pathlib import Path

HANG_TIMEOUT = 0.5
ENV = {"PATH": os.defpath}


def test_nvml_reads_driver_cuda_and_every_gpu(tmp_path: Path) -> None:
    host = H100_AND_A100
    lib = build_fake_nvml(tmp_path, host.driver, host.cuda, host.compute_caps, host.names)
    reading = probe_nvml(str(lib / "libnvidia-ml.so.1"), timeout=2.0)
    assert reading.source == "nvml"
    assert (reading.driver_version, reading.cuda_version) == ("580.159.04", "13.0")
    assert reading.compute_capabilities == ("9.0", "8.0")
    assert reading.gpu_names == ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB")
    assert reading.gpu_count == 2


def test_nvml_error_code_names_the_error(tmp_path: Path) -> None:
    lib = build_fake_nvml(tmp_path, init_error=9)
    with pytest.raises(ProbeError, match=r"nvmlInit_v2 failed: Driver Not Loaded \(NVML error 9\)"):
        probe_nvml(str(lib / "libnvidia-ml.so.1"), timeout=2.0)


def test_nvml_hang_times_out(tmp_path: Path) -> None:
    lib = build_fake_nvml(tmp_path, hang=True)
    with pytest.raises(ProbeError, match=r"timed out after 0\.5 s"):
        probe_nvml(str(lib / "libnvidia-ml.so.1"), timeout=HANG_TIMEOUT)


def test_nvml_garbled_driver_is_ignored(tmp_path: Path) -> None:
    lib = build_fake_nvml(tmp_path, driver="NVIDIA rocks")
    with pytest.raises(ProbeError, match="garbled answer ignored: not a driver version"):
        probe_nvml(str(lib / "libnvidia-ml.so.1"), timeout=2.0)


def test_nvml_without_cuda_version_entry_point(tmp_path: Path) -> None:
    lib = build_fake_nvml(tmp_path, cuda_version_symbol=False)
    reading = probe_nvml(str(lib / "libnvidia-ml.so.1"), timeout=2.0)
    assert (reading.driver_version, reading.cuda_version) == ("580.159.04", None)
    assert reading.notes == ("nvml: no nvmlSystemGetCudaDriverVersion_v2 in this NVML",)


def test_missing_library_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="not found"):
        probe_nvml(str(tmp_path / "libnvidia-ml.so.1"), timeout=2.0)
    with pytest.raises(ProbeError, match=r"^libcuda\.so\.1 not found$"):
        probe_libcuda("libcuda.so.1", timeout=2.0, env=ENV)


def test_corrupt_library_is_reported_not_loaded(tmp_path: Path) -> None:
    (tmp_path / "libnvidia-ml.so.1").write_text("not an ELF file\n")
    with pytest.raises(ProbeError, match=r"cannot load .*libnvidia-ml\.so\.1: .*"):
        probe_nvml(str(tmp_path / "libnvidia-ml.so.1"), timeout=2.0)


def test_libcuda_in_a_child_process(tmp_path: Path) -> None:
    host = A100_DRIVER_535
    lib = build_fake_libcuda(tmp_path, host.cuda, host.compute_caps, host.names)
    reading = probe_libcuda(str(lib / "libcuda.so.1"), timeout=5.0, env=ENV)
    assert (reading.source, reading.driver_version, reading.cuda_version) == (
        "libcuda",
        None,
        "12.2",
    )
    assert (reading.compute_capabilities, reading.gpu_count) == (("8.0",), 1)


def test_libcuda_without_device(tmp_path: Path) -> None:
    lib = build_fake_libcuda(tmp_path, 13000, [], [])
    reading = probe_libcuda(str(lib / "libcuda.so.1"), timeout=5.0, env=ENV)
    assert (reading.cuda_version, reading.gpu_count) == ("13.0", 0)


def test_libcuda_stub_library_fails(tmp_path: Path) -> None:
    lib = build_fake_libcuda(tmp_path, init_error=34)
    with pytest.raises(ProbeError, match=r"cuInit failed: CUDA_ERROR_STUB_LIBRARY \(34\)"):
        probe_libcuda(str(lib / "libcuda.so.1"), timeout=5.0, env=ENV)


def test_libcuda_hang_times_out(tmp_path: Path) -> None:
    lib = build_fake_libcuda(tmp_path, hang=True)
    with pytest.raises(ProbeError, match=r"timed out after 0\.5 s"):
        probe_libcuda(str(lib / "libcuda.so.1"), timeout=HANG_TIMEOUT, env=ENV)


def _smi(tmp_path: Path, behaviour: str = "ok", timeout: float = 5.0) -> NvidiaReading:
    folder = write_fake_nvidia_smi(tmp_path / "bin", behaviour=behaviour)
    return probe_nvidia_smi("nvidia-smi", timeout=timeout, env={"PATH": str(folder)})


def test_nvidia_smi_reads_query_and_table(tmp_path: Path) -> None:
    host = H100_AND_A100
    folder = write_fake_nvidia_smi(
        tmp_path, host.driver, host.cuda_version, host.compute_caps, host.names
    )
    reading = probe_nvidia_smi("nvidia-smi", timeout=5.0, env={"PATH": str(folder)})
    assert (reading.source, reading.driver_version, reading.cuda_version) == (
        "nvidia-smi",
        "580.159.04",
        "13.0",
    )
    assert (reading.compute_capabilities, reading.gpu_count) == (("9.0", "8.0"), 2)
    assert reading.gpu_names == tuple(host.names)


def test_nvidia_smi_hang_times_out(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match=r"timed out after 0\.5 s"):
        _smi(tmp_path, "hang", timeout=HANG_TIMEOUT)


def test_nvidia_smi_garbage_is_ignored(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="garbled answer ignored"):
        _smi(tmp_path, "garbage")


def test_nvidia_smi_without_driver_quotes_its_message(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="exit 9: NVIDIA-SMI has failed because it couldn't"):
        _smi(tmp_path, "no-driver")


def test_nvidia_smi_without_devices(tmp_path: Path) -> None:
    reading = _smi(tmp_path, "no-devices")
    assert reading.gpu_count == 0


def test_old_nvidia_smi_without_compute_cap_field(tmp_path: Path) -> None:
    reading = _smi(tmp_path, "no-compute-cap")
    assert (reading.driver_version, reading.cuda_version) == ("580.159.04", "13.0")
    assert reading.compute_capabilities is None
    assert "GPU query failed, exit 2" in reading.notes[0]


def test_nvidia_smi_not_on_path(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="nvidia-smi not found on PATH"):
        probe_nvidia_smi("nvidia-smi", timeout=5.0, env={"PATH": str(tmp_path)})


def test_sysfs_and_procfs(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, "535.104.05", ["NVIDIA A100-SXM4-80GB"] * 2)
    assert probe_sysfs(root).driver_version == "535.104.05"
    reading = probe_procfs(root)
    assert (reading.driver_version, reading.gpu_count) == ("535.104.05", 2)
    assert reading.gpu_names == ("NVIDIA A100-SXM4-80GB",) * 2
    old = write_fake_sysroot(tmp_path / "old", "470.256.02", open_module=False)
    assert probe_procfs(old).driver_version == "470.256.02"


def test_sysfs_missing_or_garbled(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match=r"^no .*sys/module/nvidia/version$"):
        probe_sysfs(tmp_path)
    with pytest.raises(ProbeError, match=r"^no .*proc/driver/nvidia/version$"):
        probe_procfs(tmp_path)
    root = write_fake_sysroot(tmp_path, "not a version")
    with pytest.raises(ProbeError, match=r"garbled .*version ignored"):
        probe_sysfs(root)
    with pytest.raises(ProbeError, match=r"garbled .*version ignored"):
        probe_procfs(root)
