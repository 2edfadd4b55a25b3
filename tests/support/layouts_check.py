"""Layouts for `platform-check` tests that `layouts.tagged` does not cover.

`tagged` pins its cp311/cp312-only package to `Requires-Python <3.13`, so Poetry refuses
any project reaching 3.13. Real packages often lag a new Python without saying so: their
metadata accepts it, their wheels do not exist yet. `lagging` publishes such a package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.layouts import PYPI
from tests.support.layouts import publish

if TYPE_CHECKING:
    from pathlib import Path

LAGGING = "lagging-lib"
LAGGING_VERSION = "1.0"
LAGGING_TAGS = tuple(
    f"cp{minor}-cp{minor}-{platform}"
    for minor in (311, 312)
    for platform in ("manylinux_2_28_x86_64", "macosx_11_0_arm64")
)


def lagging(root: Path) -> None:
    """On "pypi": `lagging-lib` accepting Python >=3.10 with wheels for cp311/cp312 only."""
    for tag in LAGGING_TAGS:
        publish(root, PYPI, LAGGING, LAGGING_VERSION, tags=(tag,), requires_python=">=3.10")
