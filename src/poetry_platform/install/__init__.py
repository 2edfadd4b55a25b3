"""platform-install's decision before Poetry's installer runs: `prepare.py` decides,
`choice.py` holds what it decided, as data (the renderer's types)."""

from __future__ import annotations

from poetry_platform.install.choice import INSTALLER_ENV
from poetry_platform.install.choice import InstallChoice
from poetry_platform.install.choice import InstallerChoice
from poetry_platform.install.choice import InstallRequest
from poetry_platform.install.choice import installer_choice
from poetry_platform.install.prepare import extras_for
from poetry_platform.install.prepare import prepare
from poetry_platform.install.prepare import with_variant_groups

__all__ = [
    "INSTALLER_ENV",
    "InstallChoice",
    "InstallRequest",
    "InstallerChoice",
    "extras_for",
    "installer_choice",
    "prepare",
    "with_variant_groups",
]
