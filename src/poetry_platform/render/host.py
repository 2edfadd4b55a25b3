"""Host facts in words: `platform-show`'s rows, the accelerator phrase of every selection
line, and the host as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from poetry_platform.host.profile import HostProfile


def accelerator(host: HostProfile) -> str:
    """The accelerator in one phrase: `CUDA 13.0 (driver 580.65.06), compute capability 9.0
    from nvml`, `ROCm 6.2.1 from kfd` or `no GPU detected`."""
    if host.nvidia is not None and host.cuda is not None:
        text = f"CUDA {host.cuda}"
        if host.nvidia.driver_version:
            text += f" (driver {host.nvidia.driver_version})"
        if host.compute_capabilities:
            text += f", compute capability {', '.join(host.compute_capabilities)}"
        return text + f" from {host.nvidia.source}"
    if host.rocm is not None:
        return f"ROCm {host.rocm.version or '(version unknown)'} from {host.rocm.source}"
    return "no GPU detected"


def host_rows(host: HostProfile) -> list[tuple[str, str]]:
    """(label, value) rows: platform, python, nvidia, rocm."""
    platform = f"{host.sys_platform} {host.platform_machine}"
    if host.libc:
        platform += f" ({host.libc} {host.libc_version or '?'})"
    if host.macos_version:
        platform += f" (macOS {host.macos_version}"
        platform += ", Apple silicon" if host.apple_silicon else ""
        platform += ", under Rosetta" if host.rosetta else ""
        platform += ")"
    rows = [("platform", platform), ("python", host.python_version)]
    nv = host.nvidia
    if nv is None:
        rows.append(("nvidia", "not detected"))
    else:
        parts = []
        if nv.driver_version:
            parts.append(f"driver {nv.driver_version}")
        parts.append(f"CUDA {nv.cuda_version}" if nv.cuda_version else "CUDA unknown")
        if nv.gpu_count:
            parts.append(f"{nv.gpu_count} GPU{'s' if nv.gpu_count != 1 else ''}")
        if nv.compute_capabilities:
            parts.append("compute capability " + ", ".join(nv.compute_capabilities))
        rows.append(("nvidia", ", ".join(parts) + f" (from {nv.source})"))
    if host.rocm is None:
        rows.append(("rocm", "not detected"))
    else:
        text = f"ROCm {host.rocm.version or 'version unknown'}"
        if host.rocm.gfx_targets:
            text += ", " + ", ".join(host.rocm.gfx_targets)
        rows.append(("rocm", text + f" (from {host.rocm.source})"))
    return rows


def host_json(host: HostProfile) -> dict[str, Any]:
    return {
        "sys_platform": host.sys_platform,
        "platform_machine": host.platform_machine,
        "python_version": host.python_version,
        "libc": host.libc,
        "libc_version": host.libc_version,
        "macos_version": host.macos_version,
        "apple_silicon": host.apple_silicon,
        "rosetta": host.rosetta,
        "cuda": host.cuda,
        "compute_capabilities": list(host.compute_capabilities),
        "nvidia": None
        if host.nvidia is None
        else {
            "source": host.nvidia.source,
            "driver_version": host.nvidia.driver_version,
            "cuda_version": host.nvidia.cuda_version,
            "compute_capabilities": list(host.nvidia.compute_capabilities),
            "gpu_names": list(host.nvidia.gpu_names),
            "gpu_count": host.nvidia.gpu_count,
        },
        "rocm": None
        if host.rocm is None
        else {
            "source": host.rocm.source,
            "version": host.rocm.version,
            "gfx_targets": list(host.rocm.gfx_targets),
        },
    }
