from __future__ import annotations

import platform
import sys

import pytest
from packaging import tags as ptags
from packaging.tags import parse_tag
from packaging.version import Version

from poetry_platform.lockset.tags import SupportedTags
from poetry_platform.lockset.tags import TagError
from poetry_platform.lockset.tags import machine_for
from poetry_platform.lockset.tags import tag_target


def _accepts(supported: SupportedTags, tag: str) -> bool:
    return supported.rank(parse_tag(tag)) is not None


MAC14 = SupportedTags.for_target(
    tag_target("darwin", "arm64", Version("3.12"), macos=Version("14.0"))
)
LINUX228 = SupportedTags.for_target(
    tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28"))
)
LINUX_OPEN = SupportedTags.for_target(tag_target("linux", "x86_64", Version("3.12")))
MUSL = SupportedTags.for_target(
    tag_target("linux", "aarch64", Version("3.11"), musl=Version("1.2"))
)
WIN = SupportedTags.for_target(tag_target("win32", "x86_64", Version("3.13")))


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        ("cp312-cp312-macosx_11_0_arm64", True),
        ("cp312-cp312-macosx_14_0_arm64", True),
        ("cp312-cp312-macosx_15_0_arm64", False),  # newer than the oldest macOS to support
        ("cp312-cp312-macosx_10_9_universal2", True),
        ("cp312-cp312-macosx_10_9_x86_64", False),
        ("cp39-abi3-macosx_11_0_arm64", True),
        ("cp313-cp313-macosx_11_0_arm64", False),
        ("cp312-cp312-manylinux_2_28_x86_64", False),
        ("py3-none-any", True),
        ("py2.py3-none-any", True),
    ],
)
def test_mac_target(tag: str, ok: bool) -> None:
    assert _accepts(MAC14, tag) is ok


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        ("cp312-cp312-manylinux_2_28_x86_64", True),
        ("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64", True),
        ("cp312-cp312-manylinux2014_x86_64", True),
        ("cp312-cp312-manylinux2010_x86_64", True),
        ("cp312-cp312-manylinux1_x86_64", True),
        ("cp312-cp312-linux_x86_64", True),
        ("cp312-cp312-manylinux_2_34_x86_64", False),  # glibc too new for the target
        ("cp312-cp312-musllinux_1_2_x86_64", False),
        ("cp312-cp312-manylinux_2_28_aarch64", False),
        ("cp310-abi3-manylinux_2_28_x86_64", True),
        ("cp312-cp312-win_amd64", False),
    ],
)
def test_glibc_target(tag: str, ok: bool) -> None:
    assert _accepts(LINUX228, tag) is ok


def test_open_glibc_accepts_any_manylinux() -> None:
    assert _accepts(LINUX_OPEN, "cp312-cp312-manylinux_2_41_x86_64")
    assert _accepts(LINUX_OPEN, "cp312-cp312-manylinux_2_5_x86_64")
    assert not _accepts(LINUX_OPEN, "cp312-cp312-musllinux_1_2_x86_64")


def test_musl_target_takes_musllinux_only() -> None:
    assert _accepts(MUSL, "cp311-cp311-musllinux_1_1_aarch64")
    assert not _accepts(MUSL, "cp311-cp311-musllinux_1_3_aarch64")
    assert not _accepts(MUSL, "cp311-cp311-manylinux_2_17_aarch64")


def test_windows_machine_aliases() -> None:
    assert _accepts(WIN, "cp313-cp313-win_amd64")
    assert not _accepts(WIN, "cp313-cp313-win32")
    assert machine_for("win32", "x86_64") == "AMD64"
    assert machine_for("darwin", "aarch64") == "arm64"
    assert machine_for("linux", "arm64") == "aarch64"
    assert machine_for("linux", "x86_64") == "x86_64"


def test_best_tag_first_and_description() -> None:
    target = tag_target("darwin", "arm64", Version("3.12"), macos=Version("14.0"))
    assert str(next(target.tags())) == "cp312-cp312-macosx_14_0_arm64"
    assert target.describe() == "macosx_14_0_arm64 / cp312"
    assert LINUX_OPEN.description == "manylinux_*_x86_64 / cp312"
    assert MUSL.description == "musllinux_1_2_aarch64 / cp311"
    assert WIN.description == "win_amd64 / cp313"
    # The exact ABI beats the stable ABI, which beats pure Python.
    wheels = ("cp312-cp312-macosx_11_0_arm64", "cp39-abi3-macosx_11_0_arm64", "py3-none-any")
    ranks = [MAC14.rank(parse_tag(t)) for t in wheels]
    assert all(r is not None for r in ranks)
    assert ranks == sorted(r for r in ranks if r is not None)


def test_pypy_target() -> None:
    pypy = SupportedTags.for_target(
        tag_target("linux", "x86_64", Version("3.10"), implementation="pp", glibc=Version("2.17"))
    )
    assert _accepts(pypy, "pp310-pypy310_pp73-manylinux_2_17_x86_64")
    assert not _accepts(pypy, "cp310-cp310-manylinux_2_17_x86_64")
    assert _accepts(pypy, "py3-none-any")


def test_unknown_platform_is_an_error() -> None:
    with pytest.raises(TagError, match="freebsd"):
        tag_target("freebsd14", "amd64", Version("3.12")).platforms()
    with pytest.raises(TagError, match="sparc"):
        tag_target("win32", "sparc", Version("3.12")).platforms()


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc Linux host"
)
def test_matches_packaging_on_this_very_machine() -> None:
    """The tags worked out from a description equal `sys_tags()` on the machine described."""
    python = Version(f"{sys.version_info[0]}.{sys.version_info[1]}")
    glibc = Version(platform.libc_ver()[1])
    target = tag_target("linux", platform.machine(), python, glibc=glibc)
    assert list(target.tags()) == list(ptags.sys_tags())
