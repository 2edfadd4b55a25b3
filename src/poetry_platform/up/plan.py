"""From declarations and release lists to a plan: what moves where, and why the rest does not.

Pure: the caller fetches release lists (`lookup`) and hands them in, so every rule here is
tested with literal versions. The steps:

1. each declaration in scope is either skipped with a reason (`constraints.decide`) or
   becomes a `Candidate` with one `Context` per place it is looked up (an explicit source,
   a Python range, the local label it must keep);
2. candidates, the declarations that must not move (pins, exclusions, other groups) and
   locked members of a family are grouped into units that share one version
   (`families.units`);
3. for each unit the chosen version is the newest public version every member can take:
   inside the member's search range, not yanked, a pre-release only where allowed, and with
   a Requires-Python that admits every Python the member is used on;
4. each candidate's text is rewritten for that version (`constraints.rewrite`), and a unit
   held below the newest release says by what: Python, a linked package, another variant,
   or the constraint of an entry that does not move.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Literal

from packaging.utils import canonicalize_name
from poetry.core.constraints.version import Version

from poetry_platform.up import constraints
from poetry_platform.up import families
from poetry_platform.up.lookup import Query

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.utils import NormalizedName
    from poetry.core.constraints.version import VersionConstraint
    from poetry.core.packages.dependency import Dependency

    from poetry_platform.up.declarations import Declaration
    from poetry_platform.up.declarations import Declarations
    from poetry_platform.up.lookup import Release

HeldKind = Literal[
    "pinned",
    "wildcard",
    "excluded",
    "unsupported",
    "not-index",
    "no-newer",
    "python",
    "linked",
    "variant",
    "constraint",
    "resolver",
    "unknown",
]


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
    why: str


@dataclass(frozen=True)
class Companion:
    """A locked member of a family that the project does not declare (`jax-cuda13-plugin`)."""

    name: NormalizedName
    context: Context


@dataclass(frozen=True)
class Change:
    decl: Declaration
    old: str
    new: str
    version: Version  # the version chosen for this entry (with its local label, if any)
    unit: int
    note: str | None = None  # a newer release exists but is held back: why


@dataclass(frozen=True)
class Held:
    """A declaration that is not bumped, and why (one line for the user)."""

    decl: Declaration
    kind: HeldKind
    reason: str
    unit: int | None = None


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    # releases whose Requires-Python is unknown and that could be chosen: read their metadata
    unknown_python: list[tuple[str, Release]] = field(default_factory=list)

    def units(self) -> dict[int, list[Change]]:
        out: dict[int, list[Change]] = {}
        for change in self.changes:
            out.setdefault(change.unit, []).append(change)
        return out


def _mentions_prerelease(text: str) -> bool:
    try:
        spec = constraints.parse(text)
    except constraints.UnsupportedConstraint:
        return False
    for clause in spec.clauses:
        if clause.version == "*":
            continue
        try:
            if Version.parse(clause.version.removesuffix(".*")).is_unstable():
                return True
        except ValueError:
            continue
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

    def freeze(d: Declaration, why: str) -> None:
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
        if d.kind != "index":
            if d.key in in_scope:
                out.held.append(Held(d, "not-index", f"from {d.kind}: not bumped"))
            continue
        if d.key not in in_scope:
            freeze(d, "its group is not selected")
            continue
        if scope.packages and d.name not in scope.packages:
            freeze(d, "not selected")
            continue
        if d.name in scope.exclude:
            out.held.append(Held(d, "excluded", "excluded (--exclude)"))
            freeze(d, "excluded")
            continue
        if scope.exclude_zero_caret and d.version.strip().startswith("^0"):
            out.held.append(Held(d, "excluded", "zero-based caret (--exclude-zero-based-caret)"))
            freeze(d, "zero-based caret")
            continue
        decision = constraints.decide(d.version, rules)
        if isinstance(decision, constraints.Skip):
            kind: HeldKind = "unsupported"
            if decision.style is constraints.Style.PIN:
                kind = "pinned"
            elif decision.style is constraints.Style.ANY:
                kind = "wildcard"
            if decision.reason.startswith("already allows"):
                kind = "no-newer"
            out.held.append(Held(d, kind, decision.reason))
            freeze(d, "an exact pin; --pinned moves it" if kind == "pinned" else decision.reason)
            continue
        out.candidates.append(
            Candidate(d, decision, contexts_for(d, deps.get(d.key, ()), project_python))
        )
    return out


# --- choosing ------------------------------------------------------------------------------


def _public(version: Version) -> Version:
    return version.without_local()


def _local(version: Version) -> str | None:
    text = version.to_string()
    return text.partition("+")[2] or None


@dataclass
class _Options:
    """What one member can take: public version -> full version, and what was filtered."""

    ok: dict[Version, Version] = field(default_factory=dict)
    newest_in_range: Version | None = None  # ignoring Python
    python_block: tuple[Version, str] | None = None  # newest dropped by Requires-Python
    unknown: list[Release] = field(default_factory=list)


def _options(
    releases: Iterable[Release],
    within: VersionConstraint,
    ctx: Context,
) -> _Options:
    opts = _Options()
    for r in releases:
        v = r.version
        if ctx.label is not None and _local(v) != ctx.label:
            continue
        if not (within.allows(v) or within.allows(_public(v))):
            continue
        if v.is_unstable() and not ctx.allow_prereleases:
            continue
        if opts.newest_in_range is None or _public(v) > opts.newest_in_range:
            opts.newest_in_range = _public(v)
        if r.requires_python is None:
            opts.unknown.append(r)
        elif not r.requires_python.allows_all(ctx.python):
            if opts.python_block is None or _public(v) > opts.python_block[0]:
                opts.python_block = (_public(v), r.requires_python_text or "?")
            continue
        current = opts.ok.get(_public(v))
        if current is None or v > current:
            opts.ok[_public(v)] = v
    return opts


@dataclass(frozen=True)
class _Member:
    kind: Literal["candidate", "fixed", "companion"]
    index: int  # into the list of that kind
    name: str
    python: VersionConstraint


def make_plan(
    candidates: Sequence[Candidate],
    fixed: Sequence[Fixed],
    companions: Sequence[Companion],
    releases: Mapping[Query, Sequence[Release]],
    *,
    strategy: constraints.Strategy,
    project_python: VersionConstraint,
    linked: Iterable[Iterable[str]] = (),
) -> Plan:
    linked = [tuple(f) for f in linked]
    members: list[_Member] = []
    for i, c in enumerate(candidates):
        python = project_python
        if c.contexts:
            python = c.contexts[0].python
            for ctx in c.contexts[1:]:
                python = python.union(ctx.python)
        members.append(_Member("candidate", i, c.decl.name, python))
    for i, f in enumerate(fixed):
        members.append(_Member("fixed", i, f.decl.name, f.python))
    for i, comp in enumerate(companions):
        members.append(_Member("companion", i, comp.name, comp.context.python))
    grouped = families.units([families.Member(m.name, m.python) for m in members], linked)

    plan = Plan()
    for unit_id, indices in enumerate(grouped):
        unit = [members[i] for i in indices]
        if not any(m.kind == "candidate" for m in unit):
            continue
        _plan_unit(
            unit_id, unit, candidates, fixed, companions, releases, strategy, project_python, plan
        )
    return plan


def _plan_unit(
    unit_id: int,
    unit: list[_Member],
    candidates: Sequence[Candidate],
    fixed: Sequence[Fixed],
    companions: Sequence[Companion],
    releases: Mapping[Query, Sequence[Release]],
    strategy: constraints.Strategy,
    project_python: VersionConstraint,
    plan: Plan,
) -> None:
    from poetry.core.constraints.version import VersionRange

    # Every (member, context) with the public versions it can take.
    takes: list[tuple[str, str, _Options]] = []  # (who, where, options)
    own: dict[int, list[_Options]] = {}
    for m in unit:
        if m.kind == "candidate":
            c = candidates[m.index]
            for ctx in c.contexts:
                opts = _options(releases.get(ctx.query, ()), c.search.within, ctx)
                own.setdefault(m.index, []).append(opts)
                takes.append((c.decl.pretty_name, _where(ctx), opts))
        elif m.kind == "companion":
            comp = companions[m.index]
            opts = _options(releases.get(comp.context.query, ()), VersionRange(), comp.context)
            takes.append((comp.name, _where(comp.context), opts))

    common: set[Version] | None = None
    for _, _, opts in takes:
        versions = set(opts.ok)
        common = versions if common is None else common & versions
    common = common or set()
    blockers: list[Fixed] = []
    for m in unit:
        if m.kind == "fixed":
            f = fixed[m.index]
            allowed = {v for v in common if f.constraint.allows(v) or _allows_labelled(f, v)}
            if allowed != common:
                blockers.append(f)
            common = allowed
    target = max(common) if common else None

    for name, _, opts in takes:
        for r in opts.unknown:
            if target is None or _public(r.version) >= target:
                plan.unknown_python.append((str(canonicalize_name(name)), r))

    for m in unit:
        if m.kind != "candidate":
            continue
        c = candidates[m.index]
        opts_list = own.get(m.index, [])
        newest = max(
            (o.newest_in_range for o in opts_list if o.newest_in_range is not None),
            default=None,
        )
        if target is None:
            if newest is None:
                plan.held.append(Held(c.decl, "no-newer", "no release found in its range", unit_id))
            else:
                kind, why = _why_held(c, newest, opts_list, takes, blockers, project_python)
                plan.held.append(Held(c.decl, kind, why, unit_id))
            continue
        full = next((o.ok[target] for o in opts_list if target in o.ok), target)
        new_text = constraints.rewrite(c.decl.version, full, strategy, pep440=c.decl.pep440)
        note = None
        if newest is not None and newest > target:
            _, note = _why_held(c, newest, opts_list, takes, blockers, project_python)
        if new_text == c.decl.version:
            if note is not None:
                kind, _ = _why_held(c, newest or target, opts_list, takes, blockers, project_python)
                plan.held.append(Held(c.decl, kind, note, unit_id))
            else:
                plan.held.append(
                    Held(c.decl, "no-newer", f"no newer release ({target} is the newest)", unit_id)
                )
            continue
        plan.changes.append(Change(c.decl, c.decl.version, new_text, full, unit_id, note))


def _allows_labelled(f: Fixed, public: Version) -> bool:
    """A fixed `==2.8.0+cpu` admits public version 2.8.0."""
    text = f.decl.version
    if "+" not in text:
        return False
    try:
        spec = constraints.parse(text)
    except constraints.UnsupportedConstraint:
        return False
    for clause in spec.clauses:
        if "+" in clause.version:
            base = clause.version.partition("+")[0]
            try:
                return Version.parse(base) == public
            except ValueError:
                return False
    return False


def _where(ctx: Context) -> str:
    return f"source {ctx.query.source}" if ctx.query.source else "default sources"


def _why_held(
    c: Candidate,
    newest: Version,
    own: list[_Options],
    takes: list[tuple[str, str, _Options]],
    blockers: list[Fixed],
    project_python: VersionConstraint,
) -> tuple[HeldKind, str]:
    """Why `c` cannot reach `newest`: its own Python range first, then whoever else."""
    for o in own:
        if o.python_block is not None and o.python_block[0] >= newest and newest not in o.ok:
            version, requires = o.python_block
            pythons = c.contexts[0].python if c.contexts else project_python
            return (
                "python",
                f"held back by Python: {c.decl.pretty_name} {version} requires Python "
                f"{requires}, the project supports {pythons}",
            )
    lacking = [
        (name, where, o)
        for name, where, o in takes
        if not any(o is mine for mine in own) and newest not in o.ok
    ]
    if lacking:
        name, where, o = lacking[0]
        kind: HeldKind = "variant" if name == c.decl.pretty_name else "linked"
        what = "another variant" if kind == "variant" else "a linked package"
        if o.python_block is not None and o.python_block[0] >= newest:
            detail = f"{name} {o.python_block[0]} requires Python {o.python_block[1]}"
        elif len(lacking) == 1:
            detail = f"no {name} {newest} in {where}"
        else:
            names = sorted({n for n, _, _ in lacking})
            what = "other variants" if kind == "variant" else "linked packages"
            detail = f"no {newest} of {', '.join(names)}"
        return kind, f"held back by {what}: {detail}"
    for f in blockers:
        if not f.constraint.allows(newest):
            return (
                "constraint",
                f"held back by {f.decl.pretty_name} {f.decl.version or '*'} in {f.decl.where}"
                f" ({f.why})",
            )
    return "unknown", f"held back: {newest} is not available to every linked entry"
