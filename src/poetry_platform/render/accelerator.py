"""A variant's promise in words (the rule is `check/fidelity.py`): the accelerator it must
deliver, why the lock does not, the fixes, and the packages it forbids; text and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poetry_platform.check.fidelity import Fidelity
    from poetry_platform.lockset.problems import Cause
    from poetry_platform.lockset.problems import Edit
    from poetry_platform.lockset.problems import ForbiddenPackage
    from poetry_platform.lockset.problems import MissingAccelerator
    from poetry_platform.lockset.problems import Remedy


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
    """A fix in one phrase; its exact edits and command are `remedy_lines`."""
    if r.kind == "narrow-python":
        if r.cut is None:
            return f"narrow requires-python to exclude Python {r.python}"
        return (
            f"narrow requires-python to Python {r.cut} and later (drops every older Python) "
            f"and raise the floor to {r.package}>={r.version}"
        )
    if r.kind == "pin-version":
        pins = r.pins or ((r.package, r.version),)
        return "pin " + " and ".join(f"{package} to {version}" for package, version in pins)
    if r.kind == "drop-python":
        return f"drop Python {r.python} from target {r.target}"
    if r.kind == "other-python":
        if not r.served:
            return (
                "install into an environment with a Python the release supports (`poetry env use`)"
            )
        *first, last = r.served
        pythons = f"{', '.join(first)} or {last}" if first else last
        return (
            f"install with Python {pythons} instead, which poetry.lock serves with "
            f"{r.variant} (`poetry env use {r.served[0]}`)"
        )
    if r.kind in ("cpu-source", "add-cpu-source"):
        return _cpu_source(r)
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
    if r.kind == "raise-cap":
        return (
            f"no release of {r.package} that {_toml(r.capped_by or '')} allows has the extra "
            f"{r.extra}: the first is {r.version} ({source}"
            f"{_needs(r.requires_python, r.python)}); raise or remove that cap in "
            "pyproject.toml, then re-lock"
        )
    if r.kind == "split-python":
        text = (
            f"split {r.package} by Python at {r.cut}: {name}>={r.version} ({source}"
            f"{_needs(r.requires_python, r.python)}) from Python {r.cut} on, the old floor below"
        )
        if r.left_out:
            pythons = ", ".join(r.left_out)
            text += f"; Python {pythons} still cannot get {r.extra}: there {r.package} "
            text += "installs without the extra"
            if r.instead:
                them = "it" if len(r.left_out) == 1 else "them"
                text += f" (extra {', '.join(r.instead)} serves {them})"
        return text
    text = f"raise the floor to {name}>={r.version} ({source}{_needs(r.requires_python, r.python)})"
    return text + (" and re-lock" if r.command is None else "")


def _cpu_source(r: Remedy) -> str:
    assert r.source is not None
    if r.kind == "cpu-source":
        return f"take {r.package} from the CPU source {r.source.name} for variant {r.variant}"
    return (
        f"declare PyTorch's CPU wheel index as the explicit source {r.source.name} and take "
        f"{r.package} from it for variant {r.variant}"
    )


def _toml(text: str) -> str:
    """An entry as TOML writes it: a basic string."""
    import json

    return json.dumps(text)


def edit_line(e: Edit) -> str:
    """`dependencies: replace "jax>=0.6.2" with "a", "b"`: one edit, to copy into [project];
    in a Poetry table, `set torch = [...]`: the key's whole value, to write as it stands."""
    if e.table != "project":
        return f"set {e.where} = {e.new[0]}"
    where = (
        e.where
        if e.where in ("dependencies", "requires-python")
        else (f"optional-dependencies.{e.where}")
    )
    new = ", ".join(_toml(n) for n in e.new)
    if not e.old:
        return f"{where}: add {new}"
    return f"{where}: replace {_toml(e.old)} with {new}"


def remedy_lines(r: Remedy) -> list[str]:
    """The fix's edits, by pyproject.toml table (a source to declare first), and the command
    that re-locks."""
    if not r.edits:
        return []
    lines = []
    if r.kind == "add-cpu-source" and r.source is not None:
        url = r.source.url or "<PyTorch's CPU wheel index URL, ending in /whl/cpu>"
        lines += [
            "add to pyproject.toml:",
            "  [[tool.poetry.source]]",
            f"  name = {_toml(r.source.name)}",
            f"  url = {_toml(url)}",
            f"  priority = {_toml(r.source.priority)}",
        ]
    for table in dict.fromkeys(e.table for e in r.edits):
        lines.append(f"in pyproject.toml [{table}]:")
        lines += [f"  {edit_line(e)}" for e in r.edits if e.table == table]
    if r.command:
        lines.append(f"then run: {r.command}")
    return lines


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


