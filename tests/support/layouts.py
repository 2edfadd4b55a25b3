"""Index contents mirroring real package layouts, built from tiny wheels.

Every layout writes into `<root>/<index>/<project>/` (see `tests.support.index`) and returns
nothing; the versions it publishes are module constants, so tests refer to them instead of
repeating literals. Layouts can share one root: where two of them publish the same file they
build it from the same arguments (builds are reproducible), so the result does not depend on
the order.

Installable packages use `py3-none-any` or `py3-none-<platform>` tags so that they install on
whichever CPython runs the tests; only `tagged` uses interpreter-specific tags.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.support.wheels import build_sdist
from tests.support.wheels import build_wheel
from tests.support.wheels import normalize_name
from tests.support.wheels import sdist_filename
from tests.support.wheels import wheel_filename

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping
    from pathlib import Path

PYPI = "pypi"
ANY = ("py3-none-any",)
LINUX_X86 = "py3-none-manylinux_2_27_x86_64"
LINUX_ARM = "py3-none-manylinux_2_27_aarch64"
MAC_ARM = "py3-none-macosx_11_0_arm64"
WIN_AMD64 = "py3-none-win_amd64"
REQUIRES_PYTHON = ">=3.10"

# jax_like ---------------------------------------------------------------------------------
JAX_VERSIONS = ("0.6.2", "0.7.0", "0.7.1")
JAX_LATEST = JAX_VERSIONS[-1]
JAXLIB_TAGS = ((LINUX_X86,), (LINUX_ARM,), (MAC_ARM,), (WIN_AMD64,))
CUDA_PLUGIN_TAGS = ((LINUX_X86,), (LINUX_ARM,))
# CUDA libraries per CUDA major: name -> versions (oldest first). CUDA 13 names drop the suffix.
NVIDIA_CU12 = {
    "nvidia-cublas-cu12": ("12.8.4.1", "12.9.1.4"),
    "nvidia-cuda-runtime-cu12": ("12.8.90", "12.9.79"),
    "nvidia-cudnn-cu12": ("9.10.2.21", "9.11.0.98"),
}
NVIDIA_CU13 = {
    "nvidia-cublas": ("13.0.0.19", "13.1.0.3"),
    "nvidia-cuda-runtime": ("13.0.48", "13.0.96"),
    "nvidia-cudnn-cu13": ("9.13.0.50", "9.14.0.64"),
}
# Small stand-ins for JAX's pure dependencies and the research team's groups:
# name -> (versions, requirements); a version may carry its own Requires-Python after a `|`.
PURE_PACKAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "numpy": (("1.26.4", "2.2.6", "2.3.2|>=3.11"), ()),
    "scipy": (("1.15.3", "1.16.1|>=3.11"), ("numpy>=1.25.2",)),
    "ml-dtypes": (("0.5.1", "0.5.3"), ("numpy>=1.21",)),
    "opt-einsum": (("3.4.0",), ()),
    "tqdm": (("4.67.1",), ()),
    "multipledispatch": (("1.0.0",), ()),
    "numpyro": (("0.18.0", "0.19.0"), ("jax>=0.4.25", "multipledispatch", "numpy", "tqdm")),
    # test
    "iniconfig": (("2.1.0",), ()),
    "pluggy": (("1.6.0",), ()),
    "packaging": (("25.0",), ()),
    "pytest": (("8.3.5", "8.4.1"), ("iniconfig>=1", "packaging", "pluggy>=1.5,<2")),
    "execnet": (("2.1.1",), ()),
    "pytest-xdist": (("3.6.1", "3.8.0"), ("execnet>=2.1", "pytest>=7.0.0")),
    # cloud
    "jmespath": (("1.0.1",), ()),
    "botocore": (("1.39.17", "1.40.0"), ("jmespath>=0.7.1,<2.0.0",)),
    "s3transfer": (("0.13.1",), ("botocore>=1.37.4,<2.0a0",)),
    "boto3": (("1.39.17", "1.40.0"), ("jmespath>=0.7.1,<2.0.0", "s3transfer>=0.13.0,<0.14.0")),
    "cloudpickle": (("3.1.1",), ()),
    "dask": (("2025.5.1", "2025.7.0"), ("cloudpickle>=3.0.0",)),
    "distributed": (("2025.5.1", "2025.7.0"), ("cloudpickle>=3.0.0",)),
    "pynvml": (("12.0.0",), ("nvidia-ml-py>=12.0.0,<13.0.0a0",)),
    "nvidia-ml-py": (("12.575.51",), ()),
    "networkx": (("3.4.2", "3.5|>=3.11"), ()),
    # dev
    "ipython": (("8.37.0", "9.4.0|>=3.11"), ()),
    "ruff": (("0.12.7", "0.12.8"), ()),
    # cloud_dev
    "pyyaml": (("6.0.2",), ()),
    "moto": (("5.1.8", "5.1.9"), ("boto3>=1.9.201", "botocore>=1.14.0")),
}
PURE_EXTRAS: dict[str, dict[str, tuple[str, ...]]] = {
    "dask": {"distributed": ("distributed=={version}",)},
    "moto": {"s3": ("pyyaml>=5.1",)},
}

# torch_like -------------------------------------------------------------------------------
TORCH_VERSIONS = ("2.8.0", "2.9.0", "2.9.1")
TORCH_LATEST = TORCH_VERSIONS[-1]
TORCH_CPU_INDEX = "torch-cpu"
TORCH_CU130_INDEX = "torch-cu130"
TORCH_LINUX_X86 = "py3-none-manylinux_2_28_x86_64"
TORCH_LINUX_ARM = "py3-none-manylinux_2_28_aarch64"
TORCH_DEPS = ("filelock", "typing-extensions>=4.10.0", "sympy>=1.13.3", "fsspec")
TORCH_CU130_DEPS = (
    'nvidia-cuda-runtime==13.0.96 ; platform_system == "Linux"',
    'nvidia-cublas==13.1.0.3 ; platform_system == "Linux"',
    'triton==3.5.0 ; platform_system == "Linux"',
)
TORCH_PURE = {
    "filelock": ("3.18.0",),
    "typing-extensions": ("4.14.1",),
    "mpmath": ("1.3.0",),
    "fsspec": ("2025.7.0",),
}

# jax_findlinks ----------------------------------------------------------------------------
JAX_RELEASES_INDEX = "jax-releases"
OLD_JAX_VERSIONS = ("0.4.30", "0.4.31")
OLD_JAX_CUDA = "cuda12"


def _pure(version_spec: str) -> tuple[str, str]:
    version, _, requires_python = version_spec.partition("|")
    return version, requires_python or REQUIRES_PYTHON


def publish(
    root: Path,
    index: str,
    name: str,
    version: str,
    *,
    tags: Iterable[str] = ANY,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = REQUIRES_PYTHON,
    extras: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """Build one wheel into `<root>/<index>/<project>/` unless that exact file is there."""
    tag_list = tuple(tags)
    directory = root / index / normalize_name(name)
    existing = directory / wheel_filename(name, version, tag_list)
    if existing.exists():
        return existing
    return build_wheel(
        directory,
        name,
        version,
        tags=tag_list,
        requires_dist=requires_dist,
        requires_python=requires_python,
        extras=extras,
    )


def add_release(
    root: Path,
    index: str,
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    yanked: str | bool | None = None,
    deps: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
    tags: Iterable[str] = ANY,
    sdist: bool = False,
    wheel: bool = True,
    upload_time: str | None = None,
) -> list[Path]:
    """Publish a crafted release (any version string, pre-releases included) and return its files.

    `yanked` (a reason, or True) and `upload_time` (ISO 8601) go to sidecars the server reads;
    `requires_python` goes into the metadata, from which the server advertises it.
    """
    directory = root / index / normalize_name(name)
    files: list[Path] = []
    if wheel:
        files.append(
            build_wheel(
                directory,
                name,
                version,
                tags=tags,
                requires_dist=deps,
                requires_python=requires_python,
                extras=extras,
            )
        )
    if sdist:
        files.append(
            build_sdist(
                directory,
                name,
                version,
                requires_dist=deps,
                requires_python=requires_python,
                extras=extras,
            )
        )
    for path in files:
        sidecar: dict[str, object] = {}
        if yanked is not None and yanked is not False:
            sidecar["yanked"] = yanked
        if upload_time is not None:
            sidecar["upload_time"] = upload_time
        _write_sidecar(path, sidecar)
    return files


def yank(root: Path, index: str, name: str, version: str, reason: str | bool = True) -> None:
    """Mark every file of a published release as yanked (PEP 592), e.g. while a server runs."""
    directory = root / index / normalize_name(name)
    prefixes = (
        wheel_filename(name, version).rsplit("-", 3)[0] + "-",
        sdist_filename(name, version),
    )
    matched = False
    for path in directory.iterdir():
        if path.name.endswith(".meta.json") or not path.name.startswith(prefixes):
            continue
        sidecar_path = path.with_name(path.name + ".meta.json")
        sidecar = json.loads(sidecar_path.read_text()) if sidecar_path.exists() else {}
        sidecar["yanked"] = reason
        _write_sidecar(path, sidecar)
        matched = True
    if not matched:
        raise FileNotFoundError(f"{name} {version} is not published in {directory}")


def _write_sidecar(path: Path, sidecar: Mapping[str, object]) -> None:
    sidecar_path = path.with_name(path.name + ".meta.json")
    if sidecar:
        sidecar_path.write_text(json.dumps(dict(sidecar), sort_keys=True))
    elif sidecar_path.exists():
        sidecar_path.unlink()


def _nvidia(root: Path, libraries: Mapping[str, tuple[str, ...]]) -> None:
    for name, versions in libraries.items():
        for version in versions:
            for tags in CUDA_PLUGIN_TAGS:
                publish(root, PYPI, name, version, tags=tags, requires_python=">=3")


def _with_cuda(libraries: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Floors at the oldest published version, like JAX's `with-cuda` extras."""
    return tuple(f"{name}>={versions[0]}" for name, versions in libraries.items())


