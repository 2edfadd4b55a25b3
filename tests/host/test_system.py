"""OS, libc, macOS and Rosetta facts."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest

from poetry_platform.host.system import apple_facts
from poetry_platform.host.system import detect_system
from poetry_platform.host.system import elf_interpreter
from poetry_platform.host.system import glibc_from_confstr
from poetry_platform.host.system import parse_musl_loader
from poetry_platform.host.system import proc_translated
from poetry_platform.host.system import python_full_version

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="ELF and glibc are Linux facts")


def test_glibc_from_confstr() -> None:
    assert glibc_from_confstr("glibc 2.36") == "2.36"
    assert glibc_from_confstr("glibc 2.17.1") == "2.17.1"
    assert glibc_from_confstr(None) is None
    assert glibc_from_confstr("") is None
    assert glibc_from_confstr("uclibc 1.0") is None


def test_musl_loader_output() -> None:
    text = "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\nUsage: ld [options]\n"
    assert parse_musl_loader(text) == "1.2.4"
    assert parse_musl_loader("Segmentation fault\n") is None


@linux_only
def test_elf_interpreter_of_real_and_edited_binaries() -> None:
    head = Path("/bin/sh").resolve().read_bytes()[:8192]
    interpreter = elf_interpreter(head)
    assert interpreter is not None
    assert Path(interpreter).name.startswith(("ld-linux", "ld-musl", "ld64"))
    # The same file, with a musl loader's path written over the glibc one.
    musl = "/lib/ld-musl-x86_64.so.1"
    if len(musl) > len(interpreter):
        pytest.skip(f"{interpreter} is too short to write a musl path over")
    edited = head.replace(interpreter.encode(), musl.encode().ljust(len(interpreter), b"\0"), 1)
    assert elf_interpreter(edited) == musl
    assert elf_interpreter(b"#!/bin/sh\n") is None
    assert elf_interpreter(head[:64]) is None  # program headers cut off


def test_python_full_version_matches_platform() -> None:
    assert python_full_version() == platform.python_version()


def test_apple_facts() -> None:
    assert apple_facts("arm64", False) == (True, False)
    assert apple_facts("x86_64", True) == (True, True)  # x86_64 Python under Rosetta
    assert apple_facts("x86_64", None) == (False, False)  # Intel Mac: no such sysctl


@pytest.mark.skipif(sys.platform != "darwin", reason="sysctlbyname is macOS")
def test_proc_translated_on_this_mac() -> None:
    translated = proc_translated()
    assert isinstance(translated, bool)
    if platform.machine() == "arm64":
        assert translated is False  # a native arm64 Python is never translated


@linux_only
def test_detect_system_on_this_linux() -> None:
    log: list[str] = []
    facts = detect_system(log, timeout=2.0, environ=dict(os.environ))
    assert (facts.sys_platform, facts.platform_machine) == ("linux", platform.machine())
    assert facts.python_version == platform.python_version()
    assert (facts.macos_version, facts.apple_silicon, facts.rosetta) == (None, False, False)
    libc, version = platform.libc_ver()
    if libc == "glibc":
        assert (facts.libc, facts.libc_version) == ("glibc", version)
        assert log == [f"libc: glibc {version}"]
