"""The test index server itself: pages, negotiation, knobs (Poetry runs: test_support_poetry)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from tests.support import index as index_module
from tests.support.index import JSON_TYPE
from tests.support.index import IndexServer
from tests.support.layouts import add_release
from tests.support.layouts import yank

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(
    url: str, *, accept: str = "", method: str = "GET", timeout: float = 10, auth: str = ""
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    if accept:
        request.add_header("Accept", accept)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def demo_index(make_index: Callable[..., IndexServer]) -> IndexServer:
    server = make_index()
    root = server.root.root
    add_release(root, "pypi", "Demo_Pkg", "1.0", requires_python=">=3.10", sdist=True)
    add_release(root, "pypi", "demo-pkg", "2.0rc1", requires_python="<3.99,>=3.11")
    add_release(root, "pypi", "other", "0.1")
    add_release(root, "extra", "other", "9.9")
    add_release(root, "extra", "other", "10.0.dev1", upload_time="2026-11-01T12:00:00Z")
    return server


def test_project_page_html_advertises_hashes_python_and_metadata(demo_index: IndexServer) -> None:
    status, headers, body = fetch(demo_index.simple_url() + "demo-pkg/", accept="text/html")
    page = body.decode()

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    wheel = demo_index.root.root / "pypi" / "demo-pkg" / "demo_pkg-1.0-py3-none-any.whl"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f'href="/pypi/files/demo-pkg/demo_pkg-1.0-py3-none-any.whl#sha256={digest}"' in page
    assert 'data-requires-python="&gt;=3.10"' in page
    assert 'data-requires-python="&lt;3.99,&gt;=3.11"' in page
    assert "demo_pkg-1.0.tar.gz#sha256=" in page
    assert "data-yanked" not in page
    _, _, metadata = fetch(f"{demo_index.url}/pypi/files/demo-pkg/{wheel.name}.metadata")
    assert f'data-core-metadata="sha256={hashlib.sha256(metadata).hexdigest()}"' in page
    assert b"Name: Demo_Pkg\nVersion: 1.0\n" in metadata


def test_project_page_json_when_asked(demo_index: IndexServer) -> None:
    status, headers, body = fetch(
        demo_index.simple_url() + "Demo.Pkg/", accept=f"{JSON_TYPE}, */*;q=0.1"
    )
    document = json.loads(body)

    assert status == 200
    assert headers["Content-Type"] == JSON_TYPE
    assert document["name"] == "demo-pkg"
    assert document["versions"] == ["1.0", "2.0rc1"]
    by_name = {f["filename"]: f for f in document["files"]}
    assert set(by_name) == {
        "demo_pkg-1.0-py3-none-any.whl",
        "demo_pkg-1.0.tar.gz",
        "demo_pkg-2.0rc1-py3-none-any.whl",
    }
    wheel = by_name["demo_pkg-2.0rc1-py3-none-any.whl"]
    assert wheel["requires-python"] == "<3.99,>=3.11"
    assert wheel["yanked"] is False
    assert wheel["core-metadata"] == wheel["dist-info-metadata"]
    assert "core-metadata" not in by_name["demo_pkg-1.0.tar.gz"]
    _, _, data = fetch(demo_index.url + wheel["url"])
    assert hashlib.sha256(data).hexdigest() == wheel["hashes"]["sha256"]
    assert len(data) == wheel["size"]


def test_json_can_be_switched_off_and_refused_by_quality(demo_index: IndexServer) -> None:
    _, headers, _ = fetch(demo_index.simple_url() + "other/", accept=f"{JSON_TYPE};q=0")
    assert headers["Content-Type"].startswith("text/html")

    demo_index.serve_json = False
    _, headers, _ = fetch(demo_index.simple_url() + "other/", accept=JSON_TYPE)
    assert headers["Content-Type"].startswith("text/html")


def test_yank_shows_on_both_page_kinds_while_serving(demo_index: IndexServer) -> None:
    yank(demo_index.root.root, "pypi", "demo-pkg", "1.0", "broken build")

    _, _, html_page = fetch(demo_index.simple_url() + "demo-pkg/", accept="text/html")
    _, _, json_page = fetch(demo_index.simple_url() + "demo-pkg/", accept=JSON_TYPE)

    assert html_page.decode().count('data-yanked="broken build"') == 2
    yanked = {f["filename"]: f["yanked"] for f in json.loads(json_page)["files"]}
    assert yanked == {
        "demo_pkg-1.0-py3-none-any.whl": "broken build",
        "demo_pkg-1.0.tar.gz": "broken build",
        "demo_pkg-2.0rc1-py3-none-any.whl": False,
    }


def test_indexes_are_independent_and_listed(demo_index: IndexServer) -> None:
    _, _, root_page = fetch(demo_index.simple_url())
    _, _, extra_json = fetch(demo_index.simple_url("extra"), accept=JSON_TYPE)
    _, _, other = fetch(demo_index.simple_url("extra") + "other/", accept=JSON_TYPE)

    assert 'href="/pypi/simple/demo-pkg/"' in root_page.decode()
    assert json.loads(extra_json)["projects"] == [{"name": "other"}]
    files = json.loads(other)["files"]
    assert json.loads(other)["versions"] == ["9.9", "10.0.dev1"]
    assert [f.get("upload-time") for f in files] == ["2026-11-01T12:00:00Z", None]


def test_links_page_lists_every_file_of_one_index(demo_index: IndexServer) -> None:
    status, _, body = fetch(demo_index.links_url("pypi"))
    page = body.decode()

    assert status == 200
    assert page.count("<a href=") == 4
    assert "/pypi/files/other/other-0.1-py3-none-any.whl#sha256=" in page
    assert "9.9" not in page


def test_yank_refuses_an_unpublished_release(demo_index: IndexServer) -> None:
    with pytest.raises(FileNotFoundError, match=r"demo-pkg 3\.0"):
        yank(demo_index.root.root, "pypi", "demo-pkg", "3.0")


@pytest.mark.parametrize(
    "path",
    [
        "/pypi/simple/no-such-project/",
        "/nope/simple/demo-pkg/",
        "/pypi/files/demo-pkg/missing.whl",
        "/pypi/files/demo-pkg/demo_pkg-1.0.tar.gz.metadata",
        "/pypi/files/../pypi/demo-pkg/demo_pkg-1.0.tar.gz",
        "/pypi/other",
        "/",
    ],
)
def test_unknown_paths_are_404(demo_index: IndexServer, path: str) -> None:
    assert fetch(demo_index.url + path)[0] == 404


def test_head_sends_headers_without_body(demo_index: IndexServer) -> None:
    status, headers, body = fetch(
        f"{demo_index.url}/pypi/files/other/other-0.1-py3-none-any.whl", method="HEAD"
    )
    wheel = demo_index.root.root / "pypi" / "other" / "other-0.1-py3-none-any.whl"

    assert status == 200
    assert int(headers["Content-Length"]) == wheel.stat().st_size
    assert body == b""


def test_byte_ranges_for_lazy_wheel_readers(demo_index: IndexServer) -> None:
    url = f"{demo_index.url}/pypi/files/other/other-0.1-py3-none-any.whl"
    whole = fetch(url)[2]

    def ranged(spec: str) -> tuple[int, str, bytes]:
        request = urllib.request.Request(url, headers={"Range": spec})
        try:
            with _OPENER.open(request, timeout=10) as response:
                return response.status, response.headers.get("Content-Range", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Range", ""), b""

    size = len(whole)
    assert ranged("bytes=0-9") == (206, f"bytes 0-9/{size}", whole[:10])
    assert ranged("bytes=-22") == (206, f"bytes {size - 22}-{size - 1}/{size}", whole[-22:])
    assert ranged(f"bytes={size - 3}-") == (206, f"bytes {size - 3}-{size - 1}/{size}", whole[-3:])
    assert ranged(f"bytes={size}-") == (416, f"bytes */{size}", b"")
    assert ranged("bytes=0-1,4-5") == (200, "", whole)


def test_requests_are_recorded_in_order(demo_index: IndexServer) -> None:
    fetch(demo_index.simple_url() + "other/")
    fetch(demo_index.url + "/pypi/simple/missing/")

    assert demo_index.requests == ["/pypi/simple/other/", "/pypi/simple/missing/"]
    assert demo_index.requests_for("missing") == ["/pypi/simple/missing/"]


def test_basic_auth(make_index: Callable[..., IndexServer]) -> None:
    server = make_index(auth=("user", "s3cret"))
    add_release(server.root.root, "pypi", "private", "1.0")
    url = server.simple_url() + "private/"

    status, headers, _ = fetch(url)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic")
    assert fetch(url, auth="user:wrong")[0] == 401
    assert fetch(url, auth="user:s3cret")[0] == 200


def test_fail_next_then_recover(demo_index: IndexServer) -> None:
    demo_index.fail_next(2, status=503)
    url = demo_index.simple_url() + "other/"

    assert [fetch(url)[0] for _ in range(3)] == [503, 503, 200]


def test_hanging_path_never_answers_but_others_do(demo_index: IndexServer) -> None:
    demo_index.hang_paths("/demo-pkg/")

    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(demo_index.simple_url() + "demo-pkg/", timeout=0.5)
    assert fetch(demo_index.simple_url() + "other/")[0] == 200
    demo_index.clear_faults()
    assert fetch(demo_index.simple_url() + "demo-pkg/")[0] == 200


def test_latency_delays_answers(make_index: Callable[..., IndexServer]) -> None:
    server = make_index(latency=5.0)
    add_release(server.root.root, "pypi", "pkg", "1.0")

    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(server.simple_url(), timeout=0.3)
    server.latency = 0
    assert fetch(server.simple_url())[0] == 200


def test_client_disconnects_do_not_break_the_server(demo_index: IndexServer) -> None:
    for partial in (b"", b"GET /pypi/simple/other/ HTTP/1.1\r\nHost: x\r\n", b"GET /pypi/sim"):
        with socket.create_connection(("127.0.0.1", demo_index.port)) as sock:
            sock.sendall(partial)
    with socket.create_connection(("127.0.0.1", demo_index.port)) as sock:
        sock.sendall(
            b"GET /pypi/files/other/other-0.1-py3-none-any.whl HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        sock.recv(10)  # close mid-body

    assert fetch(demo_index.simple_url() + "other/")[0] == 200
    assert demo_index.errors == []


def test_stop_releases_hanging_requests(index_root: Path) -> None:
    server = IndexServer(index_root).start()
    server.hang_paths("/")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /pypi/simple/ HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in range(500):  # until the handler holds the request
            if server.requests:
                break
            time.sleep(0.01)
        server.stop()
        sock.settimeout(5)
        assert sock.recv(100) == b""  # closed without an answer, not left hanging


def test_a_later_server_never_gets_a_stopped_servers_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session lock cache is keyed by pyproject text, which holds the server's URL: a
    later server on an earlier one's port would be handed locks of other bytes. Here the
    OS offers the stopped server's port again, first."""
    first = IndexServer(tmp_path).start()
    old_port = first.port
    first.stop()
    offers = [old_port]

    class OffersTheOldPortFirst(index_module._Server):
        def __init__(self, address: tuple[str, int], handler: Any) -> None:
            host, port = address
            super().__init__((host, offers.pop() if offers and port == 0 else port), handler)

    monkeypatch.setattr(index_module, "_Server", OffersTheOldPortFirst)
    with IndexServer(tmp_path) as second:
        assert offers == []  # the OS did offer the old port ...
        assert second.port != old_port  # ... and it was refused
        assert fetch(f"{second.url}/pypi/simple/nothing/")[0] == 404


def test_pip_reads_requires_python_and_yanked_from_the_page(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    server = make_index(serve_json=False)
    root = server.root.root
    add_release(root, "pypi", "pkg", "1.0")
    add_release(root, "pypi", "pkg", "1.1", yanked="broken")
    add_release(root, "pypi", "pkg", "1.2")
    (root / "pypi/pkg/pkg-1.2-py3-none-any.whl.meta.json").write_text(
        '{"requires_python": ">=3.99"}'  # on the page only, not in the wheel's metadata
    )

    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--isolated", "-q",
         "--index-url", server.simple_url(), "--dest", str(tmp_path / "got"), "pkg"],
        check=True,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "NO_PROXY": "127.0.0.1"},
    )  # fmt: skip

    assert [p.name for p in (tmp_path / "got").iterdir()] == ["pkg-1.0-py3-none-any.whl"]
