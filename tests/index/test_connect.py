"""Each index host's name resolved once per run, whatever the number of pages asked of it."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from typing import TYPE_CHECKING
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from poetry.config.config import Config
from poetry.factory import Factory

from poetry_platform.index import connect
from poetry_platform.index.client import fetch
from poetry_platform.index.client import read_requires_python
from poetry_platform.index.model import Query
from tests.support import layouts

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

# names only the fake resolver knows: a connection made without it cannot succeed
MAIN_HOST = "main-index.invalid"
OTHER_HOST = "other-index.invalid"


class CountingResolver:
    """`getaddrinfo` for the two fake host names (127.0.0.1), counting each call per host."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.calls: dict[str, int] = {}
        self.hold = hold
        self.lock = threading.Lock()

    def __call__(self, host: str, port: int, *_: int) -> list[Any]:
        with self.lock:
            self.calls[host] = self.calls.get(host, 0) + 1
        if self.hold is not None:
            self.hold.wait(30)
        if host not in (MAIN_HOST, OTHER_HOST):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


@pytest.fixture
def fifty(make_index: Callable[..., IndexServer]) -> IndexServer:
    server = make_index()
    for i in range(50):
        layouts.add_release(server.root.root, "pypi", f"pkg{i}", "1.0")
        layouts.add_release(server.root.root, "extra", f"pkg{i}", "2.0")
    return server


def pool_at(server: IndexServer, tmp_path: Path) -> Any:
    config = Config()
    config.merge({"cache-dir": str(tmp_path / "cache")})
    sources = [
        {"name": "main", "url": f"http://{MAIN_HOST}:{server.port}/pypi/simple/"},
        {"name": "other", "url": f"http://{OTHER_HOST}:{server.port}/extra/simple/"},
    ]
    return Factory.create_pool(config, sources)


QUERIES = [Query(canonicalize_name(f"pkg{i}")) for i in range(50)]


def test_a_lookup_of_50_packages_resolves_each_host_once(
    fifty: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    counting = CountingResolver()
    with connect.using(connect.Resolver(counting)):
        pool = pool_at(fifty, tmp_path)
        found = fetch(pool, QUERIES, deadline=60)
        pages = len(fifty.requests_for("/simple/pkg"))
        # Poetry's own requests (a metadata read) go through the same answer
        wanted = [
            (str(q.name), next(r for r in found[q] if r.repository == "main")) for q in QUERIES[:3]
        ]
        read = read_requires_python(
            pool, [(n, replace(r, requires_python=None)) for n, r in wanted]
        )
    assert [r.requires_python_text for r in read] == [None, None, None]
    assert not found.unreadable
    # both primary sources answer every package: 100 pages, two hosts
    assert all(sorted(r.version.to_string() for r in found[q]) == ["1.0", "2.0"] for q in QUERIES)
    assert counting.calls == {MAIN_HOST: 1, OTHER_HOST: 1}
    assert pages == 100


def test_a_stalled_name_resolution_ends_at_the_lookup_deadline_as_could_not_read(
    fifty: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    hold = threading.Event()
    stalled = CountingResolver(hold)
    try:
        with connect.using(connect.Resolver(stalled)):
            found = fetch(pool_at(fifty, tmp_path), QUERIES[:5], deadline=1)
    finally:
        hold.set()
    assert set(found.unreadable) == set(QUERIES[:5])
    details = {u.detail for u in found.unreadable.values()}
    assert details <= {"no answer within 1 s", "no connection within 1 s"}, details
    assert not fifty.requests_for("/simple/pkg")
    assert stalled.calls == {MAIN_HOST: 1, OTHER_HOST: 1}  # the other requests waited on it


def test_a_failed_resolution_is_a_connection_failure_asked_once() -> None:
    counting = CountingResolver()
    resolver = connect.Resolver(counting)
    for _ in range(3):
        with pytest.raises(socket.gaierror):
            resolver.resolve("nowhere.invalid", 80)
    assert counting.calls == {"nowhere.invalid": 1}


def test_pages_waiting_for_a_connection_end_at_the_deadline(
    fifty: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One connection per host, its first request held: the other pages wait for the
    connection and end at the deadline as could-not-read, none with an error of its own."""
    monkeypatch.setenv("POETRY_PLATFORM_CONNECTIONS_PER_HOST", "1")
    held = fifty.hold_paths("/simple/pkg")
    try:
        with connect.using(connect.Resolver(CountingResolver())):
            found = fetch(pool_at(fifty, tmp_path), QUERIES[:6], deadline=1)
    finally:
        held.set()
    assert set(found.unreadable) == set(QUERIES[:6])
    assert {u.detail for u in found.unreadable.values()} == {"no answer within 1 s"}
    assert len(fifty.requests_for("/simple/pkg")) <= 2  # one per host: the rest never asked
