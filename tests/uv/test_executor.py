"""`platform-install --installer uv` end to end: real Poetry, real locks, real venvs, real uv.

The yardstick is Poetry's own installer: the same locked project is installed once with
each, into two venvs, and the environments must hold the same distributions with the same
files (hash for hash). Only the installers' bookkeeping differs: INSTALLER, REQUESTED,
RECORD itself and uv's `uv_cache.json`.

Variants are chosen the way Docker builds do it (`--variant`) or through the CUDA override
(`POETRY_PLATFORM_CUDA`), so no fake GPU libraries are needed here.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.support.layouts import JAX_LATEST
from tests.support.layouts import LINUX_X86
from tests.support.layouts import NVIDIA_CU13
from tests.support.layouts import PYPI
from tests.support.layouts import TORCH_CU130_INDEX
from tests.support.layouts import TORCH_LINUX_X86
from tests.support.layouts import TORCH_VERSIONS
from tests.support.layouts import add_release
from tests.support.project import installed
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import venv_python
from tests.support.project import write_project
from tests.support.templates import findlinks_project
from tests.support.templates import jax_project
from tests.support.templates import torch_project
from tests.support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow

BOOKKEEPING = frozenset({"INSTALLER", "REQUESTED", "RECORD", "uv_cache.json"})
NO_GPU = {"POETRY_PLATFORM_CUDA": ""}
H100 = {"POETRY_PLATFORM_CUDA": "13.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY": "9.0"}
TEMPLATES: dict[str, Callable[[IndexServer], str]] = {
    "jax": jax_project,
    "torch": torch_project,
    "findlinks": findlinks_project,
}


def environment(project: Path) -> dict[str, frozenset[tuple[str, str]]]:
    """Each distribution in the project's venv -> its installed files and their hashes."""
    found: dict[str, frozenset[tuple[str, str]]] = {}
    for record in (project / ".venv").glob("lib*/python*/site-packages/*.dist-info/RECORD"):
        if record.parent.name.startswith(("pip-", "setuptools-", "wheel-")):
            continue
        with record.open(newline="", encoding="utf-8") as f:
            rows = frozenset(
                (row[0], row[1])
                for row in csv.reader(f)
                if row and row[0].rsplit("/", 1)[-1] not in BOOKKEEPING
            )
        found[record.parent.name] = rows
    return found


