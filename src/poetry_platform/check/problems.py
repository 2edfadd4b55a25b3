"""Problems as data: what a check found. `render.py` words them (text and `--json`).

A `Problem` carries the facts (`needed` against `have`) and its severity; the sentence is
built from them, so `--json` and the text output say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry.core.packages.dependency import Dependency

    from poetry_platform.check.fidelity import ForbiddenPackage
    from poetry_platform.check.fidelity import MissingAccelerator


Severity = Literal["error", "warning"]


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
