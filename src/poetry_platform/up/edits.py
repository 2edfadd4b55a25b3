"""Edits that touch only a declaration's version text: every other byte of pyproject.toml
(comments, quoting, key order, spacing) stays as it was.

A `Declaration` (`declarations.py`) carries the path to its string in the tomlkit document
and, for a PEP 508 string, where the version sits in it; `apply` replaces exactly that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import tomlkit
from tomlkit.items import InlineTable
from tomlkit.items import String
from tomlkit.items import Table

from poetry_platform.up.declarations import DeclarationError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence

    from tomlkit.toml_document import TOMLDocument

    from poetry_platform.up.declarations import Declaration
    from poetry_platform.up.declarations import Key


def parse(text: str) -> TOMLDocument:
    return tomlkit.parse(text)


def rendered(doc: TOMLDocument, changes: Sequence[tuple[Declaration, str]]) -> str:
    """The text of `doc` with `changes` applied; `doc` itself is left as it was.

    One document serves every lock attempt: parsing it again for each (as before) cost a
    full tomlkit parse per attempt, ~40 s for a 23 MB pyproject. Each replaced item is put
    back (a key a bump added is deleted), which tomlkit renders byte for byte as before.
    """
    saved: list[tuple[Any, Key, Any]] = []
    for decl, _ in changes:
        parent = _walk(doc, decl.path[:-1])
        last = decl.path[-1]
        saved.append((parent, last, None if decl.insert_key else parent[last]))
    try:
        apply(doc, changes)
        return doc.as_string()
    finally:
        for parent, last, item in reversed(saved):
            if item is None:
                container = parent[last]
                if "version" in container:
                    del container["version"]
            else:
                parent[last] = item


def new_text(decl: Declaration, version: str) -> str:
    """The full new value of the string item that holds `decl`'s version."""
    if decl.span is None:
        return version
    raw = str(decl.raw)
    start, end = decl.span
    return raw[:start] + version + raw[end:]


def apply(doc: TOMLDocument, changes: Iterable[tuple[Declaration, str]]) -> None:
    """Write each new version text in place; nothing else in the document changes."""
    for decl, version in changes:
        parent = _walk(doc, decl.path[:-1])
        last = decl.path[-1]
        if decl.insert_key:
            container = parent[last]
            if not isinstance(container, (InlineTable, Table)):
                raise DeclarationError(decl.where, f"{decl.pretty_name}: cannot add a version")
            container["version"] = version
            continue
        old = parent[last]
        if not isinstance(old, String):
            raise DeclarationError(decl.where, f"{decl.pretty_name}: version is not a string")
        parent[last] = _replaced(old, str(old), new_text(decl, version), decl)


def _walk(doc: Any, path: Iterable[Key]) -> Any:
    node = doc
    for key in path:
        node = node[key]
    return node


def _replaced(old: String, value: str, new_value: str, decl: Declaration) -> String:
    """A string item with the same quoting and trivia as `old`, holding `new_value`."""
    delim = old.type.value
    raw = old.as_string()[len(delim) : -len(delim)]
    original: str | None = None
    if raw == value:
        original = new_value
    elif decl.span is not None:
        old_version = value[decl.span[0] : decl.span[1]]
        if old_version and raw.count(old_version) == 1:
            original = raw.replace(old_version, new_value[decl.span[0] : _new_end(decl, new_value)])
    if original is None:
        fresh = String.from_raw(new_value, old.type, escape=True)
        original = fresh.as_string()[len(delim) : -len(delim)]
    return String(old.type, new_value, original, old.trivia)


def _new_end(decl: Declaration, new_value: str) -> int:
    assert decl.span is not None
    return len(new_value) - (len(str(decl.raw)) - decl.span[1])
