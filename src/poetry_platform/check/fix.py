"""`platform-check --fix`: apply the first fix that really locks and passes the check.

A fix is only known to work once Poetry has locked it (Poetry 2.5 refuses some splits by
Python that look right), so each candidate (`check/remedies.py`: the split by Python, the
raised floor; never narrowing requires-python or dropping a target) is tried in a temporary
copy of the project: the edit applied to pyproject.toml, re-locked there with the fix's own
command (`poetry update --lock NAME`: only the named packages move), the lock checked again
on every target. The first candidate that fails no target the check passed and passes at
least one it failed is kept; pyproject.toml and poetry.lock are written only then, both at
once, compared before they are replaced (an edit the user saved meanwhile is kept).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Sequence

    from poetry.poetry import Poetry
    from tomlkit import TOMLDocument

    from poetry_platform.check.targets import TargetResult
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.problems import Edit
    from poetry_platform.lockset.problems import Remedy

    # (the project's Poetry) -> (its lock, every target's result)
    Check = Callable[[Poetry], tuple[LockState, list[TargetResult]]]

FIXABLE = ("split-python", "raise-floor", "pin-version", "cpu-source")


@dataclass(frozen=True)
class Tried:
    """One candidate and what became of it: locked and checked, or why not."""

    remedy: Remedy
    ok: bool
    reason: str = ""  # the solver's first lines, or the targets it fails
    pyproject: bytes = b""
    lock: bytes = b""


def candidates(results: Iterable[TargetResult]) -> list[Remedy]:
    """Every fix with exact edits that `--fix` may apply, first offered first, each once.

    Per target: a missing accelerator's fixes, then torch from the CPU source (it takes the
    whole CUDA build out of a cpu variant, and with it the duplicate entries of its
    `nvidia-*` wheels), then the pins of duplicate entries: all of them at once first
    (where two packages are duplicated, one pin alone never passes), then each alone; never
    the pin of a package the target's variant forbids."""
    from packaging.utils import canonicalize_name

    from poetry_platform.check.remedies import pins_together
    from poetry_platform.lockset.problems import Duplicate

    out: dict[tuple[Edit, ...], Remedy] = {}
    for result in results:
        fidelity = result.fidelity
        offered = list(fidelity.missing.remedies if fidelity and fidelity.missing else ())
        offered += [f.fix for f in fidelity.forbidden if f.fix] if fidelity else []
        pins = [
            p.facts.remedy
            for p in result.check.problems
            if isinstance(p.facts, Duplicate) and p.facts.remedy is not None
        ]
        # A package the variant forbids is taken away, never pinned: a pin in the project's
        # dependencies would keep it (PyPI torch's nvidia-* duplicates under cpu).
        forbidden = (
            {canonicalize_name(f.package) for f in fidelity.forbidden} if fidelity else set()
        )
        pins = [
            r
            for r in pins
            if r.kind == "pin-version"
            and r.edits
            and canonicalize_name(r.package or "") not in forbidden
        ]
        offered += [pins_together(pins), *pins] if len(pins) > 1 else pins
        for remedy in offered:
            if remedy.kind in FIXABLE and remedy.edits and remedy.edits not in out:
                out[remedy.edits] = remedy
    return list(out.values())


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """pyproject.toml's text with the edits made, the rest of the file as it was."""
    import tomlkit

    doc = tomlkit.parse(text)
    for edit in edits:
        if edit.table != "project":
            _set_key(doc, edit)
            continue
        project = doc["project"]
        if edit.where == "requires-python":
            project["requires-python"] = edit.new[0]
            continue
        if edit.where == "dependencies":
            entries = project["dependencies"]
        else:
            entries = project["optional-dependencies"][edit.where]
        items = [str(x) for x in entries]
        at = items.index(edit.old) if edit.old else len(items)
        if edit.old:
            del entries[at]
        for offset, new in enumerate(edit.new):
            entries.insert(at + offset, new)
    return tomlkit.dumps(doc)


def _set_key(doc: TOMLDocument, edit: Edit) -> None:
    """A Poetry table's key set to the edit's value (the table made if need be); ValueError
    when the key's value is no longer the one the edit was made from."""
    import tomlkit

    from poetry_platform.check.cpu_source import inline

    table: Any = doc
    for part in edit.table.split("."):
        if part not in table:
            table[part] = tomlkit.table(is_super_table=part != edit.table.split(".")[-1])
        table = table[part]
    current = table.get(edit.where)
    if (inline(current.unwrap()) if current is not None else "") != edit.old:
        raise ValueError(f"[{edit.table}] {edit.where} is no longer {edit.old or 'absent'}")
    value = tomlkit.parse(f"v = {edit.new[0]}")["v"]
    if isinstance(value, tomlkit.items.Array) and len(value) > 1:
        value.multiline(True)  # one entry a line, as Poetry's examples write it
    table[edit.where] = value


def failing(results: Iterable[TargetResult], *, strict: bool) -> set[tuple[str, str]]:
    """The targets (name, Python) that fail, and those whose variant takes a package it
    forbids (name, Python, "forbidden"): warnings an exact fix may clear."""
    out = {(r.plan.name, r.plan.python) for r in results if r.failed(strict=strict)}
    return out | {
        (r.plan.name, f"{r.plan.python}, forbidden packages")
        for r in results
        if r.fidelity and r.fidelity.forbidden
    }


