"""Concurrent lookups through Poetry's repositories, against a real index on 127.0.0.1."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from poetry.config.config import Config
from poetry.core.constraints.version import Version
from poetry.factory import Factory

from poetry_platform.up.lookup import Query
from poetry_platform.up.lookup import fetch
from poetry_platform.up.lookup import read_requires_python
from poetry_platform.up.lookup import run_bounded
from tests.support import layouts

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from poetry.repositories import RepositoryPool

    from tests.support.index import IndexServer


def pool_for(server: IndexServer, tmp_path: Path, sources: list[dict[str, str]]) -> RepositoryPool:
    config = Config()
    config.merge({"cache-dir": str(tmp_path / "cache")})
    for source in sources:
        source["url"] = source["url"].replace("SERVER", server.url)
    return Factory.create_pool(config, sources)


@pytest.fixture
def index(make_index: Callable[..., IndexServer]) -> IndexServer:
    server = make_index()
    root = server.root.root
    for version, python in (("1.0", ">=3.8"), ("1.1", ">=3.10"), ("1.2", ">=3.12")):
        layouts.add_release(root, "pypi", "alpha", version, requires_python=python)
    layouts.add_release(root, "pypi", "alpha", "1.3", yanked="oops")
    layouts.add_release(root, "pypi", "alpha", "2.0b1")
    layouts.add_release(root, "extra", "alpha", "7.0")
    layouts.add_release(root, "extra", "beta", "1.0")
    layouts.add_release(root, "private", "alpha", "1.0+internal")
    return server


SOURCES = [
    {"name": "main", "url": "SERVER/pypi/simple/", "priority": "primary"},
    {"name": "extra", "url": "SERVER/extra/simple/", "priority": "supplemental"},
    {"name": "private", "url": "SERVER/private/simple/", "priority": "explicit"},
    {"name": "links", "url": "SERVER/pypi/links.html", "priority": "explicit"},
]


def versions(releases: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(r.version.to_string() for r in releases)


def test_sources_are_asked_like_poetry_asks_them(index: IndexServer, tmp_path: Path) -> None:
    pool = pool_for(index, tmp_path, [dict(s) for s in SOURCES])
    found = fetch(
        pool,
        [Query("alpha"), Query("beta"), Query("alpha", "private"), Query("gamma")],  # type: ignore[arg-type]
    )
    # primary answers alpha, so the supplemental source is not used for it; yanked 1.3 is out
    assert versions(found[Query("alpha")]) == ["1.0", "1.1", "1.2", "2.0b1"]  # type: ignore[arg-type]
    # only the supplemental source knows beta
    assert versions(found[Query("beta")]) == ["1.0"]  # type: ignore[arg-type]
    # an explicit source only when named, and then only it
    assert versions(found[Query("alpha", "private")]) == ["1.0+internal"]  # type: ignore[arg-type]
    assert found[Query("gamma")] == []  # type: ignore[arg-type]
    # Requires-Python comes with the page: no metadata was read
    by_version = {r.version.to_string(): r for r in found[Query("alpha")]}  # type: ignore[arg-type]
    assert by_version["1.2"].requires_python_text == ">=3.12"
    assert by_version["1.1"].requires_python is not None
    assert not by_version["1.1"].requires_python.allows(Version.parse("3.9"))
    assert not index.requests_for(".metadata")


def test_requires_python_the_page_does_not_give_is_read_from_metadata(
    index: IndexServer, tmp_path: Path
) -> None:
    pool = pool_for(index, tmp_path, [dict(s) for s in SOURCES])
    layouts.add_release(index.root.root, "pypi", "silent", "1.0", requires_python=None)
    (silent,) = fetch(pool, [Query("silent")])[Query("silent")]  # type: ignore[arg-type]
    assert silent.requires_python is None  # unknown, not "any": checked before it is chosen
    (alpha,) = [
        r
        for r in fetch(pool, [Query("alpha", "links")])[Query("alpha", "links")]  # type: ignore[arg-type]
        if r.version == Version.parse("1.2")
    ]
    (known,) = read_requires_python(pool, [("alpha", replace(alpha, requires_python=None))])
    assert known.requires_python_text == ">=3.12"


def test_run_bounded_keeps_order_and_bounds_concurrency() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Event()

    def work(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            if running == 3:
                gate.set()
        gate.wait(5)
        with lock:
            running -= 1
        return i * 2

    progress: list[int] = []
    assert run_bounded(
        work, list(range(10)), workers=3, on_done=lambda d, _: progress.append(d)
    ) == [i * 2 for i in range(10)]
    assert peak == 3
    assert progress == list(range(1, 11))


def test_run_bounded_raises_the_first_error() -> None:
    def work(i: int) -> int:
        if i == 4:
            raise ValueError("four")
        return i

    with pytest.raises(ValueError, match="four"):
        run_bounded(work, list(range(8)), workers=2)