def pure_packages(root: Path) -> None:
    """The stand-ins for numpy, scipy, pytest, boto3 and friends on the "pypi" index."""
    for name, (versions, requirements) in PURE_PACKAGES.items():
        for spec in versions:
            version, requires_python = _pure(spec)
            extras = {
                extra: [r.format(version=version) for r in reqs]
                for extra, reqs in PURE_EXTRAS.get(name, {}).items()
            }
            publish(
                root,
                PYPI,
                name,
                version,
                requires_dist=requirements,
                requires_python=requires_python,
                extras=extras or None,
            )


def jax_like(root: Path) -> None:
    """Modern JAX on one index ("pypi"): CUDA builds come from jax's own extras.

    `jax[cudaNN]` pulls `jax-cudaNN-plugin[with-cuda]` (Linux only), which pulls
    `jax-cudaNN-pjrt` of the same version and, through `with-cuda`, the `nvidia-*` libraries.
    jaxlib has wheels for manylinux x86_64 and aarch64, macOS arm64 and Windows.
    """
    pure_packages(root)
    _nvidia(root, NVIDIA_CU12)
    _nvidia(root, NVIDIA_CU13)
    for version in JAX_VERSIONS:
        exact = f"<={version},>={version}"
        publish(
            root,
            PYPI,
            "jax",
            version,
            requires_dist=(
                f"jaxlib{exact}",
                "ml-dtypes>=0.5.0",
                "numpy>=1.26",
                "opt-einsum",
                "scipy>=1.12",
            ),
            extras={
                "cpu": [f"jaxlib{exact}"],
                **{
                    f"cuda{major}": [
                        f"jaxlib{exact}",
                        f"jax-cuda{major}-plugin[with-cuda]{exact} ; sys_platform == 'linux'",
                    ]
                    for major in (12, 13)
                },
            },
        )
        for tags in JAXLIB_TAGS:
            publish(
                root,
                PYPI,
                "jaxlib",
                version,
                tags=tags,
                requires_dist=("ml-dtypes>=0.5.0", "numpy>=1.26", "scipy>=1.12"),
            )
        for major, libraries in ((12, NVIDIA_CU12), (13, NVIDIA_CU13)):
            for tags in CUDA_PLUGIN_TAGS:
                publish(root, PYPI, f"jax-cuda{major}-pjrt", version, tags=tags)
                publish(
                    root,
                    PYPI,
                    f"jax-cuda{major}-plugin",
                    version,
                    tags=tags,
                    requires_dist=(f"jax-cuda{major}-pjrt=={version}",),
                    extras={"with-cuda": _with_cuda(libraries)},
                )


