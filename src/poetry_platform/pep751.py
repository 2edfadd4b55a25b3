"""The one PEP 751 (`pylock.toml`) writer: the uv installer's lock for uv and
platform-export's pylock files are both made here, so both escape the same way.

Rendered by hand (a few string joins per package, no TOML library): exporting six targets
of a 300-package lock stays far below a second. A string is written as a JSON string with
DEL escaped too: JSON's escapes (`\\"`, `\\\\`, `\\n`, `\\uXXXX` for every other control
character) are valid TOML ones, and DEL is the one character TOML forbids raw in a basic
string that JSON leaves alone. Every string Poetry can put in poetry.lock (any Unicode
scalar value) therefore reads back unchanged with `tomllib` (tests/test_pep751.py).

The layout (what each writer fills in, top to bottom):

    lock-version = "1.0"
    environments = [...]           export only: one marker per target and Python
    requires-python = "..."        export only
    created-by = "poetry-platform"

    [[packages]]                   one per package, in the caller's order
    name, version, marker, archive, index, sdist, wheels (one per line), directory

    [tool.poetry-platform]         export only: what the set was made for
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence

CREATED_BY = "poetry-platform"


def string(text: str) -> str:
    """`text` as a TOML basic string."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def array(items: Iterable[str]) -> str:
    """Strings as a one-line TOML array."""
    return "[" + ", ".join(string(i) for i in items) + "]"


@dataclass(frozen=True)
class File:
    """One file of a package: where it is (a URL, or a path relative to the lock) and its
    hashes as (algorithm, hex digest) pairs. `name` is the file name, where the writer
    knows it apart from the URL."""

    hashes: tuple[tuple[str, str], ...]
    name: str | None = None
    url: str | None = None
    path: str | None = None

    def inline(self) -> str:
        """The file as an inline table."""
        fields = [
            f"{key} = {string(value)}"
            for key, value in (("name", self.name), ("url", self.url), ("path", self.path))
            if value is not None
        ]
        pairs = ", ".join(f"{algorithm} = {string(digest)}" for algorithm, digest in self.hashes)
        fields.append(f"hashes = {{ {pairs} }}")
        return "{ " + ", ".join(fields) + " }"


@dataclass(frozen=True)
class Package:
    """One `[[packages]]` entry. An index package has `wheels` and/or an `sdist` (and the
    `index` it comes from); a direct URL or file has an `archive`; the project itself, an
    editable `directory`."""

    name: str
    version: str | None = None
    marker: str | None = None
    archive: File | None = None
    index: str | None = None
    sdist: File | None = None
    wheels: tuple[File, ...] = ()
    directory: str | None = None

    def lines(self) -> list[str]:
        out = ["[[packages]]", f"name = {string(self.name)}"]
        if self.version is not None:
            out.append(f"version = {string(self.version)}")
        if self.marker is not None:
            out.append(f"marker = {string(self.marker)}")
        if self.archive is not None:
            out.append(f"archive = {self.archive.inline()}")
        if self.index:
            out.append(f"index = {string(self.index)}")
        if self.sdist is not None:
            out.append(f"sdist = {self.sdist.inline()}")
        if self.wheels:
            out.append("wheels = [")
            out.extend(f"    {w.inline()}," for w in self.wheels)
            out.append("]")
        if self.directory is not None:
            out.append(f"directory = {{ path = {string(self.directory)}, editable = true }}")
        return out


def document(
    packages: Iterable[Package],
    *,
    environments: Sequence[str] | None = None,
    requires_python: str | None = None,
    tool: Sequence[tuple[str, str | Sequence[str]]] = (),
) -> str:
    """The whole `pylock.toml` text. `tool` is `[tool.poetry-platform]`'s keys in order
    (a string or a list of strings each); left out when empty."""
    lines = ['lock-version = "1.0"']
    if environments is not None:
        lines.append(f"environments = {array(environments)}")
    if requires_python:
        lines.append(f"requires-python = {string(requires_python)}")
    lines.append(f"created-by = {string(CREATED_BY)}")
    for package in packages:
        lines.append("")
        lines.extend(package.lines())
    if tool:
        lines += ["", "[tool.poetry-platform]"]
        lines.extend(
            f"{key} = {string(value) if isinstance(value, str) else array(value)}"
            for key, value in tool
        )
    return "\n".join(lines) + "\n"
