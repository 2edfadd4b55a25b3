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

Step 1 is `take.py`, the rule of step 3 `filters.py`, the reasons of step 4 `reasons.py`;
this module groups the units (lockstep) and emits the changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Literal

from packaging.utils import canonicalize_name

from poetry_platform.up import constraints
from poetry_platform.up import families
from poetry_platform.up.filters import Options
from poetry_platform.up.filters import allows_labelled
from poetry_platform.up.filters import floor_of
from poetry_platform.up.filters import options
from poetry_platform.up.filters import public_of
from poetry_platform.up.filters import requirement
from poetry_platform.up.reasons import BuiltFor
from poetry_platform.up.reasons import ConstraintBlock
from poetry_platform.up.reasons import CouldNotRead
from poetry_platform.up.reasons import Held
from poetry_platform.up.reasons import MemberBlock
from poetry_platform.up.reasons import NoCompanion
from poetry_platform.up.reasons import NoNewer
from poetry_platform.up.reasons import PythonBlock
from poetry_platform.up.reasons import Reason
from poetry_platform.up.reasons import Unexplained

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from poetry.core.constraints.version import Version
    from poetry.core.constraints.version import VersionConstraint

    from poetry_platform.index.model import Query
    from poetry_platform.index.model import Release
    from poetry_platform.index.model import Unreadable
    from poetry_platform.up.declarations import Declaration
    from poetry_platform.up.take import Candidate
    from poetry_platform.up.take import Companion
    from poetry_platform.up.take import Context
    from poetry_platform.up.take import Fixed


@dataclass(frozen=True)
class Change:
    decl: Declaration
    old: str
    new: str
    version: Version  # the version chosen for this entry (with its local label, if any)
    unit: int
    note: Reason | None = None  # a newer release exists but is held back: why


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    # releases whose Requires-Python is unknown and that could be chosen: read their metadata
    unknown_python: list[tuple[str, Release]] = field(default_factory=list)
    # companion releases (torchvision) whose requirement on their anchor (torch) is unknown
    unknown_requirements: list[tuple[str, Release]] = field(default_factory=list)

    def units(self) -> dict[int, list[Change]]:
        out: dict[int, list[Change]] = {}
        for change in self.changes:
            out.setdefault(change.unit, []).append(change)
        return out


# --- choosing ------------------------------------------------------------------------------


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
    unreadable: Mapping[Query, Unreadable] | None = None,
    trust_unknown: bool = True,
    requirements: Mapping[tuple[str, str, str], str] | None = None,
) -> Plan:
    """One version per unit; every candidate either changes or is held with a reason.

    A unit with a member whose source could not be read is not decided at all: each of
    its candidates is held with `CouldNotRead`, never reported as up to date.
    `requirements` gives, per companion release (name, version, repository), its
    requirement on its anchor (`==2.9.0`; empty: none); what is missing is listed in
    `Plan.unknown_requirements` and trusted while `trust_unknown`.
    """
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
    grouped = _split_anchorless(grouped, members, linked)

    plan = Plan()
    inputs = _Inputs(
        candidates,
        fixed,
        companions,
        releases,
        unreadable or {},
        strategy,
        trust_unknown,
        requirements or {},
        tuple(tuple(f) for f in linked),
    )
    for unit_id, indices in enumerate(grouped):
        unit = [members[i] for i in indices]
        if not any(m.kind == "candidate" for m in unit):
            continue
        _plan_unit(unit_id, unit, inputs, plan)
    return plan


@dataclass(frozen=True)
class _Inputs:
    candidates: Sequence[Candidate]
    fixed: Sequence[Fixed]
    companions: Sequence[Companion]
    releases: Mapping[Query, Sequence[Release]]
    unreadable: Mapping[Query, Unreadable]
    strategy: constraints.Strategy
    trust_unknown: bool
    requirements: Mapping[tuple[str, str, str], str]
    linked: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Take:
    """One (member, place) and the versions it can take there."""

    name: str
    where: str
    opts: Options
    own_of: int | None  # the candidate index, for a candidate's own contexts
    anchor: str | None = None  # a companion: the package it is built against
    floor: Version | None = None  # a companion: no need to know releases below this one


