"""Release lists for many packages at once, read from the index pages themselves.

Poetry looks packages up one after another, and for each builds a `Package` per release;
with hundreds of dependencies and a 100 ms index that is minutes of round trips that do not
depend on each other, and seconds of CPU. Here each (source, package) page is asked for once,
all at once on a bounded pool of daemon threads, and read directly: PEP 691 JSON when the
index offers it, the PEP 503 HTML page otherwise. The page lists every file with its
yanked flag and Requires-Python, which is all a version choice needs; no metadata is
downloaded per release. The requests go through Poetry's side of things: the source's
credentials and certificates (its `Authenticator`), and the same on-disk HTTP cache and
`Accept` header Poetry uses, so a second run within the index's cache lifetime costs no
network and the lock that follows finds the pages cached.

Which sources answer follows Poetry: a dependency that names a `source` is looked up there
only (explicit sources are invisible otherwise); others in every primary source, and in
supplemental ones only when no primary source knows the package.

A lookup has three outcomes, never two: releases found (possibly none in the range the
caller wants: the caller decides), the package unknown to the source (HTTP 404: no
releases), or the page could not be read (401/403, 429/5xx after retries, a timeout, a
page that is no index). The last is `Unreadable`, kept per package, so that a source that
failed is never reported as "up to date".

One budget bounds every request of the lookup stage (`Deadline`, `lookup_deadline`
seconds from the first page asked for): the pages, then the metadata reads below, then the
pre-lock prefetch, each phase getting what the earlier ones left. A page not answered by
then is `Unreadable`; a metadata read not answered by then fails the run
(`IndexLookupError`, naming the source and the release), as the lock would wait on the
same request under Poetry's retries (~100 s for an index that never answers).

Only where a page does not give Requires-Python at all (find-links pages often do not) is
the metadata of a candidate release read (`read_requires_python`), and only for the
candidates that could be chosen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from poetry_platform import poetry_api
from poetry_platform.index.cache import PageMemory
from poetry_platform.index.cache import ttl
from poetry_platform.index.deadline import DEFAULT_WORKERS
from poetry_platform.index.deadline import Deadline
from poetry_platform.index.deadline import gather
from poetry_platform.index.deadline import run_bounded
from poetry_platform.index.http import Reader
from poetry_platform.index.model import IndexLookupError
from poetry_platform.index.model import Lookups
from poetry_platform.index.model import Page
from poetry_platform.index.model import Query
from poetry_platform.index.model import Release
from poetry_platform.index.model import Unreadable
from poetry_platform.index.pages import JSON_TYPE
from poetry_platform.index.pages import PREFER_JSON
from poetry_platform.index.pages import PageFile
from poetry_platform.index.pages import entries_from
from poetry_platform.index.pages import files_of
from poetry_platform.index.pages import releases_from
from poetry_platform.index.pages import releases_of
from poetry_platform.redact import redact

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence
    from pathlib import Path

    from poetry.core.constraints.version import Version
    from poetry.core.packages.package import Package
    from poetry.repositories import RepositoryPool
    from poetry.repositories.repository import Repository

T = TypeVar("T")
R = TypeVar("R")


def page_of(repo: Repository, name: str) -> Page | None:
    """The page to ask for `name`, or None where Poetry's own lookup must be used."""
    from poetry.repositories.legacy_repository import LegacyRepository
    from poetry.repositories.pypi_repository import PyPiRepository
    from poetry.repositories.single_page_repository import SinglePageRepository

    if poetry_api.min_release_age_cutoff(repo) is not None:
        return None  # solver.min-release-age filters by upload time: Poetry's rules apply
    if isinstance(repo, SinglePageRepository):
        return Page(repo.url, PREFER_JSON, True)
    if isinstance(repo, LegacyRepository):
        return Page(f"{repo.url.rstrip('/')}/{name}/", PREFER_JSON, False)
    if isinstance(repo, PyPiRepository):
        base = poetry_api.pypi_base_url(repo)
        return Page(f"{base}simple/{name}/", JSON_TYPE, False) if base else None
    return None


@dataclass(frozen=True)
class NotFound:
    """A page the source answered with 404 (or 410): it does not know the package."""

    url: str  # redacted
    status: int


def _not_found(
    answer: NotFound, source: str, name: str, locked: Mapping[str, str] | None
) -> list[Release] | Unreadable:
    """No releases, unless poetry.lock says the package came from this very source."""
    version = (locked or {}).get(source)
    if version is None:
        return []
    detail = f"the lock says {name} {version} came from {source}, but {source} answers HTTP"
    return Unreadable(source, answer.url, answer.status, f"{detail} {answer.status}")


