"""Index pages as data: PEP 691 JSON and PEP 503 HTML (project and find-links pages).

Pure: bytes or text in, files and releases out. A page lists every file with its yanked
flag and Requires-Python, which is all a version choice needs; no metadata is downloaded
per release.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from poetry_platform.index.model import Release
from poetry_platform.index.model import Unreadable
from poetry_platform.redact import redact

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

    import requests
    from poetry.core.constraints.version import Version
    from poetry.core.constraints.version import VersionConstraint

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
# What Poetry's legacy repositories send: the cached page is then shared with the lock.
PREFER_JSON = f"{JSON_TYPE}, */*;q=0.1"

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


# No leading zeros: the poetry-core of Poetry 2.1.4 keeps the text of `01.02` as written, so the
# direct build (whose text is `1.2`) is only the same object for canonical texts.
_PLAIN_VERSION = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")


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
    """The files of a PEP 691 project page; a JSON without PEP 691's `meta.api-version`
    1.x (an API's error, a login service's answer) is no index page."""
    try:
        document = json.loads(body)
        meta = document.get("meta") if isinstance(document, dict) else None
        version = meta.get("api-version") if isinstance(meta, dict) else None
        if not isinstance(version, str) or not version.startswith("1."):
            raise PageError("not a PEP 691 page (no meta.api-version 1.x)")
        files = document["files"]
        out = [
            (f["filename"], f.get("requires-python"), f.get("yanked") not in (None, False))
            for f in files
        ]
    except PageError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise PageError(f"not a PEP 691 page ({type(e).__name__})") from None
    # PEP 691's types: a file name string, a Requires-Python string (or none), in a list
    if not isinstance(files, list) or not all(
        isinstance(name, str) and isinstance(requires, (str, type(None)))
        for name, requires, _ in out
    ):
        raise PageError("not a PEP 691 page (a file name or Requires-Python is not a string)")
    return out


def _anchors(text: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(file name, href, attributes) of each `<a href>` of a PEP 503 page."""
    from urllib.parse import unquote
    from urllib.parse import urlsplit

    for match in _ANCHOR.finditer(text):
        attrs = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR.finditer(match.group(1))
        }
        href = attrs.get("href")
        if href:
            yield unquote(urlsplit(href).path.rsplit("/", 1)[-1]), href, attrs


def parse_html_page(text: str) -> list[PageFile]:
    """The files of a PEP 503 page (a project page, or a find-links page)."""
    return [
        (filename, attrs.get("data-requires-python") or None, "data-yanked" in attrs)
        for filename, _, attrs in _anchors(text)
    ]


def links_of(
    source: str, url: str, response: requests.Response, *, project: bool
) -> dict[str, str] | Unreadable | None:
    """File name -> download URL (absolute, without fragment, as Poetry's `Link` has it) of
    a page that `files_of` accepts; None for 404, `Unreadable` like `files_of`."""
    from urllib.parse import urldefrag
    from urllib.parse import urljoin

    found = files_of(source, url, response, project=project)
    if found is None or isinstance(found, Unreadable):
        return found
    base = response.url or url
    if _media_type(response) in (JSON_TYPE, "application/json"):
        files = json.loads(response.content)["files"]
        pairs = [(f["filename"], f["url"]) for f in files if isinstance(f.get("url"), str)]
    else:
        pairs = [(filename, href) for filename, href, _ in _anchors(response.text)]
    return {filename: urldefrag(urljoin(base, href))[0] for filename, href in pairs}


def _media_type(response: requests.Response) -> str:
    return str(response.headers.get("Content-Type", "")).split(";")[0].strip().lower()


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


_REPOSITORY_VERSION = re.compile(r"""<meta\s[^>]*name\s*=\s*["']?pypi:repository-version""", re.I)


def _index_shaped(text: str, files: list[PageFile]) -> bool:
    """A PEP 503 project page lists distribution files, or says it is one (PEP 629's
    `pypi:repository-version`, which an index sends even for a project without files).
    A login or error page answered with 200 does neither."""
    if any(file_version(name) is not None for name, _, _ in files):
        return True
    return _REPOSITORY_VERSION.search(text[:4096]) is not None


def files_of(
    source: str, url: str, response: requests.Response, *, project: bool
) -> list[PageFile] | Unreadable | None:
    """The files a response lists; None for 404 (the source does not know the package)."""
    status = response.status_code
    if status == 404 or (status == 410 and project):
        return None
    if status != 200:
        return Unreadable(source, redact(url), status, f"HTTP {status}")
    kind = _media_type(response)
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
            if project and not _index_shaped(response.text, files):
                raise PageError("not an index page (HTML listing no distribution files)")
            return files
        raise PageError(f"not an index page ({kind})")
    except PageError as e:
        return Unreadable(source, redact(url), status, str(e))