def _split_anchorless(
    grouped: list[list[int]], members: Sequence[_Member], linked: Iterable[Iterable[str]]
) -> list[list[int]]:
    """A PyTorch unit without torch moving or locked: each package on its own (the
    companions' requirement on torch is then the resolver's to meet)."""
    out: list[list[int]] = []
    for indices in grouped:
        anchored = [i for i in indices if families.anchor_of(members[i].name, linked)]
        anchors = {families.anchor_of(members[i].name, linked) for i in anchored}
        present = any(
            members[i].kind != "fixed" and canonicalize_name(members[i].name) in anchors
            for i in indices
        )
        if not anchored or present:
            out.append(indices)
            continue
        by_name: dict[str, list[int]] = {}
        for i in indices:
            by_name.setdefault(canonicalize_name(members[i].name), []).append(i)
        out.extend(by_name.values())
    return sorted(out, key=lambda g: g[0])


def _builds_for(
    take: _Take, anchor: Sequence[Version], inputs: _Inputs, unknown: list[tuple[str, Release]]
) -> Iterable[tuple[Version, str | None]]:
    """The companion's releases (public version, requirement on its anchor), newest first,
    that admit one of the `anchor` versions (a public version and its labelled builds).
    Unknown requirements at or above the take's floor are listed in `unknown` (all at once,
    so that one round of metadata reads settles them) and admitted while trusted."""
    for public in sorted(take.opts.release, reverse=True):
        r = take.opts.release[public]
        key = (str(canonicalize_name(take.name)), r.version.to_string(), r.repository)
        text = inputs.requirements.get(key)
        if text is None:
            if take.floor is None or public >= take.floor:
                unknown.append((key[0], r))
            if inputs.trust_unknown:
                yield public, None
            continue
        constraint = requirement(text)
        if constraint is not None and any(constraint.allows(v) for v in anchor):
            yield public, text


def _unreadable_in(unit: list[_Member], inputs: _Inputs) -> CouldNotRead | None:
    for m in unit:
        if m.kind == "candidate":
            c = inputs.candidates[m.index]
            for ctx in c.contexts:
                if ctx.query in inputs.unreadable:
                    return CouldNotRead(c.decl.pretty_name, inputs.unreadable[ctx.query])
        elif m.kind == "companion":
            comp = inputs.companions[m.index]
            if comp.context.query in inputs.unreadable:
                return CouldNotRead(str(comp.name), inputs.unreadable[comp.context.query])
    return None


def _plan_unit(unit_id: int, unit: list[_Member], inputs: _Inputs, plan: Plan) -> None:
    """One unit: what each member can take, the one version they share, each change."""
    failed = _unreadable_in(unit, inputs)
    if failed is not None:
        for m in unit:
            if m.kind == "candidate":
                plan.held.append(Held(inputs.candidates[m.index].decl, failed, unit_id))
        return
    takes = _takes(unit, inputs)
    step = _lockstep(unit, takes, inputs)
    for take in takes:
        for r in take.opts.unknown:
            if step.target is None or public_of(r.version) >= step.target:
                plan.unknown_python.append((str(canonicalize_name(take.name)), r))
    for m in unit:
        if m.kind == "candidate":
            _emit(inputs.candidates[m.index], m.index, takes, step, inputs, unit_id, plan)
    known = set(plan.unknown_requirements)
    plan.unknown_requirements.extend(u for u in dict.fromkeys(step.unknown) if u not in known)


