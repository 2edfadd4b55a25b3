"""`platform-check --fix` and the printed fixes, on the local index with real `poetry lock`:
the old jax floor (`layouts_check.jax_split`) is fixed by the split by Python."""

from __future__ import annotations

import json
import re
import shlex
from typing import TYPE_CHECKING
from typing import Any

import pytest

from tests.support import layouts_check
from tests.support.index import IndexServer
from tests.support.layouts_check import NEWER_PYTHON
from tests.support.layouts_check import SPLIT_NEW
from tests.support.layouts_check import THIS_PYTHON
from tests.support.project import copy_project
from tests.support.project import poetry_env
from tests.support.project import run_poetry
from tests.support.project import write_project
from tests.support.templates import split_project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

TARGETS = f"""
[[tool.poetry-platform.target]]
name = "gpu13"
sys_platform = "linux"
platform_machine = "x86_64"
python = "{NEWER_PYTHON}"
glibc = "2.28"
variant = "cuda13"
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("fix-index")
    layouts_check.jax_split(root)
    with IndexServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return poetry_env(tmp_path_factory.mktemp("fix-poetry-state"))


@pytest.fixture(scope="module")
def old_floor(
    index: IndexServer, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    project = tmp_path_factory.mktemp("fix-old-floor")
    write_project(project, split_project(index) + TARGETS)
    run_poetry(["lock"], project, env)
    return project


def files(project: Path) -> tuple[bytes, bytes]:
    return (project / "pyproject.toml").read_bytes(), (project / "poetry.lock").read_bytes()


def test_fix_applies_the_split_and_every_target_passes(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(old_floor, tmp_path / "p")
    before = run_poetry(["platform-check"], project, env, check=False)
    assert before.returncode == 1
    result = run_poetry(["platform-check", "--fix", "--json"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"]
    applied = report["fix"]["applied"]
    assert applied["kind"] == "split-python"
    assert applied["python_from"] == NEWER_PYTHON
    text = (project / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10,<4.0"' in text  # never narrowed by --fix
    assert f"jax[cuda13]>={SPLIT_NEW} ; sys_platform == 'linux' and python_version >= " in text
    assert f'version = "{SPLIT_NEW}"' in (project / "poetry.lock").read_text()
    run_poetry(["check", "--lock"], project, env)


def test_dry_run_shows_the_diff_and_writes_nothing(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(old_floor, tmp_path / "p")
    was = files(project)
    result = run_poetry(["platform-check", "--fix", "--dry-run"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would apply (--dry-run, nothing written): split jax by Python" in result.stdout
    assert "+++ b/pyproject.toml" in result.stdout
    assert "+++ b/poetry.lock" in result.stdout
    assert files(project) == was


def test_no_fix_without_the_index_leaves_the_files_byte_identical(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Offline, no release with the extra is known: no fix has exact edits."""
    project = copy_project(old_floor, tmp_path / "p")
    was = files(project)
    result = run_poetry(["platform-check", "--fix", "--offline"], project, env, check=False)
    assert result.returncode == 1
    assert "nothing was written" in result.stderr
    assert "gpu13" in result.stdout and "FAILED" in result.stdout
    assert files(project) == was


def follow(project: Path, env: dict[str, str], number: int) -> str:
    """Follow fix `number` as platform-check printed it: each edit line into pyproject.toml
    (replace the quoted entry, or add to the list), then its command. The new text."""
    printed = run_poetry(["platform-check"], project, env, check=False).stdout
    block = printed.split(f"  {number}. ")[1].split(f"  {number + 1}. ")[0]
    text = (project / "pyproject.toml").read_text()
    for line in block.splitlines():
        line = line.strip()
        replace = re.match(r"^[\w.-]+: replace (\".*?\") with (.*)$", line)
        add = re.match(r"^dependencies: add (.*)$", line)
        if replace:
            old, new = replace.groups()
            assert old in text, old
            text = text.replace(old, new, 1)
        elif add:
            text = text.replace("dependencies = [", f"dependencies = [{add.group(1)}, ", 1)
    (project / "pyproject.toml").write_text(text)
    command = next(
        line.split("then run: ")[1] for line in block.splitlines() if "then run: " in line
    )
    assert command.startswith("poetry update --lock ")
    run_poetry(shlex.split(command)[1:], project, env)
    return text


def test_the_printed_split_applied_literally_with_its_command_passes(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Fix 1 (the split by Python), followed as printed: the check passes and the project
    keeps its older Pythons."""
    project = copy_project(old_floor, tmp_path / "p")
    text = follow(project, env, 1)
    assert 'requires-python = ">=3.10,<4.0"' in text
    result = run_poetry(["platform-check"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Python {NEWER_PYTHON}" in result.stdout
    assert THIS_PYTHON not in text  # the split is at the newer Python


def test_the_printed_narrowing_applied_literally_with_its_command_passes(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Fix 2 (narrow requires-python with the raised floor), followed as printed: Poetry 2
    would keep jax 0.6.2 on a plain `poetry lock`; the printed command moves it."""
    project = copy_project(old_floor, tmp_path / "p")
    text = follow(project, env, 2)
    assert f'requires-python = ">={NEWER_PYTHON},<4.0"' in text
    assert f'version = "{SPLIT_NEW}"' in (project / "poetry.lock").read_text()
    result = run_poetry(["platform-check"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_edit_saved_during_the_fix_is_kept(
    old_floor: Path, tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user saves pyproject.toml while --fix re-locks: nothing is written over it."""
    from cleo.io.null_io import NullIO
    from poetry.factory import Factory

    from poetry_platform.atomic import ChangedOnDisk
    from poetry_platform.check.first_release import IndexLookup
    from poetry_platform.check.fix import fix
    from poetry_platform.check.targets import check_plans
    from poetry_platform.check.targets import selected_plans
    from poetry_platform.context import project_config
    from poetry_platform.lockset.lock import read_lock

    project = copy_project(old_floor, tmp_path / "p")
    for key in ("POETRY_CACHE_DIR", "POETRY_CONFIG_DIR", "POETRY_DATA_DIR"):
        monkeypatch.setenv(key, env[key])
    pyproject = project / "pyproject.toml"

    def run_check(poetry: Any) -> Any:
        lock = read_lock(poetry)
        work = selected_plans(poetry, project_config(poetry), [], python=None)
        return lock, check_plans(poetry, work, lock, IndexLookup(poetry.pool))

    poetry = Factory().create_poetry(project, io=NullIO())
    lock_before = (project / "poetry.lock").read_bytes()
    _, results = run_check(poetry)

    def edit_then_check(draft: Any) -> Any:
        pyproject.write_text(pyproject.read_text() + "\n# the user's edit\n")
        return run_check(draft)

    with pytest.raises(ChangedOnDisk):
        fix(poetry, results, edit_then_check, strict=False, dry_run=False, io=NullIO())
    assert pyproject.read_text().endswith("# the user's edit\n")
    assert (project / "poetry.lock").read_bytes() == lock_before
