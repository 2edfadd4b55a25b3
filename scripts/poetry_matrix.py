"""The Poetry releases the plugin is tested on, and a virtualenv for each.

    python scripts/poetry_matrix.py versions        the newest patch of each supported minor
    python scripts/poetry_matrix.py versions --others   the same without the pinned one
    python scripts/poetry_matrix.py venv VERSION    .venv-poetry/VERSION: that Poetry, this
                                                    plugin (editable) and the dev tools; prints
                                                    its python

The dev tools keep poetry.lock's pins; Poetry and everything it depends on are left to pip,
so each release gets the dependencies it declares (poetry-core, dulwich, ... differ).
Idempotent: a venv whose inputs did not change is reused.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The newest patch of each minor from 2.1 on (found with `pip index versions poetry`); the
# first is the declared floor (pyproject.toml's `poetry>=2.1,<3`), the last is the one
# poetry.lock pins and the full suite runs on.
VERSIONS = ("2.1.4", "2.2.1", "2.3.4", "2.4.3", "2.5.1")
OLDEST, NEWEST = VERSIONS[0], VERSIONS[-1]


def _closure(root: str) -> set[str]:
    """Normalized names `root` depends on in this interpreter (itself included)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [root]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def _constraints() -> list[str]:
    """poetry.lock's pins (as scripts/lock_constraints.py prints them) minus Poetry's own
    dependency tree."""
    from packaging.utils import canonicalize_name

    printed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock_constraints.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    poetry = _closure("poetry")
    keep = []
    for line in printed.splitlines():
        name = line.split("==", 1)[0].strip()
        if canonicalize_name(name) not in poetry:
            keep.append(line)
    return keep


def venv(version: str) -> Path:
    target = ROOT / ".venv-poetry" / version
    python = target / "bin" / "python"
    constraints = _constraints()
    inputs = "\n".join([version, *constraints, (ROOT / "pyproject.toml").read_text()])
    want = hashlib.sha256(inputs.encode()).hexdigest()
    stamp = target / ".stamp"
    if stamp.exists() and stamp.read_text() == want and python.exists():
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    pin_file = target / "constraints.txt"
    pin_file.write_text("\n".join(constraints) + "\n", encoding="utf-8")
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip>=25.1"], check=True)
    subprocess.run(
        [*pip, "-c", str(pin_file), f"poetry=={version}", "-e", str(ROOT), "--group", "dev"],
        check=True,
        cwd=ROOT,
    )
    stamp.write_text(want)
    return python


def main(argv: list[str]) -> int:
    if argv[:1] == ["versions"]:
        others = argv[1:] == ["--others"]  # all but the pinned one (the full suite's)
        print(" ".join(v for v in VERSIONS if not (others and v == NEWEST)))
        return 0
    if len(argv) == 2 and argv[0] == "venv":
        print(venv(argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
