"""Choosing versions, with literal release lists: lockstep, families, Python, pins, reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry.core.constraints.version import Version
from poetry.core.constraints.version import parse_constraint

from poetry_platform.index.model import Query
from poetry_platform.index.model import Release
from poetry_platform.up import declarations
from poetry_platform.up import edits
from poetry_platform.up.constraints import Rules
from poetry_platform.up.plan import Plan
from poetry_platform.up.plan import make_plan
from poetry_platform.up.report import reason_text
from poetry_platform.up.take import Candidate
from poetry_platform.up.take import Companion
from poetry_platform.up.take import Context
from poetry_platform.up.take import Fixed
from poetry_platform.up.take import Scope
from poetry_platform.up.take import classify

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

PYTHON = ">=3.10,<4.0"


def rel(version: str, repo: str = "local", python: str | None = ">=3.10") -> Release:
    return Release(
        Version.parse(version),
        repo,
        parse_constraint(python) if python else None,
        python,
    )


def plan_for(
    pyproject: str,
    releases: Mapping[Query, list[Release]],
    *,
    rules: Rules | None = None,
    python: str = PYTHON,
    groups: Iterable[str] | None = None,
    linked: Iterable[Iterable[str]] = (),
    companions: Iterable[Companion] = (),
    exclude: Iterable[str] = (),
) -> Plan:
    rules = rules or Rules()
    decls = declarations.read(edits.parse(pyproject))
    deps = declarations.lookup_dependencies(decls.items, decls.items)
    project_python = parse_constraint(python)
    classified = classify(
        decls,
        deps,
        Scope(
            groups=frozenset(groups if groups is not None else decls.groups),
            exclude=frozenset(exclude),
        ),
        rules,
        project_python,
    )
    plan = make_plan(
        classified.candidates,
        classified.fixed,
        list(companions),
        releases,
        strategy=rules.strategy,
        project_python=project_python,
        linked=linked,
    )
    plan.held[:0] = classified.held
    return plan


def changes(plan: Plan) -> dict[str, str]:
    return {f"{c.decl.pretty_name}@{c.decl.key}": c.new for c in plan.changes}


def new_of(plan: Plan, name: str) -> list[str]:
    return [c.new for c in plan.changes if c.decl.name == name]


def held_of(plan: Plan, name: str) -> list[tuple[str, str]]:
    return [(h.kind, reason_text(h.reason)) for h in plan.held if h.decl.name == name]


def note(plan: Plan, index: int = 0) -> str | None:
    reason = plan.changes[index].note
    return None if reason is None else reason_text(reason)


def q(name: str, source: str | None = None) -> Query:
    return Query(name, source)  # type: ignore[arg-type]


def test_bumps_inside_the_range_by_default_and_past_it_with_latest() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["numpy>=1.26,<2"]\n'
    releases = {q("numpy"): [rel("1.26.4"), rel("1.26.5"), rel("2.2.6")]}
    assert new_of(plan_for(pyproject, releases), "numpy") == [">=1.26.5,<2"]
    assert new_of(plan_for(pyproject, releases, rules=Rules(latest=True)), "numpy") == [
        ">=2.2.6,<3"
    ]


def test_a_release_that_drops_a_supported_python_is_not_eligible() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["numpy>=1.26"]\n'
    releases = {q("numpy"): [rel("1.26.4"), rel("2.2.6"), rel("2.3.2", python=">=3.11")]}
    plan = plan_for(pyproject, releases)
    assert new_of(plan, "numpy") == [">=2.2.6"]
    assert note(plan) == (
        "held back by Python: numpy 2.3.2 and later need Python >=3.11;"
        " this entry is used on Python 3.10 and later"
    )
    # a project that only supports 3.11+ takes it
    assert new_of(plan_for(pyproject, releases, python=">=3.11"), "numpy") == [">=2.3.2"]


def test_an_entry_restricted_to_newer_pythons_may_take_it() -> None:
    pyproject = """
