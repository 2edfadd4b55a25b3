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
        from dataclasses import replace

        from poetry_platform import render
        from poetry_platform.check.first_release import IndexLookup
        from poetry_platform.context import decide
        from poetry_platform.context import probe_host
        from poetry_platform.context import project_python
        from poetry_platform.lockset.lock import read_lock

        try:
            poetry = self.poetry
        except RuntimeError as e:  # no pyproject.toml here or above: the host alone
            if "pyproject.toml" not in str(e):
                raise
            return self._host_only(probe_host())
        # The interpreter platform-install would install into, not Poetry's own: both
        # commands must evaluate markers and the lock for the same Python.
        project = project_python(poetry, self.io)
        host = replace(probe_host(), python_version=project.version)
        lock = read_lock(self.poetry) if self.poetry.locker.is_locked() else None
        decision = decide(
            self.poetry,
            project.marker_env,
            variant_option=self.option("variant"),
            host=host,
            lock=lock,
            groups=self.poetry.package.dependency_group_names(),
            judge_all=True,
            first_release=IndexLookup(self.poetry.pool),
        )
        if self.option("json"):
            self.line(json.dumps(render.show_json(decision), indent=2))
            return 0
        self.emit(render.show(decision, verbose=self.io.is_verbose()))
        return 0

    def _host_only(self, host: HostProfile) -> int:
        """Outside a project: what this host offers, so it can be probed before adopting
        the plugin (variants are a project's; none to judge)."""
        from poetry_platform import render

        if self.option("json"):
            self.line(json.dumps({"host": render.host_json(host), "project": None}, indent=2))
            return 0
        self.emit(render.show_host_only(host, verbose=self.io.is_verbose()))
        return 0
