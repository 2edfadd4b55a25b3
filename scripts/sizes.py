"""Sizes a newcomer can read: every module over 500 lines and function over 80 in src.

.venv/bin/python scripts/sizes.py        lists them; exit 1 when there is any
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "poetry_platform"
MODULE_LINES = 500
FUNCTION_LINES = 80


def oversized(root: Path = SRC) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(root)
        lines = len(text.splitlines())
        if lines > MODULE_LINES:
            found.append(f"module   {lines:4} lines  {where}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES:
                    found.append(f"function {length:4} lines  {where}:{node.lineno} {node.name}")
    return found


def main() -> int:
    found = oversized()
    print("\n".join(found) or f"no module over {MODULE_LINES}, no function over {FUNCTION_LINES}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
