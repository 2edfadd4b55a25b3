"""Wheel tags worked out for a target, checked against what `packaging` gives on that machine.

Every table here is built inside its test (`_supported`), never at import or through
`SupportedTags.for_target`'s cache: a table built once would keep judging the code as it was
when it was built, and a change to the code would go unnoticed.
"""

from __future__ import annotations

import platform
import sys
import sysconfig
from typing import TYPE_CHECKING

import pytest
from packaging import _manylinux
from packaging import _musllinux
from packaging import tags as ptags
from packaging.tags import parse_tag
from packaging.version import Version

from poetry_platform.lockset.tags import OPEN_MACOS_MAJOR
from poetry_platform.lockset.tags import SupportedTags
from poetry_platform.lockset.tags import TagError
from poetry_platform.lockset.tags import TagTarget
from poetry_platform.lockset.tags import machine_for
from poetry_platform.lockset.tags import tag_target

if TYPE_CHECKING:
    from packaging.tags import Tag


def _supported(target: TagTarget) -> SupportedTags:
    return SupportedTags(target.tags(), target.describe())


def _accepts(supported: SupportedTags, tag: str) -> bool:
    return supported.rank(parse_tag(tag)) is not None


def _mac14() -> SupportedTags:
    return _supported(tag_target("darwin", "arm64", Version("3.12"), macos=Version("14.0")))


