"""Poetry's own lock run, in process: the one place its `Installer` is set up to lock.

platform-up (`up/relock.py`: each set of bumps) and `platform-check --fix` (`check/fix.py`:
each candidate fix) lock a draft before anything is written. Both run what `poetry lock`
and `poetry update --lock NAME` run (Poetry's `Installer` in lock mode, on no environment:
the run writes the locker's file and nothing else), so both take the installer from here.
Each caller runs it inside its own error handling: a solver refusal is a result for both
(a held-back bump, a candidate that does not lock), other failures are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from cleo.io.io import IO
    from poetry.config.config import Config
    from poetry.core.packages.project_package import ProjectPackage
    from poetry.installation.installer import Installer
    from poetry.packages.locker import Locker
    from poetry.repositories import RepositoryPool


def lock_installer(
    io: IO,
    root: Path,
    package: ProjectPackage,
    locker: Locker,
    pool: RepositoryPool,
    config: Config,
    *,
    update: bool,
    names: Sequence[str] = (),
) -> Installer:
    """The installer `run()` locks with: `poetry lock` (`update`: `--regenerate`, every
    locked package may move), or with `names`, `poetry update --lock NAMES` (`update`
    True: only they move). Nothing is installed; `root/.venv` is never created."""
    from poetry.installation.installer import Installer
    from poetry.repositories.installed_repository import InstalledRepository
    from poetry.utils.env import NullEnv

    installer = Installer(
        io,
        NullEnv(path=root / ".venv"),
        package,
        locker,
        pool,
        config,
        installed=InstalledRepository(),
    )
    if names:
        installer.whitelist({name: "*" for name in names})
    installer.lock(update=update)
    return installer


def first_lines(text: str, n: int = 3) -> str:
    """The first `n` non-blank lines of a solver's explanation, joined: its gist in one line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:n])
