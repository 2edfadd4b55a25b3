"""Problems as data: what a check found, and the few ways commands print them.

A `Problem` carries the facts (`needed` against `have`) and its severity; the sentence is
built from them, so `--json` and the text output say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

if TYPE_CHECKING:
    from collections.abc import Iterable


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One reason a lock does not install on a target, as data.

    `needed` is what the target asks for and `have` what the lock offers, so a script
    reading `--json` gets the same facts the sentence is made from.
    """

    kind: str
    detail: str
    package: str | None = None
    version: str | None = None
    severity: Severity = "error"
    needed: str = ""
    have: str = ""

    @property
    def message(self) -> str:
        if self.package is None:
            return self.detail
        return f"{self.package} {self.version}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "package": self.package,
            "version": self.version,
            "needed": self.needed,
            "have": self.have,
            "message": self.message,
        }


@dataclass(frozen=True)
class Selected:
    """A locked package an install would take, and the file it would take it from."""

    name: str
    version: str
    file: str | None
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "file": self.file,
            "source": self.source,
        }


@dataclass(frozen=True)
class PlanCheck:
    packages: tuple[Selected, ...] = ()
    problems: tuple[Problem, ...] = ()

    def failed(self, *, strict: bool = False) -> bool:
        return any(p.severity == "error" or strict for p in self.problems)


def blocking(problems: Iterable[Problem], *, strict: bool = False) -> list[Problem]:
    """The problems that must stop an install (errors; warnings too when strict)."""
    return [p for p in problems if p.severity == "error" or strict]


def unfit_lock_message(problems: Iterable[Problem], *, strict: bool = False) -> str | None:
    """The error `platform-install` shows for a lock that cannot install here, else `None`."""
    stopping = blocking(problems, strict=strict)
    if not stopping:
        return None
    lines = ["poetry.lock cannot be installed on this machine:"]
    lines += [f"  - {p.message}" for p in stopping]
    lines.append(
        "Nothing was installed. Fix the lock (`poetry lock`), or see every target with "
        "`poetry platform-check`."
    )
    return "\n".join(lines)


def format_problems(problems: Iterable[Problem], *, indent: str = "  ") -> list[str]:
    """One line per problem, Poetry-markup coloured: `<error>` errors, `<warning>` warnings."""
    lines = []
    for problem in problems:
        tag = "error" if problem.severity == "error" else "warning"
        lines.append(f"{indent}<{tag}>- {problem.message}</{tag}>")
    return lines
