"""Release lists for many packages at once, read from the index pages themselves.

Poetry looks packages up one after another, and for each builds a `Package` per release;
with hundreds of dependencies and a 100 ms index that is minutes of round trips that do not
depend on each other, and seconds of CPU. Here each (source, package) page is asked for once,
all at once on a bounded pool of daemon threads, and read directly: PEP 691 JSON when the
index offers it, the PEP 503 HTML page otherwise. The page lists every file with its
yanked flag and Requires-Python, which is all a version choice needs; no metadata is
downloaded per release. The requests go through Poetry's side of things: the source's
credentials and certificates (its `Authenticator`), and the same on-disk HTTP cache and
`Accept` header Poetry uses, so a second run within the index's cache lifetime costs no
network and the lock that follows finds the pages cached.

Which sources answer follows Poetry: a dependency that names a `source` is looked up there
only (explicit sources are invisible otherwise); others in every primary source, and in
supplemental ones only when no primary source knows the package.

A lookup has three outcomes, never two: releases found (possibly none in the range the
caller wants: the caller decides), the package unknown to the source (HTTP 404: no
releases), or the page could not be read (401/403, 429/5xx after retries, a timeout, a
page that is no index). The last is `Unreadable`, kept per package, so that a source that
failed is never reported as "up to date".

One budget bounds every request of the lookup stage (`Deadline`, `lookup_deadline`
seconds from the first page asked for): the pages, then the metadata reads below, then the
pre-lock prefetch, each phase getting what the earlier ones left. A page not answered by
then is `Unreadable`; a metadata read not answered by then fails the run
(`IndexLookupError`, naming the source and the release), as the lock would wait on the
same request under Poetry's retries (~100 s for an index that never answers).

Only where a page does not give Requires-Python at all (find-links pages often do not) is
the metadata of a candidate release read (`read_requires_python`), and only for the
candidates that could be chosen.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar
from typing import cast

from poetry_platform.errors import SourceError
from poetry_platform.redact import redact

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Sequence
    from pathlib import Path

    import requests
    from packaging.utils import NormalizedName
    from poetry.core.constraints.version import Version
    from poetry.core.constraints.version import VersionConstraint
    from poetry.repositories import RepositoryPool
    from poetry.repositories.repository import Repository

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_WORKERS = 64
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
# What Poetry's legacy repositories send: the cached page is then shared with the lock.
PREFER_JSON = f"{JSON_TYPE}, */*;q=0.1"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRIES = 2


def requests_timeout() -> float:
    """Poetry's per-request timeout (`POETRY_REQUESTS_TIMEOUT`, 15 s by default)."""
    try:
        value = float(os.environ.get("POETRY_REQUESTS_TIMEOUT", "15"))
    except ValueError:
        return 15.0
    return value if value > 0 else 15.0


def lookup_deadline(option: float | None = None) -> float:
    """Seconds all lookups together may take: the option, else twice Poetry's timeout.

    Poetry's own retries multiply its timeout (an index that never answers took ~99 s to
    fail); one total deadline bounds the whole phase instead.
    """
    if option is not None and option > 0:
        return option
    return 2 * requests_timeout()


@dataclass(frozen=True)
class Deadline:
    """The one budget of a run's lookup stage: every page, metadata read and prefetch of
    the run is done by `at` (monotonic), `seconds` after the first page was asked for."""

    seconds: float
    at: float

    @classmethod
    def start(cls, option: float | None = None) -> Deadline:
        seconds = lookup_deadline(option)
        return cls(seconds, time.monotonic() + seconds)


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


def _metadata_of(name: str, version: Version | str) -> str:
    text = version if isinstance(version, str) else version.to_string()
    return f"the metadata of {name} {text}"


def _past_deadline(
    budget: Deadline, name: str, version: Version, repository: str
) -> IndexLookupError:
    return IndexLookupError(
        Query(name),  # type: ignore[arg-type]
        repository,
        TimeoutError(f"no answer within the lookup deadline ({budget.seconds:g} s)"),
        what=_metadata_of(name, version),
        remedy="Retry, or give the lookups more time: --lookup-timeout SECONDS (by default"
        " twice POETRY_REQUESTS_TIMEOUT).",
    )


