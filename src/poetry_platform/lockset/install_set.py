"""The exact locked set an install takes: lock markers, extras and groups.

The same rule as Poetry's own installer with `installer.re-resolve = false` (its default):
a locked package is installed when it belongs to one of the requested groups and the union
of its per-group lock markers holds in the machine's marker environment, with `extra` set
to the requested extras (`Transaction.calculate_operations`). The markers are evaluated
for the *target's* environment, built by `marker_environment`, so any machine can be
judged from any other. Pure: the caller hands in the packages Poetry read from the lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

from poetry_platform.lockset.tags import machine_for

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Mapping

    from poetry.core.packages.package import Package
    from poetry.packages.transitive_package_info import TransitivePackageInfo


_PLATFORM_SYSTEM = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}
_OS_NAME = {"win32": "nt"}
_IMPLEMENTATION = {"cp": ("cpython", "CPython"), "pp": ("pypy", "PyPy")}


def marker_environment(
    sys_platform: str,
    platform_machine: str,
    python_full_version: str,
    implementation: str = "cp",
) -> dict[str, Any]:
    """A PEP 508 environment for a machine we are not on (`sys_platform` and `implementation`
    as config.py admits them), the values Poetry's own environment reports there.

    Keys whose value cannot be known from the target's description (`platform_release`,
    `platform_version`, and PyPy's own `implementation_version`, 7.3.x, not the Python
    version) are left out: Poetry's markers treat a missing key as satisfied, so a marker
    on them never hides a package from the check.
    """
    python_version = ".".join(python_full_version.split(".")[:2])
    impl_name, impl_pretty = _IMPLEMENTATION[implementation]
    env = {
        "implementation_name": impl_name,
        "os_name": _OS_NAME.get(sys_platform, "posix"),
        "platform_machine": machine_for(sys_platform, platform_machine),
        "platform_system": _PLATFORM_SYSTEM[sys_platform],
        "python_full_version": python_full_version,
        "platform_python_implementation": impl_pretty,
        "python_version": python_version,
        "sys_platform": sys_platform,
        "interpreter_name": implementation,
        "interpreter_version": python_version.replace(".", ""),
    }
    if implementation == "cp":
        env["implementation_version"] = python_full_version
    return env


def with_python(marker_env: Mapping[str, Any], python: str) -> dict[str, Any]:
    """`marker_env` on another CPython `3.X` of the same machine (its `.0` release): to ask
    what the lock installs there."""
    env = dict(marker_env)
    full = f"{python}.0"
    env.update(
        python_version=python, python_full_version=full, interpreter_version=python.replace(".", "")
    )
    if env.get("implementation_name") == "cpython":
        env["implementation_version"] = full
    return env


def select_locked(
    locked: Mapping[Package, TransitivePackageInfo],
    marker_env: Mapping[str, Any],
    groups: Collection[str],
    extras: Collection[str],
) -> list[Package]:
    """The locked packages an install takes, by Poetry's rule (see the module docstring)."""
    wanted_groups = {canonicalize_name(g) for g in groups}
    env = dict(marker_env)
    env["extra"] = {canonicalize_name(e) for e in extras}
    return [
        package
        for package, info in locked.items()
        if info.groups & wanted_groups and info.get_marker(wanted_groups).validate(env)
    ]
