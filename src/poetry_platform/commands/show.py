"""`poetry platform-show`: what this host is and which variant platform-install would pick."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.command import Command

from poetry_platform.commands.base import PlatformCommand

if TYPE_CHECKING:
    from cleo.io.inputs.option import Option

    from poetry_platform.context import Decision
    from poetry_platform.host.profile import HostProfile


class PlatformShowCommand(PlatformCommand, Command):
    name = "platform-show"
    description = "Shows the detected host (OS, CPU, GPU, CUDA) and the variant it selects."

    options: ClassVar[list[Option]] = [
        option("json", None, "Output the host, every variant's verdict and the choice as JSON."),
        option(
            "variant",
            None,
            "Show what forcing this variant would do.",
            flag=False,
            value_required=True,
        ),
    ]

    help = """\
The <info>platform-show</info> command probes this machine (NVML, libcuda, nvidia-smi,
the kernel driver, ROCm) and evaluates every variant declared in
<comment>[tool.poetry-platform]</comment> (or inferred from the project's extras) in order.
The first variant whose requirements the host meets is the one
<info>poetry platform-install</info> installs.
"""

    def run_command(self) -> int:
        from packaging.markers import default_environment

        from poetry_platform.context import decide

        decision = decide(
            self.poetry,
            {k: str(v) for k, v in default_environment().items()},
            variant_option=self.option("variant"),
        )
        if self.option("json"):
            self.line(json.dumps(to_json(decision), indent=2))
            return 0
        self._render(decision)
        return 0

    def _render(self, decision: Decision) -> None:
        from poetry_platform.context import explain_no_variant

        host = decision.host
        self.line("<b>Host</b>")
        for label, value in host_rows(host):
            self.line(f"  <comment>{label:<13}</comment> {value}")
        if self.io.is_verbose():
            for entry in host.log:
                self.line(f"  <debug>probe: {entry}</debug>")
        self.line("")
        origin = (
            "inferred from the project's extras"
            if decision.config.variants_inferred
            else "declared in [tool.poetry-platform]"
        )
        self.line(f"<b>Variants</b> ({origin}, first match wins)")
        chosen = decision.selection.chosen
        for verdict in decision.selection.verdicts:
            v = verdict.variant
            mark = "<fg=green>✔</>" if verdict.satisfied else "<fg=red>✘</>"
            arrow = " <success>← selected</success>" if chosen and chosen.name == v.name else ""
            what = []
            if v.extras:
                what.append("extras: " + ", ".join(v.extras))
            if v.groups:
                what.append("groups: " + ", ".join(v.groups))
            detail = f" ({'; '.join(what)})" if what else ""
            self.line(f"  {mark} <c1>{v.name}</c1>{detail}{arrow}")
            for requirement in v.requires.describe():
                self.line(f"      requires {requirement}")
            for reason in verdict.unmet:
                self.line(f"      <fg=red>not met:</> {reason}")
            for note in verdict.assumed:
                self.line(f"      <comment>assumed:</comment> {note}")
        self.line("")
        if chosen is None:
            self.line_error(f"<warning>{explain_no_variant(decision)}</warning>")
            return
        self.line(f"<b>Selected</b>: <c1>{chosen.name}</c1> ({decision.selection.reason(host)})")


def host_rows(host: HostProfile) -> list[tuple[str, str]]:
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


def to_json(decision: Decision) -> dict[str, Any]:
    selection = decision.selection
    return {
        "host": decision.host.to_json(),
        "variants_inferred": decision.config.variants_inferred,
        "variants": [
            {
                "name": v.variant.name,
                "satisfied": v.satisfied,
                "reasons": list(v.unmet),
                "assumed": list(v.assumed),
                "extras": list(v.variant.extras),
                "groups": list(v.variant.groups),
                "requires": v.variant.requires.describe(),
            }
            for v in selection.verdicts
        ],
        "chosen": selection.chosen.name if selection.chosen else None,
        "forced_by": selection.forced_by,
        "reason": selection.reason(decision.host),
    }
