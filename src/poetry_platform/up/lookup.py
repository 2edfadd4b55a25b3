"""Release lists for many packages at once, through Poetry's own repositories.

Poetry looks packages up one after another; with 40 dependencies and a 100 ms index that is
seconds of waiting on round trips that do not depend on each other. Here each (repository,
package) page is fetched by a bounded pool of daemon threads, through the repositories of
Poetry's `RepositoryPool`, so Poetry's HTTP session, cache, credentials and certificates
apply, and the pages stay cached in those repositories for the lock that follows.

One page per package is enough: the simple index lists every file with its yanked flag and
Requires-Python. Only when a page does not say (find-links pages often do not) is the
metadata of a candidate release read, and only for the candidates that could be chosen.

Which repositories answer follows Poetry: a dependency that names a `source` is looked up
there only (explicit sources are invisible otherwise); others in every primary repository,
and in supplemental ones only when no primary repository knows the package.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from poetry_platform.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Sequence

    from packaging.utils import NormalizedName
    from poetry.core.constraints.version import Version
    from poetry.core.constraints.version import VersionConstraint
    from poetry.repositories import RepositoryPool
    from poetry.repositories.repository import Repository

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_WORKERS = 64


@dataclass(frozen=True)
class Query:
    """Where to look a package up: a named (explicit) source, or the project's default ones."""

    name: NormalizedName
    source: str | None = None

    def describe(self) -> str:
        return f"{self.name} (source {self.source})" if self.source else str(self.name)


@dataclass(frozen=True)
class Release:
    version: Version
    repository: str
    # None: the index did not say; the metadata is read when this release is a candidate.
    requires_python: VersionConstraint | None
    requires_python_text: str | None = None


class IndexLookupError(SourceError):
    """A repository failed (after Poetry's retries); names the package and the repository."""

    def __init__(self, query: Query, repository: str, cause: BaseException) -> None:
        self.query = query
        self.repository = repository
        self.cause = cause
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"looking up {query.describe()} in {repository} failed: {first}")


def run_bounded(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = DEFAULT_WORKERS,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R]:
    """`[func(i) for i in items]` on at most `workers` daemon threads, results in order.

    The first exception is raised in the caller once every started call has finished or
    the caller is interrupted; daemon threads never keep the process alive (a hung request
    must not delay an interrupted command's exit).
    """
    n = len(items)
    if n == 0:
        return []
    results: list[Any] = [None] * n
    errors: list[BaseException | None] = [None] * n
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(n):
        todo.put(i)
    done: queue.SimpleQueue[int] = queue.SimpleQueue()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = func(items[i])
            except BaseException as e:  # handed to the caller
                errors[i] = e
                stop.set()
            done.put(i)

    threads = [
        threading.Thread(target=worker, daemon=True, name=f"lookup-{k}")
        for k in range(min(workers, n))
    ]
    for t in threads:
        t.start()
    finished = 0
    try:
        while finished < n:
            if stop.is_set() and all(not t.is_alive() for t in threads):
                break
            try:
                done.get(timeout=0.1)
            except queue.Empty:
                continue
            finished += 1
            if on_done is not None:
                on_done(finished, n)
    finally:
        stop.set()
    for e in errors:
        if e is not None:
            raise e
    return results


def _parse_python(text: str | None) -> VersionConstraint | None:
    if not text:
        return None
    from poetry.core.constraints.version import parse_constraint

    try:
        return parse_constraint(text)
    except ValueError:
        return None


def _fetch_repository(repo: Repository, name: NormalizedName) -> list[Release]:
    """Every installable (not yanked) release of `name` in `repo`, pre-releases included."""
    from poetry.core.packages.dependency import Dependency
    from poetry.repositories.exceptions import PackageNotFoundError

    dependency = Dependency(name, "*", allows_prereleases=True)
    packages = repo.find_packages(dependency)
    get_page = getattr(repo, "get_page", None)
    page = None
    if get_page is not None and packages:
        try:
            page = get_page(name)
        except PackageNotFoundError:
            page = None
    out: list[Release] = []
    for package in packages:
        rp_text: str | None = None
        if page is not None:
            known = sorted(
                {
                    link.requires_python
                    for link in page.links_for_version(name, package.version)
                    if link.requires_python and not link.yanked
                }
            )
            # Files of one release rarely disagree; when they do, any of them may be used.
            rp_text = " || ".join(known) if known else None
        out.append(Release(package.version, repo.name, _parse_python(rp_text), rp_text))
    return out


def repositories_for(pool: RepositoryPool, query: Query) -> list[tuple[Repository, bool]]:
    """(repository, supplemental?) pairs that answer `query`, in Poetry's order."""
    from poetry.repositories.repository_pool import Priority

    if query.source:
        return [(pool.repository(query.source), False)]
    return [
        (repo, pool.get_priority(repo.name) is Priority.SUPPLEMENTAL) for repo in pool.repositories
    ]


def fetch(
    pool: RepositoryPool,
    queries: Iterable[Query],
    *,
    workers: int = DEFAULT_WORKERS,
    on_done: Callable[[int, int], None] | None = None,
) -> dict[Query, list[Release]]:
    """The releases answering each query, all pages fetched concurrently."""
    unique = list(dict.fromkeys(queries))
    tasks: list[tuple[Query, Repository, bool]] = [
        (q, repo, supplemental) for q in unique for repo, supplemental in repositories_for(pool, q)
    ]

    def one(task: tuple[Query, Repository, bool]) -> list[Release]:
        query, repo, _ = task
        try:
            return _fetch_repository(repo, query.name)
        except Exception as e:
            raise IndexLookupError(query, repo.name, e) from e

    answers = run_bounded(one, tasks, workers=workers, on_done=on_done)
    out: dict[Query, list[Release]] = {q: [] for q in unique}
    found_primary: set[Query] = set()
    for (query, _, supplemental), releases in zip(tasks, answers, strict=True):
        if not supplemental and releases:
            found_primary.add(query)
    for (query, _, supplemental), releases in zip(tasks, answers, strict=True):
        if supplemental and query in found_primary:
            continue
        out[query].extend(releases)
    return out


def read_requires_python(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Release]],
    *,
    workers: int = DEFAULT_WORKERS,
) -> list[Release]:
    """The same releases with Requires-Python read from their metadata (for silent indexes)."""
    from dataclasses import replace

    def one(item: tuple[str, Release]) -> Release:
        name, release = item
        try:
            package = pool.package(name, release.version, repository_name=release.repository)
        except Exception as e:
            raise IndexLookupError(Query(name), release.repository, e) from e  # type: ignore[arg-type]
        text = package.python_versions if package.python_versions != "*" else None
        return replace(
            release,
            requires_python=package.python_constraint,
            requires_python_text=text,
        )

    return run_bounded(one, wanted, workers=workers)


def prefetch_metadata(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Version, str]],
    *,
    workers: int = DEFAULT_WORKERS,
) -> None:
    """Warm Poetry's release cache for (name, version, repository) so the lock waits less.

    A network failure here is raised (`IndexLookupError`): the lock would meet it anyway,
    after Poetry's retries, once more.
    """

    from poetry.repositories.exceptions import PackageNotFoundError

    def one(item: tuple[str, Version, str]) -> None:
        name, version, repository = item
        try:
            pool.package(name, version, repository_name=repository)
        except PackageNotFoundError:
            return  # not in this repository: the lock looks elsewhere
        except Exception as e:  # the lock would fail on the same request: say it now
            raise IndexLookupError(Query(name, None), repository, e) from e  # type: ignore[arg-type]

    run_bounded(one, wanted, workers=workers)
