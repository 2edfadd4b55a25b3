"""What an index read answers, as data: the query, the releases, and "could not read".

A lookup has three outcomes, never two: releases found (possibly none in the range the
caller wants: the caller decides), the package unknown to the source (HTTP 404: no
releases), or the page could not be read (401/403, 429/5xx after retries, a timeout, a
page that is no index). The last is `Unreadable`, kept per package, so that a source that
failed is never reported as "up to date".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from poetry_platform.errors import SourceError
from poetry_platform.redact import redact

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from poetry.core.constraints.version import Version
    from poetry.core.constraints.version import VersionConstraint


@dataclass(frozen=True)
class Page:
    """The one page that answers a package's lookup in a source, and how to ask for it."""

    url: str
    accept: str
    single: bool  # a find-links page: every project on one page


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


@dataclass(frozen=True)
class Unreadable:
    """A page that could not be read: which source, what happened (never a secret)."""

    source: str
    url: str  # redacted
    status: int | None  # the HTTP status, None for timeouts and connection errors
    detail: str  # "HTTP 401", "no answer within 30 s", "not an index page (text/plain)"

    @property
    def needs_credentials(self) -> bool:
        return self.status in (401, 403)


@dataclass
class Lookups:
    """Every query's releases, and the queries whose pages could not be read."""

    releases: dict[Query, list[Release]] = field(default_factory=dict)
    unreadable: dict[Query, Unreadable] = field(default_factory=dict)

    def __getitem__(self, query: Query) -> list[Release]:
        return self.releases[query]


def credentials_hint(source: str) -> str:
    """Where Poetry reads a source's credentials from, for a 401/403 message."""
    env = re.sub(r"[^A-Z0-9]", "_", source.upper())
    return (
        f"set the credentials of source {source} with `poetry config http-basic.{source}"
        f" USER PASSWORD` or POETRY_HTTP_BASIC_{env}_USERNAME / _PASSWORD"
    )


class IndexLookupError(SourceError):
    """A repository failed (after Poetry's retries, or at the lookup deadline); names the
    package (`what`: the release whose metadata was read) and the repository."""

    def __init__(
        self,
        query: Query,
        repository: str,
        cause: BaseException,
        *,
        what: str | None = None,
        remedy: str = "",
    ) -> None:
        self.query = query
        self.repository = repository
        self.cause = cause
        text = redact(str(cause).strip())
        first = text.splitlines()[0] if text else type(cause).__name__
        super().__init__(
            f"reading {what or query.describe()} from source {repository} failed: {first}",
            remedy,
        )
