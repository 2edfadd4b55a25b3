"""`platform-export`: the comment lines atop an exported file, and what was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform.render.lines import Line
from poetry_platform.render.platform_check import target
from poetry_platform.render.problems import problem_lines

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry_platform.export.fileset import ExportSet


def export_header(name: str, what: str, install: str) -> list[str]:
    """The comment lines atop an exported file: what it is and how to install it."""
    return [
        f"Exported by poetry platform-export: {name} ({what})",
        f"Install with: {install} <this file>",
    ]


def export_targets(exported: ExportSet) -> str:
    """The target's plans, as the header and the warnings name them."""
    return "; ".join(target(plan) for plan in exported.plans)


def wrote(path: object) -> Line:
    return Line(f"Wrote <c1>{path}</c1>", error=True)


def export_warnings(sets: Iterable[ExportSet], *, verbose: bool = False) -> list[Line]:
    """What platform-check warns about each exported target, in its words (to stderr, so
    a file on standard output stays clean)."""
    out: list[Line] = []
    for exported in sets:
        if not exported.warnings:
            continue
        out.append(
            Line(
                f"<warning>Target {exported.name} ({export_targets(exported)}): platform-check "
                "warns (--strict refuses it):</warning>",
                error=True,
            )
        )
        out += [
            Line(line, error=True) for line in problem_lines(exported.warnings, verbose=verbose)
        ]
    return out
