"""The wheels and sdists of the test indexes are valid, reproducible and installable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from typing import TYPE_CHECKING

import pytest
from installer.sources import WheelFile
from packaging.metadata import Metadata

from tests.support.wheels import build_sdist
from tests.support.wheels import build_wheel
from tests.support.wheels import compress_tags
from tests.support.wheels import expand_tags
from tests.support.wheels import requirement_with_extra
from tests.support.wheels import wheel_filename

if TYPE_CHECKING:
    from pathlib import Path

EXTRAS = {
    "cuda13": ["jax-cuda13-plugin[with-cuda]==0.6.2 ; sys_platform == 'linux'"],
    "plot": ["matplotlib ; python_version < '3.12' or os_name == 'nt'"],
}


def test_file_names_normalize_the_name_and_compress_tags() -> None:
    assert (
        wheel_filename("Torch", "2.9.0+cpu", ["cp312-cp312-manylinux_2_28_x86_64"])
        == "torch-2.9.0+cpu-cp312-cp312-manylinux_2_28_x86_64.whl"
    )
    assert wheel_filename("ml.dtypes", "0.5.1") == "ml_dtypes-0.5.1-py3-none-any.whl"
    tags = ["cp39-abi3-manylinux_2_17_x86_64", "cp39-abi3-manylinux2014_x86_64"]
    assert compress_tags(tags) == "cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"
    assert expand_tags(["py2.py3-none-any"]) == ["py2-none-any", "py3-none-any"]


def test_extras_guard_requirements_the_way_core_metadata_does() -> None:
    assert requirement_with_extra("a==1 ; sys_platform == 'linux'", "cuda13") == (
        'a==1; sys_platform == "linux" and extra == "cuda13"'
    )
    assert requirement_with_extra("b ; os_name == 'nt' or python_version < '3.12'", "x") == (
        'b; (os_name == "nt" or python_version < "3.12") and extra == "x"'
    )
    assert requirement_with_extra("c[d]>=2", "e") == 'c[d]>=2; extra == "e"'


def test_wheel_metadata_is_valid_and_record_matches(tmp_path: Path) -> None:
    path = build_wheel(
        tmp_path,
        "Jax_Cuda13.Plugin",
        "0.6.2",
        tags=["py3-none-manylinux_2_27_x86_64"],
        requires_dist=["jax-cuda13-pjrt==0.6.2"],
        requires_python=">=3.10",
        extras=EXTRAS,
    )

    assert path.name == "jax_cuda13_plugin-0.6.2-py3-none-manylinux_2_27_x86_64.whl"
    with WheelFile.open(path) as wheel:
        wheel.validate_record(validate_contents=True)
        assert wheel.dist_info_dir == "jax_cuda13_plugin-0.6.2.dist-info"
        metadata = Metadata.from_email(wheel.read_dist_info("METADATA"), validate=True)
        wheel_info = wheel.read_dist_info("WHEEL")
    assert str(metadata.version) == "0.6.2"
    assert str(metadata.requires_python) == ">=3.10"
    assert [str(r) for r in metadata.requires_dist or []] == [
        "jax-cuda13-pjrt==0.6.2",
        'jax-cuda13-plugin[with-cuda]==0.6.2; sys_platform == "linux" and extra == "cuda13"',
        'matplotlib; (python_version < "3.12" or os_name == "nt") and extra == "plot"',
    ]
    assert metadata.provides_extra == ["cuda13", "plot"]
    assert "Root-Is-Purelib: false\nTag: py3-none-manylinux_2_27_x86_64\n" in wheel_info


def test_builds_are_reproducible(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "pkg", "1.0", extras=EXTRAS)
    second = build_wheel(tmp_path / "b", "pkg", "1.0", extras=EXTRAS)
    sdist_a = build_sdist(tmp_path / "a", "pkg", "1.0", requires_dist=["x>1"])
    sdist_b = build_sdist(tmp_path / "b", "pkg", "1.0", requires_dist=["x>1"])

    assert first.read_bytes() == second.read_bytes()
    assert sdist_a.read_bytes() == sdist_b.read_bytes()


def test_sdist_carries_static_metadata(tmp_path: Path) -> None:
    path = build_sdist(
        tmp_path, "Sdist.Only", "1.0", requires_dist=["pure-lib>=1.0"], requires_python=">=3.10"
    )

    assert path.name == "sdist_only-1.0.tar.gz"
    with tarfile.open(path) as archive:
        names = archive.getnames()
        pkg_info = archive.extractfile("sdist_only-1.0/PKG-INFO")
        assert pkg_info is not None
        metadata = Metadata.from_email(pkg_info.read(), validate=True)
    assert "sdist_only-1.0/pyproject.toml" in names
    assert metadata.metadata_version == "2.2"
    assert metadata.dynamic is None
    assert [str(r) for r in metadata.requires_dist or []] == ["pure-lib>=1.0"]


def test_custom_modules_replace_the_default_package(tmp_path: Path) -> None:
    path = build_wheel(tmp_path, "pkg", "1.0", modules={"pkg_mod.py": "X = 1\n"})

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        record = archive.read("pkg-1.0.dist-info/RECORD").decode()
    assert "pkg_mod.py" in names
    assert "pkg/__init__.py" not in names
    assert record.startswith("pkg_mod.py,sha256=")


def _installed_version(target: Path, module: str) -> str:
    code = f"import sys; sys.path.insert(0, {str(target)!r}); import {module} as m"
    code += "; print(m.__version__)"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
def test_pip_installs_a_local_version_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist", "Torch", "2.9.0+cpu", requires_python=">=3.10")
    target = tmp_path / "target"

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "-q",
         "--target", str(target), str(wheel)],
        check=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )  # fmt: skip

    assert _installed_version(target, "torch") == "2.9.0+cpu"
    assert (target / "torch-2.9.0+cpu.dist-info" / "RECORD").is_file()


def _uv() -> str | None:
    try:
        from uv import find_uv_bin
    except ImportError:
        return shutil.which("uv")
    return str(find_uv_bin())


@pytest.mark.slow
@pytest.mark.skipif(_uv() is None, reason="uv is not installed (optional extra)")
def test_uv_installs_the_wheels(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build_wheel(dist, "ml-dtypes", "0.5.1", extras=EXTRAS)
    target = tmp_path / "target"

    subprocess.run(
        [str(_uv()), "pip", "install", "--no-index", "--find-links", str(dist), "--target",
         str(target), "--python", sys.executable, "--no-config", "--quiet", "ml-dtypes==0.5.1"],
        check=True,
        env={**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache")},
    )  # fmt: skip

    assert _installed_version(target, "ml_dtypes") == "0.5.1"
