"""What a run that stopped early leaves: the files it wrote or restored, and the venv.

The files are known exactly (`atomic` wrote both or neither). The venv is not: an install
interrupted by Ctrl-C may have finished anyway (Poetry's installer swallows the interrupt and
completes the operations under way), and a failed install may have upgraded some packages
before it failed, while both files were put back. So the venv is read after the fact, and
the message says what it holds: only the packages whose locked versions this run moved are
compared, the ones the install step was there to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Protocol

from poetry_platform.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence
    from pathlib import Path

    from poetry_platform.up.report import Report

RESTORED = "pyproject.toml and poetry.lock are unchanged"

# (package, version in the venv, versions the lock has)
Mismatch = tuple[str, str, tuple[str, ...]]


def moved(
    before: Mapping[str, tuple[str, ...]], after: Mapping[str, tuple[str, ...]]
) -> frozenset[str]:
    """Packages whose locked versions differ between two locks (name -> versions)."""
    return frozenset(n for n in set(before) | set(after) if before.get(n) != after.get(n))


def mismatches(
    installed: Mapping[str, str],
    names: frozenset[str],
    locked: Mapping[str, tuple[str, ...]],
) -> list[Mismatch]:
    """The packages among `names` that the venv holds at a version `locked` does not have.

    A package the venv does not hold, or the lock does not have at all, is not compared:
    it may be for another platform, group or extra.
    """
    out = []
    for name in sorted(names):
        have, want = installed.get(name), locked.get(name, ())
        if have is not None and want and not any(_same(have, v) for v in want):
            out.append((name, have, want))
    return out


def _same(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion
    from packaging.version import Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _listed(found: Sequence[Mismatch]) -> str:
    parts = [f"{name} is {have}, the lock has {' or '.join(want)}" for name, have, want in found]
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return "; ".join(parts[:3]) + more


def interrupted_install(
    written: str, were: str, signal: str, found: Sequence[Mismatch] | None, command: str
) -> str:
    """After an interrupt in the install step (files written): did the install finish?

    `found` is what `mismatches` found against the written lock; None when the venv could
    not be read.
    """
    head = f"Interrupted{signal} during the install: {written} {were} written"
    if found is None:
        return (
            f"{head}; the venv could not be read to tell whether the install finished."
            f" Run `{command}` to finish it."
        )
    if found:
        return (
            f"{head}, the install was not finished ({_listed(found)})."
            f" Run `{command}` to finish it."
        )
    return (
        f"{head}, and the venv already has every version the new lock moved: the install"
        f" got that far. Run `{command}` to make sure it is complete."
    )


def failed_install(reason: str, found: Sequence[Mismatch] | None, command: str) -> str:
    """After a failed install, both files restored: does the venv still match them?"""
    head = f"Installing the new lock failed ({reason}); {RESTORED}"
    if found is None:
        return f"{head}, and the venv could not be read: it may hold some of the new versions."
    if not found:
        return f"{head}; the venv still has the locked version of every package the bump moved."
    return (
        f"{head}, but the venv is not: it now differs from the restored lock"
        f" ({_listed(found)}). `{command}` brings it back to the lock."
    )


class Stopped(Protocol):
    """How far a run got when it stopped (`up/run.py`'s `UpRun`), as this module reads it."""

    @property
    def phase(self) -> str: ...
    @property
    def written(self) -> Sequence[Path]: ...
    @property
    def reinstall(self) -> str: ...
    def venv_mismatches(self, *, restored: bool) -> list[Mismatch] | None: ...


def interrupted_message(run: Stopped, how: str | None) -> str:
    """What an interrupt left: nothing changed, or what was written and what is left to do.
    `how`: the signal's name (`SIGTERM`), None for Ctrl-C."""
    signal = f" by {how}" if how else ""
    if not run.written:
        return f"Interrupted{signal}: {RESTORED}."
    names = " and ".join(p.name for p in run.written)
    were = "were" if len(run.written) > 1 else "was"
    if run.phase == "installing":
        found = run.venv_mismatches(restored=False)
        return interrupted_install(names, were, signal, found, run.reinstall)
    return f"Interrupted{signal}: {names} {were} written; the update is complete."


def unreadable_error(report: Report, *, check: bool) -> SourceError:
    """One error for the entries whose source failed: which sources, what to do; exit 1,
    or 2 for --check ("could not check", apart from "a bump is available")."""
    from poetry_platform.index.model import credentials_hint

    rows = report.unreadable
    sources = sorted({h.error.source for h in rows if h.error is not None})
    names = ", ".join(sorted({h.name for h in rows}))
    verb = "Could not check" if check else "Could not look up"
    remedies = [
        credentials_hint(source)
        for source in sources
        if any(
            h.error is not None and h.error.needs_credentials and h.error.source == source
            for h in rows
        )
    ]
    remedy = "; ".join(remedies) if remedies else "check the source's URL, or retry"
    return SourceError(
        f"{verb} {names}: source {', '.join(sources)} could not be read; nothing was changed.",
        remedy[0].upper() + remedy[1:] + ".",
        exit_code=2 if check else 1,
    )
