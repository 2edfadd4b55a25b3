"""ROCm: gfx targets from kfd topology nodes, the installed version, and detection's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from poetry_platform.host.probing import ProbeError
from poetry_platform.host.rocm import gfx_target
from poetry_platform.host.rocm import parse_kfd_properties
from poetry_platform.host.rocm import parse_rocm_version
from poetry_platform.host.rocm import probe_kfd
from poetry_platform.host.rocm import probe_rocm_version
from tests.fakes.gpu import KFD_CPU_NODE
from tests.fakes.gpu import detect_isolated
from tests.fakes.gpu import write_fake_sysroot

if TYPE_CHECKING:
    from pathlib import Path

# An MI300X node, as the amdgpu driver publishes it (abridged).
MI300X_NODE = """cpu_cores_count 0
simd_count 1216
mem_banks_count 1
gfx_target_version 90402
vendor_id 4098
device_id 29857
drm_render_minor 128
"""


@pytest.mark.parametrize(
    ("version", "name"),
    [
        (90010, "gfx90a"),
        (90008, "gfx908"),
        (90402, "gfx942"),
        (100300, "gfx1030"),
        (110000, "gfx1100"),
        (120001, "gfx1201"),
    ],
)
def test_gfx_target(version: int, name: str) -> None:
    assert gfx_target(version) == name


def test_kfd_properties() -> None:
    assert parse_kfd_properties(MI300X_NODE) == "gfx942"
    assert parse_kfd_properties(KFD_CPU_NODE) is None
    with pytest.raises(ValueError, match="not a number"):
        parse_kfd_properties("gfx_target_version gfx942\n")
    with pytest.raises(ValueError, match="not a gfx target version"):
        parse_kfd_properties("gfx_target_version 91700\n")


def test_rocm_version() -> None:
    assert parse_rocm_version("6.2.1-112\n") == "6.2.1"
    assert parse_rocm_version("6.3.0\n") == "6.3.0"
    with pytest.raises(ValueError, match="not a ROCm version"):
        parse_rocm_version("rocm\n")


def test_kfd_probe_lists_distinct_gpu_targets_in_node_order(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, None, gfx_versions=[90010, 90402, 90010])
    assert probe_kfd(root) == ("gfx90a", "gfx942")
    with pytest.raises(ProbeError, match=r"no .*kfd/topology/nodes"):
        probe_kfd(tmp_path / "elsewhere")


def test_rocm_version_probe_prefers_rocm_path(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, None, rocm_version="6.2.1-112")
    assert probe_rocm_version(root, {}) == ("6.2.1", root / "opt/rocm/.info/version")
    custom = root / "opt/rocm-6.3.0/.info/version"
    custom.parent.mkdir(parents=True)
    custom.write_text("6.3.0-39\n")
    assert probe_rocm_version(root, {"ROCM_PATH": "/opt/rocm-6.3.0"})[0] == "6.3.0"
    custom.write_text("garbage\n")
    with pytest.raises(ProbeError, match="garbled"):
        probe_rocm_version(root, {"ROCM_PATH": "/opt/rocm-6.3.0"})


def test_detect_amd_host(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, None, gfx_versions=[90402] * 8, rocm_version="6.2.1")
    host = detect_isolated(tmp_path, root=root)
    assert host.rocm is not None
    assert (host.rocm.source, host.rocm_version, host.rocm.gfx_targets) == (
        "kfd",
        "6.2.1",
        ("gfx942",),
    )
    assert host.nvidia is None
    assert host.log[-2:] == ("kfd: gfx942", f"rocm: ROCm 6.2.1 from {root}/opt/rocm/.info/version")


def test_detect_amd_gpu_without_rocm_installed(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, None, gfx_versions=[110003])
    host = detect_isolated(tmp_path, root=root)
    assert host.rocm is not None
    assert (host.rocm.version, host.rocm.gfx_targets) == (None, ("gfx1103",))


def test_detect_cpu_only_kfd_and_rocm_install_is_no_rocm(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, None, gfx_versions=[90010], rocm_version="6.2.1")
    (root / "sys/class/kfd/kfd/topology/nodes/1").rename(root / "gone")
    host = detect_isolated(tmp_path, root=root)
    assert host.rocm is None
    assert "kfd: no GPU node, so no AMD GPU" in host.log


def test_rocm_override(tmp_path: Path) -> None:
    root = write_fake_sysroot(tmp_path, None, gfx_versions=[90402], rocm_version="6.2.1")
    forced = detect_isolated(tmp_path, {"POETRY_PLATFORM_ROCM": "6.3"}, root=root)
    assert forced.rocm is not None
    assert (forced.rocm.source, forced.rocm_version) == ("override", "6.3")
    none = detect_isolated(tmp_path, {"POETRY_PLATFORM_ROCM": ""}, root=root)
    assert none.rocm is None
    assert "rocm: none, POETRY_PLATFORM_ROCM is set empty" in none.log
