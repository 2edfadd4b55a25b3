"""Groups are shown as pyproject.toml spells them (issue 20: `cloud_dev`, not `cloud-dev`)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from poetry.core.factory import Factory

from poetry_platform.check.targets import as_written

if TYPE_CHECKING:
    from pathlib import Path


def test_group_names_as_written(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0.1"\n\n'
        "[tool.poetry.group.cloud_dev.dependencies]\nboto3 = '*'\n"
        "[tool.poetry.group.Test.dependencies]\npytest = '*'\n"
    )
    poetry = cast("Any", Factory().create_poetry(tmp_path))
    names = sorted(poetry.package.dependency_group_names())
    assert names == ["cloud-dev", "test"]
    assert as_written(poetry, names) == ("cloud_dev", "Test")
    assert as_written(poetry, ["nope"]) == ("nope",)


def test_an_unknown_group_gets_the_groups_as_written_and_a_guess() -> None:
    """Poetry's line (markup and all) for `--with cloud_dve`, with what the project has."""
    from poetry_platform import render

    poetry_says = "Group(s) not found: cloud_dve (via <fg=yellow;options=bold>--with</>)"
    groups = ("cloud", "cloud_dev", "dev", "main", "test")
    assert render.group_not_found(poetry_says, groups) == (
        "Group(s) not found: cloud_dve (via --with) (groups here: cloud, cloud_dev, dev, main,"
        " test); did you mean cloud_dev?"
    )
    two = "Group(s) not found: tset (via --only), zzz (via --with, --without)"
    assert render.group_not_found(two, groups) == (
        "Group(s) not found: tset (via --only), zzz (via --with, --without) (groups here:"
        " cloud, cloud_dev, dev, main, test); did you mean test?"
    )
    assert render.group_not_found("Group(s) not found: x (via --with)", ()) == (
        "Group(s) not found: x (via --with) (the project has no groups)"
    )
