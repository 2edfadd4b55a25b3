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

from poetry_platform.accelerators import jax_backend
from poetry_platform.lockset.files import choose_file
from poetry_platform.lockset.install_set import select_locked
from poetry_platform.lockset.lock import binary_policy
from poetry_platform.lockset.lock import extras_problems
from poetry_platform.lockset.lock import read_lock
from poetry_platform.lockset.lock import root_requirements
from poetry_platform.lockset.problems import Duplicate
from poetry_platform.lockset.problems import DuplicateEntry
from poetry_platform.lockset.problems import Edit
from poetry_platform.lockset.problems import ForbiddenPackage
from poetry_platform.lockset.problems import MissingRequirement
from poetry_platform.lockset.problems import PlanCheck
from poetry_platform.lockset.problems import Problem
from poetry_platform.lockset.problems import PythonOutside
from poetry_platform.lockset.problems import Remedy
from poetry_platform.lockset.problems import Selected
from poetry_platform.lockset.problems import requirement_text
from poetry_platform.lockset.tags import SupportedTags

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.tags import Tag
    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package
    from poetry.packages.transitive_package_info import TransitivePackageInfo
    from poetry.poetry import Poetry

    from poetry_platform.lockset.files import BinaryPolicy
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.lock import Relations
    from poetry_platform.lockset.problems import DuplicateAdvice


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
    relations: Callable[[Package], Relations] | None = None,
    python_allowed: bool = True,
) -> PlanCheck:
    """Select what an install takes and find a file for each; every problem, not the first.

    `selected`: the set, when the caller already selected it (`select_locked`).
    `relations`: what the lock says each package requires, to name who brings two entries
    selected at once. `python_allowed=False`: the target's Python is outside the project's
    `requires-python` (reported by the caller), so lock entries excluded for it are no
    reason to re-lock.

    `root_requirements` are the project's own dependencies in the requested groups: one
    that applies to the target but has no selected package means the lock lacks it (a
    variant whose packages were never locked, or a lock edited by hand).
    """
    if selected is None:
        selected = select_locked(locked, marker_env, groups, extras)
    problems: list[Problem] = []
    out: list[Selected] = []
    by_name: dict[str, list[Package]] = defaultdict(list)
    # by name, then release order (9.0 before 10.0; as text, 10.0 came first)
    for package in sorted(selected, key=lambda p: (p.name, p.version)):
        by_name[package.name].append(package)
        choice = choose_file(package, supported_tags, policy)
        if choice.problem is not None:
            problems.append(choice.problem)
        out.append(
            Selected(
                package.pretty_name, package.pretty_version, choice.file, package.source_reference
            )
        )

    requirements = list(requirements)
    env = dict(marker_env)
    env["extra"] = {canonicalize_name(e) for e in extras}
    for packages in by_name.values():
        if len(packages) > 1:
            problems.append(
                _duplicate(packages, locked, groups, selected, relations, requirements, env)
            )

    active_extras = env["extra"]
    wanted_groups = {canonicalize_name(g) for g in groups}
    reported: set[str] = set()
    for dep in requirements:
        if dep.is_optional() and not set(dep.in_extras) & active_extras:
            continue
        if dep.name in by_name or dep.name in reported or not dep.marker.validate(env):
            continue
        reported.add(dep.name)
        missing = _why_missing(dep, locked, wanted_groups)
        if missing.why == "excluded" and not python_allowed:
            continue  # the lock is for the project's Pythons; this one is not among them
        problems.append(
            Problem(
                "missing",
                missing,
                dep.pretty_name,
                str(dep.pretty_constraint),
                needed=dep.to_pep_508(),
                have=missing.why,
            )
        )
    return PlanCheck(tuple(out), tuple(problems))


