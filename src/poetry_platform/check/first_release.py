"""The first release of a package that has an extra, asked of the project's index.

Only for the fix a failed accelerator check suggests ("raise the floor to jax[cuda13]>=0.7.2");
the verdict itself never needs the network. So the lookup is bounded: it runs in a daemon
thread with a deadline, and a slow or unreachable index just leaves the offline fix (the
oldest locked release with the extra) in place.

Releases are bisected on "has the extra, and the index has what it requires": an extra, once
added, stays (JAX's `cuda13`, PyTorch-style backends), so about log2(releases) metadata reads
find the first one. The release lists come from the index client (`index.client.fetch`: the
pages read directly, one name resolution per host, the same deadline); the metadata of the
few candidates from Poetry's pool.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from poetry.core.constraints.version import Version
    from poetry.core.packages.dependency import Dependency
    from poetry.repositories.repository_pool import RepositoryPool

DEADLINE_S = 5.0
# the releases a dependency can take: (version, repository name), yanked ones left out


def index_find(pool: RepositoryPool, deadline_s: float) -> Callable[[Dependency], Any]:
    """Releases from the index client, every call within one deadline of `deadline_s`; a
    source that could not be read raises (the caller keeps the offline fix)."""
    from poetry_platform.errors import SourceError
    from poetry_platform.index.client import fetch
    from poetry_platform.index.deadline import Deadline
    from poetry_platform.index.model import Query

    budgets: list[Deadline] = []  # started by the first question, not before

    def find(dependency: Dependency) -> list[tuple[Version, str | None]]:
        if not budgets:
            budgets.append(Deadline.start(deadline_s))
        query = Query(canonicalize_name(dependency.name))
        found = fetch(pool, [query], budget=budgets[0])
        if query in found.unreadable:
            raise SourceError(found.unreadable[query].detail)
        return [
            (r.version, r.repository)
            for r in found[query]
            if dependency.constraint.allows(r.version)
        ]

    return find


class IndexLookup:
    """`lookup(name, extra) -> (version, requires_python) | None`, memoized, with one overall
    deadline: once it is spent (or the index failed once), every later call answers None."""

    def __init__(
        self,
        pool: RepositoryPool,
        deadline_s: float = DEADLINE_S,
        find: Callable[[Dependency], list[tuple[Version, str | None]]] | None = None,
    ) -> None:
        self._pool = pool
        self._find = find or index_find(pool, deadline_s)
        self._left = deadline_s
        self._cache: dict[tuple[str, str], tuple[str, str] | None] = {}

    def __call__(self, name: str, extra: str) -> tuple[str, str] | None:
        import time

        key = (canonicalize_name(name), canonicalize_name(extra))
        if key in self._cache:
            return self._cache[key]
        if self._left <= 0:
            return None
        box: list[tuple[str, str] | None] = [None]

        def work() -> None:
            try:
                box[0] = first_release_with_extra(self._pool, *key, find=self._find)
            except Exception:  # any index failure: no online fix, the offline one stays
                box[0] = None

        start = time.monotonic()
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(self._left)
        self._left -= time.monotonic() - start
        if thread.is_alive():
            self._left = 0
            return None
        self._cache[key] = box[0]
        return box[0]


def first_release_with_extra(
    pool: RepositoryPool,
    name: str,
    extra: str,
    *,
    find: Callable[[Dependency], list[tuple[Version, str | None]]] | None = None,
) -> tuple[str, str] | None:
    """(version, Requires-Python) of the oldest final release of `name` with `extra`;
    `find` gives a dependency's releases (by default the index client's)."""
    from poetry.core.packages.dependency import Dependency

    find = find or index_find(pool, DEADLINE_S)
    found = find(Dependency(name, "*"))
    versions = sorted({v: (v, repo) for v, repo in found if not v.is_unstable()}.values())
    if not versions:
        return None

    def has_extra(index: int) -> bool:
        """The release declares the extra and the index has what the extra requires (jax
        0.7.0 and 0.7.1 declare `cuda13`, but no jax-cuda13-plugin of theirs was published)."""
        version, repository = versions[index]
        package = pool.package(name, version, repository)
        extras: dict[str, Sequence[Dependency]] = {
            canonicalize_name(e): deps for e, deps in package.extras.items()
        }
        if extra not in extras:
            return False
        return all(find(dep) for dep in extras[extra] if canonicalize_name(dep.name) != name)

    low, high = 0, len(versions) - 1
    if not has_extra(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if has_extra(middle):
            high = middle
        else:
            low = middle + 1
    first = pool.package(name, versions[low][0], versions[low][1])
    return first.pretty_version, first.python_versions
