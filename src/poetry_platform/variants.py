"""Choosing a variant: ordered candidates, the first one the host satisfies wins.

The explanation is data (one verdict per variant, each unmet requirement an `Unmet` value
that `render/` words) and the choice is derived from the same verdicts, so what
`platform-show` prints and what `platform-install` installs cannot disagree. Host facts
come in as a `HostProfile` and a marker environment, so tests hand in any host ("CUDA 12.4,
compute capability 6.1").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

from packaging.version import InvalidVersion
from packaging.version import Version

from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.specifiers import SpecifierSet

    from poetry_platform.host.profile import HostProfile
    from poetry_platform.lockset.problems import MissingAccelerator
    from poetry_platform.model import RequirementKind
    from poetry_platform.model import Variant

VARIANT_ENV = "POETRY_PLATFORM_VARIANT"
# A requirement of the host, or "accelerator": the lock cannot deliver the variant's
# `provides` on this interpreter (see `check/fidelity.py`).
UnmetKind = Literal["markers", "cuda", "compute-capability", "rocm", "accelerator"]


@dataclass(frozen=True)
class Unmet:
    """One requirement the host does not meet: its kind, what the variant wants, what the
    host has. `found` is empty when the host has none of it (no CUDA driver, no GPU); for
    markers it holds the host's value of each variable the marker reads, named in
    `variables`; for "accelerator" the Python, and the lock's whole verdict in `missing`.
    `render.unmet` words it; nothing else does."""

    kind: UnmetKind
    wanted: str
    found: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    missing: MissingAccelerator | None = None


@dataclass(frozen=True)
class Assumed:
    """A requirement taken as met for lack of a fact (compute capability not readable)."""

    kind: RequirementKind
    wanted: str


@dataclass(frozen=True)
class Verdict:
    variant: Variant
    unmet: tuple[Unmet, ...]
    assumed: tuple[Assumed, ...] = ()

    @property
    def satisfied(self) -> bool:
        return not self.unmet


@dataclass(frozen=True)
class Selection:
    verdicts: tuple[Verdict, ...]
    chosen: Variant | None
    # "auto", "--variant" or the environment variable that forced the choice.
    forced_by: str | None = None

    @property
    def chosen_verdict(self) -> Verdict | None:
        if self.chosen is None:
            return None
        return next(v for v in self.verdicts if v.variant.name == self.chosen.name)

    @property
    def skipped(self) -> tuple[Verdict, ...]:
        """The unmet variants declared before the chosen one: why it was not an earlier one."""
        if self.chosen is None:
            return ()
        names = [v.variant.name for v in self.verdicts]
        before = self.verdicts[: names.index(self.chosen.name)]
        return tuple(v for v in before if not v.satisfied)


class UnknownVariantError(UsageError, ValueError):
    """A forced variant name the configuration does not declare."""


def evaluate(
    variant: Variant,
    host: HostProfile,
    marker_env: Mapping[str, object],
    undeliverable: Unmet | None = None,
) -> Verdict:
    """Every unmet requirement of `variant`, each with the host fact that fails it;
    `undeliverable`: the lock cannot deliver its accelerator on this interpreter."""
    unmet: list[Unmet] = []
    assumed: list[Assumed] = []
    req = variant.requires
    if req.markers is not None and not req.markers.evaluate(
        {k: str(v) for k, v in marker_env.items()}
    ):
        keys = tuple(_marker_keys(str(req.markers)))
        found = tuple(str(marker_env.get(key, "")) for key in keys)
        unmet.append(Unmet("markers", str(req.markers), found, keys))
    if req.cuda is not None:
        unmet.extend(_check_version("cuda", req.cuda, host.cuda))
    if req.compute_capability is not None:
        wanted = str(req.compute_capability)
        ccs = host.compute_capabilities
        if not ccs and host.cuda is None:
            unmet.append(Unmet("compute-capability", wanted))
        elif not ccs:
            # A CUDA driver without a readable compute capability (a driver-only probe, or a
            # CUDA override in a Docker build): do not refuse a GPU we cannot see.
            assumed.append(Assumed("compute-capability", wanted))
        else:
            bad = tuple(cc for cc in ccs if not _admits(req.compute_capability, cc))
            if bad:
                unmet.append(Unmet("compute-capability", wanted, bad))
    if req.rocm is not None:
        unmet.extend(_check_version("rocm", req.rocm, host.rocm_version))
    if undeliverable is not None:
        unmet.append(undeliverable)
    return Verdict(variant, tuple(unmet), tuple(assumed))


def select(
    variants: Sequence[Variant],
    host: HostProfile,
    marker_env: Mapping[str, object],
    *,
    forced: str | None = None,
    forced_by: str | None = None,
    undeliverable: Mapping[str, Unmet] | None = None,
    inferred: bool = False,
) -> Selection:
    """The first satisfied variant, or the forced one (which must exist; it need not fit;
    `inferred`: the variants came from the extras, which the refusal says).

    `undeliverable` (variant name -> why): variants the lock cannot deliver here; they are
    skipped like any unmet requirement, so the next one wins.
    """
    undeliverable = undeliverable or {}
    verdicts = tuple(evaluate(v, host, marker_env, undeliverable.get(v.name)) for v in variants)
    if forced is not None:
        chosen = next((v for v in variants if v.name == forced), None)
        if chosen is None:
            from poetry_platform.errors import did_you_mean

            names = [v.name for v in variants]
            origin = "inferred from extras" if inferred else "declared"
            raise UnknownVariantError(
                f"{forced_by or 'the forced variant'}: no variant {forced} (variants here, "
                f"{origin}: {', '.join(names)}){did_you_mean(forced, names)}"
            )
        return Selection(verdicts, chosen, forced_by or "--variant")
    chosen = next((v.variant for v in verdicts if v.satisfied), None)
    return Selection(verdicts, chosen, None)


def _check_version(kind: RequirementKind, spec: SpecifierSet, value: str | None) -> list[Unmet]:
    if value is None:
        return [Unmet(kind, str(spec))]
    if not _admits(spec, value):
        return [Unmet(kind, str(spec), (value,))]
    return []


def _admits(spec: SpecifierSet, value: str) -> bool:
    try:
        return spec.contains(Version(value), prereleases=True)
    except InvalidVersion:
        return False


def _marker_keys(marker: str) -> list[str]:
    """Variable names a marker reads, in order of appearance, to show the host's values."""
    from packaging.markers import default_environment

    return [key for key in default_environment() if key in marker]
