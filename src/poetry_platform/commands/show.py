"""`poetry platform-show`: what this host is and which variant platform-install would pick."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.command import Command

from poetry_platform.commands.base import PlatformCommand

if TYPE_CHECKING:
    from cleo.io.inputs.option import Option


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

        from poetry_platform import render
        from poetry_platform.context import decide

        decision = decide(
            self.poetry,
            {k: str(v) for k, v in default_environment().items()},
            variant_option=self.option("variant"),
        )
        if self.option("json"):
            self.line(json.dumps(render.show_json(decision), indent=2))
            return 0
        self.emit(render.show(decision, verbose=self.io.is_verbose()))
        return 0
