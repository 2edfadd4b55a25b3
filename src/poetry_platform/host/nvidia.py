"""NVIDIA facts: the driver -> CUDA table, parsers of what drivers and tools print, probes.

Parsers are pure functions of text (each with a sample of real output) and raise
`ValueError` on anything they do not recognise; probes do the I/O, bounded in time, and
turn every failure into `ProbeError` (see `probing.py`). Each probe returns an
`NvidiaReading` holding only what that source can tell; `None` means "this source cannot
say", which is different from "none" (a GPU count of 0).
"""

from __future__ import annotations

import re
import shutil
import sys
from typing import TYPE_CHECKING
from typing import NamedTuple
from typing import TypeVar

from poetry_platform.host.probing import ProbeError
from poetry_platform.host.probing import in_thread
from poetry_platform.host.probing import load_library
from poetry_platform.host.probing import run_tools
from poetry_platform.host.profile import NvidiaInfo

if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence
    from pathlib import Path

    from poetry_platform.host.probing import ToolRun

T = TypeVar("T")


class DriverRow(NamedTuple):
    cuda: str
    min_driver: str
    note: str


# The CUDA version a Linux driver reports (what cuDriverGetVersion, NVML and nvidia-smi
# say) is that of the toolkit release it shipped with: the newest row whose minimum driver
# it meets. Used only when no probe could read the CUDA version itself.
# Source: NVIDIA CUDA Toolkit release notes, table "CUDA Toolkit and Corresponding Driver
# Versions", Linux x86_64 column, GA release of each minor version. Newest first.
# (Minor version compatibility is wider: any 13.x runs on >= 580, 12.x on >= 525.60.13,
# 11.x on >= 450.80.02; the rows below agree with that and are finer.)
CUDA_DRIVER_TABLE: tuple[DriverRow, ...] = (
    DriverRow("13.1", "590.44.01", "CUDA 13.1 GA"),
    DriverRow("13.0", "580.65.06", "CUDA 13.0 GA"),
    DriverRow("12.9", "575.51.03", "CUDA 12.9 GA"),
    DriverRow("12.8", "570.26", "CUDA 12.8 GA"),
    DriverRow("12.6", "560.28.03", "CUDA 12.6 GA"),
    DriverRow("12.5", "555.42.02", "CUDA 12.5 GA"),
    DriverRow("12.4", "550.54.14", "CUDA 12.4 GA"),
    DriverRow("12.3", "545.23.06", "CUDA 12.3 GA"),
    DriverRow("12.2", "535.54.03", "CUDA 12.2 GA"),
    DriverRow("12.1", "530.30.02", "CUDA 12.1 GA"),
    DriverRow("12.0", "525.60.13", "CUDA 12.0 GA"),
    DriverRow("11.8", "520.61.05", "CUDA 11.8 GA"),
    DriverRow("11.7", "515.43.04", "CUDA 11.7 GA"),
    DriverRow("11.6", "510.39.01", "CUDA 11.6 GA"),
    DriverRow("11.5", "495.29.05", "CUDA 11.5 GA"),
    DriverRow("11.4", "470.42.01", "CUDA 11.4 GA"),
    DriverRow("11.3", "465.19.01", "CUDA 11.3 GA"),
    DriverRow("11.2", "460.27.03", "CUDA 11.2 GA"),
    DriverRow("11.1", "455.23", "CUDA 11.1 GA"),
    DriverRow("11.0", "450.51.05", "CUDA 11.0.2 GA"),
    DriverRow("10.2", "440.33", "CUDA 10.2.89"),
    DriverRow("10.1", "418.39", "CUDA 10.1.105"),
    DriverRow("10.0", "410.48", "CUDA 10.0.130"),
)

_DRIVER = re.compile(r"\d{3,4}\.\d{1,3}(?:\.\d{1,3})?")
_CUDA = re.compile(r"\d{1,3}\.\d{1,2}")
_CC = re.compile(r"\d{1,2}\.\d")


def driver_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def cuda_for_driver(driver: str) -> DriverRow | None:
    """The newest table row this driver meets; None below the oldest row."""
    key = driver_key(driver)
    return next((row for row in CUDA_DRIVER_TABLE if key >= driver_key(row.min_driver)), None)


# --- parsers ---------------------------------------------------------------------------


