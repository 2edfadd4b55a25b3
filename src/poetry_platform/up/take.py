"""The take stage: which declarations may move (`Candidate`s, each with the `Context`s it is
looked up in), which only constrain (`Fixed`), and which are held with a reason.

Pure: declarations and the dependencies Poetry would lock for them in, `Classified` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from poetry.core.constraints.version import Version

from poetry_platform.index.model import Query
from poetry_platform.up import constraints
from poetry_platform.up.reasons import Excluded
from poetry_platform.up.reasons import FixedWhy
from poetry_platform.up.reasons import Held
from poetry_platform.up.reasons import Ignored
from poetry_platform.up.reasons import NotIndex
from poetry_platform.up.reasons import Skipped

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.utils import NormalizedName
    from poetry.core.constraints.version import VersionConstraint
    from poetry.core.packages.dependency import Dependency

    from poetry_platform.up.declarations import Declaration
    from poetry_platform.up.declarations import Declarations


@dataclass(frozen=True)
class Context:
    """One place a declaration is looked up, and what a release must satisfy there."""

    query: Query
    python: VersionConstraint  # the Pythons the entry is used on
    allow_prereleases: bool
    label: str | None  # the local label (`cpu`) the old constraint carried, kept on bump


@dataclass(frozen=True)
class Candidate:
    decl: Declaration
    search: constraints.Search
    contexts: tuple[Context, ...]


@dataclass(frozen=True)
class Fixed:
    """A declaration that does not move; the chosen version must still satisfy it."""

    decl: Declaration
    constraint: VersionConstraint
    python: VersionConstraint
    why: FixedWhy


@dataclass(frozen=True)
class Companion:
    """A locked member of a family that the project does not declare (`jax-cuda13-plugin`)."""

    name: NormalizedName
    context: Context


def _mentions_prerelease(text: str) -> bool:
    """Whether the constraint asks for pre-releases by naming one (`>=2.0b1`), as PEP 440
    reads a specifier: an exclusion (`!=2.1.0rc1`, leaving out one broken candidate) asks
    for none (packaging's `Specifier.prereleases` is None for it)."""
    try:
        spec = constraints.parse(text)
    except constraints.UnsupportedConstraint:
        return False
    for clause in spec.clauses:
        if clause.op == "!=":
            continue
        try:  # Poetry reads `==2.0b1.*` as >=2.0b1.dev0,<2.0b2.dev0: pre-releases only
            if Version.parse(clause.version.removesuffix(".*")).is_unstable():
                return True
        except ValueError:
            continue  # `*`
    return False


def _label(text: str) -> str | None:
    try:
        spec = constraints.parse(text)
    except constraints.UnsupportedConstraint:
        return None
    for clause in spec.clauses:
        if "+" in clause.version:
            return clause.version.partition("+")[2]
    return None


def contexts_for(
    decl: Declaration, deps: Sequence[Dependency], project_python: VersionConstraint
) -> tuple[Context, ...]:
    """One context per dependency Poetry would lock for `decl` (enrichment splits it)."""
    label = _label(decl.version)
    out = []
    for dep in deps:
        allow = dep.allows_prereleases() is True or _mentions_prerelease(decl.version)
        out.append(
            Context(
                query=Query(dep.name, dep.source_name),
                python=project_python.intersect(dep.python_constraint),
                allow_prereleases=allow,
                label=label,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Scope:
    """What the user asked to bump: groups (already expanded by Poetry), names, exclusions."""

    groups: frozenset[str]
    packages: frozenset[str] = frozenset()  # empty: every package
    exclude: frozenset[str] = frozenset()
    exclude_zero_caret: bool = False


@dataclass
class Classified:
    candidates: list[Candidate] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)


def classify(
    decls: Declarations,
    deps: Mapping[str, Sequence[Dependency]],
    scope: Scope,
    rules: constraints.Rules,
    project_python: VersionConstraint,
) -> Classified:
    """Split declarations into candidates, entries that only constrain, and skips with reasons.

    Entries outside the scope (another group, another package, an exclusion) still take part
    as `Fixed`: all groups share one lock, so a bump must fit them too.
    """
    from poetry.core.constraints.version import parse_constraint

    out = Classified()
    in_scope = {d.key for d in decls.in_groups(scope.groups)}

    def freeze(d: Declaration, why: FixedWhy) -> None:
        try:
            constraint = parse_constraint(d.version or "*")
        except ValueError:
            return
        python = project_python
        if deps.get(d.key):
            python = project_python.intersect(deps[d.key][0].python_constraint)
        out.fixed.append(Fixed(d, constraint, python, why))

    for d in decls.items:
        if d.enriches and not d.version:
            continue  # only adds a source or markers to a [project] entry
        if d.ignored_for is not None:
            if d.key in in_scope:
                out.held.append(Held(d, Ignored(d.ignored_for)))
            continue
        if d.kind != "index":
            if d.key in in_scope:
                out.held.append(Held(d, NotIndex(d.kind)))
            continue
        if d.key not in in_scope:
            freeze(d, "group")
            continue
        if scope.packages and d.name not in scope.packages:
            freeze(d, "not-selected")
            continue
        if d.name in scope.exclude:
            out.held.append(Held(d, Excluded("exclude")))
            freeze(d, "excluded")
            continue
        if scope.exclude_zero_caret and d.version.strip().startswith("^0"):
            out.held.append(Held(d, Excluded("zero-caret")))
            freeze(d, "zero-caret")
            continue
        decision = constraints.decide(d.version, rules)
        if isinstance(decision, constraints.Skip):
            out.held.append(Held(d, Skipped(decision.rule, decision.detail)))
            freeze(d, "pinned" if decision.rule == "pin" else "skipped")
            continue
        out.candidates.append(
            Candidate(d, decision, contexts_for(d, deps.get(d.key, ()), project_python))
        )
    return out


def locked_companions(
    candidates: list[Candidate],
    decls: Declarations,
    locked: Mapping[str, tuple[str, ...]],
    sources: Mapping[str, str],
    python: VersionConstraint,
    linked: tuple[tuple[str, ...], ...],
) -> list[Companion]:
    """Locked members of a moving family that the project does not declare."""
    from poetry_platform.up.families import anchor_of
    from poetry_platform.up.families import family_key
    from poetry_platform.up.families import is_family

    keys = {family_key(c.decl.name, linked) for c in candidates}
    keys = {k for k in keys if any(is_family(k, c.decl.name) for c in candidates)}
    if not keys:
        return []
    declared = {d.name for d in decls.items}
    out = []
    for name in sorted(locked):
        normalized = canonicalize_name(name)
        if normalized in declared or family_key(normalized, linked) not in keys:
            continue
        if anchor_of(normalized, linked):
            continue  # an undeclared torchvision follows torch in the lock itself
        ctx = Context(Query(normalized, sources.get(normalized)), python, False, None)
        out.append(Companion(normalized, ctx))
    return out
