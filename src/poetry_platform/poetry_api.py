"""The one seam to Poetry's private API: every underscore name of Poetry, poetry-core or
cleo the plugin uses is reached through this module, and nowhere else
(`tests/test_poetry_api.py` scans the tree for any other use).

Poetry's only public Python API is the plugin interface; everything below is what a Poetry
upgrade can break. Each function says what it reaches, why the plugin needs it, and in
which Poetry releases it was checked (the matrix of `scripts/test.sh --poetry VERSION`:
2.1.4, 2.2.1, 2.3.4, 2.4.3, 2.5.1). A difference between Poetry releases is handled here,
so that supporting another release means reading this one file.

Importing this module costs nothing: Poetry's modules are imported inside the functions
(the plugin is imported on every `poetry` invocation).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping
    from pathlib import Path

    from cleo.application import Application as CleoApplication
    from cleo.commands.command import Command
    from cleo.io.inputs.option import Option
    from cleo.io.io import IO
    from poetry.console.application import Application
    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.dependency_group import DependencyGroup
    from poetry.core.packages.package import Package
    from poetry.core.packages.utils.link import Link
    from poetry.installation.chooser import Chooser
    from poetry.installation.executor import Executor
    from poetry.installation.operations import Install
    from poetry.installation.operations import Update
    from poetry.installation.operations.operation import Operation
    from poetry.packages.locker import Locker
    from poetry.packages.transitive_package_info import TransitivePackageInfo
    from poetry.repositories.repository import Repository
    from poetry.utils.authenticator import Authenticator
    from poetry.utils.cache import ArtifactCache
    from poetry.utils.env import Env

# The Poetry releases this plugin runs on: `poetry self add` resolves the plugin's declared
# `poetry` requirement against the running Poetry, and `plugin.py` refuses any other release
# with one line. Keep in step with pyproject.toml's `poetry>=2.1,<3`.
SUPPORTED = ((2, 1), (3, 0))  # lowest included, highest excluded
SUPPORTED_TEXT = "2.1-2.x"


def unsupported_poetry(version: str) -> str | None:
    """None when `version` (Poetry's `__version__`) is in the supported range, else the
    reason in one line. Pure: the caller passes the running Poetry's version."""
    parts: list[int] = []
    for piece in version.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit()) or "0"
        parts.append(int(digits))
    release = [*parts, 0, 0][:2]
    low, high = SUPPORTED
    if tuple(release) < low or tuple(release) >= high:
        return f"poetry-platform needs Poetry {SUPPORTED_TEXT}; this is {version}"
    return None


# -- the installer's executor (uv/executor.py) ------------------------------------------------


class ExecutorHooks:
    """Mixin for an `Executor` subclass (`class X(ExecutorHooks, Executor)`): Poetry's two
    private per-operation hooks under public names.

    - `Executor._do_execute_operation(operation)`: Poetry calls it per operation, in its
      worker threads, with its output sections set up. The uv executor overrides it as
      `execute_operation` to prepare a file instead of installing it (uv installs them all
      afterwards in one call).
    - `Executor._populate_hashes_dict(archive, package)`: Poetry's own hashing of a file
      before install; the uv executor skips it (as `check_archive_hash`) for index wheels
      that uv checks against the lock's hashes anyway.

    Both exist with these signatures in Poetry 2.1.4 through 2.5.1. A public replacement
    would be an installer backend interface in Poetry ("install these prepared wheels").
    """

    def _do_execute_operation(self, operation: Operation) -> int:
        return self.execute_operation(operation)

    def _populate_hashes_dict(self, archive: Path, package: Package) -> None:
        self.check_archive_hash(archive, package)

    def execute_operation(self, operation: Operation) -> int:
        """Poetry's own execution of one operation (download, check, install)."""
        from poetry.installation.executor import Executor

        return Executor._do_execute_operation(cast("Executor", self), operation)

    def check_archive_hash(self, archive: Path, package: Package) -> None:
        """Poetry's own hash check of `archive` against the lock, recorded for PEP 610."""
        from poetry.installation.executor import Executor

        Executor._populate_hashes_dict(cast("Executor", self), archive, package)


def executor_env(executor: Executor) -> Env:
    """`Executor._env`: the environment installed into (its Python, its wheel tags).
    Poetry 2.1-2.5."""
    return executor._env


def executor_io(executor: Executor) -> IO:
    """`Executor._io`: the executor's output, for the progress lines and uv's errors in
    Poetry's format and verbosity. Poetry 2.1-2.5."""
    return executor._io


def executor_enabled(executor: Executor) -> bool:
    """`Executor._enabled`: False when the installer disabled execution (Poetry 2.1-2.5)."""
    return executor._enabled


def executor_dry_run(executor: Executor) -> bool:
    """`Executor._dry_run`: `--dry-run` reached the executor (Poetry 2.1-2.5)."""
    return executor._dry_run


