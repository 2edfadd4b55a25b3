"""Pure NVIDIA logic: the driver table, parsers of real outputs, combining probe readings."""

from __future__ import annotations

import pytest

from poetry_platform.host.nvidia import NvidiaReading
from poetry_platform.host.nvidia import combine
from poetry_platform.host.nvidia import is_complete
from poetry_platform.host.nvidia import parse_libcuda_report
from poetry_platform.host.nvidia_text import CUDA_DRIVER_TABLE
from poetry_platform.host.nvidia_text import cuda_for_driver
from poetry_platform.host.nvidia_text import cuda_from_int
from poetry_platform.host.nvidia_text import driver_key
from poetry_platform.host.nvidia_text import parse_compute_capability
from poetry_platform.host.nvidia_text import parse_driver_version
from poetry_platform.host.nvidia_text import parse_gpu_information
from poetry_platform.host.nvidia_text import parse_proc_version
from poetry_platform.host.nvidia_text import parse_smi_header
from poetry_platform.host.nvidia_text import parse_smi_query
from poetry_platform.host.nvidia_text import quoted
from poetry_platform.host.probing import ProbeError

# Copied from real machines (the H100 host, an A100 host on the R535 branch).
SMI_580 = """\
Tue Jan 13 09:41:07 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.159.04             Driver Version: 580.159.04     CUDA Version: 13.0     |
+-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
"""
SMI_535 = """\
+---------------------------------------------------------------------------------------+
| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.2     |
|-----------------------------------------+----------------------+----------------------+
"""
PROC_OPEN = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  "
    "(dvs-builder@U22-I3-AF03-09-1)  Wed Jan  7 04:28:21 UTC 2026\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \n"
)
PROC_PROPRIETARY = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
    "GCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04) \n"
)


def test_driver_table_is_newest_first_and_readable() -> None:
    keys = [driver_key(row.min_driver) for row in CUDA_DRIVER_TABLE]
    assert keys == sorted(keys, reverse=True)
    assert all(parse_driver_version(row.min_driver) for row in CUDA_DRIVER_TABLE)
    # NVIDIA's floors per CUDA major agree with the finer rows.
    floors = {d: cuda_for_driver(d) for d in ("580.65.06", "525.60.13", "450.80.02")}
    assert {d: row.cuda if row else None for d, row in floors.items()} == {
        "580.65.06": "13.0",
        "525.60.13": "12.0",
        "450.80.02": "11.0",
    }


@pytest.mark.parametrize(
    ("driver", "cuda"),
    [
        ("590.48.01", "13.1"),
        ("580.159.04", "13.0"),
        ("575.57.08", "12.9"),
        ("570.195.03", "12.8"),
        ("550.54.14", "12.4"),
        ("535.104.05", "12.2"),
        ("535.54.02", "12.1"),  # just below the 12.2 release driver
        ("525.60.13", "12.0"),
        ("525.60.12", "11.8"),
        ("470.256.02", "11.4"),
        ("455.23", "11.1"),
        ("410.48", "10.0"),
        ("390.157", None),
    ],
)
def test_cuda_for_driver(driver: str, cuda: str | None) -> None:
    row = cuda_for_driver(driver)
    assert (row.cuda if row else None) == cuda


def test_cuda_from_int() -> None:
    assert cuda_from_int(13000) == "13.0"
    assert cuda_from_int(12020) == "12.2"
    assert cuda_from_int(11080) == "11.8"
    with pytest.raises(ValueError, match="not a CUDA version"):
        cuda_from_int(0)


@pytest.mark.parametrize("text", ["", "banana", "580", "580.159.04.1", "v580.159.04", "5.8.0"])
def test_driver_version_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a driver version"):
        parse_driver_version(text)


def test_driver_version_from_sysfs() -> None:
    assert parse_driver_version("580.159.04\n") == "580.159.04"
    assert parse_driver_version("455.23\n") == "455.23"


def test_proc_version_both_kernel_modules() -> None:
    assert parse_proc_version(PROC_OPEN) == "580.159.04"
    assert parse_proc_version(PROC_PROPRIETARY) == "535.104.05"
    arm = "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  580.95.05  Release Build\n"
    assert parse_proc_version(arm) == "580.95.05"


@pytest.mark.parametrize(
    "text",
    ["", "GCC version:  gcc version 12.2.0\n", "NVRM version: NVIDIA UNIX Kernel Module  ???  x\n"],
)
def test_proc_version_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_proc_version(text)