def torch_like(root: Path) -> None:
    """PyTorch's layout: `torch==X+cpu` on "torch-cpu", `torch==X+cu130` on "torch-cu130".

    The CUDA build has Linux x86_64 wheels only and pins `nvidia-*` wheels and `triton`, which,
    like torch's other dependencies, come from "pypi". "pypi" also has a plain `torch==X`, so a
    lock that takes torch from the wrong index shows.
    """
    for name, versions in TORCH_PURE.items():
        for version in versions:
            publish(root, PYPI, name, version, requires_python=">=3.9")
    publish(root, PYPI, "sympy", "1.14.0", requires_dist=("mpmath>=1.1.0,<1.4",))
    _nvidia(root, NVIDIA_CU13)
    for tags in ((LINUX_X86,), (LINUX_ARM,)):
        publish(root, PYPI, "triton", "3.5.0", tags=tags)
    for version in TORCH_VERSIONS:
        for tags in ((TORCH_LINUX_X86,), (TORCH_LINUX_ARM,), (MAC_ARM,), (WIN_AMD64,)):
            publish(root, PYPI, "torch", version, tags=tags, requires_dist=TORCH_DEPS)
            publish(
                root,
                TORCH_CPU_INDEX,
                "torch",
                f"{version}+cpu",
                tags=tags,
                requires_dist=TORCH_DEPS,
            )
        publish(
            root,
            TORCH_CU130_INDEX,
            "torch",
            f"{version}+cu130",
            tags=(TORCH_LINUX_X86,),
            requires_dist=TORCH_DEPS + TORCH_CU130_DEPS,
        )


