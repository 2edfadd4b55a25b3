"""`poetry platform-install`: `poetry install` with the variant this host needs.

Everything `poetry install` accepts still works (it is a subclass overriding documented
hooks); the only additions are choosing the variant's extras and groups before Poetry's
installer runs, and refusing extras that belong to another variant, because asking for two
exclusive extras at once silently installs neither build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.install import InstallCommand

from poetry_platform.commands.base import PlatformCommand

INSTALLER_ENV = "POETRY_PLATFORM_INSTALLER"

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cleo.io.inputs.option import Option
    from packaging.utils import NormalizedName
    from poetry.poetry import Poetry

    from poetry_platform.check.lock import LockState
    from poetry_platform.config import PlatformConfig
    from poetry_platform.config import Variant
    from poetry_platform.context import Decision


class PlatformInstallCommand(PlatformCommand, InstallCommand):
    name = "platform-install"
    description = "Installs the project dependencies with the build variant this host needs."

    options: ClassVar[list[Option]] = [
        *InstallCommand.options,
        option(
            "variant",
            None,
            "Install this variant whatever the host has (e.g. in a Docker build without a GPU).",
            flag=False,
            value_required=True,
        ),
        option(
            "allow-missing-accelerator",
            None,
            "Install a forced variant even when poetry.lock cannot deliver its accelerator"
            " on this Python (e.g. jax[cuda13] locked to a jax without the extra).",
        ),
        option(
            "installer",
            None,
            "Which installer puts the locked files into the environment: <comment>poetry</>"
            " (default) or <comment>uv</> (much faster; Poetry still decides what to install)."
            " Also [tool.poetry-platform] installer or POETRY_PLATFORM_INSTALLER.",
            flag=False,
            value_required=True,
        ),
    ]

    help = """\
The <info>platform-install</info> command detects this machine (OS, CPU, NVIDIA driver and
CUDA version, compute capability, ROCm), picks the first variant from
<comment>[tool.poetry-platform]</comment> (or from the project's extras such as
<comment>cuda13</comment>/<comment>cuda12</comment>/<comment>cpu</comment>) that it satisfies,
and installs from <comment>poetry.lock</comment> with that variant's extras and groups.

<info>poetry platform-install --only main,test</info>
<info>poetry platform-install --variant cuda13</info>   (no GPU needed: Docker builds)

