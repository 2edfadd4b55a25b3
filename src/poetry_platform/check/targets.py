"""Targets: one (target, Python) pair at a time, each checked against the lock read once.

A target declaring several Pythons becomes one `TargetPlan` per Python; `check_target`
gives its `TargetResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from poetry_platform.check.fidelity import Fidelity
from poetry_platform.check.fidelity import judge
from poetry_platform.check.plan import check_locked
from poetry_platform.check.plan import unpin_forbidden
from poetry_platform.lockset.install_set import marker_environment
from poetry_platform.lockset.install_set import select_locked
from poetry_platform.lockset.lock import binary_policy
from poetry_platform.lockset.lock import extras_problems
from poetry_platform.lockset.lock import root_requirements
from poetry_platform.lockset.problems import PlanCheck
from poetry_platform.lockset.problems import Problem
from poetry_platform.lockset.problems import PythonOutside
from poetry_platform.lockset.problems import UnknownPlatform
from poetry_platform.lockset.tags import SupportedTags
from poetry_platform.lockset.tags import TagError
from poetry_platform.lockset.tags import tag_target

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Sequence

    from packaging.version import Version
    from poetry.core.packages.dependency import Dependency
    from poetry.poetry import Poetry

    from poetry_platform.check.declared import Declared
    from poetry_platform.check.fidelity import FirstRelease
    from poetry_platform.host.system import SystemFacts
    from poetry_platform.lockset.files import BinaryPolicy
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.tags import TagTarget
    from poetry_platform.model import PlatformConfig
    from poetry_platform.model import Target
    from poetry_platform.model import Variant


@dataclass(frozen=True)
class TargetPlan:
    """Everything one check needs, resolved: no config or Poetry object left to consult.

    A target declaring several Pythons becomes one plan per Python.
    """

    name: str
    tags: TagTarget
    python_full_version: str
    variant: str | None = None
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ("main",)
    # The variant itself, for its promise (`provides`/`forbids`); not part of the output.
    spec: Variant | None = field(default=None, compare=False, repr=False)

    @property
    def python(self) -> str:
        return f"{self.tags.python[0]}.{self.tags.python[1]}"

    @property
    def marker_env(self) -> dict[str, Any]:
        t = self.tags
        return marker_environment(
            t.sys_platform, t.machine, self.python_full_version, t.implementation
        )


def plans_for(
    target: Target,
    variant: Variant | None,
    python_range: Callable[[str], bool] = lambda _: True,
    requires_python: str = "",
) -> list[tuple[TargetPlan, Problem | None]]:
    """One plan per declared Python, each with a problem when the project excludes it.

    `python_range` says whether the project accepts a full Python version ("3.12.0"); a
    bare "3.12" is checked as its first patch release the project accepts, so markers on
    `python_full_version` read as they would on a real 3.12 install.
    """
    extras = variant.extras if variant else ()
    groups = tuple(dict.fromkeys((*target.groups, *(variant.groups if variant else ()))))
    out: list[tuple[TargetPlan, Problem | None]] = []
    for python in target.pythons:
        full, accepted = _full_python(python, python_range)
        tags = tag_target(
            target.sys_platform,
            target.platform_machine,
            python,
            implementation=target.implementation,
            glibc=target.glibc,
            musl=target.musl,
            macos=target.macos,
        )
        plan = TargetPlan(
            target.name, tags, full, variant.name if variant else None, extras, groups, variant
        )
        problem = (
            None
            if accepted
            else Problem(
                "python",
                PythonOutside(str(python), requires_python, "target"),
                needed=f"Python {python}",
                have=requires_python,
            )
        )
        out.append((plan, problem))
    return out


def _full_python(python: Version, accepts: Callable[[str], bool]) -> tuple[str, bool]:
    if len(python.release) >= 3:
        full = ".".join(str(n) for n in python.release[:3])
        return full, accepts(full)
    base = f"{python.release[0]}.{(*python.release, 0)[1]}"
    for patch in range(100):
        if accepts(candidate := f"{base}.{patch}"):
            return candidate, True
    return f"{base}.0", False


@dataclass(frozen=True)
class TargetResult:
    plan: TargetPlan
    check: PlanCheck
    # What the variant delivers there; its problems are part of `check.problems` too.
    fidelity: Fidelity | None = None

    def failed(self, *, strict: bool = False) -> bool:
        return self.check.failed(strict=strict)


def check_target(
    plan: TargetPlan,
    lock: LockState,
    *,
    requirements: Iterable[Dependency] = (),
    policy: BinaryPolicy | None = None,
    python_problem: Problem | None = None,
    first_release: FirstRelease | None = None,
    declared: Declared | None = None,
) -> TargetResult:
    """Check one plan against an already-read lock. `first_release` may name, for a
    variant missing its accelerator, the first release that has the extra (index lookup)."""
    problems: list[Problem] = [python_problem] if python_problem else []
    try:
        supported = SupportedTags.for_target(plan.tags)
    except TagError as e:
        problems.append(Problem("platform", UnknownPlatform(str(e)), needed=plan.tags.sys_platform))
        return TargetResult(plan, PlanCheck((), tuple(problems)))
    by: Literal["target", "variant"] = "variant" if plan.variant else "target"
    problems += extras_problems(plan.extras, lock.extras, by, plan.variant)
    requirements = list(requirements)
    env = plan.marker_env
    selected = select_locked(lock.locked, env, plan.groups, plan.extras)
    result = check_locked(
        lock.locked,
        marker_env=env,
        supported_tags=supported,
        groups=plan.groups,
        extras=plan.extras,
        requirements=requirements,
        policy=policy,
        selected=selected,
        relations=lock.relations_of,
        python_allowed=python_problem is None,
    )
    fidelity = None
    if plan.spec is not None:
        without = set(plan.spec.extras)
        fidelity = judge(
            plan.spec,
            python=plan.python,
            selected=selected,
            without_extras=lambda: select_locked(
                lock.locked, env, plan.groups, [e for e in plan.extras if e not in without]
            ),
            locked=lock.locked,
            relations=lock.relations_of,
            requirements=requirements,
            marker_env=env,
            target=plan.name,
            first_release=first_release,
            declared=declared,
        )
        problems += fidelity.problems()
    found = unpin_forbidden(result.problems, fidelity.forbidden if fidelity else ())
    return TargetResult(plan, PlanCheck(result.packages, (*problems, *found)), fidelity)


# --- adapters over a Poetry object (shared by platform-check and platform-export) ----------


def project_plans(
    poetry: Poetry, target: Target, variant: Variant | None
) -> list[tuple[TargetPlan, Problem | None]]:
    """`plans_for` with the project's Requires-Python deciding which Pythons it supports."""
    from poetry.core.constraints.version import Version as PoetryVersion

    python_range = poetry.package.python_constraint

    def accepts(version: str) -> bool:
        return python_range.allows(PoetryVersion.parse(version))

    return plans_for(target, variant, accepts, str(poetry.package.python_versions))


