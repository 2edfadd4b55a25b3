"""accelerators.py's rules read against the builds that exist: JAX's CUDA plugins and every
ROCm build are Linux wheels only, PyTorch's CUDA builds are Linux and Windows wheels, CUDA 13
left GPUs below compute capability 7.5, and the extra names each project uses."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename

from poetry_platform.accelerators import CPU_FORBIDS
from poetry_platform.accelerators import infer_promise
from poetry_platform.accelerators import infer_variants
from poetry_platform.accelerators import jax_backend


def _runs_on(marker: object, platform: str) -> bool:
    from packaging.markers import Marker

    assert isinstance(marker, Marker)
    return marker.evaluate({"sys_platform": platform})


# Real wheel names: where each kind of build is published.
WHEELS = {
    "cu126": [
        "torch-2.9.0+cu126-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torch-2.9.0+cu126-cp312-cp312-win_amd64.whl",
    ],
    "cuda12": ["jax_cuda12_plugin-0.7.2-cp312-cp312-manylinux_2_27_x86_64.whl"],
    "rocm6.4": ["torch-2.9.0+rocm6.4-cp312-cp312-manylinux_2_28_x86_64.whl"],
}


@pytest.mark.parametrize("extra", sorted(WHEELS))
def test_a_variant_runs_where_its_builds_are_published(extra: str) -> None:
    [variant] = [v for v in infer_variants([extra]) if v.name == extra]
    platforms = {
        {"win": "win32", "man": "linux", "mac": "darwin"}[str(tag.platform)[:3]]
        for wheel in WHEELS[extra]
        for tag in parse_wheel_filename(wheel)[3]
    }
    for platform in ("linux", "win32", "darwin"):
        assert _runs_on(variant.requires.markers, platform) == (platform in platforms)


@pytest.mark.parametrize(
    ("extra", "cuda", "cc"),
    [
        ("cuda12", ">=12.0", None),
        ("CUDA-13", ">=13.0", ">=7.5"),
        ("cuda_13", ">=13.0", ">=7.5"),
        ("cu118", ">=11.8", None),
        ("cu130", ">=13.0", ">=7.5"),
        ("cu129", ">=12.9", None),
    ],
)
def test_cuda_extras(extra: str, cuda: str, cc: str | None) -> None:
    [variant, cpu] = infer_variants([extra])
    assert (variant.name, variant.extras, cpu.name) == (extra, (extra,), "cpu")
    assert variant.requires.cuda == SpecifierSet(cuda)
    assert variant.requires.compute_capability == (SpecifierSet(cc) if cc else None)


@pytest.mark.parametrize(
    ("extra", "rocm"),
    [("rocm6.2.4", ">=6.2.4"), ("rocm6_3", ">=6.3"), ("ROCm-7.0", ">=7.0"), ("rocm", ">=0")],
)
def test_rocm_extras(extra: str, rocm: str) -> None:
    [variant, _] = infer_variants([extra])
    assert (variant.name, variant.extras, variant.groups) == (extra, (extra,), ())
    assert variant.requires.rocm == SpecifierSet(rocm)
    assert variant.requires.cuda is None


def test_two_extras_for_one_cuda_version_keep_the_projects_order() -> None:
    # JAX's and PyTorch's spelling of CUDA 12.0 side by side: neither is newer.
    assert [v.name for v in infer_variants(["cu120", "cuda12", "rocm6_2", "rocm6.2"])] == [
        "cu120",
        "cuda12",
        "rocm6_2",
        "rocm6.2",
        "cpu",
    ]


def test_newest_first_within_each_kind() -> None:
    names = [v.name for v in infer_variants(["rocm6.2", "cu118", "cuda12", "rocm6.10", "CPU"])]
    assert names == ["cuda12", "cu118", "rocm6.10", "rocm6.2", "CPU"]


@pytest.mark.parametrize(
    ("name", "backend"),
    [
        ("jax-cuda12-plugin", "cuda12"),
        ("jax-cuda13-pjrt", "cuda13"),
        ("jax-rocm60-plugin", "rocm60"),
        ("jax-rocm7-pjrt", "rocm7"),
        ("jax", None),
        ("jaxlib", None),
        ("jax-cuda12-plugin-extra", None),
    ],
)
def test_jax_backend(name: str, backend: str | None) -> None:
    assert jax_backend(name) == backend


def test_cpu_promise_by_name_or_extra() -> None:
    for name, extras in [("cpu", ()), ("CPU", ()), ("plain", ("Cpu",))]:
        promise = infer_promise(name, extras)
        assert (promise.forbids, promise.generic) == (CPU_FORBIDS, False)
    other = infer_promise("plain", ("plot",))
    assert (other.forbids, other.generic, other.families) == ((), True, ())
    # Each accelerator extra adds its families: a ROCm extra does not end the list.
    both = infer_promise("gpu", ("rocm6.2", "plot", "cuda12"))
    assert [(f.family, f.present, f.provides) for f in both.families] == [
        ("JAX", ("jax", "jaxlib"), ("jax-rocm*-plugin", "jaxlib+rocm*")),
        ("PyTorch", ("torch",), ("torch+rocm*",)),
        ("JAX", ("jax", "jaxlib"), ("jax-cuda12-plugin", "jaxlib+cuda12*")),
        ("PyTorch", ("torch",), ("torch+cu12*", "nvidia-*-cu12")),
    ]
