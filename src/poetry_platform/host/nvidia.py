"""NVIDIA facts: the probes, and how their readings combine into one `NvidiaInfo`.

The driver -> CUDA table and the parsers of what drivers and tools print are pure, in
`nvidia_text.py`; probes here do the I/O, bounded in time, and turn every failure into
`ProbeError` (see `probing.py`). Each probe returns an
`NvidiaReading` holding only what that source can tell; `None` means "this source cannot
say", which is different from "none" (a GPU count of 0).
"""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING
from typing import NamedTuple
from typing import TypeVar

from poetry_platform.host.nvidia_text import compute_capability
from poetry_platform.host.nvidia_text import cuda_for_driver
from poetry_platform.host.nvidia_text import cuda_from_int
from poetry_platform.host.nvidia_text import parse_driver_version
from poetry_platform.host.nvidia_text import parse_gpu_information
from poetry_platform.host.nvidia_text import parse_proc_version
from poetry_platform.host.nvidia_text import parse_smi_header
from poetry_platform.host.nvidia_text import parse_smi_query
from poetry_platform.host.nvidia_text import quoted
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
        raise ValueError(f"unreadable report {quoted(text)}: {e}") from None
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
        raise ValueError(f"unreadable report {quoted(text)}: {e}") from None
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
