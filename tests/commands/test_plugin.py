from __future__ import annotations

import subprocess
import sys

from poetry_platform import poetry_api
from poetry_platform.plugin import COMMANDS


def test_plugin_import_loads_no_command_module() -> None:
    """Every `poetry` invocation imports the plugin: it must not drag the commands in."""
    code = (
        "import sys; import poetry_platform.plugin as p; "
        "print(sorted(m for m in sys.modules if m.startswith('poetry_platform.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['poetry_platform.plugin']"


def test_commands_are_registered_through_the_entry_point() -> None:
    from cleo.io.null_io import NullIO
    from poetry.console.application import Application

    app = Application()
    poetry_api.load_plugins(app, NullIO())
    for name, (module, cls) in COMMANDS.items():
        assert app.command_loader.has(name)
        command = app.find(name)
        assert type(command).__name__ == cls
        assert type(command).__module__ == f"poetry_platform.commands.{module}"
        assert command.name == name


def test_platform_install_accepts_every_install_option() -> None:
    from poetry.console.commands.install import InstallCommand

    from poetry_platform.commands.install import PlatformInstallCommand

    ours = {o.name for o in PlatformInstallCommand.options}
    assert {o.name for o in InstallCommand.options} <= ours
    assert {"variant", "installer"} <= ours
