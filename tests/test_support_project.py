"""Helpers for hermetic Poetry runs and the standalone index command."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import tomlkit

from tests.support.layouts import JAX_VERSIONS
from tests.support.layouts import PYPI
from tests.support.layouts import add_release
from tests.support.project import DEAD_PROXY
from tests.support.project import LockCache
from tests.support.project import poetry_env
from tests.support.project import point_sources_at
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.index import IndexServer

REPO = Path(__file__).resolve().parent.parent

TORCH_STYLE = """\
[project]
name = "t"
version = "0"
# keep me

[[tool.poetry.source]]
name = "torch-cpu"
url = "https://example.invalid/whl/cpu"
priority = "explicit"

[[tool.poetry.source]]
name = "old-jax"
url = "https://example.invalid/jax_releases.html"
priority = "explicit"
"""


def test_poetry_env_isolates_state_and_blocks_remote_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POETRY_REPOSITORIES_X_URL", "http://leak.invalid/")
    monkeypatch.setenv("POETRY_PLATFORM_CUDA", "12.4")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere")

    env = poetry_env(tmp_path, extra={"POETRY_PLATFORM_CUDA": ""})

    assert not any(key.startswith("POETRY_REPOSITORIES") for key in env)
    assert "VIRTUAL_ENV" not in env
    assert env["POETRY_PLATFORM_CUDA"] == ""
    assert env["POETRY_CACHE_DIR"] == str(tmp_path / "poetry-cache")
    assert env["POETRY_VIRTUALENVS_IN_PROJECT"] == "true"
    assert env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.null.Keyring"
    assert env["HTTPS_PROXY"] == DEAD_PROXY
    assert "127.0.0.1" in env["NO_PROXY"]
    assert "HTTPS_PROXY" not in poetry_env(tmp_path, offline=False)


def test_sources_toml_names_priorities_and_urls() -> None:
    text = sources_toml(
        "http://h:1", explicit=["torch-cpu"], find_links={"jax-releases": "jax-releases"}
    )

    sources = tomlkit.parse(text).unwrap()["tool"]["poetry"]["source"]
    assert sources == [
        {"name": "local", "url": "http://h:1/pypi/simple/", "priority": "primary"},
        {"name": "torch-cpu", "url": "http://h:1/torch-cpu/simple/", "priority": "explicit"},
        {
            "name": "jax-releases",
            "url": "http://h:1/jax-releases/links.html",
            "priority": "explicit",
        },
    ]


def test_point_sources_at_rewrites_urls_and_adds_a_primary() -> None:
    text = point_sources_at(TORCH_STYLE, "http://h:1", indexes={"old-jax": "jax-releases.html"})

    document = tomlkit.parse(text).unwrap()
    assert "# keep me" in text
    assert [
        (s["name"], s["url"], s.get("priority")) for s in document["tool"]["poetry"]["source"]
    ] == [
        ("torch-cpu", "http://h:1/torch-cpu/simple/", "explicit"),
        ("old-jax", "http://h:1/jax-releases/links.html", "explicit"),
        ("local", "http://h:1/pypi/simple/", "primary"),
    ]


def test_write_project_creates_the_root_package(tmp_path: Path) -> None:
    write_project(tmp_path / "a", '[project]\nname = "My-Lib"\nversion = "0"\n')
    write_project(
        tmp_path / "b",
        '[project]\nname = "x"\nversion = "0"\n'
        '[tool.poetry]\npackages = [{ include = "pkg", from = "src" }]\n',
    )
    write_project(tmp_path / "c", '[project]\nname = "c"\n[tool.poetry]\npackage-mode = false\n')

    assert (tmp_path / "a" / "my_lib" / "__init__.py").is_file()
    assert (tmp_path / "b" / "src" / "pkg" / "__init__.py").is_file()
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["pyproject.toml"]


def test_standalone_server_builds_a_layout_and_prints_its_url(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.index", str(tmp_path / "root")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        request = urllib.request.Request(
            f"{url}/pypi/simple/jax/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            versions = json.load(response)["versions"]
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert versions == list(JAX_VERSIONS)


def test_a_test_without_the_slow_marker_cannot_run_poetry(tmp_path: Path) -> None:
    """The fast loop (`-m "not slow"`) stays fast: Poetry refuses to start in such a test."""
    with pytest.raises(AssertionError, match=r"runs Poetry .*mark it @pytest.mark.slow"):
        run_poetry(["--version"], tmp_path, poetry_env(tmp_path))


TWIN_PROJECT = """\
[project]
name = "twin-user"
version = "0"
requires-python = ">=3.10,<4.0"
dependencies = ["twin==1.0"]

[tool.poetry]
package-mode = false
"""


@pytest.mark.slow
def test_a_lock_cache_never_locks_against_another_indexs_files(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    """Two indexes serve other bytes under one name and version (as the up tests' crafted
    index and the session index do for pytest 8.4.1), both as the source "local". Poetry
    caches release info (files, hashes, dependencies) per source *name*, so locks sharing one
    Poetry cache locked the second index's project with the first one's hashes, and Poetry's
    installer then refused the download."""
    cache = LockCache(tmp_path / "projects", poetry_env(tmp_path / "state"))
    for requires_python in (">=3.8", ">=3.9"):  # other METADATA, other wheel bytes
        server = make_index()
        (wheel,) = add_release(
            server.root.root, PYPI, "twin", "1.0", requires_python=requires_python
        )
        text = TWIN_PROJECT + sources_toml(server)

        lock = tomlkit.parse((cache.locked(text) / "poetry.lock").read_text())

        served = f"sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"
        assert [f["hash"] for f in lock["package"][0]["files"]] == [served]
