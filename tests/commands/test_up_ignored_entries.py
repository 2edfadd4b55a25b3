"""platform-up shows only what Poetry locks: [tool.poetry] entries that a [project] or
[dependency-groups] list makes Poetry ignore are said to be ignored, never planned."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import layouts
from tests.support.project import lock_text_packages
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.project import write_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow


def test_dry_run_plans_only_entries_poetry_locks(
    tmp_path: Path, make_index: Callable[..., IndexServer], hermetic_env: dict[str, str]
) -> None:
    server = make_index()
    for name in ("attrs", "ghost"):
        for version in ("1.0.0", "1.1.0"):
            layouts.add_release(server.root.root, layouts.PYPI, name, version)
    project = tmp_path / "project"
    write_project(
        project,
        f"""[project]
name = "mixed"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=1.0"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
ghost = "^1.0"
{sources_toml(server)}""",
    )
    run_poetry(["lock"], project, hermetic_env)
    assert [n for n, _ in lock_text_packages((project / "poetry.lock").read_text())] == ["attrs"]

    out = run_poetry(["platform-up", "--dry-run"], project, hermetic_env).stdout

    assert "attrs" in out
    assert "1.1.0" in out.split("ghost")[0]  # attrs moves
    ghost = [line.strip() for line in out.splitlines() if "ghost" in line]
    assert ghost == [
        "- ghost (main) ^1.0: not locked by Poetry: [project] dependencies lists this group's"
        " dependencies, and [tool.poetry] entries only add details to those"
    ]
