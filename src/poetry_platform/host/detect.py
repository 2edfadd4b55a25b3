"""Host detection: the facts of `HostProfile`, and a log of how each was found.

The probe order, which the code below follows. For each accelerator the first useful
answer wins; a later probe only fills facts still unknown (NVML gave the driver but no
compute capability: nvidia-smi may add it).

1. Overrides, read from the environment once, at the edge:
   `POETRY_PLATFORM_CUDA` (else `CONDA_OVERRIDE_CUDA`, as conda and pixi read it) is a
   CUDA version such as `12.4`, or empty for "no CUDA"; set, it replaces every NVIDIA probe
   (a Docker build on a machine without a GPU). `POETRY_PLATFORM_COMPUTE_CAPABILITY`
   (`8.6`, or `8.6,9.0`) replaces the probed compute capabilities. `POETRY_PLATFORM_ROCM`
   (`6.2`, or empty) replaces the ROCm probes.
2. NVML (libnvidia-ml.so.1) in this process, in a daemon thread joined with a timeout.
3. libcuda (libcuda.so.1): cuInit, cuDriverGetVersion and device attributes, in a child
   process with a timeout (cuInit can hang).
4. `nvidia-smi` found on PATH: the per-GPU query and the plain table, with a timeout.
5. `/sys/module/nvidia/version`, then `/proc/driver/nvidia/version` and
   `/proc/driver/nvidia/gpus/*` under `root`: the kernel driver's version, GPU names.
6. The driver table (`nvidia_text.CUDA_DRIVER_TABLE`) when no probe read the CUDA version.
7. ROCm: GPU targets from the kfd topology under `root`, then ROCm's version from
   `$ROCM_PATH` or `/opt/rocm/.info/version`.

Every probe follows one rule (`probing.attempt`): a missing library or tool, an error, a
timeout or an unreadable answer becomes one log line and the next probe runs. On a host
without any GPU nothing is started: each probe stops at a failed dlopen, a PATH lookup
or a missing file.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from typing import NamedTuple

from poetry_platform.errors import UsageError
from poetry_platform.host.nvidia import CUDA_LIBRARY
from poetry_platform.host.nvidia import NVIDIA_SMI
from poetry_platform.host.nvidia import NVML_LIBRARY
from poetry_platform.host.nvidia import combine
from poetry_platform.host.nvidia import is_complete
from poetry_platform.host.nvidia import probe_libcuda
from poetry_platform.host.nvidia import probe_nvidia_smi
from poetry_platform.host.nvidia import probe_nvml
from poetry_platform.host.nvidia import probe_procfs
from poetry_platform.host.nvidia import probe_sysfs
from poetry_platform.host.probing import attempt
from poetry_platform.host.probing import resolve_library
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.host.profile import RocmInfo
from poetry_platform.host.rocm import probe_kfd
from poetry_platform.host.rocm import probe_rocm_version
from poetry_platform.host.system import detect_system

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping

    from poetry_platform.host.nvidia import NvidiaReading

CUDA_ENV = "POETRY_PLATFORM_CUDA"
CONDA_CUDA_ENV = "CONDA_OVERRIDE_CUDA"
COMPUTE_CAPABILITY_ENV = "POETRY_PLATFORM_COMPUTE_CAPABILITY"
ROCM_ENV = "POETRY_PLATFORM_ROCM"

_VERSION = re.compile(r"\d{1,3}(?:\.\d{1,3}){0,2}")
_COMPUTE_CAPABILITY = re.compile(r"\d{1,2}\.\d")


class HostOverrideError(UsageError, ValueError):
    """An override variable holds something unusable; the message names it and a fix."""


class Forced(NamedTuple):
    """A version forced by an environment variable; `version=None`: set empty, "none here"."""

    variable: str
    version: str | None


class Overrides(NamedTuple):
    cuda: Forced | None = None
    compute_capabilities: tuple[str, ...] | None = None
    rocm: Forced | None = None


def read_overrides(environ: Mapping[str, str]) -> Overrides:
    """The override variables, checked. Raises `HostOverrideError` on a malformed value."""
    cuda = None
    for variable in (CUDA_ENV, CONDA_CUDA_ENV):
        if variable in environ:
            cuda = _forced(variable, environ[variable], "a CUDA version", "12.4", "CUDA")
            break
    rocm = None
    if ROCM_ENV in environ:
        rocm = _forced(ROCM_ENV, environ[ROCM_ENV], "a ROCm version", "6.2", "ROCm")
    caps = None
    raw = environ.get(COMPUTE_CAPABILITY_ENV, "").strip()
    if raw:
        items = [item.strip() for item in raw.split(",")]
        if not all(_COMPUTE_CAPABILITY.fullmatch(item) for item in items):
            raise HostOverrideError(
                f"{COMPUTE_CAPABILITY_ENV}={raw!r} is not a compute capability: "
                f"use e.g. {COMPUTE_CAPABILITY_ENV}=8.6, or a list such as 8.6,9.0"
            )
        caps = tuple(dict.fromkeys(items))
    return Overrides(cuda, caps, rocm)


def _forced(variable: str, raw: str, what: str, example: str, name: str) -> Forced:
    value = raw.strip()
    if not value:
        return Forced(variable, None)
    if not _VERSION.fullmatch(value):
        raise HostOverrideError(
            f"{variable}={raw!r} is not {what}: use e.g. {variable}={example}, "
            f"or set it empty for a host without {name}"
        )
    return Forced(variable, value)


def detect_host(
    environ: Mapping[str, str] | None = None,
    *,
    root: Path = Path("/"),
    timeout: float = 2.0,
    nvml_library: str = NVML_LIBRARY,
    cuda_library: str = CUDA_LIBRARY,
    nvidia_smi: str = NVIDIA_SMI,
) -> HostProfile:
    """Probe this machine (see the module docstring for the order).

    `environ` (default `os.environ`) gives the overrides, PATH for nvidia-smi,
    LD_LIBRARY_PATH for the libraries and the environment of child processes. `root` is
    where /sys, /proc and /opt/rocm are looked up. `timeout` bounds each probe, in seconds.
    The library and tool names may be paths (tests point them at fakes).
    Raises `HostOverrideError` for a malformed override; never for a probe.
    """
    env = dict(os.environ if environ is None else environ)
    overrides = read_overrides(env)
    log: list[str] = []
    system = detect_system(log, timeout=timeout, environ=env)
    nvidia = _detect_nvidia(
        overrides,
        log,
        probes=(
            ("nvml", lambda: probe_nvml(resolve_library(nvml_library, env), timeout=timeout)),
            (
                "libcuda",
                lambda: probe_libcuda(resolve_library(cuda_library, env), timeout=timeout, env=env),
            ),
            ("nvidia-smi", lambda: probe_nvidia_smi(nvidia_smi, timeout=timeout, env=env)),
            ("sysfs", lambda: probe_sysfs(root)),
            ("procfs", lambda: probe_procfs(root)),
        ),
    )
    rocm = _detect_rocm(overrides, log, root=root, environ=env)
    return HostProfile(
        sys_platform=system.sys_platform,
        platform_machine=system.platform_machine,
        python_version=system.python_version,
        libc=system.libc,
        libc_version=system.libc_version,
        macos_version=system.macos_version,
        apple_silicon=system.apple_silicon,
        rosetta=system.rosetta,
        nvidia=nvidia,
        rocm=rocm,
        log=tuple(log),
    )


def _detect_nvidia(
    overrides: Overrides,
    log: list[str],
    *,
    probes: tuple[tuple[str, Callable[[], NvidiaReading]], ...],
) -> NvidiaInfo | None:
    caps = overrides.compute_capabilities
    if overrides.cuda is not None:
        forced = overrides.cuda
        if forced.version is None:
            log.append(f"nvidia: none, {forced.variable} is set empty")
            return None
        forced_info = NvidiaInfo(
            "override", cuda_version=forced.version, compute_capabilities=caps or ()
        )
        log.append(f"nvidia: {_describe(forced_info)} from {forced.variable}, no probe run")
        return forced_info
    readings: list[NvidiaReading] = []
    for name, probe in probes:
        reading = attempt(name, probe, log)
        if reading is not None:
            log.append(f"{name}: {reading.describe()}")
            log.extend(reading.notes)
            readings.append(reading)
            if is_complete(readings):
                break
    info, lines = combine(readings)
    log.extend(lines)
    if caps is not None:
        log.append(f"nvidia: compute capability {', '.join(caps)} from {COMPUTE_CAPABILITY_ENV}")
        if info is None:
            info = NvidiaInfo("override", compute_capabilities=caps)
        else:
            info = replace(info, source=f"{info.source}+override", compute_capabilities=caps)
    log.append(f"nvidia: {_describe(info)} from {info.source}" if info else "nvidia: no GPU found")
    return info


def _describe(info: NvidiaInfo) -> str:
    parts = [f"CUDA {info.cuda_version}" if info.cuda_version else "CUDA unknown"]
    if info.driver_version:
        parts.append(f"driver {info.driver_version}")
    if info.compute_capabilities:
        parts.append("compute capability " + ", ".join(info.compute_capabilities))
    return ", ".join(parts)


def _detect_rocm(
    overrides: Overrides, log: list[str], *, root: Path, environ: Mapping[str, str]
) -> RocmInfo | None:
    if overrides.rocm is not None:
        forced = overrides.rocm
        if forced.version is None:
            log.append(f"rocm: none, {forced.variable} is set empty")
            return None
        log.append(f"rocm: ROCm {forced.version} from {forced.variable}, no probe run")
        return RocmInfo("override", forced.version)
    targets = attempt("kfd", lambda: probe_kfd(root), log)
    if targets is None:
        return None
    if not targets:
        log.append("kfd: no GPU node, so no AMD GPU")
        return None
    log.append(f"kfd: {', '.join(targets)}")
    found = attempt("rocm", lambda: probe_rocm_version(root, environ), log)
    if found is not None:
        log.append(f"rocm: ROCm {found[0]} from {found[1]}")
    return RocmInfo("kfd", found[0] if found else None, targets)
