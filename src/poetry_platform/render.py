"""The one place where host facts, verdicts, the selection reason and lock problems become
text (Poetry console markup) or JSON dicts.

Everything below `commands/` produces data (`HostProfile`, `Verdict` with `Unmet` values,
`Selection`, check `Problem`s); everything in `commands/` prints what this module returns.
So `platform-show`, `platform-install`'s one line, `platform-check`'s headers and every
`--json` word a requirement, a host and a problem the same way, and a wording change is one
edit here. Pure functions: no I/O, no Poetry objects, cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.check.problems import Duplicate
from poetry_platform.check.problems import DuplicateEntry
from poetry_platform.check.problems import ExtraNotLocked
from poetry_platform.check.problems import ForbiddenPackage
from poetry_platform.check.problems import FromSource
from poetry_platform.check.problems import LockUnfit
from poetry_platform.check.problems import MissingAccelerator
from poetry_platform.check.problems import MissingRequirement
from poetry_platform.check.problems import NoFiles
from poetry_platform.check.problems import NoWheel
from poetry_platform.check.problems import PythonOutside
from poetry_platform.check.problems import UnknownPlatform
from poetry_platform.variants import VARIANT_ENV

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry_platform.check.fidelity import Fidelity
    from poetry_platform.check.lock import LockState
    from poetry_platform.check.problems import Cause
    from poetry_platform.check.problems import Facts
    from poetry_platform.check.problems import Problem
    from poetry_platform.check.problems import Remedy
    from poetry_platform.check.problems import Selected
    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.check.targets import TargetResult
    from poetry_platform.config import Requirements
    from poetry_platform.config import Variant
    from poetry_platform.context import Decision
    from poetry_platform.context import ProjectPython
    from poetry_platform.host.profile import HostProfile
    from poetry_platform.variants import Assumed
    from poetry_platform.variants import Selection
    from poetry_platform.variants import Unmet
    from poetry_platform.variants import Verdict


@dataclass(frozen=True)
class Line:
    """One line of command output; `error` lines go to stderr."""

    text: str
    error: bool = False


# --- requirements and verdicts -------------------------------------------------------------


def requirement(kind: str, wanted: str) -> str:
    """`cuda >=13.0`: the one way a requirement is written, in every message and JSON."""
    return f"{kind} {wanted}"


def requirements(req: Requirements) -> list[str]:
    return [requirement(kind, wanted) for kind, wanted in req.items()]


def unmet(u: Unmet) -> str:
    """`<requirement>: host has <fact>`, e.g. `cuda >=13.0: host has CUDA 12.4`; for the
    lock's verdict `provides jax-cuda13-plugin: poetry.lock does not deliver it on Python
    3.11 (<why>)`."""
    if u.kind == "accelerator" and u.missing is not None:
        m = u.missing
        because = f" ({'; '.join(cause(c) for c in m.causes)})" if m.causes else ""
        return (
            f"provides {wanted(m)}: poetry.lock does not deliver it on Python {m.python}{because}"
        )
    return f"{requirement(u.kind, u.wanted)}: host has {_host_fact(u)}"


def _host_fact(u: Unmet) -> str:
    if u.kind == "markers":
        pairs = zip(u.variables, u.found, strict=True)
        return ", ".join(f"{key} == {value!r}" for key, value in pairs)
    if u.kind == "cuda":
        return f"CUDA {u.found[0]}" if u.found else "no CUDA driver"
    if u.kind == "rocm":
        return f"ROCm {u.found[0]}" if u.found else "no ROCm"
    if u.found:
        return f"compute capability {', '.join(u.found)}"
    return "no NVIDIA GPU detected"


def assumed(a: Assumed) -> str:
    return f"{requirement(a.kind, a.wanted)} (not detected)"


def accelerator(host: HostProfile) -> str:
    """The accelerator in one phrase: `CUDA 13.0 (driver 580.65.06), compute capability 9.0
    from nvml`, `ROCm 6.2.1 from kfd` or `no GPU detected`."""
    if host.nvidia is not None and host.cuda is not None:
        text = f"CUDA {host.cuda}"
        if host.nvidia.driver_version:
            text += f" (driver {host.nvidia.driver_version})"
        if host.compute_capabilities:
            text += f", compute capability {', '.join(host.compute_capabilities)}"
        return text + f" from {host.nvidia.source}"
    if host.rocm is not None:
        return f"ROCm {host.rocm.version or '(version unknown)'} from {host.rocm.source}"
    return "no GPU detected"


def selection_reason(selection: Selection, host: HostProfile) -> str:
    """One line saying why this variant (or why none), for install and show output."""
    if selection.chosen is None:
        return "no declared variant runs on this machine"
    verdict = selection.chosen_verdict
    if selection.forced_by is not None:
        text = f"forced by {selection.forced_by}"
        if verdict is not None and not verdict.satisfied:
            text += f"; this host does not meet it: {unmet(verdict.unmet[0])}"
        return text
    met = requirements(selection.chosen.requires)
    skipped = [f"{v.variant.name} ({unmet(v.unmet[0])})" for v in selection.skipped]
    parts = [accelerator(host)]
    if met:
        parts.append("meets " + ", ".join(met))
    if verdict is not None and verdict.assumed:
        parts.append("assumed " + "; ".join(assumed(a) for a in verdict.assumed))
    if skipped:
        parts.append("skipped " + ", ".join(skipped))
    return "; ".join(parts)


def no_variant(selection: Selection) -> str:
    """pixi-style: what failed, one line per candidate with its unmet requirement, the remedy."""
    lines = ["No declared variant runs on this machine:"]
    for verdict in selection.verdicts:
        lines.append(f"  - {verdict.variant.name}: {'; '.join(unmet(u) for u in verdict.unmet)}")
    last = selection.verdicts[-1].variant.name
    lines.append(
        f"Force one with --variant NAME or {VARIANT_ENV}=NAME (e.g. {VARIANT_ENV}={last}), "
        "or fake the accelerator with POETRY_PLATFORM_CUDA=12.4 / "
        "POETRY_PLATFORM_COMPUTE_CAPABILITY=8.6."
    )
    return "\n".join(lines)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    v = verdict.variant
    return {
        "name": v.name,
        "satisfied": verdict.satisfied,
        "reasons": [unmet(u) for u in verdict.unmet],
        "assumed": [assumed(a) for a in verdict.assumed],
        "extras": list(v.extras),
        "groups": list(v.groups),
        "requires": requirements(v.requires),
    }


# --- host facts ----------------------------------------------------------------------------


def host_rows(host: HostProfile) -> list[tuple[str, str]]:
    """(label, value) rows: platform, python, nvidia, rocm."""
    platform = f"{host.sys_platform} {host.platform_machine}"
    if host.libc:
        platform += f" ({host.libc} {host.libc_version or '?'})"
    if host.macos_version:
        platform += f" (macOS {host.macos_version}"
        platform += ", Apple silicon" if host.apple_silicon else ""
        platform += ", under Rosetta" if host.rosetta else ""
        platform += ")"
    rows = [("platform", platform), ("python", host.python_version)]
    nv = host.nvidia
    if nv is None:
        rows.append(("nvidia", "not detected"))
    else:
        parts = []
        if nv.driver_version:
            parts.append(f"driver {nv.driver_version}")
        parts.append(f"CUDA {nv.cuda_version}" if nv.cuda_version else "CUDA unknown")
        if nv.gpu_count:
            parts.append(f"{nv.gpu_count} GPU{'s' if nv.gpu_count != 1 else ''}")
        if nv.compute_capabilities:
            parts.append("compute capability " + ", ".join(nv.compute_capabilities))
        rows.append(("nvidia", ", ".join(parts) + f" (from {nv.source})"))
    if host.rocm is None:
        rows.append(("rocm", "not detected"))
    else:
        text = f"ROCm {host.rocm.version or 'version unknown'}"
        if host.rocm.gfx_targets:
            text += ", " + ", ".join(host.rocm.gfx_targets)
        rows.append(("rocm", text + f" (from {host.rocm.source})"))
    return rows


def host_json(host: HostProfile) -> dict[str, Any]:
    return {
        "sys_platform": host.sys_platform,
        "platform_machine": host.platform_machine,
        "python_version": host.python_version,
        "libc": host.libc,
        "libc_version": host.libc_version,
        "macos_version": host.macos_version,
        "apple_silicon": host.apple_silicon,
        "rosetta": host.rosetta,
        "cuda": host.cuda,
        "compute_capabilities": list(host.compute_capabilities),
        "nvidia": None
        if host.nvidia is None
        else {
            "source": host.nvidia.source,
            "driver_version": host.nvidia.driver_version,
            "cuda_version": host.nvidia.cuda_version,
            "compute_capabilities": list(host.nvidia.compute_capabilities),
            "gpu_names": list(host.nvidia.gpu_names),
            "gpu_count": host.nvidia.gpu_count,
        },
        "rocm": None
        if host.rocm is None
        else {
            "source": host.rocm.source,
            "version": host.rocm.version,
            "gfx_targets": list(host.rocm.gfx_targets),
        },
    }


# --- platform-show -------------------------------------------------------------------------


def show(decision: Decision, *, verbose: bool = False) -> list[Line]:
    """The host, every variant's verdict and the choice (or why there is none)."""
    host = decision.host
    out = [Line("<b>Host</b>")]
    out += [Line(f"  <comment>{label:<13}</comment> {value}") for label, value in host_rows(host)]
    if verbose:
        out += [Line(f"  <debug>probe: {entry}</debug>") for entry in host.log]
    out.append(Line(""))
    origin = (
        "inferred from the project's extras"
        if decision.config.variants_inferred
        else "declared in [tool.poetry-platform]"
    )
    out.append(Line(f"<b>Variants</b> ({origin}, first match wins)"))
    chosen = decision.selection.chosen
    for verdict in decision.selection.verdicts:
        v = verdict.variant
        mark = "<fg=green>✔</>" if verdict.satisfied else "<fg=red>✘</>"
        arrow = " <success>← selected</success>" if chosen and chosen.name == v.name else ""
        out.append(Line(f"  {mark} <c1>{v.name}</c1>{_contents(v)}{arrow}"))
        out += [Line(f"      requires {r}") for r in requirements(v.requires)]
        out += [Line(f"      <fg=red>not met:</> {unmet(u)}") for u in verdict.unmet]
        out += [Line(f"      <comment>assumed:</comment> {assumed(a)}") for a in verdict.assumed]
        fidelity = decision.fidelity.get(v.name)
        if fidelity is not None:
            out += [
                Line(f"      <warning>warning:</warning> {forbidden(f)}")
                for f in fidelity.forbidden
            ]
    out.append(Line(""))
    if chosen is None:
        out.append(Line(f"<warning>{no_variant(decision.selection)}</warning>", error=True))
    else:
        reason = selection_reason(decision.selection, host)
        out.append(Line(f"<b>Selected</b>: <c1>{chosen.name}</c1> ({reason})"))
    return out


def _contents(v: Variant) -> str:
    """` (extras: cuda13; groups: gpu)`, or nothing for a variant adding neither."""
    what = []
    if v.extras:
        what.append("extras: " + ", ".join(v.extras))
    if v.groups:
        what.append("groups: " + ", ".join(v.groups))
    return f" ({'; '.join(what)})" if what else ""


def show_json(decision: Decision) -> dict[str, Any]:
    selection = decision.selection
    return {
        "host": host_json(decision.host),
        "variants_inferred": decision.config.variants_inferred,
        "variants": [
            {
                **verdict_json(v),
                "accelerator": (
                    fidelity_json(f) if (f := decision.fidelity.get(v.variant.name)) else None
                ),
            }
            for v in selection.verdicts
        ],
        "chosen": selection.chosen.name if selection.chosen else None,
        "forced_by": selection.forced_by,
        "reason": selection_reason(selection, decision.host),
    }


# --- platform-install ----------------------------------------------------------------------


def install(decision: Decision, *, verbose: bool = False) -> list[Line]:
    """The one line naming the variant and why, before Poetry's installer output."""
    selection = decision.selection
    variant = selection.chosen
    assert variant is not None
    reason = selection_reason(selection, decision.host)
    out = [Line(f"<b>Platform variant</b>: <c1>{variant.name}</c1> ({reason})")]
    verdict = selection.chosen_verdict
    if selection.forced_by and verdict is not None and not verdict.satisfied:
        out.append(
            Line(
                f"<warning>Installing variant {variant.name} although this host does not run "
                "it: fine for an image built without a GPU; it needs a matching host at run "
                "time.</warning>",
                error=True,
            )
        )
    fidelity = decision.fidelity.get(variant.name)
    if fidelity is not None:
        if fidelity.missing is not None:
            out.append(
                Line(
                    f"<warning>Installing variant {variant.name} without its accelerator "
                    "(--allow-missing-accelerator): "
                    f"{missing_accelerator(fidelity.missing)}.</warning>",
                    error=True,
                )
            )
        out += [
            Line(f"<warning>Warning: {forbidden(f)}</warning>", error=True)
            for f in fidelity.forbidden
        ]
    if verbose:
        out += [Line(f"<debug>probe: {entry}</debug>") for entry in decision.host.log]
    out.append(Line(""))
    return out


# --- platform-check ------------------------------------------------------------------------


# --- a variant's promise (check/fidelity.py) -------------------------------------------------


def wanted(m: MissingAccelerator) -> str:
    """What should have been installed, short: `jax-cuda13-plugin or jaxlib+cuda13*`."""
    if m.rule == "adds-a-package":
        return f"a package from extras {', '.join(m.extras)}"
    return " or ".join(m.patterns)


def expected(m: MissingAccelerator) -> str:
    """The promise in words: `it must install ... (JAX build for its extras)`."""
    if m.rule == "declared":
        return f"it provides {' or '.join(m.patterns)} (declared)"
    if m.rule == "family":
        return (
            f"it must install {' or '.join(m.patterns)} "
            f"({', '.join(m.families)} build for its extras)"
        )
    return f"its extras ({', '.join(m.extras)}) must add at least one package, and they add none"


def cause(c: Cause) -> str:
    """Why the requirement that should bring the accelerator did not, from the lock."""
    if c.kind == "not-applicable":
        return (
            f"the project's requirement {c.requirement} does not apply to Python {c.python} "
            "on this platform"
        )
    if c.kind == "not-selected":
        return (
            f"no locked {c.package} is selected for Python {c.python} "
            "(its lock markers exclude this target)"
        )
    where = f"locked {c.package} {c.version} for Python {c.python}"
    if c.kind == "no-extra":
        return (
            f"the {where} has no extra {c.extra} (poetry.lock's [package.extras] for it: "
            f"{', '.join(c.listed) or 'none'})"
        )
    return (
        f"the {where} has extra {c.extra} ({', '.join(c.listed)}), but the lock's markers "
        "keep those packages out of this target"
    )


def remedy(r: Remedy) -> str:
    if r.kind == "narrow-python":
        return f"narrow requires-python to exclude Python {r.python}"
    if r.kind == "drop-python":
        return f"drop Python {r.python} from target {r.target}"
    if r.kind == "other-python":
        return "install into an environment with a Python the release supports (`poetry env use`)"
    name = f"{r.package}[{r.extra}]"
    if r.version is None:
        return (
            f"raise the floor of {name} to its first release that has the extra "
            "(poetry.lock holds none) and re-lock"
        )
    source = (
        "its first release with the extra, per the index"
        if r.found_by == "index"
        else "the oldest locked release with the extra"
    )
    return (
        f"raise the floor to {name}>={r.version} ({source}"
        f"{_needs(r.requires_python, r.python)}) and re-lock"
    )


def _needs(requires_python: str | None, python: str) -> str:
    """`, which needs Python >=3.12, not 3.11` (or nothing when it allows any Python)."""
    if requires_python in (None, "", "*"):
        return ""
    text = f", which needs Python {requires_python}"
    try:
        from packaging.specifiers import SpecifierSet

        if not SpecifierSet(requires_python.replace(" ", "")).contains(
            f"{python}.0", prereleases=True
        ):
            text += f", not {python}"
    except ValueError:
        pass
    return text


def missing_accelerator(m: MissingAccelerator) -> str:
    """The whole verdict in one line: the promise, why it is broken, the fixes."""
    text = f"variant {m.variant} delivers no accelerator on Python {m.python}: {expected(m)}"
    if m.causes:
        text += "; " + "; ".join(cause(c) for c in m.causes)
    if m.remedies:
        text += ". Fix: " + "; or ".join(remedy(r) for r in m.remedies)
    return text


FORBID_REMEDIES = {
    "torch-cpu-index": (
        "PyTorch from PyPI is the CUDA build on Linux: take torch from PyTorch's CPU "
        "wheel index as an explicit source for this variant (see examples/torch)."
    ),
    "jax-into-cuda-extras": (
        "Move jax[cudaNN] into the CUDA variants' extras so that the CPU install does not take it."
    ),
    "keep-out": (
        "Keep it out of this variant (markers or an extra of another variant), or change "
        "the variant's forbids."
    ),
}


def forbidden(f: ForbiddenPackage) -> str:
    who = ", ".join(f.required_by) or "nothing in the set (a root of the lock)"
    return (
        f"variant {f.variant} forbids {f.pattern}, but the install takes "
        f"{f.package} {f.version} (required by {who}). {FORBID_REMEDIES[f.remedy]}"
    )


# --- lock problems -------------------------------------------------------------------------

LOCK_UNFIT = {
    "no-lock": "poetry.lock not found; run `poetry lock` to create it",
    "stale-lock": (
        "pyproject.toml changed significantly since poetry.lock was last generated; "
        "run `poetry lock` to fix the lock file"
    ),
}


def lock_unfit(f: LockUnfit) -> str:
    if f.kind == "unreadable-lock":
        return f"poetry.lock cannot be read: {f.error}"
    if f.kind == "old-lock":
        return (
            f"poetry.lock has lock-version {f.lock_version}; checking needs the per-group "
            "markers of lock-version 2.1; run `poetry lock` to upgrade it"
        )
    return LOCK_UNFIT[f.kind]


def extra_not_locked(f: ExtraNotLocked) -> str:
    who = {"install": "the install", "target": "the target"}.get(f.by, f"variant {f.variant}")
    return (
        f"{who} needs extra {f.extra!r}, which poetry.lock does not have (it has: "
        f"{', '.join(f.locked) or 'none'}); declare the extra and run `poetry lock`"
    )


def no_wheel(f: NoWheel) -> str:
    """`no wheel for <target>; files have <what the wheels offer>` (or the sdist it builds)."""
    needed = f"no wheel for {f.target}" + (" (installer.no-binary)" if f.no_binary else "")
    if f.sdist is not None:
        return f"{needed}; builds from source ({f.sdist})"
    offer = f"files have {f.offered}" if f.offered else f"files are {', '.join(f.files)}"
    if f.sdist_refused:
        offer += "; installer.only-binary refuses the sdist"
    return f"{needed}; {offer}"


MISSING_WHY = {
    "absent": "poetry.lock does not contain it",
    "excluded": "the markers of its lock entries exclude this target",
}


def missing_requirement(f: MissingRequirement) -> str:
    where = f" (where {f.marker})" if f.marker else ""
    why = (
        f"poetry.lock has it only for other groups ({', '.join(f.groups)})"
        if f.why == "other-groups"
        else MISSING_WHY[f.why]
    )
    return f"required by the project{where}, but {why}; run `poetry lock`"


def duplicate_entry_version(e: DuplicateEntry) -> str:
    """`2.9.0+cpu from cpu`: an entry's version and, when it has one, its source."""
    return f"{e.version} from {e.source}" if e.source else e.version


def duplicate(f: Duplicate) -> str:
    """Who brings each entry, the markers they carry, and the change that fixes it."""
    entries = []
    for e in f.entries:
        brought = "; ".join(f"{w} ({how})" for w, how in e.required_by) or "nothing in this install"
        entries.append(
            f"{duplicate_entry_version(e)} (lock marker: {e.marker or 'none'}; "
            f"required by {brought})"
        )
    return (
        f"{len(f.entries)} locked entries are selected at once: {'; '.join(entries)}. "
        f"{duplicate_advice(f)}"
    )


def duplicate_advice(f: Duplicate) -> str:
    name, who = f.name, f.who
    if f.advice == "relock":
        return (
            f"Fix: nothing in this install requires {name}; the lock does not match "
            "pyproject.toml: `poetry lock`"
        )
    if f.advice == "constrain":
        return (
            f"Fix: {who} requires {name} and accepts every entry, and the lock's markers of "
            f"the entries overlap here; constrain {name} in the project to one version for "
            f"this platform (e.g. `{name}==<version> ; sys_platform == 'linux'`), then "
            "`poetry lock`"
        )
    own = (
        f"Fix: {who} requires {name} and accepts every entry, so no marker on the "
        f"project's own {name} requirement (an extra, a source) can keep one out"
    )
    if f.advice == "jaxlib-through-jax":
        return own + (
            "; take CUDA through jax's extra (`jax[cuda12]`: the CUDA plugin, no "
            "`+cuda` jaxlib) instead, then `poetry lock`"
        )
    if f.advice == "pin-per-platform":
        return own + (
            f"; pin {name} once per platform with disjoint markers (e.g. "
            "`sys_platform == 'linux'` / `sys_platform != 'linux'`), then `poetry lock`"
        )
    if f.advice == "jax-extra":
        return (
            f"Fix: require `jax[{f.backend}]` instead of a bare {name} (the plugin must "
            "follow jax's version), then `poetry lock`"
        )
    if f.advice == "request-one-extra":
        return (
            "Fix: each entry belongs to an extra and both extras are requested: request one "
            "(e.g. with `--variant`), or make them exclusive (`extra == 'a' and extra != 'b'`)"
        )
    return (
        f"Fix: make the markers of the requirements of {name} above exclusive for this "
        f"target (exclusive extras: `extra == 'a' and extra != 'b'`; or by `sys_platform`), "
        "then `poetry lock`"
    )


def python_outside(f: PythonOutside) -> str:
    if f.scope == "target":
        return (
            f"the project does not support Python {f.python} "
            f"(requires-python {f.requires_python or '?'})"
        )
    return (
        f"this environment's Python {f.python} is outside the project's requires-python "
        f"({f.requires_python}): the lock holds nothing for it; use a Python the project "
        "supports (`poetry env use 3.X`), or widen requires-python and `poetry lock`"
    )


def facts(f: Facts) -> str:
    """A problem's sentence, from its facts (without the package it is about)."""
    if isinstance(f, MissingAccelerator):
        return missing_accelerator(f)
    if isinstance(f, ForbiddenPackage):
        return forbidden(f)
    if isinstance(f, LockUnfit):
        return lock_unfit(f)
    if isinstance(f, ExtraNotLocked):
        return extra_not_locked(f)
    if isinstance(f, NoFiles):
        return "the lock records no files for it"
    if isinstance(f, FromSource):
        return f"builds from source ({f.origin})"
    if isinstance(f, NoWheel):
        return no_wheel(f)
    if isinstance(f, MissingRequirement):
        return missing_requirement(f)
    if isinstance(f, Duplicate):
        return duplicate(f)
    if isinstance(f, PythonOutside):
        return python_outside(f)
    if isinstance(f, UnknownPlatform):
        return f.error
    raise AssertionError(f"no words for {f!r}")


def problem(p: Problem) -> str:
    """`numpy 2.2.6: <sentence>`, or the sentence alone for a problem of the lock as a whole."""
    detail = facts(p.facts)
    if p.package is None:
        return detail
    return f"{p.package} {p.version}: {detail}"


def problem_lines(problems: Iterable[Problem], *, indent: str = "  ") -> list[str]:
    """One line per problem, Poetry-markup coloured: `<error>` errors, `<warning>` warnings."""
    lines = []
    for p in problems:
        tag = "error" if p.severity == "error" else "warning"
        lines.append(f"{indent}<{tag}>- {problem(p)}</{tag}>")
    return lines


def unfit_lock(problems: Iterable[Problem], *, strict: bool = False) -> str | None:
    """The error `platform-install` shows for a lock that cannot install here, else `None`."""
    from poetry_platform.check.problems import blocking

    stopping = blocking(problems, strict=strict)
    if not stopping:
        return None
    lines = ["poetry.lock cannot be installed on this machine:"]
    lines += [f"  - {problem(p)}" for p in stopping]
    lines.append(
        "Nothing was installed. Fix what each line says, or see every target with "
        "`poetry platform-check`."
    )
    return "\n".join(lines)


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
    for result in results:
        plan, found = result.plan, result.check
        label = f"<c1>{plan.name}</c1> ({target(plan)}; {plan.tags.describe()})"
        warnings = sum(p.severity == "warning" for p in found.problems)
        if result.failed(strict=strict):
            status = "<error>FAILED</error>"
        elif warnings:
            status = f"<warning>OK with {warnings} warning{'s' * (warnings != 1)}</warning>"
        else:
            status = "<success>OK</success>"
        out.append(Line(f"{label}: {status}, {len(found.packages)} packages"))
        out += [Line(line) for line in problem_lines(found.problems)]
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


def problem_json(p: Problem) -> dict[str, Any]:
    needed, have = p.needed, p.have
    f = p.facts
    if isinstance(f, MissingAccelerator):
        needed = expected(f)
        have = "; ".join(cause(c) for c in f.causes) or "nothing"
    elif isinstance(f, ForbiddenPackage):
        needed, have = f"no {f.pattern}", f"{p.package} {p.version}"
    elif isinstance(f, Duplicate):
        needed, have = "one entry", ", ".join(duplicate_entry_version(e) for e in f.entries)
    return {
        "kind": p.kind,
        "severity": p.severity,
        "package": p.package,
        "version": p.version,
        "needed": needed,
        "have": have,
        "message": problem(p),
    }


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


def cause_json(c: Cause) -> dict[str, Any]:
    return {
        "requirement": c.requirement,
        "kind": c.kind,
        "package": c.package,
        "version": c.version,
        "extra": c.extra,
        "detail": cause(c),
        "first_locked_with_extra": c.first_with_extra,
        "first_locked_with_extra_python": c.first_with_extra_python,
    }


def missing_json(m: MissingAccelerator) -> dict[str, Any]:
    return {
        "variant": m.variant,
        "python": m.python,
        "rule": m.rule,
        "expected": expected(m),
        "causes": [cause_json(c) for c in m.causes],
        "remedies": [remedy(r) for r in m.remedies],
        "message": missing_accelerator(m),
    }


def forbidden_json(f: ForbiddenPackage) -> dict[str, Any]:
    return {
        "variant": f.variant,
        "package": f.package,
        "version": f.version,
        "pattern": f.pattern,
        "required_by": list(f.required_by),
        "remedy": FORBID_REMEDIES[f.remedy],
        "message": forbidden(f),
    }


def fidelity_json(f: Fidelity) -> dict[str, Any]:
    return {
        "variant": f.variant,
        "applies": f.applies,
        "delivered_by": list(f.delivered_by),
        "missing_accelerator": missing_json(f.missing) if f.missing else None,
        "forbidden_packages": [forbidden_json(x) for x in f.forbidden],
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


# --- platform-export -----------------------------------------------------------------------


def export_header(name: str, what: str, install: str) -> list[str]:
    """The comment lines atop an exported file: what it is and how to install it."""
    return [
        f"Exported by poetry platform-export: {name} ({what})",
        f"Install with: {install} <this file>",
    ]


def wrote(path: object) -> Line:
    return Line(f"Wrote <c1>{path}</c1>", error=True)
