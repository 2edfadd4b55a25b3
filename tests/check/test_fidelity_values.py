"""The fidelity verdict's evidence, value by value: what `platform-check` and
`platform-install` show (every cause, the fix offered, who requires a forbidden package),
not only whether the promise holds. Hand-written locks read by Poetry's `Locker`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from poetry_platform.check.declared import Declared
from poetry_platform.check.fidelity import Fidelity
from poetry_platform.check.fidelity import judge
from poetry_platform.check.remedies import remedies
from poetry_platform.lockset.install_set import marker_environment
from poetry_platform.lockset.install_set import select_locked
from poetry_platform.lockset.problems import Cause
from poetry_platform.lockset.problems import ForbiddenPackage
from poetry_platform.lockset.problems import MissingAccelerator
from poetry_platform.lockset.problems import Problem
from poetry_platform.model import Promise
from poetry_platform.model import Variant
from tests.check.test_fidelity import JAX_REQUIREMENTS
from tests.check.test_fidelity import SPLIT
from tests.check.test_fidelity import Lock
from tests.check.test_fidelity import entry
from tests.check.test_fidelity import requirement
from tests.check.test_fidelity import variants

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package

NO_CUDA13 = Cause(
    'jax[cuda13]>=0.6.2 ; sys_platform == "linux" and extra == "cuda13"',
    "no-extra",
    "jax",
    "0.6.2",
    "cuda13",
    "3.11",
    ("cuda12",),
    "0.7.2",
    ">=3.12",
)


def test_a_missing_accelerator_carries_the_whole_verdict(tmp_path: Path) -> None:
    fidelity = Lock(tmp_path, SPLIT).judge(
        variants("cuda12", "cuda13")["cuda13"], JAX_REQUIREMENTS, python="3.11.4"
    )
    missing = MissingAccelerator(
        "cuda13",
        "3.11",
        "family",
        ("jax-cuda13-plugin", "jaxlib+cuda13*"),
        ("JAX",),
        ("cuda13",),
        (NO_CUDA13,),
        tuple(remedies((NO_CUDA13,), "3.11", "gpu", None, None)),
    )
    assert fidelity == Fidelity("cuda13", missing=missing)
    assert [r.kind for r in missing.remedies] == ["raise-floor", "narrow-python", "drop-python"]
    assert fidelity.problems() == [Problem("missing-accelerator", missing)]


def index(name: str, extra: str) -> tuple[str, str]:
    """The index's first release of jax with cuda13 (the only one any test asks about)."""
    assert (name, extra) == ("jax", "cuda13")
    return ("0.7.2", ">=3.11")


def judge_split(
    tmp_path: Path,
    variant: Variant,
    requirements: Sequence[Dependency],
    *,
    python: str = "3.11.4",
    packages: list[dict[str, object]] | None = None,
    declared: Declared | None = None,
    without: Sequence[Package] | None = None,
) -> Fidelity:
    """`judge` as `platform-check` calls it, with the fixes' inputs passed through."""
    lock = Lock(tmp_path, SPLIT if packages is None else packages)
    env = marker_environment("linux", "x86_64", python)
    selected = select_locked(lock.locked, env, ["main"], variant.extras)

    def without_extras() -> Sequence[Package]:
        if without is None:
            raise AssertionError("the set without extras is only read for the generic rule")
        return without

    return judge(
        variant,
        python=python.rsplit(".", 1)[0],
        selected=selected,
        without_extras=without_extras,
        locked=lock.locked,
        relations=lock.relations_of,
        requirements=requirements,
        marker_env=env,
        target="gpu",
        first_release=index,
        declared=declared,
    )


