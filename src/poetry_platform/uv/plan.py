"""What the uv installer asks of uv, as data: the lock file for uv and the command lines.

Poetry has already decided every file: its chooser picked it from the package's locked
source. uv is handed exactly those files as a PEP 751 `pylock.toml`, one entry per package:

- a URL, for files whose source needs no credentials: uv downloads them itself, in
  parallel, straight into its cache (no archive written first);
- a local path, for everything else: files Poetry downloaded with the source's
  credentials, files already in Poetry's artifact cache, wheels Poetry built from sdists,
  directories or git;
- each with the lock's hash for that file, and `--require-hashes`, so every file is
  checked before anything is installed; `--no-index`, so uv consults no index at all;
  no dependencies, because Poetry's lock already is the whole set.

Entries of a `pylock.toml` install as index packages, so uv writes no `direct_url.json`:
the environment looks the way Poetry's own installer leaves it, and the next
`poetry install` sees nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from poetry_platform import pep751

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence
    from pathlib import Path

# Hash algorithms uv accepts in `--hash`; the lock normally holds sha256 only.
UV_HASH_ALGORITHMS = ("sha256", "sha384", "sha512", "md5")


@dataclass(frozen=True)
class WheelToInstall:
    """One file for uv: where it is (a local path or a URL) and the hashes it must match."""

    name: str
    version: str
    hashes: tuple[str, ...]  # "sha256:<hex>", as the lock writes them
    path: Path | None = None  # a prepared local file ...
    url: str | None = None  # ... or a URL uv downloads itself (no credentials needed)
    reinstall: bool = False  # an update to the same version (e.g. another source's build)

    def __post_init__(self) -> None:
        if (self.path is None) == (self.url is None):
            raise ValueError(f"{self.name}: give exactly one of path and url")

    def pylock_entry(self) -> pep751.Package:
        """This file as one `[[packages]]` entry of a PEP 751 lock."""
        hashes = tuple((a, digest) for a, _, digest in (h.partition(":") for h in self.hashes))
        if self.url:
            wheel = pep751.File(hashes, url=self.url)
        else:
            wheel = pep751.File(hashes, path=str(self.path))
        return pep751.Package(self.name, self.version, wheels=(wheel,))


def usable_hashes(hashes: Iterable[str]) -> tuple[str, ...]:
    """The lock's hashes that uv can check, sorted so uv's pylock.toml is stable."""
    return tuple(sorted(h for h in hashes if h.split(":", 1)[0] in UV_HASH_ALGORITHMS))


def pylock_text(wheels: Sequence[WheelToInstall]) -> str:
    """The `pylock.toml` uv installs: exactly `wheels`, sorted, with no markers."""
    return pep751.document(w.pylock_entry() for w in sorted(wheels, key=lambda w: w.name))


def install_args(
    uv: Path,
    python: Path,
    pylock: Path,
    wheels: Sequence[WheelToInstall],
    *,
    offline: bool = False,
    compile_bytecode: bool = False,
    no_cache: bool = False,
    verbose: bool = False,
) -> list[str]:
    """`uv pip install` of exactly `wheels` (listed in `pylock`) into `python`'s env.

    `offline`: every URL was fetched by uv before, so its cache has the checked file; uv
    then asks nothing (the caller retries online when the cache has been emptied since).
    """
    args = [str(uv), "pip", "install", *_common(python, no_cache=no_cache, verbose=verbose)]
    args += ["--no-deps", "--require-hashes", "--no-index", "--no-build"]
    if offline:
        args.append("--offline")
    for name in sorted({w.name for w in wheels if w.reinstall}):
        args += ["--reinstall-package", name]
    if compile_bytecode:
        args.append("--compile-bytecode")
    args += ["-r", str(pylock)]
    return args


def uninstall_args(
    uv: Path, python: Path, names: Sequence[str], *, verbose: bool = False
) -> list[str]:
    """`uv pip uninstall` of `names` (the removals Poetry's installer decided)."""
    return [str(uv), "pip", "uninstall", *_common(python, verbose=verbose), *sorted(names)]


def _common(python: Path, *, no_cache: bool = False, verbose: bool = False) -> list[str]:
    # --no-config: the user's uv.toml must not add indexes or change what gets installed.
    args = ["--python", str(python), "--no-config", "--color", "never"]
    if no_cache:
        args.append("--no-cache")
    if verbose:
        args.append("--verbose")
    return args