[tool.poetry.dependencies]
python = ">=3.10"
numpy = [
    { version = "^1.26", python = "<3.11" },
    { version = "^2.0", python = ">=3.11" },
]
"""
    releases = {q("numpy"): [rel("1.26.4"), rel("2.2.6"), rel("2.3.2", python=">=3.11")]}
    plan = plan_for(pyproject, releases, rules=Rules(latest=True), python=">=3.10")
    # split on purpose by Python: independent units, each with its own newest release
    assert new_of(plan, "numpy") == ["^2.2.6", "^2.3.2"]


def test_entries_of_one_package_move_in_lockstep_keeping_local_labels() -> None:
    pyproject = """
[tool.poetry.dependencies]
python = ">=3.10"
torch = [
    { version = "2.8.0+cpu", source = "torch-cpu", markers = "extra == 'cpu'" },
    { version = "2.8.0+cu130", source = "torch-cu130", markers = "extra == 'cu130'" },
]
"""
    releases = {
        q("torch", "torch-cpu"): [
            rel("2.8.0+cpu", "torch-cpu"),
            rel("2.9.0+cpu", "torch-cpu"),
            rel("2.9.1+cpu", "torch-cpu"),
        ],
        q("torch", "torch-cu130"): [
            rel("2.8.0+cu130", "torch-cu130"),
            rel("2.9.0+cu130", "torch-cu130"),
        ],
    }
    plan = plan_for(pyproject, releases, rules=Rules(pinned=True), python=">=3.10")
    assert new_of(plan, "torch") == ["2.9.0+cpu", "2.9.0+cu130"]
    assert len(plan.units()) == 1
    assert note(plan) == ("held back by another variant: no torch 2.9.1 in source torch-cu130")


def test_pep621_entry_is_looked_up_in_the_sources_tool_poetry_names() -> None:
    pyproject = """
[project]
name = "p"
dependencies = ["private-lib>=1.0"]
[tool.poetry.dependencies]
private-lib = { source = "private" }
"""
    releases = {
        q("private-lib", "private"): [rel("1.0", "private"), rel("1.4", "private")],
        q("private-lib"): [rel("9.9")],  # a public namesake must never win
    }
    assert new_of(plan_for(pyproject, releases), "private-lib") == [">=1.4"]


def test_pep621_entry_takes_python_and_prereleases_from_tool_poetry() -> None:
    pyproject = """
[project]
name = "p"
requires-python = ">=3.10"
dependencies = ["a>=1.0", "b>=1.0"]
[tool.poetry.dependencies]
a = { python = ">=3.11" }
b = { allow-prereleases = true }
"""
    releases = {
        q("a"): [rel("1.0"), rel("1.5", python=">=3.11")],
        q("b"): [rel("1.0"), rel("2.0rc1")],
    }
    plan = plan_for(pyproject, releases, python=">=3.10")
    assert new_of(plan, "a") == [">=1.5"]  # only used on 3.11+, so a 3.11+ release fits
    assert new_of(plan, "b") == [">=2.0rc1"]


def test_jax_family_moves_together_and_waits_for_its_slowest_member() -> None:
    pyproject = """
[project]
name = "p"
dependencies = ["jax>=0.6.2", "jaxlib>=0.6.2"]
"""
    releases = {
        q("jax"): [rel("0.6.2"), rel("0.7.0"), rel("0.7.1")],
        q("jaxlib"): [rel("0.6.2"), rel("0.7.0")],
    }
    plan = plan_for(pyproject, releases)
    assert new_of(plan, "jax") == [">=0.7.0"]
    assert new_of(plan, "jaxlib") == [">=0.7.0"]
    assert note(plan) == "held back by a linked package: no jaxlib 0.7.1 in default sources"


def test_a_locked_family_member_the_project_does_not_declare_counts_too() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["jax>=0.6.2"]\n'
    releases = {
        q("jax"): [rel("0.6.2"), rel("0.7.0"), rel("0.7.1")],
        q("jax-cuda13-plugin"): [rel("0.6.2"), rel("0.7.0")],
    }
    plugin = Companion(
        "jax-cuda13-plugin",  # type: ignore[arg-type]
        Context(q("jax-cuda13-plugin"), parse_constraint(PYTHON), False, None),
    )
    plan = plan_for(pyproject, releases, companions=[plugin])
    assert new_of(plan, "jax") == [">=0.7.0"]


def test_user_declared_linked_family() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["boto3>=1.39", "botocore>=1.39"]\n'
    releases = {
        q("boto3"): [rel("1.39.17"), rel("1.40.0"), rel("1.40.1")],
        q("botocore"): [rel("1.39.17"), rel("1.40.0")],
    }
    unlinked = plan_for(pyproject, releases)
    assert new_of(unlinked, "boto3") == [">=1.40.1"]
    linked = plan_for(pyproject, releases, linked=[("boto3", "botocore")])
    assert new_of(linked, "boto3") == [">=1.40"]
    assert new_of(linked, "botocore") == [">=1.40"]


def test_an_entry_that_does_not_move_still_bounds_its_package() -> None:
    pyproject = """
