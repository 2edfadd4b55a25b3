from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from poetry_platform.config import Requirements
from poetry_platform.config import Variant
from poetry_platform.config import infer_variants
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.host.profile import RocmInfo
from poetry_platform.variants import UnknownVariantError
from poetry_platform.variants import evaluate
from poetry_platform.variants import select

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
    assert verdicts["cuda13"].unmet == ("cuda >=13.0: host has CUDA 12.4",)
    assert verdicts["cuda12"].satisfied
    reason = selection.reason(host("12.4", ("8.6",)))
    assert "CUDA 12.4" in reason
    assert "skipped cuda13 (cuda >=13.0: host has CUDA 12.4)" in reason


def test_cc_reason_and_missing_gpu_reason() -> None:
    verdict = evaluate(JAX[0], host("13.0", ("6.1",)), LINUX)
    assert verdict.unmet == ("compute-capability >=7.5: host has compute capability 6.1",)
    verdict = evaluate(JAX[0], host(), LINUX)
    assert verdict.unmet == (
        "cuda >=13.0: host has no CUDA driver",
        "compute-capability >=7.5: host has no NVIDIA GPU detected",
    )


def test_marker_reason_shows_host_values() -> None:
    verdict = evaluate(JAX[0], host("13.0", ("9.0",)), MAC)
    assert verdict.unmet == (
        "markers sys_platform == \"linux\": host has sys_platform == 'darwin'",
    )


def test_no_variant_fits_gives_every_reason() -> None:
    only_gpu = (Variant("gpu", requires=Requirements(cuda=SpecifierSet(">=12"))),)
    selection = select(only_gpu, host(), LINUX)
    assert selection.chosen is None
    assert selection.verdicts[0].unmet == ("cuda >=12: host has no CUDA driver",)
    assert selection.reason(host()) == "no declared variant runs on this machine"


def test_forced_variant_is_chosen_even_when_unmet() -> None:
    selection = select(JAX, host(), LINUX, forced="cuda13", forced_by="--variant")
    assert selection.chosen is not None and selection.chosen.name == "cuda13"
    assert selection.forced_by == "--variant"
    assert "forced by --variant; this host does not meet it" in selection.reason(host())


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
    assert evaluate(rocm, host(), LINUX).unmet == ("rocm >=6: host has no ROCm",)
    old = HostProfile("linux", "x86_64", "3.12.0", rocm=RocmInfo("kfd", "5.7.0"))
    assert evaluate(rocm, old, LINUX).unmet == ("rocm >=6: host has ROCm 5.7.0",)


def test_cuda_without_readable_compute_capability_is_not_refused() -> None:
    """A CUDA override in a Docker build, or a driver-only probe, knows no compute capability."""
    selection = select(JAX, host("13.0"), LINUX)
    assert selection.chosen is not None and selection.chosen.name == "cuda13"
    verdict = selection.chosen_verdict
    assert verdict is not None
    assert verdict.assumed == ("compute-capability >=7.5 (not detected)",)
    assert "assumed compute-capability >=7.5 (not detected)" in selection.reason(host("13.0"))
