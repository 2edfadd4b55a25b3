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

Rendered by hand (a few string joins per package, no TOML library): exporting six targets of
a 300-package lock stays far below a second. Strings are written as JSON strings, which are
valid TOML basic strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable

    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.export.fileset import ExportFile
    from poetry_platform.export.fileset import ExportPackage
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.export.urls import FileUrls

CREATED_BY = "poetry-platform"


@dataclass(frozen=True)
class Root:
    """The project itself: its normalized name and its directory relative to the output."""

    name: str
    path: str


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _array(items: Iterable[str]) -> str:
    return "[" + ", ".join(_s(i) for i in items) + "]"


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
    lines = ['lock-version = "1.0"']
    environments = ", ".join(_s(environment_marker(p)) for p in export.plans)
    lines.append(f"environments = [{environments}]")
    if requires_python:
        lines.append(f"requires-python = {_s(requires_python)}")
    lines.append(f"created-by = {_s(CREATED_BY)}")
    for package in export.packages:
        lines.append("")
        lines.extend(_package(export, package, urls, indexes, path_for))
    if root is not None:
        lines += [
            "",
            "[[packages]]",
            f"name = {_s(root.name)}",
            f"directory = {{ path = {_s(root.path)}, editable = true }}",
        ]
    lines += ["", "[tool.poetry-platform]", f"target = {_s(export.name)}"]
    plan = export.plans[0]
    if plan.variant:
        lines.append(f"variant = {_s(plan.variant)}")
    lines.append(f"extras = {_array(plan.extras)}")
    lines.append(f"groups = {_array(plan.groups)}")
    lines.append(f"pythons = {_array(export.pythons)}")
    return "\n".join(lines) + "\n"


def _package(
    export: ExportSet,
    package: ExportPackage,
    urls: FileUrls,
    indexes: dict[str | None, str],
    path_for: Callable[[str], str],
) -> list[str]:
    out = ["[[packages]]", f"name = {_s(package.name)}", f"version = {_s(package.version)}"]
    if pythons := export.conditional(package):
        out.append(f"marker = {_s(python_marker(pythons))}")
    if package.kind in ("url", "file"):
        (archive,) = package.files
        where = package.location or ""
        place = f"url = {_s(where)}" if package.kind == "url" else f"path = {_s(path_for(where))}"
        out.append(f"archive = {{ {place}, {_hashes(archive)} }}")
        return out
    index = indexes.get(package.source)
    if index:
        out.append(f"index = {_s(index)}")
    links = urls.get(package.key, {})
    wheels = [f for f in package.files if f.is_wheel]
    sdists = [f for f in package.files if not f.is_wheel]
    if sdists:
        out.append(f"sdist = {_file(sdists[0], links)}")
    if wheels:
        out.append("wheels = [")
        out.extend(f"    {_file(w, links)}," for w in wheels)
        out.append("]")
    return out


def _file(file: ExportFile, links: dict[str, str]) -> str:
    return f"{{ name = {_s(file.name)}, url = {_s(links.get(file.name, ''))}, {_hashes(file)} }}"


def _hashes(file: ExportFile) -> str:
    pairs = ", ".join(f"{algorithm} = {_s(digest)}" for algorithm, digest in file.hashes)
    return f"hashes = {{ {pairs} }}"