def test_the_fixes_get_the_python_the_target_the_index_and_the_declared_requirements(
    tmp_path: Path,
) -> None:
    declared = Declared(">=3.10", ("jax>=0.6.2",), (("cuda13", ("jax[cuda13]>=0.6.2",)),))
    cuda13 = variants("cuda12", "cuda13")["cuda13"]
    fidelity = judge_split(tmp_path, cuda13, JAX_REQUIREMENTS, declared=declared)
    assert fidelity.missing is not None
    assert fidelity.missing.remedies == tuple(
        remedies(fidelity.missing.causes, "3.11", "gpu", index, declared)
    )
    assert fidelity.missing.remedies[0].found_by == "index"
    assert fidelity.missing.remedies[0].requires_python == ">=3.11"


def test_every_requirement_needing_the_extra_is_diagnosed(tmp_path: Path) -> None:
    """Not only the first: each of the project's requirements in the variant's extras gets
    its cause, in the order pyproject lists them; one for another extra gets none."""
    requirements = [
        requirement("jax>=0.6.2"),
        requirement("jax[cuda12]>=0.6.2", "cuda12"),
        requirement("jax[cuda13]>=0.7.2 ; python_version >= '3.12'", "cuda13"),
        requirement("jax-cuda13-plugin", "cuda13"),
        requirement("jax[cuda13]>=0.6.2", "cuda13"),
    ]
    fidelity = Lock(tmp_path, SPLIT).judge(variants("cuda13")["cuda13"], requirements)
    assert fidelity.missing is not None
    assert fidelity.missing.causes == (
        Cause(
            'jax[cuda13]>=0.7.2 ; python_version >= "3.12" and extra == "cuda13"',
            "not-applicable",
            "jax",
            None,
            None,
            "3.11",
        ),
        Cause(
            'jax-cuda13-plugin ; extra == "cuda13"',
            "not-selected",
            "jax-cuda13-plugin",
            None,
            None,
            "3.11",
        ),
        replace(NO_CUDA13, requirement='jax[cuda13]>=0.6.2 ; extra == "cuda13"'),
    )


def test_the_oldest_locked_release_with_the_extra_is_named(tmp_path: Path) -> None:
    newer = entry(
        "jax",
        "0.8.0",
        markers='python_version >= "3.13"',
        python=">=3.13",
        extras={"cuda13": ['jax-cuda13-plugin (==0.8.0) ; sys_platform == "linux"']},
    )
    packages = [newer, *SPLIT]
    fidelity = Lock(tmp_path, packages).judge(
        variants("cuda13")["cuda13"], JAX_REQUIREMENTS, python="3.11.4"
    )
    assert fidelity.missing is not None
    assert [(c.first_with_extra, c.first_with_extra_python) for c in fidelity.missing.causes] == [
        ("0.7.2", ">=3.12")
    ]


def test_an_extra_whose_packages_are_installed_is_not_a_cause(tmp_path: Path) -> None:
    """A declared `provides` the extra does not bring (the lock has it for other Pythons):
    the extra itself did its job, so it is not named as the cause."""
    gpu = Variant("gpu", ("cuda12",), promise=Promise(provides=("jax-cuda13-plugin",)))
    requirements = [requirement("jax>=0.6.2"), requirement("jax[cuda12]>=0.6.2", "cuda12")]
    fidelity = judge_split(tmp_path, gpu, requirements)
    assert fidelity.missing is not None
    assert (fidelity.missing.rule, fidelity.missing.patterns) == (
        "declared",
        ("jax-cuda13-plugin",),
    )
    assert (fidelity.missing.families, fidelity.missing.causes) == ((), ())


def test_a_declared_provides_is_kept_by_any_matching_package(tmp_path: Path) -> None:
    gpu = Variant("gpu", ("cuda12",), promise=Promise(provides=("nvidia-*", "jax-cuda12-*")))
    requirements = [requirement("jax[cuda12]>=0.6.2", "cuda12")]
    assert judge_split(tmp_path, gpu, requirements) == Fidelity(
        "gpu", delivered_by=("jax-cuda12-plugin 0.6.2",)
    )


def test_a_variant_without_extras_or_promise_is_not_judged(tmp_path: Path) -> None:
    plain = Variant("plain")
    assert judge_split(tmp_path, plain, JAX_REQUIREMENTS) == Fidelity("plain")
    no_generic = Variant("extra", ("cuda12",), promise=Promise(generic=False))
    assert judge_split(tmp_path, no_generic, JAX_REQUIREMENTS) == Fidelity("extra")


