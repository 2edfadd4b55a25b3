"""poetry.lock's bytes as plain `[[package]]` tables, parsed once per bytes: the locked
versions and sources by name, and the versions a marker can reach.

For code that holds a lock as bytes rather than as Poetry's `Locker` (platform-up compares
the lock it read with the one it wrote, and reads a draft that is not on disk). `lock.py`
answers the same questions for the project's lock through Poetry.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poetry.core.version.markers import BaseMarker


@functools.lru_cache(maxsize=2)  # read by check_lock, locked_versions, ...: parse once
def read_tables(lock_bytes: bytes | None) -> tuple[list[dict[str, object]], str | None]:
    """The lock's `[[package]]` tables, and why it cannot be read (None: it can)."""
    if not lock_bytes:
        return [], None
    from poetry_platform.poetry_api import toml_loads

    try:
        data = toml_loads(lock_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        return [], "it is not UTF-8 text"
    except ValueError as e:
        return [], str(e)
    packages = data.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        return [], "its [[package]] entries are not tables"
    return packages, None


def _lock_packages(lock_bytes: bytes | None) -> list[dict[str, object]]:
    return read_tables(lock_bytes)[0]


def locked_versions(lock_bytes: bytes | None) -> dict[str, tuple[str, ...]]:
    from packaging.utils import canonicalize_name

    out: dict[str, list[str]] = {}
    for p in _lock_packages(lock_bytes):
        out.setdefault(canonicalize_name(str(p.get("name"))), []).append(str(p.get("version")))
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


# The name of Poetry's built-in default index (`PyPiRepository`): poetry.lock records no
# `[package.source]` for what it locked from there, and only for that.
DEFAULT_INDEX = "PyPI"


def locked_origins(lock_bytes: bytes | None) -> dict[str, dict[str, str]]:
    """name -> source -> version, for the packages poetry.lock records from an index: a named
    source, or (no `[package.source]` at all) Poetry's default index, `DEFAULT_INDEX`. A
    path, directory, URL or git entry names its own kind of source and is left out."""
    from packaging.utils import canonicalize_name

    out: dict[str, dict[str, str]] = {}
    for p in _lock_packages(lock_bytes):
        source = p.get("source")
        if source is None:
            origin = DEFAULT_INDEX
        elif isinstance(source, dict) and source.get("type") == "legacy":
            origin = str(source.get("reference"))
        else:
            continue
        out.setdefault(canonicalize_name(str(p.get("name"))), {})[origin] = str(p.get("version"))
    return out


def locked_sources(lock_bytes: bytes | None) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    out: dict[str, str] = {}
    for p in _lock_packages(lock_bytes):
        source = p.get("source")
        if isinstance(source, dict) and source.get("type") == "legacy":
            out[canonicalize_name(str(p.get("name")))] = str(source.get("reference"))
    return out


def versions_where(
    lock_bytes: bytes | None, name: str, group: str, marker: BaseMarker
) -> tuple[str, ...]:
    """The locked versions of `name` whose markers (in `group`, on a lock 2.1) can hold
    where `marker` does."""
    from packaging.utils import canonicalize_name
    from poetry.core.version.markers import parse_marker

    out: set[str] = set()
    for p in _lock_packages(lock_bytes):
        if canonicalize_name(str(p.get("name"))) != name:
            continue
        markers = p.get("markers")
        if isinstance(markers, dict):  # lock 2.1: per group
            markers = markers.get(group) or " or ".join(f"({m})" for m in markers.values())
        if markers and marker.intersect(parse_marker(str(markers))).is_empty():
            continue
        out.add(str(p.get("version")))
    return tuple(sorted(out))
