"""Where each file of a package is downloaded from, read from its source's page.

poetry.lock records file names and hashes, not URLs (an index decides its own file URLs).
An exported pylock.toml needs one URL per file, so the package's page is read, as Poetry's
installer reads it before downloading, through the same client as every other index read:
Poetry's credentials and certificates, one name resolution per host, a few kept-alive
connections per host, and one deadline for all the pages. A find-links page (every
package on one page) is read once. A page that could not be read is `Unreadable` (HTTP
401 stays HTTP 401), a package the source does not know is `NotFound`.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.index.client import NotFound
from poetry_platform.index.client import page_of
from poetry_platform.index.deadline import DEFAULT_WORKERS
from poetry_platform.index.deadline import gather
from poetry_platform.index.http import Reader
from poetry_platform.index.http import without_userinfo
from poetry_platform.index.model import Unreadable
from poetry_platform.index.pages import links_of
from poetry_platform.redact import redact

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poetry.repositories.repository import Repository

    from poetry_platform.index.deadline import Deadline

Links = dict[str, str]  # file name -> URL, without userinfo
# (repository, package name, version)
Wanted = tuple["Repository", str, str]


def file_links(
    wanted: Sequence[Wanted], *, budget: Deadline, workers: int = DEFAULT_WORKERS
) -> list[Links | Unreadable | NotFound]:
    """Each wanted package's file URLs, all pages asked for at once; a page not answered
    by the deadline is `Unreadable` ("no answer within N s")."""
    reader = Reader(budget.at, min(workers, max(len(wanted), 1)), budget.seconds)
    shared: dict[str, tuple[threading.Event, list[Any]]] = {}
    lock = threading.Lock()

    def read(repo: Repository, url: str, accept: str, project: bool) -> Any:
        response = reader.get(repo, url, accept)
        if isinstance(response, Unreadable):
            return response
        return links_of(repo.name, url, response, project=project)

    def once(repo: Repository, url: str, accept: str) -> Any:
        """A find-links page serves every package: read it once."""
        with lock:
            entry = shared.get(url)
            mine = entry is None
            if entry is None:
                entry = shared[url] = (threading.Event(), [])
        event, slot = entry
        if mine:
            try:
                slot.append(read(repo, url, accept, False))
            finally:
                event.set()
        else:
            event.wait(max(0.0, budget.at - time.monotonic()))
        return slot[0] if slot else Unreadable(repo.name, redact(url), None, "no answer")

    def one(item: Wanted) -> Links | Unreadable | NotFound:
        repo, name, version = item
        page = page_of(repo, name)
        if page is None:
            return _poetry_links(repo, name, version)
        if page.single:
            found = once(repo, page.url, page.accept)
        else:
            found = read(repo, page.url, page.accept, True)
        if found is None:
            return NotFound(redact(page.url), 404)
        if isinstance(found, Unreadable):
            return found
        return {filename: without_userinfo(url) for filename, url in found.items()}

    answers = gather(one, wanted, workers=workers, until=budget.at)
    return [
        answer
        if answer is not None
        else Unreadable(repo.name, "", None, f"no answer within {budget.seconds:g} s")
        for (repo, _, _), answer in zip(wanted, answers, strict=True)
    ]


def _poetry_links(repo: Repository, name: str, version: str) -> Links | Unreadable:
    """Poetry's own links, for repositories that are not simple indexes."""
    from poetry.core.packages.package import Package

    try:
        links = repo.find_links_for_package(Package(name, version))
    except Exception as e:  # any transport or page error, named with its source
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return Unreadable(repo.name, "", None, redact(first))
    return {link.filename: without_userinfo(link.url_without_fragment) for link in links}