[project]
name = "p"
dependencies = ["numpy>=1.26"]
[dependency-groups]
legacy = ["numpy==1.26.4"]
"""
    releases = {q("numpy"): [rel("1.26.4"), rel("2.2.6")]}
    plan = plan_for(pyproject, releases)
    assert new_of(plan, "numpy") == [">=1.26.4"]
    assert note(plan) == (
        "held back by numpy ==1.26.4 in [dependency-groups] legacy"
        " (an exact pin; --pinned moves it)"
    )
    # another group outside the scope also bounds the package
    scoped = plan_for(pyproject, releases, rules=Rules(pinned=True), groups=["main"])
    assert new_of(scoped, "numpy") == [">=1.26.4"]
    assert note(scoped) == (
        "held back by numpy ==1.26.4 in [dependency-groups] legacy (its group is not selected)"
    )


def test_yanked_and_pre_releases_are_filtered_by_lookup_and_by_constraint() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["a>=1.0", "b>=2.0b1"]\n'
    releases = {
        q("a"): [rel("1.0"), rel("1.1"), rel("2.0rc1")],
        q("b"): [rel("2.0b1"), rel("2.0b2")],
    }
    plan = plan_for(pyproject, releases)
    assert new_of(plan, "a") == [">=1.1"]  # a pre-release only where already allowed
    assert new_of(plan, "b") == [">=2.0b2"]


def test_allow_prereleases_in_tool_poetry_enables_them() -> None:
    pyproject = """
[tool.poetry.dependencies]
python = ">=3.10"
a = { version = "^1.0", allow-prereleases = true }
"""
    releases = {q("a"): [rel("1.0"), rel("1.1"), rel("1.2b1")]}
    assert new_of(plan_for(pyproject, releases, python=">=3.10"), "a") == ["^1.2b1"]


def test_skips_come_with_reasons() -> None:
    pyproject = """
[project]
name = "p"
dependencies = ["a==1.0", "b>=1", "c @ git+https://example.invalid/c.git", "d>=1"]
"""
    releases = {q("b"): [rel("1.0")], q("d"): [rel("1.0"), rel("2.0")]}
    plan = plan_for(pyproject, releases, exclude=["d"])
    assert held_of(plan, "a") == [("pinned", "exact pin (use --pinned to bump pins)")]
    assert held_of(plan, "b") == [("no-newer", "no newer release (1.0 is the newest)")]
    assert held_of(plan, "c") == [("not-index", "from vcs: not bumped")]
    assert held_of(plan, "d") == [("excluded", "excluded (--exclude)")]
    assert not plan.changes


def test_unknown_requires_python_is_listed_for_verification() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["a>=1.0"]\n'
    releases = {q("a"): [rel("1.0"), rel("1.1", python=None)]}
    plan = plan_for(pyproject, releases)
    assert [(name, str(r.version)) for name, r in plan.unknown_python] == [("a", "1.1")]


def test_widen_moves_only_an_upper_bound_that_excludes_the_newest() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["a>=1.0,<2", "b>=1.0,<3"]\n'
    releases = {q("a"): [rel("1.0"), rel("2.1")], q("b"): [rel("1.0"), rel("2.1")]}
    plan = plan_for(pyproject, releases, rules=Rules(strategy="widen"))
    assert new_of(plan, "a") == [">=1.0,<3"]
    assert new_of(plan, "b") == []


MIXED = """
[project]
name = "p"
requires-python = ">=3.10,<3.14"
dependencies = ["alpha>=1.0", "pinned==1.0"]