def _linux228() -> SupportedTags:
    return _supported(tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28")))


def _linux_open() -> SupportedTags:
    return _supported(tag_target("linux", "x86_64", Version("3.12")))


def _musl() -> SupportedTags:
    return _supported(tag_target("linux", "aarch64", Version("3.11"), musl=Version("1.2")))


def _win() -> SupportedTags:
    return _supported(tag_target("win32", "x86_64", Version("3.13")))


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
    assert _accepts(_mac14(), tag) is ok


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
    assert _accepts(_linux228(), tag) is ok


def test_open_glibc_accepts_any_manylinux() -> None:
    linux_open = _linux_open()
    assert _accepts(linux_open, "cp312-cp312-manylinux_2_41_x86_64")
    assert _accepts(linux_open, "cp312-cp312-manylinux_2_5_x86_64")
    assert not _accepts(linux_open, "cp312-cp312-musllinux_1_2_x86_64")


def test_musl_target_takes_musllinux_only() -> None:
    musl = _musl()
    assert _accepts(musl, "cp311-cp311-musllinux_1_1_aarch64")
    assert not _accepts(musl, "cp311-cp311-musllinux_1_3_aarch64")
    assert not _accepts(musl, "cp311-cp311-manylinux_2_17_aarch64")


def test_windows_machine_aliases() -> None:
    win = _win()
    assert _accepts(win, "cp313-cp313-win_amd64")
    assert not _accepts(win, "cp313-cp313-win32")
    assert machine_for("win32", "x86_64") == "AMD64"
    assert machine_for("darwin", "aarch64") == "arm64"
    assert machine_for("linux", "arm64") == "aarch64"
    assert machine_for("linux", "x86_64") == "x86_64"


@pytest.mark.parametrize(
    ("sys_platform", "machine", "reported"),
    [
        # `platform.machine()` spellings: Windows says AMD64/ARM64/x86, Linux x86_64/aarch64,
        # macOS x86_64/arm64; a target may be written in any case or in another OS's words.
        ("linux", "AMD64", "x86_64"),
        ("linux", "ARM64", "aarch64"),
        ("linux", "x86", "i686"),
        ("linux", "armv7l", "armv7l"),
        ("darwin", "AMD64", "x86_64"),
        ("darwin", "arm64", "arm64"),
        ("win32", "amd64", "AMD64"),
        ("win32", "AMD64", "AMD64"),
        ("win32", "aarch64", "ARM64"),
        ("win32", "x86", "x86"),
        ("freebsd14", "amd64", "amd64"),
    ],
)
def test_machine_as_the_os_reports_it(sys_platform: str, machine: str, reported: str) -> None:
    assert machine_for(sys_platform, machine) == reported


def test_best_tag_first_and_description() -> None:
    target = tag_target("darwin", "arm64", Version("3.12"), macos=Version("14.0"))
    assert str(next(target.tags())) == "cp312-cp312-macosx_14_0_arm64"
    assert target.describe() == "macosx_14_0_arm64 / cp312"
    assert _linux_open().description == "manylinux_*_x86_64 / cp312"
    assert _musl().description == "musllinux_1_2_aarch64 / cp311"
    assert _win().description == "win_amd64 / cp313"
    # The exact ABI beats the stable ABI, which beats pure Python.
    wheels = ("cp312-cp312-macosx_11_0_arm64", "cp39-abi3-macosx_11_0_arm64", "py3-none-any")
    mac14 = _mac14()
    ranks = [mac14.rank(parse_tag(t)) for t in wheels]
    assert all(r is not None for r in ranks)
    assert ranks == sorted(r for r in ranks if r is not None)


@pytest.mark.parametrize(
    ("target", "described"),
    [
        (TagTarget("darwin", "arm64", (3, 12)), "macosx_*_arm64"),
        (TagTarget("darwin", "x86_64", (3, 12), macos=(10, 15)), "macosx_10_15_x86_64"),
        (TagTarget("win32", "ARM64", (3, 12)), "win_arm64"),
        (TagTarget("win32", "x86", (3, 12)), "win32"),
        # An unknown Windows CPU still gets a name for the check's heading, beside its error.
        (TagTarget("win32", "Sparc", (3, 12)), "win_sparc"),
        (TagTarget("linux", "aarch64", (3, 12), musl=(1, 1)), "musllinux_1_1_aarch64"),
        (TagTarget("linux", "aarch64", (3, 12), musl=None), "manylinux_*_aarch64"),
        (TagTarget("linux", "amd64", (3, 12), glibc=(2, 17)), "manylinux_2_17_x86_64"),
    ],
)
def test_describe_platform(target: TagTarget, described: str) -> None:
    assert target.describe_platform() == described


def test_pypy_target() -> None:
    pypy = _supported(
        tag_target("linux", "x86_64", Version("3.10"), implementation="pp", glibc=Version("2.17"))
    )
    assert _accepts(pypy, "pp310-pypy310_pp73-manylinux_2_17_x86_64")
    assert not _accepts(pypy, "cp310-cp310-manylinux_2_17_x86_64")
    assert _accepts(pypy, "py3-none-any")
    assert pypy.description == "manylinux_2_17_x86_64 / pp310"


def _py_tags(python: int, platform: str) -> list[str]:
    """`compatible_tags`' pure-Python part for 3.`python` (PEP 425): `py3XY`, `py3`, then
    every older `py3X`."""
    older = [f"py3{minor}-none-{platform}" for minor in range(python - 1, -1, -1)]
    return [f"py3{python}-none-{platform}", f"py3-none-{platform}", *older]


def test_every_tag_of_a_cpython_target_in_sys_tags_order() -> None:
    """CPython 3.12 on 64-bit Windows, as `sys_tags()` lists it there: its own ABI, the
    stable ABI back to cp32, no ABI, then pure Python for the platform and for any."""
    expected = [
        "cp312-cp312-win_amd64",
        "cp312-abi3-win_amd64",
        "cp312-none-win_amd64",
        *(f"cp3{minor}-abi3-win_amd64" for minor in range(11, 1, -1)),
        *_py_tags(12, "win_amd64"),
        "cp312-none-any",
        *_py_tags(12, "any"),
    ]
    target = tag_target("win32", "AMD64", Version("3.12"))
    assert [str(t) for t in target.tags()] == expected


def test_every_tag_of_a_pypy_target_in_sys_tags_order() -> None:
    """PyPy 3.10 (v7.3) on 64-bit Windows: `pp310` with the `pypy310_pp73` ABI or none,
    then pure Python, `pp3-none-any` first among the platform-free ones."""
    expected = [
        "pp310-pypy310_pp73-win_amd64",
        "pp310-none-win_amd64",
        *_py_tags(10, "win_amd64"),
        "pp3-none-any",
        *_py_tags(10, "any"),
    ]
    target = tag_target("win32", "AMD64", Version("3.10"), implementation="pp")
    assert [str(t) for t in target.tags()] == expected


def test_tags_do_not_follow_the_checking_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check run by a debug CPython (ABI `cp311d`) still judges the target's `cp312` ABI:
    `packaging` fills an ABI it is not given from the running interpreter."""
    real = sysconfig.get_config_var
    monkeypatch.setattr(
        sysconfig, "get_config_var", lambda name: 1 if name == "Py_DEBUG" else real(name)
    )
    tags = [str(t) for t in tag_target("win32", "AMD64", Version("3.12")).tags()]
    assert tags[0] == "cp312-cp312-win_amd64"
    assert not [t for t in tags if "cp312d" in t]


def _ladder(arch: str, newest: int, floor: int) -> list[str]:
    """manylinux_2_<newest> .. 2_<floor>, each legacy alias right after its glibc (PEP 600:
    manylinux2014 = 2.17, manylinux2010 = 2.12, manylinux1 = 2.5)."""
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    out: list[str] = []
    for minor in range(newest, floor - 1, -1):
        out.append(f"manylinux_2_{minor}_{arch}")
        if minor in legacy:
            out.append(f"{legacy[minor]}_{arch}")
    return out


@pytest.mark.parametrize(
    ("machine", "glibc", "musl", "platforms"),
    [
        ("x86_64", "2.28", None, ["linux_x86_64", *_ladder("x86_64", 28, 5)]),
        ("i686", "2.12", None, ["linux_i686", *_ladder("i686", 12, 5)]),
        (
            "aarch64",
            "2.17",
            None,
            ["linux_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
        ),
        # Not in PEP 599's list, yet `packaging` gives the alias to every architecture at 2.17.
        ("riscv64", "2.18", None, ["linux_riscv64", *_ladder("riscv64", 18, 17)]),
        # A 32-bit ARM userland on a 64-bit CPU runs armv7l wheels too.
        (
            "armv8l",
            "2.18",
            None,
            [
                "linux_armv8l",
                "linux_armv7l",
                *_ladder("armv8l", 18, 17),
                *_ladder("armv7l", 18, 17),
            ],
        ),
        # No manylinux platform was ever defined for these: `linux_` only.
        ("armv6l", "2.28", None, ["linux_armv6l"]),
        ("mips64", None, None, ["linux_mips64"]),
        (
            "aarch64",
            None,
            "1.2",
            ["linux_aarch64", *(f"musllinux_1_{m}_aarch64" for m in (2, 1, 0))],
        ),
        (
            "armv8l",
            None,
            "1.1",
            [
                "linux_armv8l",
                "linux_armv7l",
                "musllinux_1_1_armv8l",
                "musllinux_1_0_armv8l",
                "musllinux_1_1_armv7l",
                "musllinux_1_0_armv7l",
            ],
        ),
    ],
)
def test_linux_platforms_as_published(
    machine: str, glibc: str | None, musl: str | None, platforms: list[str]
) -> None:
    target = tag_target(
        "linux",
        machine,
        Version("3.12"),
        glibc=None if glibc is None else Version(glibc),
        musl=None if musl is None else Version(musl),
    )
    assert target.platforms() == platforms


def _packaging_linux(
    monkeypatch: pytest.MonkeyPatch,
    arch: str,
    glibc: tuple[int, int] | None,
    musl: tuple[int, int] | None,
) -> list[str]:
    """What `packaging.tags` lists on a Linux machine with that CPU and libc: its own code,
    with only its probes of the running machine answered for the target."""
    monkeypatch.setattr(sysconfig, "get_platform", lambda: f"linux-{arch}")
    monkeypatch.setattr(_manylinux, "_get_glibc_version", lambda: glibc or (-1, -1))
    monkeypatch.setattr(_manylinux, "_is_linux_armhf", lambda _executable: True)
    monkeypatch.setattr(_manylinux, "_is_linux_i686", lambda _executable: True)
    monkeypatch.setattr(_manylinux, "_get_manylinux_module", lambda: None, raising=False)
    version = None if musl is None else _musllinux._MuslVersion(*musl)
    monkeypatch.setattr(_musllinux, "_get_musl_version", lambda _executable: version)
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    return list(ptags.platform_tags())


@pytest.mark.parametrize(
    "arch",
    ["x86_64", "i686", "aarch64", "armv7l", "armv8l", "ppc64le", "s390x", "riscv64", "armv6l"],
)
@pytest.mark.parametrize(
    ("glibc", "musl"), [((2, 5), None), ((2, 17), None), ((2, 31), None), (None, (1, 2))]
)
def test_linux_platforms_equal_packagings(
    monkeypatch: pytest.MonkeyPatch,
    arch: str,
    glibc: tuple[int, int] | None,
    musl: tuple[int, int] | None,
) -> None:
    ours = TagTarget("linux", arch, (3, 12), glibc=glibc, musl=musl).platforms()
    assert ours == _packaging_linux(monkeypatch, arch, glibc, musl)


@pytest.mark.parametrize(
    ("machine", "macos", "arch"),
    [("arm64", (14, 0), "arm64"), ("aarch64", (11, 0), "arm64"), ("x86_64", (10, 15), "x86_64")],
)
def test_mac_platforms_equal_packagings(machine: str, macos: tuple[int, int], arch: str) -> None:
    target = TagTarget("darwin", machine, (3, 12), macos=macos)
    assert target.platforms() == list(ptags.mac_platforms(macos, arch))


def test_mac_14_arm64_accepts_11_to_14_and_universal2() -> None:
    platforms = tag_target("darwin", "arm64", Version("3.12"), macos=Version("14")).platforms()
    assert platforms[:8] == [
        f"macosx_{major}_0_{fmt}" for major in (14, 13, 12, 11) for fmt in ("arm64", "universal2")
    ]
    assert platforms[8:] == [f"macosx_10_{minor}_universal2" for minor in range(16, 3, -1)]


def test_open_macos_accepts_every_release() -> None:
    platforms = TagTarget("darwin", "arm64", (3, 12)).platforms()
    assert platforms == list(ptags.mac_platforms((OPEN_MACOS_MAJOR, 0), "arm64"))
    assert "macosx_26_0_arm64" in platforms
    assert "macosx_11_0_arm64" in platforms


def test_tag_target_reads_config_versions() -> None:
    target = tag_target(
        "linux", "aarch64", Version("3.12.4"), implementation="pp", musl=Version("1.2")
    )
    assert target == TagTarget("linux", "aarch64", (3, 12), "pp", musl=(1, 2))
    # A version given as its major alone is its .0 release.
    mac = tag_target("darwin", "arm64", Version("3"), macos=Version("14"))
    assert (mac.python, mac.macos) == ((3, 0), (14, 0))
    assert mac.describe() == "macosx_14_0_arm64 / cp30"
    linux = tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28"))
    assert (linux.glibc, linux.musl, linux.macos) == ((2, 28), None, None)


def test_unknown_platform_is_an_error() -> None:
    with pytest.raises(TagError) as info:
        tag_target("freebsd14", "amd64", Version("3.12")).platforms()
    assert str(info.value) == "unknown sys_platform 'freebsd14' (known: linux, darwin, win32)"
    with pytest.raises(TagError) as info:
        tag_target("win32", "sparc", Version("3.12")).platforms()
    assert str(info.value) == "unknown Windows machine 'sparc' (known: AMD64, ARM64, x86)"


def _tag(text: str) -> Tag:
    (tag,) = parse_tag(text)
    return tag


def test_supported_tags_rank_and_membership() -> None:
    best, abi3, pure = (
        _tag(t) for t in ("cp312-cp312-win_amd64", "cp39-abi3-win_amd64", "py3-none-any")
    )
    table = SupportedTags([best, abi3, best, pure])
    assert table.description == ""
    assert len(table) == 3
    # A tag listed twice keeps its first (best) rank.
    assert (table.rank([best]), table.rank([abi3]), table.rank([pure])) == (0, 1, 3)
    assert table.rank([pure, abi3]) == 1
    assert table.rank([_tag("cp312-cp312-win32")]) is None
    assert table.rank([]) is None
    assert best in table
    assert _tag("cp312-cp312-win32") not in table
    assert table.platforms == frozenset({"win_amd64", "any"})


def test_for_target_is_the_targets_table() -> None:
    target = tag_target("linux", "aarch64", Version("3.11"), musl=Version("1.2"))
    cached = SupportedTags.for_target(target)
    assert cached is SupportedTags.for_target(target)
    fresh = _supported(target)
    assert cached.description == fresh.description == "musllinux_1_2_aarch64 / cp311"
    assert len(cached) == len(fresh)
    assert all(tag in cached for tag in target.tags())


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc Linux host"
)
def test_matches_packaging_on_this_very_machine() -> None:
    """The tags worked out from a description equal `sys_tags()` on the machine described."""
    python = Version(f"{sys.version_info[0]}.{sys.version_info[1]}")
    glibc = Version(platform.libc_ver()[1])
    target = tag_target("linux", platform.machine(), python, glibc=glibc)
    assert list(target.tags()) == list(ptags.sys_tags())
