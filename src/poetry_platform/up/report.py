"""What `platform-up` did or would do, as data, and its three renderings: table, JSON, markdown.

Pure: the command fills a `Report` and picks a rendering. The JSON keys are the interface
for bots and CI (`changes` of `{name, group, old, new, ...}`, `held` with a reason each);
the markdown table is what a weekly pull request body shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from poetry_platform.up import reasons as p

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from poetry.core.constraints.version import VersionConstraint

    from poetry_platform.index.model import Unreadable
    from poetry_platform.up.declarations import Declaration

# "resolved": a dry run or check with --resolve re-locked a copy; nothing was written
LockStatus = Literal["written", "unchanged", "not-run", "failed", "would-change", "resolved"]


@dataclass(frozen=True)
class ChangeRow:
    name: str
    group: str
    extra: str | None
    section: str
    old: str
    new: str
    version: str
    source: str | None
    locked_before: tuple[str, ...]
    locked_after: tuple[str, ...] | None  # None: no lock was made (dry run, check)
    note: str | None = None
    label: str | None = None  # `jax (python <3.12)`: one entry of several, by its marker

    @property
    def group_label(self) -> str:
        return f"{self.extra} (extra)" if self.extra else self.group

    @property
    def entry(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class HeldRow:
    name: str
    group: str
    extra: str | None
    section: str
    constraint: str
    kind: str
    reason: str
    error: Unreadable | None = None  # kind "unreadable": the source that failed

    @property
    def group_label(self) -> str:
        return f"{self.extra} (extra)" if self.extra else self.group


@dataclass
class Report:
    strategy: str
    dry_run: bool = False
    check: bool = False
    changes: list[ChangeRow] = field(default_factory=list)
    held: list[HeldRow] = field(default_factory=list)
    lock: LockStatus = "not-run"
    lock_attempts: int = 0
    lock_error: str | None = None
    lock_moves: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    installed: bool = False
    written: list[str] = field(default_factory=list)  # file names, once written

    @property
    def unreadable(self) -> list[HeldRow]:
        """Entries whose source could not be read: never "up to date"."""
        return [h for h in self.held if h.kind == "unreadable"]


def change_row(
    decl: Declaration,
    old: str,
    new: str,
    version: str,
    locked_before: Mapping[str, tuple[str, ...]],
    locked_after: Mapping[str, tuple[str, ...]] | None,
    note: p.Reason | None = None,
    *,
    entry: str | None = None,
) -> ChangeRow:
    label = version.partition("+")[2]

    def mine(versions: tuple[str, ...]) -> tuple[str, ...]:
        """A variant's row shows its own builds (`+cpu`), not its siblings'."""
        if not label:
            return versions
        return tuple(v for v in versions if v.partition("+")[2] == label)

    return ChangeRow(
        name=decl.pretty_name,
        group=decl.group_as_written,
        extra=decl.extra,
        section=decl.where,
        old=old or "*",
        new=new,
        version=version,
        source=decl.source,
        locked_before=mine(locked_before.get(decl.name, ())),
        locked_after=None if locked_after is None else mine(locked_after.get(decl.name, ())),
        note=None if note is None else reason_text(note),
        label=entry,
    )


def held_row(decl: Declaration, reason: p.Reason) -> HeldRow:
    return HeldRow(
        name=decl.pretty_name,
        group=decl.group_as_written,
        extra=decl.extra,
        section=decl.where,
        constraint=decl.version or "*",
        kind=reason.kind,
        reason=reason_text(reason),
        error=reason.error if isinstance(reason, p.CouldNotRead) else None,
    )


# --- the words for every reason, in one place ----------------------------------------------

_SKIPS = {
    "pin": "exact pin (use --pinned to bump pins)",
    "wildcard-kept": "wildcard kept (--preserve-wildcard)",
    "allows-every": "already allows every newer release",
    "upper-only": "only an upper bound: nothing to raise (use --latest or --strategy widen)",
}
_FIXED = {
    "group": "its group is not selected",
    "not-selected": "not selected",
    "excluded": "excluded",
    "zero-caret": "zero-based caret",
    "pinned": "an exact pin; --pinned moves it",
    "skipped": "not bumped",
}


def python_span(python: VersionConstraint) -> str:
    """`3.10-3.11` for `>=3.10,<3.12`; `3.10 and later` for `>=3.10` (or `<4`)."""
    from poetry.core.constraints.version import VersionRange

    if not isinstance(python, VersionRange) or python.min is None or not python.include_min:
        return str(python)
    low = f"{python.min.major}.{python.min.minor or 0}"
    top = python.max
    if top is None or (top.major >= 4 and not python.include_max):
        return f"{low} and later"
    if python.include_max or (top.patch or 0) or top.minor is None:
        return f"{low}-{top.text}" if python.include_max else str(python)
    if top.minor == 0:
        return str(python)
    high = f"{top.major}.{top.minor - 1}"
    return low if high == low else f"{low}-{high}"


def error_text(error: Unreadable) -> str:
    """`could not read source private (HTTP 401 at http://***@host/simple/pkg/)`."""
    where = f" at {error.url}" if error.url else ""
    return f"could not read source {error.source} ({error.detail}{where})"


def reason_text(reason: p.Reason) -> str:
    """One line for the user: why an entry is not bumped, or stopped short."""
    if isinstance(reason, p.Skipped):
        return reason.detail if reason.rule == "unsupported" else _SKIPS[reason.rule]
    if isinstance(reason, p.Excluded):
        if reason.option == "exclude":
            return "excluded (--exclude)"
        return "zero-based caret (--exclude-zero-based-caret)"
    if isinstance(reason, p.NotIndex):
        return f"from {reason.source_kind}: not bumped"
    if isinstance(reason, p.Ignored):
        return (
            f"not locked by Poetry: {reason.listed_in} lists this group's dependencies, and"
            " [tool.poetry] entries only add details to those"
        )
    if isinstance(reason, p.NoNewer):
        if reason.newest is None:
            return "no release found in its range"
        return f"no newer release ({reason.newest} is the newest)"
    if isinstance(reason, p.PythonBlock):
        verb = "and later need" if reason.and_later else "needs"
        return (
            f"held back by Python: {reason.package} {reason.version} {verb} Python"
            f" {reason.requires_python}; this entry is used on Python"
            f" {python_span(reason.used_on)}"
        )
    if isinstance(reason, p.MemberBlock):
        one = len(reason.packages) == 1
        if reason.kind == "variant":
            what = "another variant" if one else "other variants"
        else:
            what = "a linked package" if one else "linked packages"
        if reason.python is not None:
            version, requires = reason.python
            detail = f"{reason.packages[0]} {version} needs Python {requires}"
        elif one:
            detail = f"no {reason.packages[0]} {reason.version} in {reason.where}"
        else:
            detail = f"no {reason.version} of {', '.join(reason.packages)}"
        return f"held back by {what}: {detail}"
    if isinstance(reason, p.NoCompanion):
        return (
            f"held back by {reason.package}: none of its releases in {reason.where} is built"
            f" for {reason.anchor} {reason.version}"
        )
    if isinstance(reason, p.BuiltFor):
        requirement = reason.requirement or ""
        if requirement[:1].isdigit():  # Poetry writes an exact requirement as a bare version
            requirement = f"=={requirement}"
        needs = (
            f"needs {reason.anchor} {requirement}"
            if requirement
            else f"is not known to be built for {reason.anchor} {reason.anchor_version}"
        )
        return (
            f"held back by {reason.anchor}: {reason.package} {reason.version} {needs};"
            f" {reason.anchor} is at {reason.anchor_version}"
        )
    if isinstance(reason, p.ConstraintBlock):
        return (
            f"held back by {reason.package} {reason.constraint} in {reason.section}"
            f" ({_FIXED[reason.why]})"
        )
    if isinstance(reason, p.CouldNotRead):
        return error_text(reason.error)
    if isinstance(reason, p.Rejected):
        return f"held back by the resolver: {reason.message}"
    return f"held back: {reason.version} is not available to every linked entry"


def _versions(versions: Sequence[str] | None) -> str:
    """`0.6.2, 0.10.2`: in version order, not text order (`0.10.2` sorted before `0.6.2`)."""
    if versions is None:
        return "?"
    return ", ".join(sorted(versions, key=_version_key)) if versions else "-"


def _version_key(text: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion
    from packaging.version import Version

    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)


def expected_after(row: ChangeRow) -> tuple[str, ...]:
    """Before the lock is made: what `poetry lock` will keep (minimal changes) or raise.

    A locked version below the new lower bound moves up to it; one at or above it stays
    (numpy split by Python keeps its 3.11-only 2.3.2 when the bound becomes >=2.2.6).
    """
    from packaging.version import InvalidVersion
    from packaging.version import Version

    try:
        floor = Version(row.version)
        moved = [v if Version(v) >= floor else row.version for v in row.locked_before]
    except InvalidVersion:
        return (row.version,)
    return tuple(dict.fromkeys(moved)) or (row.version,)


def locked_cell(row: ChangeRow) -> str:
    """`1.26.4 -> 2.2.6`: the locked versions before and after (or as expected, before a lock)."""
    after = _versions(row.locked_after if row.locked_after is not None else expected_after(row))
    before = _versions(row.locked_before)
    return before if before == after else f"{before} -> {after}"


def table_rows(report: Report) -> list[list[str]]:
    return [
        [r.entry, r.group_label, r.old, r.new, locked_cell(r)]
        for r in sorted(report.changes, key=lambda r: (r.entry.lower(), r.group_label))
    ]


TABLE_HEADER = ["Package", "Group", "Old", "New", "Locked"]

# A table in the text rendering: header and rows; the console draws it.
Table = tuple[list[str], list[list[str]]]


def resolver_note(report: Report) -> str | None:
    """Whether the Locked column was resolved or expected: a plan must say which it is."""
    if not report.changes or report.unreadable:
        return None
    if report.lock == "not-run":
        return (
            "Locked: expected versions, the resolver was not run"
            " (--resolve re-locks a copy to show what a real run keeps and holds back)."
        )
    if report.lock == "resolved":
        return "Locked: re-locked in a copy; a real run keeps exactly these (nothing written)."
    return None


def to_text(report: Report, *, writes: bool) -> list[str | Table]:
    """The console rendering: lines (with console tags) and tables, in order."""
    out: list[str | Table] = []
    rows = table_rows(report)
    if rows:
        verb = "Would bump" if not writes or report.unreadable else "Bumped"
        if report.lock == "failed":
            verb = "Could not bump"
        out.append("")
        out.append(f"<info>{verb} {len(rows)} constraint{'s' * (len(rows) != 1)}</info>")
        out.append((TABLE_HEADER, rows))
        if resolver_note(report):
            out.append(f"<comment>{resolver_note(report)}</comment>")
    elif report.lock_moves:
        out.append("")
        out.append("<info>Lock changes</info>")
        moves = [[n, ", ".join(b) or "-", ", ".join(a) or "-"] for n, b, a in report.lock_moves]
        out.append((["Package", "Before", "After"], moves))
    elif report.strategy == "lock-only":
        out.append("The lock is already up to date.")
    elif report.unreadable:
        out.append(f"Could not check {len(report.unreadable)} entries: a source failed.")
    else:
        out.append("Nothing to bump: every constraint is up to date.")
    for row in report.changes:
        if row.note:
            out.append(f"  <comment>{row.entry}</comment>: {row.note}")
    if report.held:
        out.append("")
        out.append("<comment>Not bumped:</comment>")
        for name, labels, constraints, reason in held_notes(report.held):
            out.append(f"  - <c1>{name}</c1> ({labels}) <b>{constraints}</b>: {reason}")
    if report.written:
        out.append("")
        names = " and ".join(f"<comment>{name}</comment>" for name in report.written)
        out.append(f"Wrote {names}.")
    return out


def held_notes(held: Sequence[HeldRow]) -> list[tuple[str, str, str, str]]:
    """One note per package and reason, naming its entries: jax held back for the same
    reason in main and the cuda12 and cuda13 extras is one line, not three (issue 20).
    (name, entries, constraints, reason), by name."""
    groups: dict[tuple[str, str], list[HeldRow]] = {}
    for h in sorted(held, key=lambda h: (h.name.lower(), h.group_label)):
        groups.setdefault((h.name.lower(), h.reason), []).append(h)
    return [
        (
            rows[0].name,
            ", ".join(dict.fromkeys(r.group_label for r in rows)),
            " / ".join(dict.fromkeys(r.constraint for r in rows)),
            reason,
        )
        for (_, reason), rows in groups.items()
    ]


def to_json(report: Report) -> dict[str, Any]:
    return {
        "strategy": report.strategy,
        "dry_run": report.dry_run,
        "check": report.check,
        "changes": [
            {
                "name": r.name,
                "group": r.group,
                "extra": r.extra,
                "section": r.section,
                "old": r.old,
                "new": r.new,
                "version": r.version,
                "source": r.source,
                "locked_before": list(r.locked_before),
                "locked_after": None if r.locked_after is None else list(r.locked_after),
                "note": r.note,
                "label": r.label,
            }
            for r in report.changes
        ],
        "held": [
            {
                "name": h.name,
                "group": h.group,
                "extra": h.extra,
                "section": h.section,
                "constraint": h.constraint,
                "kind": h.kind,
                "reason": h.reason,
                **({"error": _error_json(h.error)} if h.error is not None else {}),
            }
            for h in report.held
        ],
        "lock": {
            "status": report.lock,
            "attempts": report.lock_attempts,
            "error": report.lock_error,
            "moved": [
                {"name": name, "before": list(before), "after": list(after)}
                for name, before, after in report.lock_moves
            ],
        },
        "installed": report.installed,
    }


def _error_json(error: Unreadable) -> dict[str, Any]:
    return {
        "source": error.source,
        "status": error.status,
        "detail": error.detail,
        "url": error.url or None,
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(report: Report) -> str:
    """A table for a pull request body, then what was held back and why."""
    lines: list[str] = []
    if report.changes:
        lines.append("| Package | Group | Old | New | Locked |")
        lines.append("| --- | --- | --- | --- | --- |")
        for name, group, old, new, locked in table_rows(report):
            lines.append(
                f"| {_md(name)} | {_md(group)} | `{_md(old)}` | `{_md(new)}` | {_md(locked)} |"
            )
        if resolver_note(report):
            lines.append("")
            lines.append(f"_{_md(resolver_note(report) or '')}_")
    elif report.lock_moves:
        lines.append("| Package | Locked |")
        lines.append("| --- | --- |")
        for name, before, after in report.lock_moves:
            lines.append(f"| {_md(name)} | {_versions(before)} -> {_versions(after)} |")
    elif report.unreadable:
        lines.append(f"Could not check {len(report.unreadable)} entries: a source failed.")
    else:
        lines.append("Nothing to bump: every constraint is up to date.")
    notable = [h for h in report.held if h.kind not in ("no-newer",)]
    if notable:
        lines.append("")
        lines.append("<details><summary>Not bumped</summary>")
        lines.append("")
        for name, labels, constraints, reason in held_notes(notable):
            lines.append(f"- **{_md(name)}** ({_md(labels)}) `{constraints}`: {reason}")
        lines.append("")
        lines.append("</details>")
    return "\n".join(lines) + "\n"