def parse_driver_version(text: str) -> str:
    """A driver version as /sys/module/nvidia/version and NVML give it: 580.159.04."""
    value = text.strip()
    if not _DRIVER.fullmatch(value):
        raise ValueError(f"not a driver version: {_quote(value)}")
    return value


def cuda_from_int(value: int) -> str:
    """13000 -> "13.0", 12020 -> "12.2" (cuDriverGetVersion, nvmlSystemGetCudaDriverVersion)."""
    if not 1000 <= value < 1_000_000:
        raise ValueError(f"not a CUDA version number: {value}")
    return f"{value // 1000}.{value % 1000 // 10}"


def parse_compute_capability(text: str) -> str:
    value = text.strip()
    if not _CC.fullmatch(value):
        raise ValueError(f"not a compute capability: {_quote(value)}")
    return value


def compute_capability(major: int, minor: int) -> str:
    return parse_compute_capability(f"{major}.{minor}")


def parse_proc_version(text: str) -> str:
    """The driver from /proc/driver/nvidia/version. Samples (proprietary, open modules):

    NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023
    NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (...)
    GCC version:  gcc version 12.2.0 (Debian 12.2.0-14+deb12u1)
    """
    for line in text.splitlines():
        if line.startswith("NVRM version:"):
            match = re.search(r"Kernel Module(?:\s+for\s+\S+)?\s+(\S+)", line)
            if match:
                return parse_driver_version(match.group(1))
    raise ValueError(f"no 'NVRM version: ... Kernel Module <version>' line in {_quote(text)}")


def parse_gpu_information(text: str) -> str:
    """The GPU name from /proc/driver/nvidia/gpus/<bus id>/information. Sample:

    Model: \t\t NVIDIA H100 80GB HBM3
    IRQ:   \t\t 180
    GPU UUID: \t GPU-0b2f5a44-...
    """
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model" and value.strip():
            return value.strip()
    raise ValueError(f"no 'Model:' line in {_quote(text)}")


class SmiHeader(NamedTuple):
    driver_version: str
    cuda_version: str | None


def parse_smi_header(text: str) -> SmiHeader:
    """Driver and CUDA version from the table header of plain `nvidia-smi`. Sample:

    +-----------------------------------------------------------------------------------------+
    | NVIDIA-SMI 580.159.04             Driver Version: 580.159.04     CUDA Version: 13.0     |
    +-----------------------------------------+------------------------+----------------------+
    """
    driver = re.search(r"Driver Version:\s*(\S+)", text)
    if driver is None:
        raise ValueError(f"no 'Driver Version:' in {_quote(text)}")
    cuda = re.search(r"CUDA Version:\s*(\S+)", text)
    cuda_version = None
    if cuda is not None and cuda.group(1) not in ("N/A", "[N/A]"):
        cuda_version = cuda.group(1)
        if not _CUDA.fullmatch(cuda_version):
            raise ValueError(f"not a CUDA version: {_quote(cuda_version)}")
    return SmiHeader(parse_driver_version(driver.group(1)), cuda_version)


class SmiGpu(NamedTuple):
    driver_version: str
    compute_capability: str | None
    name: str


def parse_smi_query(text: str) -> list[SmiGpu]:
    """Rows of `nvidia-smi --query-gpu=driver_version,compute_cap,name --format=csv,noheader`.

    580.159.04, 9.0, NVIDIA H100 80GB HBM3
    The name comes last, so a comma in it cannot shift the other columns.
    """
    gpus = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",", 2)]
        if len(fields) != 3:
            raise ValueError(f"expected 'driver, compute capability, name', got {_quote(line)}")
        driver, cc, name = fields
        gpus.append(
            SmiGpu(
                parse_driver_version(driver),
                None if cc in ("[N/A]", "N/A", "[Not Supported]") else parse_compute_capability(cc),
                name,
            )
        )
    if not gpus:
        raise ValueError("no GPU rows")
    return gpus