def jax_findlinks(root: Path) -> None:
    """The old JAX way: `jaxlib==X+cuda12` Linux wheels on one find-links page.

    "jax-releases" holds the CUDA builds (served as `/jax-releases/links.html`); "pypi" holds
    `jax==X` and the plain `jaxlib==X` (macOS arm64 and Linux CPU wheels).
    """
    pure_packages(root)
    for version in OLD_JAX_VERSIONS:
        publish(
            root,
            PYPI,
            "jax",
            version,
            requires_dist=(
                f"jaxlib>=0.4.27,<={version}",
                "ml-dtypes>=0.2.0",
                "numpy>=1.26",
                "opt-einsum",
                "scipy>=1.10",
            ),
        )
        deps = ("ml-dtypes>=0.2.0", "numpy>=1.26", "scipy>=1.10")
        for tags in ((LINUX_X86,), (MAC_ARM,)):
            publish(root, PYPI, "jaxlib", version, tags=tags, requires_dist=deps)
        publish(
            root,
            JAX_RELEASES_INDEX,
            "jaxlib",
            f"{version}+{OLD_JAX_CUDA}",
            tags=("py3-none-manylinux2014_x86_64",),
            requires_dist=deps,
        )


# tagged: name -> (version, files); a file is a tag string, or "sdist".
TAGGED: dict[str, tuple[str, tuple[str, ...]]] = {
    "native-lib": (
        "1.0",
        tuple(
            f"cp{minor}-cp{minor}-{platform}"
            for minor in (311, 312)
            for platform in (
                "manylinux_2_28_x86_64",
                "manylinux_2_28_aarch64",
                "macosx_11_0_arm64",
                "win_amd64",
            )
        ),
    ),
    "pure-lib": ("1.0", ("py3-none-any",)),
    "abi3-lib": (
        "1.0",
        ("cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64", "cp39-abi3-macosx_11_0_arm64"),
    ),
    "sdist-only": ("1.0", ("sdist",)),
    "no-mac-arm": (
        "1.0",
        ("py3-none-manylinux_2_17_x86_64", "py3-none-macosx_10_9_x86_64", "py3-none-win_amd64"),
    ),
    "cuda-plugin": ("1.0", ("py3-none-manylinux_2_28_x86_64",)),
    "new-glibc": ("1.0", ("py3-none-manylinux_2_34_x86_64", "py3-none-macosx_11_0_arm64")),
    "new-macos": ("1.0", ("py3-none-macosx_15_0_arm64", "py3-none-manylinux_2_17_x86_64")),
    "musl-only": ("1.0", ("py3-none-musllinux_1_2_x86_64",)),
}
TAGGED_REQUIRES_PYTHON = {"native-lib": ">=3.11,<3.13"}
TAGGED_DEPS = {"sdist-only": ("pure-lib>=1.0",)}


