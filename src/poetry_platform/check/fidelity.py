"""A variant is a promise: prove from the install set that it delivers its accelerator.

A lock can install cleanly and still be wrong: `jax[cuda13]` resolved, for some Python, to
a jax release that has no `cuda13` extra gives a "cuda13" install that is CPU-only JAX; the
inferred `cpu` variant of a project taking PyTorch from PyPI installs the CUDA build and
~3 GB of `nvidia-*` wheels. Poetry only warns while locking, so the check is made here,
offline, on the exact set an install takes (`install_set.select_locked`):

1. If the variant does not run on the target (its `requires.markers` are false there),
   nothing is promised and nothing is checked.
2. `provides` declared: at least one pattern must match a package of the set. When none
   matches any package of the whole lock, the glob itself is the likely cause (a typo):
   that is the verdict, and nothing else is read from the lock for it.
3. Otherwise, for a variant with extras: where a known family is installed (`jax`,
   `torch`), one of that family's builds must be in the set; else (CPU variants excepted)
   the extras must add at least one distribution the set without them lacks.
4. `forbids`: every package of the set matching one (and no `!` exception) is reported
   with who requires it.

When the promise is broken the lock is read for the cause: the project's requirement that
should have brought the accelerator (`jax[cuda13]`), the locked release it resolved to for
this target, and whether that release has the extra at all (the lock's `[package.extras]`).
Everything is data (`problems.py`: causes and remedies by kind, with their facts);
`problems()` turns it into the check's `Problem`s, and `render.py` words all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

from poetry_platform.accelerators import JAX_PACKAGES
from poetry_platform.accelerators import TORCH
from poetry_platform.check.remedies import remedies
from poetry_platform.lockset.problems import Cause
from poetry_platform.lockset.problems import CauseKind
from poetry_platform.lockset.problems import ForbiddenPackage
from poetry_platform.lockset.problems import ForbidRemedy
from poetry_platform.lockset.problems import MissingAccelerator
from poetry_platform.lockset.problems import Problem
from poetry_platform.lockset.problems import Rule
from poetry_platform.lockset.problems import requirement_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package

    from poetry_platform.check.declared import Declared
    from poetry_platform.lockset.lock import Relations
    from poetry_platform.model import Variant

    # (package, extra) -> (first release with the extra, its Requires-Python), or None when
    # the index did not answer in time; see `check/first_release.py`.
    FirstRelease = Callable[[str, str], tuple[str, str] | None]


def matches(pattern: str, package: Package) -> bool:
    """`pattern` (already normalized, see `patterns.normalize_pattern`) against a package.

    `name+label` also needs the version's local label to match `label`; a package without
    a local label never matches such a pattern.
    """
    name_glob, plus, label_glob = pattern.partition("+")
    if not fnmatchcase(canonicalize_name(package.name), name_glob):
        return False
    if not plus:
        return True
    _, has_label, label = package.version.text.partition("+")
    return bool(has_label) and fnmatchcase(label.lower(), label_glob)


@dataclass(frozen=True)
class Fidelity:
    """What one variant delivers on one target: the verdict and its evidence."""

    variant: str
    applies: bool = True
    missing: MissingAccelerator | None = None
    forbidden: tuple[ForbiddenPackage, ...] = ()
    # The packages that kept the promise (empty when nothing was promised or it failed).
    delivered_by: tuple[str, ...] = ()

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if self.missing is not None:
            out.append(Problem("missing-accelerator", self.missing))
        out += [
            Problem("forbidden-package", f, f.package, f.version, "warning") for f in self.forbidden
        ]
        return out


def judge(
    variant: Variant,
    *,
    python: str,
    selected: Sequence[Package],
    without_extras: Callable[[], Sequence[Package]],
    locked: Iterable[Package],
    relations: Callable[[Package], Relations],
    requirements: Iterable[Dependency],
    marker_env: Mapping[str, Any],
    target: str | None = None,
    first_release: FirstRelease | None = None,
    declared: Declared | None = None,
) -> Fidelity:
    """The verdict for `variant` on one target (see the module docstring for the rule).

    `selected` is the target's install set with the variant's extras, `without_extras` gives
    the same set without them (called only for the generic rule: selecting costs); `locked`
    every locked package (to find a release with the extra) and `relations` what the lock
    says each needs; `requirements` the project's own dependencies in the target's groups;
    `declared` the project's requirement strings as written, for fixes that are exact edits.
    """
    req = variant.requires
    env = {k: str(v) for k, v in marker_env.items() if k != "extra"}
    if req.markers is not None and not req.markers.evaluate(env):
        return Fidelity(variant.name, applies=False)

    promise = variant.promise
    forbidden = _with_torch_fix(
        _forbidden(variant.name, promise.forbids, selected, relations, requirements),
        variant,
        python,
        selected,
        declared,
    )

    rule, patterns, families = _expectation(variant, selected)
    if rule is None:
        return Fidelity(variant.name, forbidden=forbidden)
    if rule != "adds-a-package":
        delivered = [p for p in selected if any(matches(pat, p) for pat in patterns)]
    else:
        before = {p.name for p in without_extras()}
        delivered = [p for p in selected if p.name not in before]
    if delivered:
        names = tuple(sorted({f"{p.pretty_name} {p.pretty_version}" for p in delivered}))
        return Fidelity(variant.name, forbidden=forbidden, delivered_by=names)

    locked = list(locked)
    if rule == "declared" and not any(matches(pat, p) for p in locked for pat in patterns):
        before = {p.name for p in without_extras()} if variant.extras else set()
        added = tuple(sorted({p.name for p in selected if variant.extras and p.name not in before}))
        unmatched = MissingAccelerator(
            variant.name,
            python,
            rule,
            patterns,
            families,
            tuple(variant.extras),
            (),
            (),
            True,
            added,
        )
        return Fidelity(variant.name, missing=unmatched, forbidden=forbidden)
    causes = tuple(_causes(variant, selected, locked, relations, requirements, marker_env, python))
    missing = MissingAccelerator(
        variant.name,
        python,
        rule,
        patterns,
        families,
        tuple(variant.extras),
        causes,
        tuple(remedies(causes, python, target, first_release, declared)),
        unmatched=_unmatched(rule, patterns, locked),
    )
    return Fidelity(variant.name, missing=missing, forbidden=forbidden)


def _unmatched(rule: Rule, patterns: Sequence[str], locked: Sequence[Package]) -> tuple[str, ...]:
    """The declared globs that match no locked package: beside one that does, a typo is
    the likelier cause than the lock (`nvidia-cudnn-cu31*` next to `jax-cuda13-plugin`)."""
    if rule != "declared":
        return ()
    return tuple(pat for pat in patterns if not any(matches(pat, p) for p in locked))


def _expectation(
    variant: Variant, selected: Sequence[Package]
) -> tuple[Rule | None, tuple[str, ...], tuple[str, ...]]:
    """(which rule or `None` when nothing is promised, its patterns, the families)."""
    promise = variant.promise
    if promise.provides is not None:
        if not promise.provides:
            return None, (), ()
        return "declared", promise.provides, ()
    if not variant.extras:
        return None, (), ()
    present = {p.name for p in selected}
    families = [f for f in promise.families if present & set(f.present)]
    if families:
        patterns = tuple(dict.fromkeys(p for f in families for p in f.provides))
        return "family", patterns, tuple(dict.fromkeys(f.family for f in families))
    if not promise.generic:
        return None, (), ()
    return "adds-a-package", (), ()


def _causes(
    variant: Variant,
    selected: Sequence[Package],
    locked: Sequence[Package],
    relations: Callable[[Package], Relations],
    requirements: Iterable[Dependency],
    marker_env: Mapping[str, Any],
    python: str,
) -> list[Cause]:
    wanted = {canonicalize_name(e) for e in variant.extras}
    env = dict(marker_env)
    env["extra"] = wanted
    by_name: dict[str, list[Package]] = {}
    for package in selected:
        by_name.setdefault(package.name, []).append(package)
    present = {p.name for p in selected}
    out: list[Cause] = []
    for dep in requirements:
        if not {canonicalize_name(e) for e in dep.in_extras} & wanted:
            continue
        text = requirement_text(dep)
        if not dep.marker.validate(env):
            out.append(Cause(text, "not-applicable", dep.pretty_name, None, None, python))
            continue
        chosen = by_name.get(dep.name, [])
        if not chosen:
            out.append(Cause(text, "not-selected", dep.pretty_name, None, None, python))
            continue
        for extra in sorted(canonicalize_name(e) for e in dep.extras):
            for package in chosen:
                out.extend(_extra_cause(text, package, extra, locked, relations, present, python))
    return out


def _extra_cause(
    requirement: str,
    package: Package,
    extra: str,
    locked: Sequence[Package],
    relations: Callable[[Package], Relations],
    present: Collection[str],
    python: str,
) -> list[Cause]:
    extras = relations(package).extras
    first, first_python = _first_with_extra(package.name, extra, locked, relations)
    if extra not in extras:
        kind: CauseKind = "no-extra"
        listed = tuple(sorted(extras))
    else:
        kind, listed = "extra-excluded", tuple(sorted(extras[extra]))
        if any(name in present for name in listed):
            return []
    return [
        Cause(
            requirement,
            kind,
            package.pretty_name,
            package.pretty_version,
            extra,
            python,
            listed,
            first,
            first_python,
        )
    ]


def _first_with_extra(
    name: str, extra: str, locked: Sequence[Package], relations: Callable[[Package], Relations]
) -> tuple[str | None, str | None]:
    """The oldest locked release of `name` that has `extra`, and its Python range."""
    having = [p for p in locked if p.name == name and extra in relations(p).extras]
    if not having:
        return None, None
    first = min(having, key=lambda p: p.version)
    return first.pretty_version, first.python_versions


def _forbidden(
    variant: str,
    patterns: Sequence[str],
    selected: Sequence[Package],
    relations: Callable[[Package], Relations],
    requirements: Iterable[Dependency],
) -> list[ForbiddenPackage]:
    """Each package matching a forbids pattern and none of its `!` exceptions."""
    if not patterns:
        return []
    allowed = [p[1:] for p in patterns if p.startswith("!")]
    patterns = [p for p in patterns if not p.startswith("!")]
    roots = {d.name for d in requirements}
    out: list[ForbiddenPackage] = []
    for package in sorted(selected, key=lambda p: p.name):
        pattern = next((pat for pat in patterns if matches(pat, package)), None)
        if pattern is None or any(matches(a, package) for a in allowed):
            continue
        required_by = sorted(
            {
                f"{p.pretty_name} {p.pretty_version}"
                for p in selected
                if package.name in relations(p).requires
            }
        )
        if package.name in roots:
            required_by.insert(0, "the project")
        out.append(
            ForbiddenPackage(
                variant,
                package.pretty_name,
                package.pretty_version,
                pattern,
                tuple(required_by),
                _forbid_remedy(package, _ancestors(package, selected, relations)),
            )
        )
    return out


def _ancestors(
    package: Package, selected: Sequence[Package], relations: Callable[[Package], Relations]
) -> set[str]:
    """Names of every package in the set that brings `package`, directly or not."""
    parents: dict[str, set[str]] = {}
    for p in selected:
        for name in relations(p).requires:
            parents.setdefault(name, set()).add(p.name)
    seen: set[str] = set()
    todo: list[str] = [package.name]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _with_torch_fix(
    found: Sequence[ForbiddenPackage],
    variant: Variant,
    python: str,
    selected: Sequence[Package],
    declared: Declared | None,
) -> tuple[ForbiddenPackage, ...]:
    """The findings PyTorch's CUDA build brings, with the exact fix where one is known
    (`check/cpu_source.py`: torch from the project's CPU source)."""
    if not any(f.remedy == "torch-cpu-index" for f in found):
        return tuple(found)
    from dataclasses import replace

    from poetry_platform.check.cpu_source import torch_fix

    sources = {p.source_reference for p in selected if p.name == TORCH}
    fix = torch_fix(variant, python, declared, sources)
    return tuple(replace(f, fix=fix) if f.remedy == "torch-cpu-index" else f for f in found)


def _forbid_remedy(package: Package, requirers: set[str]) -> ForbidRemedy:
    """The fix, from the family that brings the package (transitively)."""
    if TORCH in requirers or package.name == TORCH:
        return "torch-cpu-index"
    if requirers & set(JAX_PACKAGES):
        return "jax-into-cuda-extras"
    return "keep-out"
