"""The Poetry seam: no module but `poetry_api.py` touches a private name of Poetry,
poetry-core or cleo, and the version guard's one line.

"Private" is taken from the installed packages themselves: every underscore name they
define (methods, attributes set on `self`, class attributes) and every underscore module.
A use is an attribute access, a `getattr`/`setattr`/`hasattr` with such a name as text, or
an import from an underscore module. A name a file defines itself (its own `self._x`) is
that file's own, not Poetry's.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from pathlib import Path

import pytest

from poetry_platform import poetry_api

ROOT = Path(__file__).resolve().parent.parent
SEAM = ROOT / "src" / "poetry_platform" / "poetry_api.py"
SCANNED = ("src", "tests", "scripts", "bench")
LIBRARIES = ("poetry", "cleo")  # poetry-core is poetry/core


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined(tree: ast.AST) -> set[str]:
    """Underscore names a module defines: functions, classes, `self.x =`, class bodies."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
            names.add(node.target.attr)
    return {n for n in names if _private(n)}


# What a library defines: `def _x`, `self._x =` / `self._x: T =`, class-level `_x =`.
_DEFINITION = re.compile(
    r"^\s*(?:async\s+)?def\s+(_\w+)|self\.(_\w+)\s*(?::[^=\n]+)?=|^\s+(_\w+)\s*(?::[^=\n]+)?=",
    re.MULTILINE,
)


@functools.cache
def library_private_names() -> frozenset[str]:
    """Underscore names Poetry, poetry-core and cleo define (read as text: a regular
    expression over their sources is a tenth of the time of parsing them)."""
    names: set[str] = set()
    for library in LIBRARIES:
        module = __import__(library)
        for path in Path(module.__path__[0]).rglob("*.py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in _DEFINITION.finditer(text):
                names.update(g for g in match.groups() if g and _private(g))
    return frozenset(names)


def private_uses(source: str, library_names: frozenset[str]) -> list[str]:
    """Each use of a library's private name in `source`, as `line: name`."""
    tree = ast.parse(source)
    own = _defined(tree)
    found: list[str] = []

    def note(node: ast.AST, name: str) -> None:
        found.append(f"{getattr(node, 'lineno', 0)}: {name}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] in LIBRARIES and any(_private(p) for p in parts):
                note(node, node.module)
            for alias in node.names:
                if parts[0] in LIBRARIES and _private(alias.name):
                    note(node, f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Attribute):
            if _private(node.attr) and node.attr in library_names and node.attr not in own:
                note(node, node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
            if (_private(name) and name in library_names and name not in own) or (
                node.func.id == "setattr" and name == "locked_packages"
            ):
                note(node, name)
    return sorted(found, key=lambda use: int(use.split(":")[0]))


def _sources(folder: Path) -> list[Path]:
    """The .py files under `folder`, not entering hidden directories (bench/.cache/ holds a
    whole virtualenv, .venv and caches are not ours)."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        found.extend(Path(directory) / f for f in files if f.endswith(".py"))
    return sorted(found)


def test_only_the_seam_touches_poetrys_private_names() -> None:
    names = library_private_names()
    offenders: list[str] = []
    for folder in SCANNED:
        for path in _sources(ROOT / folder):
            if path == SEAM:
                continue
            for use in private_uses(path.read_text(encoding="utf-8"), names):
                offenders.append(f"{path.relative_to(ROOT)}:{use}")
    assert offenders == [], "use poetry_platform.poetry_api instead:\n" + "\n".join(offenders)


def test_the_scan_finds_each_kind_of_use() -> None:
    """The scan is no test if it finds nothing: each kind of use, in a sample."""
    names = library_private_names()
    assert {"_content_hash", "_do_execute_operation", "_run_command"} <= names
    sample = """\
from poetry.core.utils._compat import tomllib
def f(locker, app, executor):
    a = getattr(locker, "_content_hash", None)
    app._run_command(1, 2)
    setattr(locker, "locked_packages", None)
class Mine:
    def __init__(self):
        self._io = None
    def g(self):
        return self._io
"""
    uses = private_uses(sample, names)
    assert uses == [
        "1: poetry.core.utils._compat",
        "3: _content_hash",
        "4: _run_command",
        "5: locked_packages",
    ]


def test_the_seam_documents_each_use() -> None:
    tree = ast.parse(SEAM.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not _private(node.name):
            doc = ast.get_docstring(node) or ""
            assert doc, f"poetry_api.{node.name} has no docstring"


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        ("2.0.1", True),
        ("1.8.5", True),
        ("3.0.0", True),
        ("2.1.0", False),
        ("2.1.4", False),
        ("2.5.1", False),
        ("2.6.0.dev0", False),
        ("2.12.0", False),
    ],
)
def test_the_version_guard(version: str, refused: bool) -> None:
    message = poetry_api.unsupported_poetry(version)
    if refused:
        assert message == f"poetry-platform needs Poetry 2.1-2.x; this is {version}"
    else:
        assert message is None


def test_the_declared_range_matches_the_guard() -> None:
    """pyproject.toml's `poetry` requirement is what `poetry self add` checks; the guard is
    what a Poetry installed around it (pipx inject, --no-deps) gets: the same range."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dependencies = ["poetry>=2.1,<3"]' in text
    assert poetry_api.SUPPORTED == ((2, 1), (3, 0))