def _quote(text: str, limit: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


# --- readings ----------------------------------------------------------------------------


class NvidiaReading(NamedTuple):
    """What one probe found. `None`: the probe cannot tell; `gpu_count == 0`: no GPU."""

    source: str
    driver_version: str | None = None
    cuda_version: str | None = None
    compute_capabilities: tuple[str, ...] | None = None
    gpu_names: tuple[str, ...] | None = None
    gpu_count: int | None = None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        if self.driver_version:
            parts.append(f"driver {self.driver_version}")
        if self.cuda_version:
            parts.append(f"CUDA {self.cuda_version}")
        if self.gpu_count is not None:
            parts.append(f"{self.gpu_count} GPU{'' if self.gpu_count == 1 else 's'}")
        if self.gpu_names:
            parts.append(", ".join(self.gpu_names))
        if self.compute_capabilities:
            parts.append("compute capability " + ", ".join(self.compute_capabilities))
        return "; ".join(parts) or "nothing"


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# --- probes ------------------------------------------------------------------------------

NVML_LIBRARY = "nvml.dll" if sys.platform == "win32" else "libnvidia-ml.so.1"
CUDA_LIBRARY = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
NVIDIA_SMI = "nvidia-smi"


def probe_nvml(library: str, *, timeout: float) -> NvidiaReading:
    """NVML in this process: driver, CUDA version, every GPU (ignores CUDA_VISIBLE_DEVICES)."""
    try:
        return in_thread(lambda: _read_nvml(library), timeout)
    except ValueError as e:
        raise ProbeError(f"garbled answer ignored: {e}") from None


def _read_nvml(library: str) -> NvidiaReading:
    import ctypes

    lib = load_library(library)

    def call(name: str, *args: object) -> None:
        rc = getattr(lib, name)(*args)
        if rc != 0:
            raise ProbeError(f"{name} failed: {_nvml_error(lib, rc)}")

    call("nvmlInit_v2")
    try:
        buffer = ctypes.create_string_buffer(96)
        call("nvmlSystemGetDriverVersion", buffer, ctypes.c_uint(len(buffer)))
        driver = parse_driver_version(buffer.value.decode("utf-8", "replace"))
        cuda = None
        notes = []
        version = ctypes.c_int()
        if not hasattr(lib, "nvmlSystemGetCudaDriverVersion_v2"):
            notes.append("nvml: no nvmlSystemGetCudaDriverVersion_v2 in this NVML")
        else:
            call("nvmlSystemGetCudaDriverVersion_v2", ctypes.byref(version))
            cuda = cuda_from_int(version.value)
        count = ctypes.c_uint()
        call("nvmlDeviceGetCount_v2", ctypes.byref(count))
        if count.value > 1024:
            raise ValueError(f"implausible GPU count {count.value}")
        caps, names = [], []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            call("nvmlDeviceGetHandleByIndex_v2", ctypes.c_uint(index), ctypes.byref(handle))
            major, minor = ctypes.c_int(), ctypes.c_int()
            call(
                "nvmlDeviceGetCudaComputeCapability",
                handle,
                ctypes.byref(major),
                ctypes.byref(minor),
            )
            caps.append(compute_capability(major.value, minor.value))
            call("nvmlDeviceGetName", handle, buffer, ctypes.c_uint(len(buffer)))
            names.append(buffer.value.decode("utf-8", "replace"))
    finally:
        lib.nvmlShutdown()
    return NvidiaReading(
        "nvml", driver, cuda, distinct(caps), tuple(names), count.value, tuple(notes)
    )


def _nvml_error(lib: ctypes.CDLL, rc: int) -> str:
    import ctypes

    name = None
    if hasattr(lib, "nvmlErrorString"):
        lib.nvmlErrorString.restype = ctypes.c_char_p
        raw = lib.nvmlErrorString(ctypes.c_int(rc))
        name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else None
    return f"{name} (NVML error {rc})" if name else f"NVML error {rc}"


# Runs in a child process (`python -I -S -c`): cuInit can hang on a sick GPU or driver; a
# child can be killed, while a call hung in this process could also hang the driver's own
# clean-up when the command exits. Prints one JSON line.
LIBCUDA_CHILD = """
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
def name(rc):
    text = ctypes.c_char_p()
    if hasattr(lib, "cuGetErrorName") and lib.cuGetErrorName(rc, ctypes.byref(text)) == 0:
        return text.value.decode()
    return None
out = {}
value = ctypes.c_int()
rc = lib.cuDriverGetVersion(ctypes.byref(value))
out["cuda"] = value.value if rc == 0 else None
rc = lib.cuInit(0)
out["init"] = [rc, name(rc)]
if rc == 0:
    rc = lib.cuDeviceGetCount(ctypes.byref(value))
    out["count"] = [rc, value.value]
    devices = []
    for i in range(value.value if rc == 0 else 0):
        dev, major, minor = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        text = ctypes.create_string_buffer(256)
        rcs = [lib.cuDeviceGet(ctypes.byref(dev), i)]
        rcs.append(lib.cuDeviceGetAttribute(ctypes.byref(major), 75, dev))
        rcs.append(lib.cuDeviceGetAttribute(ctypes.byref(minor), 76, dev))
        rcs.append(lib.cuDeviceGetName(text, 256, dev))
        name = text.value.decode("utf-8", "replace")
        devices.append([max(rcs, key=abs), major.value, minor.value, name])
    out["devices"] = devices
print(json.dumps(out))
"""

_CUDA_ERROR_NO_DEVICE = 100


def parse_libcuda_report(text: str) -> NvidiaReading:
    """The child's JSON line. Samples:

    {"cuda": 13000, "init": [0, "CUDA_SUCCESS"], "count": [0, 1],
     "devices": [[0, 9, 0, "NVIDIA H100 80GB HBM3"]]}
    {"cuda": 13000, "init": [100, "CUDA_ERROR_NO_DEVICE"]}
    """
    import json

    try:
        data = json.loads(text)
        init_rc, init_name = data["init"]
        cuda = None if data["cuda"] is None else cuda_from_int(int(data["cuda"]))
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"unreadable report {_quote(text)}: {e}") from None
    if init_rc == _CUDA_ERROR_NO_DEVICE:
        return NvidiaReading("libcuda", cuda_version=cuda, gpu_count=0)
    if init_rc != 0:
        raise ProbeError(f"cuInit failed: {init_name or 'error'} ({init_rc})")
    try:
        count_rc, count = data["count"]
        if count_rc != 0:
            raise ProbeError(f"cuDeviceGetCount failed: error {count_rc}")
        caps: list[str] = []
        names: list[str] = []
        for rc, major, minor, name in data["devices"]:
            if rc != 0:
                raise ProbeError(f"reading device {len(names)} failed: error {rc}")
            caps.append(compute_capability(int(major), int(minor)))
            names.append(str(name))
    except (KeyError, TypeError) as e:
        raise ValueError(f"unreadable report {_quote(text)}: {e}") from None
    if len(names) != count:
        raise ValueError(f"{count} devices counted, {len(names)} described")
    notes = ("libcuda: GPU count and names follow CUDA_VISIBLE_DEVICES",)
    return NvidiaReading("libcuda", None, cuda, distinct(caps), tuple(names), count, notes)