def test_gpu_information() -> None:
    text = "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 180\nGPU UUID: \t GPU-0b2f5a44\n"
    assert parse_gpu_information(text) == "NVIDIA H100 80GB HBM3"
    with pytest.raises(ValueError, match="Model"):
        parse_gpu_information("IRQ: 180\n")


def test_smi_header() -> None:
    header = parse_smi_header(SMI_580)
    assert (header.driver_version, header.cuda_version) == ("580.159.04", "13.0")
    header = parse_smi_header(SMI_535)
    assert (header.driver_version, header.cuda_version) == ("535.104.05", "12.2")
    no_cuda = SMI_580.replace("CUDA Version: 13.0", "CUDA Version: N/A ")
    assert parse_smi_header(no_cuda).cuda_version is None


@pytest.mark.parametrize(
    "text",
    [
        "Segmentation fault\n",
        SMI_580.replace("580.159.04     CUDA", "garbage        CUDA"),
        SMI_580.replace("13.0", "thirteen"),
    ],
)
def test_smi_header_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_smi_header(text)


def test_smi_query_rows() -> None:
    [gpu] = parse_smi_query("580.159.04, 9.0, NVIDIA H100 80GB HBM3\n")
    assert (gpu.driver_version, gpu.compute_capability, gpu.name) == (
        "580.159.04",
        "9.0",
        "NVIDIA H100 80GB HBM3",
    )
    two = parse_smi_query(
        "580.159.04, 9.0, NVIDIA H100 80GB HBM3\n580.159.04, 8.0, NVIDIA A100-SXM4-80GB\n"
    )
    assert [g.compute_capability for g in two] == ["9.0", "8.0"]
    [odd] = parse_smi_query("535.104.05, [N/A], Tesla, rev B\n")
    assert (odd.compute_capability, odd.name) == (None, "Tesla, rev B")


@pytest.mark.parametrize(
    "text",
    ["", "\x1b[31m??? 0xdeadbeef\nSegmentation fault\n", "580.159.04, nine, H100\n", "a, b\n"],
)
def test_smi_query_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_smi_query(text)


def test_libcuda_report() -> None:
    reading = parse_libcuda_report(
        '{"cuda": 13000, "init": [0, "CUDA_SUCCESS"], "count": [0, 2], "devices": '
        '[[0, 9, 0, "NVIDIA H100 80GB HBM3"], [0, 9, 0, "NVIDIA H100 80GB HBM3"]]}'
    )
    assert (reading.cuda_version, reading.compute_capabilities, reading.gpu_count) == (
        "13.0",
        ("9.0",),
        2,
    )
    none = parse_libcuda_report('{"cuda": 13000, "init": [100, "CUDA_ERROR_NO_DEVICE"]}')
    assert none.gpu_count == 0
    with pytest.raises(ProbeError, match="CUDA_ERROR_STUB_LIBRARY"):
        parse_libcuda_report('{"cuda": null, "init": [34, "CUDA_ERROR_STUB_LIBRARY"]}')
    with pytest.raises(ValueError, match="unreadable"):
        parse_libcuda_report("Segmentation fault")
    with pytest.raises(ValueError, match="unreadable"):
        parse_libcuda_report('{"cuda": 13000, "init": [0, null], "count": [0, 1]}')


def test_combine_fills_cuda_from_the_driver_table() -> None:
    readings = [
        NvidiaReading("sysfs", driver_version="535.104.05"),
        NvidiaReading("procfs", "535.104.05", gpu_names=("NVIDIA A100-SXM4-80GB",), gpu_count=1),
    ]
    info, log = combine(readings)
    assert info is not None
    assert (info.source, info.cuda_version, info.gpu_count) == ("sysfs+table", "12.2", 1)
    assert info.compute_capabilities == ()
    assert log == [
        "nvidia: CUDA 12.2 from the driver table (driver 535.104.05 >= 535.54.03, CUDA 12.2 GA)"
    ]


def test_combine_earlier_probe_wins_later_fills() -> None:
    readings = [
        NvidiaReading("nvml", "580.159.04", "13.0", None, None, 1),
        NvidiaReading("nvidia-smi", "580.159.04", "12.9", ("9.0",), ("H100",), 1),
    ]
    info, _ = combine(readings)
    assert info is not None
    assert (info.source, info.cuda_version, info.compute_capabilities) == ("nvml", "13.0", ("9.0",))
    assert is_complete(readings)
    assert not is_complete(readings[:1])


