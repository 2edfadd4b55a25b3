"""`platform-export`: the comment lines atop an exported file, and what was written."""

from __future__ import annotations

from poetry_platform.render.lines import Line


def export_header(name: str, what: str, install: str) -> list[str]:
    """The comment lines atop an exported file: what it is and how to install it."""
    return [
        f"Exported by poetry platform-export: {name} ({what})",
        f"Install with: {install} <this file>",
    ]


def wrote(path: object) -> Line:
    return Line(f"Wrote <c1>{path}</c1>", error=True)