def attempt(
    poetry: Poetry,
    remedy: Remedy,
    check: Check,
    before: set[tuple[str, str]],
    *,
    strict: bool,
) -> Tried:
    """Lock and check one candidate as a draft: the edited pyproject read as if it stood in
    the project's directory (a `{ path = "../lib" }` dependency resolves where the project's
    own lock resolves it), the lock written to a scratch file (`locking.py`)."""
    from poetry_platform.poetry_api import toml_loads

    text = poetry.pyproject_path.read_text(encoding="utf-8")
    try:
        edited = apply_edits(text, remedy.edits)
    except (KeyError, ValueError) as e:  # not a PEP 621 [project] table, or the entry moved
        return Tried(remedy, False, f"pyproject.toml has no place for the edit ({e})")
    names = (remedy.command or "").split()[3:]  # `poetry update --lock NAME ...`
    data = toml_loads(edited)
    with tempfile.TemporaryDirectory(prefix="poetry-platform-fix-") as scratch:
        copy = Path(scratch)
        (copy / "pyproject.toml").write_text(edited, encoding="utf-8")
        lock_path = poetry.pyproject_path.parent / "poetry.lock"
        if lock_path.exists():
            shutil.copyfile(lock_path, copy / "poetry.lock")
        draft = _draft(poetry, copy, data)
        error = _relock(draft, names)
        if error is not None:
            return Tried(remedy, False, error)
        lock, results = check(_draft(poetry, copy, data))
        after = failing(results, strict=strict) | ({("lock", "")} if lock.problems else set())
        if after - before or not before - after:
            still = ", ".join(f"{n} (Python {p})" for n, p in sorted(after)) or "none"
            return Tried(remedy, False, f"the check still fails: {still}")
        return Tried(
            remedy,
            True,
            pyproject=edited.encode("utf-8"),
            lock=(copy / "poetry.lock").read_bytes(),
        )


def _draft(poetry: Poetry, copy: Path, data: dict[str, Any]) -> Poetry:
    """The project with the edited pyproject (`copy`'s, which only its text is read from)
    and `copy`'s lock; the package and the lock's paths anchored at the project's directory,
    the project's pool and settings."""
    from poetry.poetry import Poetry

    from poetry_platform.locking import draft_locker
    from poetry_platform.locking import draft_package

    root = poetry.pyproject_path.parent
    local = (data.get("tool") or {}).get("poetry") or {}
    draft = Poetry(
        copy / "pyproject.toml",
        dict(local),
        draft_package(root, data),
        draft_locker(copy / "poetry.lock", data, root),
        poetry.config,
        poetry.disable_cache,
    )
    draft.set_pool(poetry.pool)
    return draft


def _relock(draft: Poetry, names: Sequence[str]) -> str | None:
    """`poetry update --lock NAMES` of the draft, in process; the solver's words or None.
    Poetry's progress lines would mix with the report (and --json on stdout): quiet."""
    from cleo.io.null_io import NullIO
    from poetry.puzzle.exceptions import SolverProblemError

    from poetry_platform.locking import first_lines
    from poetry_platform.locking import lock_installer

    installer = lock_installer(
        NullIO(),
        draft.pyproject_path.parent,
        draft.package,
        draft.locker,
        draft.pool,
        draft.config,
        update=True,
        names=names,
    )
    try:
        code = installer.run()
    except SolverProblemError as e:
        return first_lines(str(e))
    except Exception as e:  # any failure to lock: this candidate does not work
        # (an unreachable source: Poetry's "All attempts to connect to HOST failed.")
        import re

        first = next((line for line in str(e).splitlines() if line.strip()), type(e).__name__)
        return re.sub(r"</?[\w=;,-]*>", "", first).strip()  # Poetry's console markup
    return None if code == 0 else f"poetry exited {code}"


@dataclass(frozen=True)
class FixOutcome:
    tried: tuple[Tried, ...]
    applied: Tried | None
    written: bool  # False: --dry-run, or nothing applied
    diff: tuple[str, ...] = ()  # unified diff of pyproject.toml and poetry.lock (applied)


def fix(
    poetry: Poetry,
    results: Sequence[TargetResult],
    check: Check,
    *,
    strict: bool,
    dry_run: bool,
) -> FixOutcome:
    """Try each candidate in order; write the first that passes (unless `dry_run`).

    The files are snapshotted before the first attempt and compared before they are
    replaced (`up/atomic.py`): an edit the user saves while the fix locks is kept, and the
    fix writes nothing (`ChangedOnDisk`).
    """
    from poetry_platform import atomic

    root = poetry.pyproject_path.parent
    paths = [root / "pyproject.toml", root / "poetry.lock"]
    before = failing(results, strict=strict)
    tried: list[Tried] = []
    with atomic.transaction(paths) as snapshot:
        for remedy in candidates(results):
            outcome = attempt(poetry, remedy, check, before, strict=strict)
            tried.append(outcome)
            if not outcome.ok:
                continue
            diff = _diff(snapshot.contents, {paths[0]: outcome.pyproject, paths[1]: outcome.lock})
            if not dry_run:
                snapshot.replace(
                    {paths[0]: outcome.pyproject, paths[1]: outcome.lock},
                    command="platform-check --fix",
                )
                snapshot.commit()
            return FixOutcome(tuple(tried), outcome, not dry_run, diff)
    return FixOutcome(tuple(tried), None, False)


def _diff(old: dict[Path, bytes | None], new: dict[Path, bytes]) -> tuple[str, ...]:
    import difflib

    out: list[str] = []
    for path, data in new.items():
        before = (old.get(path) or b"").decode("utf-8", "replace").splitlines()
        after = data.decode("utf-8", "replace").splitlines()
        out += difflib.unified_diff(before, after, f"a/{path.name}", f"b/{path.name}", lineterm="")
    return tuple(out)
