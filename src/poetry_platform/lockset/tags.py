"""Wheel tags a *target* machine accepts, computed without being on it.

`packaging.tags.sys_tags()` answers for the running interpreter only; a lock check for a
Mac laptop run on a Linux CI box needs the same list for the Mac. So the platform part
(manylinux/musllinux ladders, macOS versions, Windows names) is derived here from the
target's declared facts, and `packaging.tags.cpython_tags` / `compatible_tags` turn it
into the full ordered list, the way `sys_tags()` does on the machine itself.

A libc or macOS version that the target does not declare means "any": the check then
judges OS, CPU and Python only, never a floor the user did not ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from functools import lru_cache
from typing import TYPE_CHECKING

from packaging import tags as ptags

from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

    from packaging.tags import Tag
    from packaging.version import Version

# When a target leaves its libc / macOS version open, accept every version up to these:
# far above anything released (glibc 2.42 and macOS 26 in 2025), so "open" never
# rejects a real wheel, yet small enough to keep the tag tables cheap to build.
OPEN_GLIBC_MINOR = 60
OPEN_MACOS_MAJOR = 40

# The architectures `packaging` gives manylinux tags (`_manylinux._have_compatible_abi`:
# its allowed list plus i686 and hard-float armv7l, which armv8l also runs), and the oldest
# glibc each ever had a tag for (PEP 600 / 599 / 571 / 513): 2.5 on x86, 2.17 elsewhere.
_MANYLINUX_ARCHS = {
    "x86_64",
    "i686",
    "aarch64",
    "armv7l",
    "armv8l",
    "ppc64",
    "ppc64le",
    "s390x",
    "loongarch64",
    "riscv64",
}
_MANYLINUX_FLOOR = {"x86_64": 5, "i686": 5}
_MANYLINUX_DEFAULT_FLOOR = 17
# Legacy aliases, given beside the glibc they stand for on every architecture that reaches
# it (as `packaging` does): manylinux2014 = 2.17, manylinux2010 = 2.12, manylinux1 = 2.5.
_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

# What each OS calls a CPU in `platform.machine()`; the marker environment must hold the
# same spelling the real machine reports, or `platform_machine == 'AMD64'` misfires.
_MACHINE_ALIASES = {
    "linux": {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "x86": "i686"},
    "darwin": {"aarch64": "arm64", "amd64": "x86_64"},
    "win32": {"x86_64": "AMD64", "amd64": "AMD64", "aarch64": "ARM64", "arm64": "ARM64"},
}
_WINDOWS_PLATFORM = {"AMD64": "win_amd64", "ARM64": "win_arm64", "x86": "win32"}
SUPPORTED_SYS_PLATFORMS = ("linux", "darwin", "win32")


class TagError(UsageError, ValueError):
    """A target whose wheel tags cannot be worked out (unknown OS or CPU)."""


def machine_for(sys_platform: str, machine: str) -> str:
    """The spelling of `machine` that `platform.machine()` gives on that OS."""
    return _MACHINE_ALIASES.get(sys_platform, {}).get(machine.lower(), machine)


@dataclass(frozen=True)
class TagTarget:
    """The facts wheel compatibility depends on; versions of `None` mean "any"."""

    sys_platform: str
    machine: str
    python: tuple[int, int]
    implementation: str = "cp"
    glibc: tuple[int, int] | None = None
    musl: tuple[int, int] | None = None
    macos: tuple[int, int] | None = None

    @property
    def interpreter(self) -> str:
        return f"{self.implementation}{self.python[0]}{self.python[1]}"

    @property
    def arch(self) -> str:
        return machine_for(self.sys_platform, self.machine)

    def describe_platform(self) -> str:
        """The target's best platform tag, with `*` where the version is left open."""
        arch = self.arch
        if self.sys_platform == "darwin":
            return f"macosx_{_ver(self.macos, '*')}_{arch}"
        if self.sys_platform == "win32":
            return _WINDOWS_PLATFORM.get(arch, f"win_{arch.lower()}")
        if self.musl is not None:
            return f"musllinux_{self.musl[0]}_{self.musl[1]}_{arch}"
        return f"manylinux_{_ver(self.glibc, '*')}_{arch}"

    def describe(self) -> str:
        """`macosx_14_0_arm64 / cp312`: what a wheel must offer, as messages show it."""
        return f"{self.describe_platform()} / {self.interpreter}"

    def platforms(self) -> list[str]:
        """Platform tags, most specific first, as `packaging` orders them on the machine."""
        arch = self.arch
        if self.sys_platform == "darwin":
            return _mac_platforms(self.macos, arch)
        if self.sys_platform == "win32":
            try:
                return [_WINDOWS_PLATFORM[arch]]
            except KeyError:
                known = ", ".join(sorted(_WINDOWS_PLATFORM))
                raise TagError(
                    f"unknown Windows machine {self.machine!r} (known: {known})"
                ) from None
        if self.sys_platform == "linux":
            return _linux_platforms(arch, glibc=self.glibc, musl=self.musl)
        known = ", ".join(SUPPORTED_SYS_PLATFORMS)
        raise TagError(f"unknown sys_platform {self.sys_platform!r} (known: {known})")

    def tags(self) -> Iterator[Tag]:
        """Every tag the target accepts, best first (the order of `sys_tags()`)."""
        platforms = self.platforms()
        if self.implementation == "cp":
            yield from ptags.cpython_tags(self.python, [f"cp{_nodot(self.python)}"], platforms)
            yield from ptags.compatible_tags(self.python, self.interpreter, platforms)
        else:
            # PyPy has used the `pp73` ABI tag since 7.3, the only PyPy still shipping wheels.
            abi = f"pypy{_nodot(self.python)}_pp73"
            yield from ptags.generic_tags(self.interpreter, [abi], platforms)
            yield from ptags.compatible_tags(self.python, "pp3", platforms)


