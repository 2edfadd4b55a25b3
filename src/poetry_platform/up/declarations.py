"""Every version constraint a pyproject.toml declares (`edits.py` rewrites their text).

Poetry reads constraints from five places: `[project] dependencies`,
`[project.optional-dependencies]`, `[dependency-groups]` (PEP 735, with `include-group`),
`[tool.poetry.dependencies]` and `[tool.poetry.group.<g>.dependencies]` (plus the legacy
`[tool.poetry.dev-dependencies]`), each as a PEP 508 string, a Poetry string, a table or a
list of tables. A `Declaration` is one version text in one of those places, with the path
that leads to it in the tomlkit document, so a bump can replace exactly that text and
leave every other byte of the file (comments, quoting, key order, spacing) as it was.

Group names are compared the way Poetry compares them (`canonicalize_name`), so
`cloud_dev`, `cloud-dev` and `Cloud.Dev` are one group. Entries in `[tool.poetry.*]` that
share a name with a PEP 621/735 entry of the same group only enrich it (source, markers,
python, allow-prereleases), as in Poetry; `lookup_dependencies` applies that enrichment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from packaging.utils import canonicalize_name

from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping
    from pathlib import Path

    from packaging.utils import NormalizedName
    from poetry.core.packages.dependency import Dependency

MAIN = canonicalize_name("main")
Kind = Literal["index", "vcs", "path", "url"]
Key = str | int


class DeclarationError(UsageError, ValueError):
    """The file does not look like what Poetry accepts at `where`."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Declaration:
    """One version text and everything needed to look it up and rewrite it."""

    name: NormalizedName
    pretty_name: str
    group: NormalizedName
    where: str  # human-readable section, e.g. "[dependency-groups] cloud_dev"
    path: tuple[Key, ...]  # keys/indices from the document root to the string item
    version: str  # the version text as written ("" when there is none)
    pep440: bool  # PEP 508 string: the text must stay PEP 440 (no ^ or ~)
    kind: Kind = "index"
    span: tuple[int, int] | None = None  # for PEP 508 strings: where the version sits
    insert_key: bool = False  # a table without `version`: a bump adds the key
    extra: str | None = None
    source: str | None = None
    markers: str | None = None
    python: str | None = None
    allow_prereleases: bool | None = None
    enriches: bool = False  # a [tool.poetry] entry that only adds details to a PEP 621 one
    # a [tool.poetry] entry Poetry does not lock: its group's dependencies are listed in
    # [project] or [dependency-groups], which it only enriches, and it names none of them;
    # the section that lists them, e.g. "[project] dependencies"
    ignored_for: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)  # str or table, for Poetry

    @property
    def key(self) -> str:
        """A stable identity for messages and JSON: where it lives and its path."""
        return "/".join(str(p) for p in self.path)

    @property
    def group_as_written(self) -> str:
        """The group as pyproject.toml spells it (`cloud_dev`, not Poetry's `cloud-dev`):
        what a person reads in the report is the name they wrote."""
        if self.path[:1] == ("dependency-groups",):
            return str(self.path[1])
        if self.path[:3] == ("tool", "poetry", "group"):
            return str(self.path[3])
        return str(self.group)

    def dependency(self, root: Path | None = None) -> Dependency:
        """The entry as Poetry reads it (before enrichment)."""
        from poetry.core.factory import Factory
        from poetry.core.packages.dependency import Dependency

        if self.pep440:
            return Dependency.create_from_pep_508(str(self.raw), relative_to=root)
        raw = self.raw
        if isinstance(raw, dict):
            raw = dict(raw)
        return Factory.create_dependency(self.pretty_name, raw, groups=[self.group], root_dir=root)


@dataclass(frozen=True)
class Declarations:
    items: tuple[Declaration, ...]
    includes: Mapping[NormalizedName, frozenset[NormalizedName]]  # group -> groups it includes
    groups: frozenset[NormalizedName]

    def in_groups(self, selected: Iterable[str]) -> tuple[Declaration, ...]:
        """Entries of the selected groups and of every group they include (transitively)."""
        wanted = set(expand_groups({canonicalize_name(g) for g in selected}, self.includes))
        return tuple(d for d in self.items if d.group in wanted)


