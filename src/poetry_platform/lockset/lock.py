"""poetry.lock, read once: Poetry's freshness and format verdicts and its locked packages.

Every later question (which set a target installs, which file, what a variant delivers) is
answered from the `LockState` this returns, never by reading the lock again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from packaging.utils import canonicalize_name

from poetry_platform import poetry_api
from poetry_platform.lockset.files import BinaryPolicy
from poetry_platform.lockset.problems import ExtraNotLocked
from poetry_platform.lockset.problems import LockUnfit
from poetry_platform.lockset.problems import Problem

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping

    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package
    from poetry.packages.locker import Locker
    from poetry.packages.transitive_package_info import TransitivePackageInfo
    from poetry.poetry import Poetry


@dataclass(frozen=True)
class Relations:
    """What the lock records a package needs, by name: its dependencies and, per extra, the
    packages the extra adds (`[package.dependencies]`, `[package.extras]`).

    `Locker.locked_packages()` leaves both out (installs do not need them); the fidelity
    check does, to say who requires a forbidden package and whether a locked release has
    the extra a variant relies on.
    """

    # dependency name -> its version constraint as locked ("==0.7.2", "*")
    requires: Mapping[str, str] = field(default_factory=dict)
    extras: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LockState:
    """What is wrong with the lock as a whole, before any target is looked at."""

    problems: tuple[Problem, ...] = ()
    locked: Mapping[Package, TransitivePackageInfo] = field(default_factory=dict)
    extras: frozenset[str] = frozenset()
    # False when the packages could not be read: checking targets would only add noise.
    readable: bool = True
    # (normalized name, locked version) -> Relations, from the same parsed lock data.
    relations: Mapping[tuple[str, str], Relations] = field(default_factory=dict)

    def relations_of(self, package: Package) -> Relations:
        return self.relations.get((package.name, package.pretty_version), Relations())


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _constraint(value: Any) -> str:
    """A lock dependency's version constraint: a string, a table, or a list of tables (one
    per marker); for a list, the constraints joined with `||` (any of them may apply)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " || ".join(_constraint(v) for v in value) or "*"
    if hasattr(value, "get"):
        return str(value.get("version", "*"))
    return "*"


def read_relations(data: Mapping[str, Any]) -> dict[tuple[str, str], Relations]:
    """`Relations` for every `[[package]]` of already-parsed lock data."""
    out: dict[tuple[str, str], Relations] = {}
    for info in data.get("package", []):
        extras: dict[str, frozenset[str]] = {}
        for extra, requirements in (info.get("extras") or {}).items():
            names = {canonicalize_name(m.group(1)) for r in requirements if (m := _NAME.match(r))}
            extras[canonicalize_name(extra)] = frozenset(names)
        requires: dict[str, str] = {
            canonicalize_name(n): _constraint(c)
            for n, c in (info.get("dependencies") or {}).items()
        }
        out[(canonicalize_name(info["name"]), str(info["version"]))] = Relations(requires, extras)
    return out


def read_lock(poetry: Poetry) -> LockState:
    """Read the lock once, with Poetry's own freshness and format checks."""
    locker = poetry.locker
    if not locker.is_locked():
        return LockState(
            (Problem("no-lock", LockUnfit("no-lock")),),
            readable=False,
        )
    problems: list[Problem] = []
    try:
        data = locker.lock_data
        fault = shape_fault(data)
        if fault is not None:
            return _unreadable(fault)
        fresh = _is_fresh(locker, data)
        if not fresh:
            problems.append(Problem("stale-lock", LockUnfit("stale-lock")))
        if not locker.is_locked_groups_and_markers():
            version = data.get("metadata", {}).get("lock-version", "?")
            problems.append(Problem("old-lock", LockUnfit("old-lock", lock_version=str(version))))
            return LockState(tuple(problems), readable=False)
        extras = frozenset(canonicalize_name(e) for e in data.get("extras", {}))
        locked = locker.locked_packages()
        relations = read_relations(data)
    except Exception as e:  # the lock is outside input: any failure to read it is "unreadable"
        if isinstance(e, KeyError):
            first = f"no {e.args[0]!r} where Poetry's reader expects one" if e.args else "KeyError"
        else:
            first = str(e).splitlines()[0] if str(e).strip() else type(e).__name__
        return _unreadable(first)
    return LockState(tuple(problems), locked, extras, relations=relations)


def _unreadable(error: str) -> LockState:
    problem = Problem("unreadable-lock", LockUnfit("unreadable-lock", error=error))
    return LockState((problem,), readable=False)


