"""The take and filters stages on their own: which declarations may move, and which releases
one of them may take. Each rule is checked against PEP 440 as packaging and poetry-core read
it (pre-releases, local labels, Requires-Python), not against platform-up's own output."""

from __future__ import annotations

from dataclasses import replace

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version as PackagingVersion
from poetry.core.constraints.version import Version
from poetry.core.constraints.version import parse_constraint

from poetry_platform.index.model import Query
from poetry_platform.index.model import Release
from poetry_platform.up import constraints
from poetry_platform.up import declarations
from poetry_platform.up import edits
from poetry_platform.up.filters import allows_labelled
from poetry_platform.up.filters import floor_of
from poetry_platform.up.filters import options
from poetry_platform.up.reasons import Excluded
from poetry_platform.up.reasons import Skipped
from poetry_platform.up.take import Classified
from poetry_platform.up.take import Context
from poetry_platform.up.take import Scope
from poetry_platform.up.take import _mentions_prerelease
from poetry_platform.up.take import classify
from poetry_platform.up.take import locked_companions

PYTHON = ">=3.10,<4.0"


def rel(version: str, python: str | None = ">=3.9", text: str | None = "") -> Release:
    """A release as an index page lists it; `text` is Requires-Python as written."""
    written = python if text == "" else text
    return Release(
        Version.parse(version), "local", parse_constraint(python) if python else None, written
    )


def ctx(*, pre: bool = False, label: str | None = None, python: str = PYTHON) -> Context:
    return Context(Query(canonicalize_name("torch"), None), parse_constraint(python), pre, label)


def ok_of(releases: list[Release], within: str, context: Context) -> dict[str, str]:
    opts = options(releases, parse_constraint(within), context)
    return {public.to_string(): full.to_string() for public, full in opts.ok.items()}


# --- filters: pre-releases, local labels, Requires-Python ---------------------------------


def test_pre_and_dev_releases_only_where_allowed_post_releases_always() -> None:
    # PEP 440: pre- and dev-releases are opted into; a post-release is a final release.
    assert PackagingVersion("2.1rc1").is_prerelease
    assert PackagingVersion("2.1.dev1").is_prerelease
    assert not PackagingVersion("2.0.post1").is_prerelease
    releases = [rel("2.1rc1"), rel("2.1.dev1"), rel("2.0"), rel("2.0.post1")]
    assert ok_of(releases, ">=2.0,<3", ctx()) == {"2.0": "2.0", "2.0.post1": "2.0.post1"}
    assert set(ok_of(releases, ">=2.0,<3", ctx(pre=True))) == {
        "2.1rc1",
        "2.1.dev1",
        "2.0",
        "2.0.post1",
    }


def test_a_filtered_release_does_not_end_the_list() -> None:
    # Pages list releases in any order: a release left out must not hide the next one.
    releases = [rel("2.9.0+cu126"), rel("3.1.0+cpu"), rel("2.9.0rc1+cpu"), rel("2.8.0+cpu")]
    assert ok_of(releases, ">=2.8.0+cpu,<3.0.0.dev0", ctx(label="cpu")) == {"2.8.0": "2.8.0+cpu"}


def test_a_label_keeps_its_builds_and_the_range_still_applies() -> None:
    within = constraints.decide("^2.8.0+cpu", constraints.Rules())
    assert isinstance(within, constraints.Search)
    releases = [rel(v) for v in ("2.8.0+cpu", "2.9.0", "2.9.0+cu126", "2.9.0+cpu", "3.0.0+cpu")]
    opts = options(releases, within.within, ctx(label="cpu"))
    assert {p.to_string(): v.to_string() for p, v in opts.ok.items()} == {
        "2.8.0": "2.8.0+cpu",
        "2.9.0": "2.9.0+cpu",
    }
    assert opts.newest_in_range == Version.parse("2.9.0")


def test_a_build_excluded_by_name_stays_excluded() -> None:
    # PEP 440: `!=2.9.0+cpu` leaves out exactly that build (local labels count in != and ==).
    assert not SpecifierSet("!=2.9.0+cpu").contains("2.9.0+cpu")
    assert SpecifierSet("!=2.9.0+cpu").contains("2.9.1+cpu")
    search = constraints.decide(">=2.8.0+cpu,!=2.9.0+cpu", constraints.Rules())
    assert isinstance(search, constraints.Search)
    releases = [rel("2.8.0+cpu"), rel("2.9.0+cpu"), rel("2.9.1+cpu")]
    opts = options(releases, search.within, ctx(label="cpu"))
    assert sorted(v.to_string() for v in opts.ok.values()) == ["2.8.0+cpu", "2.9.1+cpu"]


