"""`poetry self add poetry-platform` works the way users install it, and harms nothing.

Users install Poetry with pipx (its own virtualenv) and the plugin with `poetry self add`. So a
released Poetry, the version this project pins, is installed into a fresh virtualenv, the wheel
`poetry build` makes is added to it, and the commands must appear, run, leave every other Poetry
command working, and disappear again on `poetry self remove`.

Poetry's self project (`$POETRY_CONFIG_DIR/pyproject.toml`) is pointed at a local index holding
Poetry's own wheels, fetched once with pip into a cache reused across runs (for this platform
and, since Poetry locks for every platform, for the other two as well), so after the first run
the test needs no network.
"""

from __future__ import annotations

import configparser
import contextlib
import email.parser
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import tomlkit
from packaging.requirements import Requirement

from poetry_platform.plugin import COMMANDS
from tests.support.index import IndexServer
from tests.support.project import poetry_env
from tests.support.wheels import normalize_name

if TYPE_CHECKING:
    from collections.abc import Iterator
    from collections.abc import Mapping
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = {"platform": "poetry_platform.plugin:PlatformPlugin"}
# Poetry locks for every platform, so its self project needs the packages its dependencies
# pull on other systems too (keyring's Windows backend, xattr on macOS, httpx2's
# emscripten transport). pip judges markers
# for the running interpreter only, so those are found by walking the metadata with each
# system's marker values and fetched for that system's wheel tags.
SYSTEMS = {
    "linux": (
        {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": "x86_64",
        },
        ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64"),
    ),
    "darwin": (
        {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "os_name": "posix",
            "platform_machine": "arm64",
        },
        ("macosx_11_0_arm64", "macosx_10_12_x86_64"),
    ),
    "win32": (
        {
            "sys_platform": "win32",
            "platform_system": "Windows",
            "os_name": "nt",
            "platform_machine": "AMD64",
        },
        ("win_amd64",),
    ),
    # httpx2 (through pbs-installer) pulls httpx2-jsfetch on emscripten for Python >= 3.12.
    "emscripten": (
        {
            "sys_platform": "emscripten",
            "platform_system": "Emscripten",
            "os_name": "posix",
            "platform_machine": "wasm32",
        },
        ("pyodide_2024_0_wasm32",),
    ),
}


def _locked_poetry_version() -> str:
    lock = tomlkit.parse((ROOT / "poetry.lock").read_text(encoding="utf-8")).unwrap()
    versions = {p["version"] for p in lock["package"] if p["name"] == "poetry"}
    assert len(versions) == 1, versions
    return str(versions.pop())


def poetry_under_test() -> str:
    """The released Poetry these tests install: `POETRY_PLATFORM_TEST_POETRY` (set by
    `scripts/test.sh --poetry VERSION`), else the one poetry.lock pins."""
    return os.environ.get("POETRY_PLATFORM_TEST_POETRY") or _locked_poetry_version()


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "poetry-platform-tests"


def _pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )


def _requirements(wheelhouse: Path) -> dict[str, list[Requirement]]:
    """Normalized name -> Requires-Dist of every wheel of that name in `wheelhouse`."""
    found: dict[str, list[Requirement]] = {}
    for wheel in wheelhouse.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            (member,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = email.parser.BytesParser().parsebytes(archive.read(member))
        requires = found.setdefault(normalize_name(wheel.name.split("-")[0]), [])
        requires.extend(Requirement(r) for r in metadata.get_all("Requires-Dist") or [])
    return found


def _missing(wheelhouse: Path, root: str, system: Mapping[str, str]) -> set[str]:
    """Requirements reachable from `root` on `system` that no wheel in `wheelhouse` provides."""
    requires = _requirements(wheelhouse)
    missing: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(root)]
    while todo:
        requirement = todo.pop()
        name = normalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        if name not in requires:
            missing.add(f"{requirement.name}{requirement.specifier}")
            continue
        for dependency in requires[name]:
            marker = dependency.marker
            extras = requirement.extras or {""}
            if marker is None or any(marker.evaluate({**system, "extra": e}) for e in extras):
                todo.append(dependency)
    return missing


