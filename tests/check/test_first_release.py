"""The first release with an extra: bisection over a pool's releases, bounded by a deadline.

The pool here is a stand-in with Poetry's `package` and a release finder in place of the index
client's; the real pool against the local index runs in tests/check/test_fidelity_lock.py.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from packaging.utils import canonicalize_name
from poetry.core.packages.dependency import Dependency
from poetry.core.packages.package import Package

from poetry_platform.check.first_release import IndexLookup
from poetry_platform.check.first_release import first_release_with_extra

if TYPE_CHECKING:
    from poetry.core.version.pep440 import PEP440Version
    from poetry.repositories.repository_pool import RepositoryPool


class FakePool:
    """jax releases; `cuda13` declared from 0.7.0, its plugin published from 0.7.2."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        # an index that answers only once `gate` is set (or after 60 s: never in a passing run)
        self.gate = gate
        self.asked = threading.Event()
        self.askers: set[int] = set()  # the threads that asked
        self.reads: list[str] = []
        self.versions = ["0.4.30", "0.6.2", "0.7.0", "0.7.1", "0.7.2", "0.8.0", "0.9.0rc1"]
        self.plugins = {"0.7.2", "0.8.0"}

    def find_packages(self, dependency: Dependency) -> list[Package]:
        self.askers.add(threading.get_ident())
        self.asked.set()
        if self.gate is not None:
            self.gate.wait(timeout=60)
        if dependency.name == "jax":
            return [Package("jax", v) for v in self.versions]
        return [
            Package(dependency.name, v)
            for v in self.plugins
            if dependency.constraint.allows(Package("x", v).version)
        ]

    def package(self, name: str, version: PEP440Version, _source: Any = None) -> Package:
        self.reads.append(version.text)
        package = Package(name, version.text)
        package.python_versions = ">=3.11" if version.text >= "0.7" else ">=3.10"
        if version.text >= "0.7":
            exact = f"=={version.text}"
            package.extras = {canonicalize_name("cuda13"): [Dependency("jax-cuda13-plugin", exact)]}
        return package

    def find(self, dependency: Dependency) -> list[tuple[Any, str | None]]:
        return [(p.version, None) for p in self.find_packages(dependency)]


def as_pool(pool: FakePool) -> RepositoryPool:
    return cast("RepositoryPool", pool)


def test_bisects_to_the_first_release_whose_extra_installs() -> None:
    pool = FakePool()
    assert first_release_with_extra(as_pool(pool), "jax", "cuda13", find=pool.find) == (
        "0.7.2",
        ">=3.11",
    )
    # A handful of metadata reads, not one per release; the pre-release is never a candidate.
    assert len(pool.reads) <= 5
    assert "0.9.0rc1" not in pool.reads
    assert first_release_with_extra(as_pool(pool), "jax", "rocm", find=pool.find) is None


def test_a_slow_index_gives_up_at_the_deadline_and_stays_given_up() -> None:
    """The index answers only after the lookup returned: a lookup that waited for it would
    answer 0.7.2. Once given up, the open index is not asked again. No clock is read."""
    gate = threading.Event()
    slow = FakePool(gate)
    lookup = IndexLookup(as_pool(slow), deadline_s=0.05, find=slow.find)
    try:
        assert lookup("jax", "cuda13") is None
    finally:
        gate.set()  # from here on the index answers at once
    assert slow.asked.wait(timeout=60)  # it did ask before giving up
    assert lookup("jax", "cuda13") is None  # the budget is spent: no second question
    assert lookup("jax", "cuda12") is None
    assert len(slow.askers) == 1  # only the first lookup's thread ever asked


def test_answers_are_remembered() -> None:
    pool = FakePool()
    lookup = IndexLookup(as_pool(pool), find=pool.find)
    assert lookup("jax", "cuda13") == ("0.7.2", ">=3.11")
    reads = len(pool.reads)
    assert lookup("JAX", "CUDA13") == ("0.7.2", ">=3.11")
    assert len(pool.reads) == reads
