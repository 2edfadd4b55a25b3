"""Bump rules for one version constraint, per style, as pure text-in/text-out functions.

A constraint is rewritten clause by clause so that everything the user wrote and the rule
does not need to touch (spacing, separators, `!=` exclusions, local labels) survives. Every
rule keeps the operator the user chose and the width of the range (a caret stays
major-wide, `~=2.5` keeps allowing every 2.x), and, for the `bump` strategy, the new
constraint admits the new version and nothing below it. Where one clause of the user's
style cannot say both (`~=2.5` moving to 2.19.3), a floor clause is added
(`~=2.19,>=2.19.3`) rather than narrowing the range or switching operators; the floor is
recognised and moved again on the next bump. The rules are documented in docs/bumping.md.

Both syntaxes are handled: PEP 440 specifiers (PEP 508 strings in `[project]` and
`[dependency-groups]`) and Poetry's own (`^`, `~`, bare versions, `*`, space as "and").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING
from typing import Literal

from poetry.core.constraints.version import Version
from poetry.core.constraints.version import VersionRange
from poetry.core.constraints.version import parse_constraint

from poetry_platform.errors import PlatformError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poetry.core.constraints.version import VersionConstraint

Strategy = Literal["bump", "widen", "lock-only"]
STRATEGIES: tuple[Strategy, ...] = ("bump", "widen", "lock-only")


class UnsupportedConstraint(PlatformError, ValueError):
    """A constraint this module will not rewrite; the message is the user-facing reason."""


class Style(Enum):
    """The shape of a constraint, named the way docs/bumping.md names it."""

    ANY = "any version"
    PIN = "exact pin"
    CARET = "caret"
    TILDE = "tilde"
    COMPATIBLE = "compatible release"
    WILDCARD = "wildcard"
    LOWER = "lower bound"
    RANGE = "range"
    UPPER = "upper bound only"


@dataclass(frozen=True)
class Clause:
    op: str  # as written: "", "==", "=", "^", "~", "~=", ">=", ">", "<", "<=", "!="
    gap: str  # whitespace between operator and version, kept on rewrite
    version: str  # as written: "1.2", "1.2.*", "2.5.0+cpu", "*"

    @property
    def text(self) -> str:
        return f"{self.op}{self.gap}{self.version}"


@dataclass(frozen=True)
class Spec:
    """A constraint split into clauses, with the separators written between them."""

    clauses: tuple[Clause, ...]
    seps: tuple[str, ...]
    lead: str = ""
    trail: str = ""

    @property
    def text(self) -> str:
        out = [self.lead]
        for i, clause in enumerate(self.clauses):
            if i:
                out.append(self.seps[i - 1])
            out.append(clause.text)
        out.append(self.trail)
        return "".join(out)


@dataclass(frozen=True)
class Shape:
    style: Style
    anchor: int | None  # the clause that sets the lower bound
    floor: int | None  # a `>=` next to a caret/tilde/~=/wildcard anchor
    upper: int | None
    exclusions: tuple[int, ...]


@dataclass(frozen=True)
class Rules:
    """The options that decide whether and how far a constraint may move."""

    strategy: Strategy = "bump"
    latest: bool = False
    pinned: bool = False
    preserve_wildcard: bool = False


@dataclass(frozen=True)
class Search:
    """Look for the newest release inside `within`, then rewrite the constraint."""

    style: Style
    within: VersionConstraint


SkipRule = Literal["unsupported", "pin", "wildcard-kept", "allows-every", "upper-only"]


@dataclass(frozen=True)
class Skip:
    """Not bumped under the rules: which rule, as data (`up.report` words it).

    `detail` is the parser's reason for an unsupported constraint, empty otherwise.
    """

    style: Style | None
    rule: SkipRule
    detail: str = ""


_CLAUSE_RE = re.compile(
    r"(?P<op>===|~=|==|!=|>=|<=|\^|~|=|>|<)?(?P<gap>\s*)(?P<version>\*|[A-Za-z0-9][A-Za-z0-9.*+!_-]*)"
)
_SEP_RE = re.compile(r"\s*,\s*|\s+")
_OR_RE = re.compile(r"\s*\|\|?\s*")


def parse(text: str) -> Spec:
    """Split a constraint into clauses; refuse what cannot be rewritten safely (unions, ===)."""
    stripped = text.strip()
    if not stripped:  # all of it is spacing: kept once, not as both lead and trail
        return Spec((), (), text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    clauses: list[Clause] = []
    seps: list[str] = []
    pos = 0
    while True:
        m = _CLAUSE_RE.match(stripped, pos)
        if m is None:
            raise UnsupportedConstraint(f"cannot read constraint {text.strip()!r}")
        op = m.group("op") or ""
        if op == "===":
            raise UnsupportedConstraint("arbitrary equality (===) is never bumped")
        version = m.group("version")
        if version != "*":
            try:
                Version.parse(version.removesuffix(".*"))
            except ValueError:
                raise UnsupportedConstraint(f"cannot read constraint {text.strip()!r}") from None
        clauses.append(Clause(op, m.group("gap"), m.group("version")))
        pos = m.end()
        if pos == len(stripped):
            break
        if _OR_RE.match(stripped, pos):
            raise UnsupportedConstraint("a union of ranges (||) is not bumped")
        sep = _SEP_RE.match(stripped, pos)
        if sep is None or sep.end() == pos:
            raise UnsupportedConstraint(f"cannot read constraint {text.strip()!r}")
        seps.append(sep.group(0))
        pos = sep.end()
        if pos == len(stripped):
            raise UnsupportedConstraint(f"cannot read constraint {text.strip()!r}")
    return Spec(tuple(clauses), tuple(seps), lead, trail)


def _kind(clause: Clause) -> str:
    op, version = clause.op, clause.version
    if version == "*":
        return "any" if op in ("", "==", "=") else "bad"
    if op in ("", "==", "="):
        return "wildcard" if version.endswith(".*") else "pin"
    if "*" in version:
        return "bad"
    return {
        "^": "caret",
        "~": "tilde",
        "~=": "compatible",
        ">=": "lower",
        ">": "lower",
        "<": "upper",
        "<=": "upper",
        "!=": "exclude",
    }[op]


_ANCHOR_STYLE = {
    "pin": Style.PIN,
    "caret": Style.CARET,
    "tilde": Style.TILDE,
    "compatible": Style.COMPATIBLE,
    "wildcard": Style.WILDCARD,
}


def shape(spec: Spec) -> Shape:
    kinds = [_kind(c) for c in spec.clauses]
    if not kinds or kinds == ["any"]:
        return Shape(Style.ANY, None, None, None, ())
    if "bad" in kinds or "any" in kinds:
        raise UnsupportedConstraint(f"cannot read constraint {spec.text.strip()!r}")
    anchors = [i for i, k in enumerate(kinds) if k in _ANCHOR_STYLE]
    lowers = [i for i, k in enumerate(kinds) if k == "lower"]
    uppers = [i for i, k in enumerate(kinds) if k == "upper"]
    exclusions = tuple(i for i, k in enumerate(kinds) if k == "exclude")
    if len(anchors) > 1 or len(uppers) > 1 or len(lowers) > 1:
        raise UnsupportedConstraint(
            f"constraint {spec.text.strip()!r} has more than one lower or upper bound"
        )
    upper = uppers[0] if uppers else None
    if anchors:
        anchor = anchors[0]
        if kinds[anchor] == "pin" and (lowers or upper is not None):
            raise UnsupportedConstraint(f"constraint {spec.text.strip()!r} mixes a pin and a range")
        floor = lowers[0] if lowers else None
        if floor is not None and spec.clauses[floor].op != ">=":
            raise UnsupportedConstraint(f"constraint {spec.text.strip()!r} is not a known style")
        return Shape(_ANCHOR_STYLE[kinds[anchor]], anchor, floor, upper, exclusions)
    if lowers:
        style = Style.RANGE if upper is not None else Style.LOWER
        return Shape(style, lowers[0], None, upper, exclusions)
    if upper is not None:
        return Shape(Style.UPPER, None, None, upper, exclusions)
    raise UnsupportedConstraint(
        f"constraint {spec.text.strip()!r} only excludes versions: nothing to bump"
    )


def _constraint(text: str) -> VersionConstraint:
    return parse_constraint(text.strip() or "*")


def _exclusions(spec: Spec, sh: Shape) -> VersionConstraint:
    within: VersionConstraint = VersionRange()
    for i in sh.exclusions:
        within = within.intersect(parse_constraint(spec.clauses[i].text))
    return within


def decide(text: str, rules: Rules) -> Search | Skip:
    """Whether a constraint is bumped under `rules`, and inside which range to look."""
    try:
        spec = parse(text)
        sh = shape(spec)
    except UnsupportedConstraint as e:
        return Skip(None, "unsupported", str(e))
    style = sh.style
    if style is Style.ANY:
        if rules.preserve_wildcard:
            return Skip(style, "wildcard-kept")
        if rules.strategy == "widen":
            return Skip(style, "allows-every")
        return Search(style, VersionRange())
    if style is Style.PIN:
        if not rules.pinned:
            return Skip(style, "pin")
        return Search(style, _exclusions(spec, sh))
    if style is Style.LOWER and rules.strategy == "widen" and not sh.exclusions:
        return Skip(style, "allows-every")
    if style is Style.UPPER and rules.strategy == "bump" and not rules.latest:
        return Skip(style, "upper-only")
    if rules.latest or rules.strategy == "widen":
        return Search(style, _exclusions(spec, sh))
    return Search(style, _constraint(text))


# --- rewriting -----------------------------------------------------------------------------


def _release(text: str) -> tuple[int, ...]:
    return tuple(Version.parse(text.removesuffix(".*")).parts)


def _format(new: Version, precision: int, *, local: bool) -> str:
    """`new` written with at least `precision` release parts, trailing zeros trimmed to it."""
    parts = list(new.parts)
    plain = not (new.is_prerelease() or new.is_postrelease() or new.is_devrelease())
    if plain:
        while len(parts) > precision and parts[-1] == 0:
            parts.pop()
    while len(parts) < precision:
        parts.append(0)
    v = Version.from_parts(
        parts[0],
        parts[1] if len(parts) > 1 else None,
        parts[2] if len(parts) > 2 else None,
        extra=tuple(parts[3:]),
        pre=new.pre,
        post=new.post,
        dev=new.dev,
        local=new.local if local else None,
        epoch=new.epoch,
    )
    return v.to_string()


def _truncate(new: Version, precision: int) -> str:
    parts = list(new.parts[:precision])
    while len(parts) < precision:
        parts.append(0)
    return ".".join(str(p) for p in parts)


def _bump_at(parts: Sequence[int], index: int, precision: int) -> str:
    """The release right past `parts` at position `index` (0 = major), `precision` parts long."""
    out = list(parts[: index + 1])
    while len(out) < index + 1:
        out.append(0)
    out[index] += 1
    while len(out) < max(precision, index + 1):
        out.append(0)
    return ".".join(str(p) for p in out)


def _last_nonzero(parts: tuple[int, ...]) -> int:
    for i in range(len(parts) - 1, -1, -1):
        if parts[i]:
            return i
    return len(parts) - 1


def _moved_upper(clause: Clause, new: Version) -> Clause:
    """An upper bound moved past `new` at the same position (major/minor/patch) as before."""
    if clause.op == "<=":
        precision = len(_release(clause.version))
        text = _format(new, precision, local=False)
        if not parse_constraint(f"<={text}").allows(new.without_local()):
            text = new.without_local().to_string()
        return replace(clause, version=text)
    parts = _release(clause.version)
    return replace(clause, version=_bump_at(new.parts, _last_nonzero(parts), len(parts)))


def _admits(clause: Clause, new: Version) -> bool:
    return parse_constraint(clause.text).allows(new.without_local())


def _lower(text: str) -> Version | None:
    c = _constraint(text)
    if isinstance(c, Version):
        return c
    if isinstance(c, VersionRange):
        return c.min
    lows = [r.min for r in getattr(c, "ranges", []) if isinstance(r, VersionRange)]
    known = [low for low in lows if low is not None]
    return min(known) if known and all(low is not None for low in lows) else None


def rewrite(text: str, new: Version, strategy: Strategy = "bump", *, pep440: bool = False) -> str:
    """The constraint `text` moved to admit `new`; `text` unchanged when nothing has to move.

    `pep440` says the result must be a PEP 440 specifier (no `^`/`~`), as in PEP 508 strings.
    A local label (`+cpu`) is written only where the old constraint had one.
    """
    spec = parse(text)
    sh = shape(spec)
    if strategy == "lock-only":
        return text
    if strategy == "widen" and sh.style is not Style.PIN:
        return _widen(spec, sh, new, text)
    low = _lower(text)
    if low is not None and new <= low:
        return text
    if sh.style is Style.ANY:
        return spec.lead + _fresh(new, pep440=pep440) + spec.trail
    clauses = list(spec.clauses)
    seps = list(spec.seps)
    if sh.upper is not None and not _admits(clauses[sh.upper], new):
        clauses[sh.upper] = _moved_upper(clauses[sh.upper], new)
    if sh.anchor is None:  # upper bound only
        return replace(spec, clauses=tuple(clauses)).text
    anchor = clauses[sh.anchor]
    local = "+" in anchor.version
    if sh.style in (Style.PIN, Style.LOWER, Style.RANGE):
        precision = len(_release(anchor.version))
        op = ">=" if anchor.op == ">" else anchor.op
        clauses[sh.anchor] = replace(anchor, op=op, version=_format(new, precision, local=local))
        return replace(spec, clauses=tuple(clauses)).text  # these styles have no floor
    anchor_text, floor_text = _move_anchor(anchor, sh.style, new, local=local)
    clauses[sh.anchor] = replace(anchor, version=anchor_text)
    if floor_text is None:
        if sh.floor is not None:
            _drop(clauses, seps, sh.floor)
    elif sh.floor is not None:
        clauses[sh.floor] = replace(clauses[sh.floor], version=floor_text)
    else:
        clauses.insert(sh.anchor + 1, Clause(">=", "", floor_text))
        seps.insert(sh.anchor, _separator(spec))
    return replace(spec, clauses=tuple(clauses), seps=tuple(seps)).text


def _separator(spec: Spec) -> str:
    for sep in spec.seps:
        if "," in sep:
            return sep
    return ","


def _drop(clauses: list[Clause], seps: list[str], index: int) -> None:
    del clauses[index]
    if seps:
        del seps[index - 1 if index else 0]


def _move_anchor(
    anchor: Clause, style: Style, new: Version, *, local: bool
) -> tuple[str, str | None]:
    """The anchor's new version text, and a floor version when the anchor alone cannot say it.

    The width is the one the user's operator gives at the user's precision, moved to `new`;
    the lower bound must be `new` itself.
    """
    wildcard = style is Style.WILDCARD
    precision = len(_release(anchor.version))
    target = new if local else new.without_local()

    def build(version: str) -> str:
        return f"{anchor.op}{version}.*" if wildcard else f"{anchor.op}{version}"

    def bounds(version: str) -> tuple[Version | None, Version | None]:
        c = parse_constraint(build(version))
        assert isinstance(c, VersionRange)
        return c.min, c.max

    def starts_at(version: str) -> bool:
        low = bounds(version)[0]
        if low is not None and low.is_devrelease() and not target.is_unstable():
            low = low.without_devrelease()  # `1.4.*` starts at 1.4.dev0: read as 1.4.0
        return low == target

    truncated = _truncate(new, precision)
    _, expected_max = bounds(truncated)
    short = _format(new, precision, local=local)
    full = _format(new, max(precision, len(new.parts)), local=local)
    if not wildcard:
        for version in (short, full):
            if starts_at(version) and bounds(version)[1] == expected_max:
                return version, None
    anchor_version = truncated
    if local and not wildcard and new.local:
        anchor_version += "+" + new.to_string().partition("+")[2]
    shown = f"{anchor_version}.*" if wildcard else anchor_version
    if starts_at(anchor_version):
        return shown, None
    return shown, _format(new, len(new.parts), local=local)


def _fresh(new: Version, *, pep440: bool) -> str:
    """A constraint for a dependency that had none (`*`): what `poetry add` would write."""
    version = new.without_local().to_string()
    if not pep440:
        return f"^{version}"
    upper = parse_constraint(f"^{version}")
    assert isinstance(upper, VersionRange) and upper.max is not None
    return f">={version},<{upper.max.without_devrelease().to_string()}"


def _widen(spec: Spec, sh: Shape, new: Version, text: str) -> str:
    """Keep the lower bound; move only an upper bound that excludes `new`."""
    current = _constraint(text)
    low = _lower(text)
    if current.allows(new.without_local()) or current.allows(new) or (low and new <= low):
        return text
    clauses = list(spec.clauses)
    if sh.style in (Style.RANGE, Style.UPPER, Style.LOWER):
        if sh.upper is not None:
            clauses[sh.upper] = _moved_upper(clauses[sh.upper], new)
        return replace(spec, clauses=tuple(clauses)).text
    if sh.style is Style.ANY:
        return text
    assert sh.anchor is not None
    anchor = clauses[sh.anchor]
    parts = _release(anchor.version)
    if sh.style is Style.CARET:
        index = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
    elif sh.style is Style.TILDE:
        index = 0 if len(parts) == 1 else 1
    elif sh.style is Style.COMPATIBLE:
        index = max(len(parts) - 2, 0)
    else:  # wildcard
        index = len(parts) - 1
    lower_text = anchor.version.removesuffix(".*")
    if sh.floor is not None:
        lower_text = clauses[sh.floor].version
    high = _bump_at(new.parts, index, index + 1)
    rest = [c for i, c in enumerate(clauses) if i not in (sh.anchor, sh.floor, sh.upper)]
    sep = _separator(spec)
    pieces = [f">={lower_text}", f"<{high}", *(c.text for c in rest)]
    return spec.lead + sep.join(pieces) + spec.trail
