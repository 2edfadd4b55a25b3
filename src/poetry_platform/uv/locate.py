"""Finding the uv binary the `uv` installer runs.

Probe order, first hit wins:

1. the `uv` Python package installed beside Poetry and this plugin (`poetry-platform[uv]`),
   whose binary `uv.find_uv_bin()` knows: the version the user chose for Poetry's environment;
2. `uv` on PATH.

Neither: a `UvNotFoundError` saying how to get one, which the command prints as one line.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from poetry_platform.errors import InstallError

if TYPE_CHECKING:
    from collections.abc import Callable

NOT_FOUND = (
    "The uv installer needs uv, which was found neither beside Poetry nor on PATH. "
    'Install it with `poetry self add "poetry-platform[uv]"` (or `pipx inject poetry uv`, '
    "or put `uv` on PATH), or install with `--installer poetry`."
)


class UvNotFoundError(InstallError):
    """No uv binary: the user has to install one (or pick Poetry's installer)."""


def bundled_uv() -> str | None:
    """The binary of the `uv` package in Poetry's own environment, if that package is there."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:  # the package is there but its binary is not
        return None


def find_uv(
    *,
    bundled: Callable[[], str | None] = bundled_uv,
    which: Callable[[str], str | None] = shutil.which,
) -> Path:
    """The uv binary to run, following the probe order in the module docstring."""
    for found in (bundled(), which("uv")):
        if found:
            return Path(found)
    raise UvNotFoundError(NOT_FOUND)
