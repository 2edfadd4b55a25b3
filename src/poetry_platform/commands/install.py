"""`poetry platform-install`: `poetry install` with the variant this host needs.

Everything `poetry install` accepts still works (it is a subclass overriding documented
hooks); the only additions are choosing the variant's extras and groups before Poetry's
installer runs, and refusing extras that belong to another variant, because asking for two
exclusive extras at once silently installs neither build. That decision, and every refusal
before the venv is touched, is `install.prepare`; this is the cleo layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.install import InstallCommand

from poetry_platform.commands.base import PlatformCommand
from poetry_platform.poetry_api import InstallCommandHooks

if TYPE_CHECKING:
    from cleo.io.inputs.option import Option
    from packaging.utils import NormalizedName
    from poetry.utils.env import Env

    from poetry_platform.errors import PlatformError
    from poetry_platform.model import Variant


class PlatformInstallCommand(InstallCommandHooks, PlatformCommand, InstallCommand):
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
            "Which installer puts the locked files into the environment: <comment>auto</>"
            " (default: uv when it is installed beside Poetry and can do this install"
            " exactly, else Poetry's), <comment>poetry</> or <comment>uv</> (Poetry still"
            " decides what to install). Also [tool.poetry-platform] installer or"
            " POETRY_PLATFORM_INSTALLER.",
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

    _variant: Variant | None = None

    @property
    def activated_groups(self) -> set[NormalizedName]:
        from poetry_platform.install import with_variant_groups

        return with_variant_groups(
            super().activated_groups, self._variant, only_root=bool(self.option("only-root"))
        )

    @property
    def synchronize(self) -> bool:
        # Not deprecated here: `poetry sync` knows nothing of variants.
        return bool(self.option("sync"))

    def run_command(self) -> int:
        from poetry_platform import render
        from poetry_platform.install import InstallRequest
        from poetry_platform.install import prepare
        from poetry_platform.uv.locate import bundled_uv

        request = InstallRequest(
            extras=tuple(self.option("extras") or ()),
            all_extras=bool(self.option("all-extras")),
            variant=self.option("variant"),
            installer=self.option("installer"),
            allow_missing_accelerator=bool(self.option("allow-missing-accelerator")),
            only_root=bool(self.option("only-root")),
            uv_importable=bundled_uv() is not None,
            externally_managed=_externally_managed(self.env),
        )
        from poetry_platform import atomic

        with atomic.noting_interrupts() as seen:  # SIGTERM too: Ctrl-C's path and line
            try:
                choice = prepare(self.poetry, self.env, request, self.activated_groups)
            except KeyboardInterrupt:
                raise interrupted(installing=False, code=atomic.interrupt_exit_code(seen)) from None
        self.emit(render.installer(choice.installer))
        if choice.installer.name == "uv":
            self._use_uv()
        self._variant = choice.variant
        self.emit(render.install(choice.decision, verbose=self.io.is_verbose()))
        self.io.input.set_option("extras", list(choice.extras))
        self.io.input.set_option("all-extras", False)
        return self._install()

    def _install(self) -> int:
        """Poetry's install; Ctrl-C is exit 130 with what it left, whoever caught it.

        Poetry's executor catches the interrupt, finishes the operations under way and
        returns 1, which would read as a failed install with no message.
        """
        import signal

        from poetry_platform import atomic

        with atomic.noting_interrupts() as seen:
            try:
                code = InstallCommand.handle(self)
            except KeyboardInterrupt:
                if not seen:
                    seen.append(int(signal.SIGINT))
        if seen:
            raise interrupted(installing=True, code=atomic.interrupt_exit_code(seen))
        return code

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


def interrupted(*, installing: bool, code: int = 130) -> PlatformError:
    """An interrupt's one line: what was done, what to run; exit `code` (130 for Ctrl-C,
    143 for SIGTERM, as a shell reports them), the signal named unless it was Ctrl-C."""
    from poetry_platform.atomic import signal_name
    from poetry_platform.errors import PlatformError

    by = f" by {name}" if (name := signal_name(code)) else ""
    if not installing:
        return PlatformError(
            f"Interrupted{by} before installing: nothing was installed.",
            "Run `poetry platform-install` to install.",
            exit_code=code,
        )
    return PlatformError(
        f"Interrupted{by} during the install: the venv may be partly changed (the packages"
        " under way were finished, the rest not started), so it may not match poetry.lock.",
        "Run `poetry platform-install` again to finish it.",
        exit_code=code,
    )


def _externally_managed(env: Env) -> bool:
    """A system Python marked EXTERNALLY-MANAGED (PEP 668): uv refuses to write into it."""
    from pathlib import Path

    if env.is_venv():
        return False
    try:
        stdlib = Path(env.paths["stdlib"])
    except (KeyError, OSError):
        return False
    return (stdlib / "EXTERNALLY-MANAGED").exists()