class _Pages:
    """Project pages read through one `Reader`, remembered in `memory`; a find-links page
    (every package on one page) read once per run."""

    def __init__(self, reader: Reader, memory: PageMemory | None) -> None:
        self.reader = reader
        self.memory = memory
        self._lock = threading.Lock()
        self._single: dict[str, tuple[threading.Event, list[Any]]] = {}

    def read(self, repo: Repository, name: str) -> list[Release] | Unreadable | NotFound:
        page = page_of(repo, name)
        if page is None:
            return _poetry_lookup(repo, name)
        if page.single:
            files = self._single_page(repo, page)
            if files is None:
                return NotFound(redact(page.url), 404)
            if isinstance(files, Unreadable):
                return files
            return releases_from(files, name, repo.name, one_project=False)
        memory = None if poetry_api.cache_disabled(repo) else self.memory
        entries = memory.recall(repo, page) if memory is not None else None
        if entries is None:
            response = self.reader.get(repo, page.url, page.accept)
            if isinstance(response, Unreadable):
                return response
            found = files_of(repo.name, page.url, response, project=True)
            if found is None:
                return NotFound(redact(page.url), response.status_code)
            if isinstance(found, Unreadable):
                return found
            entries = entries_from(found, name, one_project=True)
            if memory is not None:
                memory.remember(repo, page, entries, ttl(response))
        return releases_of(entries, repo.name)

    def _single_page(self, repo: Repository, page: Page) -> list[PageFile] | Unreadable | None:
        """A find-links page serves every package: read it once per run."""
        with self._lock:
            entry = self._single.get(page.url)
            mine = entry is None
            if entry is None:
                entry = self._single[page.url] = (threading.Event(), [])
        event, slot = entry
        if mine:
            try:
                response = self.reader.get(repo, page.url, page.accept)
                slot.append(
                    response
                    if isinstance(response, Unreadable)
                    else files_of(repo.name, page.url, response, project=False)
                )
            finally:
                event.set()
        else:
            event.wait(max(0.0, self.reader.deadline - time.monotonic()))
        if not slot:
            return Unreadable(repo.name, redact(page.url), None, "no answer")
        result: list[PageFile] | Unreadable | None = slot[0]
        return result


def metadata_of(name: str, version: Version | str) -> str:
    text = version if isinstance(version, str) else version.to_string()
    return f"the metadata of {name} {text}"


def _past_deadline(
    budget: Deadline, name: str, version: Version, repository: str
) -> IndexLookupError:
    return IndexLookupError(
        Query(name),  # type: ignore[arg-type]
        repository,
        TimeoutError(f"no answer within the lookup deadline ({budget.seconds:g} s)"),
        what=metadata_of(name, version),
        remedy="Retry, or give the lookups more time: --lookup-timeout SECONDS (by default"
        " twice POETRY_REQUESTS_TIMEOUT).",
    )


def within(
    func: Callable[[T], R],
    items: Sequence[T],
    budget: Deadline | None,
    release_of: Callable[[T], tuple[str, Version, str]],
    workers: int,
) -> list[R]:
    """`run_bounded(func, items)` ending at the budget: the first item (in order) without
    an answer by then fails as `IndexLookupError`, naming its release and source."""
    if budget is None:
        return run_bounded(func, items, workers=workers)
    boxed = gather(lambda item: (func(item),), items, workers=workers, until=budget.at)
    out: list[R] = []
    for item, box in zip(items, boxed, strict=True):
        if box is None:
            raise _past_deadline(budget, *release_of(item))
        out.append(box[0])
    return out