def tagged(root: Path) -> None:
    """Packages whose files differ only in tags, for checking a lock against target platforms.

    On "pypi": cp311/cp312-only native wheels for four platforms (`native-lib`), pure
    (`pure-lib`), abi3 (`abi3-lib`), sdist only (`sdist-only`, depends on `pure-lib`), no macOS
    arm64 wheel (`no-mac-arm`), a Linux-only CUDA plugin (`cuda-plugin`), wheels needing glibc
    2.34 (`new-glibc`) or macOS 15 (`new-macos`), and musllinux only (`musl-only`).
    """
    for name, (version, files) in TAGGED.items():
        requires_python = TAGGED_REQUIRES_PYTHON.get(name, REQUIRES_PYTHON)
        deps = TAGGED_DEPS.get(name, ())
        directory = root / PYPI / normalize_name(name)
        for file in files:
            if file == "sdist":
                if not (directory / sdist_filename(name, version)).exists():
                    build_sdist(
                        directory,
                        name,
                        version,
                        requires_dist=deps,
                        requires_python=requires_python,
                    )
            else:
                publish(
                    root,
                    PYPI,
                    name,
                    version,
                    tags=(file,),
                    requires_dist=deps,
                    requires_python=requires_python,
                )


# jax_2026 ---------------------------------------------------------------------------------
# JAX's CUDA 13 extra as the real index has it: from jax 0.7.2, which needs Python >= 3.11.
# The examples' floors follow the real index, so they lock against this index: a copy of
# "pypi" plus that release (jax_like's older releases stay as they are for the other tests).
JAX_2026_INDEX = "pypi-2026"
JAX_CUDA13_FIRST = "0.7.2"
JAX_CUDA13_PYTHON = ">=3.11"


def jax_2026(root: Path) -> None:
    import shutil

    jax_like(root)
    target = root / JAX_2026_INDEX
    if not target.exists():
        shutil.copytree(root / PYPI, target)
    version, exact = JAX_CUDA13_FIRST, f"=={JAX_CUDA13_FIRST}"
    publish(
        root,
        JAX_2026_INDEX,
        "jax",
        version,
        requires_dist=(f"jaxlib{exact}", "ml-dtypes>=0.5.0", "numpy>=1.26", "opt-einsum"),
        requires_python=JAX_CUDA13_PYTHON,
        extras={
            "cpu": [f"jaxlib{exact}"],
            **{
                f"cuda{major}": [
                    f"jaxlib{exact}",
                    f"jax-cuda{major}-plugin[with-cuda]{exact} ; sys_platform == 'linux'",
                ]
                for major in (12, 13)
            },
        },
    )
    for tags in JAXLIB_TAGS:
        publish(
            root,
            JAX_2026_INDEX,
            "jaxlib",
            version,
            tags=tags,
            requires_dist=("ml-dtypes>=0.5.0", "numpy>=1.26", "scipy>=1.12"),
            requires_python=JAX_CUDA13_PYTHON,
        )
    for major, libraries in ((12, NVIDIA_CU12), (13, NVIDIA_CU13)):
        for tags in CUDA_PLUGIN_TAGS:
            publish(
                root,
                JAX_2026_INDEX,
                f"jax-cuda{major}-pjrt",
                version,
                tags=tags,
                requires_python=JAX_CUDA13_PYTHON,
            )
            publish(
                root,
                JAX_2026_INDEX,
                f"jax-cuda{major}-plugin",
                version,
                tags=tags,
                requires_dist=(f"jax-cuda{major}-pjrt=={version}",),
                requires_python=JAX_CUDA13_PYTHON,
                extras={"with-cuda": _with_cuda(libraries)},
            )


LAYOUTS = ("jax_like", "torch_like", "jax_findlinks", "tagged", "jax_2026")


def build(root: Path, *names: str) -> Path:
    """Build the named layouts (default: all of `LAYOUTS`) into `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names or LAYOUTS:
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r}; known: {', '.join(LAYOUTS)}")
        globals()[name](root)
    return root
