"""Tiny but real distribution files for the test indexes.

Every wheel built here installs with Poetry's installer, pip and uv: it has a RECORD with
sha256 digests and sizes, a normalized dist-info directory and core metadata 2.1. Builds are
byte-for-byte reproducible (fixed timestamps, sorted entries), so file hashes, and therefore
lock files, are stable from one test session to the next.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import Requirement

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping
    from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SDIST_MTIME = 315532800  # 1980-01-01, the oldest date a zip can hold: same as the wheels


def normalize_name(name: str) -> str:
    """PEP 503 form: the directory name of a project in an index root."""
    return re.sub(r"[-_.]+", "-", name).lower()


def filename_name(name: str) -> str:
    """The distribution name as wheel and sdist file names spell it."""
    return re.sub(r"[-_.]+", "_", name).lower()


def expand_tags(tags: Iterable[str]) -> list[str]:
    """Every single tag of possibly compressed tag sets (`py2.py3-none-any`), in order."""
    expanded: list[str] = []
    for tag in tags:
        interpreters, abis, platforms = tag.split("-")
        for interpreter in interpreters.split("."):
            for abi in abis.split("."):
                for platform in platforms.split("."):
                    single = f"{interpreter}-{abi}-{platform}"
                    if single not in expanded:
                        expanded.append(single)
    return expanded


def compress_tags(tags: Iterable[str]) -> str:
    """The tag part of a wheel file name: each component's values joined with dots."""
    parts: list[list[str]] = [[], [], []]
    for tag in expand_tags(tags):
        for values, value in zip(parts, tag.split("-"), strict=True):
            if value not in values:
                values.append(value)
    return "-".join(".".join(values) for values in parts)


def wheel_filename(name: str, version: str, tags: Iterable[str] = ("py3-none-any",)) -> str:
    return f"{filename_name(name)}-{version}-{compress_tags(tags)}.whl"


def sdist_filename(name: str, version: str) -> str:
    return f"{filename_name(name)}-{version}.tar.gz"


def requirement_with_extra(requirement: str, extra: str) -> str:
    """`req ; marker` guarded by `extra == "<extra>"`, the way core metadata spells extras."""
    parsed = Requirement(requirement)
    guard = f'extra == "{extra}"'
    if parsed.marker is None:
        parsed.marker = Marker(guard)
    else:
        marker = str(parsed.marker)
        marker = f"({marker})" if " or " in marker else marker
        parsed.marker = Marker(f"{marker} and {guard}")
    return str(parsed)


def core_metadata(
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Iterable[str]] | None = None,
    summary: str = "",
    metadata_version: str = "2.1",
) -> str:
    lines = [
        f"Metadata-Version: {metadata_version}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary or f'{name}, a stand-in for tests'}",
    ]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {Requirement(req)}" for req in requires_dist)
    for extra, requirements in (extras or {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines.extend(f"Requires-Dist: {requirement_with_extra(r, extra)}" for r in requirements)
    return "\n".join(lines) + "\n\n"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    tags: Iterable[str] = ("py3-none-any",),
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Iterable[str]] | None = None,
    summary: str = "",
    modules: Mapping[str, str] | None = None,
) -> Path:
    """Write a minimal installable wheel into `dest_dir` and return its path.

    `modules` maps paths inside the wheel to their text; by default the wheel holds one
    package, `<name_underscored>/__init__.py`, defining `__version__`.
    """
    tag_list = expand_tags(tags)
    purelib = tag_list == ["py3-none-any"] or all(t.endswith("-none-any") for t in tag_list)
    dist_info = f"{filename_name(name)}-{version}.dist-info"
    if modules is None:
        modules = {f"{filename_name(name)}/__init__.py": f'__version__ = "{version}"\n'}
    files: dict[str, bytes] = {path: text.encode() for path, text in sorted(modules.items())}
    files[f"{dist_info}/METADATA"] = core_metadata(
        name,
        version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        extras=extras,
        summary=summary,
    ).encode()
    wheel_lines = [
        "Wheel-Version: 1.0",
        "Generator: tests.support.wheels",
        f"Root-Is-Purelib: {'true' if purelib else 'false'}",
        *(f"Tag: {tag}" for tag in tag_list),
    ]
    files[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n\n").encode()
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / wheel_filename(name, version, tag_list)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            info = zipfile.ZipInfo(member, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path


def build_sdist(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """Write a valid sdist (PKG-INFO with static metadata 2.2, pyproject.toml) and return it.

    Metadata 2.2 without `Dynamic:` fields lets installers and lockers trust PKG-INFO instead
    of building the sdist; the pyproject names setuptools, so it is also buildable where
    setuptools can be fetched.
    """
    prefix = f"{filename_name(name)}-{version}"
    pkg_info = core_metadata(
        name,
        version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        extras=extras,
        metadata_version="2.2",
    )
    deps = ", ".join(f'"{Requirement(r)}"' for r in requires_dist)
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n'
    )
    if requires_python:
        pyproject += f'requires-python = "{requires_python}"\n'
    files = {
        f"{prefix}/PKG-INFO": pkg_info.encode(),
        f"{prefix}/pyproject.toml": pyproject.encode(),
        f"{prefix}/{filename_name(name)}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / sdist_filename(name, version)
    buffer = io.BytesIO()
    # gzip stamps the current time in its header unless told otherwise: keep hashes stable
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=_SDIST_MTIME) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mtime = _SDIST_MTIME
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return path