def test_without_a_label_the_highest_build_of_a_release_is_kept() -> None:
    # PEP 440 orders local labels: 2.8.0+cu126 > 2.8.0+cpu > 2.8.0.
    assert (
        PackagingVersion("2.8.0+cu126") > PackagingVersion("2.8.0+cpu") > PackagingVersion("2.8.0")
    )
    releases = [rel("2.8.0+cu126"), rel("2.8.0"), rel("2.8.0+cpu")]
    opts = options(releases, parse_constraint(">=2.8,<3"), ctx())
    assert {p.to_string(): v.to_string() for p, v in opts.ok.items()} == {"2.8.0": "2.8.0+cu126"}
    assert opts.release[Version.parse("2.8.0")] is releases[0]


def test_requires_python_must_admit_every_python_of_the_entry() -> None:
    releases = [
        rel("2.3", ">=3.12"),  # leaves out 3.10 and 3.11
        rel("2.2", "~=3.11", text=None),  # no text on the page: the constraint's own words
        rel("2.1", ">=3.10", text=">= 3.10"),
        rel("2.0", "~=3.9", text="~=3.9"),
    ]
    opts = options(releases, parse_constraint(">=2.0,<3"), ctx())
    assert sorted(v.to_string() for v in opts.ok) == ["2.0", "2.1"]
    assert {v.to_string(): why for v, why in opts.blocked.items()} == {
        "2.3": ">=3.12",
        "2.2": str(parse_constraint("~=3.11")),
    }
    assert str(parse_constraint("~=3.11")) != "~=3.11"  # so the fallback is seen
    # The newest in range ignores Python: it says what a newer Python could take.
    assert opts.newest_in_range == Version.parse("2.3")
    assert opts.unknown == []


def test_another_build_of_a_blocked_release_unblocks_it() -> None:
    releases = [rel("2.0+cu126", ">=3.12"), rel("2.0+cpu", ">=3.9")]
    opts = options(releases, parse_constraint(">=2.0,<3"), ctx())
    assert opts.blocked == {}
    assert opts.ok == {Version.parse("2.0"): Version.parse("2.0+cpu")}


def test_unknown_requires_python_is_trusted_until_the_final_plan() -> None:
    releases = [rel("2.1", None), rel("2.0", None), rel("1.9")]
    trusted = options(releases, parse_constraint(">=1.9,<3"), ctx())
    assert sorted(v.to_string() for v in trusted.ok) == ["1.9", "2.0", "2.1"]
    assert trusted.unknown == releases[:2]
    final = options(releases, parse_constraint(">=1.9,<3"), ctx(), trust_unknown=False)
    assert sorted(v.to_string() for v in final.ok) == ["1.9"]
    assert {v.to_string(): why for v, why in final.blocked.items()} == {
        "2.1": "unknown",
        "2.0": "unknown",
    }


def test_first_blocked_release_past_a_version() -> None:
    releases = [rel("2.3", ">=3.12"), rel("2.2"), rel("2.1", ">=3.12"), rel("2.0")]
    opts = options(releases, parse_constraint(">=2.0,<3"), ctx())
    assert opts.first_blocked(None) == (Version.parse("2.1"), ">=3.12", False)
    assert opts.first_blocked(Version.parse("2.1")) == (Version.parse("2.3"), ">=3.12", True)
    assert opts.first_blocked(Version.parse("2.3")) is None


@pytest.mark.parametrize(
    ("text", "floor"),
    [
        ("==0.23.0+cpu", "0.23.0"),
        ("^1.2", "1.2"),
        (">=1.2,<2", "1.2"),
        ("<2", None),  # no lower bound
        ("", None),  # any version
        ("*", None),
        ("<1 || >=2", None),  # a union: no single lowest version
        ("not a version", None),
    ],
)
def test_floor_of(text: str, floor: str | None) -> None:
    found = floor_of(text)
    assert (found.to_string() if found else None) == floor


def _fixed(version: str) -> list[tuple[str, bool]]:
    """allows_labelled for a [tool.poetry] entry `torch = VERSION` and a few public versions."""
    pyproject = f'[tool.poetry.dependencies]\npython = "{PYTHON}"\ntorch = "==2.8.0+cpu"\n'
    out = _classify(pyproject)
    [fixed] = out.fixed
    fixed = replace(fixed, decl=replace(fixed.decl, version=version))
    return [(v, allows_labelled(fixed, Version.parse(v))) for v in ("2.8.0", "2.9.0")]


