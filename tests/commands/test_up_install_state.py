"""What a platform-up install step that failed leaves in the venv, said in its message."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import layouts
from tests.support.project import installed
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow


def test_a_failed_install_says_the_venv_differs_from_the_restored_lock(
    tmp_path: Path, make_index: Callable[..., IndexServer], hermetic_env: dict[str, str]
) -> None:
    server = make_index()
    root = server.root.root
    for version in ("24.2.0", "25.1.0"):
        layouts.add_release(root, layouts.PYPI, "attrs", version, requires_python=">=3.8")
    # an sdist whose build backend is not on the index: it locks, it cannot install
    layouts.add_release(root, layouts.PYPI, "unbuildable", "1.0", sdist=True, wheel=False)
    project = tmp_path / "fails"
    write_project(
        project,
        f"""[project]
name = "fails"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=24.2,<25", "unbuildable>=1.0"]
[tool.poetry]
package-mode = false
{sources_toml(server)}""",
    )
    run_poetry(["lock"], project, hermetic_env)
    before = (project / "pyproject.toml").read_bytes(), (project / "poetry.lock").read_bytes()

    result = run_poetry(["platform-up", "--latest"], project, hermetic_env, check=False)

    assert result.returncode == 1
    assert ((project / "pyproject.toml").read_bytes(), (project / "poetry.lock").read_bytes()) == (
        before
    )
    # attrs 25.1.0 went in before unbuildable failed
    assert installed(project)["attrs"] == "25.1.0"
    assert (
        "Installing the new lock failed (platform-install exited with 1); pyproject.toml and"
        " poetry.lock are unchanged, but the venv is not: it now differs from the restored"
        " lock (attrs is 25.1.0, the lock has 24.2.0). `poetry platform-install` brings it"
        " back to the lock." in " ".join(result.stderr.split())
    )
