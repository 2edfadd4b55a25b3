"""The shipped examples/, checked offline, as a user would run them.

Each example's pyproject is read by Poetry's own Factory and the plugin's config loader;
`platform-show --json` runs on faked hosts (the real probes against compiled fake NVIDIA
libraries); the locks are made by a real `poetry lock` against the local test index, which
publishes the same package names (the examples' sources are rewritten to point at it, nothing
else changes). The Dockerfile is parsed, not built: every `platform-install` option it passes
must be one the command accepts, or the image build fails where nobody runs the tests.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit
from packaging.utils import canonicalize_name

from poetry_platform import poetry_api
from tests.fakes.gpu import A100_DRIVER_535
from tests.fakes.gpu import GTX_1080_TI_CUDA_13
from tests.fakes.gpu import H100
from tests.fakes.gpu import FakeNvidiaHost
from tests.fakes.gpu import fake_gpu_env
from tests.support import cli
from tests.support.layouts import JAX_2026_INDEX
from tests.support.layouts import JAX_CUDA13_FIRST
from tests.support.layouts import NVIDIA_CU13
from tests.support.layouts import PYPI
from tests.support.layouts import TORCH_CPU_INDEX
from tests.support.layouts import TORCH_CU130_INDEX
from tests.support.project import poetry_env
from tests.support.project import point_sources_at
from tests.support.project import run_poetry
from tests.support.wheels import normalize_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from poetry.poetry import Poetry

    from tests.support.index import IndexServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PROJECTS = ("jax", "torch", "research-team")
ON_LINUX = pytest.mark.skipif(
    sys.platform != "linux", reason="fake GPU libraries are Linux shared objects"
)

CUDA13 = ['markers sys_platform == "linux"', "cuda >=13.0", "compute-capability >=7.5"]
CUDA12 = ['markers sys_platform == "linux"', "cuda >=12.0"]
JAX_VARIANTS = [("cuda13", ["cuda13"], CUDA13), ("cuda12", ["cuda12"], CUDA12), ("cpu", [], [])]
# example -> (inferred?, [(variant, extras, requirements)]) in selection order
EXPECTED_VARIANTS: dict[str, tuple[bool, list[tuple[str, list[str], list[str]]]]] = {
    "jax": (True, JAX_VARIANTS),
    "torch": (
        False,
        [
            (
                "cu130",
                ["cu130"],
                [
                    'markers sys_platform == "linux" or sys_platform == "win32"',
                    "cuda >=13.0",
                    "compute-capability >=7.5",
                ],
            ),
            ("cpu", ["cpu"], []),
        ],
    ),
    "research-team": (True, JAX_VARIANTS),
}

HOSTS: dict[str, FakeNvidiaHost | None] = {
    "no-gpu": None,
    "driver-535": A100_DRIVER_535,
    "h100": H100,
    "gtx-1080-ti-cuda-13": GTX_1080_TI_CUDA_13,
}
# (example, host) -> the variant platform-show must choose
EXPECTED_CHOICE = {
    ("jax", "no-gpu"): "cpu",
    ("jax", "driver-535"): "cuda12",
    ("jax", "h100"): "cuda13",
    ("jax", "gtx-1080-ti-cuda-13"): "cuda12",
    ("torch", "no-gpu"): "cpu",
    ("torch", "driver-535"): "cpu",  # the only CUDA build needs CUDA 13
    ("torch", "h100"): "cu130",
    ("torch", "gtx-1080-ti-cuda-13"): "cpu",  # CUDA 13 builds need compute capability 7.5
    ("research-team", "no-gpu"): "cpu",
    ("research-team", "driver-535"): "cuda12",
    ("research-team", "h100"): "cuda13",
    ("research-team", "gtx-1080-ti-cuda-13"): "cuda12",
}
# The example's sources -> the test index of the same name ("pypi" for no source).
INDEXES = {"torch-cpu": TORCH_CPU_INDEX, "torch-cu130": TORCH_CU130_INDEX}
JAX_BASE = {"jax", "jaxlib", "ml-dtypes", "numpy", "opt-einsum", "scipy"}
JAX_CUDA13 = {"jax-cuda13-plugin", "jax-cuda13-pjrt", *NVIDIA_CU13}
PYTEST = {"pytest", "iniconfig", "packaging", "pluggy"}


def example_text(name: str) -> str:
    return (EXAMPLES / name / "pyproject.toml").read_text()


@pytest.fixture(scope="module")
def poetries() -> dict[str, Poetry]:
    from poetry.factory import Factory

    return {name: Factory().create_poetry(EXAMPLES / name) for name in PROJECTS}


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PROJECTS)
def test_pyproject_passes_poetrys_strict_validation(name: str, poetries: dict[str, Poetry]) -> None:
    from poetry.factory import Factory

    assert Factory.validate(poetries[name].pyproject.data, strict=True) == {
        "errors": [],
        "warnings": [],
    }


@pytest.mark.parametrize("name", PROJECTS)
def test_variants_are_inferred_or_declared_as_intended(
    name: str, poetries: dict[str, Poetry]
) -> None:
    from poetry_platform import render
    from poetry_platform.context import project_config

    config = project_config(poetries[name])
    inferred, expected = EXPECTED_VARIANTS[name]
    assert config.variants_inferred is inferred
    assert [
        (v.name, list(v.extras), render.requirements(v.requires)) for v in config.variants
    ] == expected
    assert all(v.groups == () for v in config.variants)


def test_torchs_declared_variants_are_the_inferred_ones_spelled_out(
    poetries: dict[str, Poetry],
) -> None:
    """The example says declaring them is optional: dropping the table changes nothing."""
    from poetry_platform.accelerators import infer_variants
    from poetry_platform.context import project_config

    package = poetries["torch"].package
    declared = project_config(poetries["torch"]).variants
    assert declared == infer_variants([str(e) for e in package.extras])


def test_research_teams_targets(poetries: dict[str, Poetry]) -> None:
    from poetry_platform.context import project_config

    config = project_config(poetries["research-team"])
    targets = [
        (t.name, t.sys_platform, t.platform_machine, [str(p) for p in t.pythons], t.variant)
        for t in config.targets
    ]
    every = ["3.10", "3.11", "3.12", "3.13"]  # requires-python >=3.10,<3.14
    assert targets == [
        ("mac-laptop", "darwin", "arm64", every, "cpu"),
        ("gpu-batch", "linux", "x86_64", ["3.12"], "cuda13"),
        ("gpu-other-pythons", "linux", "x86_64", ["3.11", "3.13"], "cuda13"),
        ("gpu-batch-py310", "linux", "x86_64", ["3.10"], "cuda12"),
        ("ci", "linux", "x86_64", every, "cpu"),
    ]
    groups = {t.name: set(t.groups) for t in config.targets}
    assert groups == {
        "mac-laptop": {"main", "test", "dev"},
        "gpu-batch": {"main", "cloud"},
        "gpu-other-pythons": {"main", "cloud"},
        "gpu-batch-py310": {"main", "cloud"},
        "ci": {"main", "test"},
    }
    # The team's four optional groups, `cloud_dev` as Poetry normalizes it (Poetry 2.1 keeps
    # the name as written; newer releases normalize it).
    package = poetries["research-team"].package
    names = package.dependency_group_names(include_optional=True)
    assert {canonicalize_name(str(g)) for g in names} == {
        "main",
        "test",
        "cloud",
        "dev",
        "cloud-dev",
    }
    assert package.dependency_group_names() == {"main"}  # all four optional


# Examples whose floors follow the real index: they lock against `layouts.jax_2026`.
JAX_2026_EXAMPLES = ("jax", "research-team")


def published(index_root: Path) -> dict[tuple[str, str], set[str]]:
    """(index, normalized project) -> versions with a file there."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in index_root.glob("*/*/*"):
        if path.suffix in (".whl", ".gz"):
            version = path.name.removesuffix(".tar.gz").split("-")[1]
            found.setdefault((path.parent.parent.name, path.parent.name), set()).add(version)
    return found


@pytest.mark.parametrize("name", PROJECTS)
def test_every_constraint_is_satisfiable_by_the_test_index(
    name: str, poetries: dict[str, Poetry], index_root: Path
) -> None:
    """A clearer failure than a lock error when an example moves past the test layouts."""
    from poetry.core.constraints.version import Version

    versions = published(index_root)
    unmet = []
    primary = JAX_2026_INDEX if name in JAX_2026_EXAMPLES else PYPI
    for dependency in poetries[name].package.all_requires:
        index = INDEXES.get(dependency.source_name or "", primary)
        have = versions.get((index, normalize_name(dependency.name)), set())
        if not any(dependency.constraint.allows(Version.parse(v)) for v in have):
            unmet.append(f"{dependency.name} {dependency.constraint} on {index}: {sorted(have)}")
    assert unmet == []


# --- platform-show on faked hosts ------------------------------------------------------------


@pytest.fixture(scope="module")
def host_envs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Host name -> the variables that make detection see it (fakes built once per module)."""
    envs = {}
    for name, host in HOSTS.items():
        if host is None:
            envs[name] = {"POETRY_PLATFORM_CUDA": ""}
            continue
        env = fake_gpu_env(tmp_path_factory.mktemp(name), host, dict(os.environ))
        envs[name] = {key: env[key] for key in ("PATH", "LD_LIBRARY_PATH")}
    return envs


def platform_show_json(
    project: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """`poetry platform-show --json` in this process: Poetry's Application, the plugin loaded
    through its entry point, the example's pyproject as is."""
    from cleo.io.null_io import NullIO
    from cleo.testers.command_tester import CommandTester
    from poetry.console.application import Application

    monkeypatch.chdir(project)
    for key in (
        "POETRY_PLATFORM_CUDA",
        "POETRY_PLATFORM_COMPUTE_CAPABILITY",
        "POETRY_PLATFORM_VARIANT",
        "CONDA_OVERRIDE_CUDA",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = Application()
    poetry_api.load_plugins(app, NullIO())
    tester = CommandTester(app.find("platform-show"))
    assert tester.execute("--json") == 0, tester.io.fetch_error()
    data: dict[str, Any] = json.loads(tester.io.fetch_output())
    return data


@ON_LINUX
@pytest.mark.parametrize(("name", "host"), list(EXPECTED_CHOICE))
def test_platform_show_chooses_the_intended_variant(
    name: str,
    host: str,
    host_envs: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = platform_show_json(EXAMPLES / name, host_envs[host], monkeypatch)
    chosen = EXPECTED_CHOICE[(name, host)]
    assert data["chosen"] == chosen
    assert data["forced_by"] is None
    names = [v["name"] for v in data["variants"]]
    assert names == [v for v, _, _ in EXPECTED_VARIANTS[name][1]]
    # Every variant before the chosen one is refused, each with a reason.
    for verdict in data["variants"][: names.index(chosen)]:
        assert verdict["satisfied"] is False
        assert verdict["reasons"]
    assert data["variants"][names.index(chosen)]["satisfied"] is True


@ON_LINUX
def test_platform_show_names_the_unmet_compute_capability(
    host_envs: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = platform_show_json(EXAMPLES / "torch", host_envs["gtx-1080-ti-cuda-13"], monkeypatch)
    assert data["host"]["cuda"] == "13.0"
    assert data["host"]["compute_capabilities"] == ["6.1"]
    assert data["variants"][0]["reasons"] == [
        "compute-capability >=7.5: host has compute capability 6.1"
    ]


# --- locks against the local test index ------------------------------------------------------


@pytest.fixture
def lock_example(
    locked_project: Callable[..., Path], index_server: IndexServer
) -> Callable[[str], Path]:
    """`lock_example(name)`: a private copy of the example, locked once per session."""

    def factory(name: str) -> Path:
        # The JAX examples' floors are the real index's (jax[cuda13] from 0.7.2, Python 3.11).
        primary = JAX_2026_INDEX if name in JAX_2026_EXAMPLES else PYPI
        text = point_sources_at(example_text(name), index_server, primary=primary)
        return locked_project(text, name)

    return factory


def locked_packages(project: Path) -> list[dict[str, Any]]:
    lock = tomlkit.parse((project / "poetry.lock").read_text()).unwrap()
    packages: list[dict[str, Any]] = lock["package"]
    return packages


def planned_installs(output: str) -> set[str]:
    """Names of the packages a `--dry-run` would install (Poetry's "Skipped" lines left out)."""
    return {
        m.group(1)
        for m in re.finditer(r"^  - Installing (\S+) \(([^)]+)\)$", output, flags=re.MULTILINE)
    }


@pytest.mark.slow
@ON_LINUX
def test_jax_lock_and_dry_run_on_an_h100_plans_the_cuda13_plugin(
    lock_example: Callable[[str], Path], tmp_path: Path
) -> None:
    project = lock_example("jax")
    versions = {p["name"]: p["version"] for p in locked_packages(project)}
    assert versions["jax"] == versions["jaxlib"] == JAX_CUDA13_FIRST
    assert {"jax-cuda12-plugin", "jax-cuda13-plugin"} <= set(versions)

    env = fake_gpu_env(tmp_path / "h100", H100, poetry_env(tmp_path / "state"))
    result = run_poetry(["platform-install", "--dry-run"], project, env)
    installer, variant = result.stdout.splitlines()[:2]
    assert installer == "Installer: poetry (POETRY_PLATFORM_INSTALLER=poetry)"
    assert variant.startswith("Platform variant: cuda13 (CUDA 13.0 (driver 580.159.04)")
    # The PEP 735 `test` group is not optional: it comes along, as with `poetry install`.
    assert planned_installs(result.stdout) == JAX_BASE | JAX_CUDA13 | PYTEST


@pytest.mark.slow
def test_torch_lock_holds_both_builds_from_their_own_index(
    lock_example: Callable[[str], Path],
) -> None:
    project = lock_example("torch")
    torches = {
        p["version"]: (p["source"]["reference"], p.get("markers"))
        for p in locked_packages(project)
        if p["name"] == "torch"
    }
    assert torches == {
        "2.9.0+cpu": (TORCH_CPU_INDEX, 'extra == "cpu" and extra != "cu130"'),
        "2.9.0+cu130": (TORCH_CU130_INDEX, 'extra == "cu130" and extra != "cpu"'),
    }

    env = poetry_env(project.parent / "state")
    result = run_poetry(["platform-check", "--target", "cpu", "--json"], project, env)
    (target,) = json.loads(result.stdout)["targets"]
    assert (target["variant"], target["ok"]) == ("cpu", True)
    assert {p["name"]: p["version"] for p in target["packages"]}["torch"] == "2.9.0+cpu"


@pytest.fixture
def research_team(lock_example: Callable[[str], Path]) -> Path:
    return lock_example("research-team")


@pytest.mark.slow
def test_research_team_lock_keeps_the_python_split(research_team: Path) -> None:
    versions: dict[str, set[str]] = {}
    for package in locked_packages(research_team):
        versions.setdefault(package["name"], set()).add(package["version"])
    assert versions["networkx"] == {"3.4.2", "3.5"}  # <3.11 and >=3.11
    assert {"moto", "pyyaml", "dask", "distributed", "ipython", "ruff"} <= set(versions)


@pytest.mark.slow
def test_platform_check_passes_on_the_research_teams_targets(research_team: Path) -> None:
    env = poetry_env(research_team.parent / "state")
    result = run_poetry(["platform-check"], research_team, env)
    lines = result.stdout.splitlines()
    # Every Python the project claims (>=3.10,<3.14) on each machine; GPU hosts on 3.10 get
    # cuda12 (no jax release with the cuda13 extra supports 3.10).
    assert [line.split(" (", 1)[0] for line in lines] == [
        *["mac-laptop"] * 4,
        "gpu-batch",
        *["gpu-other-pythons"] * 2,
        "gpu-batch-py310",
        *["ci"] * 4,
    ]
    assert all(": OK, " in line for line in lines), result.stdout

    report = json.loads(run_poetry(["platform-check", "--json"], research_team, env).stdout)
    assert set(report) == {"ok", "strict", "lock", "targets", "pyproject"}
    assert report["pyproject"] == []  # nothing a bot broke
    assert report["ok"] is True
    assert report["lock"]["problems"] == []
    assert report["lock"]["extras"] == ["cuda12", "cuda13"]
    rows = {(t["name"], t["python"]): t for t in report["targets"]}
    pythons = ["3.10", "3.11", "3.12", "3.13"]
    assert list(rows) == [
        *[("mac-laptop", p) for p in pythons],
        ("gpu-batch", "3.12"),
        ("gpu-other-pythons", "3.11"),
        ("gpu-other-pythons", "3.13"),
        ("gpu-batch-py310", "3.10"),
        *[("ci", p) for p in pythons],
    ]
    for target in rows.values():
        assert target["ok"] is True
        assert target["problems"] == []
        assert all(p["file"] for p in target["packages"])
    names = {key: {p["name"] for p in t["packages"]} for key, t in rows.items()}
    mac, gpu = names[("mac-laptop", "3.12")], names[("gpu-batch", "3.12")]
    for key in (
        ("gpu-batch", "3.12"),
        ("gpu-other-pythons", "3.11"),
        ("gpu-other-pythons", "3.13"),
    ):
        assert rows[key]["accelerator"]["delivered_by"]
    assert "jax-cuda12-plugin" in names[("gpu-batch-py310", "3.10")]
    assert not any(n.startswith("jax-cuda13") for n in names[("gpu-batch-py310", "3.10")])
    # A Mac never gets a CUDA plugin; the GPU image never misses one.
    assert not any(n.startswith(("jax-cuda", "nvidia-")) for n in mac)
    assert gpu >= JAX_CUDA13
    assert not any(n.startswith("jax-cuda12") for n in gpu)
    assert {"ipython", "pytest"} <= mac
    assert {"boto3", "dask", "distributed", "pynvml", "networkx"} <= gpu
    assert "pytest" not in gpu
    mac_files = {p["name"]: p["file"] for p in rows[("mac-laptop", "3.12")]["packages"]}
    assert mac_files["jaxlib"].endswith("-macosx_11_0_arm64.whl")
    ci310 = {p["name"]: p["version"] for p in rows[("ci", "3.10")]["packages"]}
    ci312 = {p["name"]: p["version"] for p in rows[("ci", "3.12")]["packages"]}
    assert ci310["numpy"] != ci312["numpy"]  # numpy is split by Python in the lock too


# --- docker -------------------------------------------------------------------------------


def run_instructions(dockerfile: str) -> list[str]:
    """The shell text of each RUN instruction, continuation lines joined, flags dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    runs = []
    for line in joined.splitlines():
        words = line.strip().split(None, 1)
        if words and words[0].upper() == "RUN" and len(words) > 1:
            runs.append(re.sub(r"^(--\S+\s+)+", "", words[1]))
    return runs


def platform_install_calls(dockerfile: str, command: str = "platform-install") -> list[list[str]]:
    """The arguments after `poetry <command>` in every RUN line, one list per call."""
    calls = []
    for run in run_instructions(dockerfile):
        for line in re.split(r"&&|;|\|\|", run):
            words = shlex.split(line)
            for i, word in enumerate(words[:-1]):
                if word.endswith("poetry") and words[i + 1] == command:
                    calls.append(words[i + 2 :])
    return calls


def unknown_options(arguments: list[str], command: type[Any] | None = None) -> list[str]:
    """Options `platform-install` (or `command`) would refuse; values skipped."""
    from poetry_platform.commands.install import PlatformInstallCommand

    return cli.unknown_options(arguments, command or PlatformInstallCommand)


def test_dockerfile_calls_platform_install_with_options_it_accepts() -> None:
    dockerfile = (EXAMPLES / "docker" / "Dockerfile").read_text()
    calls = platform_install_calls(dockerfile)
    assert len(calls) == 2  # dependencies (--no-root), then the project (--only-root)
    for arguments in calls:
        assert unknown_options(arguments) == []
        # A build machine has no GPU: the variant is always forced, never detected.
        assert "--variant" in arguments
        assert arguments[arguments.index("--variant") + 1] == "${VARIANT}"
    assert "--no-root" in calls[0]
    assert "--only-root" in calls[1]


def test_dockerfile_variant_and_installer_exist(poetries: dict[str, Poetry]) -> None:
    """The default VARIANT is a variant of the project it builds; `--installer uv` is a
    known installer and the image installs the plugin with the extra that brings uv."""
    from poetry_platform.config import INSTALLERS
    from poetry_platform.context import project_config

    dockerfile = (EXAMPLES / "docker" / "Dockerfile").read_text()
    (default,) = re.findall(r"^ARG VARIANT=(\S+)$", dockerfile, flags=re.MULTILINE)
    variants = [v.name for v in project_config(poetries["research-team"]).variants]
    assert default in variants
    for arguments in platform_install_calls(dockerfile):
        if "--installer" in arguments:
            assert arguments[arguments.index("--installer") + 1] in INSTALLERS
    plugin = tomlkit.parse((ROOT / "pyproject.toml").read_text()).unwrap()
    assert "uv" in plugin["project"]["optional-dependencies"]
    assert '"poetry-platform[uv]"' in dockerfile


def test_option_parsing_catches_an_unknown_option() -> None:
    """The Dockerfile check above must be able to fail."""
    text = "RUN poetry platform-install --variant cuda13 --gpu yes -E cuda13 --only=main -Z\n"
    (arguments,) = platform_install_calls(text)
    assert unknown_options(arguments) == ["--gpu", "-Z"]


# --- docker: export in the builder, uv alone in the image ------------------------------------

EXPORT_DOCKERFILE = EXAMPLES / "docker" / "export.Dockerfile"


def stages(dockerfile: str) -> dict[str, str]:
    """Stage name -> its text (from its FROM line to the next one)."""
    parts = re.split(r"^FROM \S+ AS (\S+)\n", dockerfile, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_export_dockerfile_exports_a_declared_target_and_installs_it_without_poetry(
    poetries: dict[str, Poetry],
) -> None:
    from poetry_platform.commands.export import PlatformExportCommand
    from poetry_platform.context import project_config
    from poetry_platform.export.run import is_pylock_name

    dockerfile = EXPORT_DOCKERFILE.read_text()
    build, image = stages(dockerfile).values()
    (arguments,) = platform_install_calls(build, "platform-export")
    assert unknown_options(arguments, PlatformExportCommand) == []
    assert arguments[arguments.index("--target") + 1] == "${TARGET}"
    (default,) = re.findall(r"^ARG TARGET=(\S+)$", dockerfile, flags=re.MULTILINE)
    targets = {t.name: t for t in project_config(poetries["research-team"]).targets}
    assert default in targets
    # The image's Python is the target's: uv refuses a pylock made for another one.
    (python,) = re.findall(r"^ARG PYTHON=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert [str(p) for p in targets[default].pythons] == [python]
    output = arguments[arguments.index("-o") + 1]
    assert is_pylock_name(output)
    assert f"COPY --from=export /src/{output} /app/{output}" in image
    assert f"uv pip install --python /app/.venv/bin/python -r /app/{output}" in " ".join(
        run_instructions(image)
    )
    assert "poetry" not in " ".join(run_instructions(image))
    assert "COPY --from=export /opt/poetry/bin/uv /usr/local/bin/uv" in image
    assert '"poetry-platform[uv]"' in build


@pytest.mark.slow
def test_export_dockerfile_target_exports_from_the_example_lock(research_team: Path) -> None:
    """What the builder stage runs, on the example's lock: the GPU set, Linux files only."""
    dockerfile = EXPORT_DOCKERFILE.read_text()
    (default,) = re.findall(r"^ARG TARGET=(\S+)$", dockerfile, flags=re.MULTILINE)
    env = poetry_env(research_team.parent / "state")
    args = ["platform-export", "--target", default, "-o", "pylock.toml"]
    run_poetry(args, research_team, env)
    lock = tomlkit.parse((research_team / "pylock.toml").read_text()).unwrap()
    names = {p["name"] for p in lock["packages"]}
    assert names >= JAX_CUDA13
    assert {"boto3", "dask", "pynvml"} <= names
    files = [w["name"] for p in lock["packages"] for w in p.get("wheels", [])]
    assert files
    assert not [f for f in files if "macosx" in f or "win" in f]
    assert all(
        w["url"].startswith("http://127.0.0.1:")
        for p in lock["packages"]
        for w in p.get("wheels", [])
    )
