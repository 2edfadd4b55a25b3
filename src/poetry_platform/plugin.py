"""Entry point Poetry loads on every invocation.

Poetry imports every application plugin before it runs any command, so this module
registers lazy factories only: a command's module (and whatever heavy code it needs)
is imported the first time that command is asked for, never for `poetry --version`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from poetry.plugins.application_plugin import ApplicationPlugin

if TYPE_CHECKING:
    from collections.abc import Callable

    from poetry.console.application import Application
    from poetry.console.commands.command import Command

# command name -> (module under poetry_platform.commands, class name)
COMMANDS: dict[str, tuple[str, str]] = {
    "platform-show": ("show", "PlatformShowCommand"),
    "platform-install": ("install", "PlatformInstallCommand"),
    "platform-check": ("check", "PlatformCheckCommand"),
    "platform-up": ("up", "PlatformUpCommand"),
    "platform-export": ("export", "PlatformExportCommand"),
}


def _factory(module: str, cls: str) -> Callable[[], Command]:
    def make() -> Command:
        mod = importlib.import_module(f"poetry_platform.commands.{module}")
        command: Command = getattr(mod, cls)()
        return command

    return make


class PlatformPlugin(ApplicationPlugin):
    def activate(self, application: Application) -> None:
        for name, (module, cls) in COMMANDS.items():
            application.command_loader.register_factory(name, _factory(module, cls))
