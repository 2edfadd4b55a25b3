"""A local package index on 127.0.0.1 serving several independent indexes from one directory.

Layout of the root directory (what `layouts.py` and `add_release` write)::

    <root>/<index>/<project>/<file>            a wheel or sdist (project dir PEP 503-normalized)
    <root>/<index>/<project>/<file>.meta.json  optional: {"yanked": "reason" | true,
                                                "requires_python": ">=3.11",
                                                "upload_time": "2026-01-01T00:00:00Z"}

URLs, for `IndexServer.url` = `http://127.0.0.1:PORT`::

    /<index>/simple/                          project list (PEP 503 HTML, PEP 691 JSON on request)
    /<index>/simple/<project>/                files with #sha256, requires-python, yanked and
                                              PEP 658 core metadata (HTML or PEP 691 JSON)
    /<index>/links.html                       every file of <index> on one page (find-links)
    /<index>/files/<project>/<file>           the file itself (single byte ranges honoured)
    /<index>/files/<project>/<file>.metadata  a wheel's METADATA (PEP 658)

Unknown projects and paths answer 404, which Poetry, pip and uv read as "no such package".
Pages are rendered from the directory on every request, so files added while the server runs
(crafted release histories) show up at once.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import html
import json
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import unquote
from urllib.parse import urlsplit

from packaging.version import InvalidVersion
from packaging.version import Version

from tests.support.wheels import normalize_name

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html; charset=utf-8"
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")


@dataclass(frozen=True)
class DistFile:
    """One distribution file as the index advertises it."""

    project: str
    path: Path
    sha256: str
    size: int
    requires_python: str | None
    yanked: str | bool
    upload_time: str | None
    metadata: bytes | None  # a wheel's METADATA, served for PEP 658

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def version(self) -> str:
        if self.filename.endswith(".whl"):
            return self.filename.split("-")[1]
        stem = self.filename.removesuffix(".tar.gz").removesuffix(".zip")
        return stem.rpartition("-")[2]

    @property
    def metadata_sha256(self) -> str | None:
        return hashlib.sha256(self.metadata).hexdigest() if self.metadata is not None else None


def _wheel_metadata(path: Path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                parts = member.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return archive.read(member)
    except (OSError, zipfile.BadZipFile):
        return None
    return None


def _metadata_field(metadata: bytes | None, field: str) -> str | None:
    if metadata is None:
        return None
    prefix = f"{field}:".lower()
    for line in metadata.decode("utf-8", "replace").splitlines():
        if not line:
            break
        if line.lower().startswith(prefix):
            return line.split(":", 1)[1].strip()
    return None


class IndexRoot:
    """Reads `<root>/<index>/<project>/` directories; hashes are cached by size and mtime."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[Path, tuple[tuple[int, int, int], DistFile]] = {}
        self._lock = threading.Lock()

    def indexes(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def projects(self, index: str) -> list[str]:
        directory = self.root / index
        if not directory.is_dir():
            return []
        return sorted(p.name for p in directory.iterdir() if p.is_dir() and any(self._dists(p)))

    def files(self, index: str, project: str) -> list[DistFile]:
        directory = self.root / index / normalize_name(project)
        if not directory.is_dir():
            return []
        return [self._describe(directory.name, path) for path in self._dists(directory)]

    def all_files(self, index: str) -> list[DistFile]:
        return [f for project in self.projects(index) for f in self.files(index, project)]

    @staticmethod
    def _dists(directory: Path) -> Iterator[Path]:
        return iter(
            sorted(
                p for p in directory.iterdir() if p.is_file() and p.name.endswith(_DIST_SUFFIXES)
            )
        )

    def _describe(self, project: str, path: Path) -> DistFile:
        meta_path = path.with_name(path.name + ".meta.json")
        stat = path.stat()
        meta_stamp = meta_path.stat().st_mtime_ns if meta_path.exists() else 0
        key = (stat.st_size, stat.st_mtime_ns, meta_stamp)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        data = path.read_bytes()
        sidecar: dict[str, Any] = json.loads(meta_path.read_text()) if meta_stamp else {}
        metadata = _wheel_metadata(path) if path.name.endswith(".whl") else None
        yanked = sidecar.get("yanked", False)
        described = DistFile(
            project=project,
            path=path,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            requires_python=sidecar.get("requires_python")
            or _metadata_field(metadata, "Requires-Python"),
            yanked=yanked if isinstance(yanked, str | bool) else bool(yanked),
            upload_time=sidecar.get("upload_time"),
            metadata=metadata,
        )
        with self._lock:
            self._cache[path] = (key, described)
        return described


def _file_url(index: str, dist: DistFile) -> str:
    return f"/{index}/files/{dist.project}/{dist.filename}"


def _anchor(index: str, dist: DistFile, *, metadata: bool) -> str:
    attributes = [f'href="{html.escape(_file_url(index, dist))}#sha256={dist.sha256}"']
    if dist.requires_python:
        attributes.append(f'data-requires-python="{html.escape(dist.requires_python)}"')
    if dist.yanked is not False:
        reason = "" if dist.yanked is True else str(dist.yanked)
        attributes.append(f'data-yanked="{html.escape(reason)}"')
    if metadata and dist.metadata_sha256:
        value = f"sha256={dist.metadata_sha256}"
        attributes.append(f'data-core-metadata="{value}" data-dist-info-metadata="{value}"')
    return f"<a {' '.join(attributes)}>{html.escape(dist.filename)}</a><br/>"


def _page(title: str, lines: list[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta name="pypi:repository-version" content="1.1">'
        f"<title>{html.escape(title)}</title></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(lines) + "\n</body></html>\n"
    )


def _json_file(index: str, dist: DistFile, *, metadata: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": dist.filename,
        "url": _file_url(index, dist),
        "hashes": {"sha256": dist.sha256},
        "requires-python": dist.requires_python,
        "yanked": dist.yanked,
        "size": dist.size,
    }
    if dist.upload_time:
        entry["upload-time"] = dist.upload_time
    if metadata and dist.metadata_sha256:
        entry["core-metadata"] = {"sha256": dist.metadata_sha256}
        entry["dist-info-metadata"] = {"sha256": dist.metadata_sha256}
    return entry


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range; None: no usable range (send it all);
    (0, -1): unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec or "-" not in spec:
        return None
    first_text, _, last_text = spec.strip().partition("-")
    try:
        if not first_text:
            first, last = max(size - int(last_text), 0), size - 1
        else:
            first = int(first_text)
            last = min(int(last_text), size - 1) if last_text else size - 1
    except ValueError:
        return None
    return (0, -1) if first > last or first >= size else (first, last)


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def _wants_json(accept: str) -> bool:
    """Whether an Accept header asks for PEP 691 JSON with a non-zero quality."""
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media != JSON_TYPE:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False


class IndexServer:
    """A threaded, quiet index server for tests; use as a context manager.

    Knobs, settable while it runs: `latency` (seconds added to every request), `serve_json`
    (answer PEP 691 JSON when asked; False forces HTML), `serve_metadata` (advertise PEP 658
    metadata), `fail_next(n, status)`, `hang_paths(substring)`, `hold_paths(substring)`
    (answer once released: to act while a client waits), `answer_paths(substring, status,
    body, content_type)` (a login page, a 404, a JSON that is no index). `requests` lists the
    paths asked for, in order, including failed and unauthorized ones.
    """

    def __init__(
        self,
        root: Path,
        *,
        latency: float = 0.0,
        auth: tuple[str, str] | None = None,
        serve_json: bool = True,
        serve_metadata: bool = True,
        port: int = 0,
    ) -> None:
        self.root = IndexRoot(Path(root))
        self.latency = latency
        self.auth = auth
        self.serve_json = serve_json
        self.serve_metadata = serve_metadata
        self.requests: list[str] = []
        self.errors: list[BaseException] = []
        self._port = port
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._hangs: list[str] = []
        self._answers: list[tuple[str, int, bytes, str]] = []
        self._holds: list[tuple[str, bool, threading.Event]] = []
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> IndexServer:
        handler = type("_BoundHandler", (_Handler,), {"index_server": self})
        httpd = _bind_unused(self._port, handler)
        httpd.index_server = self
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("IndexServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def simple_url(self, index: str = "pypi") -> str:
        """The URL a `[[tool.poetry.source]]` (or pip's --index-url) points at."""
        return f"{self.url}/{index}/simple/"

    def links_url(self, index: str) -> str:
        """The single find-links page of `index`."""
        return f"{self.url}/{index}/links.html"

    # knobs -----------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` requests (after auth) with `status` and an empty body."""
        with self._lock:
            self._failures.extend([status] * n)

    def hang_paths(self, substring: str) -> None:
        """Never answer requests whose path contains `substring` (until `stop`)."""
        with self._lock:
            self._hangs.append(substring)

    def answer_paths(
        self, substring: str, status: int, body: bytes = b"", content_type: str = "text/html"
    ) -> None:
        """Answer requests whose path contains `substring` with `status` and `body` instead."""
        with self._lock:
            self._answers.append((substring, status, body, content_type))

    def hold_paths(self, substring: str, *, suffix: bool = False) -> threading.Event:
        """Hold requests whose path contains (`suffix`: ends with) `substring` until the
        returned event is set."""
        release = threading.Event()
        with self._lock:
            self._holds.append((substring, suffix, release))
        return release

    def clear_faults(self) -> None:
        with self._lock:
            self._failures.clear()
            self._hangs.clear()
            self._answers.clear()
            for _, _, release in self._holds:
                release.set()
            self._holds.clear()

    def requests_for(self, substring: str) -> list[str]:
        with self._lock:
            return [path for path in self.requests if substring in path]

    # used by the handler ---------------------------------------------------------------------
    def _record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)

    def _take_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _hold(self, path: str) -> None:
        with self._lock:
            events = [
                release
                for substring, suffix, release in self._holds
                if (path.endswith(substring) if suffix else substring in path)
            ]
        for release in events:
            release.wait(timeout=120)

    def _answer_for(self, path: str) -> tuple[int, bytes, str] | None:
        with self._lock:
            for substring, status, body, content_type in self._answers:
                if substring in path:
                    return status, body, content_type
        return None

    def _hangs_on(self, path: str) -> bool:
        with self._lock:
            return any(substring in path for substring in self._hangs)


# Ports the OS gave servers of this process. A URL names one server per test session: the
# session lock cache is keyed by pyproject text, which holds the URL, so a later server on a
# stopped one's port (other bytes, other releases) must not be handed that server's locks.
_PORTS_GIVEN: set[int] = set()


def _bind_unused(port: int, handler: type[_Handler]) -> _Server:
    """A server on `port`, or (0) on a port no earlier server of this process had."""
    refused: list[_Server] = []
    try:
        while True:
            httpd = _Server(("127.0.0.1", port), handler)
            given = int(httpd.server_address[1])
            if port or given not in _PORTS_GIVEN:
                _PORTS_GIVEN.add(given)
                return httpd
            refused.append(httpd)  # held open until we are done, so the OS offers another
    finally:
        for other in refused:
            other.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # like a real index, accept many connections at once: with the default backlog of 5,
    # clients that open dozens in parallel wait a second for a SYN retry
    request_queue_size = 128
    index_server: IndexServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError | TimeoutError):
            self.index_server.errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TestIndex/1"
    timeout = 30  # idle keep-alive connections give their thread back
    index_server: IndexServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on `IndexServer.requests` instead."""

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        server = self.index_server
        path = unquote(urlsplit(self.path).path)
        server._record(path)
        try:
            if server.auth is not None and not self._authorized(server.auth):
                self._send(401, b"", "text/plain", head, {"WWW-Authenticate": 'Basic realm="test"'})
                return
            if server.latency:
                time.sleep(server.latency)
            status = server._take_failure()
            if status is not None:
                self._send(status, b"", "text/plain", head)
                return
            server._hold(path)
            answer = server._answer_for(path)
            if answer is not None:
                self._send(answer[0], answer[1], answer[2], head)
                return
            if server._hangs_on(path):
                server._stopping.wait()
                self.close_connection = True
                return
            self._route(path, head)
        except ConnectionError:
            self.close_connection = True

    def _authorized(self, auth: tuple[str, str]) -> bool:
        header = self.headers.get("Authorization", "")
        expected = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return header == f"Basic {expected}"

    def _route(self, path: str, head: bool) -> None:
        parts = [p for p in path.split("/") if p]
        root = self.index_server.root
        if not parts or ".." in parts or not (root.root / parts[0]).is_dir():
            self._not_found(head)
            return
        index, rest = parts[0], parts[1:]
        if rest == ["simple"]:
            self._project_list(index, head)
        elif len(rest) == 2 and rest[0] == "simple":
            self._project_page(index, rest[1], head)
        elif rest == ["links.html"]:
            self._links_page(index, head)
        elif len(rest) == 3 and rest[0] == "files":
            self._file(index, rest[1], rest[2], head)
        else:
            self._not_found(head)

    def _project_list(self, index: str, head: bool) -> None:
        projects = self.index_server.root.projects(index)
        if self._json():
            document = {
                "meta": {"api-version": "1.1"},
                "projects": [{"name": p} for p in projects],
            }
            self._send_json(document, head)
            return
        lines = [f'<a href="/{index}/simple/{p}/">{p}</a><br/>' for p in projects]
        self._send(200, _page("Simple index", lines).encode(), HTML_TYPE, head)

    def _project_page(self, index: str, requested: str, head: bool) -> None:
        files = self.index_server.root.files(index, requested)
        if not files:
            self._not_found(head)
            return
        project = files[0].project
        metadata = self.index_server.serve_metadata
        if self._json():
            versions = sorted({f.version for f in files}, key=_version_key)
            document = {
                "meta": {"api-version": "1.1"},
                "name": project,
                "versions": versions,
                "files": [_json_file(index, f, metadata=metadata) for f in files],
            }
            self._send_json(document, head)
            return
        lines = [_anchor(index, f, metadata=metadata) for f in files]
        self._send(200, _page(f"Links for {project}", lines).encode(), HTML_TYPE, head)

    def _links_page(self, index: str, head: bool) -> None:
        files = self.index_server.root.all_files(index)
        lines = [_anchor(index, f, metadata=False) for f in files]
        self._send(200, _page(f"Files of {index}", lines).encode(), HTML_TYPE, head)

    def _file(self, index: str, project: str, filename: str, head: bool) -> None:
        root = self.index_server.root
        want_metadata = filename.endswith(".metadata")
        wanted = filename.removesuffix(".metadata") if want_metadata else filename
        for dist in root.files(index, project):
            if dist.filename != wanted:
                continue
            if want_metadata:
                if dist.metadata is None or not self.index_server.serve_metadata:
                    break
                self._send(200, dist.metadata, "application/octet-stream", head)
            else:
                self._send_range(dist.path.read_bytes(), head)
            return
        self._not_found(head)

    def _send_range(self, data: bytes, head: bool) -> None:
        """A file, or the one byte range asked for (lazy wheel readers use these)."""
        wanted = _byte_range(self.headers.get("Range", ""), len(data))
        if wanted is None:
            self._send(200, data, "application/octet-stream", head, {"Accept-Ranges": "bytes"})
        elif wanted == (0, -1):
            self._send(416, b"", "text/plain", head, {"Content-Range": f"bytes */{len(data)}"})
        else:
            start, end = wanted
            extra = {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{len(data)}"}
            self._send(206, data[start : end + 1], "application/octet-stream", head, extra)

    def _json(self) -> bool:
        return self.index_server.serve_json and _wants_json(self.headers.get("Accept", ""))

    def _not_found(self, head: bool) -> None:
        self._send(404, b"Not Found\n", "text/plain", head)

    def _send_json(self, document: dict[str, Any], head: bool) -> None:
        self._send(200, json.dumps(document).encode(), JSON_TYPE, head)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        head: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def serve(root: Path, *, layouts: tuple[str, ...] = ("jax_like",), port: int = 0) -> None:
    """Build `layouts` into `root` (when it holds no index yet) and serve it until killed.

    Prints the server URL as the first line of stdout, so that a demo script can read it.
    """
    from tests.support.layouts import build

    root.mkdir(parents=True, exist_ok=True)
    if not any(root.iterdir()):
        build(root, *layouts)
    with IndexServer(root, port=port) as server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.index",
        description="Serve a local test package index from ROOT (built from layouts if empty).",
    )
    parser.add_argument("root", type=Path)
    parser.add_argument(
        "--layout",
        action="append",
        dest="layouts",
        help="layout to build into an empty ROOT (repeatable; default: jax_like)",
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.root, layouts=tuple(args.layouts or ("jax_like",)), port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
