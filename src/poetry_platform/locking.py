"""Poetry's own lock run, in process: the one place its `Installer` is set up to lock.

platform-up (`up/relock.py`: each set of bumps) and `platform-check --fix` (`check/fix.py`:
each candidate fix) lock a draft before anything is written. Both run what `poetry lock`
and `poetry update --lock NAME` run (Poetry's `Installer` in lock mode, on no environment:
the run writes the locker's file and nothing else), so both take the installer from here.
Each caller runs it inside its own error handling: a solver refusal is a result for both
(a held-back bump, a candidate that does not lock), other failures are not.

Both lock a draft: the edited pyproject held in memory (`draft_package`, read as if it
stood in the project's directory) and the lock written to a scratch file (`draft_locker`,
whose path entries still read and write relative to the project's directory). So a path
dependency (`{ path = "../lib" }`) resolves where the project's own `poetry lock` would
resolve it, and the draft lock's bytes are the ones that lock would write.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

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


def draft_package(root: Path, data: Mapping[str, Any]) -> ProjectPackage:
    """The project as Poetry reads it, from pyproject data that is not on disk."""
    from poetry.core.factory import Factory
    from poetry.core.pyproject.toml import PyProjectTOML

    class Draft(PyProjectTOML):
        @property
        def data(self) -> dict[str, Any]:
            return dict(data)

    pyproject = Draft(root / "pyproject.toml")
    project = data.get("project") or {}
    poetry_config = (data.get("tool") or {}).get("poetry") or {}
    name = project.get("name") or poetry_config.get("name") or "non-package-mode"
    version = project.get("version") or poetry_config.get("version") or "0"
    package = Factory.get_package(str(name), str(version))
    Factory.configure_package(package, pyproject, root)
    return package


def draft_locker(lock: Path, data: dict[str, Any], project: Path) -> Locker:
    """Poetry's `Locker` for a scratch lock file that records paths as the project's would.

    Poetry writes the `url` of a path or directory dependency relative to the lock file's
    directory, and reads it back from there. The draft lock lives in a scratch directory, so
    without this `../wheels/x.whl` came out as `../../tmp/.../wheels/x.whl`: a lock that
    `poetry check --lock` accepts and the next install cannot use. Both directions are
    anchored at the project's directory instead, with Poetry's own rule (`os.path.relpath`
    of the resolved paths), so the entries are byte-identical to what `poetry lock` in the
    project writes. Every file the locker reads or writes is still the scratch one.
    """
    import os

    from poetry.packages.locker import Locker

    from poetry_platform.poetry_api import LockerHooks

    local = ("file", "directory")

    class DraftLocker(LockerHooks, Locker):
        def read_locked_package(self, info: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            source = info.get("source")
            if isinstance(source, dict) and source.get("type") in local and "url" in source:
                url = (project / str(source["url"])).resolve().as_posix()
                info = {**info, "source": {**source, "url": url}}
            return super().read_locked_package(info, *args, **kwargs)

        def dump_package(self, package: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            data: dict[str, Any] = super().dump_package(package, *args, **kwargs)
            source = data.get("source")
            if package.source_type in local and package.source_url and source:
                where = os.path.relpath(Path(package.source_url).resolve(), project.resolve())
                source["url"] = Path(where).as_posix()
            return data

    return DraftLocker(lock, data)


def first_lines(text: str, n: int = 3) -> str:
    """The first `n` non-blank lines of a solver's explanation, joined: its gist in one line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:n])