def expand_groups(
    selected: set[NormalizedName], includes: Mapping[NormalizedName, frozenset[NormalizedName]]
) -> set[NormalizedName]:
    out = set(selected)
    todo = list(selected)
    while todo:
        for inc in includes.get(todo.pop(), frozenset()):
            if inc not in out:
                out.add(inc)
                todo.append(inc)
    return out


# --- PEP 508 strings -------------------------------------------------------------------------

_PEP508_RE = re.compile(
    r"""^\s*
    (?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)
    (?:\s*(?P<extras>\[[^\]]*\]))?
    (?P<rest>.*)$""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Pep508:
    name: str
    extras: tuple[str, ...]
    version: str
    span: tuple[int, int]  # where `version` sits (an empty span where one would go)
    markers: str | None
    url: bool


def split_pep508(text: str) -> Pep508:
    """Locate the version specifier inside a PEP 508 string without re-rendering anything."""
    m = _PEP508_RE.match(text)
    if m is None:
        raise ValueError(f"not a PEP 508 requirement: {text!r}")
    extras = tuple(e.strip() for e in (m.group("extras") or "").strip("[]").split(",") if e.strip())
    rest_start = m.start("rest")
    rest = m.group("rest")
    semi = rest.find(";")
    body = rest if semi < 0 else rest[:semi]
    markers = None if semi < 0 else rest[semi + 1 :].strip() or None
    if body.lstrip().startswith("@"):
        return Pep508(m.group("name"), extras, "", (rest_start, rest_start), markers, True)
    stripped = body.strip()
    if not stripped:
        return Pep508(m.group("name"), extras, "", (rest_start, rest_start), markers, False)
    start = rest_start + (len(body) - len(body.lstrip()))
    end = start + len(stripped)
    if stripped.startswith("(") and stripped.endswith(")"):
        inner = stripped[1:-1]
        start += 1 + (len(inner) - len(inner.lstrip()))
        end -= 1 + (len(inner) - len(inner.rstrip()))
    return Pep508(m.group("name"), extras, text[start:end], (start, end), markers, False)


# --- reading ---------------------------------------------------------------------------------


def read(doc: Mapping[str, Any]) -> Declarations:
    """Every declaration in a parsed pyproject (a tomlkit document or plain dicts)."""
    items: list[Declaration] = []
    includes: dict[NormalizedName, set[NormalizedName]] = {}
    groups: set[NormalizedName] = {MAIN}
    project = doc.get("project") or {}
    pep621_main = _read_project(project, items)
    pep735 = _read_dependency_groups(doc, items, includes, groups)
    poetry = (doc.get("tool") or {}).get("poetry") or {}
    for path, g, where, table in _poetry_sections(poetry, includes, groups):
        pep_names = pep621_main if g == MAIN else pep735.get(g, set())
        for name, value in table.items():
            if name.lower() == "python":
                continue
            enriches = canonicalize_name(name) in pep_names
            entries = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for i, entry in entries:
                at = (*path, name) if i is None else (*path, name, i)
                d = _poetry_entry(name, entry, at, g, where, enriches=enriches)
                if pep_names and not enriches:
                    d = _unless_locked(d, entry, project, g)
                items.append(d)
    return Declarations(
        tuple(items),
        {k: frozenset(v) for k, v in includes.items()},
        frozenset(groups),
    )


def _read_project(project: Mapping[str, Any], items: list[Declaration]) -> set[NormalizedName]:
    """[project] dependencies and optional-dependencies into `items`; the names declared."""
    pep621_main: set[NormalizedName] = set()
    for i, text in enumerate(project.get("dependencies") or []):
        d = _pep508(text, ("project", "dependencies", i), MAIN, "[project] dependencies")
        items.append(d)
        pep621_main.add(d.name)
    for extra, entries in (project.get("optional-dependencies") or {}).items():
        for i, text in enumerate(entries or []):
            d = _pep508(
                text,
                ("project", "optional-dependencies", extra, i),
                MAIN,
                f"[project.optional-dependencies] {extra}",
                extra=extra,
            )
            items.append(d)
            pep621_main.add(d.name)
    return pep621_main


def _read_dependency_groups(
    doc: Mapping[str, Any],
    items: list[Declaration],
    includes: dict[NormalizedName, set[NormalizedName]],
    groups: set[NormalizedName],
) -> dict[NormalizedName, set[NormalizedName]]:
    """[dependency-groups] (PEP 735) into `items`; the names each group declares."""
    pep735: dict[NormalizedName, set[NormalizedName]] = {}
    for group, entries in (doc.get("dependency-groups") or {}).items():
        g = canonicalize_name(group)
        groups.add(g)
        names = pep735.setdefault(g, set())
        for i, entry in enumerate(entries or []):
            where = f"[dependency-groups] {group}"
            if isinstance(entry, str):
                d = _pep508(entry, ("dependency-groups", group, i), g, where)
                items.append(d)
                names.add(d.name)
            elif hasattr(entry, "get") and entry.get("include-group"):
                includes.setdefault(g, set()).add(canonicalize_name(entry["include-group"]))
            else:
                raise DeclarationError(
                    where, f"entry {i + 1} is neither a string nor include-group"
                )
    return pep735


def _poetry_sections(
    poetry: Mapping[str, Any],
    includes: dict[NormalizedName, set[NormalizedName]],
    groups: set[NormalizedName],
) -> list[tuple[tuple[Key, ...], NormalizedName, str, Any]]:
    """The [tool.poetry] dependency tables: (path, group, section name, table)."""
    sections: list[tuple[tuple[Key, ...], NormalizedName, str, Any]] = []
    if "dependencies" in poetry:
        sections.append(
            (
                ("tool", "poetry", "dependencies"),
                MAIN,
                "[tool.poetry.dependencies]",
                poetry["dependencies"],
            )
        )
    for group, config in (poetry.get("group") or {}).items():
        g = canonicalize_name(group)
        groups.add(g)
        for inc in config.get("include-groups") or []:
            includes.setdefault(g, set()).add(canonicalize_name(inc))
        if "dependencies" in config:
            sections.append(
                (
                    ("tool", "poetry", "group", group, "dependencies"),
                    g,
                    f"[tool.poetry.group.{group}.dependencies]",
                    config["dependencies"],
                )
            )
    if "dev-dependencies" in poetry:
        groups.add(canonicalize_name("dev"))
        sections.append(
            (
                ("tool", "poetry", "dev-dependencies"),
                canonicalize_name("dev"),
                "[tool.poetry.dev-dependencies]",
                poetry["dev-dependencies"],
            )
        )
    return sections


def _pep508(
    text: Any, path: tuple[Key, ...], group: NormalizedName, where: str, extra: str | None = None
) -> Declaration:
    if not isinstance(text, str):
        raise DeclarationError(where, f"entry {path[-1]!r} is not a string")
    try:
        req = split_pep508(str(text))
    except ValueError as e:
        raise DeclarationError(where, str(e)) from None
    kind: Kind = "url" if req.url else "index"
    if req.url and "git+" in text:
        kind = "vcs"
    return Declaration(
        name=canonicalize_name(req.name),
        pretty_name=req.name,
        group=group,
        where=where,
        path=path,
        version=req.version,
        pep440=True,
        kind=kind,
        span=req.span,
        extra=extra,
        markers=req.markers,
        raw=str(text),
    )


def _unless_locked(
    d: Declaration, entry: Any, project: Mapping[str, Any], group: NormalizedName
) -> Declaration:
    """`d` marked as one Poetry does not lock, unless Poetry adds it to the group anyway.

    As poetry-core's `DependencyGroup.dependencies`: once a group lists PEP 621/735 entries,
    its [tool.poetry] entries only enrich those; with `dynamic = ["dependencies"]` (or
    optional-dependencies) in [project], the main group also takes the [tool.poetry] entries
    of the other kind (optional ones when every [project] entry is required, and the
    reverse).
    """
    from dataclasses import replace

    if group == MAIN:
        dynamic = project.get("dynamic") or []
        if "dependencies" in dynamic or "optional-dependencies" in dynamic:
            required = bool(project.get("dependencies"))
            optional = any(project.get("optional-dependencies") or {})
            entry_optional = bool(hasattr(entry, "get") and entry.get("optional"))
            if required != optional and entry_optional == required:
                return d
        where = "[project] dependencies"
    else:
        where = f"[dependency-groups] {group}"
    return replace(d, ignored_for=where)


def _poetry_entry(
    name: str,
    value: Any,
    path: tuple[Key, ...],
    group: NormalizedName,
    where: str,
    *,
    enriches: bool,
) -> Declaration:
    if isinstance(value, str):
        return Declaration(
            canonicalize_name(name),
            name,
            group,
            where,
            path,
            str(value),
            False,
            enriches=enriches,
            raw=str(value),
        )
    if not hasattr(value, "get"):
        raise DeclarationError(where, f"{name}: expected a string, a table or a list of tables")
    kind: Kind = "index"
    if "git" in value:
        kind = "vcs"
    elif "path" in value or "file" in value:
        kind = "path"
    elif "url" in value:
        kind = "url"
    has_version = "version" in value
    markers = value.get("markers")
    allow = value.get("allow-prereleases", value.get("allows-prereleases"))
    return Declaration(
        name=canonicalize_name(name),
        pretty_name=name,
        group=group,
        where=where,
        path=(*path, "version") if has_version else path,
        version=str(value["version"]) if has_version else "",
        pep440=False,
        kind=kind,
        insert_key=not has_version,
        source=value.get("source"),
        markers=str(markers) if markers is not None else None,
        python=str(value["python"]) if "python" in value else None,
        allow_prereleases=bool(allow) if allow is not None else None,
        enriches=enriches,
        raw=_plain(value),
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "unwrap"):
        return value.unwrap()
    return value


# --- enrichment ------------------------------------------------------------------------------


def lookup_dependencies(
    decls: Iterable[Declaration], every: Iterable[Declaration], root: Path | None = None
) -> dict[str, list[Dependency]]:
    """For each declaration, the dependencies Poetry would lock for it (enriched).

    A PEP 621/735 entry with same-named `[tool.poetry]` entries in its group becomes one
    dependency per enriching entry whose markers overlap, carrying that entry's source,
    python restriction and allow-prereleases, like Poetry's own locking.
    """
    enrichers: dict[tuple[NormalizedName, NormalizedName], list[Declaration]] = {}
    for d in every:
        if d.enriches:
            enrichers.setdefault((d.group, d.name), []).append(d)
    out: dict[str, list[Dependency]] = {}
    for d in decls:
        if d.kind != "index":
            continue
        dep = d.dependency(root)
        if not d.pep440:
            out[d.key] = [dep]
            continue
        found = []
        marker = dep.marker
        extras = [canonicalize_name(d.extra)] if d.extra else list(dep.in_extras)
        if extras:
            from poetry.core.version.markers import parse_marker

            marker = marker.intersect(parse_marker(" or ".join(f"extra == '{e}'" for e in extras)))
        for e in enrichers.get((d.group, d.name), []):
            edep = e.dependency(root)
            both = marker.intersect(edep.marker)
            if both.is_empty():
                continue
            enriched = edep.with_features(dep.features)
            enriched.constraint = dep.constraint.intersect(edep.constraint)
            enriched.marker = dep.marker if both == marker else both
            found.append(enriched)
        out[d.key] = found or [dep]
    return out


def read_data(text: str) -> dict[str, Any]:
    """The pyproject as plain data, for `read` (which takes either): tomllib is ~50x faster
    than tomlkit, whose document is needed only to write an edit."""
    from poetry_platform.poetry_api import toml_loads

    return toml_loads(text)
