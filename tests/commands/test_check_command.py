"""`poetry platform-check` on locks made by real `poetry lock` against the local index.

Two projects are locked once for the module; `[tool.poetry-platform]` is not part of
Poetry's content hash, so each test rewrites the targets in its own copy and the lock stays
fresh.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest

from tests.support import layouts
from tests.support import layouts_check
from tests.support.index import IndexServer
from tests.support.project import POETRY
from tests.support.project import copy_project
from tests.support.project import poetry_env
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

VARIANTS = """
[[tool.poetry-platform.variant]]
name = "cuda"
extras = ["cuda"]
requires = { markers = "sys_platform == 'linux'", cuda = ">=12.0" }
[[tool.poetry-platform.variant]]
name = "cuda-unguarded"
extras = ["cuda-unguarded"]
requires = { cuda = ">=12.0" }
[[tool.poetry-platform.variant]]
name = "cpu"
"""

HEALTHY = """
[[tool.poetry-platform.target]]
name = "mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = ["3.11", "3.12"]
variant = "cpu"
macos = "14.0"
[[tool.poetry-platform.target]]
name = "gpu"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
variant = "cuda"
groups = ["main", "abi3"]
glibc = "2.28"
[[tool.poetry-platform.target]]
name = "arm"
sys_platform = "linux"
platform_machine = "aarch64"
python = "3.11"
variant = "cpu"
glibc = "2.28"
[[tool.poetry-platform.target]]
name = "win"
sys_platform = "win32"
platform_machine = "AMD64"
python = "3.12"
variant = "cpu"
"""


def demo_pyproject(server: IndexServer) -> str:
    groups = {
        "abi3": "abi3-lib",
        "nomac": "no-mac-arm",
        "src": "sdist-only",
        "newglibc": "new-glibc",
        "newmacos": "new-macos",
        "alpine": "musl-only",
    }
    group_tables = "".join(
        f"\n[tool.poetry.group.{g}]\noptional = true\n"
        f'[tool.poetry.group.{g}.dependencies]\n{p} = "*"\n'
        for g, p in groups.items()
    )
    return f"""[project]
name = "check-demo"
version = "0.1.0"
requires-python = ">=3.11,<3.13"
dependencies = ["native-lib", "pure-lib"]

[project.optional-dependencies]
cuda = ["cuda-plugin ; sys_platform == 'linux'"]
cuda-unguarded = ["cuda-plugin"]

[tool.poetry]
package-mode = false
{group_tables}{sources_toml(server)}
"""


def lagging_pyproject(server: IndexServer) -> str:
    return f"""[project]
name = "lagging-demo"
version = "0.1.0"
requires-python = ">=3.10,<3.14"
dependencies = ["{layouts_check.LAGGING}", "pure-lib"]

