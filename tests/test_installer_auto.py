"""`installer = "auto"` (the default): uv where it installs exactly as Poetry would, said in
the first line of platform-install (render.installer)."""

from __future__ import annotations

import pytest

from poetry_platform import render
from poetry_platform.errors import PlatformError
from poetry_platform.install import InstallerChoice
from poetry_platform.install import installer_choice
from poetry_platform.model import PlatformConfig

NONE = PlatformConfig((), variants_inferred=True)


def choose(
    option: str | None = None,
    environ: dict[str, str] | None = None,
    config: PlatformConfig = NONE,
    *,
    uv: bool = True,
    managed: bool = False,
) -> InstallerChoice:
    return installer_choice(
        option, environ or {}, config, uv_importable=uv, externally_managed=managed
    )


def line(choice: InstallerChoice) -> str:
    (only,) = render.installer(choice)
    return only.text


def test_the_default_takes_uv_when_it_is_beside_poetry() -> None:
    choice = choose()
    assert choice == InstallerChoice("uv", "auto", "uv-beside-poetry")
    assert line(choice) == (
        "<b>Installer</b>: <c1>uv</c1> (installer auto: uv is installed beside Poetry;"
        " --installer poetry for Poetry's own)"
    )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"uv": False}, "no-uv"),
        ({"managed": True}, "externally-managed"),
        ({"environ": {"REQUESTS_CA_BUNDLE": "/ca.pem"}}, "ca-bundle"),
        ({"environ": {"CURL_CA_BUNDLE": "/ca.pem"}}, "ca-bundle"),
    ],
)
def test_the_default_keeps_poetrys_installer_where_uv_would_differ(
    kwargs: dict[str, object], reason: str
) -> None:
    choice = choose(**kwargs)  # type: ignore[arg-type]
    assert (choice.name, choice.origin, choice.reason) == ("poetry", "auto", reason)
    assert "installer auto: " in line(choice)


def test_a_ca_bundle_uv_also_reads_keeps_uv() -> None:
    environ = {"REQUESTS_CA_BUNDLE": "/ca.pem", "SSL_CERT_FILE": "/ca.pem"}
    assert choose(environ=environ).name == "uv"
    assert line(choose(environ={"REQUESTS_CA_BUNDLE": "/ca.pem"})).endswith(
        "REQUESTS_CA_BUNDLE is set and uv does not read it (set SSL_CERT_FILE too for uv))"
    )


@pytest.mark.parametrize("explicit", ["poetry", "uv"])
def test_a_named_installer_is_taken_as_named_whatever_the_facts(explicit: str) -> None:
    assert choose(explicit, uv=False, managed=True).name == explicit
    from_env = choose(environ={"POETRY_PLATFORM_INSTALLER": explicit}, uv=False)
    assert (from_env.name, from_env.origin) == (explicit, "POETRY_PLATFORM_INSTALLER")
    configured = choose(config=PlatformConfig((), True, installer=explicit), uv=False)
    assert configured.name == explicit
    assert (
        line(choose(explicit)) == f"<b>Installer</b>: <c1>{explicit}</c1> (--installer {explicit})"
    )
    assert line(from_env).endswith(f"(POETRY_PLATFORM_INSTALLER={explicit})")
    assert line(configured).endswith(f'([tool.poetry-platform] installer = "{explicit}")')


def test_auto_named_anywhere_is_the_default() -> None:
    assert choose("auto") == choose()
    assert choose(environ={"POETRY_PLATFORM_INSTALLER": "auto"}, uv=False).reason == "no-uv"


def test_an_unknown_installer_is_one_line_naming_where() -> None:
    with pytest.raises(
        PlatformError, match=r"--installer: unknown installer 'pip'; use one of auto, poetry, uv"
    ):
        choose("pip")