def _why_missing(
    dep: Dependency, locked: Mapping[Package, TransitivePackageInfo], groups: Collection[str]
) -> MissingRequirement:
    """Why a required package was not selected: absent, locked for other groups, or
    excluded by its lock markers."""
    marker = "" if dep.marker.is_any() else str(dep.marker)
    infos = [info for package, info in locked.items() if package.name == dep.name]
    if not infos:
        return MissingRequirement(marker, "absent")
    if not any(info.groups & set(groups) for info in infos):
        others = tuple(sorted({g for info in infos for g in info.groups}))
        return MissingRequirement(marker, "other-groups", others)
    return MissingRequirement(marker, "excluded")


def _duplicate(
    packages: Sequence[Package],
    locked: Mapping[Package, TransitivePackageInfo],
    groups: Collection[str],
    selected: Sequence[Package],
    relations: Callable[[Package], Relations] | None,
    requirements: Sequence[Dependency],
    env: Mapping[str, Any],
) -> Problem:
    """Two entries of one package selected at once, with who brings each and the change
    that fixes it (re-locking alone never does: the lock holds what pyproject asks for)."""
    wanted = {canonicalize_name(g) for g in groups}
    name = packages[0].name
    entries: list[DuplicateEntry] = []
    for package in packages:
        marker = locked[package].get_marker(wanted)
        brought = _requirers(package, selected, relations, requirements, env)
        entries.append(
            DuplicateEntry(
                package.pretty_version,
                package.source_reference or None,
                "" if marker.is_any() else str(marker),
                tuple(brought),
            )
        )
    requirers = [{w for w, _ in e.required_by} for e in entries]
    advice, who = _duplicate_advice(name, [e.marker for e in entries], requirers)
    pin: tuple[str | None, tuple[str, ...], Remedy | None] = (None, (), None)
    if advice == "constrain":
        pin = _pin(packages[0].pretty_name, entries, requirers, env)
    return Problem(
        "duplicate",
        Duplicate(name, tuple(entries), advice, who, jax_backend(name), *pin),
        packages[0].pretty_name,
        ", ".join(p.pretty_version for p in packages),
    )


def _pin(
    name: str,
    entries: Sequence[DuplicateEntry],
    requirers: Sequence[set[str]],
    env: Mapping[str, Any],
) -> tuple[str | None, tuple[str, ...], Remedy | None]:
    """The entry every requirer accepts (the one another locked package pins, e.g.
    cuda-toolkit's nvidia-cublas), who pins it, and the pin for this platform."""
    everyone = set().union(*requirers)
    fits = [e for e, who in zip(entries, requirers, strict=True) if who == everyone]
    if len(fits) != 1:
        return None, (), None
    works = fits[0].version
    common = set.intersection(*requirers)
    pinned_by = tuple(sorted(everyone - common))
    platform = env.get("sys_platform")
    line = f"{name}=={works}" + (f" ; sys_platform == '{platform}'" if platform else "")
    remedy = Remedy(
        "pin-version",
        str(env.get("python_version", "")),
        name,
        version=works,
        edits=(Edit("dependencies", "", (line,)),),
        command=f"poetry update --lock {name}",
    )
    return works, pinned_by, remedy


def _requirers(
    package: Package,
    selected: Sequence[Package],
    relations: Callable[[Package], Relations] | None,
    requirements: Sequence[Dependency],
    env: Mapping[str, Any],
) -> list[tuple[str, str]]:
    """(who, requirement) for each selected package and each project requirement applying
    here (markers and extras) that accepts this entry's version."""
    out: list[tuple[str, str]] = []
    for dep in requirements:
        if (
            dep.name == package.name
            and dep.marker.validate(env)
            and dep.constraint.allows(package.version)
        ):
            out.append(("the project", requirement_text(dep)))
    if relations is None:
        return out
    for other in selected:
        constraint = relations(other).requires.get(package.name)
        if constraint is not None and _allows(constraint, package):
            out.append(
                (f"{other.pretty_name} {other.pretty_version}", f"{package.name} {constraint}")
            )
    return out


