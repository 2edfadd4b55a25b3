"""The remedy engine: the same causes give the same fixes, each an exact edit and a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform import render
from poetry_platform.check.declared import Declared
from poetry_platform.check.remedies import admits
from poetry_platform.check.remedies import cap_of
from poetry_platform.check.remedies import entry
from poetry_platform.check.remedies import first_python
from poetry_platform.check.remedies import floor_of
from poetry_platform.check.remedies import floorless
from poetry_platform.check.remedies import narrowed
from poetry_platform.check.remedies import parse
from poetry_platform.check.remedies import pins_together
from poetry_platform.check.remedies import pythons_below
from poetry_platform.check.remedies import remedies
from poetry_platform.check.remedies import with_floor
from poetry_platform.check.remedies import with_marker
from poetry_platform.lockset.problems import Cause
from poetry_platform.lockset.problems import Edit
from poetry_platform.lockset.problems import Remedy

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


# The pieces, each as the edits it writes.


def test_a_requirement_is_read_as_written() -> None:
    req = parse(" Jax_Lib[CUDA13, Extra_X] >=0.6.2,<1 ; sys_platform == 'linux' ")
    assert req is not None
    assert (req.head, req.name, req.extras, req.spec, req.marker) == (
        "Jax_Lib[CUDA13, Extra_X]",
        "jax-lib",
        frozenset({"cuda13", "extra-x"}),
        ">=0.6.2,<1",
        "sys_platform == 'linux'",
    )
    bare = parse("jax")
    assert bare is not None
    assert (bare.head, bare.extras, bare.spec, bare.marker) == ("jax", frozenset(), "", "")
    assert parse("jax @ https://example.org/jax.whl") is None
    assert parse("[cuda13]") is None


def test_the_floor_of_a_spec_is_its_one_lower_bound() -> None:
    assert floor_of(">=0.6.2,<1") == "0.6.2"
    assert floor_of(" <1 , >= 0.6.2 ") == "0.6.2"
    assert floor_of(">=0.6,>=0.7") is None
    assert floor_of("==0.6.2") is None
    assert floor_of("") is None
    assert with_floor(" >=0.6.2 , <1 , !=0.7.0 , ==0.7.* ", "0.7.2") == ">=0.7.2,<1,!=0.7.0"
    assert with_floor("", "0.7.2") == ">=0.7.2"


def test_a_marker_is_joined_with_and_grouping_an_or() -> None:
    assert with_marker("", "python_version >= '3.11'") == "python_version >= '3.11'"
    assert with_marker("a == 'x'", "b") == "a == 'x' and b"
    assert with_marker("a == 'x' or a == 'y'", "b") == "(a == 'x' or a == 'y') and b"
    assert entry("jax", ">=1", "") == "jax>=1"
    assert entry("jax", ">=1", "m") == "jax>=1 ; m"


def test_the_first_python_a_requires_python_admits() -> None:
    assert first_python(None) is None
    assert first_python("") is None
    assert first_python("*") is None
    assert first_python("not a spec") is None
    assert first_python(">= 3.11") == "3.11"
    assert first_python(">=3.11.2") == "3.11"
    assert first_python(">3.10") == "3.10"
    assert first_python("==3.11.0") == "3.11"
    assert first_python("> = 3.11") == "3.11"  # spaces anywhere are read past
    assert first_python("<3.8") == "3.6"
    assert first_python(">=3.39") == "3.39"
    assert first_python(">=3.40") is None
    assert first_python("==2.7") is None


def test_the_pythons_below_a_cut() -> None:
    assert pythons_below(">=3.10, <3.14", "3.12") == ("3.10", "3.11")
    assert pythons_below(">3.10", "3.12") == ("3.10", "3.11")
    assert pythons_below("> = 3.10", "3.12") == ("3.10", "3.11")
    assert pythons_below("", "3.8") == ("3.6", "3.7")
    assert pythons_below(">=3.12", "3.12") == ()
    assert pythons_below("not a spec", "3.12") == ()
    assert narrowed(">=3.10, <3.14, !=3.12.1", "3.11") == ">=3.11,<3.14,!=3.12.1"
    assert narrowed("", "3.11") == ">=3.11"


def test_declared_is_read_from_the_project_table() -> None:
    data = {
        "project": {
            "requires-python": ">=3.10",
            "dependencies": ["jax>=0.6.2"],
            "optional-dependencies": {"cuda13": ["jax[cuda13]>=0.6.2"], "cpu": []},
        }
    }
    assert Declared.of(data) == Declared(
        ">=3.10", ("jax>=0.6.2",), (("cuda13", ("jax[cuda13]>=0.6.2",)), ("cpu", ()))
    )
    assert Declared.of({}) == Declared()
    assert Declared.of({"project": "x"}) == Declared()
    assert Declared.of({"project": {}}).lists() == [("dependencies", ())]


# The remedies, as full values.


def test_the_split_remedy_in_full() -> None:
    fixes = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), OLD_FLOOR)
    below, above = "python_version < '3.11'", "python_version >= '3.11'"
    linux = "sys_platform == 'linux'"
    assert fixes == [
        Remedy(
            "split-python",
            "3.11",
            "jax",
            "cuda13",
            "0.7.2",
            "index",
            ">=3.11",
            edits=(
                Edit(
                    "dependencies", "jax>=0.6.2", (f"jax>=0.6.2 ; {below}", f"jax>=0.7.2 ; {above}")
                ),
                Edit(
                    "cuda12",
                    f"jax[cuda12]>=0.6.2 ; {linux}",
                    (
                        f"jax[cuda12]>=0.6.2 ; {linux} and {below}",
                        f"jax[cuda12]>=0.7.2 ; {linux} and {above}",
                    ),
                ),
                Edit(
                    "cuda13",
                    f"jax[cuda13]>=0.6.2 ; {linux}",
                    (f"jax[cuda13]>=0.7.2 ; {linux} and {above}",),
                ),
                Edit("dependencies", "", (f"jaxlib>=0.6.2 ; {below}", f"jaxlib>=0.7.2 ; {above}")),
            ),
            command="poetry update --lock jax jaxlib",
            cut="3.11",
            left_out=("3.10",),
            instead=("cuda12",),
        ),
        Remedy(
            "narrow-python",
            "3.11",
            "jax",
            "cuda13",
            "0.7.2",
            "index",
            ">=3.11",
            edits=(
                Edit("requires-python", ">=3.10,<3.14", (">=3.11,<3.14",)),
                Edit("dependencies", "jax>=0.6.2", ("jax>=0.7.2",)),
                Edit("cuda12", f"jax[cuda12]>=0.6.2 ; {linux}", (f"jax[cuda12]>=0.7.2 ; {linux}",)),
                Edit("cuda13", f"jax[cuda13]>=0.6.2 ; {linux}", (f"jax[cuda13]>=0.7.2 ; {linux}",)),
            ),
            command="poetry update --lock jax",
            cut="3.11",
        ),
        Remedy("drop-python", "3.11", target="gpu"),
    ]


def test_the_raised_floor_in_full_from_the_lock_when_offline() -> None:
    cause = Cause(
        "jax[cuda13]>=0.6.2",
        "extra-excluded",
        "jax",
        "0.6.2",
        "cuda13",
        "3.11",
        (),
        "0.7.2",
        ">=3.9",
    )
    declared = Declared(">=3.10", ("jax[cuda13]>=0.6.2,<1 ; sys_platform == 'linux'",))
    fixes = remedies([cause], "3.11", None, None, declared)
    assert fixes == [
        Remedy(
            "raise-floor",
            "3.11",
            "jax",
            "cuda13",
            "0.7.2",
            "lock",
            ">=3.9",
            edits=(
                Edit(
                    "dependencies",
                    "jax[cuda13]>=0.6.2,<1 ; sys_platform == 'linux'",
                    ("jax[cuda13]>=0.7.2,<1 ; sys_platform == 'linux'",),
                ),
            ),
            command="poetry update --lock jax",
        ),
        Remedy("narrow-python", "3.11"),
        Remedy("other-python", "3.11"),
    ]


def test_causes_without_a_missing_extra_give_only_the_python_remedies() -> None:
    causes = [
        Cause("jax>=0.6.2", "not-applicable", "jax", None, "cuda13", "3.11"),
        Cause("jax>=0.6.2", "not-selected", "jax", None, "cuda13", "3.11"),
        Cause("jax>=0.6.2", "no-extra", "jax", "0.6.2", None, "3.11"),
    ]
    asked: list[tuple[str, str]] = []

    def first(name: str, extra: str) -> tuple[str, str] | None:
        asked.append((name, extra))
        return ("0.7.2", ">=3.9")

    fixes = remedies(causes, "3.11", "gpu", first, OLD_FLOOR)
    assert fixes == [Remedy("narrow-python", "3.11"), Remedy("drop-python", "3.11", target="gpu")]
    assert asked == []


def test_nothing_known_is_the_bare_floor_once() -> None:
    fixes = remedies([CAUSE, CAUSE], "3.11", None, index(">=3.9"), OLD_FLOOR)
    assert [r.kind for r in fixes] == ["raise-floor", "narrow-python", "other-python"]
    unknown = Cause("jax[cuda14]>=0.6.2", "no-extra", "jax", "0.6.2", "cuda14", "3.11")
    fixes = remedies([unknown, unknown], "3.11", None, index(">=3.9"), OLD_FLOOR)
    assert fixes == [
        Remedy("raise-floor", "3.11", "jax", "cuda14"),
        Remedy("narrow-python", "3.11"),
        Remedy("other-python", "3.11"),
    ]


def test_without_the_pyproject_the_floor_is_named_without_edits() -> None:
    fixes = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), None)
    assert fixes == [
        Remedy("raise-floor", "3.11", "jax", "cuda13", "0.7.2", "index", ">=3.11"),
        Remedy("narrow-python", "3.11"),
        Remedy("drop-python", "3.11", target="gpu"),
    ]


def test_a_release_with_any_python_needs_no_narrowing() -> None:
    fixes = remedies([CAUSE], "3.11", "gpu", index(""), OLD_FLOOR)
    assert [r.kind for r in fixes] == ["raise-floor", "narrow-python", "drop-python"]
    assert fixes[0].cut is None
    assert fixes[1] == Remedy("narrow-python", "3.11")


def test_the_first_narrowing_wins() -> None:
    cuda12 = Cause("jax[cuda12]>=0.6.2", "no-extra", "jax", "0.6.2", "cuda12", "3.10")

    def first(name: str, extra: str) -> tuple[str, str] | None:
        return (
            {"cuda13": ("0.7.2", ">=3.11"), "cuda12": ("0.8.0", ">=3.12")}[extra] if name else None
        )

    fixes = remedies([CAUSE, cuda12], "3.11", None, first, OLD_FLOOR)
    assert [r.kind for r in fixes] == [
        "split-python",
        "split-python",
        "narrow-python",
        "other-python",
    ]
    assert fixes[1].left_out == ("3.10", "3.11")
    assert fixes[1].instead == ("cuda13",)
    assert fixes[2].version == "0.7.2"
    assert fixes[2].edits[0] == Edit("requires-python", ">=3.10,<3.14", (">=3.11,<3.14",))


def test_raising_leaves_higher_floors_pins_and_other_packages_alone() -> None:
    declared = Declared(
        ">=3.9",
        (
            "jax>=0.8",
            "jax==0.6.2 ; sys_platform == 'darwin'",
            "jax<1 ; sys_platform == 'win32'",
            "jax>=weird ; sys_platform == 'cygwin'",
            "jax ; sys_platform == 'freebsd'",
            "jax>=0.7.2 ; sys_platform == 'aix'",
            "jaxlib>=0.6.2",
            "jax @ https://example.org/jax.whl",
        ),
    )
    fixes = remedies([CAUSE], "3.11", None, index(">=3.9"), declared)
    # An upper bound without a floor keeps its cap and gains the floor.
    assert fixes[0].edits == (
        Edit(
            "dependencies",
            "jax<1 ; sys_platform == 'win32'",
            ("jax>=0.7.2,<1 ; sys_platform == 'win32'",),
        ),
        Edit(
            "dependencies",
            "jax ; sys_platform == 'freebsd'",
            ("jax>=0.7.2 ; sys_platform == 'freebsd'",),
        ),
    )
    assert fixes[0].command == "poetry update --lock jax"


def test_nothing_to_raise_is_the_floor_without_edits() -> None:
    declared = Declared(">=3.9", ("jax>=0.8",))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.9"), declared)
    assert fixes[0] == Remedy("raise-floor", "3.11", "jax", "cuda13", "0.7.2", "index", ">=3.9")


def test_a_split_keeps_an_or_marker_whole_and_splits_by_full_version_too() -> None:
    darwin = "sys_platform == 'darwin' or sys_platform == 'linux'"
    declared = Declared(">=3.10", (f"jax>=0.6.2 ; {darwin}",))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.11"), declared)
    assert fixes[0].edits[0] == Edit(
        "dependencies",
        f"jax>=0.6.2 ; {darwin}",
        (
            f"jax>=0.6.2 ; ({darwin}) and python_version < '3.11'",
            f"jax>=0.7.2 ; ({darwin}) and python_version >= '3.11'",
        ),
    )
    full = Declared(">=3.10", ("jax>=0.6.2 ; python_full_version < '3.11.2'",))
    assert remedies([CAUSE], "3.11", None, index(">=3.11"), full)[0] == Remedy(
        "raise-floor", "3.11", "jax", "cuda13", "0.7.2", "index", ">=3.11"
    )


def test_the_companion_split_only_beside_a_main_floor_it_does_not_already_have() -> None:
    extras_only = Declared(">=3.10", (), (("cuda13", ("jax[cuda13]>=0.6.2",)),))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.11"), extras_only)
    assert fixes[0].command == "poetry update --lock jax"
    assert fixes[0].edits == (
        Edit("cuda13", "jax[cuda13]>=0.6.2", ("jax[cuda13]>=0.7.2 ; python_version >= '3.11'",)),
    )
    assert fixes[0].instead == ()
    with_jaxlib = Declared(">=3.10", ("jax>=0.6.2", "jaxlib>=0.6.0"))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.11"), with_jaxlib)
    assert fixes[0].command == "poetry update --lock jax"
    assert len(fixes[0].edits) == 1
    caret = Declared(">=3.10", ("jax^0.6",))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.11"), caret)
    assert fixes[0].command == "poetry update --lock jax"
    two = Declared(">=3.10", ("jax>=0.6.2", "jax>=0.6.0 ; sys_platform == 'linux'"))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.11"), two)
    assert fixes[0].edits[-1] == Edit(
        "dependencies",
        "",
        ("jaxlib>=0.6.2 ; python_version < '3.11'", "jaxlib>=0.7.2 ; python_version >= '3.11'"),
    )


def test_a_package_without_a_companion_splits_alone() -> None:
    cause = Cause("torch[cu]>=2", "no-extra", "torch", "2.0", "cu", "3.11")
    declared = Declared(
        ">=3.10",
        ("torch>=2",),
        (("cpu", ("torch[cpu]>=2", "torch[cpu2]>=2")), ("none", ("torch>=2",))),
    )
    fixes = remedies(
        [cause],
        "3.11",
        None,
        lambda name, extra: ("2.5", ">=3.11") if (name, extra) == ("torch", "cu") else None,
        declared,
    )
    assert fixes[0].kind == "split-python"
    assert fixes[0].command == "poetry update --lock torch"
    assert fixes[0].instead == ("cpu",)
    assert fixes[0].edits[-1].where == "none"


def test_no_entry_of_the_package_is_no_split() -> None:
    declared = Declared(">=3.10", ("numpy>=2",))
    fixes = remedies([CAUSE], "3.11", None, index(">=3.11"), declared)
    assert fixes[0] == Remedy("raise-floor", "3.11", "jax", "cuda13", "0.7.2", "index", ">=3.11")
    assert fixes[1].kind == "narrow-python"
    assert fixes[1].edits[0] == Edit("requires-python", ">=3.10", (">=3.11",))


def test_a_cause_without_a_fix_does_not_hide_the_causes_after_it() -> None:
    skipped = Cause("numpy>=2", "not-selected", "numpy", None, None, "3.11")
    unknown = Cause("jax[cuda14]>=0.6.2", "no-extra", "jax", "0.6.2", "cuda14", "3.11")
    fixes = remedies([skipped, unknown, CAUSE], "3.11", None, index(">=3.9"), OLD_FLOOR)
    assert [(r.kind, r.extra, r.version) for r in fixes] == [
        ("raise-floor", "cuda14", None),
        ("raise-floor", "cuda13", "0.7.2"),
        ("narrow-python", None, None),
        ("other-python", None, None),
    ]


# A floorless upper bound (`jax<1`): the cap is the user's; the floor is added under it.

CAPPED = Declared(
    ">=3.10,<3.14",
    ("jax<1",),
    (("cuda13", ("jax[cuda13]!=0.7.0,<1 ; sys_platform == 'linux'",)),),
)


def test_a_floorless_cap_keeps_its_cap_when_the_floor_is_raised() -> None:
    fixes = remedies([CAUSE], "3.11", None, index(">=3.9"), CAPPED)
    assert [r.kind for r in fixes] == ["raise-floor", "narrow-python", "other-python"]
    assert fixes[0].edits == (
        Edit("dependencies", "jax<1", ("jax>=0.7.2,<1",)),
        Edit(
            "cuda13",
            "jax[cuda13]!=0.7.0,<1 ; sys_platform == 'linux'",
            ("jax[cuda13]>=0.7.2,!=0.7.0,<1 ; sys_platform == 'linux'",),
        ),
    )
    assert fixes[0].command == "poetry update --lock jax"


def test_a_floorless_cap_split_by_python_keeps_its_cap_on_both_sides_and_on_jaxlib() -> None:
    fixes = remedies([CAUSE], "3.11", "gpu", index(">=3.11"), CAPPED)
    assert [r.kind for r in fixes] == ["split-python", "narrow-python", "drop-python"]
    below, above = "python_version < '3.11'", "python_version >= '3.11'"
    assert fixes[0].edits == (
        Edit("dependencies", "jax<1", (f"jax<1 ; {below}", f"jax>=0.7.2,<1 ; {above}")),
        Edit(
            "cuda13",
            "jax[cuda13]!=0.7.0,<1 ; sys_platform == 'linux'",
            (f"jax[cuda13]>=0.7.2,!=0.7.0,<1 ; sys_platform == 'linux' and {above}",),
        ),
        Edit("dependencies", "", (f"jaxlib<1 ; {below}", f"jaxlib>=0.7.2,<1 ; {above}")),
    )
    assert fixes[1].edits[1] == Edit("dependencies", "jax<1", ("jax>=0.7.2,<1",))


def test_a_cap_below_the_first_release_with_the_extra_is_named_and_never_edited() -> None:
    """`jax[cuda13]<0.7` (or `>=0.6.2,<0.7`): no release the cap allows has the extra. The
    floor is not raised into an empty range, nor split, nor narrowed with it: the fix names
    the entry whose cap is in the way, and --fix (which never lifts a cap) leaves it."""
    for capped in ("jax[cuda13]<0.7 ; sys_platform == 'linux'", "jax>=0.6.2,<0.7"):
        declared = Declared(">=3.10,<3.14", ("jax>=0.6.2", capped))
        for needs, last in ((">=3.9", "other-python"), (">=3.11", "drop-python")):
            fixes = remedies(
                [CAUSE], "3.11", "gpu" if needs == ">=3.11" else None, index(needs), declared
            )
            assert [r.kind for r in fixes] == ["raise-cap", "narrow-python", last]
            assert fixes[0] == Remedy(
                "raise-cap", "3.11", "jax", "cuda13", "0.7.2", "index", needs, capped_by=capped
            )
            assert fixes[1] == Remedy("narrow-python", "3.11")
    assert render.remedy(fixes[0]) == (
        'no release of jax that "jax>=0.6.2,<0.7" allows has the extra cuda13: the first is '
        "0.7.2 (its first release with the extra, per the index, which needs Python >=3.11); "
        "raise or remove that cap in pyproject.toml, then re-lock"
    )
    assert render.remedy_json(fixes[0])["capped_by"] == "jax>=0.6.2,<0.7"
    # A cap that lets the release in is no obstacle: `<=0.7.2` gains the floor under it.
    fixes = remedies([CAUSE], "3.11", None, index(">=3.9"), Declared(">=3.9", ("jax<=0.7.2",)))
    assert fixes[0].edits == (Edit("dependencies", "jax<=0.7.2", ("jax>=0.7.2,<=0.7.2",)),)


def test_the_cap_of_a_spec_and_whether_it_is_floorless() -> None:
    assert cap_of(">=0.6.2, <1 ,!=0.7.0") == "<1,!=0.7.0"
    assert cap_of(">=0.6.2") == ""
    assert floorless("<1") and floorless(" != 0.7.0 , <2 ")
    assert not floorless("") and not floorless(">=0.6.2,<1") and not floorless("==0.6.2")
    assert not floorless("~=0.6") and not floorless("^0.6")
    assert admits("<1", "0.7.2") and admits("", "0.7.2") and admits("<1 ,!=0.7.0", "0.7.2")
    assert not admits("<0.7", "0.7.2") and not admits("!=0.7.2", "0.7.2")
    assert admits("<nonsense", "0.7.2")  # unreadable: the lock will say
    assert admits("<2", "1.0rc1")  # a first release with the extra may be a pre-release


def test_several_duplicate_pins_become_one_fix_with_every_pin() -> None:
    def pin(name: str, version: str, python: str = "3.12") -> Remedy:
        line = f"{name}=={version} ; sys_platform == 'linux'"
        edits = (Edit("dependencies", "", (line,)),)
        return Remedy("pin-version", python, name, version=version, edits=edits)

    # (One target's pins share its Python; the fix takes the first one's.)
    nvrtc = pin("nvidia-cuda-nvrtc", "13.0.88", python="3.13")
    together = pins_together([pin("nvidia-cublas", "13.0.0.19"), nvrtc])
    assert together == Remedy(
        "pin-version",
        "3.12",
        edits=(
            Edit(
                "dependencies",
                "",
                (
                    "nvidia-cublas==13.0.0.19 ; sys_platform == 'linux'",
                    "nvidia-cuda-nvrtc==13.0.88 ; sys_platform == 'linux'",
                ),
            ),
        ),
        command="poetry update --lock nvidia-cublas nvidia-cuda-nvrtc",
        pins=(("nvidia-cublas", "13.0.0.19"), ("nvidia-cuda-nvrtc", "13.0.88")),
    )
    assert render.remedy(together) == (
        "pin nvidia-cublas to 13.0.0.19 and nvidia-cuda-nvrtc to 13.0.88"
    )
    assert render.remedy(pin("nvidia-cublas", "13.0.0.19")) == "pin nvidia-cublas to 13.0.0.19"
    assert render.remedy_json(together)["pins"] == [
        {"package": "nvidia-cublas", "version": "13.0.0.19"},
        {"package": "nvidia-cuda-nvrtc", "version": "13.0.88"},
    ]
