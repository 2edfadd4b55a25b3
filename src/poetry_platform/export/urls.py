"""Where each exported file is downloaded from: the one question poetry.lock cannot answer.

The lock records file names and hashes, not URLs (an index decides its own file URLs, and
PyPI's are not derivable from the hash). PEP 751 wants a URL per file, so `pylock` asks the
package's own source, exactly as Poetry's installer does before downloading
(`Repository.find_links_for_package`), once per package, a few pages at a time. Requirements
files need no URL: pip looks the files up itself, by name, version and hash.

Sources are also described here (`sources`), in Poetry's priority order, with credentials
removed unless the caller asks to keep them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from poetry_platform.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable

    from poetry.repositories.repository_pool import RepositoryPool

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
    workers: int = 8,
) -> FileUrls:
    """The URL of every file of every index package, from its source's page.

    Direct origins (kind "url") already carry theirs. A file the source no longer lists
    (deleted, or the lock was made against another mirror) is an error naming it: a pylock
    without a URL for a file cannot be installed.
    """
    wanted = {p.key: p for p in packages if p.kind == "index"}
    out: FileUrls = {}
    if not wanted:
        return out

    def lookup(package: ExportPackage) -> tuple[tuple[str, str, str | None], dict[str, str]]:
        return package.key, _links(pool, package, with_credentials)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as executor:
        for key, links in executor.map(lookup, wanted.values()):
            out[key] = links
    for key, package in wanted.items():
        missing = [f.name for f in package.files if f.name not in out[key]]
        if missing:
            where = package.source or IMPLICIT_PYPI
            raise SourceError(
                f"{package.name} {package.version}: source {where} does not list "
                f"{missing[0]}, which poetry.lock records.",
                "Check the source URL, or run `poetry lock --regenerate`.",
            )
    return out


def _links(pool: RepositoryPool, package: ExportPackage, with_credentials: bool) -> dict[str, str]:
    from poetry.core.packages.package import Package

    name = package.source or IMPLICIT_PYPI
    try:
        repository = pool.repository(name)
    except IndexError:
        raise SourceError(
            f"{package.name} {package.version} is locked from source {name!r}, which "
            "pyproject.toml does not declare.",
            "Declare the source again, or run `poetry lock`.",
        ) from None
    probe = Package(package.name, package.version)
    try:
        links = repository.find_links_for_package(probe)
    except Exception as e:  # any transport or page error, named with its source
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SourceError(
            f"Could not read the files of {package.name} {package.version} from source "
            f"{name}: {first}"
        ) from None
    secure: Callable[[str], str] = (
        repository.session.authenticated_url  # type: ignore[attr-defined]
        if with_credentials
        else without_userinfo
    )
    return {link.filename: secure(link.url_without_fragment) for link in links}