[tool.poetry.group.cloud.dependencies]
beta = [
    { version = "^1.0", python = "<3.12" },
    { version = "^1.0", python = ">=3.12" },
]
"""
MIXED_RELEASES = {
    q("alpha"): [rel("1.0"), rel("1.5"), rel("2.0", python=">=3.13"), rel("2.1", python=">=3.13")],
    q("beta"): [
        rel("1.0"),
        rel("1.1"),
        rel("2.0", python=">=3.12"),
        rel("2.1", python=">=3.12"),
        rel("3.0", python=">=3.13"),
    ],
    q("pinned"): [rel("1.0"), rel("1.1", python=">=3.12"), rel("1.2", python=">=3.12")],
}


def test_one_requires_python_rule_for_every_path() -> None:
    """bump, --latest, widen and --pinned: a release every Python of the entry can use."""
    python = ">=3.10,<3.14"
    for rules in (Rules(), Rules(latest=True), Rules(strategy="widen"), Rules(pinned=True)):
        plan = plan_for(MIXED, MIXED_RELEASES, rules=rules, python=python)
        chosen = {(c.decl.name, c.decl.key[-9:]): c.version.to_string() for c in plan.changes}
        for (name, _), version in chosen.items():
            assert not (name == "alpha" and version.startswith("2")), (rules, chosen)
            assert not (name == "pinned" and version != "1.0"), (rules, chosen)
    latest = plan_for(MIXED, MIXED_RELEASES, rules=Rules(latest=True), python=python)
    # the list entry used on 3.10-3.11 stays on 1.x; the one used on 3.12-3.13 takes 2.1,
    # not 3.0 (which needs 3.13)
    assert new_of(latest, "beta") == ["^1.1", "^2.1"]
    assert new_of(latest, "alpha") == [">=1.5"]


def test_the_held_back_note_names_the_first_blocked_release() -> None:
    plan = plan_for(MIXED, MIXED_RELEASES, rules=Rules(latest=True), python=">=3.10,<3.14")
    notes = {c.decl.key: c.note for c in plan.changes}
    texts = sorted(reason_text(n) for n in notes.values() if n is not None)
    assert texts == [
        "held back by Python: alpha 2.0 and later need Python >=3.13;"
        " this entry is used on Python 3.10-3.13",
        "held back by Python: beta 2.0 and later need Python >=3.12;"
        " this entry is used on Python 3.10-3.11",
        "held back by Python: beta 3.0 and later need Python >=3.13;"
        " this entry is used on Python 3.12-3.13",
    ]
    held = held_of(plan_for(MIXED, MIXED_RELEASES, rules=Rules(pinned=True)), "pinned")
    assert held == [
        (
            "python",
            "held back by Python: pinned 1.1 and later need Python >=3.12;"
            " this entry is used on Python 3.10 and later",
        )
    ]


def test_a_blocked_release_with_a_usable_one_after_it_is_not_and_later() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["a>=1.0", "b>=1.0"]\n'
    releases = {
        q("a"): [rel("1.0"), rel("1.1", python=">=3.12"), rel("1.2")],
        q("b"): [rel("1.0"), rel("1.1")],  # no 1.2: linked
    }
    plan = plan_for(pyproject, releases, linked=[("a", "b")])
    assert new_of(plan, "a") == []  # held at 1.0: 1.1 is blocked, 1.2 lacks b
    assert held_of(plan, "a") == [
        (
            "python",
            "held back by Python: a 1.1 needs Python >=3.12; this entry is used on"
            " Python 3.10 and later",
        )
    ]


def test_a_source_that_could_not_be_read_holds_its_whole_unit() -> None:
    from poetry_platform.index.model import Unreadable

    pyproject = '[project]\nname = "p"\ndependencies = ["jax>=0.6", "jaxlib>=0.6", "c>=1"]\n'
    releases = {
        q("jax"): [rel("0.6"), rel("0.7")],
        q("c"): [rel("1.0"), rel("2.0")],
    }
    error = Unreadable("private", "http://***@127.0.0.1/simple/jaxlib/", 401, "HTTP 401")
    plan = make_plan(
        *_classified(pyproject),
        [],
        releases,
        strategy="bump",
        project_python=parse_constraint(PYTHON),
        unreadable={q("jaxlib"): error},
    )
    assert new_of(plan, "c") == [">=2"]
    assert {h.decl.name: h.kind for h in plan.held} == {"jax": "unreadable", "jaxlib": "unreadable"}
    assert {reason_text(h.reason) for h in plan.held} == {
        "could not read source private (HTTP 401 at http://***@127.0.0.1/simple/jaxlib/)"
    }


def _classified(pyproject: str, rules: Rules | None = None) -> tuple[list[Candidate], list[Fixed]]:
    decls = declarations.read(edits.parse(pyproject))
    deps = declarations.lookup_dependencies(decls.items, decls.items)
    c = classify(
        decls,
        deps,
        Scope(groups=frozenset(decls.groups)),
        rules or Rules(),
        parse_constraint(PYTHON),
    )
    return c.candidates, c.fixed


def test_an_unverified_requires_python_is_not_a_candidate_in_the_final_plan() -> None:
    pyproject = '[project]\nname = "p"\ndependencies = ["a>=1.0"]\n'
    releases = {q("a"): [rel("1.0"), rel("1.1", python=None)]}
    candidates, fixed = _classified(pyproject)
    final = make_plan(
        candidates,
        fixed,
        [],
        releases,
        strategy="bump",
        project_python=parse_constraint(PYTHON),
        trust_unknown=False,
    )
    assert new_of(final, "a") == []


TORCH_PROJECT = """
[tool.poetry.dependencies]
python = ">=3.10"
torch = [
    { version = "2.8.0+cpu", source = "torch-cpu", markers = "extra == 'cpu'" },
    { version = "2.8.0+cu130", source = "torch-cu130", markers = "extra == 'cu130'" },
]
torchvision = [
    { version = "0.23.0+cpu", source = "torch-cpu", markers = "extra == 'cpu'" },
    { version = "0.23.0+cu130", source = "torch-cu130", markers = "extra == 'cu130'" },
]
torchaudio = { version = ">=2.8", source = "torch-cpu" }
"""
# torchvision/torchaudio release -> the torch it is built for (PyTorch's metadata pins it)
BUILT_FOR = {
    "torchvision": {
        "0.22.0": "2.7.0",
        "0.23.0": "2.8.0",
        "0.24.0": "2.9.0",
        "0.24.1": "2.9.1",
        "0.25.0": "2.10.0",
    },
    "torchaudio": {"2.8.0": "2.8.0", "2.9.0": "2.9.0", "2.9.1": "2.9.1", "2.10.0": "2.10.0"},
}


def torch_releases(
    torch: dict[str, tuple[str, ...]], companions: dict[str, tuple[str, ...]]
) -> dict[Query, list[Release]]:
    out: dict[Query, list[Release]] = {}
    for label, versions in torch.items():
        source = f"torch-{label}"
        out[q("torch", source)] = [rel(f"{v}+{label}", source) for v in versions]
        for name, built in BUILT_FOR.items():
            mine = [v for v in built if built[v] in versions or v in companions.get(label, ())]
            out[q(name, source)] = [rel(f"{v}+{label}", source) for v in mine]
    return out


def requirements_for(releases: Mapping[Query, list[Release]]) -> dict[tuple[str, str, str], str]:
    out = {}
    for query, found in releases.items():
        if query.name in BUILT_FOR:
            for r in found:
                public = r.version.without_local().to_string()
                out[(str(query.name), r.version.to_string(), r.repository)] = (
                    f"=={BUILT_FOR[query.name][public]}"
                )
    return out


def torch_plan(
    releases: Mapping[Query, list[Release]],
    requirements: Mapping[tuple[str, str, str], str] | None,
    *,
    trust_unknown: bool = True,
) -> Plan:
    candidates, fixed = _classified(TORCH_PROJECT, Rules(pinned=True))
    return make_plan(
        candidates,
        fixed,
        [],
        releases,
        strategy="bump",
        project_python=parse_constraint(">=3.10"),
        requirements=requirements,
        trust_unknown=trust_unknown,
    )


def test_torch_companions_move_to_the_release_built_for_the_new_torch() -> None:
    releases = torch_releases(
        {"cpu": ("2.8.0", "2.9.0", "2.9.1"), "cu130": ("2.8.0", "2.9.0", "2.9.1")}, {}
    )
    plan = torch_plan(releases, requirements_for(releases))
    assert changes(plan) == {
        "torch@tool/poetry/dependencies/torch/0/version": "2.9.1+cpu",
        "torch@tool/poetry/dependencies/torch/1/version": "2.9.1+cu130",
        # each keeps its local label; pins stay pins
        "torchvision@tool/poetry/dependencies/torchvision/0/version": "0.24.1+cpu",
        "torchvision@tool/poetry/dependencies/torchvision/1/version": "0.24.1+cu130",
        # a range never gets a local label (PEP 440)
        "torchaudio@tool/poetry/dependencies/torchaudio/version": ">=2.9.1",
    }
    assert len(plan.units()) == 1  # torch and its companions are one unit
    assert not plan.unknown_requirements


def test_torch_waits_for_its_companions_and_says_which() -> None:
    # torch 2.10.0 is out on both indexes, torchvision 0.25.0 only on the CPU one
    releases = torch_releases(
        {"cpu": ("2.8.0", "2.9.0", "2.10.0"), "cu130": ("2.8.0", "2.9.0", "2.10.0")},
        {"cpu": ("0.25.0",)},
    )
    releases[q("torchvision", "torch-cu130")] = [
        r
        for r in releases[q("torchvision", "torch-cu130")]
        if not r.version.text.startswith("0.25")
    ]
    plan = torch_plan(releases, requirements_for(releases))
    assert new_of(plan, "torch") == ["2.9.0+cpu", "2.9.0+cu130"]
    assert new_of(plan, "torchvision") == ["0.24.0+cpu", "0.24.0+cu130"]
    notes = {c.decl.key: reason_text(c.note) for c in plan.changes if c.note is not None}
    assert notes["tool/poetry/dependencies/torch/0/version"] == (
        "held back by torchvision: none of its releases in source torch-cu130 is built for"
        " torch 2.10.0"
    )
    assert notes["tool/poetry/dependencies/torchvision/0/version"] == (
        "held back by torch: torchvision 0.25.0 needs torch ==2.10.0; torch is at 2.9.0"
    )


def test_companion_requirements_are_read_only_where_needed_and_trusted_only_while_unknown() -> None:
    releases = torch_releases(
        {"cpu": ("2.8.0", "2.9.0", "2.9.1"), "cu130": ("2.8.0", "2.9.0", "2.9.1")}, {}
    )
    releases[q("torchvision", "torch-cpu")].append(rel("0.22.0+cpu", "torch-cpu"))
    first = torch_plan(releases, None)
    wanted = {(name, r.version.to_string()) for name, r in first.unknown_requirements}
    # every companion release from the current one up, in one round: 3 per source and package
    assert ("torchvision", "0.24.1+cpu") in wanted
    assert ("torchvision", "0.22.0+cpu") not in wanted  # below the pinned 0.23.0: not needed
    assert all(name in BUILT_FOR for name, _ in wanted)
    known = requirements_for(releases)
    second = torch_plan(releases, {k: v for k, v in known.items() if (k[0], k[1]) in wanted})
    assert not second.unknown_requirements  # one round of reads settles it
    assert new_of(second, "torchvision") == ["0.24.1+cpu", "0.24.1+cu130"]
    # not known and no longer trusted: nothing is proposed for the companions
    final = torch_plan(releases, None, trust_unknown=False)
    assert new_of(final, "torchvision") == []


IGNORED = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["numpy>=1.0"]

[dependency-groups]
test = ["pytest>=8.0"]

[tool.poetry.dependencies]
numpy = { source = "local" }
ghost = "^1.0"

[tool.poetry.group.test.dependencies]
phantom = "^1.0"

[tool.poetry.group.lint.dependencies]
ruff = "^1.0"
"""


