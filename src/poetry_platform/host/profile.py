"""What this machine is: OS, CPU, Python, libc, and its accelerators.

The profile is plain data so that variant selection and every test can hand in any host
("CUDA 12.4, compute capability 6.1") without touching the real machine.
Detection itself lives in `detect.py` (a chain of bounded probes).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True)
class NvidiaInfo:
    """NVIDIA facts and which probe gave them (e.g. "nvml", "nvidia-smi", "sysfs", "override").

    `cuda_version` is the highest CUDA version the *driver* supports ("13.0"), not a toolkit.
    """

    source: str
    driver_version: str | None = None
    cuda_version: str | None = None
    compute_capabilities: tuple[str, ...] = ()
    gpu_names: tuple[str, ...] = ()
    gpu_count: int = 0


@dataclass(frozen=True)
class RocmInfo:
    source: str
    version: str | None = None
    gfx_targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostProfile:
    sys_platform: str
    platform_machine: str
    python_version: str
    libc: str | None = None  # "glibc" | "musl" | None
    libc_version: str | None = None
    macos_version: str | None = None
    apple_silicon: bool = False
    rosetta: bool = False
    nvidia: NvidiaInfo | None = None
    rocm: RocmInfo | None = None
    # Human-readable trail of what each probe found or why it was skipped (shown with -v).
    log: tuple[str, ...] = field(default=(), compare=False)

    @property
    def cuda(self) -> str | None:
        return self.nvidia.cuda_version if self.nvidia else None

    @property
    def compute_capabilities(self) -> tuple[str, ...]:
        return self.nvidia.compute_capabilities if self.nvidia else ()

    @property
    def rocm_version(self) -> str | None:
        return self.rocm.version if self.rocm else None