def _poetry_lookup(repo: Repository, name: str) -> list[Release] | Unreadable:
    """Poetry's own lookup, for repositories that are not simple indexes."""
    from poetry.core.packages.dependency import Dependency

    try:
        packages = repo.find_packages(Dependency(name, "*", allows_prereleases=True))
    except Exception as e:
        return Unreadable(repo.name, "", None, redact(str(e).strip() or type(e).__name__))
    return [Release(p.version, repo.name, None, None) for p in packages if not p.yanked]


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
    deadline: float | None = None,
    on_done: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    budget: Deadline | None = None,
    locked: Mapping[str, Mapping[str, str]] | None = None,
) -> Lookups:
    """The releases answering each query, every page asked for at once, under one deadline.

    `budget` is the run's lookup deadline (the later metadata reads share it); without it,
    `deadline` seconds from now (`lookup_deadline()` when None). `cache_dir` (Poetry's
    repository cache directory) remembers release lists for the page's cache lifetime.
    `locked` (normalized name -> source -> version, as poetry.lock records them) turns a 404
    from the very source the lock names into "could not read": the source must know it.
    """
    from poetry_platform.index.connect import share_with_poetry

    share_with_poetry(pool)  # the metadata reads and the lock: one resolution per host too
    unique = list(dict.fromkeys(queries))
    tasks: list[tuple[Query, Repository, bool]] = [
        (q, repo, supplemental) for q in unique for repo, supplemental in repositories_for(pool, q)
    ]
    budget = budget or Deadline.start(deadline)
    seconds = budget.seconds
    memory = PageMemory(cache_dir / "platform-up-pages") if cache_dir is not None else None
    reader = Reader(budget.at, min(workers, max(len(tasks), 1)), seconds)
    pages = _Pages(reader, memory)

    def one(task: tuple[Query, Repository, bool]) -> list[Release] | Unreadable:
        query, repo, _ = task
        answer = pages.read(repo, query.name)
        if isinstance(answer, NotFound):
            return _not_found(answer, repo.name, query.name, (locked or {}).get(query.name))
        return answer

    answers = gather(one, tasks, workers=workers, until=reader.deadline, on_done=on_done)
    out = Lookups({q: [] for q in unique})
    found_primary: set[Query] = set()
    for (query, _, supplemental), answer in zip(tasks, answers, strict=True):
        if not supplemental and isinstance(answer, list) and answer:
            found_primary.add(query)
    for (query, repo, supplemental), answer in zip(tasks, answers, strict=True):
        if supplemental and query in found_primary:
            continue
        if answer is None:
            answer = Unreadable(repo.name, "", None, f"no answer within {seconds:g} s")
        if isinstance(answer, Unreadable):
            out.unreadable.setdefault(query, answer)
        else:
            out.releases[query].extend(answer)
    return out


def read_package(pool: RepositoryPool, name: str, release: Release) -> Package:
    """One release's metadata through Poetry's pool; any failure is an `IndexLookupError`
    naming the source and the release (the one wording of a metadata read that failed)."""
    try:
        return pool.package(name, release.version, repository_name=release.repository)
    except Exception as e:
        raise IndexLookupError(
            Query(name),  # type: ignore[arg-type]
            release.repository,
            e,
            what=metadata_of(name, release.version),
        ) from e


def read_requires_python(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Release]],
    *,
    workers: int = DEFAULT_WORKERS,
    budget: Deadline | None = None,
) -> list[Release]:
    """The same releases with Requires-Python read from their metadata (for silent indexes),
    by `budget` (the run's lookup deadline; None: Poetry's retries only)."""
    from dataclasses import replace

    def one(item: tuple[str, Release]) -> Release:
        name, release = item
        package = read_package(pool, name, release)
        text = package.python_versions if package.python_versions != "*" else None
        return replace(
            release,
            requires_python=package.python_constraint,
            requires_python_text=text,
        )

    return within(one, wanted, budget, release_key, workers)


def release_key(item: tuple[str, Release]) -> tuple[str, Version, str]:
    name, release = item
    return name, release.version, release.repository


def prefetch_metadata(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Version, str]],
    *,
    workers: int = DEFAULT_WORKERS,
    budget: Deadline | None = None,
) -> None:
    """Warm Poetry's release cache for (name, version, repository) so the lock waits less.

    A network failure here is raised (`IndexLookupError`), and so is a release not read by
    `budget` (the run's lookup deadline): the lock would meet the same request, after
    Poetry's retries (minutes for an index that answers pages but hangs on metadata).
    """

    from poetry.repositories.exceptions import PackageNotFoundError

    def one(item: tuple[str, Version, str]) -> None:
        name, version, repository = item
        try:
            pool.package(name, version, repository_name=repository)
        except PackageNotFoundError:
            return  # not in this repository: the lock looks elsewhere
        except Exception as e:  # the lock would fail on the same request: say it now
            raise IndexLookupError(
                Query(name),  # type: ignore[arg-type]
                repository,
                e,
                what=metadata_of(name, version),
            ) from e

    within(one, wanted, budget, lambda item: item, workers)