class SupportedTags:
    """A target's tags as a rank table: membership and "best wheel" in one lookup."""

    def __init__(self, tags: Iterable[Tag], description: str = "") -> None:
        ranks: dict[Tag, int] = {}
        for rank, tag in enumerate(tags):
            ranks.setdefault(tag, rank)
        self._ranks = ranks
        self.description = description

    @classmethod
    def for_target(cls, target: TagTarget) -> SupportedTags:
        """Built once per target description: a check and an export of the same target
        (or two Pythons' worth of commands in one process) share the table."""
        return _for_target(target)

    def rank(self, tags: Iterable[Tag]) -> int | None:
        """Best (lowest) rank among `tags`, `None` when the target accepts none of them."""
        ranks = self._ranks
        found = [ranks[t] for t in tags if t in ranks]
        return min(found) if found else None

    def __contains__(self, tag: object) -> bool:
        return tag in self._ranks

    def __len__(self) -> int:
        return len(self._ranks)

    @cached_property
    def platforms(self) -> frozenset[str]:
        return frozenset(t.platform for t in self._ranks)


@lru_cache(maxsize=64)
def _for_target(target: TagTarget) -> SupportedTags:
    return SupportedTags(target.tags(), target.describe())


def tag_target(
    sys_platform: str,
    machine: str,
    python: Version,
    *,
    implementation: str = "cp",
    glibc: Version | None = None,
    musl: Version | None = None,
    macos: Version | None = None,
) -> TagTarget:
    """Build a `TagTarget` from config-style versions (`Version("2.28")`)."""
    return TagTarget(
        sys_platform=sys_platform,
        machine=machine,
        python=_pair(python),
        implementation=implementation,
        glibc=None if glibc is None else _pair(glibc),
        musl=None if musl is None else _pair(musl),
        macos=None if macos is None else _pair(macos),
    )


def _pair(version: Version) -> tuple[int, int]:
    release = (*version.release, 0)
    return release[0], release[1]


def _nodot(version: tuple[int, int]) -> str:
    return f"{version[0]}{version[1]}"


def _ver(version: tuple[int, int] | None, open_text: str) -> str:
    return open_text if version is None else f"{version[0]}_{version[1]}"


def _mac_platforms(version: tuple[int, int] | None, arch: str) -> list[str]:
    if version is None:
        version = (OPEN_MACOS_MAJOR, 0)
    return list(ptags.mac_platforms(version, arch))


def _linux_platforms(
    arch: str, *, glibc: tuple[int, int] | None, musl: tuple[int, int] | None
) -> list[str]:
    """`linux_<arch>` plus the manylinux or musllinux ladder, newest first, in the order of
    `packaging.tags` on the machine (`_linux_platforms`).

    A target declares one libc: musl means musllinux tags only, glibc (or nothing) means
    manylinux tags and their legacy aliases.
    """
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    out = [f"linux_{a}" for a in archs]
    for a in archs:
        if musl is not None:
            out.extend(f"musllinux_{musl[0]}_{minor}_{a}" for minor in range(musl[1], -1, -1))
        else:
            out.extend(_manylinux(glibc, a))
    return out


def _manylinux(glibc: tuple[int, int] | None, arch: str) -> list[str]:
    """`packaging`'s `_manylinux.platform_tags` for one architecture and a glibc 2.x."""
    if arch not in _MANYLINUX_ARCHS or (glibc is not None and glibc[0] != 2):
        return []
    newest = OPEN_GLIBC_MINOR if glibc is None else glibc[1]
    out: list[str] = []
    for minor in range(newest, _MANYLINUX_FLOOR.get(arch, _MANYLINUX_DEFAULT_FLOOR) - 1, -1):
        out.append(f"manylinux_2_{minor}_{arch}")
        if minor in _LEGACY_MANYLINUX:
            out.append(f"{_LEGACY_MANYLINUX[minor]}_{arch}")
    return out
