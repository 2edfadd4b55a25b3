"""What `platform-install` chose, as data: the command's options (`InstallRequest`), the
installer and why (`InstallerChoice`, `installer_choice`), and the whole choice
(`InstallChoice`) that `install/prepare.py` returns and `render/platform_install.py` words.

Apart from `prepare.py` so that the renderer can name these types while `prepare.py` calls
the renderer: data below, decisions above, no circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

from poetry_platform.errors import PlatformError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from poetry_platform.context import Decision
    from poetry_platform.model import PlatformConfig
    from poetry_platform.model import Variant

INSTALLER_ENV = "POETRY_PLATFORM_INSTALLER"


@dataclass(frozen=True)
class InstallRequest:
    """The command's options that bear on the choice, as plain values."""

    extras: tuple[str, ...] = ()  # the -E values as given (each may hold several names)
    all_extras: bool = False
    variant: str | None = None
    installer: str | None = None
    allow_missing_accelerator: bool = False
    only_root: bool = False
    # Facts the command reads for `installer = "auto"`: the `uv` package importable beside
    # Poetry, and the target environment a system Python marked EXTERNALLY-MANAGED.
    uv_importable: bool = False
    externally_managed: bool = False


# Why `auto` chose as it did (words in render/platform_install.py).
AutoReason = Literal["uv-beside-poetry", "no-uv", "ca-bundle", "externally-managed"]
# Certificate variables requests (Poetry) reads and uv does not; uv reads SSL_CERT_FILE.
_REQUESTS_ONLY_CA = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class InstallerChoice:
    """The installer that runs, where the choice came from, and (for `auto`) why."""

    name: str  # "poetry" or "uv"
    origin: str  # "--installer", POETRY_PLATFORM_INSTALLER, the pyproject key, or "auto"
    reason: AutoReason | None = None  # set when origin is "auto"
    ca_variable: str | None = None  # the variable behind reason "ca-bundle"


@dataclass(frozen=True)
class InstallChoice:
    decision: Decision
    variant: Variant
    extras: tuple[str, ...]  # sorted: the variant's and the user's
    installer: InstallerChoice


def installer_choice(
    option: str | None,
    environ: Mapping[str, str],
    config: PlatformConfig,
    *,
    uv_importable: bool,
    externally_managed: bool = False,
) -> InstallerChoice:
    """--installer, then POETRY_PLATFORM_INSTALLER, then the pyproject setting; `auto` (also
    when none is given) takes uv when uv does this install exactly as Poetry's installer would:

    1. the `uv` package is importable beside Poetry (`poetry-platform[uv]`); uv only on PATH
       is used when asked for, never picked;
    2. no CA bundle is given only through a variable uv does not read (`REQUESTS_CA_BUNDLE`,
       `CURL_CA_BUNDLE` without `SSL_CERT_FILE`): uv would not trust that CA;
    3. the environment is not a system Python marked EXTERNALLY-MANAGED (uv refuses it).

    Per-file rules (credentials, client certificates, a source's CA) need no choice here: the
    uv installer leaves such files to Poetry's downloader in any case.
    """
    from poetry_platform.config import INSTALLERS

    for value, origin in (
        (option, "--installer"),
        (environ.get(INSTALLER_ENV), INSTALLER_ENV),
        (config.installer, "[tool.poetry-platform] installer"),
    ):
        if value:
            if value not in INSTALLERS:
                raise PlatformError(
                    f"{origin}: unknown installer {value!r}; use one of {', '.join(INSTALLERS)}"
                )
            if value != "auto":
                return InstallerChoice(str(value), origin)
            break
    if not uv_importable:
        return InstallerChoice("poetry", "auto", "no-uv")
    if not environ.get("SSL_CERT_FILE"):
        for variable in _REQUESTS_ONLY_CA:
            if environ.get(variable):
                return InstallerChoice("poetry", "auto", "ca-bundle", variable)
    if externally_managed:
        return InstallerChoice("poetry", "auto", "externally-managed")
    return InstallerChoice("uv", "auto", "uv-beside-poetry")