def executor_chooser(executor: Executor) -> Chooser:
    """`Executor._chooser`: Poetry's file chooser for this environment and its policies, so
    the uv path installs the very file Poetry's installer would. Poetry 2.1-2.5."""
    return executor._chooser


def executor_artifact_cache(executor: Executor) -> ArtifactCache:
    """`Executor._artifact_cache`: Poetry's download cache (a file already there is handed
    to uv instead of a URL). Poetry 2.1-2.5."""
    return executor._artifact_cache


def executor_authenticator(executor: Executor) -> Authenticator:
    """`Executor._authenticator`: the credentials and certificates Poetry would use for a
    URL, so that a file needing any is downloaded by Poetry, never by uv. Poetry 2.1-2.5."""
    return executor._authenticator


def executor_warn_yanked(executor: Executor, message: str) -> None:
    """Append to `Executor._yanked_warnings`, printed by Poetry at the end of the run as for
    its own downloads. Poetry 2.1-2.5 (a list reset by `execute`)."""
    executor._yanked_warnings.append(message)


def executor_prepare_archive(executor: Executor, operation: Install | Update) -> Path:
    """`Executor._prepare_archive`: build a file or directory dependency with Poetry's chef
    (its build constraints and isolation). Poetry 2.1-2.5."""
    return executor._prepare_archive(operation)


def executor_prepare_git_archive(executor: Executor, operation: Install | Update) -> Path:
    """`Executor._prepare_git_archive`: clone and build a git dependency as Poetry does.
    Poetry 2.1-2.5."""
    return executor._prepare_git_archive(operation)


def executor_download_link(executor: Executor, operation: Install | Update, link: Link) -> Path:
    """`Executor._download_link`: Poetry's download (credentials, cache, hash check) of a
    file that uv must not fetch itself. Poetry 2.1-2.5."""
    return executor._download_link(operation, link)


def executor_write(executor: Executor, operation: Operation, line: str) -> None:
    """`Executor._write`: one progress line in the operation's section, in Poetry's
    format. Poetry 2.1-2.5."""
    executor._write(operation, line)


def executor_count(executor: Executor, operation: Operation, executed: bool) -> None:
    """`Executor._increment_operations_count`: the counts of Poetry's closing summary.
    Poetry 2.1-2.5."""
    executor._increment_operations_count(operation, executed)


def executor_save_url_reference(executor: Executor, operation: Operation) -> None:
    """`Executor._save_url_reference`: PEP 610 `direct_url.json` for URL, file, directory
    and git installs, as Poetry's installer writes it. Poetry 2.1-2.5."""
    executor._save_url_reference(operation)


# -- commands -----------------------------------------------------------------------------------


class InstallCommandHooks:
    """Mixin for an `InstallCommand` subclass: `InstallCommand._with_synchronization`
    (a property) under a public name, `synchronize`.

    Poetry's property warns that `install --sync` is deprecated and tells users to run
    `poetry sync`, which knows nothing of variants; `platform-install --sync` is not
    deprecated. The property exists in Poetry 2.1 through 2.5 (added with `poetry sync`
    in 2.0). A public replacement would be a hook on `InstallCommand`.
    """

    @property
    def _with_synchronization(self) -> bool:
        return self.synchronize

    @property
    def synchronize(self) -> bool:
        raise NotImplementedError


def group_dependency_options() -> list[Option]:
    """`GroupCommand._group_dependency_options()`: the `--with/--without/--only` options
    with Poetry's own texts, so platform-up and platform-export take them exactly as
    Poetry's commands do (copying them would drift). A static method in Poetry 2.1-2.5."""
    from poetry.console.commands.group_command import GroupCommand

    return list(GroupCommand._group_dependency_options())


def run_command(application: CleoApplication, command: Command, io: IO) -> int:
    """cleo's `Application._run_command(command, io)`: run `platform-install` after a bump
    with an IO of our choosing (progress to stderr while stdout carries JSON); what
    `Command.call` does with its own IO. cleo 2.1 (every Poetry 2.1-2.5)."""
    return int(application._run_command(command, io))


def load_plugins(application: Application, io: IO) -> None:
    """`Application._load_plugins(io)`: load application plugins as `poetry` does at start
    (tests and scripts run commands in process through it). Poetry 2.1-2.5."""
    application._load_plugins(io)


# -- the lock ---------------------------------------------------------------------------------