def selected_plans(
    poetry: Poetry, config: PlatformConfig, wanted: Sequence[str], *, python: str | None
) -> list[tuple[TargetPlan, Problem | None]]:
    """platform-check's plans: the declared targets, or (none declared) every variant on
    this machine for the project's Python `python`; only the ones named in `wanted` (its
    --target options), refusing a name that is none of them."""
    from dataclasses import replace

    from poetry_platform.errors import UsageError
    from poetry_platform.errors import did_you_mean

    if config.targets:
        pairs = [(t, config.variant(t.variant) if t.variant else None) for t in config.targets]
    else:
        assert python is not None
        default_groups = as_written(poetry, sorted(poetry.package.dependency_group_names()))
        host = host_target(host_system(), default_groups, python=python)
        pairs = [(replace(host, name=v.name), v) for v in config.variants]

    known = [t.name for t, _ in pairs]
    unknown = [name for name in wanted if name not in known]
    if unknown and config.targets:
        raise UsageError(
            f"No target named {', '.join(unknown)} in [tool.poetry-platform]; "
            f"targets: {', '.join(known)}{did_you_mean(unknown[0], known)}"
        )
    if unknown:
        raise UsageError(
            f"--target {', '.join(unknown)}: no targets are declared in "
            "[tool.poetry-platform], so --target names a variant checked on this machine "
            f"({', '.join(known) or 'none'}){did_you_mean(unknown[0], known)}.",
            "To check another machine, declare it: [[tool.poetry-platform.target]] "
            f'name = "{unknown[0]}", sys_platform = "linux", platform_machine = "x86_64", '
            'python = "3.12" (see README, Configuration reference).',
        )
    return [
        work
        for target, variant in pairs
        if not wanted or target.name in wanted
        for work in project_plans(poetry, target, variant)
    ]


def check_plans(
    poetry: Poetry,
    work: Iterable[tuple[TargetPlan, Problem | None]],
    lock: LockState,
    first_release: FirstRelease | None = None,
) -> list[TargetResult]:
    """Each plan against the lock read once, with the project's requirements and Poetry's
    binary policy."""
    from poetry_platform.check.declared import Declared
    from poetry_platform.config import project_data

    policy = binary_policy(poetry)
    declared = Declared.of(project_data(poetry))
    return [
        check_target(
            plan,
            lock,
            requirements=root_requirements(poetry, plan.groups),
            policy=policy,
            python_problem=python_problem,
            first_release=first_release,
            declared=declared,
        )
        for plan, python_problem in work
    ]


def host_system() -> SystemFacts:
    """This machine's OS, CPU, Python and libc (or macOS) version.

    Only the platform half of host detection: a lock check looks at wheel tags and markers,
    never at GPUs, so no accelerator probe runs and no GPU override can get in the way.
    """
    import os

    from poetry_platform.host.system import detect_system

    return detect_system([], timeout=2.0, environ=os.environ)


def host_target(host: SystemFacts, groups: tuple[str, ...], *, python: str) -> Target:
    """This machine as a target, for the project's Python (`python`, a full version)."""
    from packaging.version import InvalidVersion
    from packaging.version import Version

    from poetry_platform.model import Target

    def version(text: str | None) -> Version | None:
        try:
            return Version(text) if text else None
        except InvalidVersion:
            return None

    project_python = version(python) or version(host.python_version)
    assert project_python is not None
    return Target(
        name="host",
        sys_platform=host.sys_platform,
        platform_machine=host.platform_machine,
        pythons=(project_python,),
        groups=groups,
        macos=version(host.macos_version),
        glibc=version(host.libc_version) if host.libc == "glibc" else None,
        musl=version(host.libc_version) if host.libc == "musl" else None,
    )


def as_written(poetry: Poetry, groups: Iterable[str]) -> tuple[str, ...]:
    """Group names as pyproject.toml spells them (`cloud_dev`), not normalized
    (`cloud-dev`): what the user sees is what the user wrote."""
    from poetry_platform.poetry_api import group_pretty_name

    package = poetry.package
    return tuple(
        group_pretty_name(package.dependency_group(g)) if package.has_dependency_group(g) else g
        for g in groups
    )
