"""A checked target's install set, as the packages and files an exported file lists.

`platform-check` has already decided, for each (target, Python) plan, which locked packages
an install takes (the lock markers, the variant's extras, the groups) and whether a file
installs there. This module only turns that verdict into data a writer can render:

- a plan that failed the check never gets here (`export/refusals.py` refused it in one
  line: an exported file must never promise an install that `platform-install` would
  refuse), and a file whose lock hash cannot pin it is marked for that refusal too;
- for each selected package, the files the target may use (`usable_files`: the wheels its
  tags accept, best first, or the sdist Poetry would build), with the lock's hashes, so the
  consuming installer can only make Poetry's choice or one equally valid there;
- a target declaring several Pythons is one set: a package every plan selects carries no
  Python condition, the others name the Pythons that select them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

from packaging.utils import canonicalize_name

from poetry_platform.errors import UsageError
from poetry_platform.lockset.files import file_hashes
from poetry_platform.lockset.files import hash_fault
from poetry_platform.lockset.files import usable_files
from poetry_platform.lockset.files import verifiable_hash
from poetry_platform.lockset.problems import BadHash
from poetry_platform.lockset.tags import SupportedTags

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from poetry.core.packages.package import Package

    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.check.targets import TargetResult
    from poetry_platform.lockset.files import BinaryPolicy
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.problems import Problem

Kind = Literal["index", "url", "file"]


@dataclass(frozen=True)
class ExportFile:
    """One archive of a package: its file name and the lock's hashes for it."""

    name: str
    hashes: tuple[tuple[str, str], ...]  # (algorithm, hex digest), as the lock records them
    bad: BadHash | None = None  # no hash that could pin it: `export/refusals.py` refuses

    @property
    def is_wheel(self) -> bool:
        return self.name.lower().endswith(".whl")


@dataclass(frozen=True)
class ExportPackage:
    """A package the target installs, where it comes from, and the files it may use.

    `source` is the Poetry source name (`None`: Poetry's implicit PyPI); `location` is the
    URL (kind "url") or the path as written in pyproject (kind "file") of a direct origin.
    `pythons` holds the plans' Pythons ("3.12") that select it.
    """

    name: str
    version: str
    kind: Kind
    source: str | None
    location: str | None
    files: tuple[ExportFile, ...]
    pythons: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.name, self.version, self.source)


@dataclass(frozen=True)
class ExportSet:
    """Everything a writer needs for one target: its plans and the packages they install."""

    name: str
    plans: tuple[TargetPlan, ...]
    packages: tuple[ExportPackage, ...]
    # What platform-check warns about for this target (forbidden packages, sdists): the
    # command prints them as check does; `--strict` refuses them instead.
    warnings: tuple[Problem, ...] = ()

    @property
    def pythons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(plan.python for plan in self.plans))

    def conditional(self, package: ExportPackage) -> tuple[str, ...]:
        """The Pythons a package is limited to, or `()` when every plan selects it."""
        return () if set(package.pythons) >= set(self.pythons) else package.pythons


def export_set(
    name: str,
    results: Sequence[TargetResult],
    lock: LockState,
    policy: BinaryPolicy | None = None,
) -> ExportSet:
    """The install set of a target whose every plan passed the check (`export/refusals.py`
    refuses the others first); a file whose hash cannot pin it is marked (`ExportFile.bad`)."""
    by_key = _index_lock(lock.locked)
    merged: dict[tuple[str, str, str | None], ExportPackage] = {}
    for result in results:
        supported = SupportedTags.for_target(result.plan.tags)
        for selected in result.check.packages:
            package = by_key[(selected.name, selected.version, selected.source)]
            item = _export_package(package, supported, policy, result.plan.python)
            previous = merged.get(item.key)
            merged[item.key] = item if previous is None else _merge(previous, item)
    packages = tuple(sorted(merged.values(), key=lambda p: (p.name, p.version, p.source or "")))
    warnings = tuple(
        dict.fromkeys(p for r in results for p in r.check.problems if p.severity == "warning")
    )
    return ExportSet(name, tuple(r.plan for r in results), packages, warnings)


def _index_lock(
    locked: Mapping[Package, object],
) -> dict[tuple[str, str, str | None], Package]:
    return {(p.pretty_name, p.pretty_version, p.source_reference): p for p in locked}


def _export_package(
    package: Package, supported: SupportedTags, policy: BinaryPolicy | None, python: str
) -> ExportPackage:
    source_type = package.source_type or ""
    if source_type in ("git", "directory", "hg", "svn", "bzr"):
        raise UsageError(
            f"{package.pretty_name} {package.pretty_version} comes from a {source_type} "
            f"source ({package.source_url}); platform-export writes packages from indexes, "
            "URLs and files only.",
            "Publish it to an index, or install it separately.",
        )
    files = tuple(
        _export_file(package, filename) for filename in usable_files(package, supported, policy)
    )
    kind: Kind = "url" if source_type == "url" else "file" if source_type == "file" else "index"
    return ExportPackage(
        name=canonicalize_name(package.name),
        version=package.pretty_version,
        kind=kind,
        source=None if kind != "index" else package.source_reference,
        location=package.source_url if kind != "index" else None,
        files=files,
        pythons=(python,),
    )


def _export_file(package: Package, filename: str) -> ExportFile:
    hashes = file_hashes(package, filename)
    fault = hash_fault(hashes)
    if fault is None:
        return ExportFile(filename, _split_hash(verifiable_hash(hashes) or ""))
    return ExportFile(filename, (), BadHash(filename, fault, next((v for v in hashes if v), "")))


def _split_hash(value: str) -> tuple[tuple[str, str], ...]:
    algorithm, sep, digest = value.partition(":")
    return ((algorithm, digest),) if sep and digest else ()


def _merge(a: ExportPackage, b: ExportPackage) -> ExportPackage:
    from dataclasses import replace

    files = tuple({f.name: f for f in (*a.files, *b.files)}.values())
    return replace(a, files=files, pythons=tuple(dict.fromkeys((*a.pythons, *b.pythons))))
