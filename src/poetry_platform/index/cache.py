"""Release lists of project pages, remembered for their cache lifetime in Poetry's cache."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import requests
    from poetry.repositories.repository import Repository

    from poetry_platform.index.model import Page
    from poetry_platform.index.pages import Entry


DEFAULT_TTL = 300.0  # seconds a page is remembered when its index sends no cache headers
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


def ttl(response: requests.Response) -> float:
    """How long the release list of this page may be reused: the index's `max-age`, none
    for `no-store`/`no-cache`, `DEFAULT_TTL` when the index says nothing."""
    control = response.headers.get("Cache-Control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return 0.0
    match = _MAX_AGE.search(control)
    return float(match.group(1)) if match else DEFAULT_TTL


class PageMemory:
    """Release lists of project pages, remembered for their cache lifetime under Poetry's
    cache directory: a second run within minutes asks nothing and parses nothing (a PyPI
    page can be 2 MB). Only versions and Requires-Python are stored, never credentials;
    `poetry --no-cache` (a repository with its cache disabled) skips it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, repo: Repository, page: Page) -> Path:
        import hashlib

        key = hashlib.sha256(f"{repo.name}\0{page.url}\0{page.accept}".encode()).hexdigest()
        return self.directory / f"{key[:40]}.json"

    def recall(self, repo: Repository, page: Page) -> list[Entry] | None:
        try:
            data = json.loads(self._path(repo, page).read_bytes())
            if float(data["expires"]) < time.time():
                return None
            return [(str(v), r, bool(k)) for v, r, k in data["entries"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def remember(self, repo: Repository, page: Page, entries: list[Entry], ttl: float) -> None:
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