def probe_libcuda(library: str, *, timeout: float, env: Mapping[str, str]) -> NvidiaReading:
    """cuInit + cuDriverGetVersion + per-device attributes, in a child process."""
    load_library(library)  # cheap presence check; cuInit, which may hang, runs in the child
    [run] = run_tools(
        [[sys.executable, "-I", "-S", "-c", LIBCUDA_CHILD, library]], timeout=timeout, env=env
    )
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines() or ["no output"]
        raise ProbeError(f"child process failed (exit {run.returncode}): {lines[-1]}")
    try:
        return parse_libcuda_report(run.stdout.strip())
    except ValueError as e:
        raise ProbeError(f"garbled answer ignored: {e}") from None


_SMI_QUERY = ("--query-gpu=driver_version,compute_cap,name", "--format=csv,noheader")
_SMI_NO_DEVICES = 6  # nvidia-smi's exit code for "No devices were found"


def probe_nvidia_smi(executable: str, *, timeout: float, env: Mapping[str, str]) -> NvidiaReading:
    """Two runs side by side: the per-GPU query, and the plain table for "CUDA Version"."""
    path = shutil.which(executable, path=env.get("PATH", ""))
    if path is None:
        raise ProbeError(f"{executable} not found on PATH")
    query, plain = run_tools([[path, *_SMI_QUERY], [path]], timeout=timeout, env=env)
    try:
        return interpret_smi(query, plain)
    except ValueError as e:
        raise ProbeError(f"garbled answer ignored: {e}") from None


