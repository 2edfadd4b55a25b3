"""The index client: concurrent lookups through Poetry's repositories, against a real index on
127.0.0.1."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from packaging.utils import canonicalize_name
from poetry.config.config import Config
from poetry.core.constraints.version import Version
from poetry.factory import Factory

from poetry_platform.index.client import fetch
from poetry_platform.index.client import read_requires_python
from poetry_platform.index.deadline import run_bounded
from poetry_platform.index.model import Query
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


ALPHA = Query(canonicalize_name("alpha"))
BETA = Query(canonicalize_name("beta"))


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


@pytest.mark.parametrize("serve_json", [True, False])
def test_the_page_gives_versions_yanked_and_requires_python_in_one_request(
    make_index: Callable[..., IndexServer], tmp_path: Path, serve_json: bool
) -> None:
    server = make_index(serve_json=serve_json)
    root = server.root.root
    for version, python in (("1.0", ">=3.8"), ("1.1", ">=3.10"), ("1.2", ">=3.12")):
        layouts.add_release(root, "pypi", "alpha", version, requires_python=python)
    layouts.add_release(root, "pypi", "alpha", "1.3", yanked="oops")
    sources = [{"name": "main", "url": "SERVER/pypi/simple/", "priority": "primary"}]
    found = fetch(pool_for(server, tmp_path, sources), [ALPHA])
    assert not found.unreadable
    by_version = {r.version.to_string(): r for r in found[ALPHA]}
    assert sorted(by_version) == ["1.0", "1.1", "1.2"]  # 1.3 is yanked
    assert by_version["1.2"].requires_python_text == ">=3.12"
    assert server.requests_for("/alpha/") == ["/pypi/simple/alpha/"]  # one request, no metadata


def _one_source(server: IndexServer, tmp_path: Path) -> RepositoryPool:
    return pool_for(
        server, tmp_path, [{"name": "private", "url": "SERVER/pypi/simple/", "priority": "primary"}]
    )


def test_a_source_refusing_credentials_is_unreadable_not_empty(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    server = make_index(auth=("alice", "s3cret"))
    layouts.add_release(server.root.root, "pypi", "alpha", "1.0")
    found = fetch(_one_source(server, tmp_path), [ALPHA])
    error = found.unreadable[ALPHA]
    assert (error.source, error.status, error.needs_credentials) == ("private", 401, True)
    assert found[ALPHA] == []


def test_credentials_from_poetrys_settings_are_used(
    make_index: Callable[..., IndexServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_index(auth=("alice", "s3cret"))
    layouts.add_release(server.root.root, "pypi", "alpha", "1.0")
    monkeypatch.setenv("POETRY_HTTP_BASIC_PRIVATE_USERNAME", "alice")
    monkeypatch.setenv("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", "s3cret")
    found = fetch(_one_source(server, tmp_path), [ALPHA])
    assert not found.unreadable
    assert versions(found[ALPHA]) == ["1.0"]


def test_server_errors_are_retried_then_unreadable(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    server = make_index()
    layouts.add_release(server.root.root, "pypi", "alpha", "1.0")
    server.fail_next(1, status=503)  # one failure: a retry answers
    found = fetch(_one_source(server, tmp_path), [ALPHA])
    assert versions(found[ALPHA]) == ["1.0"]
    server.fail_next(10, status=502)
    pool = _one_source(server, tmp_path / "other")
    found = fetch(pool, [ALPHA])
    assert found.unreadable[ALPHA].detail == "HTTP 502"


def test_a_page_that_is_no_index_is_unreadable(tmp_path: Path) -> None:
    """A login page or a proxy's error page answered with 200 is not "no releases"."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"please log in"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/simple/"
        config = Config()
        config.merge({"cache-dir": str(tmp_path / "cache")})
        pool = Factory.create_pool(config, [{"name": "proxy", "url": url, "priority": "primary"}])
        found = fetch(pool, [ALPHA])
    finally:
        httpd.shutdown()
    error = found.unreadable[ALPHA]
    assert (error.source, error.status) == ("proxy", 200)
    assert "not an index page" in error.detail


