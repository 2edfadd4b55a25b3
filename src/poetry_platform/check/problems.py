"""Problems as data: what a check found. `render.py` words them (text and `--json`).

A `Problem` carries the facts (`needed` against `have`) and its severity, so `--json` and
the text output say the same thing. A variant's broken promise carries the verdict itself
(`MissingAccelerator`, `ForbiddenPackage`: kinds and facts, no words; `fidelity.py` makes
them); the lock's other problems still bring their sentence in `detail`, made where the
check finds them (`plan.py`, `lock.py`, `files.py`, `targets.py`).
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
RemedyKind = Literal["raise-floor", "narrow-python", "drop-python", "other-python"]
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
class Remedy:
    """One fix for a missing accelerator. "raise-floor": `package[extra]>=version`, the
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


@dataclass(frozen=True)
class ForbiddenPackage:
    variant: str
    package: str
    version: str
    pattern: str
    required_by: tuple[str, ...]  # "name version", and "the project" for a root requirement
    remedy: ForbidRemedy


# --- what a check found -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a lock does not install on a target, as data.

    `needed` is what the target asks for and `have` what the lock offers, so a script
    reading `--json` gets the same facts the sentence is made from (`render.problem`).
    A variant's broken promise carries its verdict instead (`missing`, `forbidden`), which
    `render.py` words, `needed` and `have` included.
    """

    kind: str
    detail: str = ""
    package: str | None = None
    version: str | None = None
    severity: Severity = "error"
    needed: str = ""
    have: str = ""
    missing: MissingAccelerator | None = None
    forbidden: ForbiddenPackage | None = None


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
