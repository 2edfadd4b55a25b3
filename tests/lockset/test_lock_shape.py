"""poetry.lock data of a shape `poetry lock` never writes is "unreadable", in one line that
names the place; before, Poetry's own reader failed on it with a bare TypeError (a traceback).
The cases are the fuzz pass's findings (tests/test_fuzz.py), kept in the fast loop."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit
from poetry.packages.locker import Locker

from poetry_platform import render
from poetry_platform.lockset.lock import read_lock
from poetry_platform.lockset.lock import shape_fault

if TYPE_CHECKING:
    from pathlib import Path


def package(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "jaxlib",
        "version": "0.7.2",
        "description": "",
        "optional": False,
        "python-versions": ">=3.11",
        "groups": ["main"],
        "files": [{"file": "jaxlib-0.7.2-py3-none-any.whl", "hash": f"sha256:{'0' * 64}"}],
    }
    entry.update(changes)
    return entry


def lock(*packages: dict[str, Any]) -> dict[str, Any]:
    meta = {"lock-version": "2.1", "python-versions": ">=3.11", "content-hash": "0"}
    return {"package": list(packages), "metadata": meta}


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"files": 0}, "package 1 (jaxlib): files must be a list of tables with a file name"),
        ({"groups": 0}, "package 1 (jaxlib): groups must be a list of group names"),
        ({"markers": {"main": 1}}, "package 1 (jaxlib): markers must be a marker string"),
        ({"version": 7}, "package 1: version must be a non-empty string"),
        (
            {"dependencies": {"numpy": 3}},
            "package 1 (jaxlib): dependency numpy must be a constraint",
        ),
        ({"extras": {"cuda": "x"}}, "package 1 (jaxlib): extras must list requirements"),
    ],
)
def test_a_lock_of_another_shape_is_unreadable_in_one_line(
    tmp_path: Path, changes: dict[str, Any], fault: str
) -> None:
    data = lock(package(**changes))
    found = shape_fault(data)
    assert found is not None
    assert found.startswith(fault)
    path = tmp_path / "poetry.lock"
    path.write_text(tomlkit.dumps(data))
    state = read_lock(SimpleNamespace(locker=Locker(path, {})))  # type: ignore[arg-type]
    assert not state.readable
    (problem,) = state.problems
    assert problem.kind == "unreadable-lock"
    assert fault in render.problem(problem)
    assert "\n" not in render.problem(problem)


def test_the_shape_poetry_writes_passes() -> None:
    assert (
        shape_fault(lock(package(), package(name="numpy", markers="python_version > '3'"))) is None
    )


def test_a_lock_without_packages_is_unreadable_in_one_line(tmp_path: Path) -> None:
    """Poetry's reader raised KeyError('package') (a traceback) on it."""
    path = tmp_path / "poetry.lock"
    path.write_text('[metadata]\nlock-version = "2.1"\npython-versions = "*"\ncontent-hash = "0"\n')
    state = read_lock(SimpleNamespace(locker=Locker(path, {})))  # type: ignore[arg-type]
    (problem,) = state.problems
    assert problem.kind == "unreadable-lock"
    assert "no [[package]] entries" in render.problem(problem)
