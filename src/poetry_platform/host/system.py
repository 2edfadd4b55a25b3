"""The machine under the accelerators: OS, CPU, Python, libc, macOS and Rosetta.

`platform_machine` is what this Python sees, as in PEP 508 markers: an x86_64 Python under
Rosetta says x86_64 and needs x86_64 wheels, while `apple_silicon` and `rosetta` record that
the Mac itself is arm64. Everything here is cheap: no process runs except musl's loader, and
that only on a musl system (it is the one place musl states its version).
"""

from __future__ import annotations

import os
import re
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from typing import NamedTuple

from poetry_platform.host.probing import ProbeError
from poetry_platform.host.probing import attempt
from poetry_platform.host.probing import run_tools

if TYPE_CHECKING:
    from collections.abc import Mapping


class SystemFacts(NamedTuple):
    sys_platform: str
    platform_machine: str
    python_version: str
    libc: str | None = None
    libc_version: str | None = None
    macos_version: str | None = None
    apple_silicon: bool = False
    rosetta: bool = False


def detect_system(log: list[str], *, timeout: float, environ: Mapping[str, str]) -> SystemFacts:
    facts = SystemFacts(sys.platform, _machine(), python_full_version())
    if facts.sys_platform == "linux":
        libc = attempt("libc", lambda: linux_libc(timeout=timeout, environ=environ), log)
        if libc is not None:
            log.append(f"libc: {libc[0]} {libc[1] or '(version unknown)'}")
            facts = facts._replace(libc=libc[0], libc_version=libc[1])
    elif facts.sys_platform == "darwin":
        import platform

        translated = attempt("rosetta", proc_translated, log)
        apple_silicon, rosetta = apple_facts(facts.platform_machine, translated)
        facts = facts._replace(
            macos_version=platform.mac_ver()[0] or None,
            apple_silicon=apple_silicon,
            rosetta=rosetta,
        )
        if rosetta:
            log.append(f"rosetta: this {facts.platform_machine} Python runs on an arm64 Mac")
    return facts


def _machine() -> str:
    """PEP 508 `platform_machine`; `os.uname` spares importing `platform` (1.5 ms) on POSIX."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


def python_full_version() -> str:
    """PEP 508 `python_full_version`, as `platform.python_version()` gives it: "3.13.0rc1"."""
    major, minor, micro, level, serial = sys.version_info
    suffix = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(level, "")
    return f"{major}.{minor}.{micro}" + (f"{suffix}{serial}" if suffix else "")


def apple_facts(machine: str, translated: bool | None) -> tuple[bool, bool]:
    """(apple_silicon, rosetta) on macOS from the machine and sysctl.proc_translated."""
    rosetta = bool(translated)
    return machine == "arm64" or rosetta, rosetta


def proc_translated() -> bool:
    """sysctl.proc_translated: 1 under Rosetta, 0 native arm64, absent on Intel Macs."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    value = ctypes.c_int(0)
    size = ctypes.c_size_t(ctypes.sizeof(value))
    rc = libc.sysctlbyname(
        b"sysctl.proc_translated", ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)
    )
    if rc != 0:
        return False  # ENOENT: an Intel Mac, where nothing is translated
    return value.value == 1


def linux_libc(*, timeout: float, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """glibc from confstr (no I/O at all); musl from this Python's ELF interpreter."""
    glibc = glibc_from_confstr(_confstr("CS_GNU_LIBC_VERSION"))
    if glibc is not None:
        return "glibc", glibc
    with Path(sys.executable).open("rb") as f:
        interpreter = elf_interpreter(f.read(8192))
    if interpreter is None or "musl" not in Path(interpreter).name:
        raise ProbeError(f"neither glibc nor musl (ELF interpreter {interpreter})")
    [run] = run_tools([[interpreter]], timeout=timeout, env=environ)
    return "musl", parse_musl_loader(run.stdout + run.stderr)


def _confstr(name: str) -> str | None:
    try:
        return os.confstr(name)
    except (ValueError, OSError):
        return None


def glibc_from_confstr(value: str | None) -> str | None:
    """ "glibc 2.36" -> "2.36"; None on other C libraries."""
    if not value:
        return None
    name, _, version = value.partition(" ")
    return version if name == "glibc" and re.fullmatch(r"\d+\.\d+(\.\d+)?", version) else None


def parse_musl_loader(text: str) -> str | None:
    """The version musl's dynamic loader prints when run bare. Sample (on stderr):

    musl libc (x86_64)
    Version 1.2.4
    Dynamic Program Loader
    """
    match = re.search(r"^Version\s+(\d+\.\d+(?:\.\d+)?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


# ELF layout: (e_phoff, e_phentsize, e_phnum) offsets in the file header, then
# (p_offset, p_filesz) offsets in a program header, for 32- and 64-bit files.
_ELF32 = ("I", 0x1C, 0x2A, 4, 16)
_ELF64 = ("Q", 0x20, 0x36, 8, 32)
_PT_INTERP = 3


def elf_interpreter(head: bytes) -> str | None:
    """The PT_INTERP path in the first bytes of an ELF file (None: not ELF, or static)."""
    if head[:4] != b"\x7fELF" or len(head) < 64:
        return None
    word, phoff_at, phent_at, offset_at, size_at = _ELF64 if head[4] == 2 else _ELF32
    order = "<" if head[5] == 1 else ">"
    (phoff,) = struct.unpack_from(order + word, head, phoff_at)
    phentsize, phnum = struct.unpack_from(order + "HH", head, phent_at)
    for index in range(phnum):
        entry = phoff + index * phentsize
        if entry + phentsize > len(head):
            return None
        if struct.unpack_from(order + "I", head, entry)[0] != _PT_INTERP:
            continue
        (offset,) = struct.unpack_from(order + word, head, entry + offset_at)
        (size,) = struct.unpack_from(order + word, head, entry + size_at)
        if offset + size > len(head):
            return None
        return head[offset : offset + size].rstrip(b"\0").decode("utf-8", "replace")
    return None
