"""What `[tool.poetry-platform]` declares, as plain data: variants (what each requires of a
host, what it promises to deliver and not to bring), targets, the whole `PlatformConfig`.

`config.py` makes these from the user's table (and `accelerators.py` infers them from extra
names); everything else reads them. Patterns in a promise are in `patterns.py`'s normalized
form.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# What a variant can require of a host; also the `kind` of an unmet requirement.
RequirementKind = Literal["markers", "cuda", "compute-capability", "rocm"]


@dataclass(frozen=True)
class FamilyRule:
    """An inferred `provides` that holds only where its family is installed.

    `cuda13` means "JAX's CUDA 13 plugin" only in a project that installs JAX: a project
    whose `cuda13` extra pulls some other library's CUDA build is not held to it (it gets
    the generic rule instead).
    """

    family: str
    present: tuple[str, ...]
    provides: tuple[str, ...]


@dataclass(frozen=True)
class Promise:
    """What a variant must deliver (`provides`) and must not bring (`forbids`).

    Patterns are `fnmatch` globs over normalized distribution names, optionally with a
    glob over the version's local label after `+` (`torch+cu126`, `jaxlib+cuda12*`).
    `provides` set by the user replaces every inferred rule; otherwise a variant with
    extras must get, from them, at least one distribution the set without them lacks,
    or, where one of `families` is installed, one of that family's builds. A CPU variant
    promises no accelerator, only the absence of GPU builds (`forbids`).
    """

    provides: tuple[str, ...] | None = None  # None: not declared (the inferred rules apply)
    forbids: tuple[str, ...] = ()
    families: tuple[FamilyRule, ...] = ()
    forbids_declared: bool = False
    # The generic "its extras add a package" rule; off for CPU variants, which promise no
    # accelerator (`cpu = ["jax[cpu]"]` adds nothing to a set that has jaxlib already).
    generic: bool = True


@dataclass(frozen=True)
class Requirements:
    """What a host must offer for a variant; `None` means "no requirement"."""

    markers: Marker | None = None
    cuda: SpecifierSet | None = None
    compute_capability: SpecifierSet | None = None
    rocm: SpecifierSet | None = None

    def items(self) -> list[tuple[RequirementKind, str]]:
        """Each requirement set, as (kind, what is wanted), in the order messages list them."""
        out: list[tuple[RequirementKind, str]] = []
        if self.markers is not None:
            out.append(("markers", str(self.markers)))
        if self.cuda is not None:
            out.append(("cuda", str(self.cuda)))
        if self.compute_capability is not None:
            out.append(("compute-capability", str(self.compute_capability)))
        if self.rocm is not None:
            out.append(("rocm", str(self.rocm)))
        return out


@dataclass(frozen=True)
class Variant:
    name: str
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    requires: Requirements = field(default_factory=Requirements)
    description: str = ""
    promise: Promise = field(default_factory=Promise)


@dataclass(frozen=True)
class Target:
    """A platform the lock must install on (used by `platform-check`)."""

    name: str
    sys_platform: str
    platform_machine: str
    pythons: tuple[Version, ...]
    variant: str | None = None
    groups: tuple[str, ...] = ("main",)
    macos: Version | None = None
    glibc: Version | None = None
    musl: Version | None = None
    implementation: str = "cp"


@dataclass(frozen=True)
class PlatformConfig:
    variants: tuple[Variant, ...]
    variants_inferred: bool
    targets: tuple[Target, ...] = ()
    linked: tuple[tuple[str, ...], ...] = ()
    installer: str | None = None
    # Targets are check data: for show and install a broken `[[target]]` is this message
    # (`load_config(..., lenient_targets=True)`), printed as a warning; they go on.
    target_error: str | None = None

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def variant_extras(self) -> frozenset[str]:
        """Extras that belong to some variant: the user must not pick them with -E."""
        return frozenset(e for v in self.variants for e in v.extras)
