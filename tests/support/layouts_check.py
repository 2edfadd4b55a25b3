"""Layouts for `platform-check` tests that `layouts.tagged` does not cover.

`jax_split` and `torch_pypi` are the two real-index cases of a variant that installs but
does not deliver what it stands for (see `check/fidelity.py`); `duplicate_pin` is the
real-index lock that installs two entries of one package at once.

`tagged` pins its cp311/cp312-only package to `Requires-Python <3.13`, so Poetry refuses
any project reaching 3.13. Real packages often lag a new Python without saying so: their
metadata accepts it, their wheels do not exist yet. `lagging` publishes such a package.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tests.support.layouts import LINUX_X86
from tests.support.layouts import MAC_ARM
from tests.support.layouts import NVIDIA_CU13
from tests.support.layouts import PYPI
from tests.support.layouts import TORCH_CPU_INDEX
from tests.support.layouts import TORCH_CU130_INDEX
from tests.support.layouts import publish

if TYPE_CHECKING:
    from pathlib import Path

LAGGING = "lagging-lib"
LAGGING_VERSION = "1.0"
LAGGING_TAGS = tuple(
    f"cp{minor}-cp{minor}-{platform}"
    for minor in (311, 312)
    for platform in ("manylinux_2_28_x86_64", "macosx_11_0_arm64")
)


def lagging(root: Path) -> None:
    """On "pypi": `lagging-lib` accepting Python >=3.10 with wheels for cp311/cp312 only."""
    for tag in LAGGING_TAGS:
        publish(root, PYPI, LAGGING, LAGGING_VERSION, tags=(tag,), requires_python=">=3.10")


# jax_split: the real-index trap of issue 10, in small. JAX's `cuda13` extra (and its
# plugin) only exist from a release that needs a newer Python than the project's floor, so
# `poetry lock` gives older Pythons a jax without the extra, and "cuda13" there is CPU JAX.
# The newer release needs the Python after the one running the tests, so that this
# interpreter is always one of the older ones, whatever CI runs on.
SPLIT_OLD = "0.6.2"
SPLIT_NEW = "0.7.2"
NEWER_PYTHON = f"3.{sys.version_info.minor + 1}"
THIS_PYTHON = f"3.{sys.version_info.minor}"


def jax_split(root: Path) -> None:
    """On "pypi": jax/jaxlib 0.6.2 (Python >=3.10, extra cuda12 only) and 0.7.2 (Python
    >= NEWER_PYTHON, extras cuda12 and cuda13), with Linux x86_64 CUDA plugins."""
    for version, requires_python, majors in (
        (SPLIT_OLD, ">=3.10", (12,)),
        (SPLIT_NEW, f">={NEWER_PYTHON}", (12, 13)),
    ):
        exact = f"=={version}"
        publish(
            root,
            PYPI,
            "jax",
            version,
            requires_dist=(f"jaxlib{exact}",),
            requires_python=requires_python,
            extras={
                f"cuda{major}": [
                    f"jaxlib{exact}",
                    f"jax-cuda{major}-plugin{exact} ; sys_platform == 'linux'",
                ]
                for major in majors
            },
        )
        publish(root, PYPI, "jaxlib", version, requires_python=requires_python)
        for major in majors:
            publish(
                root,
                PYPI,
                f"jax-cuda{major}-plugin",
                version,
                tags=(LINUX_X86,),
                requires_python=requires_python,
            )


# torch_pypi: PyTorch as PyPI serves it. The Linux wheel is the CUDA build and pulls NVIDIA
# runtime wheels; the macOS wheel is CPU.
PYPI_TORCH = "2.9.0"
PYPI_TORCH_NVIDIA = "nvidia-cublas-cu12"


def torch_pypi(root: Path) -> None:
    publish(root, PYPI, PYPI_TORCH_NVIDIA, "12.8.4.1", tags=(LINUX_X86,), requires_python=">=3")
    for tags in ((LINUX_X86,), (MAC_ARM,)):
        publish(
            root,
            PYPI,
            "torch",
            PYPI_TORCH,
            tags=tags,
            requires_dist=(f"{PYPI_TORCH_NVIDIA}==12.8.4.1 ; platform_system == 'Linux'",),
        )


# duplicate_pin: the two `nvidia-cublas` entries Poetry 2.5 locks for PyTorch from PyPI, in
# small. `cuda-toolkit` pins nvidia-cublas for two of its extras, both requested; Poetry
# merges the two lines (`sys_platform == 'linux' and (extra == 'cublas' or extra ==
# 'cusolver')`) and forks on it: pinned where it applies, not required elsewhere. The other
# fork's marker loses its platform half with the extras (`without_extras()` of
# `sys_platform != 'linux' or extra != 'cublas' and extra != 'cusolver'` is "any").
# In the fork without the pin, `nvidia-cudnn-cu13` (which accepts any nvidia-cublas) takes
# the newest, so both entries are locked for Linux and both are installed there. The fix
# is to pin the version cuda-toolkit pins (`check/plan.py`, advice "constrain").
DUP_NAME = "nvidia-cublas"
DUP_PINNED, DUP_NEWEST = NVIDIA_CU13[DUP_NAME]
DUP_TOOLKIT = "13.0.0"
DUP_CUDNN = "9.13.1"  # not jax_like's (which requires nothing)
DUP_FRAMEWORK = "gpu-framework"
DUP_FRAMEWORK_ONE, DUP_FRAMEWORK_TWO = "1.0", "2.0"
TOOLKIT_EXTRAS = ("cublas", "cusolver")
LINUX = "sys_platform == 'linux'"


def duplicate_pin(root: Path) -> None:
    """On "pypi": `gpu-framework` requiring `cuda-toolkit[cublas,cusolver]` and a cuDNN on
    Linux, whose `poetry lock` holds nvidia-cublas DUP_PINNED and DUP_NEWEST, both for Linux."""
    for version in (DUP_PINNED, DUP_NEWEST):
        publish(root, PYPI, DUP_NAME, version, tags=(LINUX_X86,), requires_python=">=3")
    publish(
        root,
        PYPI,
        "cuda-toolkit",
        DUP_TOOLKIT,
        extras={extra: (f"{DUP_NAME}=={DUP_PINNED}.* ; {LINUX}",) for extra in TOOLKIT_EXTRAS},
    )
    publish(root, PYPI, "nvidia-cudnn-cu13", DUP_CUDNN, requires_dist=(DUP_NAME,))
    publish(
        root,
        PYPI,
        DUP_FRAMEWORK,
        DUP_FRAMEWORK_ONE,
        requires_dist=(
            f"cuda-toolkit[{','.join(TOOLKIT_EXTRAS)}]=={DUP_TOOLKIT} ; platform_system == 'Linux'",
            f"nvidia-cudnn-cu13=={DUP_CUDNN} ; platform_system == 'Linux'",
        ),
    )


PYTORCH_CPU, PYTORCH_CU130 = "cpu", "cu130"  # the last segments of PyTorch's index URLs


def torch_cpu_source(root: Path) -> None:
    """`torch_pypi`, and PyTorch's own indexes beside it: `torch==PYPI_TORCH+cpu` (no NVIDIA
    wheel) on "torch-cpu", `+cu130` on "torch-cu130": a project whose cpu side takes torch
    from "pypi" while a CPU source is declared, and its fix (`check/cpu_source.py`). The same
    wheels stand under PyTorch's own last segments, "cpu" and "cu130", so that the CPU URL
    derived from the CUDA one (`<base>/cu130/simple/` -> `<base>/cpu/simple/`) answers."""
    torch_pypi(root)
    for index in (TORCH_CPU_INDEX, PYTORCH_CPU):
        for tags in ((LINUX_X86,), (MAC_ARM,)):
            publish(root, index, "torch", f"{PYPI_TORCH}+cpu", tags=tags)
    for index in (TORCH_CU130_INDEX, PYTORCH_CU130):
        publish(
            root,
            index,
            "torch",
            f"{PYPI_TORCH}+cu130",
            tags=(LINUX_X86,),
            requires_dist=(f"{PYPI_TORCH_NVIDIA}==12.8.4.1 ; platform_system == 'Linux'",),
        )


# duplicate_pins: the same fork on two packages at once, as PyTorch from PyPI locks it on a
# Linux GPU target (nvidia-cublas and nvidia-cuda-nvrtc): `gpu-framework` DUP_FRAMEWORK_TWO
# takes a toolkit that pins both, and a cuDNN accepting any of either. Each pin alone
# leaves the target failing on the other.
DUP_TWO = "nvidia-cuda-nvrtc"
DUP_TWO_PINNED, DUP_TWO_NEWEST = "13.0.88", "13.5.37"
TOOLKIT_TWO, CUDNN_TWO = "13.0.1", "9.13.2"


def duplicate_pins(root: Path) -> None:
    """`duplicate_pin`, and `gpu-framework` DUP_FRAMEWORK_TWO whose lock holds two entries of
    nvidia-cublas and two of nvidia-cuda-nvrtc, all four for Linux."""
    duplicate_pin(root)
    for version in (DUP_TWO_PINNED, DUP_TWO_NEWEST):
        publish(root, PYPI, DUP_TWO, version, tags=(LINUX_X86,), requires_python=">=3")
    pins = (f"{DUP_NAME}=={DUP_PINNED}.* ; {LINUX}", f"{DUP_TWO}=={DUP_TWO_PINNED}.* ; {LINUX}")
    publish(root, PYPI, "cuda-toolkit", TOOLKIT_TWO, extras=dict.fromkeys(TOOLKIT_EXTRAS, pins))
    publish(root, PYPI, "nvidia-cudnn-cu13", CUDNN_TWO, requires_dist=(DUP_NAME, DUP_TWO))
    publish(
        root,
        PYPI,
        DUP_FRAMEWORK,
        DUP_FRAMEWORK_TWO,
        requires_dist=(
            f"cuda-toolkit[{','.join(TOOLKIT_EXTRAS)}]=={TOOLKIT_TWO} ; platform_system == 'Linux'",
            f"nvidia-cudnn-cu13=={CUDNN_TWO} ; platform_system == 'Linux'",
        ),
    )
