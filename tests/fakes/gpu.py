"""Fake GPU hosts that host detection probes for real.

Nothing here mocks the probes: `build_fake_nvml` and `build_fake_libcuda` compile small C
libraries exporting the driver entry points the probes call (answers fixed at compile time
through -D flags), `write_fake_nvidia_smi` writes a shell script that prints what the real
tool prints, and `write_fake_sysroot` lays out /sys, /proc and /opt/rocm files.

In-process tests call `detect_isolated(tmp_path, env)` (which sees nothing of the real
machine) with an `env` from `fake_gpu_env`, or pass built paths (`nvml_library=`,
`nvidia_smi=`, `root=`). End-to-end tests run a command with
`env=fake_gpu_env(tmp_path, H100)`: the fake library folder first on LD_LIBRARY_PATH and
the fake nvidia-smi first on PATH, which the default library loading (by soname) honours.
`SCENARIOS` names the hosts worth covering: no GPU, driver 535, H100, CUDA 13 with a
compute capability 6.1 GPU, two GPUs of different compute capability.

Compiled libraries are cached by content under the temporary directory, so gcc runs once
per variant, not once per test. Tests that need them are skipped off Linux or without gcc.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest

from poetry_platform.host.detect import detect_host
from poetry_platform.host.nvidia import CUDA_LIBRARY
from poetry_platform.host.nvidia import NVML_LIBRARY
from poetry_platform.host.probing import resolve_library

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from poetry_platform.host.profile import HostProfile


@dataclass(frozen=True)
class FakeGpu:
    name: str
    compute_capability: tuple[int, int]


@dataclass(frozen=True)
class FakeNvidiaHost:
    """An NVIDIA host as its driver describes it. `cuda` as cuDriverGetVersion: 13000."""

    driver: str
    cuda: int
    gpus: tuple[FakeGpu, ...]

    @property
    def cuda_version(self) -> str:
        return f"{self.cuda // 1000}.{self.cuda % 1000 // 10}"

    @property
    def compute_caps(self) -> list[tuple[int, int]]:
        return [gpu.compute_capability for gpu in self.gpus]

    @property
    def names(self) -> list[str]:
        return [gpu.name for gpu in self.gpus]


H100_GPU = FakeGpu("NVIDIA H100 80GB HBM3", (9, 0))
A100_GPU = FakeGpu("NVIDIA A100-SXM4-80GB", (8, 0))

# The real H100 host this project was checked on.
H100 = FakeNvidiaHost("580.159.04", 13000, (H100_GPU,))
# A long-term-support driver: CUDA 12.2, so no CUDA 13 build.
A100_DRIVER_535 = FakeNvidiaHost("535.104.05", 12020, (A100_GPU,))
# A CUDA 13 driver with a GPU that CUDA 13 builds cannot run (they need >= 7.5).
GTX_1080_TI_CUDA_13 = FakeNvidiaHost(
    "580.159.04", 13000, (FakeGpu("NVIDIA GeForce GTX 1080 Ti", (6, 1)),)
)
# Two GPUs of different compute capability in one host.
H100_AND_A100 = FakeNvidiaHost("580.159.04", 13000, (H100_GPU, A100_GPU))
# The driver is loaded but sees no GPU.
DRIVER_WITHOUT_GPU = FakeNvidiaHost("580.159.04", 13000, ())

SCENARIOS: dict[str, FakeNvidiaHost | None] = {
    "no-gpu": None,
    "driver-535": A100_DRIVER_535,
    "h100": H100,
    "cuda13-cc61": GTX_1080_TI_CUDA_13,
    "two-gpus": H100_AND_A100,
}


# --- compiled libraries ------------------------------------------------------------------

NVML_SOURCE = r"""
/* Stand-in for libnvidia-ml.so.1: the entry points poetry-platform's NVML probe calls. */
#include <string.h>
#include <unistd.h>

static const int caps[][2] = FAKE_CAPS;
static const char *names[] = FAKE_NAMES;
static int devices[FAKE_COUNT + 1];

static int copy(char *out, unsigned int length, const char *text) {
    if (strlen(text) + 1 > length) return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
    strcpy(out, text);
    return 0;
}

static int index_of(void *device) { return (int)((int *)device - devices); }

int nvmlInit_v2(void) {
#ifdef FAKE_HANG
    sleep(60);
#endif
#ifdef FAKE_INIT_ERROR
    return FAKE_INIT_ERROR;
#else
    return 0;
#endif
}

int nvmlShutdown(void) { return 0; }

