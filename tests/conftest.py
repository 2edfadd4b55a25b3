"""Shared fixtures: the local package index and locked projects, built once per session.

Locking is the expensive part of a real Poetry run, so `locked_project` locks each distinct
pyproject once per session and hands every test its own copy. (Each xdist worker has its own
session, hence its own index and locks.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import layouts
from tests.support import project as support_project
from tests.support.index import IndexServer
from tests.support.project import LockCache
from tests.support.project import poetry_env
from tests.support.templates import findlinks_project
from tests.support.templates import jax_project
from tests.support.templates import tagged_project
from tests.support.templates import torch_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from pathlib import Path


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a test not marked `slow` is set up: refuse to run Poetry."""
    support_project.refuse_poetry = (
        None
        if item.get_closest_marker("slow")
        else f"{item.nodeid} runs Poetry (a lock, a venv or an install): "
        "mark it @pytest.mark.slow so that the fast loop stays fast"
    )


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown() -> None:
    support_project.refuse_poetry = None


@pytest.fixture(scope="session")
def index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every layout in one root, built once; treat it as read-only (use `make_index` to edit)."""
    return layouts.build(tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def index_server(index_root: Path) -> Iterator[IndexServer]:
    """The session's server over `index_root`; do not leave knobs set (see `make_index`)."""
    with IndexServer(index_root) as server:
        yield server


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[Callable[..., IndexServer]]:
    """A factory for private, mutable indexes: `make_index("jax_like", auth=..., latency=...)`.

    Each call builds the named layouts (none: an empty root to fill with `add_release`) into a
    fresh directory and starts a server over it; all are stopped after the test.
    """
    servers: list[IndexServer] = []

    def factory(
        *names: str,
        latency: float = 0.0,
        auth: tuple[str, str] | None = None,
        serve_json: bool = True,
        serve_metadata: bool = True,
    ) -> IndexServer:
        root = tmp_path / f"index-{len(servers)}"
        root.mkdir(parents=True)
        for name in names:
            layouts.build(root, name)
        server = IndexServer(
            root, latency=latency, auth=auth, serve_json=serve_json, serve_metadata=serve_metadata
        ).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def hermetic_env(tmp_path: Path) -> dict[str, str]:
    """`poetry_env` with state private to this test."""
    return poetry_env(tmp_path / "poetry-state")


@pytest.fixture(scope="session")
def lock_cache(tmp_path_factory: pytest.TempPathFactory) -> LockCache:
    """Session-wide `LockCache`: its Poetry config is shared, each lock has its own cache."""
    state = tmp_path_factory.mktemp("lock-cache")
    return LockCache(state / "projects", poetry_env(state / "poetry-state"))


@pytest.fixture
def locked_project(tmp_path: Path, lock_cache: LockCache) -> Callable[..., Path]:
    """`locked_project(pyproject_text, name="project") -> Path`: a private copy, in this
    test's tmp_path, of a project locked once per session."""

    def factory(pyproject_text: str, name: str = "project") -> Path:
        return lock_cache.copy(pyproject_text, tmp_path / name)

    return factory


@pytest.fixture
def jax_locked(locked_project: Callable[..., Path], index_server: IndexServer) -> Path:
    """The jax_like demo project (`templates.jax_project`), locked; a private copy."""
    return locked_project(jax_project(index_server), "jax-demo")


@pytest.fixture
def torch_locked(locked_project: Callable[..., Path], index_server: IndexServer) -> Path:
    """The torch_like exclusive-extras project (`templates.torch_project`), locked."""
    return locked_project(torch_project(index_server), "torch-demo")


@pytest.fixture
def findlinks_locked(locked_project: Callable[..., Path], index_server: IndexServer) -> Path:
    """The old find-links JAX project (`templates.findlinks_project`), locked."""
    return locked_project(findlinks_project(index_server), "old-jax")


@pytest.fixture
def tagged_locked(locked_project: Callable[..., Path], index_server: IndexServer) -> Path:
    """Every package of the tagged layout (`templates.tagged_project`), locked."""
    return locked_project(tagged_project(index_server), "tagged-demo")
