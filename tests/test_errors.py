"""errors.py's list of kinds stays the truth: every error class in the plugin is named there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from poetry_platform import errors
from poetry_platform.errors import PlatformError
from poetry_platform.host.probing import ProbeError

SRC = Path(errors.__file__).parent


def _error_classes() -> dict[str, str]:
    """Every class in src whose name or a base's name ends in Error, or that subclasses a
    kind, by name, with its module path."""
    kinds = {"PlatformError", "UsageError", "LockError", "SourceError", "InstallError"}
    kinds.add("FileError")
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
            if bases & (kinds | {"Exception", "ValueError", "BaseException"}) or (
                node.name.endswith("Error")
            ):
                found[node.name] = str(path.relative_to(SRC))
    return found


def test_every_error_class_is_in_the_list() -> None:
    listed = errors.__doc__ or ""
    named = set(re.findall(r"`(?:[\w.]+\.)?(\w+)`", listed))
    missing = {n: p for n, p in _error_classes().items() if n not in named}
    missing.pop("Interrupted", None)  # not an error: a BaseException for signals
    assert missing == {}


def test_internal_exceptions_are_not_user_facing() -> None:
    assert not issubclass(ProbeError, PlatformError)
