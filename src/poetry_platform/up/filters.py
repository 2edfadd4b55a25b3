"""The filters stage: what one member of a unit can take from a release list.

A release is a candidate only inside the member's search range, not yanked (the page said
so), a pre-release only where allowed, with its local label where the constraint has one,
and with a Requires-Python that admits every Python the member is used on: the one rule for
every path (bump, widen, --latest, --pinned, families).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import TYPE_CHECKING

from poetry.core.constraints.version import Version

from poetry_platform.up import constraints

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry.core.constraints.version import VersionConstraint

    from poetry_platform.index.model import Release
    from poetry_platform.up.take import Context
    from poetry_platform.up.take import Fixed


def public_of(version: Version) -> Version:
    return version.without_local() if version.local else version


def local_label(version: Version) -> str | None:
    text = version.to_string()
    return text.partition("+")[2] or None


@dataclass
class Options:
    """What one member can take (public version -> full version), and what was filtered."""

    python: VersionConstraint  # every Python the member is used on
    ok: dict[Version, Version] = field(default_factory=dict)
    release: dict[Version, Release] = field(default_factory=dict)  # public -> the ok release
    newest_in_range: Version | None = None  # ignoring Python
    blocked: dict[Version, str] = field(default_factory=dict)  # by Requires-Python: its text
    unknown: list[Release] = field(default_factory=list)

    def first_blocked(self, after: Version | None) -> tuple[Version, str, bool] | None:
        """The first release past `after` that Requires-Python rules out, its requirement,
        and whether every newer release in range is ruled out too."""
        above = [v for v in self.blocked if after is None or v > after]
        if not above:
            return None
        first = min(above)
        and_later = not any(v > first for v in self.ok)
        return first, self.blocked[first], and_later


def options(
    releases: Iterable[Release],
    within: VersionConstraint,
    ctx: Context,
    *,
    trust_unknown: bool = True,
) -> Options:
    """The one Requires-Python rule, for every path (bump, widen, --latest, --pinned,
    families): a release is a candidate only if its Requires-Python admits every Python
    the entry is used on. An unknown Requires-Python passes while `trust_unknown` (its
    metadata is read before the plan is final) and fails after."""
    opts = Options(ctx.python)
    # a page's releases share a few Requires-Python objects (`lookup._python` is cached):
    # ask each once whether it admits the entry's Pythons, not once per release
    admits: dict[int, bool] = {}
    for r in releases:
        v = r.version
        if ctx.label is not None and local_label(v) != ctx.label:
            continue
        # The range decides on the release itself: PEP 440 (and poetry-core) already
        # admit 2.8.0+cpu wherever they admit 2.8.0, except where it is excluded by name
        # (`!=2.9.0+cpu`), and that exclusion must hold.
        if not within.allows(v):
            continue
        public = public_of(v)
        if v.is_unstable() and not ctx.allow_prereleases:
            continue
        if opts.newest_in_range is None or public > opts.newest_in_range:
            opts.newest_in_range = public
        if r.requires_python is None:
            opts.unknown.append(r)
            if not trust_unknown:
                opts.blocked.setdefault(public, "unknown")
                continue
        elif not _admits(admits, r.requires_python, ctx.python):
            opts.blocked.setdefault(public, r.requires_python_text or str(r.requires_python))
            continue
        current = opts.ok.get(public)
        if current is None or v > current:
            opts.ok[public] = v
            opts.release[public] = r
    for public in opts.ok:
        opts.blocked.pop(public, None)  # another build of that release is fine
    return opts


def _admits(seen: dict[int, bool], requires: VersionConstraint, python: VersionConstraint) -> bool:
    """`requires.allows_all(python)`, remembered per constraint object in `seen` (the
    objects outlive the call, so their ids cannot be reused within it)."""
    key = id(requires)
    answer = seen.get(key)
    if answer is None:
        answer = seen[key] = requires.allows_all(python)
    return answer


def floor_of(text: str) -> Version | None:
    """The lowest public version a constraint admits (`==0.23.0+cpu`: 0.23.0), if any."""
    from poetry.core.constraints.version import parse_constraint

    try:
        lowest = getattr(parse_constraint(text), "min", None)
    except ValueError:  # "" (any version) too: no floor
        return None
    return public_of(lowest) if isinstance(lowest, Version) else None


@lru_cache(maxsize=1024)
def requirement(text: str) -> VersionConstraint | None:
    from poetry.core.constraints.version import parse_constraint

    try:
        return parse_constraint(text or "*")
    except ValueError:
        return None


def allows_labelled(f: Fixed, public: Version) -> bool:
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