def test_the_generic_rule_compares_with_the_set_without_the_extras(tmp_path: Path) -> None:
    """Only the generic rule reads the set without extras (selecting costs)."""
    lock = Lock(tmp_path, SPLIT)
    env = marker_environment("linux", "x86_64", "3.11.4")
    without = select_locked(lock.locked, env, ["main"], [])
    extra = Variant("extra", ("cuda12",))
    requirements = [requirement("jax[cuda12]>=0.6.2", "cuda12")]
    fidelity = judge_split(tmp_path, extra, requirements, without=without)
    assert fidelity == Fidelity("extra", delivered_by=("jax-cuda12-plugin 0.6.2",))
    everything = judge_split(
        tmp_path, extra, requirements, without=select_locked(lock.locked, env, ["main"], ["cuda12"])
    )
    assert everything.missing is not None
    assert everything.missing.rule == "adds-a-package"


FORBIDDEN_LOCK = [
    entry("jax", "0.7.2", deps={"jax-cuda12-plugin": "0.7.2"}),
    entry("jax-cuda12-plugin", "0.7.2", deps={"nvidia-cublas-cu12": "*"}),
    entry("nvidia-cublas-cu12", "12.9.1.4"),
    entry("torch", "2.9.0+cu126", deps={"nvidia-cudnn-cu12": "*"}),
    entry("nvidia-cudnn-cu12", "9.10.2.21"),
    entry("cupy-cuda12x", "13.4.0", deps={"nvidia-curand-cu12": "*"}),
    entry("nvidia-curand-cu12", "10.3.10.19"),
    entry("nvidia-ml-py", "12.575.51"),
]


def test_each_forbidden_package_names_its_requirers_and_the_fix_for_its_family(
    tmp_path: Path,
) -> None:
    requirements = [
        requirement(name)
        for name in ("jax", "torch", "cupy-cuda12x", "nvidia-cublas-cu12", "nvidia-ml-py")
    ]
    cpu = variants("cuda12", "cpu")["cpu"]
    fidelity = judge_split(tmp_path, cpu, requirements, packages=FORBIDDEN_LOCK)
    expected = (
        ForbiddenPackage(
            "cpu",
            "jax-cuda12-plugin",
            "0.7.2",
            "jax-cuda*-plugin",
            ("jax 0.7.2",),
            "jax-into-cuda-extras",
        ),
        ForbiddenPackage(
            "cpu",
            "nvidia-cublas-cu12",
            "12.9.1.4",
            "nvidia-*",
            ("the project", "jax-cuda12-plugin 0.7.2"),
            "jax-into-cuda-extras",  # brought by jax through its plugin
        ),
        ForbiddenPackage(
            "cpu",
            "nvidia-cudnn-cu12",
            "9.10.2.21",
            "nvidia-*",
            ("torch 2.9.0+cu126",),
            "torch-cpu-index",
        ),
        ForbiddenPackage(
            "cpu",
            "nvidia-curand-cu12",
            "10.3.10.19",
            "nvidia-*",
            ("cupy-cuda12x 13.4.0",),
            "keep-out",
        ),
        ForbiddenPackage(
            "cpu", "torch", "2.9.0+cu126", "torch+cu*", ("the project",), "torch-cpu-index"
        ),
    )
    assert fidelity == Fidelity("cpu", forbidden=expected)
    assert fidelity.problems() == [
        Problem("forbidden-package", f, f.package, f.version, "warning") for f in expected
    ]


