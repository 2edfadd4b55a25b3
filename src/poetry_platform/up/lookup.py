"""What a torch companion (torchvision) requires of its anchor (torch), read from the metadata
of the few releases that could be chosen: platform-up's one lookup that knows its families.

Every other index read (the pages, Requires-Python from metadata, the pre-lock prefetch)
is `poetry_platform.index`'s, under the same lookup deadline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform.index.client import read_package
from poetry_platform.index.client import release_key
from poetry_platform.index.client import within
from poetry_platform.index.deadline import DEFAULT_WORKERS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence

    from poetry.repositories import RepositoryPool

    from poetry_platform.index.deadline import Deadline
    from poetry_platform.index.model import Release


def read_requirements(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Release]],
    linked: Iterable[Iterable[str]] = (),
    *,
    workers: int = DEFAULT_WORKERS,
    budget: Deadline | None = None,
) -> dict[tuple[str, str, str], str]:
    """What each companion release (torchvision) requires of its anchor (torch), from its
    metadata: (name, version, repository) -> `==2.9.0` (empty: no requirement on it); by
    `budget` like `read_requires_python`."""
    from poetry_platform.up.families import anchor_of

    def one(item: tuple[str, Release]) -> tuple[tuple[str, str, str], str]:
        name, release = item
        key = (name, release.version.to_string(), release.repository)
        package = read_package(pool, name, release)
        anchor = anchor_of(name, linked)
        texts = sorted({d.pretty_constraint for d in package.requires if d.name == anchor})
        return key, " || ".join(texts)

    return dict(within(one, list(dict.fromkeys(wanted)), budget, release_key, workers))