const char *nvmlErrorString(int result) {
    switch (result) {
    case 0: return "Success";
    case 9: return "Driver Not Loaded";
    case 18: return "RM has detected an NVML/RM version mismatch.";
    default: return "Unknown Error";
    }
}

int nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return copy(version, length, FAKE_DRIVER);
}

#ifndef FAKE_NO_CUDA_VERSION
int nvmlSystemGetCudaDriverVersion_v2(int *version) {
    *version = FAKE_CUDA;
    return 0;
}
#endif

int nvmlDeviceGetCount_v2(unsigned int *count) {
    *count = FAKE_COUNT;
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **device) {
    if (index >= FAKE_COUNT) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *device = &devices[index];
    return 0;
}

int nvmlDeviceGetCudaComputeCapability(void *device, int *major, int *minor) {
    *major = caps[index_of(device)][0];
    *minor = caps[index_of(device)][1];
    return 0;
}

int nvmlDeviceGetName(void *device, char *name, unsigned int length) {
    return copy(name, length, names[index_of(device)]);
}
"""

LIBCUDA_SOURCE = r"""
/* Stand-in for libcuda.so.1: the driver API calls poetry-platform's libcuda probe makes. */
#include <stdio.h>
#include <unistd.h>

static const int caps[][2] = FAKE_CAPS;
static const char *names[] = FAKE_NAMES;

int cuInit(unsigned int flags) {
#ifdef FAKE_HANG
    sleep(60);
#endif
#ifdef FAKE_INIT_ERROR
    return FAKE_INIT_ERROR;
#else
    return FAKE_COUNT > 0 ? 0 : 100; /* CUDA_ERROR_NO_DEVICE */
#endif
}

int cuGetErrorName(int error, const char **text) {
    switch (error) {
    case 0: *text = "CUDA_SUCCESS"; return 0;
    case 34: *text = "CUDA_ERROR_STUB_LIBRARY"; return 0;
    case 100: *text = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 999: *text = "CUDA_ERROR_UNKNOWN"; return 0;
    default: return 1; /* CUDA_ERROR_INVALID_VALUE */
    }
}

int cuDriverGetVersion(int *version) {
    *version = FAKE_CUDA;
    return 0;
}

int cuDeviceGetCount(int *count) {
    *count = FAKE_COUNT;
    return 0;
}

int cuDeviceGet(int *device, int ordinal) {
    if (ordinal < 0 || ordinal >= FAKE_COUNT) return 101; /* CUDA_ERROR_INVALID_DEVICE */
    *device = ordinal;
    return 0;
}

int cuDeviceGetAttribute(int *value, int attribute, int device) {
    if (device < 0 || device >= FAKE_COUNT) return 101;
    if (attribute == 75) { *value = caps[device][0]; return 0; } /* ..._COMPUTE_CAPABILITY_MAJOR */
    if (attribute == 76) { *value = caps[device][1]; return 0; } /* ..._COMPUTE_CAPABILITY_MINOR */
    return 1;
}

