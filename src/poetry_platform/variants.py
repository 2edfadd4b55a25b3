"""Choosing a variant: ordered candidates, the first one the host satisfies wins.

The explanation is data (one verdict per variant naming each unmet requirement) and the
choice is derived from the same verdicts, so what `platform-show` prints and what
`platform-install` installs cannot disagree. Host facts come in as a `HostProfile` and a
marker environment, so tests hand in any host ("CUDA 12.4, compute capability 6.1").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion
from packaging.version import Version

from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.specifiers import SpecifierSet

    from poetry_platform.config import Variant
    from poetry_platform.host.profile import HostProfile

VARIANT_ENV = "POETRY_PLATFORM_VARIANT"


@dataclass(frozen=True)
class Verdict:
    variant: Variant
    unmet: tuple[str, ...]
    # Requirements taken as met for lack of a fact (e.g. compute capability not readable).
    assumed: tuple[str, ...] = ()

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

    def reason(self, host: HostProfile) -> str:
        """One line saying why this variant (or why none), for install and show output."""
        if self.chosen is None:
            return "no declared variant runs on this machine"
        verdict = self.chosen_verdict
        if self.forced_by is not None:
            text = f"forced by {self.forced_by}"
            if verdict is not None and not verdict.satisfied:
                text += f"; this host does not meet it: {verdict.unmet[0]}"
            return text
        met = self.chosen.requires.describe()
        skipped = [
            f"{v.variant.name} ({v.unmet[0]})"
            for v in self._verdicts_before_chosen()
            if not v.satisfied
        ]
        parts = [describe_accelerator(host)]
        if met:
            parts.append("meets " + ", ".join(met))
        if verdict is not None and verdict.assumed:
            parts.append("assumed " + "; ".join(verdict.assumed))
        if skipped:
            parts.append("skipped " + ", ".join(skipped))
        return "; ".join(parts)

    def _verdicts_before_chosen(self) -> tuple[Verdict, ...]:
        assert self.chosen is not None
        names = [v.variant.name for v in self.verdicts]
        return self.verdicts[: names.index(self.chosen.name)]


class UnknownVariantError(UsageError, ValueError):
    """A forced variant name the configuration does not declare."""


def describe_accelerator(host: HostProfile) -> str:
    if host.nvidia is not None and host.cuda is not None:
        text = f"CUDA {host.cuda}"
        if host.nvidia.driver_version:
            text += f" (driver {host.nvidia.driver_version})"
        if host.compute_capabilities:
            text += f", compute capability {', '.join(host.compute_capabilities)}"
        return text + f" from {host.nvidia.source}"
    if host.rocm is not None:
        return f"ROCm {host.rocm.version or '(version unknown)'} from {host.rocm.source}"
    return "no GPU detected"


def evaluate(variant: Variant, host: HostProfile, marker_env: Mapping[str, object]) -> Verdict:
    """Every unmet requirement of `variant`, each as `<requirement>: <host fact>`."""
    unmet: list[str] = []
    assumed: list[str] = []
    req = variant.requires
    if req.markers is not None and not req.markers.evaluate(
        {k: str(v) for k, v in marker_env.items()}
    ):
        facts = ", ".join(
            f"{key} == {marker_env.get(key, '')!r}" for key in _marker_keys(str(req.markers))
        )
        unmet.append(f"markers {req.markers}: host has {facts}")
    if req.cuda is not None:
        unmet.extend(_check_version("cuda", req.cuda, host.cuda, "CUDA", "no CUDA driver"))
    if req.compute_capability is not None:
        ccs = host.compute_capabilities
        if not ccs and host.cuda is None:
            unmet.append(
                f"compute-capability {req.compute_capability}: host has no NVIDIA GPU detected"
            )
        elif not ccs:
            # A CUDA driver without a readable compute capability (a driver-only probe, or a
            # CUDA override in a Docker build): do not refuse a GPU we cannot see.
            assumed.append(f"compute-capability {req.compute_capability} (not detected)")
        else:
            bad = [cc for cc in ccs if not _admits(req.compute_capability, cc)]
            if bad:
                unmet.append(
                    f"compute-capability {req.compute_capability}: "
                    f"host has compute capability {', '.join(bad)}"
                )
    if req.rocm is not None:
        unmet.extend(_check_version("rocm", req.rocm, host.rocm_version, "ROCm", "no ROCm"))
    return Verdict(variant, tuple(unmet), tuple(assumed))


def select(
    variants: Sequence[Variant],
    host: HostProfile,
    marker_env: Mapping[str, object],
    *,
    forced: str | None = None,
    forced_by: str | None = None,
) -> Selection:
    """The first satisfied variant, or the forced one (which must exist; it need not fit)."""
    verdicts = tuple(evaluate(v, host, marker_env) for v in variants)
    if forced is not None:
        chosen = next((v for v in variants if v.name == forced), None)
        if chosen is None:
            names = ", ".join(v.name for v in variants)
            raise UnknownVariantError(
                f"{forced_by or 'the forced variant'} names variant {forced!r}, "
                f"which is not declared; choose one of: {names}"
            )
        return Selection(verdicts, chosen, forced_by or "--variant")
    chosen = next((v.variant for v in verdicts if v.satisfied), None)
    return Selection(verdicts, chosen, None)


def _check_version(
    key: str, spec: SpecifierSet, value: str | None, label: str, missing: str
) -> list[str]:
    if value is None:
        return [f"{key} {spec}: host has {missing}"]
    if not _admits(spec, value):
        return [f"{key} {spec}: host has {label} {value}"]
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
