"""Why an entry does not move, or stops short, as data: one frozen dataclass per kind.

`up/report.py` words them; nothing compares text. `Held` is an entry not bumped and its
reason; `HeldKind` is the `kind` in the JSON report (docs/bumping.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from poetry.core.constraints.version import Version
    from poetry.core.constraints.version import VersionConstraint

    from poetry_platform.index.model import Unreadable
    from poetry_platform.up import constraints
    from poetry_platform.up.declarations import Declaration

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
    "unreadable",
    "unknown",
    "ignored",
]

# --- why an entry does not move, as data (`up.report` words it, nothing compares text) ------


@dataclass(frozen=True)
class Skipped:
    """The bump rules leave this constraint alone (`constraints.decide`)."""

    rule: constraints.SkipRule
    detail: str = ""  # the parser's reason for an unsupported constraint

    @property
    def kind(self) -> HeldKind:
        return {
            "pin": "pinned",
            "wildcard-kept": "wildcard",
            "allows-every": "no-newer",
            "unsupported": "unsupported",
            "upper-only": "unsupported",
        }[self.rule]  # type: ignore[return-value]


@dataclass(frozen=True)
class Excluded:
    option: Literal["exclude", "zero-caret"]
    kind: HeldKind = "excluded"


@dataclass(frozen=True)
class NotIndex:
    source_kind: str  # vcs, path, url, ...
    kind: HeldKind = "not-index"


@dataclass(frozen=True)
class Ignored:
    """Poetry does not lock this [tool.poetry] entry: `listed_in` lists the group's
    dependencies, and [tool.poetry] entries only add details to those."""

    listed_in: str
    kind: HeldKind = "ignored"


@dataclass(frozen=True)
class NoNewer:
    newest: Version | None  # None: no release at all in the search range
    kind: HeldKind = "no-newer"


@dataclass(frozen=True)
class PythonBlock:
    """The first release past the chosen one that this entry's Pythons cannot use."""

    package: str
    version: Version
    requires_python: str
    used_on: VersionConstraint  # every Python the entry is used on
    and_later: bool  # every newer release in range is blocked too
    kind: HeldKind = "python"


@dataclass(frozen=True)
class MemberBlock:
    """Another member of the unit (a variant, a linked package) lacks the newer version."""

    kind: Literal["linked", "variant"]
    packages: tuple[str, ...]
    version: Version
    where: str | None  # the source that lacks it, when one member does
    python: tuple[Version, str] | None = None  # blocked by that member's Requires-Python


@dataclass(frozen=True)
class NoCompanion:
    """The anchor (torch) cannot move to `version`: a companion (torchvision) has no
    release built for it."""

    package: str  # the companion
    anchor: str
    version: Version  # the anchor's version it lacks a build for
    where: str
    kind: HeldKind = "linked"


@dataclass(frozen=True)
class BuiltFor:
    """A companion's newer release is built for another anchor version than the chosen one."""

    package: str
    version: Version  # the companion's first newer release
    anchor: str
    requirement: str | None  # its requirement on the anchor; None: unknown
    anchor_version: Version  # the anchor's version in the plan
    kind: HeldKind = "linked"


@dataclass(frozen=True)
class ConstraintBlock:
    """An entry that does not move (pin, other group, exclusion) bounds the version."""

    package: str
    constraint: str
    section: str
    why: FixedWhy
    kind: HeldKind = "constraint"


@dataclass(frozen=True)
class CouldNotRead:
    """A source failed for this entry or a member of its unit: nothing is decided."""

    package: str
    error: Unreadable
    kind: HeldKind = "unreadable"


@dataclass(frozen=True)
class Rejected:
    """The resolver refused the bump (`up.relock`); `message` is the solver's."""

    message: str
    kind: HeldKind = "resolver"


@dataclass(frozen=True)
class Unexplained:
    version: Version
    kind: HeldKind = "unknown"


Reason = (
    Skipped
    | Excluded
    | NotIndex
    | Ignored
    | NoNewer
    | PythonBlock
    | MemberBlock
    | NoCompanion
    | BuiltFor
    | ConstraintBlock
    | CouldNotRead
    | Rejected
    | Unexplained
)
FixedWhy = Literal["group", "not-selected", "excluded", "zero-caret", "pinned", "skipped"]


@dataclass(frozen=True)
class Held:
    """A declaration that is not bumped, and why (one line for the user)."""

    decl: Declaration
    reason: Reason
    unit: int | None = None

    @property
    def kind(self) -> HeldKind:
        return self.reason.kind