def _takes(unit: list[_Member], inputs: _Inputs) -> list[_Take]:
    """What each candidate (in each of its contexts) and each companion can take."""
    from poetry.core.constraints.version import VersionRange

    takes: list[_Take] = []
    for m in unit:
        if m.kind == "candidate":
            c = inputs.candidates[m.index]
            for ctx in c.contexts:
                opts = options(
                    inputs.releases.get(ctx.query, ()),
                    c.search.within,
                    ctx,
                    trust_unknown=inputs.trust_unknown,
                )
                anchor = families.anchor_of(c.decl.name, inputs.linked)
                floor = floor_of(c.decl.version) if anchor else None
                takes.append(_Take(c.decl.pretty_name, _where(ctx), opts, m.index, anchor, floor))
        elif m.kind == "companion":
            comp = inputs.companions[m.index]
            opts = options(
                inputs.releases.get(comp.context.query, ()),
                VersionRange(),
                comp.context,
                trust_unknown=inputs.trust_unknown,
            )
            anchor = families.anchor_of(comp.name, inputs.linked)
            takes.append(_Take(comp.name, _where(comp.context), opts, None, anchor))
    return takes


@dataclass
class _Lockstep:
    """The unit's one version (`target`), and what held it where it is."""

    inputs: _Inputs
    lockstep: list[_Take]  # members that share the version
    anchored: list[_Take]  # companions, which follow it through their requirement
    blockers: list[Fixed] = field(default_factory=list)  # entries that do not move
    companion_blocks: list[_Take] = field(default_factory=list)
    target: Version | None = None
    unknown: list[tuple[str, Release]] = field(default_factory=list)  # requirements to read

    def builds(self, take: _Take, version: Version) -> list[tuple[Version, str | None]]:
        fulls = [version, *(t.opts.ok[version] for t in self.lockstep if version in t.opts.ok)]
        return list(_builds_for(take, fulls, self.inputs, self.unknown))


def _lockstep(unit: list[_Member], takes: list[_Take], inputs: _Inputs) -> _Lockstep:
    """Lockstep members share one version; companions follow it through their requirement."""
    lockstep = [t for t in takes if t.anchor is None]
    anchored = [t for t in takes if t.anchor is not None]
    if not lockstep:
        lockstep, anchored = takes, []
    step = _Lockstep(inputs, lockstep, anchored)
    common: set[Version] | None = None
    for take in lockstep:
        versions = set(take.opts.ok)
        common = versions if common is None else common & versions
    common = common or set()
    for m in unit:
        if m.kind == "fixed" and not families.anchor_of(m.name, inputs.linked):
            f = inputs.fixed[m.index]
            allowed = {v for v in common if f.constraint.allows(v) or allows_labelled(f, v)}
            if allowed != common:
                step.blockers.append(f)
            common = allowed
    for take in anchored:
        admitted = {v for v in common if step.builds(take, v)}
        if admitted != common:
            step.companion_blocks.append(take)
        common = admitted
    step.target = max(common) if common else None
    return step


def _emit(
    c: Candidate,
    index: int,
    takes: list[_Take],
    step: _Lockstep,
    inputs: _Inputs,
    unit_id: int,
    plan: Plan,
) -> None:
    """The candidate's change to the unit's version, or why it is held."""
    own = [t for t in takes if t.own_of == index]
    if own and any(own[0] is t for t in step.anchored):
        _follow(c, own, step.target, step.builds, inputs, unit_id, plan)
        return
    newest = max(
        (t.opts.newest_in_range for t in own if t.opts.newest_in_range is not None),
        default=None,
    )
    target = step.target
    why = (step.lockstep, step.blockers, step.companion_blocks, step.builds)
    if target is None:
        reason: Reason = NoNewer(None) if newest is None else _why_held(c, None, own, *why)
        plan.held.append(Held(c.decl, reason, unit_id))
        return
    full = next((t.opts.ok[target] for t in own if target in t.opts.ok), target)
    new_text = constraints.rewrite(c.decl.version, full, inputs.strategy, pep440=c.decl.pep440)
    note = None
    if newest is not None and newest > target:
        note = _why_held(c, target, own, *why)
    if new_text == c.decl.version:
        plan.held.append(Held(c.decl, note or NoNewer(target), unit_id))
        return
    plan.changes.append(Change(c.decl, c.decl.version, new_text, full, unit_id, note))


