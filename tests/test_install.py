"""platform-install's decision (`install.py`) without Poetry's installer: which variant,
extras, groups and installer, and every refusal before the venv is touched."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version
from poetry.factory import Factory

from poetry_platform import render
from poetry_platform.config import load_config
from poetry_platform.context import Decision
from poetry_platform.errors import PlatformError
from poetry_platform.errors import UsageError
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.install import InstallRequest
from poetry_platform.install import extras_for
from poetry_platform.install import prepare
from poetry_platform.install import with_variant_groups
from poetry_platform.lockset.install_set import marker_environment
from poetry_platform.lockset.tags import SupportedTags
from poetry_platform.lockset.tags import tag_target
from poetry_platform.variants import select

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.utils import NormalizedName
    from poetry.utils.env import Env as PoetryEnv

    from poetry_platform.model import PlatformConfig

LINUX = marker_environment("linux", "x86_64", "3.12.4")
H100 = HostProfile(
    "linux",
    "x86_64",
    "3.12.4",
    nvidia=NvidiaInfo("nvml", "580.65.06", "13.0", ("9.0",), gpu_count=1),
)
NO_GPU = HostProfile("linux", "x86_64", "3.12.4")
EXTRAS = ("cuda12", "cuda13", "plot")


def declared(*names: str) -> dict[NormalizedName, object]:
    return {canonicalize_name(n): [] for n in names}


def decision(
    host: HostProfile = H100,
    *,
    extras: tuple[str, ...] = EXTRAS,
    data: dict[str, Any] | None = None,
    forced: str | None = None,
) -> Decision:
    config: PlatformConfig = load_config(data or {}, extras=list(extras), groups=["gpu", "dev"])
    selection = select(
        config.variants, host, LINUX, forced=forced, forced_by="--variant" if forced else None
    )
    return Decision(config, host, selection)


# --- extras_for ------------------------------------------------------------------------------


def test_the_variants_extra_joins_the_users() -> None:
    assert extras_for(decision(), InstallRequest(), declared(*EXTRAS)) == {"cuda13"}
    got = extras_for(decision(), InstallRequest(extras=("plot",)), declared(*EXTRAS))
    assert got == {"cuda13", "plot"}
    # -E values as given: one value may hold several names; the variant's own is no clash.
    got = extras_for(decision(), InstallRequest(extras=("plot cuda13",)), declared(*EXTRAS))
    assert got == {"cuda13", "plot"}


def test_cpu_host_gets_no_accelerator_extra() -> None:
    assert extras_for(decision(NO_GPU), InstallRequest(), declared(*EXTRAS)) == set()


def test_another_variants_extra_is_refused() -> None:
    with pytest.raises(PlatformError) as info:
        extras_for(decision(), InstallRequest(extras=("plot cuda12",)), declared(*EXTRAS))
    assert str(info.value) == (
        "-E cuda12: belongs to another variant: cuda12 (variant cuda12); the selected variant"
        " is cuda13. Use --variant NAME to install another variant instead."
    )


def test_an_undeclared_extra_is_the_users_slip() -> None:
    with pytest.raises(UsageError) as info:
        extras_for(decision(), InstallRequest(extras=("plto",)), declared(*EXTRAS))
    assert str(info.value) == (
        "-E plto: the project declares no such extra (it has: cuda12, cuda13, plot); did you"
        " mean plot? Or declare it under [project.optional-dependencies]."
    )
    with pytest.raises(UsageError) as info:
        extras_for(decision(), InstallRequest(extras=("tensorboard",)), declared(*EXTRAS))
    assert str(info.value) == (  # nothing close: no guess
        "-E tensorboard: the project declares no such extra (it has: cuda12, cuda13, plot);"
        " declare it under [project.optional-dependencies] or fix the name."
    )


def test_an_extra_named_like_an_inferred_variant_points_at_variant() -> None:
    # The inferred cpu variant has no extra: -E cpu means --variant cpu.
    with pytest.raises(UsageError) as info:
        extras_for(decision(), InstallRequest(extras=("cpu",)), declared(*EXTRAS))
    assert str(info.value) == (
        "-E cpu: there is no extra `cpu`; the `cpu` variant needs none: use `--variant cpu`."
    )


def test_all_extras_leaves_out_the_other_variants() -> None:
    request = InstallRequest(all_extras=True)
    assert extras_for(decision(), request, declared(*EXTRAS)) == {"cuda13", "plot"}
    assert extras_for(decision(NO_GPU), request, declared(*EXTRAS)) == {"plot"}
    with pytest.raises(PlatformError, match="explicit --extras while using --all-extras"):
        extras_for(decision(), InstallRequest(extras=("plot",), all_extras=True), declared(*EXTRAS))


def test_no_variant_for_the_host_is_worded_by_the_renderer() -> None:
    data = {
        "tool": {
            "poetry-platform": {
                "variant": [{"name": "gpu", "extras": ["cuda13"], "requires": {"cuda": ">=13"}}]
            }
        }
    }
    refused = decision(NO_GPU, data=data)
    assert refused.selection.chosen is None
    with pytest.raises(PlatformError) as info:
        extras_for(refused, InstallRequest(), declared(*EXTRAS))
    assert str(info.value) == render.no_variant(refused.selection)


# --- with_variant_groups ------------------------------------------------------------------------


def test_the_variants_groups_join_unless_only_root() -> None:
    data = {"tool": {"poetry-platform": {"variant": [{"name": "gpu", "groups": ["GPU"]}]}}}
    variant = decision(data=data).selection.chosen
    assert variant is not None
    assert with_variant_groups(["main", "Dev"], variant, only_root=False) == {
        "main",
        "dev",
        "gpu",
    }
    assert with_variant_groups(["main"], variant, only_root=True) == {"main"}
    assert with_variant_groups(["main"], None, only_root=False) == {"main"}


# --- prepare ------------------------------------------------------------------------------------

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10,<4"
dependencies = []

[project.optional-dependencies]
cuda12 = ["jax[cuda12]>=0.7"]
cuda13 = ["jax[cuda13]>=0.7"]
"""
FAKE_H100 = {"POETRY_PLATFORM_CUDA": "13.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY": "9.0"}