def test_a_source_that_never_answers_fails_at_the_deadline(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    """The page is held until the fetch has returned (or 120 s): a fetch that ignored the
    deadline would end at Poetry's own timeout ("no answer within 15 s") or read alpha's
    releases, and fail the test, with no clock read."""
    server = make_index()
    layouts.add_release(server.root.root, "pypi", "alpha", "1.0")
    layouts.add_release(server.root.root, "pypi", "beta", "1.0")
    release = server.hold_paths("/alpha/")  # answered once released (or after 120 s)
    try:
        found = fetch(_one_source(server, tmp_path), [ALPHA, BETA], deadline=1.0)
    finally:
        release.set()
    assert server.requests_for("/alpha/")  # it asked, then gave up at the deadline
    assert versions(found[BETA]) == ["1.0"]
    error = found.unreadable[ALPHA]
    assert error.source == "private" and error.status is None
    assert error.detail == "no answer within 1 s", error.detail  # the deadline, not a timeout


def test_the_credentials_hint_names_both_settings() -> None:
    from poetry_platform.index.model import credentials_hint

    assert credentials_hint("my-repo") == (
        "set the credentials of source my-repo with `poetry config http-basic.my-repo"
        " USER PASSWORD` or POETRY_HTTP_BASIC_MY_REPO_USERNAME / _PASSWORD"
    )


def test_a_second_run_within_the_cache_lifetime_asks_nothing(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    server = make_index()
    layouts.add_release(server.root.root, "pypi", "alpha", "1.0", requires_python=">=3.8")
    pool = _one_source(server, tmp_path)
    cache = tmp_path / "repo-cache"
    first = fetch(pool, [ALPHA], cache_dir=cache)
    layouts.add_release(server.root.root, "pypi", "alpha", "1.1", requires_python=">=3.8")
    second = fetch(pool, [ALPHA], cache_dir=cache)
    assert len(server.requests_for("/alpha/")) == 1
    assert first[ALPHA] == second[ALPHA]
    # `poetry --no-cache`: the repository's cache is off, and so is this one
    config = Config()
    config.merge({"cache-dir": str(tmp_path / "cache")})
    source = {"name": "private", "url": server.simple_url(), "priority": "primary"}
    uncached = Factory.create_pool(config, [source], disable_cache=True)
    fresh = fetch(uncached, [ALPHA], cache_dir=cache)
    assert versions(fresh[ALPHA]) == ["1.0", "1.1"]


def test_a_failed_page_is_not_remembered(
    make_index: Callable[..., IndexServer], tmp_path: Path
) -> None:
    server = make_index()
    layouts.add_release(server.root.root, "pypi", "alpha", "1.0")
    pool = _one_source(server, tmp_path)
    server.fail_next(10, status=503)
    failed = fetch(pool, [ALPHA], cache_dir=tmp_path / "c")
    assert ALPHA in failed.unreadable
    server.clear_faults()
    again = fetch(pool, [ALPHA], cache_dir=tmp_path / "c")
    assert versions(again[ALPHA]) == ["1.0"]


# --- the page readers, on literal pages ------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html><html><body><h1>Links for torch</h1>
<a href="../../files/torch-2.9.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl#sha256=ab"
   data-requires-python="&gt;=3.10">torch-2.9.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl</a><br/>
<a href='/f/torch-2.9.1+cpu-cp312-cp312-linux_x86_64.whl' data-requires-python='>=3.10'
   data-yanked="">torch-2.9.1+cpu-cp312-cp312-linux_x86_64.whl</a>
<a href="/f/torch-2.8.0.tar.gz">torch-2.8.0.tar.gz</a>
</body></html>"""


def test_html_page_gives_files_requires_python_and_yanked() -> None:
    from poetry_platform.index.pages import entries_from
    from poetry_platform.index.pages import parse_html_page

    files = parse_html_page(HTML_PAGE)
    assert files == [
        ("torch-2.9.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", ">=3.10", False),
        ("torch-2.9.1+cpu-cp312-cp312-linux_x86_64.whl", ">=3.10", True),
        ("torch-2.8.0.tar.gz", None, False),
    ]
    # 2.9.1 is yanked (its only file); the page states Requires-Python, so 2.8.0's silence
    # means "no requirement", not "unknown"
    assert entries_from(files, "torch", one_project=True) == [
        ("2.9.0+cpu", ">=3.10", True),
        ("2.8.0", None, True),
    ]


def test_json_page_and_a_release_whose_files_disagree() -> None:
    from poetry_platform.index.pages import PageError
    from poetry_platform.index.pages import entries_from
    from poetry_platform.index.pages import parse_json_page

    body = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "files": [
                {"filename": "a-1.0-py3-none-any.whl", "requires-python": ">=3.8", "yanked": False},
                {"filename": "a-1.0.tar.gz", "requires-python": ">=3.9"},
                {"filename": "a-2.0-py3-none-any.whl", "yanked": "broken"},
            ],
        }
    )
    files = parse_json_page(body)
    assert files[2] == ("a-2.0-py3-none-any.whl", None, True)
    assert entries_from(files, "a", one_project=True) == [("1.0", ">=3.8 || >=3.9", True)]
    with pytest.raises(PageError):
        parse_json_page(b"<html>login</html>")


def test_a_find_links_page_lists_other_projects_too() -> None:
    from poetry_platform.index.pages import entries_from
    from poetry_platform.index.pages import file_version
    from poetry_platform.index.pages import parse_html_page

    page = '<a href="jaxlib-0.4.32+cuda12.cudnn89-cp311-cp311-manylinux2014_x86_64.whl">x</a>'
    page += '<a href="jax_cuda12_plugin-0.4.32-cp311-cp311-manylinux2014_x86_64.whl">y</a>'
    page += '<a href="Jax-Lib-0.1.tar.gz">z</a>'
    files = parse_html_page(page)
    assert entries_from(files, "jaxlib", one_project=False) == [
        ("0.4.32+cuda12.cudnn89", None, False)  # the page never states Requires-Python
    ]
    assert entries_from(files, "jax-lib", one_project=False) == [("0.1", None, False)]
    assert file_version("not-a-dist.txt") is None


@pytest.mark.parametrize(
    "text",
    ["1", "0", "01.02", "1.0", "1.0.0", "1.0.0.0", "2024.8.0", "1.2.3.4.5", "10.0.0.0.1"],
)
def test_a_plain_version_is_built_as_poetry_parses_it(text: str) -> None:
    """The fast path for plain `1.2.3` texts gives the very object `Version.parse` does."""
    from poetry_platform.index.pages import _version

    fast = _version(text)
    parsed = Version.parse(text)
    assert fast is not None
    assert fast == parsed
    assert vars(fast) == vars(parsed)
    assert (fast.text, repr(fast), hash(fast)) == (parsed.text, repr(parsed), hash(parsed))


@pytest.mark.parametrize("text", ["1.2a1", "1.0+cpu", "1.0.post1", "v1.0", "1!2.0", " 1.2"])
def test_other_versions_are_parsed_by_poetry(text: str) -> None:
    from poetry_platform.index.pages import _version

    assert _version(text) == Version.parse(text)
    assert vars(_version(text)) == vars(Version.parse(text))


def test_a_text_that_is_no_version_is_none() -> None:
    from poetry_platform.index.pages import _version

    assert _version("x86_64") is None
    assert _version("") is None
    assert _version("\u0661.\u0662") is None  # Arabic-Indic digits: not PEP 440


@pytest.mark.parametrize("phase", ["requires-python", "requirements", "prefetch"])
def test_a_metadata_read_the_index_holds_fails_at_the_deadline_naming_source_and_release(
    index: IndexServer, tmp_path: Path, phase: str
) -> None:
    """The page answers, the release's metadata (and wheel) does not: the read ends at the
    run's lookup deadline, not after Poetry's retries."""
    from poetry_platform.errors import SourceError
    from poetry_platform.index.client import prefetch_metadata
    from poetry_platform.index.deadline import Deadline
    from poetry_platform.index.model import Release
    from poetry_platform.up.lookup import read_requirements

    pool = pool_for(index, tmp_path, [dict(s) for s in SOURCES])
    version = Version.parse("1.2")
    release = Release(version, "links", None)
    seen = len(index.requests_for("alpha-1.2"))
    held = index.hold_paths("alpha-1.2")  # answered once released (or after 120 s)
    try:
        budget = Deadline.start(1.0)
        with pytest.raises(SourceError) as caught:
            if phase == "requires-python":
                read_requires_python(pool, [("alpha", release)], budget=budget)
            elif phase == "requirements":
                read_requirements(pool, [("alpha", release)], budget=budget)
            else:
                prefetch_metadata(pool, [("alpha", version, "links")], budget=budget)
        asked = len(index.requests_for("alpha-1.2")) > seen
    finally:
        held.set()
    assert asked  # it did wait on the held request, not fail before asking
    # the request is released only after the read returned: a read that waited for the
    # answer (no deadline, Poetry's retries) would have read the metadata and raised nothing
    assert caught.value.message == (
        "reading the metadata of alpha 1.2 from source links failed: no answer within the"
        " lookup deadline (1 s)"
    )
    assert "--lookup-timeout" in caught.value.remedy


def test_the_shape_of_an_index_page() -> None:
    """A project page lists distribution files or declares itself (PEP 629); a login page,
    with or without links, does neither; a JSON page needs PEP 691's meta.api-version 1.x."""
    from poetry_platform.index.pages import PageError
    from poetry_platform.index.pages import _index_shaped
    from poetry_platform.index.pages import parse_html_page
    from poetry_platform.index.pages import parse_json_page

    def shaped(text: str) -> bool:
        return _index_shaped(text, parse_html_page(text))

    assert shaped('<html><body><a href="/f/a-1.0-py3-none-any.whl">a</a></body></html>')
    assert shaped('<html><head><meta name="pypi:repository-version" content="1.1"></head></html>')
    assert not shaped("<html><body><form>Sign in</form></body></html>")
    assert not shaped('<html><body><a href="/reset">Forgot your password?</a></body></html>')
    assert parse_json_page('{"meta": {"api-version": "1.3"}, "files": []}') == []
    for body in ('{"files": []}', '{"meta": {"api-version": "2.0"}, "files": []}', "[]"):
        with pytest.raises(PageError, match="not a PEP 691 page"):
            parse_json_page(body)


def test_a_404_from_the_default_index_for_a_package_locked_from_it_is_could_not_read(
    index: IndexServer,
) -> None:
    """poetry.lock records no source for what came from Poetry's default index: a 404 from
    that index for such a package is "could not read" (it must know it), never "no releases";
    an unlocked name it does not know is still just unknown."""
    from poetry.repositories import RepositoryPool
    from poetry.repositories.pypi_repository import PyPiRepository

    from poetry_platform.lockset.tables import locked_origins

    pool = RepositoryPool()
    pool.add_repository(PyPiRepository(url=f"{index.url}/pypi/", disable_cache=True))
    lock = b'[[package]]\nname = "Gone-Lib"\nversion = "1.4.0"\nfiles = []\n'
    gone, unknown = Query(canonicalize_name("gone-lib")), Query(canonicalize_name("never-was"))
    found = fetch(pool, [ALPHA, gone, unknown], locked=locked_origins(lock))
    assert versions(found[ALPHA]) == ["1.0", "1.1", "1.2", "2.0b1"]  # the page is read
    error = found.unreadable[gone]
    assert (error.source, error.status) == ("PyPI", 404)
    assert error.detail == "the lock says gone-lib 1.4.0 came from PyPI, but PyPI answers HTTP 404"
    assert unknown not in found.unreadable
    assert found[unknown] == []
