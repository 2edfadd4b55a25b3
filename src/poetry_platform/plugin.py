"""Entry point Poetry loads on every invocation.

Poetry imports every application plugin before it runs any command, so this module
registers lazy factories only: a command's module (and whatever heavy code it needs)
is imported the first time that command is asked for, never for `poetry --version`.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from poetry.plugins.application_plugin import ApplicationPlugin

if TYPE_CHECKING:
    from collections.abc import Callable

    from cleo.events.event import Event
    from cleo.events.event_dispatcher import EventDispatcher
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


_refused: list[str] = []


def _factory(module: str, cls: str) -> Callable[[], Command]:
    def make() -> Command:
        mod = importlib.import_module(f"poetry_platform.commands.{module}")
        command: Command = getattr(mod, cls)()
        return command

    return make


def _redact_early(event: Event, _name: str, _dispatcher: EventDispatcher) -> None:
    """Redact one of our commands' output from before Poetry's own listeners run.

    Poetry's listeners load the project for an install command (`configure_env`) before the
    command runs, and at -vvv that logs "Adding repository local (http://user:pw@...)";
    the command's own `redacting` would start too late. Poetry's log handler writes to the
    same IO, so its lines are masked too.
    """
    from cleo.events.console_command_event import ConsoleCommandEvent

    if isinstance(event, ConsoleCommandEvent) and event.command.name in COMMANDS:
        from poetry_platform.redact import install

        install(event.io)


class PlatformPlugin(ApplicationPlugin):
    def activate(self, application: Application) -> None:
        # A Poetry outside the tested range (installed with `pipx inject` or `--no-deps`,
        # which skip the declared requirement) gets one line, not a traceback later from a
        # module it lacks; its own commands keep working. `poetry.__version__` is already
        # imported by Poetry's application.
        from poetry.__version__ import __version__

        from poetry_platform.poetry_api import unsupported_poetry

        refused = unsupported_poetry(__version__)
        if refused is not None:
            if not _refused:  # some releases activate plugins twice: say it once
                _refused.append(refused)
                sys.stderr.write(f"{refused}\n")
            return
        for name, (module, cls) in COMMANDS.items():
            application.command_loader.register_factory(name, _factory(module, cls))
        if application.event_dispatcher is not None:
            from cleo.events.console_events import COMMAND

            # Above Poetry's listeners (priority 0): first to see the command's IO.
            application.event_dispatcher.add_listener(COMMAND, _redact_early, priority=100)
