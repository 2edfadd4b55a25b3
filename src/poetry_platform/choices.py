"""Remembering which file Poetry's chooser picked for a locked package, so a warm install
can skip asking the index again.

Poetry's own warm install still fetches every package's index page, only to learn the URL
that keys its artifact cache: for ~100 packages that is most of what remains once uv does
the installing. The choice is a pure function of things we can key on: the package (name,
version, locked source), its locked files (hashes), the environment's wheel tags (in
order) and the binary policies. So the first install records, per key, where the chosen
file is: its URL when uv downloaded it (uv's cache then holds the checked file), or the
archive in Poetry's artifact cache when Poetry downloaded or built it. Later installs with
the same key use that directly.

The file is still checked: uv installs it only when its hash is one the lock lists for
the package (`--require-hashes`). A remembered archive that is gone simply falls back to
the chooser; a remembered URL that uv's cache no longer holds is downloaded again. A
remembered choice is never the reason an install fails where Poetry's installer succeeds:
when uv refuses an install that used remembered files (the index deleted or moved a file
since), the executor asks the chooser again for those packages, once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_FORMAT = 2  # 2: values are URLs or paths


def choice_key(
    *,
    name: str,
    version: str,
    source: str,
    locked_hashes: Iterable[str],
    tags: Iterable[str],
    policies: Iterable[str] = (),
) -> str:
    """Everything Poetry's chooser decides from, as one digest (tags keep their order)."""
    parts = [
        f"format={_FORMAT}",
        f"name={name}",
        f"version={version}",
        f"source={source}",
        "hashes=" + ",".join(sorted(locked_hashes)),
        "tags=" + ",".join(tags),
        "policies=" + ";".join(policies),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class ChoiceMemo:
    """A JSON file of key -> URL or archive path, read once and merged back on save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries = self._read()
        self._added: dict[str, str] = {}
        self._lock = threading.Lock()

    def where(self, key: str) -> Path | str | None:
        """The remembered URL (a str) or archive (a Path, if it is still there) for `key`."""
        with self._lock:
            found = self._added.get(key) or self._entries.get(key)
        if found is None:
            return None
        if is_url(found):
            return found
        path = Path(found)
        return path if path.is_file() else None

    def remember(self, key: str, where: Path | str) -> None:
        with self._lock:
            self._added[key] = str(where)

    def save(self) -> None:
        """Merge what this run learned into the file (another run may have written too)."""
        with self._lock:
            if not self._added:
                return
            entries = {**self._read(), **self._added}
            self._added = {}
        # Drop entries whose archive is gone (`poetry cache clear`), so the file stays small.
        entries = {k: v for k, v in entries.items() if is_url(v) or Path(v).is_file()}
        tmp: Path | None = None
        try:  # a cache we cannot write only costs the next install its shortcut
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=".choices-", suffix=".json")
            tmp = Path(name)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"format": _FORMAT, "archives": entries}, f, sort_keys=True)
            tmp.replace(self.path)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return {}
        archives = data.get("archives")
        if not isinstance(archives, dict):
            return {}
        return {str(k): str(v) for k, v in archives.items()}


def is_url(where: str) -> bool:
    return where.startswith(("https://", "http://"))
