from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from poetry_platform import render
from poetry_platform.config import Requirements
from poetry_platform.config import Variant
from poetry_platform.config import infer_variants
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.host.profile import RocmInfo
from poetry_platform.variants import Assumed
from poetry_platform.variants import UnknownVariantError
from poetry_platform.variants import Unmet
from poetry_platform.variants import evaluate
from poetry_platform.variants import select

if TYPE_CHECKING:
    from poetry_platform.variants import Verdict

LINUX = {"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.12"}
MAC = {"sys_platform": "darwin", "platform_machine": "arm64", "python_version": "3.12"}


def host(
    cuda: str | None = None, ccs: tuple[str, ...] = (), driver: str | None = None
) -> HostProfile:
    nvidia = None
    if cuda is not None:
        nvidia = NvidiaInfo("nvml", driver, cuda, ccs, gpu_count=len(ccs))
    return HostProfile("linux", "x86_64", "3.12.0", nvidia=nvidia)


JAX = infer_variants(["cuda12", "cuda13"])


def unmet(verdict: Verdict) -> tuple[str, ...]:
    return tuple(render.unmet(u) for u in verdict.unmet)


@pytest.mark.parametrize(
    ("profile", "env", "expected"),
    [
        (host(), LINUX, "cpu"),
        (host("12.2", ("8.0",), "535.104.05"), LINUX, "cuda12"),
        (host("13.0", ("9.0",), "580.159.04"), LINUX, "cuda13"),
        # CUDA 13 driver but a Pascal GPU: CUDA 13 builds cannot run, fall back.
        (host("13.0", ("6.1",), "580.65.06"), LINUX, "cuda12"),
        # Mixed GPUs: every GPU must meet the compute capability.
        (host("13.0", ("9.0", "6.1")), LINUX, "cuda12"),
        # A CUDA override on a Mac still gets the CPU build: CUDA extras are Linux-only.
        (host("13.0", ("9.0",)), MAC, "cpu"),
    ],
)
def test_first_satisfied_variant_wins(
    profile: HostProfile, env: dict[str, str], expected: str
) -> None:
    selection = select(JAX, profile, env)
    assert selection.chosen is not None
    assert selection.chosen.name == expected
    assert selection.forced_by is None


def test_reasons_name_the_requirement_and_the_host_fact() -> None:
    selection = select(JAX, host("12.4", ("8.6",)), LINUX)
    verdicts = {v.variant.name: v for v in selection.verdicts}
    assert unmet(verdicts["cuda13"]) == ("cuda >=13.0: host has CUDA 12.4",)
    assert verdicts["cuda12"].satisfied
    reason = render.selection_reason(selection, host("12.4", ("8.6",)))
    assert "CUDA 12.4" in reason
    assert "skipped cuda13 (cuda >=13.0: host has CUDA 12.4)" in reason


def test_cc_reason_and_missing_gpu_reason() -> None:
    verdict = evaluate(JAX[0], host("13.0", ("6.1",)), LINUX)
    assert unmet(verdict) == ("compute-capability >=7.5: host has compute capability 6.1",)
    verdict = evaluate(JAX[0], host(), LINUX)
    assert unmet(verdict) == (
        "cuda >=13.0: host has no CUDA driver",
        "compute-capability >=7.5: host has no NVIDIA GPU detected",
    )


def test_marker_reason_shows_host_values() -> None:
    verdict = evaluate(JAX[0], host("13.0", ("9.0",)), MAC)
    assert unmet(verdict) == (
        "markers sys_platform == \"linux\": host has sys_platform == 'darwin'",
    )


def test_no_variant_fits_gives_every_reason() -> None:
    only_gpu = (Variant("gpu", requires=Requirements(cuda=SpecifierSet(">=12"))),)
    selection = select(only_gpu, host(), LINUX)
    assert selection.chosen is None
    assert unmet(selection.verdicts[0]) == ("cuda >=12: host has no CUDA driver",)
    assert render.selection_reason(selection, host()) == "no declared variant runs on this machine"


