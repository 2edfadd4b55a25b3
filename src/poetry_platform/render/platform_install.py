"""`platform-install`: the one line naming the variant and why, and its warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform.render.accelerator import forbidden_groups
from poetry_platform.render.accelerator import missing_accelerator
from poetry_platform.render.accelerator import sentence
from poetry_platform.render.lines import Line
from poetry_platform.render.verdicts import selection_reason
from poetry_platform.render.verdicts import target_warning

if TYPE_CHECKING:
    from poetry_platform.context import Decision
    from poetry_platform.install.choice import InstallerChoice

# Why `installer = "auto"` chose as it did (install.AutoReason -> words).
_AUTO_REASONS = {
    "uv-beside-poetry": "uv is installed beside Poetry; --installer poetry for Poetry's own",
    "no-uv": (
        'uv is not installed beside Poetry; `poetry self add "poetry-platform[uv]"` for'
        " faster installs"
    ),
    "ca-bundle": "{variable} is set and uv does not read it (set SSL_CERT_FILE too for uv)",
    "externally-managed": (
        "the environment is a system Python marked EXTERNALLY-MANAGED, which uv does not write into"
    ),
}


def installer(choice: InstallerChoice) -> list[Line]:
    """The first line of platform-install: which installer runs, and why."""
    if choice.origin == "auto" and choice.reason is not None:
        why = "installer auto: " + _AUTO_REASONS[choice.reason].format(variable=choice.ca_variable)
    elif choice.origin == "--installer":
        why = f"--installer {choice.name}"
    elif choice.origin.startswith("["):
        why = f'{choice.origin} = "{choice.name}"'
    else:
        why = f"{choice.origin}={choice.name}"
    return [Line(f"<b>Installer</b>: <c1>{choice.name}</c1> ({why})")]


def install(decision: Decision, *, verbose: bool = False) -> list[Line]:
    """The one line naming the variant and why, before Poetry's installer output."""
    selection = decision.selection
    variant = selection.chosen
    assert variant is not None
    reason = selection_reason(selection, decision.host)
    out = [Line(f"<b>Platform variant</b>: <c1>{variant.name}</c1> ({reason})")]
    if decision.config.target_error:
        error = target_warning(decision.config.target_error, "platform-install")
        out.append(Line(f"<warning>{error}</warning>", error=True))
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
                    f"{sentence(missing_accelerator(fidelity.missing))}</warning>",
                    error=True,
                )
            )
        for text in forbidden_groups(fidelity.forbidden, verbose=verbose):
            first, *rest = text.split("\n")  # a full list (-v), an exact fix: indented below
            out.append(Line(f"<warning>Warning: {first}</warning>", error=True))
            out += [Line(f"  {line}", error=True) for line in rest]
    if verbose:
        out += [Line(f"<debug>probe: {entry}</debug>") for entry in decision.host.log]
    out.append(Line(""))
    return out
