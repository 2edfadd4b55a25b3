"""`platform-check`: one header per target with its problems, the summary, and the JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.render.accelerator import fidelity_json
from poetry_platform.render.accelerator import forbidden_json
from poetry_platform.render.accelerator import missing_json
from poetry_platform.render.accelerator import remedy
from poetry_platform.render.accelerator import remedy_json
from poetry_platform.render.accelerator import remedy_lines
from poetry_platform.render.lines import Line
from poetry_platform.render.problems import problem
from poetry_platform.render.problems import problem_json
from poetry_platform.render.problems import problem_lines
from poetry_platform.render.problems import warning_count

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry_platform.check.fix import FixOutcome
    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.check.targets import TargetResult
    from poetry_platform.context import ProjectPython
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.problems import Selected


def project_python(p: ProjectPython) -> str:
    """`Python 3.11.7 (the project's environment /p/.venv)`."""
    if p.origin == "venv":
        origin = f"the project's environment {p.path}"
    elif p.origin == "system":
        origin = f"the system environment {p.path}"
    else:
        origin = f"{p.path}, which `poetry install` would create the environment with"
    return f"Python {p.version} ({origin})"


def target(plan: TargetPlan) -> str:
    """`darwin arm64, Python 3.12, variant cpu, groups main, test`."""
    parts = [f"{plan.tags.sys_platform} {plan.tags.arch}", f"Python {plan.python}"]
    if plan.variant:
        parts.append(f"variant {plan.variant}")
    parts.append(f"groups {', '.join(plan.groups)}")
    return ", ".join(parts)


def check(
    lock: LockState,
    results: Iterable[TargetResult],
    *,
    strict: bool,
    host_mode: bool,
    host_python: str = "Python",
    verbose: bool = False,
) -> list[Line]:
    """Lock-wide problems, then one header per target with its problems, then a summary.

    `host_python` (no targets declared): the project's interpreter the variants are
    checked for, e.g. `Python 3.11.7 (the project's environment /p/.venv)`.
    """
    results = list(results)
    out = [Line(f"<error>{problem(p)}</error>", error=True) for p in lock.problems]
    if host_mode and results:
        out.append(
            Line(
                "No targets declared in [tool.poetry-platform]: checking every variant "
                f"for this machine and the project's {host_python}."
            )
        )
    listed: dict[tuple[object, ...], str] = {}  # exact fixes listed once, then pointed at
    for result in results:
        plan, found = result.plan, result.check
        label = f"<c1>{plan.name}</c1> ({target(plan)}; {plan.tags.describe()})"
        warnings = warning_count(found.problems)
        if result.failed(strict=strict):
            status = "<error>FAILED</error>"
        elif warnings:
            status = f"<warning>OK with {warnings} warning{'s' * (warnings != 1)}</warning>"
        else:
            status = "<success>OK</success>"
        out.append(Line(f"{label}: {status}, {len(found.packages)} packages"))
        where = f"{plan.name} on Python {plan.python}"
        lines = problem_lines(found.problems, verbose=verbose, listed=listed, where=where)
        out += [Line(line) for line in lines]
    failing = sum(r.failed(strict=strict) for r in results)
    if failing:
        out.append(
            Line(
                f"<error>{failing} of {len(results)} target checks failed: "
                "see the problems above.</error>",
                error=True,
            )
        )
    return out


def selected_json(s: Selected) -> dict[str, Any]:
    return {"name": s.name, "version": s.version, "file": s.file, "source": s.source}


def target_json(plan: TargetPlan) -> dict[str, Any]:
    t = plan.tags
    return {
        "name": plan.name,
        "sys_platform": t.sys_platform,
        "platform_machine": t.arch,
        "python": plan.python,
        "python_full_version": plan.python_full_version,
        "implementation": t.implementation,
        "wheel_tags": t.describe(),
        "variant": plan.variant,
        "extras": list(plan.extras),
        "groups": list(plan.groups),
    }


def result_json(result: TargetResult, *, strict: bool = False) -> dict[str, Any]:
    fidelity = result.fidelity
    return {
        **target_json(result.plan),
        "ok": not result.failed(strict=strict),
        "packages": [selected_json(s) for s in result.check.packages],
        "problems": [problem_json(p) for p in result.check.problems],
        "accelerator": fidelity_json(fidelity) if fidelity else None,
        "missing_accelerator": (
            missing_json(fidelity.missing) if fidelity and fidelity.missing else None
        ),
        "forbidden_packages": [forbidden_json(f) for f in fidelity.forbidden] if fidelity else [],
    }


def check_json(lock: LockState, results: Iterable[TargetResult], *, strict: bool) -> dict[str, Any]:
    results = list(results)
    failed = bool(lock.problems) or any(r.failed(strict=strict) for r in results)
    return {
        "ok": not failed,
        "strict": strict,
        "lock": {
            "packages": len(lock.locked),
            "extras": sorted(lock.extras),
            "problems": [problem_json(p) for p in lock.problems],
        },
        "targets": [result_json(r, strict=strict) for r in results],
    }


def fix_lines(outcome: FixOutcome) -> list[Line]:
    """What `--fix` tried, what it applied (or would, with the diff), or that nothing fixed it."""
    out: list[Line] = []
    for tried in outcome.tried:
        if not tried.ok:
            out.append(Line(f"Tried: {remedy(tried.remedy)}: {tried.reason}", error=True))
    applied = outcome.applied
    if applied is None:
        if not outcome.tried:
            out.append(
                Line(
                    "<warning>--fix: no fix with exact edits for these problems; "
                    "nothing was written.</warning>",
                    error=True,
                )
            )
        else:
            out.append(
                Line(
                    "<warning>--fix: no fix passed the check; nothing was written.</warning>",
                    error=True,
                )
            )
        return out
    verb = "Applied" if outcome.written else "Would apply (--dry-run, nothing written)"
    out.append(Line(f"<success>{verb}</success>: {remedy(applied.remedy)}"))
    out += [Line(f"  {line}") for line in remedy_lines(applied.remedy)]
    if not outcome.written:
        out += [Line(line) for line in outcome.diff]
    return out


def fix_json(outcome: FixOutcome | None) -> dict[str, Any]:
    if outcome is None:
        return {"applied": None, "written": False, "tried": []}
    return {
        "applied": remedy_json(outcome.applied.remedy) if outcome.applied else None,
        "written": outcome.written,
        "tried": [
            {"fix": remedy_json(t.remedy), "ok": t.ok, "reason": t.reason} for t in outcome.tried
        ],
    }