def test_combine_driver_without_gpu_is_no_nvidia() -> None:
    readings = [NvidiaReading("nvml", "580.159.04", "13.0", (), (), 0)]
    assert is_complete(readings)
    info, log = combine(readings)
    assert info is None
    assert log == ["nvidia: nvml sees driver 580.159.04 but no GPU, so no NVIDIA GPU"]


def test_combine_driver_older_than_the_table() -> None:
    info, log = combine([NvidiaReading("sysfs", driver_version="390.157")])
    assert info is not None
    assert (info.source, info.cuda_version) == ("sysfs", None)
    assert "older than the driver table" in log[0]
    assert combine([]) == (None, [])


# --- the words a probe logs, and the edges of each reading ---------------------------------
# A probe logs "garbled answer ignored: <the parser's words>" (nvidia.py), so the words are
# what a user reading `-vvv` sees: each names what was expected and quotes what came.


def test_cuda_from_int_range() -> None:
    # cuDriverGetVersion is 1000 * major + 10 * minor: CUDA 1.0 (1000) is the first.
    assert cuda_from_int(1000) == "1.0"
    with pytest.raises(ValueError, match=r"^not a CUDA version number: 999$"):
        cuda_from_int(999)
    # The largest accepted number still formats as a version the header parser reads
    # (`\d{1,3}\.\d{1,2}`); one more would be "1000.0".
    assert cuda_from_int(999_990) == "999.99"
    with pytest.raises(ValueError, match=r"^not a CUDA version number: 1000000$"):
        cuda_from_int(1_000_000)


def test_parser_words_name_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"^not a compute capability: '9\.x'$"):
        parse_compute_capability(" 9.x\n")
    with pytest.raises(
        ValueError, match=r"^no 'NVRM version: \.\.\. Kernel Module <version>' line in 'GCC x'$"
    ):
        parse_proc_version("GCC x\n")
    with pytest.raises(ValueError, match=r"^no 'Driver Version:' in 'Segmentation fault'$"):
        parse_smi_header("Segmentation fault\n")
    with pytest.raises(ValueError, match=r"^not a CUDA version: 'thirteen'$"):
        parse_smi_header(SMI_580.replace("13.0", "thirteen"))
    with pytest.raises(
        ValueError, match=r"^expected 'driver, compute capability, name', got 'a, b'$"
    ):
        parse_smi_query("a, b\n")
    with pytest.raises(ValueError, match=r"^no GPU rows$"):
        parse_smi_query("\n  \n")


def test_quoted_cuts_long_output_at_sixty_characters() -> None:
    # A garbled answer may be pages long (a stack dump); the log line quotes its start.
    assert quoted("  " + "x" * 60 + "\n") == repr("x" * 60)
    assert quoted("x" * 61) == repr("x" * 60 + "...")
    with pytest.raises(ValueError) as info:
        parse_driver_version("y" * 200)
    assert str(info.value) == "not a driver version: " + repr("y" * 60 + "...")


def test_gpu_information_value_is_everything_after_the_first_colon() -> None:
    text = "Model: \t\t NVIDIA Graphics Device: rev 2\nBus Location: \t 0000:3b:00.0\n"
    assert parse_gpu_information(text) == "NVIDIA Graphics Device: rev 2"


@pytest.mark.parametrize("placeholder", ["N/A", "[N/A]"])
def test_smi_header_placeholder_is_no_cuda_version(placeholder: str) -> None:
    text = SMI_580.replace("CUDA Version: 13.0", f"CUDA Version: {placeholder}")
    assert parse_smi_header(text) == ("580.159.04", None)


@pytest.mark.parametrize("placeholder", ["[N/A]", "N/A", "[Not Supported]"])
def test_smi_query_placeholder_is_no_compute_capability(placeholder: str) -> None:
    # nvidia-smi prints these for a field a GPU or driver cannot answer.
    [gpu] = parse_smi_query(f"535.104.05, {placeholder}, NVIDIA A100-SXM4-80GB\n")
    assert gpu == ("535.104.05", None, "NVIDIA A100-SXM4-80GB")


def test_smi_query_blank_line_does_not_end_the_rows() -> None:
    rows = parse_smi_query("\n580.159.04, 9.0, NVIDIA H100\n\n580.159.04, 8.0, NVIDIA A100\n")
    assert [g.compute_capability for g in rows] == ["9.0", "8.0"]
