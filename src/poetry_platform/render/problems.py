"""Lock problems in words: one function per kind of `Problem.facts`, the line a problem
takes, its JSON, and the refusal `platform-install` shows for a lock that cannot install."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.lockset.problems import BadHash
from poetry_platform.lockset.problems import Duplicate
from poetry_platform.lockset.problems import ExtraNotLocked
from poetry_platform.lockset.problems import ForbiddenPackage
from poetry_platform.lockset.problems import FromSource
from poetry_platform.lockset.problems import LockUnfit
from poetry_platform.lockset.problems import MissingAccelerator
from poetry_platform.lockset.problems import MissingRequirement
from poetry_platform.lockset.problems import NoFiles
from poetry_platform.lockset.problems import NoWheel
from poetry_platform.lockset.problems import PythonOutside
from poetry_platform.lockset.problems import UnknownPlatform
from poetry_platform.render.accelerator import cause
from poetry_platform.render.accelerator import expected
from poetry_platform.render.accelerator import forbidden
from poetry_platform.render.accelerator import forbidden_groups
from poetry_platform.render.accelerator import missing_accelerator
from poetry_platform.render.accelerator import remedy_lines
from poetry_platform.render.accelerator import same_fixes

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry_platform.lockset.problems import DuplicateEntry
    from poetry_platform.lockset.problems import Facts
    from poetry_platform.lockset.problems import Problem


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
    """Who brings each entry, the markers they carry, and the change that fixes it: each
    entry on a line of its own, its lock marker on the next (PyPI's markers for
    cuda-toolkit's pins alone run to 200 characters; on one line, PyPI's torch made 700)."""
    lines = [f"{len(f.entries)} locked entries are selected at once:"]
    for e in f.entries:
        brought = "; ".join(f"{w} ({how})" for w, how in e.required_by)
        lines.append(f"  {duplicate_entry_version(e)}, required by {brought or 'nothing here'}")
        lines.append(f"    lock marker: {e.marker or 'none'}")
    return "\n".join([*lines, duplicate_advice(f)])


def duplicate_advice(f: Duplicate) -> str:
    name, who = f.name, f.who
    if f.advice == "forbidden" and f.forbid is not None:
        from poetry_platform.render.accelerator import FORBID_SHORT

        return (
            f"Fix: no pin (it would keep {name}, which variant {f.variant} forbids): "
            f"{FORBID_SHORT[f.forbid]}, as this target's warning on what variant "
            f"{f.variant} forbids says; every entry goes with it"
        )
    if f.advice == "relock":
        return (
            f"Fix: nothing in this install requires {name}; the lock does not match "
            "pyproject.toml: `poetry lock`"
        )
    if f.advice == "constrain" and f.works and f.remedy is not None:
        pins = f" ({', '.join(f.pinned_by)} pins it)" if f.pinned_by else ""
        return (
            f"Fix: pin {name} to {f.works}, the entry every requirer accepts{pins}:\n"
            + "\n".join(f"  {line}" for line in remedy_lines(f.remedy))
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


def bad_hash(f: BadHash) -> str:
    shown = f"{f.value[:72]!r}{'...' if len(f.value) > 72 else ''}"
    if f.fault == "missing":
        what = "no hash"
    elif f.fault == "upper-case":
        algorithm = f.value.partition(":")[0]
        what = (
            f"a hash whose algorithm is written in capitals ({shown}; Poetry's installer"
            f" knows only {algorithm.lower()})"
        )
    else:
        what = f"a malformed hash ({shown})"
    return (
        f"poetry.lock records {what} for {f.file}, so the install cannot verify it; "
        "run `poetry lock --regenerate`"
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
    if isinstance(f, BadHash):
        return bad_hash(f)
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


def problem_texts(
    problems: Iterable[Problem],
    *,
    verbose: bool = False,
    listed: dict[tuple[object, ...], str] | None = None,
    where: str = "",
) -> list[tuple[str, str]]:
    """(severity, text) per cause: forbidden packages grouped into one warning per cause,
    identical texts once; a text may span lines (a fix's edits). `listed` (shared by the
    caller across targets): exact fixes already listed, and where; a missing accelerator
    whose fixes are among them points there, and `where` names this place for the next."""
    problems = list(problems)
    forbidden = [p for p in problems if isinstance(p.facts, ForbiddenPackage)]
    texts: list[tuple[str, str]] = []
    for p in problems:
        if isinstance(p.facts, ForbiddenPackage):
            if p is forbidden[0]:  # one warning per cause, where the first one stood
                facts = [f.facts for f in forbidden if isinstance(f.facts, ForbiddenPackage)]
                texts += [
                    (p.severity, t) for t in forbidden_groups(facts, verbose=verbose, named=True)
                ]
            continue
        if listed is not None and isinstance(p.facts, MissingAccelerator):
            key = same_fixes(p.facts)
            if key is not None:
                text = missing_accelerator(p.facts, fixes_as=listed.get(key))
                listed.setdefault(key, where)
                texts.append((p.severity, text))
                continue
        texts.append((p.severity, problem(p)))
    return list(dict.fromkeys(texts))


def warning_count(problems: Iterable[Problem]) -> int:
    """The warnings as printed (one per cause): "OK with 1 warning" above the one line that
    names torch's 18 CUDA packages, not "OK with 18 warnings"."""
    return sum(severity == "warning" for severity, _ in problem_texts(problems))


def bullet(text: str, indent: str = "  ") -> list[str]:
    """`- text` at `indent`, its further lines under the text, not under the dash."""
    first, *rest = text.split("\n")
    return [f"{indent}- {first}", *(f"{indent}  {line}" for line in rest)]


def problem_lines(
    problems: Iterable[Problem],
    *,
    indent: str = "  ",
    verbose: bool = False,
    listed: dict[tuple[object, ...], str] | None = None,
    where: str = "",
) -> list[str]:
    """One line per problem, Poetry-markup coloured: `<error>` errors, `<warning>` warnings
    (`listed`, `where`: see `problem_texts`)."""
    lines = []
    for severity, text in problem_texts(problems, verbose=verbose, listed=listed, where=where):
        tag = "error" if severity == "error" else "warning"
        first, *rest = bullet(text, indent)
        lines.append(f"{indent}<{tag}>{first.removeprefix(indent)}</{tag}>")
        lines += rest
    return lines


def unfit_lock(problems: Iterable[Problem], *, strict: bool = False) -> str | None:
    """The error `platform-install` shows for a lock that cannot install here, else `None`."""
    from poetry_platform.lockset.problems import blocking

    stopping = blocking(problems, strict=strict)
    if not stopping:
        return None
    lines = ["poetry.lock cannot be installed on this machine:"]
    lines += [line for _, text in problem_texts(stopping) for line in bullet(text)]
    lines.append(
        "Nothing was installed. Fix what each line says, or see every target with "
        "`poetry platform-check`."
    )
    return "\n".join(lines)


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