def missing_accelerator(m: MissingAccelerator, *, fixes_as: str | None = None) -> str:
    """The whole verdict: the promise, why it is broken, the fixes. One line when no fix
    has exact edits; else the fixes numbered below it, each with its edits and command.
    `fixes_as`: where the same exact fixes were already listed (`gpu on Python 3.11`); then
    one line points there instead of listing them again."""
    text = f"variant {m.variant} delivers no accelerator on Python {m.python}: {expected(m)}"
    if m.matches_nothing:
        which = "that" if len(m.patterns) == 1 else "any of them"
        names = f" (its extras add {', '.join(m.added)} here)" if m.added else ""
        return (
            f"{text}, and no package in poetry.lock matches {which}: the likely cause is the"
            " provides glob itself. Fix: write the accelerator's package names as poetry.lock"
            f" has them in [tool.poetry-platform] variant {m.variant}'s provides{names}"
        )
    why = []
    if m.unmatched:
        globs = ", ".join(m.unmatched)
        why.append(
            f"no package in poetry.lock matches {globs}: the likely cause is that provides"
            f" glob (fix it in [tool.poetry-platform] variant {m.variant}'s provides)"
        )
    why += [cause(c) for c in m.causes]
    if not any(r.edits for r in m.remedies):  # one line: the promise, why, the short fixes
        text = "; ".join([text, *why])
        if m.remedies:
            text += ". Fix: " + "; or ".join(remedy(r) for r in m.remedies)
        return text
    # the fixes take lines of their own: so do the reasons (one 380-character line before)
    lines = [text, *(f"  because {w}" for w in why)]
    if fixes_as is not None:  # the exact fixes as above; the rest (drop this Python) here
        rest = "".join(f"; or {remedy(r)}" for r in m.remedies if not r.edits)
        return "\n".join([*lines, f"  Fixes: as listed for {fixes_as} above{rest}"])
    lines.append("  Fixes, in order (platform-check --fix applies the first that locks):")
    for n, r in enumerate(m.remedies, 1):
        lines.append(f"  {n}. {remedy(r)}")
        lines += [f"     {line}" for line in remedy_lines(r)]
    return "\n".join(lines)


TORCH_CUDA = "PyTorch from PyPI is the CUDA build on Linux"
FORBID_REMEDIES = {
    "torch-cpu-index": (
        f"{TORCH_CUDA}: take torch from PyTorch's CPU wheel index as an explicit source for "
        "this variant (the shape: examples/torch in poetry-platform's repository)."
    ),
    "jax-into-cuda-extras": (
        "Move jax[cudaNN] into the CUDA variants' extras so that the CPU install does not take it."
    ),
    "keep-out": (
        "Keep it out of this variant (markers or an extra of another variant), or change "
        "the variant's forbids."
    ),
}


# The same fixes in a few words, for a duplicate entry of a forbidden package: its
# warning, printed for the same target, carries the whole fix.
FORBID_SHORT = {
    "torch-cpu-index": "take torch from PyTorch's CPU wheel index",
    "jax-into-cuda-extras": "move jax[cudaNN] into the CUDA variants' extras",
    "keep-out": "keep what brings it out of this variant",
}


def forbid_fix(f: ForbiddenPackage) -> str:
    """The fix of a forbidden package: the exact one (its lines below) when known, else words."""
    if f.fix is None:
        return FORBID_REMEDIES[f.remedy]
    how = (
        "platform-check --fix applies it"
        if f.fix.kind == "cpu-source"
        else "platform-check --fix adds no source; once it is declared, --fix applies the rest"
    )
    lines = [f"{TORCH_CUDA}. Fix: {remedy(f.fix)} ({how}):"]
    lines += [f"  {line}" for line in remedy_lines(f.fix)]
    return "\n".join(lines)


