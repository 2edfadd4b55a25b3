"""Poetry's executor with uv doing the fetching and installing: Poetry decides, uv writes.

Poetry's `Installer` still computes every operation (lock, groups, extras, the variant,
markers for this interpreter), and this executor still runs Poetry's own code for each
one, in parallel, with Poetry's output: the chooser picks the file from the package's
locked source (and checks the index's hash against the lock). Then, per file:

- its source needs no credentials: uv gets the URL and downloads it itself, in parallel,
  straight into its cache, checking the bytes against the lock's hash;
- its source needs credentials (a username, a token, a client certificate, a custom CA,
  a netrc entry): Poetry's authenticator downloads it into Poetry's artifact cache, as
  `poetry install` does, and uv gets the local file; uv never sees a credential;
- sdists, directories and git dependencies are built by Poetry's chef; uv gets the wheel.

Everything goes to one `uv pip install` of a generated `pylock.toml` (and every removal
to one `uv pip uninstall`), see `uv.plan` for what uv is asked. Nothing is installed
until every file has been fetched and checked, so a tampered file leaves the environment
as it was.
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

from poetry_platform import poetry_api
from poetry_platform.choices import ChoiceMemo
from poetry_platform.choices import choice_key
from poetry_platform.errors import InstallError
from poetry_platform.poetry_api import ExecutorHooks
from poetry_platform.uv.locate import find_uv
from poetry_platform.uv.plan import WheelToInstall
from poetry_platform.uv.plan import install_args
from poetry_platform.uv.plan import pylock_text
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
# uv installs from a PEP 751 lock; its support is a preview feature in some uv releases.
_UV_PREVIEW = "pylock"
# Beside Poetry's artifact cache, which holds the archives it names.
CHOICES_FILE = Path("platform-uv") / "choices.json"


class UvInstallError(InstallError):
    """uv refused or failed; its own output says why."""


class UvExecutor(ExecutorHooks, Executor):
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
        from poetry_platform.index.connect import share_with_poetry

        # the pages the chooser reads and the files downloaded: one name resolution per host
        share_with_poetry(pool, poetry_api.executor_authenticator(self))
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
        # URLs chosen in this run (not remembered): uv's cache may not hold them yet.
        self._fresh_urls = 0
        # Packages whose file came from the memo: chosen again if uv refuses the install.
        self._remembered: set[str] = set()

    def enable_bytecode_compilation(self, enable: bool = True) -> None:
        super().enable_bytecode_compilation(enable)
        self._compile_bytecode = enable

    def execute(self, operations: list[Operation]) -> int:
        """Prepare every operation through Poetry's executor, then apply them all with uv."""
        self._prepared = []
        self._removals = []
        self._fresh_urls = 0
        self._remembered = set()
        try:
            status = super().execute(operations)
            if status != 0 or not self._runs_installs():
                return status
            return self._apply()
        finally:
            self._discard_temporary_archives()

    @property
    def _out(self) -> IO:
        return poetry_api.executor_io(self)

    def _runs_installs(self) -> bool:
        return poetry_api.executor_enabled(self) and not poetry_api.executor_dry_run(self)

    # Poetry's executor calls this per operation, in its worker threads, with its output
    # sections already set up; returning without installing is what makes it "prepare only".
    def execute_operation(self, operation: Operation) -> int:
        if operation.skipped or not self._runs_installs():
            return super().execute_operation(operation)
        if isinstance(operation, Uninstall):
            with self._plan_lock:
                self._removals.append(operation)
            return 0
        assert isinstance(operation, Install | Update)
        wheel, temporary = self._prepare(operation)
        with self._plan_lock:
            self._prepared.append((operation, wheel, temporary))
        return 0

    def _prepare(
        self, operation: Install | Update, *, memo: bool = True
    ) -> tuple[WheelToInstall, bool]:
        """The wheel Poetry would install for `operation`: a URL for uv, or a local file."""
        package = operation.package
        temporary = False
        archive: Path | None
        url: str | None = None
        if package.source_type == "git":
            archive = poetry_api.executor_prepare_git_archive(self, operation)
            temporary = package.develop
        elif package.source_type == "file":
            archive = poetry_api.executor_prepare_archive(self, operation)
        elif package.source_type == "directory":
            archive = poetry_api.executor_prepare_archive(self, operation)
            temporary = True
        elif package.source_type == "url":
            assert package.source_url is not None
            archive = poetry_api.executor_download_link(self, operation, Link(package.source_url))
        else:
            chosen = self._index_file(operation, memo=memo)
            archive, url = (None, chosen) if isinstance(chosen, str) else (chosen, None)
        if archive is not None:
            filename = archive.name
        else:
            assert url is not None
            filename = Link(url).filename
        hashes = usable_hashes(_locked_hashes(package, filename))
        if not hashes:
            # Built here (from an sdist, a directory or git): Poetry has checked what it was
            # built from; uv gets the built wheel's own hash, as --require-hashes needs one.
            assert archive is not None  # a URL is only handed on with a locked hash
            hashes = (f"sha256:{get_file_hash(archive, 'sha256')}",)
        reinstall = isinstance(operation, Update) and (
            operation.initial_package.version == operation.target_package.version
        )
        wheel = WheelToInstall(
            name=package.name,
            version=_wheel_version(filename, package),
            hashes=hashes,
            path=archive,
            url=url,
            reinstall=reinstall,
        )
        return wheel, temporary

    def _index_file(self, operation: Install | Update, *, memo: bool = True) -> Path | str:
        """The file Poetry's chooser picks from the locked source: its URL when uv can
        fetch it alone, else the archive (Poetry's cache, or Poetry's download); or, with
        `memo`, what an earlier run chose for the same inputs."""
        package = operation.package
        key = None if self._no_cache else self._choice_key(package)
        if memo and key is not None and (remembered := self._choices.where(key)) is not None:
            with self._plan_lock:
                self._remembered.add(package.name)
            return remembered
        link = self._choose(operation)
        hashes = usable_hashes(_locked_hashes(package, link.filename))
        chosen: Path | str | None = None
        if link.is_wheel and hashes:
            cache = poetry_api.executor_artifact_cache(self)
            chosen = cache.get_cached_archive_for_link(link, strict=True)
            if chosen is None and not self._needs_credentials(link.url):
                chosen = link.url_without_fragment
                with self._plan_lock:
                    self._fresh_urls += 1
        if chosen is None:
            chosen = poetry_api.executor_download_link(self, operation, link)
        if key is not None and hashes and (isinstance(chosen, str) or chosen.suffix == ".whl"):
            self._choices.remember(key, chosen)
        return chosen

    def _choose(self, operation: Install | Update) -> Link:
        """Poetry's chooser, with Poetry's warning for a yanked file (as `_download`)."""
        link = poetry_api.executor_chooser(self).choose_for(operation.package)
        if link.yanked:
            package = operation.package
            message = (
                f"The file chosen for install of {package.pretty_name} "
                f"{package.pretty_version} ({link.show_url}) is yanked."
            )
            if link.yanked_reason:
                message += f" Reason for being yanked: {link.yanked_reason}"
            with self._plan_lock:
                poetry_api.executor_warn_yanked(self, message)
        return link

    def _needs_credentials(self, url: str) -> bool:
        """Whether Poetry would send anything but a plain request for `url`: then Poetry
        downloads it, so that no credential, certificate or CA setting ever reaches uv."""
        from requests.utils import get_netrc_auth

        if not plain_url(url):
            return True
        authenticator = poetry_api.executor_authenticator(self)
        credential = authenticator.get_credentials_for_url(url)
        if credential.username or credential.password:
            return True
        certs = authenticator.get_certs_for_url(url)
        if certs.cert is not None or certs.client_cert is not None or not certs.verify:
            return True
        return get_netrc_auth(url) is not None

    def _choice_key(self, package: Package) -> str:
        if self._tags is None:
            env = poetry_api.executor_env(self)
            self._tags = tuple(str(tag) for tag in env.supported_tags)
        return choice_key(
            name=package.name,
            version=package.version.to_string(),
            source=f"{package.source_type}|{package.source_reference}|{package.source_url}",
            locked_hashes=[f["hash"] for f in package.files],
            tags=self._tags,
            policies=self._policies,
        )

    def check_archive_hash(self, archive: Path, package: Package) -> None:
        if (
            package.source_type in _INDEX_SOURCE_TYPES
            and archive.suffix == ".whl"
            and usable_hashes(_locked_hashes(package, archive.name))
        ):
            return  # uv checks this file against the lock's hashes before installing
        super().check_archive_hash(archive, package)

    # applying --------------------------------------------------------------------------------
    def _apply(self) -> int:
        removals = sorted(self._removals, key=lambda op: op.package.name)
        prepared = sorted(self._prepared, key=lambda item: item[1].name)
        operations: list[Operation] = [*removals, *(op for op, _, _ in prepared)]
        if not operations:
            return 0
        for operation in operations:
            state = "Removing..." if isinstance(operation, Uninstall) else "Installing..."
            poetry_api.executor_write(self, operation, self._progress(operation, state))
        try:
            if removals:
                names = [op.package.name for op in removals]
                python = Path(poetry_api.executor_env(self).python)
                verbose = self._out.is_debug()
                self._run_uv(uninstall_args(self._uv, python, names, verbose=verbose), "remove")
            if prepared:
                try:
                    self._install_wheels([wheel for _, wheel, _ in prepared])
                except UvInstallError as refused:
                    if not self._remembered:
                        raise
                    prepared = self._choose_remembered_again(prepared, refused)
                    self._install_wheels([wheel for _, wheel, _ in prepared])
        except UvInstallError as e:
            for operation in operations:
                message = self.get_operation_message(operation, error=True)
                poetry_api.executor_write(
                    self, operation, f"  <error>-</error> {message}: <error>Failed</error>"
                )
            self._out.write_error_line("")
            self._out.write_error_line(f"<error>{e}</error>")
            return 1
        self._choices.save()
        for installed, _, _ in prepared:
            poetry_api.executor_save_url_reference(self, installed)
        for operation in operations:
            done = self.get_operation_message(operation, done=True)
            poetry_api.executor_write(self, operation, f"  <fg=green;options=bold>-</> {done}")
            poetry_api.executor_count(self, operation, True)
        return 0

    def _choose_remembered_again(
        self,
        prepared: list[tuple[Install | Update, WheelToInstall, bool]],
        refused: UvInstallError,
    ) -> list[tuple[Install | Update, WheelToInstall, bool]]:
        """uv refused an install that used remembered choices: the index may have moved or
        deleted a file since (Poetry's installer, reading the page, would succeed). Ask
        Poetry's chooser again for those packages, once; if it cannot choose either (say the
        index now serves other bytes), uv's refusal stands."""
        if self._out.is_verbose():
            self._out.write_line("  <debug>uv: refused a remembered file; choosing again</debug>")
        # Only index files are remembered, and they are never temporary: `_prepared` (what
        # is discarded after the run) stays right as it is.
        again: list[tuple[Install | Update, WheelToInstall, bool]] = []
        try:
            for operation, wheel, temporary in prepared:
                if operation.package.name in self._remembered:
                    wheel, _ = self._prepare(operation, memo=False)
                again.append((operation, wheel, temporary))
        except Exception:  # Poetry's chooser and download raise many kinds
            raise refused from None
        return again

    def _install_wheels(self, wheels: Sequence[WheelToInstall]) -> None:
        """One `uv pip install`; offline first when uv fetched every URL in an earlier run
        (its cache holds them, checked), online again if its cache has been emptied since."""
        with tempfile.TemporaryDirectory(prefix="poetry-platform-uv-") as tmp:
            pylock = Path(tmp) / "pylock.toml"
            pylock.write_text(pylock_text(wheels), encoding="utf-8")
            tries = [True, False] if self._fresh_urls == 0 else [False]
            if not any(w.url for w in wheels) or self._no_cache:
                tries = [False]
            for offline in tries:
                args = install_args(
                    self._uv,
                    Path(poetry_api.executor_env(self).python),
                    pylock,
                    wheels,
                    offline=offline,
                    compile_bytecode=self._compile_bytecode,
                    no_cache=self._no_cache,
                    verbose=self._out.is_debug(),
                )
                try:
                    self._run_uv(args, "install")
                    return
                except UvInstallError:
                    if not offline:
                        raise
                    if self._out.is_verbose():
                        self._out.write_line("  <debug>uv: not all in its cache; online</debug>")

    def _run_uv(self, args: list[str], what: str) -> None:
        if self._out.is_very_verbose():
            self._out.write_line(f"<debug>Running: {' '.join(args)}</debug>")
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
        if self._out.is_verbose() and output:
            for line in output.splitlines():
                self._out.write_line(f"  <debug>uv: {line}</debug>")

    def _progress(self, operation: Operation, state: str) -> str:
        message = self.get_operation_message(operation)
        return f"  <fg=blue;options=bold>-</> {message}: <info>{state}</>"

    def _discard_temporary_archives(self) -> None:
        for _, wheel, temporary in self._prepared:
            if temporary and wheel.path is not None:
                wheel.path.unlink(missing_ok=True)
        self._prepared = []
        self._removals = []


