"""Where each exported file is downloaded from: the one question poetry.lock cannot answer.

The lock records file names and hashes, not URLs (an index decides its own file URLs, and
PyPI's are not derivable from the hash). PEP 751 wants a URL per file, so `pylock` asks the
package's own source, exactly as Poetry's installer does before downloading
(`Repository.find_links_for_package`), once per package, a few pages at a time. Requirements
files need no URL: pip looks the files up itself, by name, version and hash.

A file's URL on an index does not change while the file (name and sha256) stays, so the URLs
found are remembered in Poetry's cache directory (`platform-export/urls.json`, the uv
installer's memo format): a second export of the same lock asks no index anything. Credentials
are never remembered; `--no-cache` skips the memo.

Sources are also described here (`sources`), in Poetry's priority order, with credentials
removed unless the caller asks to keep them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from poetry_platform.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Callable
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


def without_userinfo(url: str) -> str:
    """`url` with any `user:password@` removed: exported files are shared and committed."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def sources(pool: RepositoryPool, *, with_credentials: bool = False) -> list[Source]:
    """Every source of the pool that has a URL, in Poetry's priority order."""
    from poetry.repositories.http_repository import HTTPRepository
    from poetry.repositories.single_page_repository import SinglePageRepository

    out: list[Source] = []
    for repository in pool.all_repositories:
        if not isinstance(repository, HTTPRepository):
            continue
        url = repository.authenticated_url if with_credentials else repository.url
        kind: SourceKind = "find-links" if isinstance(repository, SinglePageRepository) else "index"
        priority = pool.get_priority(repository.name).name.lower()
        out.append(Source(repository.name, _clean(url, with_credentials), priority, kind))
    return out


def _clean(url: str, with_credentials: bool) -> str:
    return url if with_credentials else without_userinfo(url)


def file_urls(
    pool: RepositoryPool,
    packages: Iterable[ExportPackage],
    *,
    with_credentials: bool = False,
    memo: ChoiceMemo | None = None,
    workers: int = 8,
) -> FileUrls:
    """The URL of every file of every index package, from its source's page (or the memo).

    Direct origins (kind "url") already carry theirs. A file the source no longer lists
    (deleted, or the lock was made against another mirror) is an error naming it: a pylock
    without a URL for a file cannot be installed.
    """
    wanted = {p.key: p for p in packages if p.kind == "index"}
    out: FileUrls = {}
    todo: list[ExportPackage] = []
    for key, package in wanted.items():
        remembered = _remembered(memo, pool, package)
        if remembered is None:
            todo.append(package)
        else:
            out[key] = remembered

    def lookup(package: ExportPackage) -> tuple[tuple[str, str, str | None], dict[str, str]]:
        return package.key, _links(pool, package)

    if todo:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo)))) as executor:
            for key, links in executor.map(lookup, todo):
                out[key] = links
    for package in todo:
        links = out[package.key]
        missing = [f.name for f in package.files if f.name not in links]
        if missing:
            where = package.source or IMPLICIT_PYPI
            raise SourceError(
                f"{package.name} {package.version}: source {where} does not list "
                f"{missing[0]}, which poetry.lock records.",
                "Check the source URL, or run `poetry lock --regenerate`.",
            )
        if memo is not None:
            for file in package.files:
                memo.remember(_memo_key(pool, package, file.name, file.hashes), links[file.name])
    if memo is not None and todo:
        memo.save()
    if with_credentials:
        for key, links in out.items():
            secure = _authenticator(pool, wanted[key])
            out[key] = {name: secure(url) for name, url in links.items()}
    return out


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


def _authenticator(pool: RepositoryPool, package: ExportPackage) -> Callable[[str], str]:
    session = getattr(_repository(pool, package), "session", None)
    secure: Callable[[str], str] | None = getattr(session, "authenticated_url", None)
    return secure or (lambda url: url)


def _links(pool: RepositoryPool, package: ExportPackage) -> dict[str, str]:
    from poetry.core.packages.package import Package

    repository = _repository(pool, package)
    probe = Package(package.name, package.version)
    try:
        links = repository.find_links_for_package(probe)
    except Exception as e:  # any transport or page error, named with its source
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SourceError(
            f"Could not read the files of {package.name} {package.version} from source "
            f"{repository.name}: {first}"
        ) from None
    return {link.filename: without_userinfo(link.url_without_fragment) for link in links}