def forbidden(f: ForbiddenPackage) -> str:
    who = ", ".join(f.required_by) or "nothing in the set (a root of the lock)"
    return (
        f"variant {f.variant} forbids {f.pattern}, but the install takes "
        f"{f.package} {f.version} (required by {who}).\n{forbid_fix(f)}"
    )


SHOWN = 5  # forbidden packages named in one grouped warning without -v


def forbidden_groups(
    found: Sequence[ForbiddenPackage], *, verbose: bool = False, named: bool = False
) -> list[str]:
    """One warning per cause (variant and fix), listing its packages, not one per package:
    PyPI's torch under `cpu` is one warning naming its 20 CUDA packages, not 20 warnings
    each with the same fix. A cause with one package keeps `forbidden`'s sentence (after
    `package version: ` with `named`, as a check problem's line has it)."""
    groups: dict[tuple[str, str], list[ForbiddenPackage]] = {}
    for f in found:
        groups.setdefault((f.variant, f.remedy), []).append(f)
    out = []
    for (variant, _), fs in groups.items():
        if len(fs) == 1:
            f = fs[0]
            out.append(f"{f.package} {f.version}: {forbidden(f)}" if named else forbidden(f))
            continue
        patterns = ", ".join(dict.fromkeys(f.pattern for f in fs))
        members = {f"{f.package} {f.version}" for f in fs}
        roots = sorted({r for f in fs for r in f.required_by} - members) or ["each other"]
        names = [f"{f.package} {f.version}" for f in fs]
        head = (
            f"variant {variant} forbids {patterns}, but the install takes {len(fs)} such "
            f"packages, brought by {', '.join(roots)}:"
        )
        # the fix on lines of its own: after 5 names it made a line of 420 characters
        if len(names) <= SHOWN:
            out.append(f"{head} {', '.join(names)}.\n{forbid_fix(fs[0])}")
        elif not verbose:
            shown = [*names[:SHOWN], f"and {len(fs) - SHOWN} more (-v lists them)"]
            out.append(f"{head} {', '.join(shown)}.\n{forbid_fix(fs[0])}")
        else:  # the whole list, wrapped (one 767-character line on the real index before)
            listed = [f"  {line}" for line in _wrapped(names)]
            out.append("\n".join([head, *listed, forbid_fix(fs[0])]))
    return out


def same_fixes(m: MissingAccelerator) -> tuple[object, ...] | None:
    """What makes two verdicts' exact fixes the same (the edits and commands), or None when
    it has none: gpu-cuda13 on Python 3.11 and 3.12 lack the same extra and take the same
    split; listing its 20 lines twice is noise."""
    exact = tuple((r.kind, r.edits, r.command) for r in m.remedies if r.edits)
    return (m.variant, exact) if exact else None


def _wrapped(items: Sequence[str], width: int = 96) -> list[str]:
    """`a, b, c.` over lines of at most `width` characters, never splitting an item."""
    lines = [""]
    for i, item in enumerate(items):
        piece = item + ("." if i == len(items) - 1 else ",")
        if lines[-1] and len(lines[-1]) + 1 + len(piece) > width:
            lines.append("")
        lines[-1] = f"{lines[-1]} {piece}" if lines[-1] else piece
    return lines


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
        "matches_nothing": m.matches_nothing,
        "unmatched": list(m.unmatched),
        "remedies": [remedy(r) for r in m.remedies],
        "fixes": [remedy_json(r) for r in m.remedies],
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
        "fix": remedy_json(f.fix) if f.fix else None,
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


def remedy_json(r: Remedy) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "package": r.package,
        "extra": r.extra,
        "version": r.version,
        "found_by": r.found_by,
        "requires_python": r.requires_python,
        "python_from": r.cut,
        "pythons_left_out": list(r.left_out),
        "capped_by": r.capped_by,
        "pins": [{"package": p, "version": v} for p, v in r.pins],
        "pythons_served": list(r.served) if r.served is not None else None,
        "edits": [
            {"table": e.table, "where": e.where, "old": e.old, "new": list(e.new)} for e in r.edits
        ],
        "command": r.command,
        "source": (
            {"name": r.source.name, "url": r.source.url, "priority": r.source.priority}
            if r.source
            else None
        ),
        "variant": r.variant,
        "text": remedy(r),
    }


def sentence(text: str) -> str:
    """`text.` for a one-line message; a message ending in a command line stays as it is."""
    return text if "\n" in text else f"{text}."