class LockerHooks:
    """Mixin for a `Locker` subclass (`class X(LockerHooks, Locker)`): the two private
    per-package steps under public names, for platform-up's draft lock (up/relock.py), which
    lives in a scratch directory but must record path dependencies as the project's lock.

    - `Locker._get_locked_package(info, ...)`: one `[[package]]` table to a `Package`
      (`read_locked_package`).
    - `Locker._dump_package(package, ...)`: one `Package` to its `[[package]]` table
      (`dump_package`).

    Both exist in Poetry 2.1-2.5 (extra arguments differ between releases, so they are
    passed on as they come). A public replacement would be a lock root other than the lock
    file's directory.
    """

    def _get_locked_package(self, info: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return self.read_locked_package(info, *args, **kwargs)

    def _dump_package(self, package: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.dump_package(package, *args, **kwargs)

    def read_locked_package(self, info: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """Poetry's own reading of one locked package."""
        from poetry.packages.locker import Locker

        return Locker._get_locked_package(cast("Locker", self), info, *args, **kwargs)

    def dump_package(self, package: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Poetry's own table for one package."""
        from poetry.packages.locker import Locker

        table: dict[str, Any] = Locker._dump_package(cast("Locker", self), package, *args, **kwargs)
        return table


def locker_content_hash(locker: Locker) -> str | None:
    """`Locker._content_hash`: the hash Poetry computes for the current pyproject (None
    where a Poetry lacks it). The lock is parsed once by the plugin; `Locker.is_fresh()`
    would parse it again for one hash. A property in Poetry 2.1-2.5."""
    value = getattr(locker, "_content_hash", None)
    return value if isinstance(value, str) else None


def share_locked_packages(locker: Locker, locked: Mapping[Package, TransitivePackageInfo]) -> None:
    """Replace `Locker.locked_packages` on this instance with the packages already parsed.

    Not an underscore name, but a replacement Poetry does not promise: its installer parses
    the lock's packages again with this very call, so a no-op install would pay for the
    parse twice. The method takes no arguments and returns a fresh mapping in Poetry
    2.1-2.5 (a `Repository` before 2.0, which the version guard keeps out).
    """
    packages = dict(locked)
    setattr(locker, "locked_packages", lambda: dict(packages))  # noqa: B010


# -- repositories and HTTP (up/ lookups) ------------------------------------------------------


def min_release_age_cutoff(repository: Repository) -> object | None:
    """`Repository._min_release_age_cutoff`: set when `solver.min-release-age` filters
    releases by upload time (Poetry 2.5); then Poetry's own lookup must be used. Absent in
    Poetry 2.1-2.4, which have no such setting: None."""
    return getattr(repository, "_min_release_age_cutoff", None)


def pypi_base_url(repository: Repository) -> str:
    """`PyPiRepository._base_url`: the primary index's address, to read its simple pages
    in parallel. Poetry 2.1-2.5; "" where missing (then Poetry's lookup is used)."""
    return str(getattr(repository, "_base_url", "") or "")


def cache_disabled(repository: Repository) -> bool:
    """`Repository._disable_cache` (`--no-cache`): then pages are not remembered either.
    Poetry 2.1-2.5; False where missing."""
    return bool(getattr(repository, "_disable_cache", False))


def authenticator_cache_control(authenticator: object) -> Any | None:
    """`Authenticator._cache_control`: Poetry's HTTP cache, shared by the plugin's parallel
    page requests. Poetry 2.1-2.5; None where missing (no HTTP cache)."""
    return getattr(authenticator, "_cache_control", None)


def authenticator_user_agent(authenticator: object) -> str:
    """`Authenticator._user_agent`: the User-Agent Poetry sends. Poetry 2.1-2.5; "poetry"
    where missing."""
    return str(getattr(authenticator, "_user_agent", "poetry"))


# -- poetry-core ------------------------------------------------------------------------------


@functools.cache
def _tomllib() -> Any:
    from poetry.core.utils._compat import tomllib

    return tomllib


def toml_loads(text: str) -> dict[str, Any]:
    """`poetry.core.utils._compat.tomllib.loads`: `tomllib` on Python 3.11+, `tomli` (which
    poetry-core depends on there) on 3.10, without a dependency of our own. poetry-core
    2.1-2.3 (Poetry 2.1-2.5). Raises `ValueError` (TOMLDecodeError) on bad TOML."""
    loads: Callable[[str], dict[str, Any]] = _tomllib().loads
    return loads(text)


def set_in_extras(dependency: Dependency, extras: list[Any]) -> None:
    """`Dependency._in_extras`: the extras a dependency belongs to, as poetry-core records it
    when reading `[project.optional-dependencies]` (tests build such dependencies by hand).
    poetry-core 2.1-2.3."""
    dependency._in_extras = extras


def group_pretty_name(group: DependencyGroup) -> str:
    """A dependency group's name as pyproject.toml spells it (`cloud_dev`).

    `DependencyGroup.pretty_name` exists from the poetry-core of Poetry 2.2; the poetry-core
    of Poetry 2.1.4 has only `name`, which there is still the name as written (it normalizes
    nothing). Not private, but a difference between supported releases."""
    pretty = getattr(group, "pretty_name", None)
    return str(pretty) if pretty else str(group.name)
