"""What the plugin knows about accelerator builds, in one place: how projects name their
accelerator extras, where such builds exist, what each variant must bring and must not,
which packages move together (JAX, PyTorch and its companions), and which fix fits a
package a CPU install must not have.

The table first, as data (each row says where it comes from); then the two rules that read
it to infer variants and their promises from a project's extra names. `config.py` parses
the user's `[tool.poetry-platform]` and falls back on these; `check/` and `up/` ask the
table instead of spelling package names themselves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from poetry_platform.model import FamilyRule
from poetry_platform.model import Promise
from poetry_platform.model import Requirements
from poetry_platform.model import Variant

if TYPE_CHECKING:
    from collections.abc import Collection

    from packaging.version import Version


# --- extra names ---------------------------------------------------------------------------

# JAX names its CUDA extras by major version: cuda12, cuda13 (also cuda-12, cuda_12).
CUDA_MAJOR_EXTRA = re.compile(r"^cuda[-_]?(\d{2})$")
# PyTorch names its CUDA builds by major and minor: cu126, cu130.
CUDA_TORCH_EXTRA = re.compile(r"^cu(\d{2})(\d)$")
# ROCm builds: rocm, rocm6.2, rocm6_2.
ROCM_EXTRA = re.compile(r"^rocm[-_]?(\d+(?:[._]\d+)*)?$")
CPU_EXTRA = "cpu"

# --- where builds exist --------------------------------------------------------------------

LINUX = "sys_platform == 'linux'"  # JAX's CUDA plugins and every ROCm build
LINUX_OR_WINDOWS = "sys_platform == 'linux' or sys_platform == 'win32'"  # PyTorch's CUDA
# CUDA 13 dropped GPUs below compute capability 7.5 (Turing).
MIN_COMPUTE_CAPABILITY_BY_CUDA_MAJOR = {13: ">=7.5"}

# --- families ------------------------------------------------------------------------------

# The packages whose presence makes a family's rule apply to a variant.
JAX_PACKAGES = ("jax", "jaxlib")
TORCH_PACKAGES = ("torch",)
# JAX's packages that only work at one version: jax, jaxlib and the plugins/PJRTs; jax
# leads (the others follow its version).
JAX = "jax"
JAX_FAMILY = re.compile(r"^(jax|jaxlib|jax-(cuda|rocm)\d+-(plugin|pjrt))$")
# A JAX backend package, and the backend (the extra) it is: jax-cuda12-plugin -> cuda12.
JAX_BACKEND = re.compile(r"^jax-(cuda\d+|rocm\d*)-(plugin|pjrt)$")
# A package whose python_version split Poetry locks only with a companion split beside it
# (the companion follows the package's version exactly).
SPLIT_COMPANIONS = {JAX: "jaxlib"}
# PyTorch's companions: built for one torch release each, with their own version numbers.
TORCH = "torch"
TORCH_COMPANIONS = frozenset({"torchvision", "torchaudio"})

# --- what a variant must bring (provides), per family --------------------------------------

# JAX: the CUDA plugin, or jaxlib's `+cuda` label in old locks. PyTorch: a `+cuNNN` build,
# or on the default index the `nvidia-*-cuNN` runtime wheels. `{major}` is the CUDA major,
# `{label}` the PyTorch local label (`cu126`, or `cu12*` for a JAX-style extra).
JAX_CUDA_PROVIDES = ("jax-cuda{major}-plugin", "jaxlib+cuda{major}*")
TORCH_CUDA_PROVIDES = ("torch+{label}", "nvidia-*-cu{major}")
JAX_ROCM_PROVIDES = ("jax-rocm*-plugin", "jaxlib+rocm*")
TORCH_ROCM_PROVIDES = ("torch+rocm*",)

# --- what a CPU variant must not bring (forbids) -------------------------------------------

# NVIDIA runtime wheels, JAX's CUDA plugins, CUDA toolkit wheels, PyTorch's CUDA and ROCm
# builds. `!` marks an exception: NVML's pure-Python bindings (`pynvml` pulls them) carry
# no CUDA runtime.
CPU_FORBIDS = (
    "nvidia-*",
    "!nvidia-ml-py",
    "jax-cuda*-plugin",
    "jax-cuda*-pjrt",
    "cuda-*",
    "torch+cu*",
    "torch+rocm*",
)

# --- the rules that read the table ---------------------------------------------------------


def jax_backend(name: str) -> str | None:
    """`cuda12` for `jax-cuda12-plugin` / `jax-cuda12-pjrt`, else None."""
    m = JAX_BACKEND.match(name)
    return m.group(1) if m else None


def infer_variants(extras: Collection[str]) -> tuple[Variant, ...]:
    """Variants implied by the project's extras: newest CUDA first, ROCm, CPU last.

    A project without a `cpu` extra still gets a `cpu` variant with no extras, so a host
    without a GPU always has something to install.
    """
    from dataclasses import replace

    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    cuda: list[tuple[Version, Variant]] = []
    rocm: list[tuple[Version, Variant]] = []
    cpu: Variant | None = None
    for extra in extras:
        low = extra.lower()
        if m := CUDA_MAJOR_EXTRA.match(low):
            version = Version(f"{int(m.group(1))}.0")
            cuda.append((version, _cuda_variant(extra, version, LINUX)))
        elif m := CUDA_TORCH_EXTRA.match(low):
            version = Version(f"{int(m.group(1))}.{m.group(2)}")
            cuda.append((version, _cuda_variant(extra, version, LINUX_OR_WINDOWS)))
        elif m := ROCM_EXTRA.match(low):
            raw = (m.group(1) or "0").replace("_", ".")
            version = Version(raw)
            rocm.append(
                (
                    version,
                    Variant(
                        extra,
                        (extra,),
                        (),
                        Requirements(Marker(LINUX), rocm=SpecifierSet(f">={raw}")),
                    ),
                )
            )
        elif low == CPU_EXTRA:
            cpu = Variant(extra, (extra,))
    cuda.sort(key=lambda pair: pair[0], reverse=True)
    rocm.sort(key=lambda pair: pair[0], reverse=True)
    variants = [v for _, v in cuda] + [v for _, v in rocm]
    variants.append(cpu if cpu is not None else Variant(CPU_EXTRA))
    return tuple(replace(v, promise=infer_promise(v.name, v.extras)) for v in variants)


def infer_promise(name: str, extras: Collection[str]) -> Promise:
    """The default `provides`/`forbids` for a variant, from its name and extras' names.

    Only extras named like an accelerator build get a family rule; every other extra is
    held to the generic rule alone (see `Promise`). A variant named `cpu`, or with a
    `cpu` extra, forbids GPU builds.
    """

    families: list[FamilyRule] = []
    for extra in extras:
        low = extra.lower()
        if m := CUDA_MAJOR_EXTRA.match(low):
            major, torch_label = m.group(1), f"cu{m.group(1)}*"
        elif m := CUDA_TORCH_EXTRA.match(low):
            major, torch_label = m.group(1), f"cu{m.group(1)}{m.group(2)}"
        elif ROCM_EXTRA.match(low):
            families.append(FamilyRule("JAX", JAX_PACKAGES, JAX_ROCM_PROVIDES))
            families.append(FamilyRule("PyTorch", TORCH_PACKAGES, TORCH_ROCM_PROVIDES))
            continue
        else:
            continue
        jax = tuple(p.format(major=major) for p in JAX_CUDA_PROVIDES)
        torch = tuple(p.format(major=major, label=torch_label) for p in TORCH_CUDA_PROVIDES)
        families.append(FamilyRule("JAX", JAX_PACKAGES, jax))
        families.append(FamilyRule("PyTorch", TORCH_PACKAGES, torch))
    is_cpu = name.lower() == CPU_EXTRA or any(e.lower() == CPU_EXTRA for e in extras)
    return Promise(
        families=tuple(families), forbids=CPU_FORBIDS if is_cpu else (), generic=not is_cpu
    )


def _cuda_variant(extra: str, version: Version, markers: str) -> Variant:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    cc = MIN_COMPUTE_CAPABILITY_BY_CUDA_MAJOR.get(version.major)
    return Variant(
        extra,
        (extra,),
        (),
        Requirements(
            markers=Marker(markers),
            cuda=SpecifierSet(f">={version}"),
            compute_capability=SpecifierSet(cc) if cc else None,
        ),
    )