@dataclass
class Env:
    """What `prepare` reads of Poetry's environment: its markers and wheel tags."""

    marker_env: dict[str, Any] = field(default_factory=lambda: dict(LINUX))
    supported_tags: Any = field(
        default_factory=lambda: SupportedTags.for_target(
            tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28"))
        )
    )


ENV = cast("PoetryEnv", Env())


def project(tmp_path: Path, pyproject: str = PYPROJECT) -> Any:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return Factory().create_poetry(tmp_path)


def test_prepare_picks_the_hosts_variant_without_a_lock(tmp_path: Path) -> None:
    choice = prepare(project(tmp_path), ENV, InstallRequest(), ["main"], environ=FAKE_H100)
    assert (choice.variant.name, choice.extras, choice.installer.name) == (
        "cuda13",
        ("cuda13",),
        "poetry",
    )
    assert choice.decision.host.nvidia is not None


def test_prepare_takes_the_forced_variant_from_the_environment(tmp_path: Path) -> None:
    environ = FAKE_H100 | {"POETRY_PLATFORM_VARIANT": "cuda12"}
    choice = prepare(project(tmp_path), ENV, InstallRequest(), ["main"], environ=environ)
    assert (choice.variant.name, choice.extras) == ("cuda12", ("cuda12",))
    assert choice.decision.selection.forced_by == "POETRY_PLATFORM_VARIANT"


def test_prepare_refuses_a_stale_lock_before_the_venv(tmp_path: Path) -> None:
    poetry = project(tmp_path)
    (tmp_path / "poetry.lock").write_text(
        'package = []\n\n[metadata]\nlock-version = "2.1"\npython-versions = ">=3.10,<4"\n'
        'content-hash = "0"\n',
        encoding="utf-8",
    )
    with pytest.raises(PlatformError) as info:
        prepare(poetry, ENV, InstallRequest(), ["main"], environ=FAKE_H100)
    lines = str(info.value).splitlines()
    assert lines[0] == "poetry.lock cannot be installed on this machine:"
    assert lines[1].startswith("  - pyproject.toml changed significantly since poetry.lock")
    assert lines[-1].startswith("Nothing was installed.")