def test_tool_poetry_entries_poetry_does_not_lock_are_held_not_bumped() -> None:
    releases = {q(n): [rel("1.0"), rel("1.1")] for n in ("ghost", "phantom", "ruff")}
    releases[q("numpy", "local")] = [rel("1.0"), rel("1.1")]
    releases[q("pytest")] = [rel("8.0"), rel("8.1")]
    plan = plan_for(IGNORED, releases)
    # [project] and [dependency-groups] list main's and test's dependencies: Poetry locks
    # neither ghost nor phantom; lint has no PEP 735 list, so its [tool.poetry] entry counts
    assert sorted(c.decl.name for c in plan.changes) == ["numpy", "pytest", "ruff"]
    assert held_of(plan, "ghost") == [
        (
            "ignored",
            "not locked by Poetry: [project] dependencies lists this group's dependencies,"
            " and [tool.poetry] entries only add details to those",
        )
    ]
    assert held_of(plan, "phantom")[0][1].startswith(
        "not locked by Poetry: [dependency-groups] test lists"
    )


def test_dynamic_dependencies_take_the_other_kind_of_tool_poetry_entries() -> None:
    # poetry-core: with "dependencies" dynamic and only required [project] entries, the
    # optional [tool.poetry] ones are added (and the reverse)
    text = IGNORED.replace(
        'dependencies = ["numpy>=1.0"]',
        'dependencies = ["numpy>=1.0"]\ndynamic = ["dependencies"]',
    ).replace('ghost = "^1.0"', 'ghost = { version = "^1.0", optional = true }\nplain = "^1.0"')
    decls = declarations.read(edits.parse(text))
    ignored = {d.name: d.ignored_for for d in decls.items if d.group == "main"}
    assert ignored == {"numpy": None, "ghost": None, "plain": "[project] dependencies"}


