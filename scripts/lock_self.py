"""Write this project's poetry.lock as a plain PyPI lock on machines where Poetry cannot reach PyPI.

Poetry's built-in PyPI repository reads PyPI's per-version JSON API. Some networks only let
the simple index (PEP 503/691) through, which pip and Poetry's *legacy* repositories read
fine. So the lock is made in a temporary copy of the project that names the simple index as
its only (primary) source, and then turned back into what `poetry lock` against PyPI writes:
the `[package.source]` tables pointing at that temporary source are dropped and the
content-hash is recomputed by Poetry's own Locker from the *committed* pyproject (the hash
covers `[[tool.poetry.source]]`, so the temporary copy's hash would be stale). The index URL
is asked of pip at run time, so no registry address is written into the repository.

An existing poetry.lock is carried into the copy with its packages attributed to the
temporary source, so `poetry lock` keeps the locked versions (as it does at home) unless
`--regenerate` is given.

Run with the project's environment, after changing dependencies in pyproject.toml:
    .venv/bin/python scripts/lock_self.py [--regenerate]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE_NAME = "lock-self-simple-index"
# Files Poetry reads to load the project (readme and packages are checked on load).
PROJECT_FILES = ("pyproject.toml", "README.md", "src")


def simple_index_url() -> str:
    from pip._internal.models.index import PyPI

    url: str = PyPI.simple_url
    return url


def _copy_project(dest: Path) -> None:
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)


def _add_source(pyproject: Path, url: str) -> None:
    import tomlkit

    doc = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    poetry = doc.setdefault("tool", tomlkit.table()).setdefault("poetry", tomlkit.table())
    if poetry.get("source"):
        # A project with its own sources would need them merged with care: refuse, loudly.
        raise SystemExit("lock_self.py: pyproject already declares [[tool.poetry.source]]")
    source = tomlkit.aot()
    source.append({"name": SOURCE_NAME, "url": url, "priority": "primary"})
    poetry["source"] = source
    pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _attribute_lock(lock_text: str, url: str) -> str:
    """Mark every PyPI package of an existing lock as coming from the temporary source."""
    import tomlkit

    doc = tomlkit.parse(lock_text)
    for package in doc.get("package", []):
        if "source" not in package:
            package["source"] = {"type": "legacy", "url": url, "reference": SOURCE_NAME}
    return tomlkit.dumps(doc)


def _strip_sources(lock_text: str, url: str) -> tuple[Any, int]:
    import tomlkit

    doc = tomlkit.parse(lock_text)
    stripped = 0
    for package in doc.get("package", []):
        source = package.get("source")
        if source is not None and source.get("reference") == SOURCE_NAME:
            assert source.get("url") == url, source
            del package["source"]
            stripped += 1
    return doc, stripped


def _scrub_host(doc: Any, url: str) -> None:
    """Keep the index's host name out of the repository, even inside third-party summaries.

    `description` is informational (no Poetry check reads it), so dropping the host from it
    changes nothing about how the lock installs.
    """
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    for package in doc.get("package", []):
        description = package.get("description", "")
        if host and host in description.lower():
            text = re.sub(rf"\s*\(?{re.escape(host)}\)?", "", str(description), flags=re.I)
            package["description"] = text


def _content_hash(pyproject: Path) -> str:
    # Poetry computes the hash only inside Locker; reading it from there keeps us exactly in
    # step with the Poetry version that will check the lock (`poetry check --lock`).
    from poetry.core.pyproject.toml import PyProjectTOML
    from poetry.packages.locker import Locker

    data = PyProjectTOML(pyproject).data
    locker = Locker(pyproject.parent / "poetry.lock", data)
    from poetry_platform.poetry_api import locker_content_hash

    content_hash = locker_content_hash(locker)
    assert content_hash is not None, "this Poetry computes no content hash"
    return content_hash


def _poetry_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "POETRY_NO_INTERACTION": "1",
            # A keyring prompt or a locked keyring must not stall the lock.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            # Locking needs no virtualenv: use this interpreter's, create nothing on disk.
            "POETRY_VIRTUALENVS_CREATE": "false",
        }
    )
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="ignore the existing lock (poetry lock --regenerate)",
    )
    args = parser.parse_args(argv)

    url = simple_index_url()
    poetry_bin = Path(sys.executable).parent / "poetry"
    lock = ROOT / "poetry.lock"
    with tempfile.TemporaryDirectory(prefix="lock-self-") as tmp:
        work = Path(tmp)
        _copy_project(work)
        _add_source(work / "pyproject.toml", url)
        if lock.exists() and not args.regenerate:
            text = _attribute_lock(lock.read_text(encoding="utf-8"), url)
            (work / "poetry.lock").write_text(text, encoding="utf-8")
        cmd = [str(poetry_bin), "lock", "--no-interaction"]
        if args.regenerate:
            cmd.append("--regenerate")
        subprocess.run(cmd, cwd=work, env=_poetry_env(), check=True)
        doc, stripped = _strip_sources((work / "poetry.lock").read_text(encoding="utf-8"), url)

    _scrub_host(doc, url)
    doc["metadata"]["content-hash"] = _content_hash(ROOT / "pyproject.toml")
    import tomlkit

    new = tomlkit.dumps(doc)
    old = lock.read_text(encoding="utf-8") if lock.exists() else None
    if new == old:
        print(f"poetry.lock unchanged ({stripped} packages)")
    else:
        lock.write_text(new, encoding="utf-8")
        print(f"wrote poetry.lock ({stripped} packages)")
    # The lock must read as fresh for the committed pyproject, exactly as users' Poetry sees it.
    subprocess.run([str(poetry_bin), "check", "--lock"], cwd=ROOT, env=_poetry_env(), check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
