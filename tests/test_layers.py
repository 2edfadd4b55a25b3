"""The layering docs/architecture.md draws, checked over every import in src: imports only go
down, no feature imports another feature, and the packages import each other in no circle.

Each top-level module or package of `poetry_platform` is a unit in one layer (lowest first).
A unit may import units of its own layer or below; features are the exception to "its own
layer": none imports another. `if TYPE_CHECKING:` imports count like the others, except one
documented case: a command's renderer (`render/platform_<feature>.py`) may name the data
types of the feature it words (`install.choice.InstallerChoice`, `export.fileset.ExportSet`),
and only as types: the feature produces the data and calls the renderer at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import poetry_platform

SRC = Path(poetry_platform.__file__).parent

LAYERS: list[set[str]] = [
    # shared base: errors, secrets, the Poetry seam, plain data, file writing, PEP 751
    {"errors", "redact", "poetry_api", "model", "patterns", "accelerators", "pep751"},
    {"atomic", "choices", "outputs", "config", "locking"},
    # the core: what the host is, what the index holds, what the lock says
    {"host", "index", "lockset"},
    {"variants"},
    # offline verdicts shared by platform-check, platform-install and platform-export
    {"check"},
    {"context"},
    # words
    {"render"},
    # features
    {"install", "up", "uv", "export"},
    # the console
    {"commands", "plugin"},
]
FEATURES = {"install", "up", "uv", "export"}


def _layer(unit: str) -> int:
    return next(i for i, units in enumerate(LAYERS) if unit in units)


def _unit(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(imported unit, under TYPE_CHECKING, line) for every poetry_platform import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                typing_only.update(id(n) for n in ast.walk(inner))
    found: list[tuple[str, bool, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "poetry_platform":
                names = [a.name for a in node.names] if len(parts) == 1 else [parts[1]]
        else:
            names = [
                a.name.split(".")[1] for a in node.names if a.name.startswith("poetry_platform.")
            ]
        found.extend((n, id(node) in typing_only, node.lineno) for n in names)
    return found


def _edges() -> list[tuple[str, str, str, bool]]:
    """(importing file, its unit, imported unit, type-only) across units."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent == SRC and path.name == "__init__.py":
            continue
        unit = _unit(path)
        for target, typing, line in _imports(path):
            if target != unit:
                out.append((f"{path.relative_to(SRC)}:{line}", unit, target, typing))
    return out


def test_every_unit_has_a_layer() -> None:
    units = {_unit(p) for p in SRC.rglob("*.py")} - {"__init__"}
    assert units == set().union(*LAYERS)


def test_imports_only_go_down_and_features_stay_apart() -> None:
    wrong = []
    for where, unit, target, typing in _edges():
        if typing and where.startswith(f"render/platform_{target}.py:"):
            continue  # a command's renderer naming its feature's types
        if _layer(target) > _layer(unit):
            wrong.append(f"{where}: {unit} imports {target} (a higher layer)")
        elif unit in FEATURES and target in FEATURES:
            wrong.append(f"{where}: feature {unit} imports feature {target}")
    assert wrong == []


def test_no_circle_between_units() -> None:
    graph: dict[str, set[str]] = {}
    for _, unit, target, typing in _edges():
        if not typing:
            graph.setdefault(unit, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [u for u in graph if reaches(u, u, set())] == []


def test_the_map_has_one_line_per_module() -> None:
    """docs/architecture.md's map names every module of src (and nothing that is gone)."""
    text = (SRC.parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## Map: one line per module", 1)[1].split("```")[1]
    named: set[str] = set()
    package = ""
    for line in block.splitlines():
        word = line.split()[0] if line.strip() else ""
        if line.startswith("  ") and not line.startswith("    ") and word.endswith("/"):
            package = word
        elif line.startswith("  ") and not line.startswith("    ") and word.endswith(".py"):
            named.add(word)
        elif line.startswith("    ") and not line.startswith("     ") and word.endswith(".py"):
            named.add(package + word)
    modules = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if p.name != "__init__.py"}
    assert named == modules
