"""One install judged from the lock: its set, a file for each, and what is wrong.

`check_locked` is pure (packages, marker environment and tags in, `PlanCheck` out);
`check_install_plan` is the thin adapter over a `Poetry` object that `platform-install`
uses for this machine, so that install and `platform-check` judge a lock by the same code.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

from poetry_platform.check.files import choose_file
from poetry_platform.check.install_set import select_locked
from poetry_platform.check.lock import binary_policy
from poetry_platform.check.lock import extras_problems
from poetry_platform.check.lock import read_lock
from poetry_platform.check.lock import root_requirements
from poetry_platform.check.problems import PlanCheck
from poetry_platform.check.problems import Problem
from poetry_platform.check.problems import Selected
from poetry_platform.check.tags import SupportedTags

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.tags import Tag
    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package
    from poetry.packages.transitive_package_info import TransitivePackageInfo
    from poetry.poetry import Poetry

    from poetry_platform.check.files import BinaryPolicy
    from poetry_platform.check.lock import LockState


def check_locked(
    locked: Mapping[Package, TransitivePackageInfo],
    *,
    marker_env: Mapping[str, Any],
    supported_tags: SupportedTags,
    groups: Collection[str],
    extras: Collection[str] = (),
    requirements: Iterable[Dependency] = (),
    policy: BinaryPolicy | None = None,
    selected: Sequence[Package] | None = None,
) -> PlanCheck:
    """Select what an install takes and find a file for each; every problem, not the first.

    `selected`: the set, when the caller already selected it (`select_locked`).

    `root_requirements` are the project's own dependencies in the requested groups: one
    that applies to the target but has no selected package means the lock lacks it (a
    variant whose packages were never locked, or a lock edited by hand).
    """
    if selected is None:
        selected = select_locked(locked, marker_env, groups, extras)
    problems: list[Problem] = []
    out: list[Selected] = []
    by_name: dict[str, list[Package]] = defaultdict(list)
    for package in sorted(selected, key=lambda p: (p.name, str(p.version))):
        by_name[package.name].append(package)
        choice = choose_file(package, supported_tags, policy)
        if choice.problem is not None:
            problems.append(choice.problem)
        out.append(
            Selected(
                package.pretty_name, package.pretty_version, choice.file, package.source_reference
            )
        )

    for packages in by_name.values():
        if len(packages) > 1:
            versions = ", ".join(_describe_version(p) for p in packages)
            problems.append(
                Problem(
                    "duplicate",
                    f"{len(packages)} locked entries are selected at once ({versions}); "
                    "their lock markers overlap for this target",
                    packages[0].pretty_name,
                    ", ".join(p.pretty_version for p in packages),
                    needed="one entry",
                    have=versions,
                )
            )

    env = dict(marker_env)
    env["extra"] = {canonicalize_name(e) for e in extras}
    active_extras = env["extra"]
    wanted_groups = {canonicalize_name(g) for g in groups}
    reported: set[str] = set()
    for dep in requirements:
        if dep.is_optional() and not set(dep.in_extras) & active_extras:
            continue
        if dep.name in by_name or dep.name in reported or not dep.marker.validate(env):
            continue
        reported.add(dep.name)
        why, have = _why_missing(dep.name, locked, wanted_groups)
        where = "" if dep.marker.is_any() else f" (where {dep.marker})"
        problems.append(
            Problem(
                "missing",
                f"required by the project{where}, but {why}; run `poetry lock`",
                dep.pretty_name,
                str(dep.pretty_constraint),
                needed=dep.to_pep_508(),
                have=have,
            )
        )
    return PlanCheck(tuple(out), tuple(problems))


def _why_missing(
    name: str, locked: Mapping[Package, TransitivePackageInfo], groups: Collection[str]
) -> tuple[str, str]:
    """Why a required package was not selected, and a one-word `have` for the JSON."""
    infos = [info for package, info in locked.items() if package.name == name]
    if not infos:
        return "poetry.lock does not contain it", "absent"
    if not any(info.groups & set(groups) for info in infos):
        others = sorted({g for info in infos for g in info.groups})
        return f"poetry.lock has it only for other groups ({', '.join(others)})", "other-groups"
    return "the markers of its lock entries exclude this target", "excluded"


def _describe_version(package: Package) -> str:
    source = f" from {package.source_reference}" if package.source_reference else ""
    return f"{package.pretty_version}{source}"


def check_install_plan(
    poetry: Poetry,
    *,
    marker_env: Mapping[str, Any],
    supported_tags: SupportedTags | Iterable[Tag],
    extras: Collection[str],
    groups: Collection[str],
    lock: LockState | None = None,
) -> list[Problem]:
    """Everything that stops this lock from installing with these extras and groups.

    For `platform-install` on the host: `marker_env=env.marker_env`,
    `supported_tags=env.supported_tags`. Returns lock-level problems first, then the
    per-package ones; warnings (sdists) included, see `blocking`.
    """
    if lock is None:
        lock = read_lock(poetry)
    tags = (
        supported_tags
        if isinstance(supported_tags, SupportedTags)
        else _tags_with_description(supported_tags)
    )
    problems = list(lock.problems)
    if not lock.readable:
        return problems
    problems += extras_problems(extras, lock.extras, "the install")
    plan = check_locked(
        lock.locked,
        marker_env=marker_env,
        supported_tags=tags,
        groups=groups,
        extras=extras,
        requirements=root_requirements(poetry, groups),
        policy=binary_policy(poetry),
    )
    return problems + list(plan.problems)


def _tags_with_description(tags: Iterable[Tag]) -> SupportedTags:
    ordered = list(tags)
    first = ordered[0] if ordered else None
    description = f"{first.platform} / {first.interpreter}" if first is not None else "this machine"
    return SupportedTags(ordered, description)
