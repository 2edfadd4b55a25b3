"""Poetry's executor with uv doing the installing: Poetry decides, uv writes the files.

Poetry's `Installer` still computes every operation (lock, groups, extras, the variant,
markers for this interpreter), and this executor still runs Poetry's own code for each
one, in parallel, with Poetry's output: the chooser picks the file from the package's
locked source, the authenticator downloads it into Poetry's artifact cache, sdists and
directories are built by Poetry's chef. Only the last step changes: instead of Poetry's
per-package wheel installer, every prepared file goes to one `uv pip install` (and every
removal to one `uv pip uninstall`), see `uv_plan` for what uv is asked.

Why this split: it keeps "exactly the source the lock names" and credentials entirely in
Poetry's hands (uv runs offline on local files and never sees a password), while the slow
part, unpacking and writing ~100 wheels, happens in uv. Nothing is installed until every
file has been prepared, and uv checks every hash before it installs anything, so a
tampered file leaves the environment as it was.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from poetry.core.packages.utils.link import Link
from poetry.installation.executor import Executor
from poetry.installation.operations import Install
from poetry.installation.operations import Uninstall
from poetry.installation.operations import Update
from poetry.utils.helpers import get_file_hash

from poetry_platform.errors import InstallError
from poetry_platform.uv.choices import ChoiceMemo
from poetry_platform.uv.choices import choice_key
from poetry_platform.uv.locate import find_uv
from poetry_platform.uv.plan import WheelToInstall
from poetry_platform.uv.plan import install_args
from poetry_platform.uv.plan import requirements_text
from poetry_platform.uv.plan import uninstall_args
from poetry_platform.uv.plan import usable_hashes

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from cleo.io.io import IO
    from packaging.utils import NormalizedName
    from poetry.config.config import Config
    from poetry.core.packages.dependency import Dependency
    from poetry.core.packages.package import Package
    from poetry.installation.operations.operation import Operation
    from poetry.repositories import RepositoryPool
    from poetry.utils.env import Env

# Source types whose files come from an index: uv checks them against the lock's hashes, so
# Poetry's own (Python) hashing of these files is skipped. Other types keep Poetry's check,
# which also records the hash for their direct_url.json.
_INDEX_SOURCE_TYPES = frozenset({None, "legacy"})
# Variables uv does not need and that may hold Poetry's credentials.
_WITHHELD_ENV_PREFIXES = ("POETRY_",)
# Beside Poetry's artifact cache, which holds the archives it names.
CHOICES_FILE = Path("platform-uv") / "choices.json"


class UvInstallError(InstallError):
    """uv refused or failed; its own output says why."""


class UvExecutor(Executor):
    """`Executor` that prepares like Poetry and installs everything in one uv call."""

    def __init__(
        self,
        env: Env,
        pool: RepositoryPool,
        config: Config,
        io: IO,
        parallel: bool | None = None,
        disable_cache: bool = False,
        *,
        build_constraints: Mapping[NormalizedName, list[Dependency]] | None = None,
    ) -> None:
        # Before anything else: no uv means one clear error line, not a failure half-way.
        self._uv = find_uv()
        super().__init__(
            env,
            pool,
            config,
            io,
            parallel,
            disable_cache,
            build_constraints=build_constraints,
        )
        self._no_cache = disable_cache
        self._compile_bytecode = False
        self._policies = tuple(
            f"{option}={sorted(config.get(option, []) or [])}"
            for option in ("installer.no-binary", "installer.only-binary")
        )
        self._choices = ChoiceMemo(config.artifacts_cache_directory.parent / CHOICES_FILE)
        self._tags: tuple[str, ...] | None = None
        self._plan_lock = threading.Lock()
        self._prepared: list[tuple[Install | Update, WheelToInstall, bool]] = []
        self._removals: list[Uninstall] = []

    def enable_bytecode_compilation(self, enable: bool = True) -> None:
        super().enable_bytecode_compilation(enable)
        self._compile_bytecode = enable

    def execute(self, operations: list[Operation]) -> int:
        """Prepare every operation through Poetry's executor, then apply them all with uv."""
        self._prepared = []
        self._removals = []
        try:
            status = super().execute(operations)
            if status != 0 or not self._enabled or self._dry_run:
                return status
            return self._apply()
        finally:
            self._discard_temporary_archives()

    # Poetry's executor calls this per operation, in its worker threads, with its output
    # sections already set up; returning without installing is what makes it "prepare only".
    def _do_execute_operation(self, operation: Operation) -> int:
        if operation.skipped or not self._enabled or self._dry_run:
            return super()._do_execute_operation(operation)
        if isinstance(operation, Uninstall):
            with self._plan_lock:
                self._removals.append(operation)
            return 0
        assert isinstance(operation, Install | Update)
        wheel, temporary = self._prepare(operation)
        with self._plan_lock:
            self._prepared.append((operation, wheel, temporary))
        return 0

    def _prepare(self, operation: Install | Update) -> tuple[WheelToInstall, bool]:
        """The wheel Poetry would install for `operation` (downloaded, built, checked)."""
        package = operation.package
        temporary = False
        if package.source_type == "git":
            archive = self._prepare_git_archive(operation)
            temporary = package.develop
        elif package.source_type == "file":
            archive = self._prepare_archive(operation)
        elif package.source_type == "directory":
            archive = self._prepare_archive(operation)
            temporary = True
        elif package.source_type == "url":
            assert package.source_url is not None
            archive = self._download_link(operation, Link(package.source_url))
        else:
            archive = self._index_archive(operation)
        hashes = usable_hashes(_locked_hashes(package, archive.name))
        if not hashes:
            # Built here (from an sdist, a directory or git): Poetry has checked what it was
            # built from; uv gets the built wheel's own hash, as --require-hashes needs one.
            hashes = (f"sha256:{get_file_hash(archive, 'sha256')}",)
        reinstall = isinstance(operation, Update) and (
            operation.initial_package.version == operation.target_package.version
        )
        wheel = WheelToInstall(
            name=package.name,
            version=_wheel_version(archive, package),
            path=archive,
            hashes=hashes,
            reinstall=reinstall,
        )
        return wheel, temporary

    def _index_archive(self, operation: Install | Update) -> Path:
        """Poetry's chooser and download, or the archive they gave for the same inputs."""
        package = operation.package
        key = None if self._no_cache else self._choice_key(package)
        if key is not None and (remembered := self._choices.archive(key)) is not None:
            return remembered
        archive = self._download(operation)
        if key is not None and archive.suffix == ".whl" and _locked_hashes(package, archive.name):
            self._choices.remember(key, archive)
        return archive

    def _choice_key(self, package: Package) -> str:
        if self._tags is None:
            self._tags = tuple(str(tag) for tag in self._env.supported_tags)
        return choice_key(
            name=package.name,
            version=package.version.to_string(),
            source=f"{package.source_type}|{package.source_reference}|{package.source_url}",
            locked_hashes=[f["hash"] for f in package.files],
            tags=self._tags,
            policies=self._policies,
        )

    def _populate_hashes_dict(self, archive: Path, package: Package) -> None:
        if (
            package.source_type in _INDEX_SOURCE_TYPES
            and archive.suffix == ".whl"
            and usable_hashes(_locked_hashes(package, archive.name))
        ):
            return  # uv checks this file against the lock's hashes before installing
        super()._populate_hashes_dict(archive, package)

    # applying --------------------------------------------------------------------------------
    def _apply(self) -> int:
        removals = sorted(self._removals, key=lambda op: op.package.name)
        prepared = sorted(self._prepared, key=lambda item: item[1].name)
        operations: list[Operation] = [*removals, *(op for op, _, _ in prepared)]
        if not operations:
            return 0
        for operation in operations:
            state = "Removing..." if isinstance(operation, Uninstall) else "Installing..."
            self._write(operation, self._progress(operation, state))
        try:
            if removals:
                names = [op.package.name for op in removals]
                python = Path(self._env.python)
                verbose = self._io.is_debug()
                self._run_uv(uninstall_args(self._uv, python, names, verbose=verbose), "remove")
            if prepared:
                self._install_wheels([wheel for _, wheel, _ in prepared])
        except UvInstallError as e:
            for operation in operations:
                message = self.get_operation_message(operation, error=True)
                self._write(operation, f"  <error>-</error> {message}: <error>Failed</error>")
            self._io.write_error_line("")
            self._io.write_error_line(f"<error>{e}</error>")
            return 1
        self._choices.save()
        for installed, _, _ in prepared:
            self._save_url_reference(installed)
        for operation in operations:
            done = self.get_operation_message(operation, done=True)
            self._write(operation, f"  <fg=green;options=bold>-</> {done}")
            self._increment_operations_count(operation, True)
        return 0

    def _install_wheels(self, wheels: Sequence[WheelToInstall]) -> None:
        with tempfile.TemporaryDirectory(prefix="poetry-platform-uv-") as tmp:
            requirements = Path(tmp) / "requirements.txt"
            requirements.write_text(requirements_text(wheels), encoding="utf-8")
            args = install_args(
                self._uv,
                Path(self._env.python),
                requirements,
                wheels,
                compile_bytecode=self._compile_bytecode,
                no_cache=self._no_cache,
                verbose=self._io.is_debug(),
            )
            self._run_uv(args, "install")

    def _run_uv(self, args: list[str], what: str) -> None:
        if self._io.is_very_verbose():
            self._io.write_line(f"<debug>Running: {' '.join(args)}</debug>")
        result = subprocess.run(
            args,
            env=_uv_environment(os.environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        output = "\n".join(part.rstrip() for part in (result.stdout, result.stderr) if part)
        if result.returncode != 0:
            raise UvInstallError(
                f"uv could not {what} the locked packages (exit code {result.returncode}):"
                f"\n{output}"
            )
        if self._io.is_verbose() and output:
            for line in output.splitlines():
                self._io.write_line(f"  <debug>uv: {line}</debug>")

    def _progress(self, operation: Operation, state: str) -> str:
        message = self.get_operation_message(operation)
        return f"  <fg=blue;options=bold>-</> {message}: <info>{state}</>"

    def _discard_temporary_archives(self) -> None:
        for _, wheel, temporary in self._prepared:
            if temporary:
                wheel.path.unlink(missing_ok=True)
        self._prepared = []
        self._removals = []


def _locked_hashes(package: Package, filename: str) -> list[str]:
    return [f["hash"] for f in package.files if f["file"] == filename]


def _wheel_version(archive: Path, package: Package) -> str:
    """The version in the wheel's file name: what uv matches `name==version` against.

    A wheel built from a directory or git checkout may spell it differently from the lock
    (normalized), so the file is the authority; indexes' files match the lock anyway.
    """
    parts = archive.name.split("-")
    return parts[1] if len(parts) >= 5 else package.version.to_string()


def _uv_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Our environment without Poetry's variables (credentials among them): uv needs none."""
    return {
        key: value
        for key, value in environ.items()
        if not key.upper().startswith(_WITHHELD_ENV_PREFIXES)
    }
