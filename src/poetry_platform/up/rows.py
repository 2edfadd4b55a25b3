"""The report's rows: a plan's changes and held entries, with the locked versions before
and after, each entry of a split declaration showing only the versions that apply to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform.lockset.tables import locked_versions

if TYPE_CHECKING:
    from poetry_platform.up.declarations import Declaration
    from poetry_platform.up.declarations import Declarations
    from poetry_platform.up.plan import Plan
    from poetry_platform.up.report import HeldRow
    from poetry_platform.up.report import Report


def fill_report(
    report: Report,
    plan: Plan,
    held: list[HeldRow],
    before: bytes | None,
    after: bytes | None,
    rejected: dict[int, str] | None = None,
    split: frozenset[str] = frozenset(),
) -> None:
    """The report's rows: changes that stay, and every entry held back with its reason.

    `before`/`after` are the lock's bytes (after: None when no lock was made). An entry of
    a split declaration (`split`: declaration keys, see `split_entries`) is labelled by its
    marker and shows the locked versions that apply to it, not its siblings'.
    """
    from poetry_platform.up.reasons import Rejected
    from poetry_platform.up.report import change_row
    from poetry_platform.up.report import held_row

    rejected = rejected or {}
    locked_before = locked_versions(before)
    locked_after = None if after is None else locked_versions(after)
    report.changes = []
    report.held = list(held) + [held_row(h.decl, h.reason) for h in plan.held]
    for c in plan.changes:
        if c.unit in rejected:
            report.held.append(held_row(c.decl, Rejected(rejected[c.unit])))
            continue
        mine_before, mine_after, label = locked_before, locked_after, None
        if c.decl.key in split:
            label = entry_label(c.decl)
            mine_before = {c.decl.name: own_locked(c.decl, before)}
            mine_after = None if after is None else {c.decl.name: own_locked(c.decl, after)}
        report.changes.append(
            change_row(
                c.decl,
                c.old,
                c.new,
                c.version.to_string(),
                mine_before,
                mine_after,
                c.note,
                entry=label,
            )
        )


def split_entries(decls: Declarations) -> frozenset[str]:
    """Keys of declarations that share their package with a sibling in the same group,
    told apart by markers (a list of constraints, or PEP 508 strings with markers)."""
    from collections import Counter

    count = Counter((d.name, d.group, d.extra) for d in decls.items)
    return frozenset(
        d.key
        for d in decls.items
        if count[(d.name, d.group, d.extra)] > 1 and (d.python or d.markers)
    )


def entry_label(decl: Declaration) -> str:
    """`jax (python <3.12)`: the package and the marker that selects this entry."""
    parts = [f"python {decl.python}"] if decl.python else []
    parts += [decl.markers] if decl.markers else []
    return f"{decl.pretty_name} ({'; '.join(parts)})"


def own_locked(decl: Declaration, lock_bytes: bytes | None) -> tuple[str, ...]:
    """The locked versions of `decl`'s package whose markers can hold where `decl` applies."""
    from poetry_platform.lockset.tables import versions_where

    return versions_where(lock_bytes, decl.name, str(decl.group), decl.dependency().marker)
