"""Would this lock install on that machine? Answered from the lock file alone.

Two questions, in the order an install meets them:

1. Which locked packages does an install select there? The same rule as Poetry's own
   installer with `installer.re-resolve = false` (its default): a locked package is
   installed when it belongs to one of the requested groups and the union of its
   per-group lock markers holds in the machine's marker environment, with `extra` set to
   the requested extras (`Transaction.calculate_operations`). The markers here are
   evaluated for the *target's* environment, built by `marker_environment`.
2. For each selected package, does the lock record a file that installs there? A wheel
   whose tags the target accepts (best one first, as Poetry's chooser ranks them), else an
   sdist, which builds from source: a warning, unless strict.

Everything here is pure: the caller reads the lock (`Locker.locked_packages()`) and hands in
the packages, the marker environment and the supported tags. `check_install_plan` at the
bottom is the thin adapter over a `Poetry` object that `platform-install` and
`platform-check` share, so that both judge a lock by the same code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from packaging.tags import Tag
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name

from poetry_platform.check.tags import SupportedTags
from poetry_platform.check.tags import TagError
from poetry_platform.check.tags import machine_for
from poetry_platform.check.tags import tag_target

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.version import Version
    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package
    from poetry.packages.locker import Locker
    from poetry.packages.transitive_package_info import TransitivePackageInfo
    from poetry.poetry import Poetry

    from poetry_platform.check.tags import TagTarget
    from poetry_platform.config import Target
    from poetry_platform.config import Variant

Severity = Literal["error", "warning"]

# Archive kinds Poetry's chooser never installs (`Chooser.choose_for`).
_SKIPPED_EXTS = (".egg", ".exe", ".msi", ".rpm", ".srpm")
_PLATFORM_SYSTEM = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}
_OS_NAME = {"win32": "nt"}
_IMPLEMENTATION = {"cp": ("cpython", "CPython"), "pp": ("pypy", "PyPy")}


@dataclass(frozen=True)
class Problem:
    """One reason a lock does not install on a target, as data.

    `needed` is what the target asks for and `have` what the lock offers, so a script
    reading `--json` gets the same facts the sentence is made from.
    """

    kind: str
    detail: str
    package: str | None = None
    version: str | None = None
    severity: Severity = "error"
    needed: str = ""
    have: str = ""

    @property
    def message(self) -> str:
        if self.package is None:
            return self.detail
        return f"{self.package} {self.version}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "package": self.package,
            "version": self.version,
            "needed": self.needed,
            "have": self.have,
            "message": self.message,
        }


@dataclass(frozen=True)
class Selected:
    """A locked package an install would take, and the file it would take it from."""

    name: str
    version: str
    file: str | None
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "file": self.file,
            "source": self.source,
        }


@dataclass(frozen=True)
class PlanCheck:
    packages: tuple[Selected, ...] = ()
    problems: tuple[Problem, ...] = ()

    def failed(self, *, strict: bool = False) -> bool:
        return any(p.severity == "error" or strict for p in self.problems)


@dataclass(frozen=True)
class BinaryPolicy:
    """Poetry's `installer.no-binary` / `installer.only-binary` settings, as name sets.

    Each set holds canonical names and may hold `:all:` (or `:none:`); the rules mirror
    Poetry's chooser so that a lock the installer would refuse is refused here too.
    """

    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()

    def wheels_allowed(self, name: str) -> bool:
        if name in self.no_binary:
            return False
        return _policy_allows(self.no_binary, name) or name in self.only_binary

    def sdists_allowed(self, name: str) -> bool:
        if name in self.only_binary:
            return False
        return _policy_allows(self.only_binary, name) or name in self.no_binary


def _policy_allows(packages: frozenset[str], name: str) -> bool:
    if ":all:" in packages:
        return False
    return not packages or ":none:" in packages or name not in packages


def marker_environment(
    sys_platform: str,
    platform_machine: str,
    python_full_version: str,
    implementation: str = "cp",
) -> dict[str, Any]:
    """A PEP 508 environment for a machine we are not on.

    Keys whose value cannot be known from the target's description (`platform_release`,
    `platform_version`) are left out: Poetry's markers treat a missing key as satisfied,
    so a marker on them never hides a package from the check.
    """
    parts = python_full_version.split(".")
    python_version = ".".join(parts[:2])
    impl_name, impl_pretty = _IMPLEMENTATION.get(implementation, (implementation, implementation))
    machine = machine_for(sys_platform, platform_machine)
    return {
        "implementation_name": impl_name,
        "implementation_version": python_full_version,
        "os_name": _OS_NAME.get(sys_platform, "posix"),
        "platform_machine": machine,
        "platform_system": _PLATFORM_SYSTEM.get(sys_platform, sys_platform.capitalize()),
        "python_full_version": python_full_version,
        "platform_python_implementation": impl_pretty,
        "python_version": python_version,
        "sys_platform": sys_platform,
        "interpreter_name": implementation,
        "interpreter_version": python_version.replace(".", ""),
    }


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


@dataclass(frozen=True)
class FileChoice:
    """The file an install takes (`None`: none), and the problem with the choice if any."""

    file: str | None
    problem: Problem | None = None


def choose_file(
    package: Package,
    supported: SupportedTags,
    policy: BinaryPolicy | None = None,
) -> FileChoice:
    """The lock file an install would take for `package`, or why there is none."""
    policy = policy or BinaryPolicy()

    def problem(kind: str, detail: str, have: str, severity: Severity = "error") -> Problem:
        return Problem(
            kind,
            detail,
            package.pretty_name,
            package.pretty_version,
            severity,
            supported.description,
            have,
        )

    if package.source_type in ("git", "directory"):
        origin = f"{package.source_type} {package.source_url or ''}".strip()
        return FileChoice(
            None, problem("builds-from-source", f"builds from source ({origin})", origin, "warning")
        )
    filenames = _lock_files(package)
    if not filenames:
        return FileChoice(None, problem("no-files", "the lock records no files for it", ""))
    wheels = [(f, _wheel_tags(f)) for f in filenames if f.lower().endswith(".whl")]
    sdists = [f for f in filenames if not f.lower().endswith((".whl", *_SKIPPED_EXTS))]
    name = canonicalize_name(package.name)
    wheels_ok = policy.wheels_allowed(name)
    if wheels_ok and (best := _best_wheel(wheels, supported)):
        return FileChoice(best)

    needed = f"no wheel for {supported.description}"
    if wheels and not wheels_ok:
        needed += " (installer.no-binary)"
    have = _describe_wheels(wheels, supported)
    if sdists and policy.sdists_allowed(name):
        detail = f"{needed}; builds from source ({sdists[0]})"
        return FileChoice(sdists[0], problem("builds-from-source", detail, have, "warning"))
    offer = f"files have {have}" if have else f"files are {', '.join(filenames)}"
    if sdists:
        offer += "; installer.only-binary refuses the sdist"
    return FileChoice(None, problem("no-wheel", f"{needed}; {offer}", have))


def _lock_files(package: Package) -> list[str]:
    if package.source_type in ("url", "file") and package.source_url:
        return [package.source_url.replace("\\", "/").rsplit("/", 1)[-1]]
    return [f["file"] for f in package.files if "file" in f]


def _best_wheel(
    wheels: Iterable[tuple[str, frozenset[Tag]]], supported: SupportedTags
) -> str | None:
    """The wheel Poetry's chooser prefers: the one matching the target's best-ranked tag."""
    ranked = [(rank, f) for f, tags in wheels if (rank := supported.rank(tags)) is not None]
    return min(ranked)[1] if ranked else None


@lru_cache(maxsize=65536)
def _wheel_tags(filename: str) -> frozenset[Tag]:
    """Tags of a wheel file name: its last three dash-separated fields.

    Taking the fields from the end keeps odd names (local versions, build numbers,
    unnormalised project names) readable, as Poetry's own wheel-name pattern does.
    Cached: every target looks at the same files.
    """
    parts = filename[: -len(".whl")].split("-")
    if len(parts) < 5:
        return frozenset()
    try:
        return parse_tag("-".join(parts[-3:]))
    except ValueError:
        return frozenset()


def _describe_wheels(wheels: Sequence[tuple[str, frozenset[Tag]]], supported: SupportedTags) -> str:
    """What the lock's wheels offer, on the axis that failed.

    When some wheel matches the target's platform the Python tag is the culprit, so the
    interpreter/ABI pairs are listed; otherwise the platforms are.
    """
    platforms = supported.platforms
    on_platform = [tags for _, tags in wheels if any(t.platform in platforms for t in tags)]
    if on_platform:
        pairs = {
            f"{t.interpreter}-{t.abi}"
            for tags in on_platform
            for t in tags
            if t.platform in platforms
        }
        return ", ".join(sorted(pairs))
    return ", ".join(sorted({t.platform for _, tags in wheels for t in tags}))


def check_locked(
    locked: Mapping[Package, TransitivePackageInfo],
    *,
    marker_env: Mapping[str, Any],
    supported_tags: SupportedTags,
    groups: Collection[str],
    extras: Collection[str] = (),
    requirements: Iterable[Dependency] = (),
    policy: BinaryPolicy | None = None,
) -> PlanCheck:
    """Select what an install takes and find a file for each; every problem, not the first.

    `root_requirements` are the project's own dependencies in the requested groups: one
    that applies to the target but has no selected package means the lock lacks it (a
    variant whose packages were never locked, or a lock edited by hand).
    """
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


# --- targets: one (target, Python) pair at a time ------------------------------------------


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

    @property
    def python(self) -> str:
        return f"{self.tags.python[0]}.{self.tags.python[1]}"

    @property
    def marker_env(self) -> dict[str, Any]:
        t = self.tags
        return marker_environment(
            t.sys_platform, t.machine, self.python_full_version, t.implementation
        )

    def describe(self) -> str:
        """`darwin arm64, Python 3.12, variant cpu, groups main, test`."""
        parts = [f"{self.tags.sys_platform} {self.tags.arch}", f"Python {self.python}"]
        if self.variant:
            parts.append(f"variant {self.variant}")
        parts.append(f"groups {', '.join(self.groups)}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        t = self.tags
        return {
            "name": self.name,
            "sys_platform": t.sys_platform,
            "platform_machine": t.arch,
            "python": self.python,
            "python_full_version": self.python_full_version,
            "implementation": t.implementation,
            "wheel_tags": t.describe(),
            "variant": self.variant,
            "extras": list(self.extras),
            "groups": list(self.groups),
        }


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
            target.name, tags, full, variant.name if variant else None, extras, groups
        )
        problem = (
            None
            if accepted
            else Problem(
                "python",
                f"the project does not support Python {python} "
                f"(requires-python {requires_python or '?'})",
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

    def failed(self, *, strict: bool = False) -> bool:
        return self.check.failed(strict=strict)

    def to_json(self, *, strict: bool = False) -> dict[str, Any]:
        return {
            **self.plan.to_json(),
            "ok": not self.failed(strict=strict),
            "packages": [p.to_json() for p in self.check.packages],
            "problems": [p.to_json() for p in self.check.problems],
        }


def check_target(
    plan: TargetPlan,
    lock: LockState,
    *,
    requirements: Iterable[Dependency] = (),
    policy: BinaryPolicy | None = None,
    python_problem: Problem | None = None,
) -> TargetResult:
    """Check one plan against an already-read lock."""
    problems: list[Problem] = [python_problem] if python_problem else []
    try:
        supported = SupportedTags.for_target(plan.tags)
    except TagError as e:
        problems.append(Problem("platform", str(e), needed=plan.tags.sys_platform))
        return TargetResult(plan, PlanCheck((), tuple(problems)))
    who = f"variant {plan.variant}" if plan.variant else "the target"
    problems += extras_problems(plan.extras, lock.extras, who)
    result = check_locked(
        lock.locked,
        marker_env=plan.marker_env,
        supported_tags=supported,
        groups=plan.groups,
        extras=plan.extras,
        requirements=requirements,
        policy=policy,
    )
    return TargetResult(plan, PlanCheck(result.packages, (*problems, *result.problems)))


# --- adapter over a Poetry object (shared by platform-install and platform-check) -----------


@dataclass(frozen=True)
class LockState:
    """What is wrong with the lock as a whole, before any target is looked at."""

    problems: tuple[Problem, ...] = ()
    locked: Mapping[Package, TransitivePackageInfo] = field(default_factory=dict)
    extras: frozenset[str] = frozenset()
    # False when the packages could not be read: checking targets would only add noise.
    readable: bool = True


def read_lock(poetry: Poetry) -> LockState:
    """Read the lock once, with Poetry's own freshness and format checks."""
    locker = poetry.locker
    if not locker.is_locked():
        return LockState(
            (Problem("no-lock", "poetry.lock not found; run `poetry lock` to create it"),),
            readable=False,
        )
    problems: list[Problem] = []
    try:
        data = locker.lock_data
        fresh = _is_fresh(locker, data)
    except (RuntimeError, OSError, ValueError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        problem = Problem("unreadable-lock", f"poetry.lock cannot be read: {first}")
        return LockState((problem,), readable=False)
    if not fresh:
        problems.append(
            Problem(
                "stale-lock",
                "pyproject.toml changed significantly since poetry.lock was last generated; "
                "run `poetry lock` to fix the lock file",
            )
        )
    if not locker.is_locked_groups_and_markers():
        version = data.get("metadata", {}).get("lock-version", "?")
        problems.append(
            Problem(
                "old-lock",
                f"poetry.lock has lock-version {version}; checking needs the per-group markers "
                "of lock-version 2.1; run `poetry lock` to upgrade it",
            )
        )
        return LockState(tuple(problems), readable=False)
    extras = frozenset(canonicalize_name(e) for e in data.get("extras", {}))
    return LockState(tuple(problems), locker.locked_packages(), extras)


def _is_fresh(locker: Locker, data: Mapping[str, Any]) -> bool:
    """Poetry's freshness verdict, without parsing the lock a second time when it is fresh.

    `Locker.is_fresh()` re-reads the whole lock for one hash (a tenth of a second on a big
    lock); when the hash Poetry computed for this pyproject matches, that is its answer too.
    Any other case (old lock formats included) goes to `is_fresh()` itself.
    """
    expected = getattr(locker, "_content_hash", None)
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


def extras_problems(extras: Iterable[str], lock_extras: Collection[str], who: str) -> list[Problem]:
    """An extra the install asks for that the lock never recorded: Poetry would refuse it."""
    known = ", ".join(sorted(lock_extras)) or "none"
    return [
        Problem(
            "extra-not-locked",
            f"{who} needs extra {extra!r}, which poetry.lock does not have (it has: {known}); "
            "declare the extra and run `poetry lock`",
            needed=f"extra {extra}",
            have=known,
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


def blocking(problems: Iterable[Problem], *, strict: bool = False) -> list[Problem]:
    """The problems that must stop an install (errors; warnings too when strict)."""
    return [p for p in problems if p.severity == "error" or strict]


def unfit_lock_message(problems: Iterable[Problem], *, strict: bool = False) -> str | None:
    """The error `platform-install` shows for a lock that cannot install here, else `None`."""
    stopping = blocking(problems, strict=strict)
    if not stopping:
        return None
    lines = ["poetry.lock cannot be installed on this machine:"]
    lines += [f"  - {p.message}" for p in stopping]
    lines.append(
        "Nothing was installed. Fix the lock (`poetry lock`), or see every target with "
        "`poetry platform-check`."
    )
    return "\n".join(lines)


def format_problems(problems: Iterable[Problem], *, indent: str = "  ") -> list[str]:
    """One line per problem, Poetry-markup coloured: `<error>` errors, `<warning>` warnings."""
    lines = []
    for problem in problems:
        tag = "error" if problem.severity == "error" else "warning"
        lines.append(f"{indent}<{tag}>- {problem.message}</{tag}>")
    return lines