def shape_fault(data: Any) -> str | None:
    """What in parsed lock data is not of the shape `poetry lock` writes (and Poetry's
    reader assumes: it fails on anything else with a bare `TypeError`), or None.

    The fault names the place: `package 2 (jaxlib): files must be a list of tables`.
    """
    if not isinstance(data, dict):
        return "not a table"
    if "package" not in data:
        return "no [[package]] entries (poetry lock writes `package = []` for none)"
    packages = data["package"]
    if not isinstance(packages, list):
        return "package must be an array of tables"
    for i, info in enumerate(packages):
        where = f"package {i + 1}"
        if not isinstance(info, dict):
            return f"{where} must be a table"
        for key in ("name", "version"):
            if not isinstance(info.get(key), str) or not info[key]:
                return f"{where}: {key} must be a non-empty string"
        where = f"{where} ({info['name']})"
        fault = _package_fault(info)
        if fault is not None:
            return f"{where}: {fault}"
    for key in ("extras", "metadata"):
        if not isinstance(data.get(key, {}), dict):
            return f"{key} must be a table"
    if not all(_strings(v) for v in data.get("extras", {}).values()):
        return "extras must list package names"
    metadata = data.get("metadata", {})
    for key in ("lock-version", "python-versions", "content-hash"):
        if not isinstance(metadata.get(key, ""), str):
            return f"metadata {key} must be a string"
    return None


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _package_fault(info: Mapping[str, Any]) -> str | None:
    for key in ("python-versions", "description"):
        if not isinstance(info.get(key, ""), str):
            return f"{key} must be a string"
    if not isinstance(info.get("optional", False), bool):
        return "optional must be true or false"
    if not _strings(info.get("groups", [])):
        return "groups must be a list of group names"
    markers = info.get("markers", "")
    if not isinstance(markers, str) and not (
        isinstance(markers, dict) and all(isinstance(m, str) for m in markers.values())
    ):
        return "markers must be a marker string or a table of them per group"
    files = info.get("files", [])
    if not isinstance(files, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("file"), str)
        and isinstance(f.get("hash", ""), str)
        for f in files
    ):
        return "files must be a list of tables with a file name and a hash"
    for key in ("dependencies", "extras", "source"):
        if not isinstance(info.get(key, {}), dict):
            return f"{key} must be a table"
    if not all(_strings(v) for v in info.get("extras", {}).values()):
        return "extras must list requirements"
    for name, spec in info.get("dependencies", {}).items():
        specs = spec if isinstance(spec, list) else [spec]
        if not all(isinstance(s, (str, dict)) for s in specs):
            return f"dependency {name} must be a constraint or a table"
    if not all(isinstance(v, (str, bool)) for v in info.get("source", {}).values()):
        return "source must be a table of strings"
    return None


def _is_fresh(locker: Locker, data: Mapping[str, Any]) -> bool:
    """Poetry's freshness verdict, without parsing the lock a second time when it is fresh.

    `Locker.is_fresh()` re-reads the whole lock for one hash (a tenth of a second on a big
    lock); when the hash Poetry computed for this pyproject matches, that is its answer too.
    Any other case (old lock formats included) goes to `is_fresh()` itself.
    """
    expected = poetry_api.locker_content_hash(locker)
    if expected is not None and data.get("metadata", {}).get("content-hash") == expected:
        return True
    return locker.is_fresh()


def root_requirements(poetry: Poetry, groups: Iterable[str]) -> list[Dependency]:
    package = poetry.package
    deps: list[Dependency] = []
    for group in groups:
        if package.has_dependency_group(group):
            deps.extend(package.dependency_group(group).dependencies)
    return deps


def extras_problems(
    extras: Iterable[str],
    lock_extras: Collection[str],
    by: Literal["install", "target", "variant"],
    variant: str | None = None,
) -> list[Problem]:
    """An extra the install asks for that the lock never recorded: Poetry would refuse it.
    `by`: who asks (`platform-install`, a target, or the target's `variant`)."""
    locked = tuple(sorted(lock_extras))
    return [
        Problem(
            "extra-not-locked",
            ExtraNotLocked(extra, locked, by, variant),
            needed=f"extra {extra}",
            have=", ".join(locked) or "none",
        )
        for extra in extras
        if canonicalize_name(extra) not in lock_extras
    ]


def binary_policy(poetry: Poetry) -> BinaryPolicy:
    from poetry.config.config import PackageFilterPolicy

    config = poetry.config
    return BinaryPolicy(
        PackageFilterPolicy(config.get("installer.no-binary", [])).packages,
        PackageFilterPolicy(config.get("installer.only-binary", [])).packages,
    )