def test_forced_variant_is_chosen_even_when_unmet() -> None:
    selection = select(JAX, host(), LINUX, forced="cuda13", forced_by="--variant")
    assert selection.chosen is not None and selection.chosen.name == "cuda13"
    assert selection.forced_by == "--variant"
    assert "forced by --variant; this host does not meet it" in render.selection_reason(
        selection, host()
    )


def test_forcing_an_unknown_variant_lists_the_declared_ones() -> None:
    with pytest.raises(UnknownVariantError, match=r"'cuda14'.*cuda13, cuda12, cpu"):
        select(JAX, host(), LINUX, forced="cuda14", forced_by="POETRY_PLATFORM_VARIANT")


def test_rocm_requirement() -> None:
    rocm = Variant(
        "rocm6",
        ("rocm6",),
        (),
        Requirements(Marker("sys_platform == 'linux'"), rocm=SpecifierSet(">=6")),
    )
    amd = HostProfile("linux", "x86_64", "3.12.0", rocm=RocmInfo("kfd", "6.2.1", ("gfx90a",)))
    assert evaluate(rocm, amd, LINUX).satisfied
    assert unmet(evaluate(rocm, host(), LINUX)) == ("rocm >=6: host has no ROCm",)
    old = HostProfile("linux", "x86_64", "3.12.0", rocm=RocmInfo("kfd", "5.7.0"))
    assert unmet(evaluate(rocm, old, LINUX)) == ("rocm >=6: host has ROCm 5.7.0",)


def test_cuda_without_readable_compute_capability_is_not_refused() -> None:
    """A CUDA override in a Docker build, or a driver-only probe, knows no compute capability."""
    selection = select(JAX, host("13.0"), LINUX)
    assert selection.chosen is not None and selection.chosen.name == "cuda13"
    verdict = selection.chosen_verdict
    assert verdict is not None
    assert tuple(render.assumed(a) for a in verdict.assumed) == (
        "compute-capability >=7.5 (not detected)",
    )
    assert "assumed compute-capability >=7.5 (not detected)" in render.selection_reason(
        selection, host("13.0")
    )


def test_unmet_requirements_are_data() -> None:
    """Code reads kind, wanted and found; only render/ turns them into words."""
    assert evaluate(JAX[0], host("12.4", ("8.6", "6.1")), MAC).unmet == (
        Unmet("markers", 'sys_platform == "linux"', ("darwin",), ("sys_platform",)),
        Unmet("cuda", ">=13.0", ("12.4",)),
        Unmet("compute-capability", ">=7.5", ("6.1",)),
    )
    assert evaluate(JAX[0], host(), LINUX).unmet == (
        Unmet("cuda", ">=13.0"),
        Unmet("compute-capability", ">=7.5"),
    )
    assert evaluate(JAX[0], host("13.0"), LINUX).assumed == (
        Assumed("compute-capability", ">=7.5"),
    )


def test_no_variant_message_lists_every_candidate_and_the_override() -> None:
    only_gpu = (
        Variant("gpu", requires=Requirements(cuda=SpecifierSet(">=12"))),
        Variant("rocm", requires=Requirements(rocm=SpecifierSet(">=6"))),
    )
    assert render.no_variant(select(only_gpu, host(), LINUX)) == (
        "No declared variant runs on this machine:\n"
        "  - gpu: cuda >=12: host has no CUDA driver\n"
        "  - rocm: rocm >=6: host has no ROCm\n"
        "Force one with --variant NAME or POETRY_PLATFORM_VARIANT=NAME "
        "(e.g. POETRY_PLATFORM_VARIANT=rocm), or fake the accelerator with "
        "POETRY_PLATFORM_CUDA=12.4 / POETRY_PLATFORM_COMPUTE_CAPABILITY=8.6."
    )
