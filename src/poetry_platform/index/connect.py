"""Connections to an index: each host's name resolved once per run, the answer reused.

Every new connection resolves its host again in urllib3 (`socket.getaddrinfo`). In
containers and CI runners, parallel resolutions of one host stall exactly 5 s now and then
(glibc sends the A and AAAA queries together over one UDP socket, a conntrack race drops
one, the resolver waits its timeout): with ~30 connections at once, a stall in almost every
run. So the answer for (host, port) is asked of the system resolver once, by the first
connection that needs it, while the others wait for it; every later connection of the
process uses it, in the order the system gave (IPv6/IPv4 preference as configured there).
This is no resolver of our own: `/etc/hosts`, nsswitch and `gai.conf` still decide.

Proxies are unchanged: with a proxy, the connection is to the proxy, and it is the proxy's
name that is resolved once. The connection classes here are urllib3's, with only the name
resolution replaced, so certificates, socket options and timeouts are as before.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from collections.abc import Sequence

# what `socket.getaddrinfo` answers: (family, type, proto, canonname, sockaddr)
AddrInfo = tuple[Any, Any, int, str, Any]


class Resolver:
    """(host, port) -> addresses, asked of `getaddrinfo` once; concurrent askers wait for the
    first one's answer (`wait` seconds at most: a stalled resolution is a connect timeout).
    A failure is remembered too: a second ask would meet the same resolver."""

    def __init__(self, getaddrinfo: Callable[..., Sequence[AddrInfo]] | None = None) -> None:
        self._getaddrinfo = getaddrinfo or socket.getaddrinfo
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, int], list[AddrInfo] | OSError] = {}
        self._pending: dict[tuple[str, int], threading.Event] = {}

    def resolve(self, host: str, port: int, wait: float | None = None) -> list[AddrInfo]:
        key = (host, port)
        with self._lock:
            answer = self._answers.get(key)
            event = self._pending.get(key)
            mine = answer is None and event is None
            if mine:
                event = self._pending[key] = threading.Event()
        if answer is None and event is not None:
            if mine:
                answer = self._ask(key, event)
            elif not event.wait(wait):
                raise TimeoutError(f"no answer from the name resolver for {host}")
            else:
                answer = self._answers[key]
        if isinstance(answer, OSError):
            raise answer
        return answer or []

    def _ask(self, key: tuple[str, int], event: threading.Event) -> list[AddrInfo] | OSError:
        from urllib3.util.connection import allowed_gai_family

        host, port = key
        answer: list[AddrInfo] | OSError
        try:
            answer = list(self._getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM))
        except OSError as e:
            answer = e
        if not answer:
            answer = OSError(f"no address for {host}")
        with self._lock:
            self._answers[key] = answer
            del self._pending[key]
        event.set()
        return answer


_resolver = Resolver()


def resolver() -> Resolver:
    """The process's resolver: one command is one run."""
    return _resolver


@contextmanager
def using(replacement: Resolver) -> Iterator[Resolver]:
    """Resolve through `replacement` inside the block (tests: a counting or stalled one)."""
    global _resolver
    previous, _resolver = _resolver, replacement
    try:
        yield replacement
    finally:
        _resolver = previous


def create_connection(
    address: tuple[str, int],
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
    socket_options: Sequence[tuple[int, int, int | bytes]] | None = None,
) -> socket.socket:
    """urllib3's `create_connection`, with the addresses from the run's `Resolver`."""
    host, port = address
    host = host.strip("[]")
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in _resolver.resolve(host, port, timeout):
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            error = e
            if sock is not None:
                sock.close()
    raise error or OSError(f"no address for {host}")


def _connection_classes() -> tuple[type[Any], type[Any]]:
    from urllib3.connection import HTTPConnection
    from urllib3.connection import HTTPSConnection
    from urllib3.exceptions import ConnectTimeoutError
    from urllib3.exceptions import NameResolutionError
    from urllib3.exceptions import NewConnectionError
    from urllib3.util.timeout import _DEFAULT_TIMEOUT

    def new_conn(self: Any) -> socket.socket:
        timeout = None if self.timeout is _DEFAULT_TIMEOUT else self.timeout
        try:
            return create_connection(
                (self._dns_host, self.port),
                timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e
        except TimeoutError as e:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from e
        except OSError as e:
            raise NewConnectionError(self, f"Failed to establish a new connection: {e}") from e

    class ResolvedHTTPConnection(HTTPConnection):
        _new_conn = new_conn

    class ResolvedHTTPSConnection(HTTPSConnection):
        _new_conn = new_conn

    return ResolvedHTTPConnection, ResolvedHTTPSConnection


_POOLS: dict[str, type[Any]] = {}
_POOLS_LOCK = threading.Lock()


def pool_classes() -> dict[str, type[Any]]:
    """urllib3's connection pool classes by scheme, connecting through the run's resolver:
    set as a `PoolManager`'s `pool_classes_by_scheme`."""
    with _POOLS_LOCK:
        if not _POOLS:
            from urllib3.connectionpool import HTTPConnectionPool
            from urllib3.connectionpool import HTTPSConnectionPool

            plain, secure = _connection_classes()
            _POOLS["http"] = type(
                "ResolvedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": plain}
            )
            _POOLS["https"] = type(
                "ResolvedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure}
            )
        return dict(_POOLS)


def resolve_once(manager: Any) -> Any:
    """`manager` (a urllib3 PoolManager or ProxyManager) connecting through the resolver."""
    manager.pool_classes_by_scheme = pool_classes()
    return manager


def share_with_poetry(pool: Any, *authenticators: Any) -> None:
    """Poetry's own requests for `pool`'s repositories (the metadata reads of a lookup, the
    re-lock that follows, an installer's pages) and through `authenticators` (an
    installer's downloads) resolve their hosts through the run's resolver too: each
    `Authenticator` builds its sessions (one per host, on first use) with connection pools
    from `pool_classes()`. Idempotent; an object without `create_session` is left alone."""
    found = [getattr(r, "session", None) for r in getattr(pool, "all_repositories", ())]
    for auth in [*found, *authenticators]:
        create = getattr(auth, "create_session", None)
        if create is None or getattr(create, "resolves_once", False):
            continue
        try:
            auth.create_session = _resolving(create)
        except AttributeError:
            continue


def _resolving(create: Callable[[], Any]) -> Callable[[], Any]:
    def create_session() -> Any:
        session = create()
        for adapter in getattr(session, "adapters", {}).values():
            manager = getattr(adapter, "poolmanager", None)
            if manager is not None:
                resolve_once(manager)
        return session

    create_session.resolves_once = True  # type: ignore[attr-defined]
    return create_session