def _within(
    func: Callable[[T], R],
    items: Sequence[T],
    budget: Deadline | None,
    release_of: Callable[[T], tuple[str, Version, str]],
    workers: int,
) -> list[R]:
    """`run_bounded(func, items)` ending at the budget: the first item (in order) without
    an answer by then fails as `IndexLookupError`, naming its release and source."""
    if budget is None:
        return run_bounded(func, items, workers=workers)
    boxed = gather(lambda item: (func(item),), items, workers=workers, until=budget.at)
    out: list[R] = []
    for item, box in zip(items, boxed, strict=True):
        if box is None:
            raise _past_deadline(budget, *release_of(item))
        out.append(box[0])
    return out


def run_bounded(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = DEFAULT_WORKERS,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R]:
    """`[func(i) for i in items]` on at most `workers` daemon threads, results in order.

    The first exception is raised in the caller once every started call has finished or
    the caller is interrupted; daemon threads never keep the process alive (a hung request
    must not delay an interrupted command's exit).
    """
    return cast("list[R]", gather(func, items, workers=workers, until=None, on_done=on_done))


# --- reading one page ----------------------------------------------------------------------

_SDIST = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar")
# an <a ...> tag; quoted attribute values may hold a raw ">" (`data-requires-python='>=3.10'`)
_ANCHOR = re.compile(r"""<a\s((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


class PageError(ValueError):
    """A page that is no simple-index page (the reason is the message)."""


@lru_cache(maxsize=4096)
def _normalize(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


_PLAIN_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*")


@lru_cache(maxsize=65536)
def _version(text: str) -> Version | None:
    """`Version.parse(text)`, built directly for plain `1.2.3` texts (most of a page's
    thousands of releases): the same object, without the PEP 440 regular expression."""
    from poetry.core.constraints.version import Version
    from poetry.core.version.pep440.segments import Release

    if _PLAIN_VERSION.fullmatch(text):
        return Version(release=Release.from_parts(*map(int, text.split("."))))
    try:
        return Version.parse(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _python(text: str) -> VersionConstraint | None:
    from poetry.core.constraints.version import parse_constraint

    try:
        return parse_constraint(text)
    except ValueError:
        return None


def split_filename(filename: str) -> tuple[str, str] | None:
    """(normalized project, version text) of a wheel or sdist file name; None otherwise."""
    version = file_version(filename)
    if version is None:
        return None
    return _normalize(filename[: filename.index("-" + version)]), version


def file_version(filename: str) -> str | None:
    """The version text of a wheel or sdist file name (no name check: a project page)."""
    if filename.endswith(".whl"):
        parts = filename.split("-", 2)
        return parts[1] if len(parts) == 3 else None
    for ext in _SDIST:
        if filename.endswith(ext):
            name, sep, version = filename[: -len(ext)].rpartition("-")
            return version if sep and name else None
    return None


# (file name, Requires-Python as stated or None, yanked): plain tuples, as pages list
# thousands of files (boto3: 2,000+ releases) and this is the per-file cost.
PageFile = tuple[str, "str | None", bool]


def parse_json_page(body: bytes | str) -> list[PageFile]:
    """The files of a PEP 691 project page."""
    try:
        files = json.loads(body)["files"]
        return [
            (f["filename"], f.get("requires-python"), f.get("yanked") not in (None, False))
            for f in files
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise PageError(f"not a PEP 691 page ({type(e).__name__})") from None


def parse_html_page(text: str) -> list[PageFile]:
    """The files of a PEP 503 page (a project page, or a find-links page)."""
    from urllib.parse import unquote
    from urllib.parse import urlsplit

    out: list[PageFile] = []
    for match in _ANCHOR.finditer(text):
        attrs = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR.finditer(match.group(1))
        }
        href = attrs.get("href")
        if not href:
            continue
        filename = unquote(urlsplit(href).path.rsplit("/", 1)[-1])
        out.append((filename, attrs.get("data-requires-python") or None, "data-yanked" in attrs))
    return out


# A release as remembered: (version text, Requires-Python text, whether it is known).
Entry = tuple[str, "str | None", bool]


def entries_from(files: Iterable[PageFile], name: str, *, one_project: bool) -> list[Entry]:
    """Releases of `name` listed by `files`: yanked ones (every file yanked) left out.

    Requires-Python is the union of what the release's files state. Where the page states
    it for some releases of the project, a release that states none has no requirement;
    where the page never states it, it is unknown and read from metadata later.
    """
    live: dict[str, bool] = {}
    texts: dict[str, set[str]] = {}
    states = False
    for filename, requires, yanked in files:
        if one_project:
            version = file_version(filename)
        else:
            split = split_filename(filename)
            version = split[1] if split is not None and split[0] == name else None
        if version is None:
            continue
        if not yanked:
            live[version] = True
        else:
            live.setdefault(version, False)
        if requires:
            states = True
            if not yanked:
                texts.setdefault(version, set()).add(requires)
    out: list[Entry] = []
    for version, alive in live.items():
        if not alive:
            continue
        stated = texts.get(version)
        if stated:
            out.append((version, " || ".join(sorted(stated)), True))
        else:
            out.append((version, None, states))
    return out


def releases_of(entries: Iterable[Entry], repository: str) -> list[Release]:
    out = []
    for text, requires, known in entries:
        version = _version(text)
        if version is None:
            continue
        if requires is not None:
            out.append(Release(version, repository, _python(requires), requires))
        else:
            out.append(Release(version, repository, _python("*") if known else None, None))
    return out


def releases_from(
    files: Iterable[PageFile], name: str, repository: str, *, one_project: bool
) -> list[Release]:
    return releases_of(entries_from(files, name, one_project=one_project), repository)


# --- asking the sources --------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    url: str
    accept: str
    single: bool  # a find-links page: every project on one page


def _page_of(repo: Repository, name: str) -> _Page | None:
    """The page to ask for `name`, or None where Poetry's own lookup must be used."""
    from poetry.repositories.legacy_repository import LegacyRepository
    from poetry.repositories.pypi_repository import PyPiRepository
    from poetry.repositories.single_page_repository import SinglePageRepository

    if getattr(repo, "_min_release_age_cutoff", None) is not None:
        return None  # solver.min-release-age filters by upload time: Poetry's rules apply
    if isinstance(repo, SinglePageRepository):
        return _Page(repo.url, PREFER_JSON, True)
    if isinstance(repo, LegacyRepository):
        return _Page(f"{repo.url.rstrip('/')}/{name}/", PREFER_JSON, False)
    if isinstance(repo, PyPiRepository):
        base = str(getattr(repo, "_base_url", ""))
        return _Page(f"{base}simple/{name}/", JSON_TYPE, False) if base else None
    return None


DEFAULT_TTL = 300.0  # seconds a page is remembered when its index sends no cache headers
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


def _ttl(response: requests.Response) -> float:
    """How long the release list of this page may be reused: the index's `max-age`, none
    for `no-store`/`no-cache`, `DEFAULT_TTL` when the index says nothing."""
    control = response.headers.get("Cache-Control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return 0.0
    match = _MAX_AGE.search(control)
    return float(match.group(1)) if match else DEFAULT_TTL


class _Memory:
    """Release lists of project pages, remembered for their cache lifetime under Poetry's
    cache directory: a second run within minutes asks nothing and parses nothing (a PyPI
    page can be 2 MB). Only versions and Requires-Python are stored, never credentials;
    `poetry --no-cache` (a repository with its cache disabled) skips it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, repo: Repository, page: _Page) -> Path:
        import hashlib

        key = hashlib.sha256(f"{repo.name}\0{page.url}\0{page.accept}".encode()).hexdigest()
        return self.directory / f"{key[:40]}.json"

    def recall(self, repo: Repository, page: _Page) -> list[Entry] | None:
        try:
            data = json.loads(self._path(repo, page).read_bytes())
            if float(data["expires"]) < time.time():
                return None
            return [(str(v), r, bool(k)) for v, r, k in data["entries"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remember(self, repo: Repository, page: _Page, entries: list[Entry], ttl: float) -> None:
        if ttl <= 0:
            return
        path = self._path(repo, page)
        data = {"expires": time.time() + ttl, "entries": entries}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            temporary.replace(path)
        except OSError:
            return  # an unwritable cache only costs the next run a request


class _Reader:
    """Pages read under one deadline, one HTTP session per source (Poetry's cache, more
    connections: Poetry sizes its pools for installs, not for hundreds of lookups)."""

    def __init__(self, deadline: float, workers: int, memory: _Memory | None = None) -> None:
        self.deadline = deadline
        self.workers = workers
        self.memory = memory
        self.timeout = requests_timeout()
        self._sessions: dict[str, requests.Session] = {}
        self._lock = threading.Lock()
        self._single: dict[str, tuple[threading.Event, list[Any]]] = {}

    def session(self, repo: Repository) -> requests.Session:
        with self._lock:
            session = self._sessions.get(repo.name)
            if session is None:
                session = self._sessions[repo.name] = self._new_session(repo)
            return session

    def _new_session(self, repo: Repository) -> requests.Session:
        import requests

        auth = getattr(repo, "session", None)
        cache = getattr(auth, "_cache_control", None)
        adapter: requests.adapters.HTTPAdapter
        if cache is not None:
            from cachecontrol import CacheControlAdapter

            adapter = _shared_tls(CacheControlAdapter)(cache=cache, pool_maxsize=self.workers)
        else:
            adapter = _shared_tls(requests.adapters.HTTPAdapter)(pool_maxsize=self.workers)
        session = requests.Session()
        session.headers["User-Agent"] = str(getattr(auth, "_user_agent", "poetry"))
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
        shown = redact(url)
        problem = Unreadable(repo.name, shown, None, "no answer")
        for attempt in range(RETRIES + 1):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0.05:
                return problem
            try:
                response = session.get(url, timeout=min(self.timeout, remaining), **kwargs)
            except requests.exceptions.Timeout:
                problem = Unreadable(repo.name, shown, None, "no answer (timed out)")
                continue
            except (requests.exceptions.RequestException, OSError) as e:
                problem = Unreadable(repo.name, shown, None, _connection_detail(e))
            else:
                if response.status_code not in RETRY_STATUS or attempt == RETRIES:
                    return response
                problem = Unreadable(
                    repo.name, shown, response.status_code, f"HTTP {response.status_code}"
                )
            time.sleep(max(0.0, min(0.25 * (attempt + 1), self.deadline - time.monotonic())))
        return problem

    def read(self, repo: Repository, name: str) -> list[Release] | Unreadable:
        page = _page_of(repo, name)
        if page is None:
            return _poetry_lookup(repo, name)
        if page.single:
            files = self._single_page(repo, page)
            if isinstance(files, Unreadable) or files is None:
                return files or []
            return releases_from(files, name, repo.name, one_project=False)
        memory = None if getattr(repo, "_disable_cache", False) else self.memory
        entries = memory.recall(repo, page) if memory is not None else None
        if entries is None:
            response = self.get(repo, page.url, page.accept)
            if isinstance(response, Unreadable):
                return response
            found = _files_of(repo.name, page.url, response, project=True)
            if isinstance(found, Unreadable) or found is None:
                return found or []
            entries = entries_from(found, name, one_project=True)
            if memory is not None:
                memory.remember(repo, page, entries, _ttl(response))
        return releases_of(entries, repo.name)

    def _single_page(self, repo: Repository, page: _Page) -> list[PageFile] | Unreadable | None:
        """A find-links page serves every package: read it once per run."""
        with self._lock:
            entry = self._single.get(page.url)
            mine = entry is None
            if entry is None:
                entry = self._single[page.url] = (threading.Event(), [])
        event, slot = entry
        if mine:
            try:
                response = self.get(repo, page.url, page.accept)
                slot.append(
                    response
                    if isinstance(response, Unreadable)
                    else _files_of(repo.name, page.url, response, project=False)
                )
            finally:
                event.set()
        else:
            event.wait(max(0.0, self.deadline - time.monotonic()))
        if not slot:
            return Unreadable(repo.name, redact(page.url), None, "no answer")
        result: list[PageFile] | Unreadable | None = slot[0]
        return result


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


def _shared_tls(base: type[Any]) -> type[Any]:
    """`base` (an HTTPAdapter) verifying HTTPS with a shared, preloaded TLS context."""
    from requests.utils import DEFAULT_CA_BUNDLE_PATH

    class SharedTLSAdapter(base):  # type: ignore[misc]
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

    return SharedTLSAdapter


def _connection_detail(error: BaseException) -> str:
    text = redact(str(error).strip().splitlines()[0] if str(error).strip() else "")
    kind = type(error).__name__
    return f"connection failed ({kind}: {text})" if text else f"connection failed ({kind})"


def _files_of(
    source: str, url: str, response: requests.Response, *, project: bool
) -> list[PageFile] | Unreadable | None:
    """The files a response lists; None for 404 (the source does not know the package)."""
    status = response.status_code
    if status == 404 or (status == 410 and project):
        return None
    if status != 200:
        return Unreadable(source, redact(url), status, f"HTTP {status}")
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    try:
        if kind == JSON_TYPE or kind == "application/json":
            return parse_json_page(response.content)
        if kind in ("text/html", "application/xhtml+xml", ""):
            files = parse_html_page(response.text)
            if (
                not files
                and "<a" not in response.text.lower()
                and "<html" not in (response.text[:2048].lower())
            ):
                raise PageError("not an index page (no HTML)")
            return files
        raise PageError(f"not an index page ({kind})")
    except PageError as e:
        return Unreadable(source, redact(url), status, str(e))


def _poetry_lookup(repo: Repository, name: str) -> list[Release] | Unreadable:
    """Poetry's own lookup, for repositories that are not simple indexes."""
    from poetry.core.packages.dependency import Dependency

    try:
        packages = repo.find_packages(Dependency(name, "*", allows_prereleases=True))
    except Exception as e:
        return Unreadable(repo.name, "", None, redact(str(e).strip() or type(e).__name__))
    return [Release(p.version, repo.name, None, None) for p in packages if not p.yanked]


def repositories_for(pool: RepositoryPool, query: Query) -> list[tuple[Repository, bool]]:
    """(repository, supplemental?) pairs that answer `query`, in Poetry's order."""
    from poetry.repositories.repository_pool import Priority

    if query.source:
        return [(pool.repository(query.source), False)]
    return [
        (repo, pool.get_priority(repo.name) is Priority.SUPPLEMENTAL) for repo in pool.repositories
    ]


def fetch(
    pool: RepositoryPool,
    queries: Iterable[Query],
    *,
    workers: int = DEFAULT_WORKERS,
    deadline: float | None = None,
    on_done: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    budget: Deadline | None = None,
) -> Lookups:
    """The releases answering each query, every page asked for at once, under one deadline.

    `budget` is the run's lookup deadline (the later metadata reads share it); without it,
    `deadline` seconds from now (`lookup_deadline()` when None). `cache_dir` (Poetry's
    repository cache directory) remembers release lists for the page's cache lifetime.
    """
    unique = list(dict.fromkeys(queries))
    tasks: list[tuple[Query, Repository, bool]] = [
        (q, repo, supplemental) for q in unique for repo, supplemental in repositories_for(pool, q)
    ]
    budget = budget or Deadline.start(deadline)
    seconds = budget.seconds
    memory = _Memory(cache_dir / "platform-up-pages") if cache_dir is not None else None
    reader = _Reader(budget.at, min(workers, max(len(tasks), 1)), memory)

    def one(task: tuple[Query, Repository, bool]) -> list[Release] | Unreadable:
        query, repo, _ = task
        return reader.read(repo, query.name)

    answers = gather(one, tasks, workers=workers, until=reader.deadline, on_done=on_done)
    out = Lookups({q: [] for q in unique})
    found_primary: set[Query] = set()
    for (query, _, supplemental), answer in zip(tasks, answers, strict=True):
        if not supplemental and isinstance(answer, list) and answer:
            found_primary.add(query)
    for (query, repo, supplemental), answer in zip(tasks, answers, strict=True):
        if supplemental and query in found_primary:
            continue
        if answer is None:
            answer = Unreadable(repo.name, "", None, f"no answer within {seconds:g} s")
        if isinstance(answer, Unreadable):
            out.unreadable.setdefault(query, answer)
        else:
            out.releases[query].extend(answer)
    return out


def gather(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = DEFAULT_WORKERS,
    until: float | None,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R | None]:
    """`[func(i) for i in items]` on daemon threads, stopping at `until` (monotonic; None:
    no deadline). Items not finished by then are None. After the first exception no new
    call starts; it is raised in the caller once the started calls have finished.
    """
    n = len(items)
    results: list[R | None] = [None] * n
    if n == 0:
        return results
    errors: list[BaseException | None] = [None] * n
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(n):
        todo.put(i)
    done: queue.SimpleQueue[int] = queue.SimpleQueue()
    stop = threading.Event()

    def in_time() -> bool:
        return until is None or time.monotonic() < until

    def worker() -> None:
        while not stop.is_set() and in_time():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = func(items[i])
            except BaseException as e:  # handed to the caller
                errors[i] = e
                stop.set()
            done.put(i)

    threads = [
        threading.Thread(target=worker, daemon=True, name=f"lookup-{k}")
        for k in range(min(workers, n))
    ]
    for t in threads:
        t.start()
    finished = 0
    try:
        while finished < n and in_time():
            if stop.is_set() and all(not t.is_alive() for t in threads):
                break
            wait = 0.1 if until is None else max(0.0, min(0.1, until - time.monotonic()))
            try:
                done.get(timeout=wait)
            except queue.Empty:
                continue
            finished += 1
            if on_done is not None:
                on_done(finished, n)
    finally:
        stop.set()
    for e in errors:
        if e is not None:
            raise e
    return results


def read_requires_python(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Release]],
    *,
    workers: int = DEFAULT_WORKERS,
    budget: Deadline | None = None,
) -> list[Release]:
    """The same releases with Requires-Python read from their metadata (for silent indexes),
    by `budget` (the run's lookup deadline; None: Poetry's retries only)."""
    from dataclasses import replace

    def one(item: tuple[str, Release]) -> Release:
        name, release = item
        try:
            package = pool.package(name, release.version, repository_name=release.repository)
        except Exception as e:
            raise IndexLookupError(
                Query(name),  # type: ignore[arg-type]
                release.repository,
                e,
                what=_metadata_of(name, release.version),
            ) from e
        text = package.python_versions if package.python_versions != "*" else None
        return replace(
            release,
            requires_python=package.python_constraint,
            requires_python_text=text,
        )

    return _within(one, wanted, budget, _release_key, workers)