Every option of <info>poetry install</info> is accepted. <comment>-E</comment> may add extras
that belong to no variant; <comment>--all-extras</comment> means every extra except other
variants' ones. The variant can also be forced with <comment>POETRY_PLATFORM_VARIANT</comment>.
"""

    _variant_groups: frozenset[str] = frozenset()

    @property
    def activated_groups(self) -> set[NormalizedName]:
        from packaging.utils import canonicalize_name

        groups = super().activated_groups
        if self.option("only-root"):
            return groups
        return groups | {canonicalize_name(g) for g in self._variant_groups}

    @property
    def _with_synchronization(self) -> bool:
        # Not deprecated here: `poetry sync` knows nothing of variants.
        return bool(self.option("sync"))

    def run_command(self) -> int:
        from poetry_platform.check.lock import read_lock
        from poetry_platform.context import decide

        lock = read_lock(self.poetry) if self.poetry.locker.is_locked() else None
        if lock is not None and lock.readable:
            _share_parsed_lock(self.poetry, lock)
        decision = decide(
            self.poetry,
            self.env.marker_env,
            variant_option=self.option("variant"),
            lock=lock,
            groups=self.activated_groups,
        )
        extras = self._extras_for(decision)
        variant = decision.selection.chosen
        assert variant is not None
        self._refuse_undeliverable(decision, variant)
        if self._installer_choice(decision.config) == "uv":
            self._use_uv()
        self._variant_groups = frozenset(variant.groups)
        if lock is not None:
            self._check_plan(extras, lock)
        self._announce(decision)
        self.io.input.set_option("extras", sorted(extras))
        self.io.input.set_option("all-extras", False)
        return InstallCommand.handle(self)

    def _installer_choice(self, config: PlatformConfig) -> str:
        """--installer, then POETRY_PLATFORM_INSTALLER, then the pyproject setting."""
        import os

        from poetry_platform.config import INSTALLERS
        from poetry_platform.errors import PlatformError

        for value, origin in (
            (self.option("installer"), "--installer"),
            (os.environ.get(INSTALLER_ENV), INSTALLER_ENV),
            (config.installer, "[tool.poetry-platform] installer"),
        ):
            if value:
                if value not in INSTALLERS:
                    raise PlatformError(
                        f"{origin}: unknown installer {value!r}; use one of {', '.join(INSTALLERS)}"
                    )
                return str(value)
        return "poetry"

    def _use_uv(self) -> None:
        """Swap the executor only: Poetry's installer still decides every operation."""
        from poetry.installation.installer import Installer

        from poetry_platform.uv.executor import UvExecutor

        poetry = self.poetry
        executor = UvExecutor(
            self.env, poetry.pool, poetry.config, self.io, disable_cache=poetry.disable_cache
        )
        self.set_installer(
            Installer(
                self.io,
                self.env,
                poetry.package,
                poetry.locker,
                poetry.pool,
                poetry.config,
                executor=executor,
                disable_cache=poetry.disable_cache,
                build_constraints=poetry.build_constraints,
            )
        )

    def _extras_for(self, decision: Decision) -> set[str]:
        """The variant's extras plus the user's, refusing any that belong to another variant."""
        from packaging.utils import canonicalize_name

        from poetry_platform import render
        from poetry_platform.errors import PlatformError

        variant = decision.selection.chosen
        if variant is None:
            raise PlatformError(render.no_variant(decision.selection))
        if self.option("extras") and self.option("all-extras"):
            raise PlatformError("You cannot specify explicit --extras while using --all-extras.")
        foreign = _foreign_extras(decision.config, variant)
        if self.option("all-extras"):
            requested = {str(e) for e in self.poetry.package.extras} - foreign
        else:
            requested = {e for value in self.option("extras", []) for e in value.split()}
            _refuse_undeclared(requested, decision.config, self.poetry.package.extras)
            clashes = sorted(e for e in requested if canonicalize_name(e) in foreign)
            if clashes:
                owners = ", ".join(f"{e} (variant {_owner(decision.config, e)})" for e in clashes)
                raise PlatformError(
                    f"-E {' '.join(clashes)}: belongs to another variant: {owners}; "
                    f"the selected variant is {variant.name}. "
                    f"Use --variant NAME to install another variant instead."
                )
        return requested | set(variant.extras)

    def _refuse_undeliverable(self, decision: Decision, variant: Variant) -> None:
        """A variant forced by the user whose accelerator the lock cannot deliver on this
        interpreter: installing it would give a CPU build under a GPU name. (An auto-selected
        one never gets here: `decide` skipped it like any unmet requirement.)"""
        from poetry_platform.errors import LockError

        fidelity = decision.fidelity.get(variant.name)
        if fidelity is None or fidelity.missing is None:
            return
        if self.option("allow-missing-accelerator"):
            return
        raise LockError(
            f"{fidelity.missing.message}.",
            "Nothing was installed; --allow-missing-accelerator installs it anyway.",
        )

    def _check_plan(self, extras: set[str], lock: LockState) -> None:
        """The platform-check for this host, before the venv is touched: a stale lock, one
        missing the variant's extra, one that would install two builds of one package or has
        no file for this machine fails here, in one message, instead of after downloads."""
        from poetry_platform import render
        from poetry_platform.check.plan import check_install_plan
        from poetry_platform.errors import PlatformError

        problems = check_install_plan(
            self.poetry,
            marker_env=self.env.marker_env,
            supported_tags=self.env.supported_tags,
            extras=extras,
            groups=self.activated_groups,
            lock=lock,
        )
        message = render.unfit_lock(problems)
        if message is not None:
            raise PlatformError(message)

    def _announce(self, decision: Decision) -> None:
        from poetry_platform import render

        self.emit(render.install(decision, verbose=self.io.is_verbose()))


def _share_parsed_lock(poetry: Poetry, lock: LockState) -> None:
    """Poetry's installer parses the lock's packages again (`Locker.locked_packages()`, the
    very call `read_lock` made): hand it the packages already parsed, so a no-op install
    pays for that parse once. They are the objects Poetry would build; nothing changes them.
    """
    locked = dict(lock.locked)
    setattr(poetry.locker, "locked_packages", lambda: dict(locked))  # noqa: B010


def _foreign_extras(config: PlatformConfig, chosen: Variant) -> set[str]:
    from packaging.utils import canonicalize_name

    own = {canonicalize_name(e) for e in chosen.extras}
    names = {canonicalize_name(e) for e in config.variant_extras}
    return {str(n) for n in names if n not in own}


def _refuse_undeclared(
    requested: set[str], config: PlatformConfig, declared: Mapping[NormalizedName, object]
) -> None:
    """An -E the project does not declare is the user's slip, not the lock's fault: say so
    here, and when it names a variant (an inferred `cpu` has no extra), the option to use."""
    from packaging.utils import canonicalize_name

    from poetry_platform.errors import UsageError

    missing = sorted(e for e in requested if canonicalize_name(e) not in declared)
    if not missing:
        return
    variant = next((v for e in missing if (v := config.variant(e)) is not None), None)
    if variant is not None:
        needs = (
            f"brings its own extras ({', '.join(variant.extras)})"
            if variant.extras
            else "needs none"
        )
        raise UsageError(
            f"-E {variant.name}: there is no extra `{variant.name}`; "
            f"the `{variant.name}` variant {needs}:",
            f"use `--variant {variant.name}`.",
        )
    known = ", ".join(sorted(str(e) for e in declared)) or "none"
    raise UsageError(
        f"-E {' '.join(missing)}: the project declares no such extra (it has: {known});",
        "declare it under [project.optional-dependencies] or fix the name.",
    )


def _owner(config: PlatformConfig, extra: str) -> str:
    from packaging.utils import canonicalize_name

    name = canonicalize_name(extra)
    return next(v.name for v in config.variants if name in {canonicalize_name(e) for e in v.extras})
