from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from poetry_platform import render
from poetry_platform.accelerators import infer_variants
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.host.profile import RocmInfo
from poetry_platform.model import Requirements
from poetry_platform.model import Variant
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
    assert "skipped cuda13: cuda >=13.0: host has CUDA 12.4" in reason


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
    with pytest.raises(UnknownVariantError, match=r"no variant cuda14 .*cuda13, cuda12, cpu"):
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


GPU = Variant("gpu", requires=Requirements(cuda=SpecifierSet(">=12")))
ROCM = Variant("rocm", requires=Requirements(rocm=SpecifierSet(">=6")))


def amd(version: str) -> HostProfile:
    return HostProfile("linux", "x86_64", "3.12.0", rocm=RocmInfo("kfd", version))


@pytest.mark.parametrize(
    ("profile", "variant"),
    [
        (host("13.0rc1"), GPU),  # a pre-release driver's CUDA is still CUDA 13
        (amd("6.3.0-rc1"), ROCM),  # a ROCm release candidate, as rocminfo prints it
    ],
)
def test_a_pre_release_host_version_meets_the_requirement(
    profile: HostProfile, variant: Variant
) -> None:
    assert evaluate(variant, profile, LINUX).unmet == ()


@pytest.mark.parametrize(
    ("profile", "variant", "expected"),
    [
        (host("n/a"), GPU, Unmet("cuda", ">=12", ("n/a",))),
        (amd("6.x"), ROCM, Unmet("rocm", ">=6", ("6.x",))),
    ],
)
def test_an_unparseable_host_version_is_never_taken_as_met(
    profile: HostProfile, variant: Variant, expected: Unmet
) -> None:
    """A version the host reports but nobody can read fails the requirement, with the text
    shown, rather than being silently accepted."""
    selection = select((variant,), profile, LINUX)
    assert selection.chosen is None
    assert selection.verdicts[0].unmet == (expected,)


def test_an_unparseable_compute_capability_fails_the_requirement() -> None:
    sm = Variant("sm75", requires=Requirements(compute_capability=SpecifierSet(">=7.5")))
    assert evaluate(sm, host("13.0", ("9.0", "sm_90")), LINUX).unmet == (
        Unmet("compute-capability", ">=7.5", ("sm_90",)),
    )


def test_a_gpu_seen_without_a_cuda_driver_is_judged_on_its_compute_capability() -> None:
    """sysfs names the GPU and its compute capability even where no driver reports CUDA."""
    sm = Variant("sm75", requires=Requirements(compute_capability=SpecifierSet(">=7.5")))
    seen = HostProfile(
        "linux", "x86_64", "3.12.0", nvidia=NvidiaInfo("sysfs", compute_capabilities=("8.0",))
    )
    verdict = evaluate(sm, seen, LINUX)
    assert (verdict.unmet, verdict.assumed) == ((), ())
    old = HostProfile(
        "linux", "x86_64", "3.12.0", nvidia=NvidiaInfo("sysfs", compute_capabilities=("6.1",))
    )
    assert evaluate(sm, old, LINUX).unmet == (Unmet("compute-capability", ">=7.5", ("6.1",)),)


def test_a_variant_the_lock_cannot_deliver_is_skipped_for_the_next() -> None:
    undeliverable = Unmet("accelerator", "jax-cuda13-plugin")
    h100 = host("13.0", ("9.0",), "580.159.04")
    selection = select(JAX, h100, LINUX, undeliverable={"cuda13": undeliverable})
    assert selection.chosen is not None and selection.chosen.name == "cuda12"
    verdicts = {v.variant.name: v for v in selection.verdicts}
    assert verdicts["cuda13"].unmet == (undeliverable,)
    assert verdicts["cuda12"].unmet == ()
    assert selection.skipped == (verdicts["cuda13"],)


def test_skipped_names_only_the_unmet_variants_declared_before_the_chosen_one() -> None:
    h100 = host("13.0", ("9.0",))
    forced = select(JAX, h100, LINUX, forced="cpu")
    assert forced.skipped == ()  # cuda13 and cuda12 both run here: nothing was skipped
    pascal = select(JAX, host("13.0", ("6.1",)), LINUX)
    assert [v.variant.name for v in pascal.skipped] == ["cuda13"]
    assert select((GPU,), host(), LINUX).skipped == ()


def test_a_forced_variant_without_a_named_source_is_forced_by_the_option() -> None:
    selection = select(JAX, host(), LINUX, forced="cuda12")
    assert selection.chosen is not None and selection.chosen.name == "cuda12"
    assert selection.forced_by == "--variant"
    verdict = selection.chosen_verdict
    assert verdict is not None and verdict.variant.name == "cuda12"
    assert not verdict.satisfied
    with pytest.raises(UnknownVariantError) as error:
        select(JAX, host(), LINUX, forced="cuda14")
    assert str(error.value) == (
        "the forced variant: no variant cuda14 (variants here, declared: cuda13, cuda12, cpu); "
        "did you mean cuda13?"
    )
    with pytest.raises(UnknownVariantError) as error:
        select(JAX, host(), LINUX, forced="cuda31", forced_by="--variant", inferred=True)
    assert str(error.value) == (
        "--variant: no variant cuda31 (variants here, inferred from extras: cuda13, cuda12, "
        "cpu); did you mean cuda13?"
    )
    with pytest.raises(UnknownVariantError) as error:
        select(JAX, host(), LINUX, forced="rocm")
    assert "did you mean" not in str(error.value)


def test_nothing_chosen_has_no_chosen_verdict() -> None:
    selection = select((GPU,), host(), LINUX)
    assert (selection.chosen, selection.chosen_verdict, selection.forced_by) == (None, None, None)


def test_a_marker_variable_the_environment_lacks_shows_as_empty() -> None:
    """The reason shows the host's value of each variable the marker reads; one the given
    environment does not define is shown empty, not as 'None'."""
    kernel = Variant("rt", requires=Requirements(Marker("platform_release == '6.8-rt'")))
    assert evaluate(kernel, host(), LINUX).unmet == (
        Unmet("markers", 'platform_release == "6.8-rt"', ("",), ("platform_release",)),
    )