int cuDeviceGetName(char *name, int length, int device) {
    if (device < 0 || device >= FAKE_COUNT) return 101;
    snprintf(name, (size_t)length, "%s", names[device]);
    return 0;
}
"""


def build_fake_nvml(
    dir: Path,
    driver: str = "580.159.04",
    cuda: int = 13000,
    compute_caps: Sequence[tuple[int, int]] = ((9, 0),),
    names: Sequence[str] = ("NVIDIA H100 80GB HBM3",),
    *,
    init_error: int | None = None,
    hang: bool = False,
    cuda_version_symbol: bool = True,
) -> Path:
    """Compile a fake libnvidia-ml.so.1 into `dir`; returns `dir`.

    `init_error`: nvmlInit_v2 returns this NVML error code (9: driver not loaded).
    `hang`: nvmlInit_v2 sleeps 60 s first (then answers, so only a timeout hides the GPU).
    `cuda_version_symbol=False`: an NVML without nvmlSystemGetCudaDriverVersion_v2.
    """
    defines = _device_defines(driver, cuda, compute_caps, names)
    if init_error is not None:
        defines.append(f"-DFAKE_INIT_ERROR={int(init_error)}")
    if hang:
        defines.append("-DFAKE_HANG")
    if not cuda_version_symbol:
        defines.append("-DFAKE_NO_CUDA_VERSION")
    return _install(_compile(NVML_SOURCE, "libnvidia-ml.so.1", defines), dir)


def build_fake_libcuda(
    dir: Path,
    cuda: int = 13000,
    compute_caps: Sequence[tuple[int, int]] = ((9, 0),),
    names: Sequence[str] = ("NVIDIA H100 80GB HBM3",),
    *,
    init_error: int | None = None,
    hang: bool = False,
) -> Path:
    """Compile a fake libcuda.so.1 into `dir`; returns `dir`.

    With no GPU, cuInit returns CUDA_ERROR_NO_DEVICE (100), as the real one does.
    `init_error`: cuInit returns this CUresult (34: the toolkit's stub library).
    `hang`: cuInit sleeps 60 s first (then answers, so only a timeout hides the GPU).
    """
    defines = _device_defines("unused", cuda, compute_caps, names)
    if init_error is not None:
        defines.append(f"-DFAKE_INIT_ERROR={int(init_error)}")
    if hang:
        defines.append("-DFAKE_HANG")
    return _install(_compile(LIBCUDA_SOURCE, "libcuda.so.1", defines), dir)


def _device_defines(
    driver: str, cuda: int, compute_caps: Sequence[tuple[int, int]], names: Sequence[str]
) -> list[str]:
    if len(compute_caps) != len(names):
        raise ValueError("one compute capability per GPU name")
    caps = ",".join(f"{{{major},{minor}}}" for major, minor in compute_caps) or "{0,0}"
    quoted = ",".join(json.dumps(name) for name in names) or '""'
    return [
        f"-DFAKE_DRIVER={json.dumps(driver)}",
        f"-DFAKE_CUDA={int(cuda)}",
        f"-DFAKE_COUNT={len(names)}",
        f"-DFAKE_CAPS={{{caps}}}",
        f"-DFAKE_NAMES={{{quoted}}}",
    ]


def compiler() -> str:
    """gcc (or cc), or skip the test: the fake libraries are Linux shared objects."""
    if sys.platform != "linux":
        pytest.skip("fake NVIDIA libraries are built as Linux shared objects")
    found = shutil.which("gcc") or shutil.which("cc")
    if found is None:
        pytest.skip("no C compiler (gcc) to build fake NVIDIA libraries")
    return found


def _compile(source: str, soname: str, defines: list[str]) -> Path:
    # No -soname: glibc would then hand a later dlopen("libnvidia-ml.so.1") in this
    # process the fake an earlier test loaded by path.
    command = [compiler(), "-shared", "-fPIC", "-O1", *defines]
    key = hashlib.sha256("\0".join([*command, soname, source]).encode()).hexdigest()[:20]
    cache = Path(tempfile.gettempdir()) / f"poetry-platform-fake-gpu-{os.getuid()}" / key
    built = cache / soname
    if built.is_file():
        return built
    cache.mkdir(parents=True, exist_ok=True)
    c_file = cache / f"{soname}.c"
    c_file.write_text(source)
    partial = cache / f".{soname}.{os.getpid()}"
    result = subprocess.run(
        [*command, "-o", str(partial), str(c_file)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"building fake {soname} failed:\n{result.stderr}")
    partial.replace(built)  # atomic: parallel test workers may build the same variant
    return built


def _install(built: Path, dir: Path) -> Path:
    """A private copy, so that every test loads its own library (dlopen dedupes by file)."""
    dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, dir / built.name)
    return dir


# --- nvidia-smi --------------------------------------------------------------------------

SMI_BEHAVIOURS = ("ok", "hang", "garbage", "no-driver", "no-devices", "no-compute-cap")


def write_fake_nvidia_smi(
    dir: Path,
    driver: str = "580.159.04",
    cuda: str = "13.0",
    compute_caps: Sequence[tuple[int, int]] = ((9, 0),),
    names: Sequence[str] = ("NVIDIA H100 80GB HBM3",),
    *,
    behaviour: str = "ok",
) -> Path:
    """Write an executable `nvidia-smi` into `dir`; returns `dir` (to put first on PATH).

    Behaviours: "ok"; "hang" (sleeps 60 s, then answers as "ok"); "garbage" (exit 0, nonsense);
    "no-driver" (exit 9, the real message); "no-devices" (exit 6); "no-compute-cap" (an
    old nvidia-smi that rejects the compute_cap field, but prints its table).
    """
    if behaviour not in SMI_BEHAVIOURS:
        raise ValueError(f"behaviour must be one of {SMI_BEHAVIOURS}")
    if len(compute_caps) != len(names):
        raise ValueError("one compute capability per GPU name")
    rows = "".join(
        f"{driver}, {major}.{minor}, {name}\n"
        for (major, minor), name in zip(compute_caps, names, strict=True)
    )
    query, table = rows, smi_table(driver, cuda, names)
    prelude, status = "", 0
    if behaviour == "hang":
        prelude = "sleep 60\n"
    elif behaviour == "garbage":
        query = table = "\x1b[31m??? 0xdeadbeef\nSegmentation fault\n"
    elif behaviour == "no-driver":
        status = 9
        query = table = (
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
            "Make sure that the latest NVIDIA driver is installed and running.\n\n"
        )
    elif behaviour == "no-devices":
        status, query, table = 6, "No devices were found\n", "No devices were found\n"
    script = [
        "#!/bin/sh",
        "# fake nvidia-smi (tests/fakes/gpu.py)",
        'PATH="/usr/bin:/bin:$PATH"  # for cat and sleep, whatever PATH the test gives',
        prelude,
        'case "$1" in',
        "--query-gpu=*)",
    ]
    if behaviour == "no-compute-cap":
        script += [
            "  echo 'Field \"compute_cap\" is not a valid field to query.' >&2",
            "  exit 2 ;;",
        ]
    else:
        script += ["  cat <<'EOF'", query.rstrip("\n"), "EOF", f"  exit {status} ;;"]
    script += ["esac", "cat <<'EOF'", table.rstrip("\n"), "EOF", f"exit {status}", ""]
    path = dir / "nvidia-smi"
    dir.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(script))
    path.chmod(0o755)
    return dir


_SMI_WIDTHS = (41, 24, 22)
_SMI_HEAD = (
    (
        " GPU  Name                 Persistence-M ",
        " Bus-Id          Disp.A ",
        " Volatile Uncorr. ECC ",
    ),
    (
        " Fan  Temp   Perf          Pwr:Usage/Cap ",
        "           Memory-Usage ",
        " GPU-Util  Compute M. ",
    ),
    ("", "", "               MIG M. "),
)


def smi_table(driver: str, cuda: str, names: Sequence[str]) -> str:
    """Plain `nvidia-smi` output, laid out as driver 580 prints it."""
    full = "+" + "-" * 89 + "+"
    rule = "+" + "+".join("-" * width for width in _SMI_WIDTHS) + "+"
    lines = [
        "Tue Jan 13 09:41:07 2026       ",
        full,
        f"| NVIDIA-SMI {driver:<22} Driver Version: {driver:<14} CUDA Version: {cuda:<9}|",
        rule,
        *(_smi_row(*row) for row in _SMI_HEAD),
        "|" + "+".join("=" * width for width in _SMI_WIDTHS) + "|",
    ]
    for index, name in enumerate(names):
        lines += [
            _smi_row(
                f" {index:>3}  {name[:28]:<28}   On ", f"   00000000:{index:02X}:05.0 Off ", "0 "
            ),
            _smi_row(
                " N/A   31C    P0             69W /  700W ", "0MiB /  81559MiB ", "0%      Default "
            ),
            _smi_row("", "", "Disabled "),
            rule,
        ]
    lines += [
        "",
        full,
        f"|{' Processes:':<89}|",
        f"|{'  No running processes found':<89}|",
        full,
    ]
    return "\n".join(lines) + "\n"


def _smi_row(left: str, middle: str, right: str) -> str:
    """One table row: the first cell left-aligned, the others right-aligned, as nvidia-smi does."""
    a, b, c = _SMI_WIDTHS
    return f"|{left:<{a}}|{middle:>{b}}|{right:>{c}}|"


# --- /sys, /proc, /opt/rocm --------------------------------------------------------------

GPU_INFORMATION = """Model: \t\t {name}
IRQ:   \t\t 180
GPU UUID: \t GPU-0b2f5a44-6c1e-5d3f-9a47-{index:012d}
Video BIOS: \t 96.00.99.00.01
Bus Type: \t PCIe
DMA Size: \t 52 bits
DMA Mask: \t 0xfffffffffffff
Bus Location: \t 0000:{index:02x}:05.0
Device Minor: \t {index}
GPU Excluded:\t No
"""

KFD_CPU_NODE = """cpu_cores_count 64
simd_count 0
mem_banks_count 1
caches_count 0
io_links_count 4
gfx_target_version 0
vendor_id 0
device_id 0
drm_render_minor 0
"""

KFD_GPU_NODE = """cpu_cores_count 0
simd_count 304
mem_banks_count 1
caches_count 206
io_links_count 1
cpu_core_id_base 0
simd_id_base 2147487744
max_waves_per_simd 8
lds_size_in_kb 64
wave_front_size 64
array_count 8
gfx_target_version {version}
vendor_id 4098
device_id 29857
location_id 768
drm_render_minor {minor}
num_xcc 8
"""


def write_fake_sysroot(
    root: Path,
    driver: str | None = "580.159.04",
    names: Sequence[str] = ("NVIDIA H100 80GB HBM3",),
    *,
    open_module: bool = True,
    sysfs: bool = True,
    procfs: bool = True,
    gfx_versions: Sequence[int] = (),
    rocm_version: str | None = None,
) -> Path:
    """Lay out the driver files detection reads under `root`; returns `root`.

    NVIDIA (when `driver`): /sys/module/nvidia/version, /proc/driver/nvidia/version (open or
    proprietary kernel module wording) and one /proc/driver/nvidia/gpus/* folder per name.
    AMD: one kfd topology node for the CPU, then one per `gfx_versions` entry (kfd's
    `gfx_target_version`, e.g. 90010 for gfx90a); `rocm_version` in /opt/rocm/.info/version.
    """
    root.mkdir(parents=True, exist_ok=True)
    if driver is not None and sysfs:
        _write(root / "sys/module/nvidia/version", f"{driver}\n")
    if driver is not None and procfs:
        module = (
            f"NVIDIA UNIX Open Kernel Module for x86_64  {driver}  Release Build  "
            "(dvs-builder@U22-I3-AF03-09-1)  Wed Jan  7 04:28:21 UTC 2026"
            if open_module
            else f"NVIDIA UNIX x86_64 Kernel Module  {driver}  Sat Aug 19 01:15:15 UTC 2023"
        )
        gcc = "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1)"
        _write(
            root / "proc/driver/nvidia/version", f"NVRM version: {module}\nGCC version:  {gcc} \n"
        )
        gpus = root / "proc/driver/nvidia/gpus"
        gpus.mkdir(parents=True, exist_ok=True)
        for index, name in enumerate(names):
            info = GPU_INFORMATION.format(name=name, index=index)
            _write(gpus / f"0000:{index:02x}:05.0/information", info)
    if gfx_versions:
        nodes = root / "sys/class/kfd/kfd/topology/nodes"
        _write(nodes / "0/properties", KFD_CPU_NODE)
        for index, version in enumerate(gfx_versions, start=1):
            node = KFD_GPU_NODE.format(version=version, minor=127 + index)
            _write(nodes / f"{index}/properties", node)
    if rocm_version is not None:
        _write(root / "opt/rocm/.info/version", f"{rocm_version}\n")
    return root


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- a whole host, for end-to-end tests --------------------------------------------------


def fake_gpu_env(
    dir: Path,
    host: FakeNvidiaHost | None,
    base: Mapping[str, str] | None = None,
    *,
    nvml: bool = True,
    libcuda: bool = True,
    nvidia_smi: bool = True,
) -> dict[str, str]:
    """An environment whose commands see `host`: fake libraries first on LD_LIBRARY_PATH,
    the fake nvidia-smi first on PATH. `host=None` (no GPU) returns `base` unchanged.

    The fakes replace only what the dynamic loader and PATH find first; a machine with a
    real NVIDIA driver still shows its /sys and /proc files (use the overrides there).
    """
    env = dict(os.environ if base is None else base)
    if host is None:
        return env
    lib, bin_dir = dir / "fake-gpu-lib", dir / "fake-gpu-bin"
    caps, names = host.compute_caps, host.names
    if nvml:
        build_fake_nvml(lib, host.driver, host.cuda, caps, names)
    if libcuda:
        build_fake_libcuda(lib, host.cuda, caps, names)
    if nvidia_smi:
        write_fake_nvidia_smi(bin_dir, host.driver, host.cuda_version, caps, names)
    lib.mkdir(parents=True, exist_ok=True)
    bin_dir.mkdir(parents=True, exist_ok=True)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(lib), env.get("LD_LIBRARY_PATH")]))
    env["PATH"] = os.pathsep.join(filter(None, [str(bin_dir), env.get("PATH")]))
    return env


def detect_isolated(
    dir: Path, environ: Mapping[str, str] | None = None, **kwargs: Any
) -> HostProfile:
    """`detect_host` that sees only the fakes, even on a machine with a real NVIDIA driver.

    PATH holds only what `environ` gives; /sys, /proc and /opt/rocm are an empty folder
    unless `root=` is given; a driver library is found only in `environ`'s LD_LIBRARY_PATH.
    """
    env = {"PATH": str(dir / "no-bin"), **(environ or {})}
    kwargs.setdefault("root", dir / "empty-root")
    for keyword, soname in (("nvml_library", NVML_LIBRARY), ("cuda_library", CUDA_LIBRARY)):
        found = resolve_library(soname, env)
        kwargs.setdefault(keyword, found if found != soname else str(dir / "no-lib" / soname))
    return detect_host(env, **kwargs)
