"""platform-up next to poetry-plugin-up 0.9.0 (the tool it replaces), on the same projects.

Where both apply they must agree; where poetry-plugin-up is wrong on Poetry 2.x, this pins
down what it does, so docs/bumping.md's list of differences stays true.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.commands.test_up_command import PRIVATE
from tests.commands.test_up_command import server as server  # the module's crafted index
from tests.commands.test_up_command import snapshot
from tests.support.project import copy_project
from tests.support.project import lock_text_packages
from tests.support.project import run_poetry
from tests.support.project import sources_toml

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow


def poetry_style(server: IndexServer) -> str:
    """Only what poetry-plugin-up handles well: Poetry tables, carets, tildes, lower bounds."""
    return f"""[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
python = ">=3.10,<4.0"
click = "^8.1"
pytest = ">=8.3"
ruff = "^0.12.7"
dask = "~2025.5.1"

[tool.poetry.group.dev.dependencies]
requests = "^2.31"
{sources_toml(server)}"""


def test_same_bumps_as_plugin_up_where_both_apply(
    locked_project: Callable[..., Path],
    server: IndexServer,
    hermetic_env: dict[str, str],
    tmp_path: Path,
) -> None:
    ours = locked_project(poetry_style(server), "ours")
    theirs = copy_project(ours, tmp_path / "theirs")
    run_poetry(["platform-up", "--no-install"], ours, hermetic_env)
    run_poetry(["up", "--no-install"], theirs, hermetic_env)
    assert (ours / "pyproject.toml").read_text() == (theirs / "pyproject.toml").read_text()
    text = (ours / "pyproject.toml").read_text()
    assert 'click = "^8.2.1"' in text
    assert 'pytest = ">=8.4.1"' in text
    assert 'ruff = "^0.12.8"' in text
    assert 'dask = "~2025.5.1"' in text  # nothing newer inside ~2025.5.1 for either
    assert 'requests = "^2.32.3"' in text
    declared = {"click", "pytest", "ruff", "dask", "requests"}

    def versions(project: Path) -> set[tuple[str, str]]:
        packages = lock_text_packages((project / "poetry.lock").read_text())
        return {(n, v) for n, v in packages if n in declared}

    assert versions(ours) == versions(theirs)


def hard_project(server: IndexServer, *, include_group: bool) -> str:
    """What the research team's project has and poetry-plugin-up gets wrong."""
    test = '["pytest>=8.3", { include-group = "lint" }]' if include_group else '["pytest>=8.3"]'
    return f"""[project]
name = "hard"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = [
    "numpy>=1.26",
    "private-lib>=1.0",
    "click~=8.1",
    "requests (>=2.31,<3)",
]

[dependency-groups]
test = {test}
lint = ["ruff>=0.12"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
private-lib = {{ source = "{PRIVATE}" }}

[tool.poetry.group.docs.dependencies]
click = "~=8.1"

[tool.poetry.group.Cloud_Dev.dependencies]
boto3 = "^1.39"
tomli = [
    {{ version = "^2.0", python = "<3.11" }},
    {{ version = "~2.0", python = ">=3.11" }},
]
{sources_toml(server, explicit=(PRIVATE,))}"""


def test_what_plugin_up_gets_wrong_and_platform_up_does_not(
    locked_project: Callable[..., Path],
    server: IndexServer,
    hermetic_env: dict[str, str],
) -> None:
    project = locked_project(hard_project(server, include_group=False), "hard")
    theirs = run_poetry(["up", "--latest", "--dry-run"], project, hermetic_env).stdout
    ours = json.loads(
        run_poetry(["platform-up", "--latest", "--dry-run", "--json"], project, hermetic_env).stdout
    )
    new = {(c["name"], c["group"], c["old"]): c["new"] for c in ours["changes"]}

    # Python range: 2.3.2 requires Python 3.11, the project supports 3.10
    assert '"numpy (>=2.3.2)"' in theirs
    assert new[("numpy", "main", ">=1.26")] == ">=2.2.6"
    # the private source named in [tool.poetry.dependencies]: theirs asks the public index
    assert '"private-lib (>=9.0.0)"' in theirs
    assert new[("private-lib", "main", ">=1.0")] == ">=1.4"
    # ~= in a Poetry table narrowed to a one-minor tilde; in a PEP 508 string, made a range
    assert 'click = "~8.2.1"' in theirs
    assert new[("click", "docs", "~=8.1")] == "~=8.2,>=8.2.1"
    assert '"click (>=8.2.1,<9.0.0)"' in theirs
    assert new[("click", "main", "~=8.1")] == "~=8.2,>=8.2.1"
    # ranges become carets, and every PEP 508 string is re-rendered
    assert '"requests (>=2.32.3,<3.0.0)"' in theirs
    assert new[("requests", "main", ">=2.31,<3")] == ">=2.32.3,<3"
    assert '"pytest (>=8.4.1)"' in theirs
    # a group key that is not normalized (Cloud_Dev) and a list split by Python: untouched
    assert 'boto3 = "^1.39"' in theirs
    assert '{ version = "^2.0", python = "<3.11" }' in theirs
    assert new[("boto3", "Cloud_Dev", "^1.39")] == "^1.40"
    assert new[("tomli", "Cloud_Dev", "^2.0")] == "^2.2.1"
    assert new[("tomli", "Cloud_Dev", "~2.0")] == "~2.2.1"
    # its dry run prints the whole file; ours a plan (JSON here)
    assert theirs.lstrip().startswith("[project]")


def test_plugin_up_crashes_on_include_group(
    locked_project: Callable[..., Path],
    server: IndexServer,
    hermetic_env: dict[str, str],
) -> None:
    project = locked_project(hard_project(server, include_group=True), "hard-include")
    theirs = run_poetry(["up", "--dry-run"], project, hermetic_env, check=False)
    assert theirs.returncode != 0
    ours = run_poetry(["platform-up", "--dry-run", "--only", "test"], project, hermetic_env)
    assert "pytest" in ours.stdout
    assert "ruff" in ours.stdout  # the included group is followed


def test_a_failed_install_is_a_failure_and_restores_the_files(
    locked_project: Callable[..., Path],
    server: IndexServer,
    hermetic_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """`unbuildable` has only an sdist that cannot be built offline: the install fails."""
    text = f"""[project]
name = "fails"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=24.2", "unbuildable>=1.0"]
[tool.poetry]
package-mode = false
{sources_toml(server)}"""
    project = locked_project(text, "fails")
    theirs = copy_project(project, tmp_path / "theirs")
    before = snapshot(project)

    ours = run_poetry(["platform-up"], project, hermetic_env, check=False)
    assert ours.returncode != 0
    assert snapshot(project) == before
    assert "Installing the new lock failed" in ours.stderr

    result = run_poetry(["up"], theirs, hermetic_env, check=False)
    assert result.returncode == 0  # poetry-plugin-up ignores the failed `poetry update`
    assert '"attrs (>=25.1.0)"' in (theirs / "pyproject.toml").read_text()  # and kept
