"""The shared first phase of every command: read the project's platform config, probe the
host, pick a variant. Kept in one place so that `platform-show`, `platform-install` and
`platform-check` cannot drift apart on how a variant is chosen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from poetry_platform.config import load_config
from poetry_platform.errors import PlatformError
from poetry_platform.variants import VARIANT_ENV
from poetry_platform.variants import select

if TYPE_CHECKING:
    from collections.abc import Mapping

    from poetry.poetry import Poetry

    from poetry_platform.config import PlatformConfig
    from poetry_platform.host.profile import HostProfile
    from poetry_platform.variants import Selection


@dataclass(frozen=True)
class Decision:
    config: PlatformConfig
    host: HostProfile
    selection: Selection


def project_config(poetry: Poetry) -> PlatformConfig:
    """`[tool.poetry-platform]` validated against the project's own extras and groups."""
    from poetry_platform.config import ConfigError

    package = poetry.package
    try:
        return load_config(
            poetry.pyproject.data,
            extras=[str(e) for e in package.extras],
            groups=[str(g) for g in package.dependency_group_names(include_optional=True)],
        )
    except ConfigError as e:
        raise PlatformError(f"Invalid configuration in pyproject.toml: {e}") from None


def probe_host(environ: Mapping[str, str] | None = None) -> HostProfile:
    from poetry_platform.host.detect import HostOverrideError
    from poetry_platform.host.detect import detect_host

    try:
        return detect_host(environ)
    except HostOverrideError as e:
        raise PlatformError(str(e)) from None


def decide(
    poetry: Poetry,
    marker_env: Mapping[str, object],
    *,
    variant_option: str | None,
    environ: Mapping[str, str] | None = None,
    host: HostProfile | None = None,
) -> Decision:
    """Config, host and the chosen variant. `--variant` beats the environment variable."""
    from poetry_platform.variants import UnknownVariantError

    environ = os.environ if environ is None else environ
    config = project_config(poetry)
    if host is None:
        host = probe_host(environ)
    forced, forced_by = None, None
    if variant_option:
        forced, forced_by = variant_option, "--variant"
    elif environ.get(VARIANT_ENV):
        forced, forced_by = environ[VARIANT_ENV], VARIANT_ENV
    try:
        selection = select(config.variants, host, marker_env, forced=forced, forced_by=forced_by)
    except UnknownVariantError as e:
        raise PlatformError(str(e)) from None
    return Decision(config, host, selection)
