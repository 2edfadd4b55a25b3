"""The marker environment of a machine we are not on, checked against what Poetry and
`packaging` report on a real one."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from poetry.utils.env import SystemEnv

from poetry_platform.lockset.install_set import marker_environment

# Unknowable from a target's description (the OS build), so left out: a marker on them holds.
UNKNOWABLE = {"platform_release", "platform_version"}


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or sys.platform not in ("linux", "darwin", "win32"),
    reason="a CPython host on an OS targets can name",
)
def test_equals_poetrys_environment_on_this_very_machine() -> None:
    """Described from its `sys.platform`, `platform.machine()` and Python version, this
    machine gets the values Poetry's own environment reads from it, for every key but the
    unknowable ones."""
    theirs: dict[str, Any] = dict(SystemEnv(Path(sys.prefix)).get_marker_env())
    ours = marker_environment(sys.platform, platform.machine(), theirs["python_full_version"])
    assert ours == {key: theirs[key] for key in ours}
    assert ours["interpreter_name"] == "cp"
    assert set(default_environment()) - set(ours) == UNKNOWABLE
    assert not set(ours) & UNKNOWABLE


def test_each_os_as_it_reports_itself() -> None:
    """`platform.system()`, `os.name` and `platform.machine()` as each OS spells them."""
    keys = ("sys_platform", "platform_system", "os_name", "platform_machine")
    cases = {
        ("linux", "amd64"): ("linux", "Linux", "posix", "x86_64"),
        ("darwin", "aarch64"): ("darwin", "Darwin", "posix", "arm64"),
        ("win32", "x86_64"): ("win32", "Windows", "nt", "AMD64"),
    }
    for (sys_platform, machine), expected in cases.items():
        env = marker_environment(sys_platform, machine, "3.12.4")
        assert tuple(env[key] for key in keys) == expected


def test_cpython_versions() -> None:
    env = marker_environment("linux", "x86_64", "3.13.1")
    assert {k: v for k, v in env.items() if "version" in k or "implementation" in k} == {
        "implementation_name": "cpython",
        "implementation_version": "3.13.1",
        "platform_python_implementation": "CPython",
        "python_full_version": "3.13.1",
        "python_version": "3.13",
        "interpreter_version": "313",
    }


def test_pypy_names_itself_and_leaves_its_own_version_open() -> None:
    """PyPy 3.10 reports `implementation_name == "pypy"`, `interpreter_name == "pp"`, and its
    own release (7.3.x) as `implementation_version`: unknowable here, so left out."""
    env = marker_environment("linux", "x86_64", "3.10.14", "pp")
    assert (env["implementation_name"], env["platform_python_implementation"]) == ("pypy", "PyPy")
    assert (env["interpreter_name"], env["interpreter_version"]) == ("pp", "310")
    assert (env["python_version"], env["python_full_version"]) == ("3.10", "3.10.14")
    assert "implementation_version" not in env


def test_another_python_of_the_same_machine() -> None:
    """What the lock installs on another CPython of this machine: only the Python's keys
    change, to that minor's .0 release; PyPy keeps its own implementation_version."""
    from poetry_platform.lockset.install_set import with_python

    here = marker_environment("linux", "x86_64", "3.11.7") | {"platform_release": "6.1.0"}
    there = with_python(here, "3.13")
    assert there == here | {
        "python_version": "3.13",
        "python_full_version": "3.13.0",
        "implementation_version": "3.13.0",
        "interpreter_version": "313",
    }
    assert here["python_version"] == "3.11"  # a copy: the environment asked about is kept
    pypy = marker_environment("linux", "x86_64", "3.10.14", "pp") | {
        "implementation_version": "7.3.17"
    }
    assert with_python(pypy, "3.11")["implementation_version"] == "7.3.17"
    assert with_python(pypy, "3.11")["python_full_version"] == "3.11.0"


def test_this_machines_tags_for_another_python() -> None:
    """context.host_tags: the host's platform (its glibc, musl or macOS version) with the
    other CPython; any version where the probes found none; nothing vouched for where a
    probe's version text does not parse or the platform has no tags."""
    from packaging.tags import Tag

    from poetry_platform.context import host_tags
    from poetry_platform.host.profile import HostProfile

    linux = marker_environment("linux", "x86_64", "3.11.7")
    glibc = HostProfile("linux", "x86_64", "3.11.7", libc="glibc", libc_version="2.28")
    tags = host_tags(glibc, linux, "3.13")
    assert tags is not None
    wheel = "cp313-cp313-manylinux_{}_x86_64"
    assert tags.rank([Tag(*wheel.format("2_28").split("-"))]) is not None
    assert tags.rank([Tag(*wheel.format("2_31").split("-"))]) is None  # newer than the host's
    assert tags.rank([Tag("cp311", "cp311", "manylinux_2_17_x86_64")]) is None  # that Python
    unknown = host_tags(None, linux, "3.13")
    assert unknown is not None and unknown.rank([Tag(*wheel.format("2_31").split("-"))]) is not None
    musl = HostProfile("linux", "x86_64", "3.11.7", libc="musl", libc_version="1.2")
    musl_tags = host_tags(musl, linux, "3.13")
    assert musl_tags is not None
    assert musl_tags.rank([Tag("cp313", "cp313", "musllinux_1_2_x86_64")]) is not None
    assert musl_tags.rank([Tag(*wheel.format("2_17").split("-"))]) is None
    mac = HostProfile("darwin", "arm64", "3.11.7", macos_version="13.0")
    mac_tags = host_tags(mac, marker_environment("darwin", "arm64", "3.11.7"), "3.12")
    assert mac_tags is not None
    assert mac_tags.rank([Tag("cp312", "cp312", "macosx_14_0_arm64")]) is None
    assert mac_tags.rank([Tag("cp312", "cp312", "macosx_11_0_arm64")]) is not None
    odd = HostProfile("linux", "x86_64", "3.11.7", libc="glibc", libc_version="2.x-vendor")
    assert host_tags(odd, linux, "3.13") is None
    assert (
        host_tags(
            None,
            marker_environment("linux", "x86_64", "3.11.7") | {"sys_platform": "plan9"},
            "3.13",
        )
        is None
    )
