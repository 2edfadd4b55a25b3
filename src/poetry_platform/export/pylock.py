"""An `ExportSet` as a PEP 751 `pylock.toml`: one target, only the files it can install.

What is written, and why:

- `lock-version = "1.0"`, `created-by`, the project's `requires-python`, and `environments`:
  one marker per (target, Python) plan, so an installer refuses the file on another OS, CPU
  or Python instead of installing the wrong build there.
- one `[[packages]]` entry per package with `name`, `version`, and for index packages
  `index` (the source's URL) and its `wheels` (URL and hashes; only those the target's tags
  accept, best first) or its `sdist` when no wheel fits (the one Poetry would build);
  direct URL or file origins as `archive`. A package selected by only some of the target's
  Pythons gets a `marker` naming them. No dependency graph: the set is already resolved.
- the project itself, with `--with-root`, as an editable `directory` entry.
- `[tool.poetry-platform]`: the target, variant, extras and groups the set was made for.

Written by the one PEP 751 writer (`pep751.py`), as the uv installer's lock for uv is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from poetry_platform import pep751

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Sequence

    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.export.fileset import ExportFile
    from poetry_platform.export.fileset import ExportPackage
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.export.urls import FileUrls


@dataclass(frozen=True)
class Root:
    """The project itself: its normalized name and its directory relative to the output."""

    name: str
    path: str


def environment_marker(plan: TargetPlan) -> str:
    """The PEP 508 marker that holds exactly on the plan's OS, CPU, interpreter and Python."""
    env = plan.marker_env
    return (
        f"sys_platform == '{env['sys_platform']}' "
        f"and platform_machine == '{env['platform_machine']}' "
        f"and implementation_name == '{env['implementation_name']}' "
        f"and python_version == '{env['python_version']}'"
    )


def python_marker(pythons: Iterable[str]) -> str:
    return " or ".join(f"python_version == '{p}'" for p in pythons)


def render(
    export: ExportSet,
    urls: FileUrls,
    *,
    requires_python: str | None,
    indexes: dict[str | None, str],
    root: Root | None = None,
    path_for: Callable[[str], str] = str,
) -> str:
    """The pylock.toml text. `indexes` maps a package's source name to its index URL;
    `path_for` turns a file dependency's path (as in pyproject) into one relative to the
    output's directory, as PEP 751 wants."""
    packages = [_package(export, package, urls, indexes, path_for) for package in export.packages]
    if root is not None:
        packages.append(pep751.Package(root.name, directory=root.path))
    plan = export.plans[0]
    tool: list[tuple[str, str | Sequence[str]]] = [("target", export.name)]
    if plan.variant:
        tool.append(("variant", plan.variant))
    tool += [("extras", plan.extras), ("groups", plan.groups), ("pythons", export.pythons)]
    return pep751.document(
        packages,
        environments=[environment_marker(p) for p in export.plans],
        requires_python=requires_python,
        tool=tool,
    )


def _package(
    export: ExportSet,
    package: ExportPackage,
    urls: FileUrls,
    indexes: dict[str | None, str],
    path_for: Callable[[str], str],
) -> pep751.Package:
    pythons = export.conditional(package)
    marker = python_marker(pythons) if pythons else None
    if package.kind in ("url", "file"):
        (archive,) = package.files
        where = package.location or ""
        if package.kind == "url":
            place = pep751.File(archive.hashes, url=where)
        else:
            place = pep751.File(archive.hashes, path=path_for(where))
        return pep751.Package(package.name, package.version, marker, archive=place)
    links = urls.get(package.key, {})
    sdists = [_file(f, links) for f in package.files if not f.is_wheel]
    return pep751.Package(
        package.name,
        package.version,
        marker,
        index=indexes.get(package.source),
        sdist=sdists[0] if sdists else None,
        wheels=tuple(_file(f, links) for f in package.files if f.is_wheel),
    )


def _file(file: ExportFile, links: dict[str, str]) -> pep751.File:
    return pep751.File(file.hashes, name=file.name, url=links.get(file.name, ""))