def test_a_fixed_labelled_pin_admits_its_public_version() -> None:
    # poetry-core: ==2.8.0+cpu refuses the public 2.8.0 (PEP 440: a local label in the
    # specifier must match), yet the chosen public version gets the label on the bump.
    assert not parse_constraint("==2.8.0+cpu").allows(Version.parse("2.8.0"))
    assert _fixed("==2.8.0+cpu") == [("2.8.0", True), ("2.9.0", False)]
    assert _fixed(">=2.8,==2.8.0+cpu") == [("2.8.0", True), ("2.9.0", False)]
    assert _fixed("==2.8.0") == [("2.8.0", False), ("2.9.0", False)]  # the constraint decides
    assert _fixed("==2.8.0+cpu || ==2.9.0+cpu") == [("2.8.0", False), ("2.9.0", False)]
    assert _fixed("==latest+cpu") == [("2.8.0", False), ("2.9.0", False)]
    assert _fixed(">=2.8") == [("2.8.0", False), ("2.9.0", False)]


# --- take: which declarations move ------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        ">=2.0b1",
        "<2.0b1",
        ">2.0b1",
        "==2.0b1",
        "~=2.0b1",
        "<=2.0.dev1",
        ">=1.0",
        "==2.0.*",
        ">=1.0,!=2.0rc1",
        "!=2.0rc1,>=2.0b1",
        ">=1.0.post1",
        "*",
    ],
)
def test_a_pre_release_is_asked_for_as_pep_440_reads_the_specifier(spec: str) -> None:
    # packaging's Specifier.prereleases: naming a pre-release opts in, except in `!=`.
    expected = bool(SpecifierSet(spec).prereleases) if spec != "*" else False
    assert _mentions_prerelease(spec) is expected


def test_poetry_style_constraints_naming_a_pre_release_opt_in() -> None:
    assert _mentions_prerelease("^2.0b1")
    assert _mentions_prerelease("~2.0rc1")
    assert not _mentions_prerelease("^2.0")
    assert not _mentions_prerelease("1.0 || 2.0b1")  # not rewritten at all
    # poetry-core reads a wildcard on a pre-release as that pre-release's own series
    # (packaging refuses it): nothing but pre-releases can match.
    assert str(parse_constraint("==2.0b1.*")) == ">=2.0b1.dev0,<2.0b2.dev0"
    assert _mentions_prerelease("==2.0b1.*")
    assert not _mentions_prerelease("==2.0.*")
    assert _mentions_prerelease("* >=2.0b1")  # a clause naming no version goes on to the next


def _classify(pyproject: str, scope: Scope | None = None, *, deps: bool = True) -> Classified:
    decls = declarations.read(edits.parse(pyproject))
    found = declarations.lookup_dependencies(decls.items, decls.items) if deps else {}
    return classify(
        decls,
        found,
        scope or Scope(groups=frozenset(decls.groups)),
        constraints.Rules(),
        parse_constraint(PYTHON),
    )


PROJECT = f"""
[tool.poetry.dependencies]
python = "{PYTHON}"
zeta = {{ version = "^0.3", python = ">=3.11" }}
pinned = "==1.0"
union = "1.0 || 2.0"
torch = {{ version = ">=2.8.0+cpu,<3", allow-prereleases = true, source = "torch-cpu" }}
beta = ">=2.0b1"
plain = ">=1.0"
"""


def test_every_entry_is_a_candidate_or_held_with_a_reason_and_still_constrains() -> None:
    out = _classify(PROJECT)
    assert [c.decl.name for c in out.candidates] == ["zeta", "torch", "beta", "plain"]
    held = {str(h.decl.name): h.reason for h in out.held}
    assert held["pinned"] == Skipped("pin")
    assert isinstance(held["union"], Skipped)
    assert held["union"].rule == "unsupported"
    assert held["union"].detail  # the parser's reason, shown to the user
    assert {str(f.decl.name): f.why for f in out.fixed} == {"pinned": "pinned", "union": "skipped"}
    contexts = {str(c.decl.name): c.contexts for c in out.candidates}
    [torch] = contexts["torch"]
    assert torch == Context(
        Query(canonicalize_name("torch"), "torch-cpu"), parse_constraint(PYTHON), True, "cpu"
    )
    [beta] = contexts["beta"]
    assert (beta.allow_prereleases, beta.label) == (True, None)
    [plain] = contexts["plain"]
    assert (plain.allow_prereleases, plain.label) == (False, None)
    [zeta] = contexts["zeta"]
    assert zeta.python == parse_constraint(">=3.11,<4.0")


