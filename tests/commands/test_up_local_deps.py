"""`poetry platform-up` on a project with path, directory and git dependencies.

The re-lock runs on a draft outside the project; the lock it writes must still record
every local dependency exactly as `poetry lock` in the project does (paths relative to
the project, `develop` kept), or the next install looks for files that do not exist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.support import layouts
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project
from tests.support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow

LOCAL_NAMES = ("checkit", "abscheck", "localdir", "devdir", "gitpkg")


def directory_package(path: Path, name: str, version: str) -> Path:
    """A project directory Poetry reads without building (static metadata, poetry-core)."""
    write_project(
        path,
        f"""[project]
name = "{name}"
version = "{version}"
requires-python = ">=3.8"

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
""",
    )
    return path


def git_repository(path: Path, name: str) -> Path:
    """A local git repository holding one directory package, committed."""
    directory_package(path, name, "0.3.0")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True)
    return path


def package_blocks(lock_text: str) -> dict[str, str]:
    """Each `[[package]]` block of a lock, by name (the local ones are unique)."""
    blocks = re.split(r"\n(?=\[\[package\]\]\n)", lock_text)
    out = {}
    for block in blocks:
        m = re.match(r'\[\[package\]\]\nname = "([^"]+)"', block)
        if m:
            out[m.group(1)] = block.split("\n[metadata]")[0].rstrip("\n")
    return out


@pytest.fixture
def local_deps_project(
    tmp_path: Path, make_index: Callable[..., IndexServer], hermetic_env: dict[str, str]
) -> Path:
    server = make_index()
    for version in ("1.0.0", "1.1.0"):
        layouts.add_release(
            server.root.root, layouts.PYPI, "attrs", version, requires_python=">=3.8"
        )
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "checkit", "2.0.0")
    absolute = build_wheel(tmp_path / "abs-wheels", "abscheck", "1.0.0")
    directory_package(tmp_path / "localdir", "localdir", "0.1.0")
    directory_package(tmp_path / "devdir", "devdir", "0.2.0")
    repo = git_repository(tmp_path / "gitrepo", "gitpkg")
    project = tmp_path / "work" / "project"
    write_project(
        project,
        f"""[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
python = ">=3.10,<4.0"
attrs = "^1.0"
checkit = {{ path = "../../wheels/checkit-2.0.0-py3-none-any.whl" }}
abscheck = {{ path = "{absolute}" }}
localdir = {{ path = "../../localdir" }}
devdir = {{ path = "../../devdir", develop = true }}
gitpkg = {{ git = "{repo.as_uri()}" }}
{sources_toml(server)}""",
    )
    run_poetry(["lock"], project, hermetic_env)
    return project


def test_path_directory_and_git_dependencies_survive_the_relock(
    local_deps_project: Path, hermetic_env: dict[str, str]
) -> None:
    project = local_deps_project
    before = package_blocks((project / "poetry.lock").read_text())
    assert set(LOCAL_NAMES) <= set(before)
    assert 'url = "../../wheels/checkit-2.0.0-py3-none-any.whl"' in before["checkit"]

    run_poetry(["platform-up", "--no-install"], project, hermetic_env)

    written = (project / "poetry.lock").read_bytes()
    after = package_blocks(written.decode())
    assert 'version = "1.1.0"' in after["attrs"]  # the bump went in
    assert {n: after[n] for n in LOCAL_NAMES} == {n: before[n] for n in LOCAL_NAMES}
    # what `poetry lock` in the project writes for the bumped pyproject: the same bytes
    shutil.copy(project / "poetry.lock", project.parent / "platform-up.lock")
    run_poetry(["lock", "--regenerate"], project, hermetic_env)
    assert (project / "poetry.lock").read_bytes() == written
    run_poetry(["check", "--lock"], project, hermetic_env)
