"""NVIDIA facts as text: the driver -> CUDA table, and parsers of what drivers and tools
print.

Parsers are pure functions of text (each with a sample of real output) and raise
`ValueError` on anything they do not recognise; the probes that read the text are in
`nvidia.py`.
"""

from __future__ import annotations

import re
from typing import NamedTuple


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
        raise ValueError(f"not a driver version: {quoted(value)}")
    return value


def cuda_from_int(value: int) -> str:
    """13000 -> "13.0", 12020 -> "12.2" (cuDriverGetVersion, nvmlSystemGetCudaDriverVersion)."""
    if not 1000 <= value < 1_000_000:
        raise ValueError(f"not a CUDA version number: {value}")
    return f"{value // 1000}.{value % 1000 // 10}"


def parse_compute_capability(text: str) -> str:
    value = text.strip()
    if not _CC.fullmatch(value):
        raise ValueError(f"not a compute capability: {quoted(value)}")
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
    raise ValueError(f"no 'NVRM version: ... Kernel Module <version>' line in {quoted(text)}")


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
    raise ValueError(f"no 'Model:' line in {quoted(text)}")


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
        raise ValueError(f"no 'Driver Version:' in {quoted(text)}")
    cuda = re.search(r"CUDA Version:\s*(\S+)", text)
    cuda_version = None
    if cuda is not None and cuda.group(1) not in ("N/A", "[N/A]"):
        cuda_version = cuda.group(1)
        if not _CUDA.fullmatch(cuda_version):
            raise ValueError(f"not a CUDA version: {quoted(cuda_version)}")
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
            raise ValueError(f"expected 'driver, compute capability, name', got {quoted(line)}")
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


def quoted(text: str, limit: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")