def interpret_smi(query: ToolRun, plain: ToolRun) -> NvidiaReading:
    if query.returncode == _SMI_NO_DEVICES or "No devices were found" in query.stdout:
        return NvidiaReading("nvidia-smi", gpu_count=0)
    gpus = parse_smi_query(query.stdout) if query.returncode == 0 else None
    header = parse_smi_header(plain.stdout) if plain.returncode == 0 else None
    if gpus is None and header is None:
        raise ProbeError(f"exit {query.returncode}: {query.first_line()}")
    notes = []
    if gpus is None:
        notes.append(f"nvidia-smi: GPU query failed, exit {query.returncode}: {query.first_line()}")
    driver = header.driver_version if header else gpus[0].driver_version if gpus else None
    return NvidiaReading(
        "nvidia-smi",
        driver_version=driver,
        cuda_version=header.cuda_version if header else None,
        compute_capabilities=None
        if gpus is None or any(g.compute_capability is None for g in gpus)
        else distinct(g.compute_capability for g in gpus if g.compute_capability),
        gpu_names=None if gpus is None else tuple(g.name for g in gpus),
        gpu_count=None if gpus is None else len(gpus),
        notes=tuple(notes),
    )


def probe_sysfs(root: Path) -> NvidiaReading:
    """The kernel module's version: loaded module, but no library or tool to ask."""
    path = root / "sys/module/nvidia/version"
    return NvidiaReading("sysfs", driver_version=_read(path, parse_driver_version))


def probe_procfs(root: Path) -> NvidiaReading:
    """Driver version, plus one folder per GPU with its name (no compute capability)."""
    driver = _read(root / "proc/driver/nvidia/version", parse_proc_version)
    gpus = root / "proc/driver/nvidia/gpus"
    if not gpus.is_dir():
        return NvidiaReading("procfs", driver_version=driver)
    folders = sorted(p for p in gpus.iterdir() if p.is_dir())
    names = tuple(_read(p / "information", parse_gpu_information) for p in folders)
    return NvidiaReading("procfs", driver, gpu_names=names, gpu_count=len(folders))


def _read(path: Path, parse: Callable[[str], str]) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ProbeError(f"no {path}") from None
    except OSError as e:
        raise ProbeError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return parse(text)
    except ValueError as e:
        raise ProbeError(f"garbled {path} ignored: {e}") from None


# --- combining ---------------------------------------------------------------------------


def is_complete(readings: Sequence[NvidiaReading]) -> bool:
    """Nothing left for a later probe to add: no GPU at all, or driver, CUDA and capabilities."""
    if _first(readings, lambda r: r.gpu_count)[1] == 0:
        return True
    return (
        _first(readings, lambda r: r.driver_version)[1] is not None
        and _first(readings, lambda r: r.cuda_version)[1] is not None
        and _first(readings, lambda r: r.compute_capabilities)[1] is not None
    )


def combine(readings: Sequence[NvidiaReading]) -> tuple[NvidiaInfo | None, list[str]]:
    """One answer from the probes that answered, in probe order, and the log lines it adds.

    Per fact, the first probe that knows it wins. Without a CUDA version from any probe it
    comes from the driver table ("sysfs+table"). A probe that sees the driver but no GPU
    means no NVIDIA GPU: a CUDA build would have nothing to run on.
    """
    if not readings:
        return None, []
    log = []
    count_source, count = _first(readings, lambda r: r.gpu_count)
    driver_source, driver = _first(readings, lambda r: r.driver_version)
    if count == 0:
        seen = f"driver {driver}" if driver else "the driver"
        log.append(f"nvidia: {count_source} sees {seen} but no GPU, so no NVIDIA GPU")
        return None, log
    source, cuda = _first(readings, lambda r: r.cuda_version)
    if cuda is None and driver is not None:
        row = cuda_for_driver(driver)
        if row is None:
            log.append(f"nvidia: driver {driver} is older than the driver table: CUDA unknown")
        else:
            cuda, source = row.cuda, f"{driver_source}+table"
            log.append(
                f"nvidia: CUDA {cuda} from the driver table "
                f"(driver {driver} >= {row.min_driver}, {row.note})"
            )
    info = NvidiaInfo(
        source=source or driver_source or readings[0].source,
        driver_version=driver,
        cuda_version=cuda,
        compute_capabilities=_first(readings, lambda r: r.compute_capabilities)[1] or (),
        gpu_names=_first(readings, lambda r: r.gpu_names)[1] or (),
        gpu_count=count or 0,
    )
    return info, log


def _first(
    readings: Sequence[NvidiaReading], fact: Callable[[NvidiaReading], T | None]
) -> tuple[str | None, T | None]:
    """The first probe that knows this fact, and the fact."""
    for reading in readings:
        value = fact(reading)
        if value is not None:
            return reading.source, value
    return None, None
