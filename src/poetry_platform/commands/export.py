"""`poetry platform-export`: a target's exact install set as pylock.toml or hashed requirements.

For images and jobs without Poetry (`uv pip install -r pylock.gpu.toml`). The set is the one
`platform-check` computes for that target, by the same code. `export/run.py` chooses the
targets, reads the lock once and renders the files; this command reads the options, calls
it, and writes the files (all of them, or none) or standard output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.group_command import GroupCommand

from poetry_platform import poetry_api
from poetry_platform.commands.base import PlatformCommand

if TYPE_CHECKING:
    from pathlib import Path

    from cleo.io.inputs.option import Option

    from poetry_platform.errors import PlatformError
    from poetry_platform.export.fileset import ExportSet


class PlatformExportCommand(PlatformCommand, GroupCommand):
    name = "platform-export"
    description = (
        "Exports the install set of a target or variant as pylock.toml or hashed requirements."
    )

    options: ClassVar[list[Option]] = [
        option("target", None, "Export this declared target.", flag=False, value_required=True),
        option(
            "variant",
            None,
            "Export this variant for this machine's platform (default: the one it selects).",
            flag=False,
            value_required=True,
        ),
        option(
            "format",
            "f",
            "<comment>pylock</> (PEP 751, default) or <comment>requirements</>.",
            flag=False,
            default="pylock",
        ),
        option(
            "output",
            "o",
            "The file to write (default: standard output); with --all-targets, a directory.",
            flag=False,
            value_required=True,
        ),
        *poetry_api.group_dependency_options(),
        option("all-groups", None, "Include all dependency groups."),
        option(
            "all-targets",
            None,
            "One file per declared target: pylock.<target>.toml or requirements-<target>.txt.",
        ),
        option(
            "strict",
            None,
            "Refuse a target platform-check warns about (forbidden packages, builds from "
            "source), as platform-check --strict fails it.",
        ),
        option("with-credentials", None, "Keep the sources' credentials in the URLs written."),
        option("with-root", None, "Add the project itself (editable)."),
        option(
            "lookup-timeout",
            None,
            "Seconds all reads of the sources' pages may take together (default: twice"
            " <comment>POETRY_REQUESTS_TIMEOUT</>, 30).",
            flag=False,
        ),
    ]
    numeric_options: ClassVar[tuple[str, ...]] = ("lookup-timeout",)

    help = """\
The <info>platform-export</info> command writes the packages one target installs, exactly
the set <info>platform-check</info> verifies (lock markers evaluated for that OS, CPU and
Python, the variant's extras, the groups), with a hash for every file the target may use:

<info>poetry platform-export --target gpu -o pylock.gpu.toml</info>
<info>poetry platform-export --variant cuda13 --format requirements -o requirements.txt</info>
<info>poetry platform-export --all-targets -o dist/</info>

Without <comment>--target</comment> or <comment>--variant</comment>: the variant this machine
selects, for the project's Python, with the groups <info>platform-install</info> would
install. A target that fails <info>platform-check</info> is not exported. pylock.toml needs
each file's URL, read from the sources (as <info>poetry install</info> does); the
requirements format is written offline.
"""

    _target_groups: tuple[str, ...] | None = None

    @property
    def default_groups(self) -> set[str]:
        if self._target_groups is not None:
            return set(self._target_groups)
        return super().default_groups

    def run_command(self) -> int:
        from poetry_platform import render
        from poetry_platform.export.run import ExportRequest
        from poetry_platform.export.run import export
        from poetry_platform.export.run import project_files
        from poetry_platform.export.run import write
        from poetry_platform.index.deadline import timeout_option

        request = ExportRequest(
            format=str(self.option("format") or "pylock"),
            target=self.option("target"),
            variant=self.option("variant"),
            output=self.option("output"),
            all_targets=bool(self.option("all-targets")),
            with_credentials=bool(self.option("with-credentials")),
            with_root=bool(self.option("with-root")),
            lookup_timeout=timeout_option(self.option("lookup-timeout")),
            strict=bool(self.option("strict")),
        )
        from poetry_platform import atomic

        written: list[Path] = []
        sets: list[ExportSet] = []
        with atomic.noting_interrupts() as seen:  # SIGTERM too: Ctrl-C's path and line
            try:
                outputs = export(self.poetry, request, self._groups, self.io, sets)
                self.emit(render.export_warnings(sets, verbose=self.io.is_verbose()))
                if [o.path for o in outputs] == [None]:
                    from cleo.io.outputs.output import Type as OutputType

                    self.io.write(outputs[0].text, type=OutputType.RAW)
                else:
                    write(outputs, project_files(self.poetry), written)
            except KeyboardInterrupt:
                raise interrupted(written, atomic.interrupt_exit_code(seen)) from None
        self.emit(render.wrote(path) for path in written)
        return 0

    def _groups(self, defaults: tuple[str, ...] | None) -> tuple[str, ...]:
        """The groups to export: `defaults` (a target's own; `None`: the project's) with
        --with/--without/--only applied, as Poetry's commands apply them."""
        from poetry.console.exceptions import GroupNotFoundError

        from poetry_platform.errors import UsageError

        self._target_groups = defaults
        try:
            groups = self.activated_groups
        except GroupNotFoundError as e:
            raise UsageError(self.group_not_found(e)) from None
        finally:
            self._target_groups = None
        from poetry_platform.check.targets import as_written

        return as_written(self.poetry, sorted(groups, key=lambda g: (g != "main", g)))


def interrupted(written: list[Path], code: int = 130) -> PlatformError:
    """An interrupt's one line, exit `code` (130 Ctrl-C, 143 SIGTERM): files are written
    with the interrupt held off, so either none was written or all were, complete."""
    from poetry_platform.atomic import signal_name
    from poetry_platform.errors import PlatformError

    by = f" by {name}" if (name := signal_name(code)) else ""
    if not written:
        return PlatformError(
            f"Interrupted{by}: nothing was exported and no file was written.",
            "Run `poetry platform-export` again.",
            exit_code=code,
        )
    names = ", ".join(str(p) for p in written)
    return PlatformError(
        f"Interrupted{by} after writing {names}: every file was written whole (the interrupt"
        " waited for the writes).",
        exit_code=code,
    )