def poetry_wheelhouse(version: str) -> Path:
    """Poetry `version` and its dependencies as wheels, downloaded once per Python and OS."""
    # The systems walked are part of the key: a wheelhouse made before one was added lacks it.
    systems = hashlib.sha256(repr(sorted(SYSTEMS.items())).encode()).hexdigest()[:8]
    tag = f"poetry-{version}-py{sys.version_info[0]}{sys.version_info[1]}-{sys.platform}-{systems}"
    target = _cache_dir() / "wheelhouse" / tag
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Download beside the target and rename at the end: concurrent sessions never see half.
    staging = Path(tempfile.mkdtemp(prefix=f".{tag}-", dir=target.parent))
    base = ["download", "--quiet", "--only-binary=:all:", "--dest", str(staging)]
    runs = [[*base, f"poetry=={version}"]]  # this system, with dependencies
    while runs:
        for args in runs:
            result = _pip(args)
            if result.returncode != 0:
                shutil.rmtree(staging, ignore_errors=True)
                pytest.skip(
                    f"pip could not fetch Poetry {version}'s wheels: {result.stderr[-500:]}"
                )
        runs = []
        for markers, platforms in SYSTEMS.values():
            missing = _missing(staging, f"poetry=={version}", markers)
            if missing:
                flags = [f"--platform={p}" for p in platforms]
                runs.append([*base, "--no-deps", *flags, *sorted(missing)])
    (staging / ".complete").touch()
    try:
        staging.rename(target)
    except OSError:  # another session finished first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def index_from_wheels(wheelhouse: Path, root: Path, index: str = "pypi") -> Path:
    """Lay wheels out as `<root>/<index>/<project>/<file>` for IndexServer, by symlink."""
    for wheel in wheelhouse.glob("*.whl"):
        project = root / index / normalize_name(wheel.name.split("-")[0])
        project.mkdir(parents=True, exist_ok=True)
        (project / wheel.name).symlink_to(wheel)
    return root


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    poetry = Path(sys.executable).parent / "poetry"
    subprocess.run(
        [str(poetry), "build", "--output", str(out)],
        cwd=ROOT,
        env=poetry_env(tmp_path_factory.mktemp("build-state")),
        capture_output=True,
        check=True,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.mark.slow
def test_wheel_declares_the_plugin_and_ships_every_command(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
        text = wheel.read(entry_points).decode()
    parser = configparser.ConfigParser()
    parser.read_string(text)
    assert dict(parser["poetry.application.plugin"]) == ENTRY_POINTS
    assert "poetry_platform/plugin.py" in names
    assert "poetry_platform/py.typed" in names
    for module, _ in COMMANDS.values():
        assert f"poetry_platform/commands/{module}.py" in names
    assert not [n for n in names if n.startswith("tests/")]


@pytest.mark.slow
def test_sdist_declares_the_plugin(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = sdist.getnames()
        (pyproject,) = (n for n in names if n.count("/") == 1 and n.endswith("/pyproject.toml"))
        member = sdist.extractfile(pyproject)
        assert member is not None
        data = tomlkit.parse(member.read().decode()).unwrap()
    assert data["project"]["entry-points"]["poetry.application.plugin"] == ENTRY_POINTS
    assert any(n.endswith("src/poetry_platform/plugin.py") for n in names)


class SelfPoetry:
    """A released Poetry in its own virtualenv, as pipx installs it, with hermetic state."""

    def __init__(self, venv: Path, env: Mapping[str, str]) -> None:
        self.venv = venv
        self.env = dict(env)

    def __call__(
        self, *args: str, cwd: Path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.venv / "bin" / "poetry"), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"poetry {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result


def _tiny_project(directory: Path, index_url: str) -> Path:
    directory.mkdir()
    (directory / "pyproject.toml").write_text(
        f"""\
[project]
name = "tiny"
version = "0.1.0"
requires-python = ">={sys.version_info[0]}.{sys.version_info[1]}"
dependencies = ["tomlkit>=0.11"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "local"
url = "{index_url}"
priority = "primary"
""",
        encoding="utf-8",
    )
    return directory


def pipx_poetry(tmp_path: Path, version: str | None = None) -> tuple[Path, Path]:
    """A released Poetry (default: `poetry_under_test()`) in a fresh venv, pipx's way;
    and its wheelhouse."""
    version = version or poetry_under_test()
    wheelhouse = poetry_wheelhouse(version)
    # pipx's way: a venv without pip of its own, filled from outside.
    venv = tmp_path / "pipx-poetry"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    install = ["--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-index"]
    result = _pip([*install, "--find-links", str(wheelhouse), f"poetry=={version}"])
    assert result.returncode == 0, result.stderr
    return venv, wheelhouse


def self_project(env: Mapping[str, str], server: IndexServer, index: str = "pypi") -> None:
    """Point Poetry's self project at the local index holding Poetry's own wheels."""
    config = Path(env["POETRY_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "pyproject.toml").write_text(
        f"""\
[[tool.poetry.source]]
name = "local"
url = "{server.simple_url(index)}"
priority = "primary"
""",
        encoding="utf-8",
    )


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
def test_self_add_then_remove(dists: dict[str, Path], tmp_path: Path) -> None:
    venv, wheelhouse = pipx_poetry(tmp_path)

    root = index_from_wheels(wheelhouse, tmp_path / "index")
    with IndexServer(root) as server:
        env = poetry_env(tmp_path / "state")
        self_project(env, server)
        poetry = SelfPoetry(venv, env)
        version = poetry_under_test()
        assert poetry("--version", cwd=tmp_path).stdout.split()[-1].rstrip(")") == version

        poetry("self", "add", str(dists["wheel"]), cwd=tmp_path)
        listed = poetry("list", cwd=tmp_path).stdout
        for name in COMMANDS:
            assert name in listed

        # A command runs on a real example project (no GPU: the CPU variant).
        example = shutil.copytree(ROOT / "examples" / "jax", tmp_path / "jax")
        poetry.env["POETRY_PLATFORM_CUDA"] = ""
        shown = json.loads(poetry("platform-show", "--json", cwd=example).stdout)
        assert shown["chosen"] == "cpu"
        assert {v["name"] for v in shown["variants"]} == {"cuda13", "cuda12", "cpu"}

        # Poetry's own commands still work with the plugin loaded.
        tiny = _tiny_project(tmp_path / "tiny", server.simple_url("pypi"))
        poetry("check", cwd=tiny)
        poetry("lock", cwd=tiny)
        poetry("install", cwd=tiny)
        assert "tomlkit" in poetry("show", cwd=tiny).stdout
        poetry("check", "--lock", cwd=tiny)

        poetry("self", "remove", "poetry-platform", cwd=tmp_path)
    listed = poetry("list", cwd=tmp_path).stdout
    for name in COMMANDS:
        assert name not in listed
    gone = poetry("platform-show", cwd=example, check=False)
    assert gone.returncode != 0
    assert "platform-show" in gone.stderr + gone.stdout


def checkout_copy(directory: Path) -> Path:
    """The tracked files of this checkout (as a fresh clone has them), in `directory`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return directory


@contextlib.contextmanager
def _git_over_http(repository: Path, directory: Path) -> Iterator[str]:
    """`repository` as a bare clone served over git's dumb HTTP protocol; yields its URL."""
    bare = directory / "poetry-platform.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repository), str(bare)], check=True)
    subprocess.run(["git", "update-server-info"], cwd=bare, check=True)
    handler = functools.partial(_QuietFiles, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{bare.name}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_self_add_from_a_checkout_and_from_git(tmp_path: Path) -> None:
    """The README's way until a release: `poetry self add "$PWD/poetry-platform"` from a
    clone, and `poetry self add "git+<URL>#main"` (here the same files as a git repository
    served on 127.0.0.1)."""
    venv, wheelhouse = pipx_poetry(tmp_path)
    checkout = checkout_copy(tmp_path / "poetry-platform")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run([*git, *args], cwd=checkout, check=True, capture_output=True)
    served = tmp_path / "served"
    served.mkdir()

    root = index_from_wheels(wheelhouse, tmp_path / "index")
    # Poetry's wheels (poetry-core among them, for the build) and the git repository.
    with IndexServer(root) as server, _git_over_http(checkout, served) as git_url:
        env = poetry_env(tmp_path / "state")
        self_project(env, server)
        poetry = SelfPoetry(venv, env)
        example = shutil.copytree(ROOT / "examples" / "jax", tmp_path / "jax")
        for source in (str(checkout), f"git+{git_url}#main"):
            poetry("self", "add", source, cwd=tmp_path)
            listed = poetry("list", cwd=tmp_path).stdout
            assert all(name in listed for name in COMMANDS), source
            shown = poetry("platform-show", "--json", cwd=example).stdout
            assert {v["name"] for v in json.loads(shown)["variants"]} >= {"cpu"}
            poetry("self", "remove", "poetry-platform", cwd=tmp_path)
            assert "platform-show" not in poetry("list", cwd=tmp_path).stdout


def uv_wheel() -> Path:
    """The uv wheel poetry.lock pins, for this system, downloaded once (uv has no
    dependencies; the self project's lock reads its metadata from the index page)."""
    lock = tomlkit.parse((ROOT / "poetry.lock").read_text(encoding="utf-8")).unwrap()
    (version,) = {p["version"] for p in lock["package"] if p["name"] == "uv"}
    target = _cache_dir() / "wheelhouse" / f"uv-{version}-{sys.platform}"
    found = sorted(target.glob("uv-*.whl"))
    if found:
        return found[0]
    staging = Path(tempfile.mkdtemp(prefix=f".uv-{version}-", dir=_cache_dir()))
    args = ["download", "--quiet", "--only-binary=:all:", "--no-deps", "--dest", str(staging)]
    result = _pip([*args, f"uv=={version}"])
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip(f"pip could not fetch uv {version}'s wheel: {result.stderr[-500:]}")
    try:
        staging.rename(target)
    except OSError:  # another session finished first
        shutil.rmtree(staging, ignore_errors=True)
    (wheel,) = target.glob("uv-*.whl")
    return wheel


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
def test_self_add_with_the_uv_extra_installs_with_uv(
    dists: dict[str, Path], tmp_path: Path
) -> None:
    """The README's `poetry self add "poetry-platform[uv]"`, by name from an index: uv lands
    beside Poetry, and platform-install (installer `auto`) then installs with it."""
    venv, wheelhouse = pipx_poetry(tmp_path)
    root = index_from_wheels(wheelhouse, tmp_path / "index")
    for wheel in (dists["wheel"], uv_wheel()):
        project = root / "pypi" / normalize_name(wheel.name.split("-")[0])
        project.mkdir(parents=True, exist_ok=True)
        (project / wheel.name).symlink_to(wheel)
    with IndexServer(root) as server:
        env = poetry_env(tmp_path / "state")
        env.pop("POETRY_PLATFORM_INSTALLER", None)
        self_project(env, server)
        poetry = SelfPoetry(venv, env)
        poetry("self", "add", "poetry-platform[uv]", cwd=tmp_path)
        assert (venv / "bin" / "uv").exists()

        tiny = _tiny_project(tmp_path / "tiny", server.simple_url("pypi"))
        poetry("lock", cwd=tiny)
        run = poetry("platform-install", cwd=tiny)
        assert installer_line(run) == (
            "Installer: uv (installer auto: uv is installed beside Poetry;"
            " --installer poetry for Poetry's own)"
        )
        assert "tomlkit" in poetry("show", cwd=tiny).stdout
        poetry("check", "--lock", cwd=tiny)
        forced = poetry("platform-install", "--installer", "poetry", cwd=tiny)
        assert installer_line(forced) == "Installer: poetry (--installer poetry)"


def installer_line(run: subprocess.CompletedProcess[str]) -> str:
    lines = (run.stdout + run.stderr).splitlines()
    return next(line for line in lines if line.startswith("Installer:"))