def _follow(
    c: Candidate,
    own: list[_Take],
    target: Version | None,
    builds: Callable[[_Take, Version], list[tuple[Version, str | None]]],
    inputs: _Inputs,
    unit_id: int,
    plan: Plan,
) -> None:
    """A companion (torchvision) moves to its newest release built for the anchor's target."""
    anchor = own[0].anchor or ""
    if target is None:
        plan.held.append(Held(c.decl, NoNewer(None), unit_id))
        return
    best: Version | None = None
    for take in own:
        found = builds(take, target)
        if not found:
            plan.held.append(
                Held(c.decl, NoCompanion(c.decl.pretty_name, anchor, target, take.where), unit_id)
            )
            return
        best = found[0][0] if best is None else min(best, found[0][0])
    assert best is not None
    full = next((t.opts.ok[best] for t in own if best in t.opts.ok), best)
    note: Reason | None = None
    newer = sorted(v for t in own for v in t.opts.ok if v > best)
    if newer:
        first = newer[0]
        r = next(t.opts.release[first] for t in own if first in t.opts.release)
        key = (str(canonicalize_name(c.decl.name)), r.version.to_string(), r.repository)
        note = BuiltFor(c.decl.pretty_name, first, anchor, inputs.requirements.get(key), target)
    new_text = constraints.rewrite(c.decl.version, full, inputs.strategy, pep440=c.decl.pep440)
    if new_text == c.decl.version:
        plan.held.append(Held(c.decl, note or NoNewer(best), unit_id))
        return
    plan.changes.append(Change(c.decl, c.decl.version, new_text, full, unit_id, note))


def _where(ctx: Context) -> str:
    return f"source {ctx.query.source}" if ctx.query.source else "default sources"


def _why_held(
    c: Candidate,
    target: Version | None,
    own: list[_Take],
    takes: list[_Take],
    blockers: list[Fixed],
    companion_blocks: Sequence[_Take] = (),
    builds: Callable[[_Take, Version], list[tuple[Version, str | None]]] | None = None,
) -> Reason:
    """What stops `c` right past `target`: the first release it cannot take, and why.

    Its own Requires-Python when that comes first (naming the first blocked release), else
    the first release it could take but another member of the unit cannot (a variant, a
    linked package, that member's Python), else an entry that does not move.
    """
    blocked = [b for t in own if (b := t.opts.first_blocked(target)) is not None]
    first_python = min(blocked, key=lambda b: b[0]) if blocked else None
    mine = {v for t in own for v in t.opts.ok if target is None or v > target}
    first_other = min(mine) if mine else None
    if first_python is not None and (first_other is None or first_python[0] < first_other):
        version, requires, and_later = first_python
        used_on = next(t.opts.python for t in own if version in t.opts.blocked)
        return PythonBlock(c.decl.pretty_name, version, requires, used_on, and_later)
    if first_other is None:
        return Unexplained(target) if target is not None else NoNewer(None)
    lacking = [t for t in takes if t.own_of != own[0].own_of and first_other not in t.opts.ok]
    if lacking:
        kind: Literal["linked", "variant"] = (
            "variant" if lacking[0].name == c.decl.pretty_name else "linked"
        )
        names = tuple(sorted({t.name for t in lacking}))
        where = lacking[0].where if len(lacking) == 1 else None
        python = None
        if first_other in lacking[0].opts.blocked:
            python = (first_other, lacking[0].opts.blocked[first_other])
        return MemberBlock(kind, names, first_other, where, python)
    for t in companion_blocks:
        if builds is not None and not builds(t, first_other):
            return NoCompanion(t.name, c.decl.pretty_name, first_other, t.where)
    for f in blockers:
        if not f.constraint.allows(first_other):
            return ConstraintBlock(f.decl.pretty_name, f.decl.version or "*", f.decl.where, f.why)
    return Unexplained(first_other)
