"""What the uv installer asks of uv, as data: the requirements file and the command lines.

Poetry has already decided every file (its chooser picked it from the locked source, its
authenticator downloaded it into its artifact cache). uv only installs those files:

- `--no-index --offline` plus one `--find-links` per directory holding a chosen file, so uv
  can reach nothing but these files and never needs a credential or a network;
- `name==version --hash=...` per package with `--require-hashes`, so every file is checked
  against the lock's hash (uv checks all files before it installs any of them);
- `--no-deps`, because Poetry's lock already is the whole set.

Files reached through `--find-links` install as index packages, so uv writes no
`direct_url.json` pointing into Poetry's cache: the environment looks the way Poetry's own
installer leaves it, and the next `poetry install` sees nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence
    from pathlib import Path

# Hash algorithms uv accepts in `--hash`; the lock normally holds sha256 only.
UV_HASH_ALGORITHMS = ("sha256", "sha384", "sha512", "md5")


@dataclass(frozen=True)
class WheelToInstall:
    """One file for uv: the chosen archive and the hashes it must match."""

    name: str
    version: str
    path: Path
    hashes: tuple[str, ...]  # "sha256:<hex>", as the lock writes them
    reinstall: bool = False  # an update to the same version (e.g. another source's build)

    def requirement(self) -> str:
        hashes = " ".join(f"--hash={h}" for h in self.hashes)
        return f"{self.name}=={self.version} {hashes}"


def usable_hashes(hashes: Iterable[str]) -> tuple[str, ...]:
    """The lock's hashes that uv can check, sorted so the requirements file is stable."""
    return tuple(sorted(h for h in hashes if h.split(":", 1)[0] in UV_HASH_ALGORITHMS))


def requirements_text(wheels: Sequence[WheelToInstall]) -> str:
    """The `-r` file: one pinned, hashed requirement per line (paths stay on argv)."""
    return "".join(f"{w.requirement()}\n" for w in wheels)


def install_args(
    uv: Path,
    python: Path,
    requirements: Path,
    wheels: Sequence[WheelToInstall],
    *,
    compile_bytecode: bool = False,
    no_cache: bool = False,
    verbose: bool = False,
) -> list[str]:
    """`uv pip install` of exactly `wheels` from their own directories into `python`'s env."""
    args = [str(uv), "pip", "install", *_common(python, no_cache=no_cache, verbose=verbose)]
    args += ["--no-deps", "--require-hashes", "--no-index", "--offline", "--no-build"]
    for directory in sorted({str(w.path.parent) for w in wheels}):
        args += ["--find-links", directory]
    for name in sorted({w.name for w in wheels if w.reinstall}):
        args += ["--reinstall-package", name]
    if compile_bytecode:
        args.append("--compile-bytecode")
    args += ["-r", str(requirements)]
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