def plain_url(url: str) -> bool:
    """An http(s) URL with nothing that may be a secret in it: no user or password, no query
    (signed URLs and `?token=` schemes put credentials there). Only such URLs go to uv."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and parts.username is None
        and parts.password is None
        and not parts.query
    )


def _locked_hashes(package: Package, filename: str) -> list[str]:
    return [f["hash"] for f in package.files if f["file"] == filename]


def _wheel_version(filename: str, package: Package) -> str:
    """The version in the wheel's file name: what uv matches `name==version` against.

    A wheel built from a directory or git checkout may spell it differently from the lock
    (normalized), so the file is the authority; indexes' files match the lock anyway.
    """
    parts = filename.split("-")
    return parts[1] if len(parts) >= 5 else package.version.to_string()


def _uv_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Our environment without Poetry's variables (credentials among them): uv needs none.

    Plus uv's preview switch for `pylock.toml` installs (only silences a warning where the
    feature is still marked preview; other uv releases ignore the variable)."""
    env = {
        key: value
        for key, value in environ.items()
        if not key.upper().startswith(_WITHHELD_ENV_PREFIXES)
    }
    features = [f for f in env.get("UV_PREVIEW_FEATURES", "").split(",") if f]
    if _UV_PREVIEW not in features:
        env["UV_PREVIEW_FEATURES"] = ",".join([*features, _UV_PREVIEW])
    return env
