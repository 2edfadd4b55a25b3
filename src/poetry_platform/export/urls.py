"""Where each exported file is downloaded from: the one question poetry.lock cannot answer.

The lock records file names and hashes, not URLs (an index decides its own file URLs, and
PyPI's are not derivable from the hash). PEP 751 wants a URL per file, so `pylock` reads the
package's page on its own source, as Poetry's installer does before downloading, once per
package, through the index client (`index.links`: Poetry's credentials and certificates,
one deadline for all the pages, `--lookup-timeout`). Requirements files need no URL: pip
looks the files up itself, by name, version and hash.

A file's URL on an index does not change while the file (name and sha256) stays, so the URLs
found are remembered in Poetry's cache directory (`platform-export/urls.json`, the uv
installer's memo format): a second export of the same lock asks no index anything. Credentials
are never remembered; `--no-cache` skips the memo.

Sources are also described here (`sources`), in Poetry's priority order, with credentials
removed unless the caller asks to keep them; kept, the index URL and every file URL carry
exactly one userinfo (`index.http.with_userinfo`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from poetry_platform.errors import SourceError
from poetry_platform.index.http import without_userinfo

if TYPE_CHECKING:
    from collections.abc import Iterable

    from poetry.repositories.repository_pool import RepositoryPool

    from poetry_platform.choices import ChoiceMemo
    from poetry_platform.export.fileset import ExportPackage

SourceKind = Literal["index", "find-links"]
# (name, version, source) -> file name -> URL
FileUrls = dict[tuple[str, str, str | None], dict[str, str]]
IMPLICIT_PYPI = "PyPI"


@dataclass(frozen=True)
class Source:
    """A package source as an installer outside Poetry must be told about it."""

    name: str
    url: str
    priority: str  # "primary", "supplemental" or "explicit"
    kind: SourceKind = "index"


def sources(pool: RepositoryPool, *, with_credentials: bool = False) -> list[Source]:
    """Every source of the pool that has a URL, in Poetry's priority order."""
    from poetry.repositories.http_repository import HTTPRepository
    from poetry.repositories.single_page_repository import SinglePageRepository

    from poetry_platform.index.http import with_userinfo

    out: list[Source] = []
    for repository in pool.all_repositories:
        if not isinstance(repository, HTTPRepository):
            continue
        url = repository.url
        url = with_userinfo(repository, url) if with_credentials else without_userinfo(url)
        kind: SourceKind = "find-links" if isinstance(repository, SinglePageRepository) else "index"
        priority = pool.get_priority(repository.name).name.lower()
        out.append(Source(repository.name, url, priority, kind))
    return out


def file_urls(
    pool: RepositoryPool,
    packages: Iterable[ExportPackage],
    *,
    with_credentials: bool = False,
    memo: ChoiceMemo | None = None,
    lookup_timeout: float | None = None,
) -> FileUrls:
    """The URL of every file of every index package, from its source's page (or the memo),
    every page read by one deadline (`lookup_timeout` seconds; None: twice Poetry's
    request timeout).

    Direct origins (kind "url") already carry theirs. A page that could not be read is an
    error saying why (HTTP 401, no answer within N s); a file the source no longer lists
    (deleted, or the lock was made against another mirror) is an error naming it: a pylock
    without a URL for a file cannot be installed.
    """
    from poetry_platform.index.deadline import Deadline
    from poetry_platform.index.links import file_links

    wanted = {p.key: p for p in packages if p.kind == "index"}
    out: FileUrls = {}
    todo: list[ExportPackage] = []
    for key, package in wanted.items():
        remembered = _remembered(memo, pool, package)
        if remembered is None:
            todo.append(package)
        else:
            out[key] = remembered
    if todo:
        asked = [(_repository(pool, p), p.name, p.version) for p in todo]
        answers = file_links(asked, budget=Deadline.start(lookup_timeout))
        for package, answer in zip(todo, answers, strict=True):
            out[package.key] = _listed(package, answer)
    for package in todo:
        if memo is not None:
            links = out[package.key]
            for file in package.files:
                memo.remember(_memo_key(pool, package, file.name, file.hashes), links[file.name])
    if memo is not None and todo:
        memo.save()
    if with_credentials:
        from poetry_platform.index.http import with_userinfo

        for key, links in out.items():
            repository = _repository(pool, wanted[key])
            out[key] = {name: with_userinfo(repository, url) for name, url in links.items()}
    return out


def _listed(package: ExportPackage, answer: object) -> dict[str, str]:
    """The package's file URLs from its page's answer; one error saying why not."""
    from poetry_platform.index.model import Unreadable
    from poetry_platform.index.model import credentials_hint

    where = package.source or IMPLICIT_PYPI
    if isinstance(answer, Unreadable):
        at = f" at {answer.url}" if answer.url else ""
        raise SourceError(
            f"Could not read the files of {package.name} {package.version} from source "
            f"{answer.source}: {answer.detail}{at}.",
            credentials_hint(answer.source)[:1].upper() + credentials_hint(answer.source)[1:] + "."
            if answer.needs_credentials
            else "Check the source's URL, or retry; give the index more time with"
            " --lookup-timeout SECONDS (by default twice POETRY_REQUESTS_TIMEOUT).",
        )
    links: dict[str, str] = answer if isinstance(answer, dict) else {}
    missing = [f.name for f in package.files if f.name not in links]
    if missing:
        raise SourceError(
            f"{package.name} {package.version}: source {where} does not list "
            f"{missing[0]}, which poetry.lock records.",
            "Check the source URL, or run `poetry lock --regenerate`.",
        )
    return links


def _memo_key(
    pool: RepositoryPool,
    package: ExportPackage,
    filename: str,
    hashes: tuple[tuple[str, str], ...],
) -> str:
    from poetry_platform.choices import choice_key

    source = _repository(pool, package)
    return choice_key(
        name=package.name,
        version=package.version,
        source=without_userinfo(getattr(source, "url", source.name)),
        locked_hashes=[f"{a}:{d}" for a, d in hashes],
        tags=[filename],
        policies=["platform-export url"],
    )


def _remembered(
    memo: ChoiceMemo | None, pool: RepositoryPool, package: ExportPackage
) -> dict[str, str] | None:
    """Every file's remembered URL, or `None` when any is unknown."""
    if memo is None:
        return None
    found: dict[str, str] = {}
    for file in package.files:
        where = memo.where(_memo_key(pool, package, file.name, file.hashes))
        if not isinstance(where, str):
            return None
        found[file.name] = where
    return found


def _repository(pool: RepositoryPool, package: ExportPackage) -> Any:
    name = package.source or IMPLICIT_PYPI
    try:
        return pool.repository(name)
    except IndexError:
        raise SourceError(
            f"{package.name} {package.version} is locked from source {name!r}, which "
            "pyproject.toml does not declare.",
            "Declare the source again, or run `poetry lock`.",
        ) from None
