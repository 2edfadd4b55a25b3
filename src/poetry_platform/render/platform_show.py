"""`platform-show`: the host, every variant's verdict and the choice, as text or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.render.accelerator import fidelity_json
from poetry_platform.render.accelerator import forbidden_groups
from poetry_platform.render.host import host_json
from poetry_platform.render.host import host_rows
from poetry_platform.render.lines import Line
from poetry_platform.render.verdicts import assumed
from poetry_platform.render.verdicts import no_variant
from poetry_platform.render.verdicts import requirements
from poetry_platform.render.verdicts import selection_reason
from poetry_platform.render.verdicts import target_warning
from poetry_platform.render.verdicts import unmet
from poetry_platform.render.verdicts import verdict_json

if TYPE_CHECKING:
    from poetry_platform.context import Decision
    from poetry_platform.host.profile import HostProfile
    from poetry_platform.model import Variant


def show(decision: Decision, *, verbose: bool = False) -> list[Line]:
    """The host, every variant's verdict and the choice (or why there is none)."""
    host = decision.host
    out = []
    if decision.config.target_error:
        error = target_warning(decision.config.target_error, "platform-show")
        out.append(Line(f"<warning>{error}</warning>", error=True))
    out.append(Line("<b>Host</b>"))
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
            for text in forbidden_groups(fidelity.forbidden, verbose=verbose):
                first, *rest = text.split("\n")  # an exact fix's lines, indented below it
                out.append(Line(f"      <warning>warning:</warning> {first}"))
                out += [Line(f"        {line}") for line in rest]
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
        "target_error": decision.config.target_error,
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


def show_host_only(host: HostProfile, *, verbose: bool = False) -> list[Line]:
    """platform-show outside a project: the host facts, and that no project was found."""
    out = [Line("<b>Host</b>")]
    out += [Line(f"  <comment>{label:<13}</comment> {value}") for label, value in host_rows(host)]
    if verbose:
        out += [Line(f"  <debug>probe: {entry}</debug>") for entry in host.log]
    out.append(Line(""))
    out.append(
        Line(
            "No project found (no pyproject.toml here or in a parent directory): the host "
            "alone. Run it in a project to see its variants and the one selected.",
        )
    )
    return out