@pytest.mark.parametrize(
    ("forbids", "expected"),
    [
        ((), []),
        (("!nvidia-*",), []),  # only exceptions: nothing forbidden
        (("nvidia-cu*", "nvidia-*", "!nvidia-cudnn-*"), [("nvidia-cublas-cu12", "nvidia-cu*")]),
    ],
)
def test_forbids_patterns_and_exceptions(
    tmp_path: Path, forbids: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    """The first pattern that matches is named; a `!` exception wins over every pattern."""
    lock = [entry("nvidia-cublas-cu12", "12.9.1.4"), entry("nvidia-cudnn-cu12", "9.10.2.21")]
    variant = Variant("v", promise=Promise(forbids=forbids))
    requirements = [requirement("nvidia-cublas-cu12"), requirement("nvidia-cudnn-cu12")]
    fidelity = judge_split(tmp_path, variant, requirements, packages=lock)
    assert [(f.package, f.pattern) for f in fidelity.forbidden] == expected


def test_a_variant_whose_markers_exclude_the_target_is_not_judged(tmp_path: Path) -> None:
    """Its markers are read without the `extra` variable the environment may carry."""
    lock = Lock(tmp_path, SPLIT)
    env = {**marker_environment("darwin", "arm64", "3.11.4"), "extra": {"cuda13"}}
    cuda13 = variants("cuda13")["cuda13"]
    fidelity = judge(
        cuda13,
        python="3.11",
        selected=[],
        without_extras=list,
        locked=lock.locked,
        relations=lock.relations_of,
        requirements=JAX_REQUIREMENTS,
        marker_env=env,
    )
    assert fidelity == Fidelity("cuda13", applies=False)


def test_a_declared_provides_matching_nothing_in_the_lock_is_named_as_the_cause(
    tmp_path: Path,
) -> None:
    """A typo in `provides`: the verdict names the glob and what the extras did add."""
    lock = Lock(tmp_path, SPLIT)
    env = marker_environment("linux", "x86_64", "3.11.4")
    typo = Variant("gpu", ("cuda12",), promise=Promise(provides=("jax-cuda12-plugn",)))
    requirements = [requirement("jax>=0.6.2"), requirement("jax[cuda12]>=0.6.2", "cuda12")]
    without = select_locked(lock.locked, env, ["main"], [])
    fidelity = judge_split(tmp_path, typo, requirements, without=without)
    assert fidelity == Fidelity(
        "gpu",
        missing=MissingAccelerator(
            "gpu",
            "3.11",
            "declared",
            ("jax-cuda12-plugn",),
            (),
            ("cuda12",),
            (),
            (),
            True,
            ("jax-cuda12-plugin",),
        ),
    )
    bare = Variant("bare", promise=Promise(provides=("jax-cuda12-plugn",)))
    verdict = judge_split(tmp_path, bare, requirements)  # no extras: nothing to compare
    assert verdict.missing is not None
    assert verdict.missing.added == ()


@pytest.mark.parametrize(
    ("provides", "verdict"),
    [
        (("jax-cuda12-*",), "delivered"),
        (("jax-cuda13-plugin",), "missing"),  # in the lock, for other Pythons
        (("jax-cuda12-plugn",), "matches nothing"),
    ],
)
def test_forbidden_packages_are_reported_whatever_the_promise_verdict(
    tmp_path: Path, provides: tuple[str, ...], verdict: str
) -> None:
    gpu = Variant("gpu", ("cuda12",), promise=Promise(provides=provides, forbids=("jaxlib",)))
    lock = Lock(tmp_path, SPLIT)
    without = select_locked(
        lock.locked, marker_environment("linux", "x86_64", "3.11.4"), ["main"], []
    )
    requirements = [requirement("jax>=0.6.2"), requirement("jax[cuda12]>=0.6.2", "cuda12")]
    fidelity = judge_split(tmp_path, gpu, requirements, without=without)
    assert fidelity.forbidden == (
        ForbiddenPackage(
            "gpu", "jaxlib", "0.6.2", "jaxlib", ("jax 0.6.2",), "jax-into-cuda-extras"
        ),
    )
    found = "delivered" if fidelity.missing is None else "missing"
    if fidelity.missing is not None and fidelity.missing.matches_nothing:
        found = "matches nothing"
    assert found == verdict
