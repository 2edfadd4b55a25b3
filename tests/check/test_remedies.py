"""The remedy engine: the same causes give the same fixes, each an exact edit and a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform import render
from poetry_platform.check.remedies import Declared
from poetry_platform.check.remedies import remedies
from poetry_platform.lockset.problems import Cause

if TYPE_CHECKING:
    from collections.abc import Callable

OLD_FLOOR = Declared(
    ">=3.10,<3.14",
    ("numpy>=2", "jax>=0.6.2"),
    (
        ("cuda12", ("jax[cuda12]>=0.6.2 ; sys_platform == 'linux'",)),
        ("cuda13", ("jax[cuda13]>=0.6.2 ; sys_platform == 'linux'",)),
    ),
)
CAUSE = Cause("jax[cuda13]>=0.6.2", "no-extra", "jax", "0.6.2", "cuda13", "3.11", ("cuda12",))


def index(needs: str) -> Callable[[str, str], tuple[str, str] | None]:
    return lambda name, extra: ("0.7.2", needs) if (name, extra) == ("jax", "cuda13") else None


def test_a_release_needing_a_newer_python_is_a_split_first_then_narrowing_then_dropping() -> None:
    fixes = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), OLD_FLOOR)
    assert [r.kind for r in fixes] == ["split-python", "narrow-python", "drop-python"]
    split = fixes[0]
    assert (split.cut, split.left_out, split.instead) == ("3.11", ("3.10",), ("cuda12",))
    assert split.command == "poetry update --lock jax jaxlib"
    assert [render.edit_line(e) for e in split.edits] == [
        'dependencies: replace "jax>=0.6.2" with "jax>=0.6.2 ; python_version < \'3.11\'", '
        "\"jax>=0.7.2 ; python_version >= '3.11'\"",
        "optional-dependencies.cuda12: replace \"jax[cuda12]>=0.6.2 ; sys_platform == 'linux'\" "
        "with \"jax[cuda12]>=0.6.2 ; sys_platform == 'linux' and python_version < '3.11'\", "
        "\"jax[cuda12]>=0.7.2 ; sys_platform == 'linux' and python_version >= '3.11'\"",
        "optional-dependencies.cuda13: replace \"jax[cuda13]>=0.6.2 ; sys_platform == 'linux'\" "
        "with \"jax[cuda13]>=0.7.2 ; sys_platform == 'linux' and python_version >= '3.11'\"",
        "dependencies: add \"jaxlib>=0.6.2 ; python_version < '3.11'\", "
        "\"jaxlib>=0.7.2 ; python_version >= '3.11'\"",
    ]
    assert "Python 3.10 still cannot get cuda13" in render.remedy(split)
    narrow = fixes[1]
    assert render.edit_line(narrow.edits[0]) == (
        'requires-python: replace ">=3.10,<3.14" with ">=3.11,<3.14"'
    )
    assert narrow.command == "poetry update --lock jax"


def test_a_release_every_python_takes_is_a_raised_floor() -> None:
    fixes = remedies([CAUSE], "3.11", None, index(">=3.9"), OLD_FLOOR)
    assert [r.kind for r in fixes] == ["raise-floor", "narrow-python", "other-python"]
    assert fixes[0].command == "poetry update --lock jax"
    assert [e.new for e in fixes[0].edits] == [
        ("jax>=0.7.2",),
        ("jax[cuda12]>=0.7.2 ; sys_platform == 'linux'",),
        ("jax[cuda13]>=0.7.2 ; sys_platform == 'linux'",),
    ]
    # Nothing to narrow: the generic advice, without edits.
    assert fixes[1].edits == ()


def test_the_same_causes_give_the_same_fixes_and_offline_keeps_the_old_words() -> None:
    a = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), OLD_FLOOR)
    b = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), OLD_FLOOR)
    assert a == b
    offline = remedies([CAUSE], "3.11", "gpu", None, OLD_FLOOR)
    assert render.remedy(offline[0]) == (
        "raise the floor of jax[cuda13] to its first release that has the extra "
        "(poetry.lock holds none) and re-lock"
    )


def test_a_project_already_split_by_python_gets_no_split() -> None:
    split = Declared(">=3.10", ("jax>=0.6.2 ; python_version < '3.11'",), ())
    fixes = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), split)
    assert fixes[0].kind == "raise-floor"
    assert fixes[0].edits == ()