def platform_install(
    project: Path, env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return run_poetry(["platform-install", *args], project, env, check=check)


@pytest.mark.parametrize(
    ("layout", "host", "args", "expected"),
    [
        pytest.param("jax", NO_GPU, ("--with", "test"), "jaxlib", id="jax-no-gpu-with-test"),
        pytest.param("jax", H100, (), "jax-cuda13-plugin", id="jax-h100-cuda13"),
        pytest.param("jax", NO_GPU, ("--variant", "cuda12"), "nvidia-cublas-cu12", id="jax-forced"),
        pytest.param("torch", NO_GPU, (), "torch", id="torch-cpu"),
        pytest.param("torch", NO_GPU, ("--variant", "cu130"), "triton", id="torch-forced-cu130"),
        pytest.param("findlinks", NO_GPU, (), "jaxlib", id="findlinks"),
    ],
)
def test_uv_installs_exactly_what_poetry_installs(
    locked_project: Callable[..., Path],
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    layout: str,
    host: dict[str, str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    text = TEMPLATES[layout](index_server)
    by_poetry = locked_project(text, "by-poetry")
    by_uv = locked_project(text, "by-uv")
    env = {**hermetic_env, **host}

    platform_install(by_poetry, env, *args)
    result = platform_install(by_uv, env, "--installer", "uv", *args)

    assert expected in installed(by_uv)
    assert installed(by_uv) == installed(by_poetry)
    assert environment(by_uv) == environment(by_poetry)
    # Nothing points into Poetry's cache: the next run of either installer has nothing to do.
    assert not list((by_uv / ".venv").glob("lib*/python*/site-packages/*/direct_url.json"))
    again = platform_install(by_uv, env, *args)
    assert "No dependencies to install or update" in again.stdout
    assert "Package operations" in result.stdout


def test_a_warm_install_asks_the_index_nothing(
    locked_project: Callable[..., Path], index_server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    """The second venv on a machine: Poetry's choice of file per package is remembered, so
    neither pages nor files are fetched again, and the result is the same."""
    text = jax_project(index_server)
    first, second = locked_project(text, "warm-1"), locked_project(text, "warm-2")
    env = {**hermetic_env, **H100}
    platform_install(first, env, "--installer", "uv", "--with", "test")
    before = len(index_server.requests)

    platform_install(second, env, "--installer", "uv", "--with", "test")

    assert index_server.requests[before:] == []
    assert environment(second) == environment(first)


def test_explicit_sources_are_the_locked_ones(
    make_index: Callable[..., IndexServer], hermetic_env: dict[str, str], tmp_path: Path
) -> None:
    """torch==X+cu130 comes from the explicit source the lock names, even though the primary
    index has a decoy with the same name and version."""
    server = make_index("torch_like")
    version = f"{TORCH_VERSIONS[1]}+cu130"
    decoy = "decoy-from-the-primary-index ; python_version < '3'"
    add_release(server.root.root, PYPI, "torch", version, tags=(TORCH_LINUX_X86,), deps=[decoy])
    project = tmp_path / "torch"
    write_project(project, torch_project(server))
    run_poetry(["lock"], project, hermetic_env)
    before = len(server.requests)

    platform_install(project, hermetic_env, "--installer", "uv", "--variant", "cu130")

    assert installed(project)["torch"] == version
    metadata = next((project / ".venv").glob("lib*/python*/site-packages/torch-*.dist-info"))
    assert "decoy" not in (metadata / "METADATA").read_text()
    fetched = [p for p in server.requests[before:] if "/files/torch/" in p]
    assert fetched
    assert all(p.startswith(f"/{TORCH_CU130_INDEX}/files/") for p in fetched)


def test_sync_removes_what_the_variant_does_not_select(
    locked_project: Callable[..., Path], index_server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    # A package: the root is installed by Poetry, editable, after uv's part.
    text = jax_project(index_server).replace("package-mode = false\n", "")
    project = locked_project(text, "jax-pkg")
    platform_install(project, hermetic_env, "--installer", "uv", "--variant", "cuda13")
    assert installed(project)["jax-cuda13-plugin"] == JAX_LATEST

    result = platform_install(
        project, hermetic_env, "--installer", "uv", "--sync", "--variant", "cpu"
    )

    got = installed(project)
    assert not any(name.startswith(("jax-cuda", "nvidia-")) for name in got)
    assert got["jaxlib"] == JAX_LATEST
    assert f"{len(NVIDIA_CU13) + 2} removals" in result.stdout
    assert "Removing nvidia-cublas" in result.stdout
    root = next((project / ".venv").glob("lib*/python*/site-packages/jax_demo-*.dist-info"))
    assert '"editable": true' in (root / "direct_url.json").read_text()
    check = subprocess.run(
        [str(venv_python(project)), "-c", "import jax_demo, jax; print(jax.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == JAX_LATEST


def test_dry_run_prints_the_plan_and_installs_nothing(
    locked_project: Callable[..., Path], index_server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(jax_project(index_server), "jax-dry")
    before = len(index_server.requests)

    result = platform_install(
        project, {**hermetic_env, **H100}, "--installer", "uv", "--dry-run", "-v"
    )

    assert "Installing jax-cuda13-plugin (" in result.stdout
    assert "installs, 0 updates, 0 removals" in result.stdout
    assert "uv:" not in result.stdout  # uv never ran
    assert installed(project) == {}
    assert not [p for p in index_server.requests[before:] if "/files/" in p]


def test_a_tampered_wheel_is_refused_and_nothing_is_installed(
    make_index: Callable[..., IndexServer], hermetic_env: dict[str, str], tmp_path: Path
) -> None:
    """The index serves other bytes than were locked: Poetry's chooser refuses the file."""
    server = make_index("jax_like")
    project = tmp_path / "tampered"
    write_project(project, jax_project(server))
    run_poetry(["lock"], project, hermetic_env)
    _tamper(server.root.root / PYPI / "pytest", tmp_path)

    result = platform_install(
        project, hermetic_env, "--installer", "uv", "--with", "test", check=False
    )

    assert result.returncode == 1
    assert "did not match any known checksums" in result.stdout + result.stderr
    assert installed(project) == {}


def test_a_tampered_cached_file_is_refused_by_uv(
    locked_project: Callable[..., Path],
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """Other bytes where Poetry keeps its downloads (a corrupted cache): uv gets the cached
    file and checks the lock's hash before it installs anything."""
    text = jax_project(index_server)
    first = locked_project(text, "first")
    platform_install(first, hermetic_env, "--with", "test")  # Poetry's installer fills its cache
    cached = next(poetry_artifacts(tmp_path, "pytest-*.whl"))
    _tamper(cached.parent, tmp_path)
    second = locked_project(text, "second")

    result = platform_install(
        second, hermetic_env, "--installer", "uv", "--with", "test", check=False
    )

    assert_refused_by_uv(result)
    assert installed(second) == {}


def test_uv_fetches_what_needs_no_credentials_itself(
    locked_project: Callable[..., Path],
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """An open index: Poetry's chooser picks each file, uv downloads it (nothing lands in
    Poetry's artifact cache), each file exactly once, and only from the index's file URLs."""
    project = locked_project(jax_project(index_server), "open")
    before = len(index_server.requests)

    platform_install(project, {**hermetic_env, **H100}, "--installer", "uv", "--with", "test")

    assert installed(project)["jax-cuda13-plugin"] == JAX_LATEST
    assert not list(poetry_artifacts(tmp_path, "*.whl"))
    files = [p for p in index_server.requests[before:] if "/files/" in p and p.endswith(".whl")]
    assert sorted(files) == sorted(set(files))
    assert {p.rsplit("/", 1)[1].split("-")[0].replace("_", "-") for p in files} >= {
        "jax-cuda13-plugin",
        "pytest",
    }


def test_a_remembered_url_serving_other_bytes_is_refused_by_uv(
    make_index: Callable[..., IndexServer], hermetic_env: dict[str, str], tmp_path: Path
) -> None:
    """A warm machine remembers the URL Poetry's chooser picked, so the index page is not
    read again; if the server now sends other bytes (a lying mirror), uv's hash check
    refuses them and nothing is installed. Poetry's chooser, asked again after the refusal,
    finds no file with the lock's hash either: uv's refusal stands."""
    server = make_index("jax_like")
    first, second = tmp_path / "first", tmp_path / "second"
    for project in (first, second):
        write_project(project, jax_project(server))
    run_poetry(["lock"], first, hermetic_env)
    shutil.copy(first / "poetry.lock", second / "poetry.lock")
    platform_install(first, hermetic_env, "--installer", "uv", "--with", "test")
    _tamper(server.root.root / PYPI / "pytest", tmp_path)
    env = {**hermetic_env, "UV_CACHE_DIR": str(tmp_path / "fresh-uv-cache")}
    before = len(server.requests)

    result = platform_install(second, env, "--installer", "uv", "--with", "test", check=False)

    assert_refused_by_uv(result)
    assert installed(second) == {}
    asked = server.requests[before:]
    first_page = next(i for i, path in enumerate(asked) if "/simple/" in path)
    assert any("/files/pytest/" in path for path in asked[:first_page])  # remembered first


def test_a_remembered_url_that_is_gone_is_chosen_again(
    make_index: Callable[..., IndexServer], hermetic_env: dict[str, str], tmp_path: Path
) -> None:
    """The index deleted the file a warm machine remembers, and uv's cache no longer holds
    it; the lock's other file is still there, so Poetry's installer succeeds. A stale choice
    must not make the install fail: uv's refusal sends every remembered package back to
    Poetry's chooser, once."""
    server = make_index()
    root = server.root.root
    (platform_wheel,) = add_release(root, PYPI, "twin", "1.0", tags=(LINUX_X86,))
    (any_wheel,) = add_release(root, PYPI, "twin", "1.0")
    text = (
        '[project]\nname = "twin-user"\nversion = "0"\nrequires-python = ">=3.10,<4.0"\n'
        'dependencies = ["twin==1.0"]\n\n[tool.poetry]\npackage-mode = false\n'
        + sources_toml(server)
    )
    projects = [tmp_path / name for name in ("first", "second", "by-poetry")]
    for project in projects:
        write_project(project, text)
    run_poetry(["lock"], projects[0], hermetic_env)
    for project in projects[1:]:
        shutil.copy(projects[0] / "poetry.lock", project / "poetry.lock")
    platform_install(projects[0], hermetic_env, "--installer", "uv")  # remembers the URL
    platform_wheel.unlink()
    env = {**hermetic_env, "UV_CACHE_DIR": str(tmp_path / "fresh-uv-cache")}

    result = platform_install(projects[1], env, "--installer", "uv", "-v", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    platform_install(projects[2], env)  # Poetry's installer: the file it picks now
    assert environment(projects[1]) == environment(projects[2])
    assert installed(projects[1]) == {"twin": "1.0"}
    assert f"/{PYPI}/files/twin/{any_wheel.name}" in server.requests
    # The new choice is remembered: the next warm machine asks the index nothing.
    before = len(server.requests)
    fourth = tmp_path / "fourth"
    write_project(fourth, text)
    shutil.copy(projects[0] / "poetry.lock", fourth / "poetry.lock")
    platform_install(fourth, hermetic_env, "--installer", "uv")
    assert [p for p in server.requests[before:] if "/simple/" in p] == []


def test_private_index_with_basic_auth_never_shows_the_password(
    make_index: Callable[..., IndexServer], hermetic_env: dict[str, str], tmp_path: Path
) -> None:
    password = "pw-7f3a9c1e-do-not-print"
    server = make_index("jax_like", auth=("alice", password))
    project = tmp_path / "private"
    write_project(project, jax_project(server))
    env = {
        **hermetic_env,
        **H100,
        "POETRY_HTTP_BASIC_LOCAL_USERNAME": "alice",
        "POETRY_HTTP_BASIC_LOCAL_PASSWORD": password,
    }
    run_poetry(["lock"], project, env)

    result = platform_install(project, env, "--installer", "uv", "--with", "test", "-vvv")

    assert installed(project)["jax-cuda13-plugin"] == JAX_LATEST
    assert "uv pip install" in result.stdout  # -vvv shows the uv command line ...
    assert password not in result.stdout + result.stderr  # ... and no password anywhere
    assert any("/files/" in p for p in server.requests)
    # A credentialed source keeps Poetry's download path: uv only gets local files.
    assert next(poetry_artifacts(tmp_path, "jax_cuda13_plugin-*.whl"), None) is not None


def test_missing_uv_is_one_error_line(
    locked_project: Callable[..., Path],
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    tmp_path: Path,
) -> None:
    project = locked_project(jax_project(index_server), "no-uv")
    # Hide the `uv` package beside Poetry and leave nothing on PATH.
    shadow = tmp_path / "shadow" / "uv"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    env = {**hermetic_env, "PYTHONPATH": str(shadow.parent), "PATH": str(empty_bin)}

    result = platform_install(project, env, "--installer", "uv", check=False)

    assert result.returncode == 1
    assert 'poetry self add "poetry-platform[uv]"' in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (project / ".venv").exists() or installed(project) == {}


AUTO_UV = (
    "Installer: uv (installer auto: uv is installed beside Poetry; --installer poetry for"
    " Poetry's own)"
)


def auto(env: dict[str, str]) -> dict[str, str]:
    """`env` without the suite's pin to Poetry's installer: the default, `auto`."""
    return {k: v for k, v in env.items() if k != "POETRY_PLATFORM_INSTALLER"}


def installers(project: Path) -> set[str]:
    """What each installed distribution's INSTALLER file names."""
    found = (project / ".venv").glob("lib*/python*/site-packages/*.dist-info/INSTALLER")
    # Poetry writes "Poetry 2.5.1", uv "uv": the installer's name is the first word.
    return {f.read_text().split()[0] for f in found if not f.parent.name.startswith("pip-")}


@pytest.mark.parametrize(
    ("layout", "host", "args", "expected"),
    [
        pytest.param("jax", H100, (), "jax-cuda13-plugin", id="jax-h100-cuda13"),
        pytest.param("torch", NO_GPU, ("--variant", "cu130"), "triton", id="torch-forced-cu130"),
        pytest.param("findlinks", NO_GPU, (), "jaxlib", id="findlinks"),
    ],
)
def test_the_default_is_uv_and_installs_exactly_what_poetry_installs(
    locked_project: Callable[..., Path],
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    layout: str,
    host: dict[str, str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    """Parity for the default: without --installer, with uv beside Poetry (the test venv has
    the `uv` package), uv installs, says so first, and the result is Poetry's."""
    text = TEMPLATES[layout](index_server)
    by_poetry = locked_project(text, "by-poetry")
    by_default = locked_project(text, "by-default")
    env = {**hermetic_env, **host}

    platform_install(by_poetry, env, "--installer", "poetry", *args)
    result = platform_install(by_default, auto(env), *args)

    assert result.stdout.splitlines()[0] == AUTO_UV
    assert installers(by_default) == {"uv"}
    assert installers(by_poetry) == {"Poetry"}
    assert expected in installed(by_default)
    assert installed(by_default) == installed(by_poetry)
    assert environment(by_default) == environment(by_poetry)


def test_the_default_without_uv_is_poetrys_installer_and_says_why(
    locked_project: Callable[..., Path],
    index_server: IndexServer,
    hermetic_env: dict[str, str],
    tmp_path: Path,
) -> None:
    project = locked_project(jax_project(index_server), "default")
    shadow = tmp_path / "shadow" / "uv"  # the `uv` package beside Poetry, hidden
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    env = {**auto(hermetic_env), "PYTHONPATH": str(shadow.parent)}

    result = platform_install(project, env)

    assert result.stdout.splitlines()[0] == (
        "Installer: poetry (installer auto: uv is not installed beside Poetry; `poetry self add"
        ' "poetry-platform[uv]"` for faster installs)'
    )
    assert installers(project) == {"Poetry"}


def test_a_ca_bundle_uv_cannot_read_keeps_the_default_on_poetrys_installer(
    locked_project: Callable[..., Path], index_server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(jax_project(index_server), "ca")
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    env = {**auto(hermetic_env), "REQUESTS_CA_BUNDLE": bundle}
    env.pop("SSL_CERT_FILE", None)  # uv's own variable: with it, uv trusts the CA too

    result = platform_install(project, env, "--dry-run")

    assert result.stdout.splitlines()[0] == (
        "Installer: poetry (installer auto: REQUESTS_CA_BUNDLE is set and uv does not read it"
        " (set SSL_CERT_FILE too for uv))"
    )
    forced = platform_install(project, env, "--installer", "uv", "--dry-run")
    assert forced.stdout.splitlines()[0] == "Installer: uv (--installer uv)"


def poetry_artifacts(tmp_path: Path, pattern: str) -> Iterator[Path]:
    """Files in Poetry's artifact cache (the `hermetic_env` state of this test)."""
    return (tmp_path / "poetry-state").glob(f"poetry-cache/artifacts/**/{pattern}")


def assert_refused_by_uv(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "uv could not install the locked packages" in output
    assert "hash" in output.lower()
    assert "Traceback" not in output


def _tamper(directory: Path, tmp_path: Path) -> None:
    """Replace every wheel in `directory` by another build under the same file name."""
    for path in directory.glob("*.whl"):
        name, version = path.name.split("-")[:2]
        other = build_wheel(tmp_path / "evil", name, version, summary="tampered")
        shutil.copyfile(other, path)