[tool.poetry]
package-mode = false
{sources_toml(server)}
"""


@pytest.fixture(scope="module")
def check_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("check-index")
    layouts.tagged(root)
    layouts_check.lagging(root)
    with IndexServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return poetry_env(tmp_path_factory.mktemp("check-poetry-state"))


@pytest.fixture(scope="module")
def locked(
    check_index: IndexServer, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = {}
    for name, text in (
        ("demo", demo_pyproject(check_index)),
        ("lagging", lagging_pyproject(check_index)),
    ):
        project = tmp_path_factory.mktemp(f"locked-{name}")
        write_project(project, text)
        run_poetry(["lock"], project, env)
        out[name] = project
    return out


def project_with(
    locked: dict[str, Path], tmp_path: Path, platform: str, which: str = "demo"
) -> Path:
    project = copy_project(locked[which], tmp_path / which)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + platform)
    return project


def check(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_poetry(["platform-check", *args], project, env, check=False)


# CPython versions the tagged layout's native-lib has wheels for.
NATIVE_PYTHONS = ((3, 11), (3, 12))


def check_json(project: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    result = check(project, env, "--json", *args)
    return result.returncode, json.loads(result.stdout)


def problems(report: dict[str, Any], target: str, python: str | None = None) -> list[str]:
    return [
        p["message"]
        for t in report["targets"]
        if t["name"] == target and (python is None or t["python"] == python)
        for p in t["problems"]
    ]


def test_healthy_matrix_passes_offline(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str], check_index: IndexServer
) -> None:
    project = project_with(locked, tmp_path, VARIANTS + HEALTHY)
    served = len(check_index.requests)
    result = check(project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(check_index.requests) == served  # not one request to the index
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert all(": OK, " in line for line in lines)
    assert lines[0].startswith("mac (darwin arm64, Python 3.11, variant cpu, groups main;")

    code, report = check_json(project, env)
    assert code == 0
    assert report["ok"] is True
    files = {
        (t["name"], t["python"]): {p["name"]: p["file"] for p in t["packages"]}
        for t in report["targets"]
    }
    assert (
        files[("mac", "3.12")]["native-lib"] == "native_lib-1.0-cp312-cp312-macosx_11_0_arm64.whl"
    )
    assert files[("gpu", "3.12")] == {
        "abi3-lib": "abi3_lib-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "cuda-plugin": "cuda_plugin-1.0-py3-none-manylinux_2_28_x86_64.whl",
        "native-lib": "native_lib-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "pure-lib": "pure_lib-1.0-py3-none-any.whl",
    }
    assert files[("win", "3.12")]["native-lib"] == "native_lib-1.0-cp312-cp312-win_amd64.whl"
    gpu = next(t for t in report["targets"] if t["name"] == "gpu")
    assert (gpu["variant"], gpu["extras"], gpu["wheel_tags"]) == (
        "cuda",
        ["cuda"],
        "manylinux_2_28_x86_64 / cp312",
    )


def test_each_way_a_lock_can_fail(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    targets = """
[[tool.poetry-platform.target]]
name = "mac-nomac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
groups = ["main", "nomac"]
macos = "14.0"
[[tool.poetry-platform.target]]
name = "mac-cuda"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
variant = "cuda-unguarded"
macos = "14.0"
[[tool.poetry-platform.target]]
name = "mac-cuda-guarded"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
variant = "cuda"
macos = "14.0"
[[tool.poetry-platform.target]]
name = "old-glibc"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
groups = ["main", "newglibc"]
glibc = "2.28"
[[tool.poetry-platform.target]]
name = "old-mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.11"
groups = ["main", "newmacos"]
macos = "14.0"
[[tool.poetry-platform.target]]
name = "alpine"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
groups = ["main", "alpine"]
musl = "1.2"
[[tool.poetry-platform.target]]
name = "py310"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.10"
"""
    project = project_with(locked, tmp_path, VARIANTS + targets)
    code, report = check_json(project, env)
    assert code == 1
    assert report["ok"] is False
    ok = {t["name"]: t["ok"] for t in report["targets"]}
    assert ok == {
        "mac-nomac": False,
        "mac-cuda": False,
        "mac-cuda-guarded": True,
        "old-glibc": False,
        "old-mac": False,
        "alpine": False,
        "py310": False,
    }
    assert problems(report, "mac-nomac") == [
        "no-mac-arm 1.0: no wheel for macosx_14_0_arm64 / cp312; "
        "files have macosx_10_9_x86_64, manylinux_2_17_x86_64, win_amd64"
    ]
    assert problems(report, "mac-cuda") == [
        "cuda-plugin 1.0: no wheel for macosx_14_0_arm64 / cp312; files have manylinux_2_28_x86_64"
    ]
    assert problems(report, "old-glibc") == [
        "new-glibc 1.0: no wheel for manylinux_2_28_x86_64 / cp312; "
        "files have macosx_11_0_arm64, manylinux_2_34_x86_64"
    ]
    assert problems(report, "old-mac") == [
        "new-macos 1.0: no wheel for macosx_14_0_arm64 / cp311; "
        "files have macosx_15_0_arm64, manylinux_2_17_x86_64"
    ]
    # On musl, the glibc wheels of the main group fail too: every one is named.
    alpine = problems(report, "alpine")
    assert [m.split(":")[0] for m in alpine] == ["native-lib 1.0"]
    assert alpine[0].startswith("native-lib 1.0: no wheel for musllinux_1_2_x86_64 / cp312;")
    assert problems(report, "py310")[0] == (
        "the project does not support Python 3.10 (requires-python >=3.11,<3.13)"
    )

    text = check(project, env, "--target", "mac-cuda")
    assert text.returncode == 1
    assert text.stdout.splitlines() == [
        "mac-cuda (darwin arm64, Python 3.12, variant cuda-unguarded, groups main; "
        "macosx_14_0_arm64 / cp312): FAILED, 3 packages",
        "  - cuda-plugin 1.0: no wheel for macosx_14_0_arm64 / cp312; "
        "files have manylinux_2_28_x86_64",
    ]
    assert "1 of 1 target checks failed" in text.stderr


def test_python_the_wheels_do_not_cover(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    targets = """
[[tool.poetry-platform.target]]
name = "linux"
sys_platform = "linux"
platform_machine = "x86_64"
python = ["3.12", "3.13"]
"""
    project = project_with(locked, tmp_path, targets, which="lagging")
    code, report = check_json(project, env)
    assert code == 1
    assert problems(report, "linux", "3.12") == []
    assert problems(report, "linux", "3.13") == [
        "lagging-lib 1.0: no wheel for manylinux_*_x86_64 / cp313; "
        "files have cp311-cp311, cp312-cp312"
    ]


def test_sdist_only_warns_and_strict_fails(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    targets = """
[[tool.poetry-platform.target]]
name = "ci"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.11"
groups = ["main", "src"]
"""
    project = project_with(locked, tmp_path, targets)
    result = check(project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "ci (linux x86_64, Python 3.11, groups main, src; manylinux_*_x86_64 / cp311): "
        "OK with 1 warning, 3 packages",
        "  - sdist-only 1.0: no wheel for manylinux_*_x86_64 / cp311; "
        "builds from source (sdist_only-1.0.tar.gz)",
    ]
    code, report = check_json(project, env, "--strict")
    assert code == 1
    (problem,) = report["targets"][0]["problems"]
    assert (problem["kind"], problem["severity"]) == ("builds-from-source", "warning")


def test_stale_and_old_locks(locked: dict[str, Path], tmp_path: Path, env: dict[str, str]) -> None:
    project = project_with(locked, tmp_path, VARIANTS + HEALTHY)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pure-lib"]', '"pure-lib", "abi3-lib"]', 1))
    result = check(project, env, "--target", "mac")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "pyproject.toml changed significantly since poetry.lock was last generated; "
        "run `poetry lock` to fix the lock file"
    )
    # The targets are still checked, and the dependency the lock lacks is named.
    assert (
        "abi3-lib *: required by the project, but poetry.lock has it only for other groups "
        "(abi3); run `poetry lock`"
    ) in result.stdout

    lock = project / "poetry.lock"
    shutil.copy(locked["demo"] / "pyproject.toml", pyproject)
    lock.write_text(lock.read_text().replace('lock-version = "2.1"', 'lock-version = "2.0"'))
    code, report = check_json(project, env)
    assert code == 1
    assert [p["kind"] for p in report["lock"]["problems"]] == ["old-lock"]
    assert report["targets"] == []  # nothing to evaluate without per-group markers

    lock.unlink()
    result = check(project, env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "poetry.lock not found; run `poetry lock` to create it\n"


def test_unknown_target_and_bad_config(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    project = project_with(locked, tmp_path, VARIANTS + HEALTHY)
    result = check(project, env, "--target", "nope")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "No target named nope in [tool.poetry-platform]; targets: mac, gpu, arm, win"
    )
    typo = check(project, env, "--target", "gpuu")
    assert typo.stderr.strip().endswith("targets: mac, gpu, arm, win; did you mean gpu?")
    bad = project_with(
        locked,
        tmp_path / "bad",
        VARIANTS + HEALTHY.replace('sys_platform = "win32"', 'sys_platform = "windows"'),
    )
    result = check(bad, env)
    assert result.returncode == 1
    assert "target[3] (win).sys_platform: unknown sys_platform 'windows'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_target_without_declared_targets_lists_the_variants(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    """No targets: say so, that --target then names a variant (which ones), how to declare."""
    project = project_with(locked, tmp_path, VARIANTS)
    result = check(project, env, "--target", "nope")
    assert result.returncode == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith(
        "--target nope: no targets are declared in [tool.poetry-platform], so --target names "
        "a variant checked on this machine (cuda, cuda-unguarded, cpu)."
    )
    assert '[[tool.poetry-platform.target]] name = "nope", sys_platform = ' in message
    assert "No variant named" not in message


def test_without_targets_every_variant_on_this_host(
    locked: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    project = project_with(locked, tmp_path, VARIANTS)
    code, report = check_json(project, env)
    assert [t["name"] for t in report["targets"]] == ["cuda", "cuda-unguarded", "cpu"]
    this = report["targets"][0]
    assert (this["sys_platform"], this["platform_machine"], this["python"]) == (
        sys.platform,
        platform.machine(),
        "{}.{}".format(*sys.version_info),
    )
    assert all(t["groups"] == ["main"] for t in report["targets"])
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert this["wheel_tags"].startswith("manylinux_2_")
        assert {p["name"] for p in this["packages"]} == {"cuda-plugin", "native-lib", "pure-lib"}
        if sys.version_info[:2] in NATIVE_PYTHONS:
            # Every build of the demo has wheels for a glibc x86_64 Linux, CPython 3.11/3.12.
            assert code == 0
        else:
            # Any other Python (CI runs 3.10 and 3.13+): native-lib has no wheel for it.
            assert code == 1
            assert any(
                m.startswith("native-lib 1.0: no wheel for ") for m in problems(report, "cpu")
            )

    result = check(project, env, "--target", "cpu")
    python = "{}.{}.{}".format(*sys.version_info)
    # No venv yet: the Python `poetry install` would create it with (here Poetry's own,
    # through virtualenvs.use-poetry-python).
    assert result.stdout.splitlines()[0] == (
        "No targets declared in [tool.poetry-platform]: checking every variant for this "
        f"machine and the project's Python {python} ({sys.executable}, which `poetry install` "
        "would create the environment with)."
    )
    assert result.stdout.splitlines()[1].startswith("cpu (")
    if sys.version_info[:2] in NATIVE_PYTHONS:
        assert len(result.stdout.splitlines()) == 2

    # With the project's venv in place, that is the interpreter checked.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", project / ".venv"], check=True)
    result = check(project, env, "--target", "cpu")
    assert (
        f"machine and the project's Python {python} (the project's environment "
        f"{project / '.venv'})." in result.stdout.splitlines()[0]
    )


def test_no_network_namespace(locked: dict[str, Path], tmp_path: Path, env: dict[str, str]) -> None:
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rn", "true"]).returncode:
        pytest.skip("unprivileged network namespaces are not available here")
    project = project_with(locked, tmp_path, VARIANTS + HEALTHY)
    result = subprocess.run(
        ["unshare", "-rn", str(POETRY), "platform-check"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK, ") == 5


# --- the API platform-install calls before touching the venv --------------------------------


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="expects a glibc host"
)
@pytest.mark.skipif(
    sys.version_info[:2] not in NATIVE_PYTHONS,
    reason="the demo's native-lib has CPython 3.11/3.12 wheels only; this host's plan differs",
)
def test_install_plan_for_this_host(locked: dict[str, Path], tmp_path: Path) -> None:
    from poetry.factory import Factory
    from poetry.utils.env import SystemEnv

    from poetry_platform import render
    from poetry_platform.check.plan import check_install_plan
    from poetry_platform.lockset.problems import blocking
    from poetry_platform.render import unfit_lock

    project = copy_project(locked["demo"], tmp_path / "demo")
    poetry = Factory().create_poetry(project)
    host = SystemEnv(Path(sys.prefix))

    def plan(extras: list[str], groups: list[str]) -> list[str]:
        problems = check_install_plan(
            poetry,
            marker_env=host.marker_env,
            supported_tags=host.supported_tags,
            extras=extras,
            groups=groups,
        )
        return [p.kind for p in problems]

    assert plan([], ["main"]) == []
    assert plan(["cuda"], ["main"]) == []
    assert plan(["nope"], ["main"]) == ["extra-not-locked"]
    assert plan([], ["main", "src"]) == ["builds-from-source"]

    problems = check_install_plan(
        poetry,
        marker_env=host.marker_env,
        supported_tags=host.supported_tags,
        extras=[],
        groups=["main", "src", "alpine"],
    )
    assert [p.package for p in blocking(problems)] == ["musl-only"]
    assert [p.package for p in blocking(problems, strict=True)] == ["musl-only", "sdist-only"]
    message = unfit_lock(problems)
    assert message is not None
    lines = message.splitlines()
    assert lines[0] == "poetry.lock cannot be installed on this machine:"
    assert lines[1].startswith("  - musl-only 1.0: no wheel for ")
    assert lines[1].endswith("; files have musllinux_1_2_x86_64")
    assert len(lines) == 3
    assert unfit_lock([p for p in problems if p.severity == "warning"]) is None

    # An environment whose Python the project excludes: said so, with the fix; no
    # "run `poetry lock`" for the entries the lock rightly holds only for its own Pythons.
    outside = dict(host.marker_env) | {"python_full_version": "3.10.4", "python_version": "3.10"}
    problems = check_install_plan(
        poetry, marker_env=outside, supported_tags=host.supported_tags, extras=[], groups=["main"]
    )
    assert [p.kind for p in problems] == ["python"]
    assert render.problem(problems[0]) == (
        "this environment's Python 3.10.4 is outside the project's requires-python "
        "(>=3.11,<3.13): the lock holds nothing for it; use a Python the project supports "
        "(`poetry env use 3.X`), or widen requires-python and `poetry lock`"
    )
