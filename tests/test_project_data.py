"""Our commands read pyproject.toml with tomllib, never through Poetry's tomlkit document
(a pyproject padded to 23 MB of comments: under a second against ~30 s of CPU)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry.factory import Factory
from poetry.pyproject.toml import PyProjectTOML

from poetry_platform.config import project_data
from poetry_platform.context import project_config

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

PROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = []

[project.optional-dependencies]
cpu = []

[tool.poetry]
package-mode = false

[[tool.poetry-platform.variant]]
name = "cpu"
extras = ["cpu"]
"""


def test_the_platform_table_is_read_without_the_tomlkit_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT + "# padding\n" * 1000)
    poetry = Factory().create_poetry(tmp_path)

    def no_document(_self: PyProjectTOML) -> None:
        raise AssertionError("Poetry's tomlkit document was parsed")

    monkeypatch.setattr(PyProjectTOML, "data", property(no_document))
    config = project_config(poetry)
    assert [v.name for v in config.variants] == ["cpu"]
    assert project_data(poetry) is project_data(poetry)  # read once per project