def test_a_candidate_without_lock_dependencies_has_no_context() -> None:
    out = _classify(PROJECT, deps=False)
    assert [c.contexts for c in out.candidates] == [(), (), (), ()]


def test_scope_selects_excludes_and_zero_caret() -> None:
    groups = frozenset({"main"})
    only = _classify(PROJECT, Scope(groups, packages=frozenset({"plain"})))
    assert [c.decl.name for c in only.candidates] == ["plain"]
    frozen = {str(f.decl.name): (f.why, f.python) for f in only.fixed}
    assert frozen["zeta"] == ("not-selected", parse_constraint(">=3.11,<4.0"))
    assert frozen["torch"] == ("not-selected", parse_constraint(PYTHON))
    assert only.fixed[0].constraint == parse_constraint("^0.3")

    out = _classify(PROJECT, Scope(groups, exclude=frozenset({"zeta"}), exclude_zero_caret=True))
    assert [c.decl.name for c in out.candidates] == ["torch", "beta", "plain"]
    assert [(h.decl.name, h.reason) for h in out.held if isinstance(h.reason, Excluded)] == [
        ("zeta", Excluded("exclude"))
    ]
    assert out.fixed[0].why == "excluded"

    zero = _classify(PROJECT, Scope(groups, exclude_zero_caret=True))
    assert [c.decl.name for c in zero.candidates] == ["torch", "beta", "plain"]
    assert (zero.held[0].decl.name, zero.held[0].reason) == ("zeta", Excluded("zero-caret"))
    assert (zero.fixed[0].decl.name, zero.fixed[0].why) == ("zeta", "zero-caret")
    assert zero.fixed[0].python == parse_constraint(">=3.11,<4.0")

    caret = _classify(PROJECT.replace('"^0.3"', '"^1.3"'), Scope(groups, exclude_zero_caret=True))
    assert "zeta" in [c.decl.name for c in caret.candidates]


def test_an_entry_outside_the_groups_constrains_with_the_projects_pythons() -> None:
    pyproject = (
        '[project]\nname = "p"\nrequires-python = ">=3.10,<4.0"\n'
        'dependencies = ["anyver", "zeta>=1; python_version >= \'3.11\'"]\n'
        '[dependency-groups]\ndev = ["fmt>=2"]\n'
    )
    out = _classify(pyproject, Scope(frozenset({"dev"})), deps=False)
    assert [c.decl.name for c in out.candidates] == ["fmt"]
    fixed = {str(f.decl.name): f for f in out.fixed}
    assert {name: f.why for name, f in fixed.items()} == {"anyver": "group", "zeta": "group"}
    # no version written is any version, as Poetry reads it
    assert fixed["anyver"].constraint == parse_constraint("*")
    assert fixed["zeta"].python == parse_constraint(PYTHON)  # no lock dependencies given
    with_deps = {str(f.decl.name): f for f in _classify(pyproject, Scope(frozenset({"dev"}))).fixed}
    assert with_deps["zeta"].python == parse_constraint(">=3.11,<4.0")


# --- take: undeclared members of a moving family -----------------------------------------


def test_locked_companions_are_the_undeclared_members_of_a_moving_family() -> None:
    pyproject = (
        f'[tool.poetry.dependencies]\npython = "{PYTHON}"\njax = ">=0.7"\ntorch = ">=2.8"\n'
        'numpy = ">=2"\nfoo = ">=1"\n'
    )
    decls = declarations.read(edits.parse(pyproject))
    out = _classify(pyproject)
    locked = {
        name: ("1.0",)
        for name in (
            "Jax_Cuda12_Plugin",
            "jax-cuda12-pjrt",
            "jaxlib",
            "jax",
            "numpy",
            "torchvision",
            "scipy",
            "torch-ext",
            "zoo-ext",
        )
    }
    python = parse_constraint(">=3.11")
    found = locked_companions(
        out.candidates,
        decls,
        locked,
        {"jaxlib": "jax-src"},
        python,
        (("foo", "zoo-ext"), ("torch", "torch-ext")),
    )
    assert {str(c.name): c.context for c in found} == {
        name: Context(Query(canonicalize_name(name), source), python, False, None)
        for name, source in [
            ("jax-cuda12-pjrt", None),
            ("jax-cuda12-plugin", None),
            ("jaxlib", "jax-src"),
            ("zoo-ext", None),
        ]
    }
    # torchvision, and torch-ext linked with torch, follow torch in the lock itself (the
    # name after them is still read); numpy and scipy are in no family.
    lone = [c for c in out.candidates if c.decl.name == "numpy"]
    assert locked_companions(lone, decls, locked, {}, python, ()) == []
