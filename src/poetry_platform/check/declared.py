"""What pyproject.toml declares, as written: the data the fixes edit.

`[project]`'s requirement strings (`Declared`: dependencies, each extra, requires-python) for
the fixes of `check/remedies.py`, and `[tool.poetry]`'s sources and dependency tables
(`PoetrySide`) for `check/cpu_source.py`'s. Read once per command (`Declared.of`); pure data,
imported by both, so neither imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Mapping

MAIN = "dependencies"
MAIN_TABLE = "tool.poetry.dependencies"
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    priority: str  # as written; "" when left out (primary)


@dataclass(frozen=True)
class PoetrySide:
    """What `[tool.poetry]` says, as written: the sources in file order, and each Poetry
    dependency table (`tool.poetry.dependencies`, `tool.poetry.group.G.dependencies`)."""

    sources: tuple[Source, ...] = ()
    tables: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> PoetrySide:
        poetry = (data.get("tool") or {}).get("poetry") or {}
        if not isinstance(poetry, dict):
            return cls()
        sources = tuple(
            Source(str(s.get("name", "")), str(s.get("url", "")), str(s.get("priority", "")))
            for s in poetry.get("source") or ()
            if isinstance(s, dict)
        )
        tables: list[tuple[str, Mapping[str, Any]]] = []
        if isinstance(poetry.get("dependencies"), dict):
            tables.append((MAIN_TABLE, poetry["dependencies"]))
        groups = poetry.get("group") or {}
        for name, group in groups.items() if isinstance(groups, dict) else ():
            deps = group.get("dependencies") if isinstance(group, dict) else None
            if isinstance(deps, dict) and BARE_KEY.fullmatch(name):
                tables.append((f"tool.poetry.group.{name}.dependencies", deps))
        return cls(sources, tuple(tables))

    def entry(self, table: str, package: str) -> tuple[str, Any] | None:
        """(the key as written, its value) of `package` in `table`, or None."""
        for name, deps in self.tables:
            if name == table:
                for key, value in deps.items():
                    if canonicalize_name(key) == package:
                        return key, value
        return None

    def group_table(self, group: str) -> str | None:
        wanted = canonicalize_name(group)
        for name, _ in self.tables:
            parts = name.split(".")
            if len(parts) == 5 and canonicalize_name(parts[3]) == wanted:
                return name
        return None


@dataclass(frozen=True)
class Declared:
    """The project's PEP 621 requirements as written: `dependencies` and each extra's list
    (`extras`, in file order), and requires-python. Empty when pyproject has none.
    `poetry`: its `[tool.poetry]` sources and dependency tables (`check/cpu_source.py`)."""

    requires_python: str = ""
    dependencies: tuple[str, ...] = ()
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()
    poetry: PoetrySide = field(default_factory=PoetrySide)
    # the names of `[[tool.poetry-platform.variant]]` tables (none: variants are inferred)
    variants: tuple[str, ...] = ()

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Declared:
        project = data.get("project") or {}
        poetry = PoetrySide.of(data)
        platform = (data.get("tool") or {}).get("poetry-platform") or {}
        tables = platform.get("variant") if isinstance(platform, dict) else None
        variants = (
            tuple(str(v.get("name", "")) for v in tables or () if isinstance(v, dict))
            if isinstance(tables, list)
            else ()
        )
        if not isinstance(project, dict):
            return cls(poetry=poetry, variants=variants)
        optional = project.get("optional-dependencies") or {}
        return cls(
            str(project.get("requires-python") or ""),
            tuple(str(s) for s in project.get("dependencies") or ()),
            tuple((str(k), tuple(str(s) for s in v)) for k, v in optional.items()),
            poetry,
            variants,
        )

    def lists(self) -> list[tuple[str, tuple[str, ...]]]:
        """(where, entries): `dependencies`, then each extra by name."""
        return [(MAIN, self.dependencies), *self.extras]
