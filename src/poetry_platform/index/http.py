"""The one module that speaks HTTP to an index: sessions with Poetry's credentials,
certificates and HTTP cache, short retries, and every request bounded by the deadline."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING
from typing import Any

from poetry_platform import poetry_api
from poetry_platform.index.deadline import requests_timeout
from poetry_platform.index.model import Unreadable
from poetry_platform.redact import redact

if TYPE_CHECKING:
    import requests
    from poetry.repositories.repository import Repository

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRIES = 2
# Connections kept open per host and used one request after another (keep-alive). Measured
# with 4, 8, 16, 32 and 64 on the real index and on a 100 ms local index (docs/bumping.md):
# a page waits for a free connection, so N connections cost latency x pages / N rounds (800
# pages at 100 ms: 1.3 s with 64, 2.5 s with 32, 10 s with 8); on the real index the sizes
# did not differ beyond the noise once each host is resolved once (what made runs stall).
CONNECTIONS_PER_HOST = 64


def connections_per_host() -> int:
    """`CONNECTIONS_PER_HOST`, or `POETRY_PLATFORM_CONNECTIONS_PER_HOST` (a benchmark's knob)."""
    import os

    try:
        value = int(os.environ.get("POETRY_PLATFORM_CONNECTIONS_PER_HOST", ""))
    except ValueError:
        return CONNECTIONS_PER_HOST
    return value if value > 0 else CONNECTIONS_PER_HOST


class Reader:
    """Pages read under one deadline, one HTTP session per source (Poetry's cache), at most
    `connections_per_host()` requests at a time per host, on connections kept alive; each
    host's name resolved once per run (`connect`). Hosts are read in parallel."""

    def __init__(self, deadline: float, workers: int, seconds: float | None = None) -> None:
        self.deadline = deadline
        self.seconds = seconds  # the deadline's length, for "no answer within N s"
        self.workers = workers
        self.connections = connections_per_host()
        self.timeout = requests_timeout()
        self._sessions: dict[str, requests.Session] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _slot(self, url: str) -> threading.BoundedSemaphore:
        from urllib.parse import urlsplit

        host = urlsplit(url).netloc.rpartition("@")[2].lower()
        with self._lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = self._slots[host] = threading.BoundedSemaphore(self.connections)
            return slot

    def session(self, repo: Repository) -> requests.Session:
        with self._lock:
            session = self._sessions.get(repo.name)
            if session is None:
                session = self._sessions[repo.name] = self._new_session(repo)
            return session

    def _new_session(self, repo: Repository) -> requests.Session:
        import requests

        auth = getattr(repo, "session", None)
        cache = poetry_api.authenticator_cache_control(auth)
        adapter: requests.adapters.HTTPAdapter
        if cache is not None:
            from cachecontrol import CacheControlAdapter

            adapter = _adapter(CacheControlAdapter)(cache=cache, pool_maxsize=self.connections)
        else:
            adapter = _adapter(requests.adapters.HTTPAdapter)(pool_maxsize=self.connections)
        session = requests.Session()
        session.headers["User-Agent"] = poetry_api.authenticator_user_agent(auth)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def get(self, repo: Repository, url: str, accept: str) -> requests.Response | Unreadable:
        """One page, through the source's credentials and certificates; short retries."""
        import requests

        auth: Any = getattr(repo, "session", None)
        kwargs: dict[str, Any] = {"headers": {"Accept": accept}}
        if auth is not None:
            credential = auth.get_credentials_for_url(url)
            if credential.username is not None or credential.password is not None:
                kwargs["auth"] = (credential.username or "", credential.password or "")
            certs = auth.get_certs_for_url(url)
            verify = certs.cert or certs.verify
            kwargs["verify"] = verify if isinstance(verify, bool) else str(verify)
            if certs.client_cert is not None:
                kwargs["cert"] = str(certs.client_cert)
        session = self.session(repo)
        slot = self._slot(url)
        shown = redact(url)
        late = f"no answer within {self.seconds:g} s" if self.seconds else "no answer"
        problem = Unreadable(repo.name, shown, None, late)
        for attempt in range(RETRIES + 1):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0.05 or not slot.acquire(timeout=remaining):
                return problem
            try:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0.05:  # the deadline passed while waiting for a connection
                    return problem
                response = session.get(url, timeout=min(self.timeout, remaining), **kwargs)
            except requests.exceptions.Timeout as e:
                bound = self.seconds if remaining < self.timeout and self.seconds else self.timeout
                # connected, then no answer; or no connection (the name, or the host, silent)
                what = "no connection" if isinstance(e, requests.ConnectTimeout) else "no answer"
                problem = Unreadable(repo.name, shown, None, f"{what} within {bound:g} s")
                continue
            except (requests.exceptions.RequestException, OSError) as e:
                problem = Unreadable(repo.name, shown, None, _connection_detail(e))
            else:
                if response.status_code not in RETRY_STATUS or attempt == RETRIES:
                    return response
                problem = Unreadable(
                    repo.name, shown, response.status_code, f"HTTP {response.status_code}"
                )
            finally:
                slot.release()
            time.sleep(max(0.0, min(0.25 * (attempt + 1), self.deadline - time.monotonic())))
        return problem


_TLS_CONTEXTS: dict[str, Any] = {}
_TLS_LOCK = threading.Lock()


def _tls_context(ca: str) -> Any:
    """One TLS context per CA bundle, its certificates loaded once: requests loads the
    bundle for every new connection (~40 ms of CPU each), and lookups open dozens at once."""
    with _TLS_LOCK:
        context = _TLS_CONTEXTS.get(ca)
        if context is None:
            import ssl
            from pathlib import Path

            from urllib3.util.ssl_ import create_urllib3_context

            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            if Path(ca).is_dir():
                context.load_verify_locations(capath=ca)
            else:
                context.load_verify_locations(cafile=ca)
            _TLS_CONTEXTS[ca] = context
        return context


def _adapter(base: type[Any]) -> type[Any]:
    """`base` (an HTTPAdapter) verifying HTTPS with a shared, preloaded TLS context, and
    connecting (directly or to a proxy) through the run's resolver (`connect`)."""
    from requests.utils import DEFAULT_CA_BUNDLE_PATH

    from poetry_platform.index.connect import resolve_once

    class IndexAdapter(base):  # type: ignore[misc]
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            resolve_once(self.poolmanager)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            fresh = proxy not in self.proxy_manager and not proxy.lower().startswith("socks")
            manager = super().proxy_manager_for(proxy, **kwargs)
            return resolve_once(manager) if fresh else manager  # SOCKS: its own pools

        def build_connection_pool_key_attributes(
            self, request: Any, verify: Any, cert: Any = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
            if (
                host.get("scheme") == "https"
                and pool.get("cert_reqs") == "CERT_REQUIRED"
                and "cert_file" not in pool  # a client certificate: its own context
            ):
                ca = pool.pop("ca_certs", None) or pool.pop("ca_cert_dir", None)
                pool["ssl_context"] = _tls_context(ca or DEFAULT_CA_BUNDLE_PATH)
            return host, pool

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            shared = getattr(conn, "conn_kw", {}).get("ssl_context")
            if shared is not None and verify is not False:
                conn.ca_certs = None  # the context has them
                conn.ca_cert_dir = None

    return IndexAdapter


def _connection_detail(error: BaseException) -> str:
    text = redact(str(error).strip().splitlines()[0] if str(error).strip() else "")
    kind = type(error).__name__
    return f"connection failed ({kind}: {text})" if text else f"connection failed ({kind})"


def without_userinfo(url: str) -> str:
    """`url` with any `user:password@` removed: exported files are shared and committed."""
    from urllib.parse import urlsplit
    from urllib.parse import urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def with_userinfo(repo: Repository, url: str) -> str:
    """`url` carrying exactly one `user:password@`, as Poetry would send it for `repo`.

    The source URL's own userinfo wins (Poetry sends it for the pages, and for the files
    the pages link on the same host); otherwise Poetry's configured or environment
    credentials for `url`. Poetry's `authenticated_url` prepends credentials found in the
    URL to the URL that still has them (`alice:PW@alice:PW@host`) and drops the query.
    """
    from urllib.parse import quote
    from urllib.parse import urlsplit
    from urllib.parse import urlunsplit

    auth: Any = getattr(repo, "session", None)
    bare = without_userinfo(url)
    if auth is None:
        return bare
    source = str(getattr(repo, "url", ""))
    parts, home = urlsplit(bare), urlsplit(without_userinfo(source))
    if "@" in urlsplit(source).netloc and (parts.scheme, parts.netloc) == (
        home.scheme,
        home.netloc,
    ):
        credential = auth.get_credentials_for_url(source)
    else:
        credential = auth.get_credentials_for_url(bare)
    if credential.username is None or credential.password is None:
        return bare
    user, password = quote(credential.username, safe=""), quote(credential.password, safe="")
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))