def _allows(constraint: str, package: Package) -> bool:
    from poetry.core.constraints.version import parse_constraint

    try:
        return parse_constraint(constraint).allows(package.version)
    except ValueError:
        return True


def _duplicate_advice(
    name: str, markers: Sequence[str], requirers: Sequence[set[str]]
) -> tuple[DuplicateAdvice, str | None]:
    """The concrete change, from who brings each entry and the markers they carry; with
    the requirer that accepts every entry, when one does."""
    if not any(requirers):
        return "relock", None
    common = set.intersection(*requirers) - {"the project"} if requirers else set()
    own = any("the project" in r for r in requirers)
    if common and not own:
        return "constrain", sorted(common)[0]
    if common:
        advice: DuplicateAdvice = "jaxlib-through-jax" if name == "jaxlib" else "pin-per-platform"
        return advice, sorted(common)[0]
    if jax_backend(name):
        return "jax-extra", None
    if markers and all("extra" in m for m in markers):
        return "request-one-extra", None
    return "exclusive-markers", None


def check_install_plan(
    poetry: Poetry,
    *,
    marker_env: Mapping[str, Any],
    supported_tags: SupportedTags | Iterable[Tag],
    extras: Collection[str],
    groups: Collection[str],
    lock: LockState | None = None,
    forbidden: Sequence[ForbiddenPackage] = (),
) -> list[Problem]:
    """Everything that stops this lock from installing with these extras and groups.

    For `platform-install` on the host: `marker_env=env.marker_env`,
    `supported_tags=env.supported_tags`. Returns lock-level problems first, then the
    per-package ones; warnings (sdists) included, see `blocking`. `forbidden`: what the
    chosen variant's check found it forbids (`unpin_forbidden`).
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
    problems += extras_problems(extras, lock.extras, "install")
    python = str(marker_env.get("python_full_version", ""))
    python_allowed = _project_allows(poetry, python)
    if not python_allowed:
        requires = str(poetry.package.python_versions)
        problems.append(
            Problem(
                "python",
                PythonOutside(python, requires, "environment"),
                needed=f"Python {python}",
                have=requires,
            )
        )
    plan = check_locked(
        lock.locked,
        marker_env=marker_env,
        supported_tags=tags,
        groups=groups,
        extras=extras,
        requirements=root_requirements(poetry, groups),
        policy=binary_policy(poetry),
        relations=lock.relations_of,
        python_allowed=python_allowed,
    )
    return problems + unpin_forbidden(plan.problems, forbidden)


def unpin_forbidden(
    problems: Iterable[Problem], forbidden: Iterable[ForbiddenPackage]
) -> list[Problem]:
    """Duplicates of a package the variant forbids get no pin (a pin in the project's
    dependencies would keep what must go): their fix is the forbidden package's, which
    takes every entry away (PyPI torch's nvidia-* wheels under a cpu variant). The same rule
    for platform-check and platform-install, so both print the same fix."""
    from dataclasses import replace

    by_name = {str(canonicalize_name(f.package)): f for f in forbidden}
    out = []
    for p in problems:
        if isinstance(p.facts, Duplicate) and p.facts.name in by_name:
            f = by_name[p.facts.name]
            facts = replace(
                p.facts,
                advice="forbidden",
                works=None,
                pinned_by=(),
                remedy=None,
                variant=f.variant,
                forbid=f.remedy,
            )
            p = replace(p, facts=facts)
        out.append(p)
    return out


def _project_allows(poetry: Poetry, python: str) -> bool:
    from poetry.core.constraints.version import Version as PoetryVersion

    try:
        return poetry.package.python_constraint.allows(PoetryVersion.parse(python))
    except ValueError:
        return True


def _tags_with_description(tags: Iterable[Tag]) -> SupportedTags:
    ordered = list(tags)
    first = ordered[0] if ordered else None
    description = f"{first.platform} / {first.interpreter}" if first is not None else "this machine"
    return SupportedTags(ordered, description)
