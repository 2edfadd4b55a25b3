"""`platform-export`: the comment lines atop an exported file, and what was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform.render.lines import Line
from poetry_platform.render.platform_check import target
from poetry_platform.render.problems import bullet
from poetry_platform.render.problems import problem_lines
from poetry_platform.render.problems import problem_texts

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.lockset.problems import Problem


def export_header(name: str, what: str, install: str) -> list[str]:
    """The comment lines atop an exported file: what it is and how to install it."""
    return [
        f"Exported by poetry platform-export: {name} ({what})",
        f"Install with: {install} <this file>",
    ]


def export_targets(exported: ExportSet) -> str:
    """The target's plans, as the header and the warnings name them: plans that differ only
    in their Python are one, naming the Pythons (`linux x86_64, Python 3.10, 3.11, 3.12,
    variant cpu, groups main`), not one repeated description per Python."""
    pythons: dict[str, list[str]] = {}
    for plan in exported.plans:
        shape = target(plan).replace(f"Python {plan.python}", "Python {}", 1)
        pythons.setdefault(shape, []).append(plan.python)
    return "; ".join(
        shape.replace("Python {}", f"Python {', '.join(dict.fromkeys(found))}", 1)
        for shape, found in pythons.items()
    )


def not_exportable(name: str, plan: TargetPlan, stopping: Iterable[Problem]) -> str:
    """Why a target is refused: one line for one short reason; else each cause as
    platform-check words it (forbidden packages grouped), one bullet each, never one line
    of a thousand characters."""
    head = f"Target {name} ({target(plan)}) fails platform-check, nothing exported"
    texts = [text for _, text in problem_texts(stopping)]
    if len(texts) == 1 and "\n" not in texts[0] and len(texts[0]) <= 200:
        return f"{head}: {texts[0]}."
    return "\n".join([f"{head}:", *(line for text in texts for line in bullet(text))])


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