def test_a_build_the_constraint_excludes_is_never_the_bump() -> None:
    # `!=2.9.0+cpu` (a broken build) once let 2.9.0+cpu in through its public version, and
    # the bump wrote `>=2.9.0+cpu,!=2.9.0+cpu`.
    pyproject = (
        f'[tool.poetry.dependencies]\npython = "{PYTHON}"\n'
        'torch = { version = ">=2.8.0+cpu,!=2.9.0+cpu", source = "torch-cpu" }\n'
    )
    releases = {q("torch", "torch-cpu"): [rel("2.8.0+cpu"), rel("2.9.0+cpu")]}
    assert changes(plan_for(pyproject, releases)) == {}
    releases[q("torch", "torch-cpu")].append(rel("2.9.1+cpu"))
    assert new_of(plan_for(pyproject, releases), "torch") == [">=2.9.1+cpu,!=2.9.0+cpu"]


def test_excluding_a_release_candidate_does_not_ask_for_pre_releases() -> None:
    # PEP 440 as packaging reads it: `!=2.1.0rc1` names a pre-release only to leave it out.
    pyproject = f'[tool.poetry.dependencies]\npython = "{PYTHON}"\na = ">=2.0,!=2.1.0rc1"\n'
    releases = {q("a"): [rel("2.0"), rel("2.1.0rc1"), rel("2.2.0b1")]}
    assert changes(plan_for(pyproject, releases)) == {}
    releases[q("a")].append(rel("2.1.0"))
    assert new_of(plan_for(pyproject, releases), "a") == [">=2.1,!=2.1.0rc1"]