def _release_key(item: tuple[str, Release]) -> tuple[str, Version, str]:
    name, release = item
    return name, release.version, release.repository


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
        try:
            package = pool.package(name, release.version, repository_name=release.repository)
        except Exception as e:
            raise IndexLookupError(
                Query(name),  # type: ignore[arg-type]
                release.repository,
                e,
                what=_metadata_of(name, release.version),
            ) from e
        anchor = anchor_of(name, linked)
        texts = sorted({d.pretty_constraint for d in package.requires if d.name == anchor})
        return key, " || ".join(texts)

    return dict(_within(one, list(dict.fromkeys(wanted)), budget, _release_key, workers))


def prefetch_metadata(
    pool: RepositoryPool,
    wanted: Sequence[tuple[str, Version, str]],
    *,
    workers: int = DEFAULT_WORKERS,
    budget: Deadline | None = None,
) -> None:
    """Warm Poetry's release cache for (name, version, repository) so the lock waits less.

    A network failure here is raised (`IndexLookupError`), and so is a release not read by
    `budget` (the run's lookup deadline): the lock would meet the same request, after
    Poetry's retries (minutes for an index that answers pages but hangs on metadata).
    """

    from poetry.repositories.exceptions import PackageNotFoundError

    def one(item: tuple[str, Version, str]) -> None:
        name, version, repository = item
        try:
            pool.package(name, version, repository_name=repository)
        except PackageNotFoundError:
            return  # not in this repository: the lock looks elsewhere
        except Exception as e:  # the lock would fail on the same request: say it now
            raise IndexLookupError(
                Query(name),  # type: ignore[arg-type]
                repository,
                e,
                what=_metadata_of(name, version),
            ) from e

    _within(one, wanted, budget, lambda item: item, workers)
