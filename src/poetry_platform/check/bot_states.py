"""States an update bot leaves in pyproject.toml that break a variant, found as data.

Dependabot and Renovate bump one package at a time and know nothing of builds:

1. **A local label in a range.** A bot copies the installed `+cpu` build into a lower bound
   (`torch>=2.13.0+cpu`; public reports archimedes#1494, mlir-aie#3167). PEP 440 allows a
   local version label only with `==` / `!=` (labels have no order), so the constraint is
   invalid: `poetry check` says nothing and `poetry lock` only "doesn't match any versions".
   The pin the bot meant is `torch==2.13.0+cpu`.
2. **JAX's family out of step.** A bot bumps `jax` and leaves an explicit pin of `jaxlib` or
   a `jax-cudaNN-plugin`/`-pjrt` behind; the family works only at one version, so the GPU
   variant no longer locks (or no longer matches the lock).

Pure: reads the parsed pyproject (a dict), returns facts; words in render/bot_states.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion
from packaging.version import Version

from poetry_platform.accelerators import JAX
from poetry_platform.accelerators import JAX_FAMILY

if TYPE_CHECKING:
    from collections.abc import Iterator
    from collections.abc import Mapping

# PEP 440: only these may carry a local label; Poetry's bare `1.2+cpu` and `=` mean `==`.
_LABEL_OK = frozenset({"==", "===", "!=", "=", ""})
_PINS = frozenset({"==", "===", "=", ""})
_FLOORS = frozenset({">=", ">", "^", "~", "~="})
_CLAUSE = re.compile(r"^(===|==|!=|~=|>=|<=|>|<|\^|~|=)?\s*v?([0-9][^\s,]*)$")
_PEP508 = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?"
    r"\s*\(?(?P<spec>[^;@()]*)\)?\s*(?:;.*)?$"
)


@dataclass(frozen=True)
class Declared:
    """One version constraint as pyproject.toml declares it."""

    where: (
        str  # the table and key: "[project] dependencies", "[tool.poetry.group.gpu.dependencies]"
    )
    name: str  # as written
    constraint: str  # as written, without extras or markers: ">=2.13.0+cpu"


@dataclass(frozen=True)
class LocalLabelInRange:
    declared: Declared
    clause: str  # the offending part: ">=2.13.0+cpu"
    pin: str  # what to write instead: "torch==2.13.0+cpu"


@dataclass(frozen=True)
class FamilyOutOfStep:
    family: str  # "JAX"
    leader: Declared  # jax's constraint
    leader_version: str  # jax's pin, or its floor
    behind: Declared  # a member's exact pin that does not match
    pin: str  # what to write instead: "jax-cuda13-plugin==0.8.0"


BotState = LocalLabelInRange | FamilyOutOfStep


def declarations(pyproject: Mapping[str, Any]) -> Iterator[Declared]:
    """Every name and version constraint of `[project]`, `[dependency-groups]` and
    `[tool.poetry]` (main and groups; strings, tables and lists of tables)."""
    project = pyproject.get("project") or {}
    for text in project.get("dependencies") or []:
        yield from _pep508("[project] dependencies", text)
    for extra, texts in (project.get("optional-dependencies") or {}).items():
        for text in texts or []:
            yield from _pep508(f"[project.optional-dependencies] {extra}", text)
    for group, texts in (pyproject.get("dependency-groups") or {}).items():
        for text in texts or []:
            yield from _pep508(f"[dependency-groups] {group}", text)
    poetry = (pyproject.get("tool") or {}).get("poetry") or {}
    yield from _poetry_table("[tool.poetry.dependencies]", poetry.get("dependencies") or {})
    for group, table in (poetry.get("group") or {}).items():
        where = f"[tool.poetry.group.{group}.dependencies]"
        yield from _poetry_table(where, (table or {}).get("dependencies") or {})


def bot_states(pyproject: Mapping[str, Any]) -> list[BotState]:
    """The two bot-made states above, in declaration order."""
    found: list[BotState] = []
    declared = list(declarations(pyproject))
    for d in declared:
        for op, version, clause in _clauses(d.constraint):
            if "+" in version and op not in _LABEL_OK:
                found.append(LocalLabelInRange(d, clause, f"{d.name}=={version}"))
    found.extend(_family_out_of_step(declared))
    return found


def _family_out_of_step(declared: list[Declared]) -> Iterator[FamilyOutOfStep]:
    """Each exact pin of a family member that jax's constraint (any of its entries) has
    left behind: a different pin, or a pin below jax's floor. One finding per pin."""
    leaders = []
    for d in declared:
        if canonicalize_name(d.name) == JAX:
            pinned, floor = _pin_and_floor(d.constraint)
            if pinned or floor:
                leaders.append((d, pinned, pinned or floor))
    for member in declared:
        name = canonicalize_name(member.name)
        if name == JAX or not JAX_FAMILY.match(name):
            continue
        pin, _ = _pin_and_floor(member.constraint)
        if pin is None:
            continue
        for leader, pinned, lead in leaders:
            assert lead is not None
            if (pin.public != lead.public) if pinned else (pin.public < lead.public):
                pin_text = f"{member.name}=={lead.public}"
                yield FamilyOutOfStep("JAX", leader, lead.public, member, pin_text)
                break


def _pin_and_floor(constraint: str) -> tuple[Version | None, Version | None]:
    pin = floor = None
    for op, text, _ in _clauses(constraint):
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if op in _PINS and "*" not in text:
            pin = version
        elif op in _FLOORS and (floor is None or version > floor):
            floor = version
    return pin, floor


def _clauses(constraint: str) -> Iterator[tuple[str, str, str]]:
    """(operator, version, clause as written) of each part of a PEP 440 or Poetry constraint."""
    for alternative in constraint.split("||"):
        for part in re.split(r",|\s+(?=[<>=!~^])", alternative):
            clause = part.strip()
            match = _CLAUSE.match(clause)
            if match:
                yield match.group(1) or "", match.group(2), clause


def _pep508(where: str, text: object) -> Iterator[Declared]:
    if not isinstance(text, str):
        return  # `{include-group = ...}` and the like
    match = _PEP508.match(text)
    if match and match.group("spec").strip():
        yield Declared(where, match.group("name"), match.group("spec").strip())


def _poetry_table(where: str, table: Mapping[str, Any]) -> Iterator[Declared]:
    for name, value in table.items():
        if canonicalize_name(name) == "python":
            continue
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            constraint = entry.get("version") if isinstance(entry, dict) else entry
            if isinstance(constraint, str) and constraint.strip():
                yield Declared(where, name, constraint.strip())
