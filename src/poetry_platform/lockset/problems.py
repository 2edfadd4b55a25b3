"""Problems as data: what a check found. `render.py` words them (text and `--json`).

A `Problem` carries its kind, severity and `facts`: one small dataclass per kind of
problem, with the facts and no words, made where the check finds it (`lock.py`: `LockUnfit`,
`ExtraNotLocked`; `files.py`: `NoFiles`, `BadHash`, `FromSource`, `NoWheel`; `plan.py`:
`MissingRequirement`, `Duplicate`, `PythonOutside`; `targets.py`: `PythonOutside`,
`UnknownPlatform`; `fidelity.py`: `MissingAccelerator`, `ForbiddenPackage`). `render.py`
words every one of them, so `--json` and the text output say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry.core.packages.dependency import Dependency


Severity = Literal["error", "warning"]

# --- a variant's broken promise (the rule is `fidelity.py`) ----------------------------------

CauseKind = Literal["no-extra", "extra-excluded", "not-applicable", "not-selected"]
Rule = Literal["declared", "family", "adds-a-package"]
RemedyKind = Literal[
    "split-python",
    "raise-floor",
    "raise-cap",
    "narrow-python",
    "drop-python",
    "other-python",
    "pin-version",
    "cpu-source",
    "add-cpu-source",
]
# The fix for a forbidden package, by the family that brings it.
ForbidRemedy = Literal["torch-cpu-index", "jax-into-cuda-extras", "keep-out"]


@dataclass(frozen=True)
class Cause:
    """Why the requirement that should bring the accelerator did not, read from the lock."""

    requirement: str  # the project's requirement as pyproject spells it
    # "no-extra": the locked release lacks the extra; "extra-excluded": it has the extra but
    # the lock's markers keep its packages out; "not-applicable": the project's requirement
    # does not apply to this target; "not-selected": the requirement's package is not in
    # the set at all.
    kind: CauseKind
    package: str
    version: str | None
    extra: str | None
    python: str
    # "no-extra": the extras the locked release has; "extra-excluded": what the extra brings.
    listed: tuple[str, ...] = ()
    # The oldest locked release that has the extra, and the Pythons it needs.
    first_with_extra: str | None = None
    first_with_extra_python: str | None = None


@dataclass(frozen=True)
class Edit:
    """One exact change to pyproject.toml.

    In the `[project]` table (`table` "project"): in `where` (`dependencies`, an extra's
    name under optional-dependencies, or `requires-python`) the entry `old` as written
    (`""`: nothing, the lines are added) becomes the entries `new`.

    In a Poetry table (`table` `tool.poetry.dependencies` or `tool.poetry.group.G.dependencies`):
    the key `where` (a package name as written) is set to `new[0]`, a TOML inline value;
    `old` is its value before, as TOML (`""`: the key is added, and the table if need be).
    """

    where: str
    old: str
    new: tuple[str, ...]
    table: str = "project"


@dataclass(frozen=True)
class IndexSource:
    """A `[[tool.poetry.source]]` a fix names: the configured CPU source it takes torch
    from ("cpu-source"), or the one to declare ("add-cpu-source"; `url` "" when no
    configured source tells it: the user takes it from PyTorch's own page)."""

    name: str
    url: str
    priority: str = "explicit"


@dataclass(frozen=True)
class Remedy:
    """One fix for a missing accelerator (or, "cpu-source" and "add-cpu-source", for a cpu
    variant taking PyTorch's CUDA build). "raise-floor": `package[extra]>=version`, the
    version `found_by` the index or the lock (`None`: neither knows one), which needs
    `requires_python`; "narrow-python", "drop-python" (from `target`), "other-python"
    (`poetry env use`): keep Python `python` away from the variant."""

    kind: RemedyKind
    python: str
    package: str | None = None
    extra: str | None = None
    version: str | None = None
    found_by: Literal["index", "lock"] | None = None
    requires_python: str | None = None
    target: str | None = None
    # What makes it lock (`check/remedies.py`): the edits and the command that re-chooses.
    edits: tuple[Edit, ...] = ()
    command: str | None = None
    # "split-python": the Python from which the variant delivers, the project's Pythons
    # below it (still without the variant), and other extras of the package serving them.
    cut: str | None = None
    left_out: tuple[str, ...] = ()
    instead: tuple[str, ...] = ()
    # "raise-cap": the project's entry (as written) whose upper bound leaves `version` out.
    capped_by: str | None = None
    # "cpu-source", "add-cpu-source": the source `package` is taken from, for `variant`.
    source: IndexSource | None = None
    variant: str | None = None
    # "pin-version" of several duplicates at once: (package, version) of each pin.
    pins: tuple[tuple[str, str], ...] = ()
    # "other-python": the project's Pythons (`3.X`) whose install set the lock gives the
    # variant's accelerator (`variant`); None where nobody asked (the words stay general).
    served: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MissingAccelerator:
    variant: str
    python: str
    rule: Rule
    # What should be in the set: the declared or the family's patterns ("declared",
    # "family", with the family names), or any package the variant's extras add.
    patterns: tuple[str, ...]
    families: tuple[str, ...]
    extras: tuple[str, ...]
    causes: tuple[Cause, ...]
    remedies: tuple[Remedy, ...]
    # "declared": no package in poetry.lock matches any pattern (a mistyped glob is the
    # likely cause, not the lock: no cause or remedy is read from the lock then).
    matches_nothing: bool = False
    added: tuple[str, ...] = ()  # then: what the variant's extras add here, the likely names
    # "declared", some globs match a locked package and others none: those others, the
    # likely cause (a mistyped glob beside a right one), named before the lock's causes
    unmatched: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForbiddenPackage:
    variant: str
    package: str
    version: str
    pattern: str
    required_by: tuple[str, ...]  # "name version", and "the project" for a root requirement
    remedy: ForbidRemedy
    # "torch-cpu-index" with exact edits ("cpu-source", "add-cpu-source"), when the project's
    # tables say where the variant's torch is declared (`check/cpu_source.py`).
    fix: Remedy | None = None


# --- the lock as a whole (`lock.py`) ---------------------------------------------------------

LockFault = Literal["no-lock", "unreadable-lock", "stale-lock", "old-lock"]


@dataclass(frozen=True)
class LockUnfit:
    """poetry.lock is absent, unreadable, older than pyproject.toml, or of a lock-version
    too old to check (`kind`, also the problem's kind)."""

    kind: LockFault
    error: str = ""  # "unreadable-lock": the first line of the reader's error
    lock_version: str = ""  # "old-lock": the version the lock has


@dataclass(frozen=True)
class ExtraNotLocked:
    """An extra the install asks for that the lock never recorded: Poetry would refuse it.
    `by`: who asks (`platform-install`, a target, or a target's `variant`)."""

    extra: str
    locked: tuple[str, ...]  # the extras poetry.lock has, sorted
    by: Literal["install", "target", "variant"]
    variant: str | None = None


# --- one package's file (`files.py`) ----------------------------------------------------------


@dataclass(frozen=True)
class NoFiles:
    """The lock records no file for the package."""


HashFault = Literal["missing", "malformed", "upper-case"]


@dataclass(frozen=True)
class BadHash:
    """The file the install takes has no hash it could be verified with: none recorded
    ("missing", `hash = ""` or no `hash`), or one Poetry cannot check ("malformed": an
    unknown algorithm, a digest that is not hex of the algorithm's length; "upper-case": a
    good digest under an algorithm written in capitals, `SHA256:`, which hashlib accepts but
    Poetry's installer, matching lower-case names, refuses: "did not match any known
    checksums", seen with Poetry 2.5.1). Poetry's installer would fail on it part-way, after
    installing other packages."""

    file: str
    fault: HashFault
    value: str = ""  # "malformed", "upper-case": what the lock records


@dataclass(frozen=True)
class FromSource:
    """A git or directory package: it always builds from source."""

    origin: str  # "git <url>", "directory <path>"


@dataclass(frozen=True)
class NoWheel:
    """No wheel the target accepts: the install builds `sdist` (kind "builds-from-source"),
    or has no file to take (kind "no-wheel")."""

    target: str  # the target's tags, described (`SupportedTags.description`)
    no_binary: bool  # the lock has wheels, but installer.no-binary refuses them
    offered: str  # what the lock's wheels offer on the axis that failed ("": no wheel)
    files: tuple[str, ...]
    sdist: str | None = None  # the sdist the install builds
    sdist_refused: bool = False  # an sdist exists, but installer.only-binary refuses it


# --- the set (`plan.py`, `targets.py`) --------------------------------------------------------


@dataclass(frozen=True)
class MissingRequirement:
    """A requirement of the project that applies to the target, with no package selected."""

    marker: str  # the requirement's marker; "" when it has none
    # "absent": poetry.lock lacks it; "other-groups": locked only for `groups`;
    # "excluded": the markers of its lock entries exclude the target.
    why: Literal["absent", "other-groups", "excluded"]
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class DuplicateEntry:
    version: str
    source: str | None  # the lock's source reference, if any
    marker: str  # the lock's marker for the requested groups; "" when none
    required_by: tuple[tuple[str, str], ...]  # (who, the requirement) bringing this entry


# The change that separates two entries selected at once (re-locking alone never does).
# "relock": nothing requires them, the lock is not pyproject's; "constrain": `who` requires
# the package and accepts every entry, the project does not; "jaxlib-through-jax",
# "pin-per-platform": `who` and the project both require it; "jax-extra": a bare jax
# plugin (`backend`); "request-one-extra": every entry belongs to an extra; "exclusive-
# markers": the requirements' markers overlap; "forbidden": the target's variant forbids
# the package, so a pin would keep what must go (the forbidden-package fix takes it away).
DuplicateAdvice = Literal[
    "forbidden",
    "relock",
    "constrain",
    "jaxlib-through-jax",
    "pin-per-platform",
    "jax-extra",
    "request-one-extra",
    "exclusive-markers",
]


@dataclass(frozen=True)
class Duplicate:
    """Several locked entries of one package selected at once."""

    name: str  # canonical, as the advice names it
    entries: tuple[DuplicateEntry, ...]
    advice: DuplicateAdvice
    who: str | None = None  # the requirer accepting every entry
    backend: str | None = None  # "jax-extra": `cuda12` for `jax-cuda12-plugin`
    # "constrain": the one entry every requirer accepts (another locked package pins it),
    # who pins it, and the pin that keeps the others out (`remedies` shape: edit + command).
    works: str | None = None
    pinned_by: tuple[str, ...] = ()
    remedy: Remedy | None = None
    # "forbidden": the variant, and the fix of the forbidden package (its words' key).
    variant: str | None = None
    forbid: ForbidRemedy | None = None


@dataclass(frozen=True)
class PythonOutside:
    """A Python outside the project's requires-python: this environment's ("environment",
    `platform-install`) or a target's ("target", `platform-check`)."""

    python: str
    requires_python: str
    scope: Literal["environment", "target"]


@dataclass(frozen=True)
class UnknownPlatform:
    """A target whose wheel tags cannot be computed; `error` is the `TagError`'s message,
    written where it is raised (an error's message is made where the failure is found)."""

    error: str


Facts = (
    LockUnfit
    | ExtraNotLocked
    | NoFiles
    | BadHash
    | FromSource
    | NoWheel
    | MissingRequirement
    | Duplicate
    | PythonOutside
    | UnknownPlatform
    | MissingAccelerator
    | ForbiddenPackage
)


# --- what a check found -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a lock does not install on a target, as data.

    `facts` is the problem's own dataclass, which `render.problem` words. `needed` (what
    the target asks for) and `have` (what the lock offers) are short facts for scripts
    reading `--json`; for a variant's broken promise and duplicates `render.py` makes them
    from the facts.
    """

    kind: str
    facts: Facts
    package: str | None = None
    version: str | None = None
    severity: Severity = "error"
    needed: str = ""
    have: str = ""


@dataclass(frozen=True)
class Selected:
    """A locked package an install would take, and the file it would take it from."""

    name: str
    version: str
    file: str | None
    source: str | None = None


@dataclass(frozen=True)
class PlanCheck:
    packages: tuple[Selected, ...] = ()
    problems: tuple[Problem, ...] = ()

    def failed(self, *, strict: bool = False) -> bool:
        return any(p.severity == "error" or strict for p in self.problems)


def blocking(problems: Iterable[Problem], *, strict: bool = False) -> list[Problem]:
    """The problems that must stop an install (errors; warnings too when strict)."""
    return [p for p in problems if p.severity == "error" or strict]


def requirement_text(dep: Dependency) -> str:
    """`jax[cuda13]>=0.6.2 ; sys_platform == "linux"`: a requirement as pyproject spells it
    (Poetry's `to_pep_508()` writes `jax[cuda13] (>=0.6.2)`)."""
    import re

    text = re.sub(r" \((.*)\)$", r"\1", dep.base_pep_508_name)
    return text if dep.marker.is_any() else f"{text} ; {dep.marker}"
