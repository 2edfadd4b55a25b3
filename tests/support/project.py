"""Running the real Poetry (with this plugin installed) hermetically against a test index.

`poetry_env` gives Poetry its own cache, config and data directories, creates virtualenvs in
the project, turns keyring off and, by default, points the proxy variables at a dead local port
so that any request leaving 127.0.0.1 fails loudly instead of reaching a registry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import tomlkit

from tests.support.wheels import filename_name

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from tests.support.index import IndexServer

BIN_DIR = Path(sys.executable).parent
POETRY = BIN_DIR / ("poetry.exe" if os.name == "nt" else "poetry")
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: connections are refused at once
# Variables that would make Poetry, pip or uv read the developer's own setup.
_DROPPED_PREFIXES = ("POETRY_", "PIP_", "UV_", "VIRTUAL_ENV", "CONDA_", "PYTHON")
_DROPPED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"}


class PoetryFailed(AssertionError):
    """A `poetry` run that should have succeeded; the message carries its whole output."""

    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        command = " ".join(str(a) for a in result.args)
        super().__init__(
            f"`{command}` exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )


def poetry_env(
    tmp: Path,
    *,
    offline: bool = True,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a hermetic Poetry run, with its state under `tmp`.

    Poetry runs on the interpreter of the test venv and, through
    `virtualenvs.use-poetry-python`, creates project venvs with that same interpreter.
    `offline` routes every non-local request to a dead proxy. `extra` is merged last.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(_DROPPED_PREFIXES) and key.upper() not in _DROPPED
    }
    state = Path(tmp)
    env.update(
        {
            "POETRY_CACHE_DIR": str(state / "poetry-cache"),
            "POETRY_CONFIG_DIR": str(state / "poetry-config"),
            "POETRY_DATA_DIR": str(state / "poetry-data"),
            "POETRY_VIRTUALENVS_IN_PROJECT": "true",
            "POETRY_VIRTUALENVS_USE_POETRY_PYTHON": "true",
            "POETRY_NO_INTERACTION": "1",
            "POETRY_KEYRING_ENABLED": "false",
            # The tests were written against Poetry's installer, and the test venv has uv
            # (a dev dependency), which `installer = "auto"` would pick: each test names the
            # installer it means; the tests of the default drop this variable.
            "POETRY_PLATFORM_INSTALLER": "poetry",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "UV_CACHE_DIR": str(state / "uv-cache"),
            "UV_NO_CONFIG": "1",
            "UV_PYTHON_DOWNLOADS": "never",
            "NO_COLOR": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PATH": os.pathsep.join([str(BIN_DIR), env.get("PATH", "")]),
        }
    )
    if offline:
        env.update(
            {
                "HTTP_PROXY": DEAD_PROXY,
                "HTTPS_PROXY": DEAD_PROXY,
                "ALL_PROXY": DEAD_PROXY,
                "http_proxy": DEAD_PROXY,
                "https_proxy": DEAD_PROXY,
                "all_proxy": DEAD_PROXY,
                "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
            }
        )
    env.update(extra or {})
    return env


# Set by tests/conftest.py while a test without the `slow` marker runs: the fast loop
# (`scripts/test.sh --fast`, `-m "not slow"`) must never run Poetry, so such a test fails
# with this text instead of silently making the fast loop slow. Benchmarks and the demo
# leave it unset.
refuse_poetry: str | None = None


def run_poetry(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    check: bool = True,
    *,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the test venv's `poetry` (the one with this plugin) and capture its output.

    With `check`, a non-zero exit raises `PoetryFailed` showing stdout and stderr.
    """
    if refuse_poetry is not None:
        raise AssertionError(refuse_poetry)
    result = subprocess.run(
        [str(POETRY), *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise PoetryFailed(result)
    return result


def venv_python(project: Path) -> Path:
    """The interpreter of a project's in-project virtualenv."""
    if os.name == "nt":
        return project / ".venv" / "Scripts" / "python.exe"
    return project / ".venv" / "bin" / "python"


def installed(project: Path) -> dict[str, str]:
    """Normalized name -> version of every distribution in the project's venv (pip excluded)."""
    script = (
        "import importlib.metadata as m, json, re\n"
        "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
        " for d in m.distributions()}))"
    )
    output = subprocess.run(
        [str(venv_python(project)), "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, str] = json.loads(output)
    for seeded in ("pip", "setuptools", "wheel"):
        found.pop(seeded, None)
    return found


def write_project(directory: Path, pyproject_text: str) -> Path:
    """Write `pyproject.toml` into `directory` (and the root package it names) and return it.

    For a project in package mode, an empty `<name>/__init__.py` (or the `packages` entries
    under `src/`) is created when missing, so that `poetry install` can install the root.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(pyproject_text)
    document = tomlkit.parse(pyproject_text).unwrap()
    poetry_table = document.get("tool", {}).get("poetry", {})
    if poetry_table.get("package-mode", True) is False:
        return path
    name = document.get("project", {}).get("name") or poetry_table.get("name")
    packages = poetry_table.get("packages")
    if packages:
        targets = [directory / p.get("from", ".") / p["include"] for p in packages]
    elif name:
        targets = [directory / filename_name(name)]
    else:
        targets = []
    for target in targets:
        init = target / "__init__.py"
        if not init.exists() and "*" not in str(target):
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("")
    return path


def sources_toml(
    server: IndexServer | str,
    *,
    primary: str | None = "pypi",
    explicit: Sequence[str] = (),
    supplemental: Sequence[str] = (),
    find_links: Mapping[str, str] | None = None,
    primary_name: str = "local",
) -> str:
    """`[[tool.poetry.source]]` tables for indexes of a running server.

    `primary` is the index that replaces PyPI (declaring any primary source disables PyPI);
    each name in `explicit`/`supplemental` becomes a source of that name and priority pointing
    at the index of the same name; `find_links` maps a source name to the index whose single
    `links.html` page it uses (explicit priority).
    """
    base = server if isinstance(server, str) else server.url
    blocks: list[tuple[str, str, str]] = []
    if primary is not None:
        blocks.append((primary_name, f"{base}/{primary}/simple/", "primary"))
    blocks += [(name, f"{base}/{name}/simple/", "explicit") for name in explicit]
    blocks += [(name, f"{base}/{name}/simple/", "supplemental") for name in supplemental]
    blocks += [
        (name, f"{base}/{index}/links.html", "explicit")
        for name, index in (find_links or {}).items()
    ]
    return "".join(
        f'\n[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\npriority = "{priority}"\n'
        for name, url, priority in blocks
    )


def point_sources_at(
    pyproject_text: str,
    server: IndexServer | str,
    *,
    indexes: Mapping[str, str] | None = None,
    primary: str = "pypi",
    primary_name: str = "local",
) -> str:
    """Rewrite a real project's sources to the test server, keeping everything else as is.

    Each existing `[[tool.poetry.source]]` gets the URL of the index named like it (or as
    `indexes` maps it: source name -> index, where an index ending in `.html` is taken as
    `<index>/links.html`, a find-links page). When the project has no primary source, one named
    `primary_name` pointing at `primary` is appended, so PyPI is never consulted.
    """
    base = server if isinstance(server, str) else server.url
    mapping = dict(indexes or {})
    document = tomlkit.parse(pyproject_text)
    sources = document.get("tool", {}).get("poetry", {}).get("source", [])
    has_primary = False
    for source in sources:
        name = str(source["name"])
        index = mapping.get(name, name)
        if index.endswith(".html"):
            source["url"] = f"{base}/{index.removesuffix('.html')}/links.html"
        else:
            source["url"] = f"{base}/{index}/simple/"
        has_primary = has_primary or source.get("priority", "primary") == "primary"
    text = tomlkit.dumps(document)
    if not has_primary:
        text = (
            text.rstrip("\n")
            + "\n"
            + sources_toml(base, primary=primary, primary_name=primary_name)
        )
    return text


def copy_project(source: Path, destination: Path) -> Path:
    """Copy a project directory (without its venv) so a test can change it freely."""
    shutil.copytree(
        source,
        destination,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".venv", "__pycache__"),
    )
    return destination


class LockCache:
    """Locks each distinct pyproject text once and hands out copies of the locked project.

    Locking is the slow part of a real Poetry run; tests (through the `locked_project`
    fixture), benchmarks and scripts share locks this way. All locks run with `env`, each with
    its own Poetry cache: Poetry keys the release info it caches (files, hashes, dependencies)
    by the source's *name*, not its URL, and every test index is the source "local", so a
    shared cache would lock one index's project with another index's files.
    """

    def __init__(self, directory: Path, env: Mapping[str, str]) -> None:
        self.directory = directory
        self.env = dict(env)
        self._locked: dict[str, Path] = {}

    def locked(self, pyproject_text: str) -> Path:
        """The cached locked project itself: read it, never change it (see `copy`)."""
        key = hashlib.sha256(pyproject_text.encode()).hexdigest()[:16]
        project = self._locked.get(key)
        if project is None:
            project = self.directory / key
            shutil.rmtree(project, ignore_errors=True)
            write_project(project, pyproject_text)
            cache = self.directory / f"{key}.poetry-cache"
            shutil.rmtree(cache, ignore_errors=True)
            run_poetry(["lock"], project, {**self.env, "POETRY_CACHE_DIR": str(cache)})
            self._locked[key] = project
        return project

    def copy(self, pyproject_text: str, destination: Path) -> Path:
        """A private copy of the locked project at `destination` (which must not exist)."""
        shutil.copytree(
            self.locked(pyproject_text),
            destination,
            ignore=shutil.ignore_patterns(".venv", "__pycache__"),
        )
        return destination


def lock_text_packages(lock_text: str) -> list[tuple[str, str]]:
    """(name, version) of each `[[package]]` in a lock file, in file order."""
    pairs = re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', lock_text)
    return [(name, version) for name, version in pairs]
