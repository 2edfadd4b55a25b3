"""`poetry platform-up`: options in, one call to `up.run`, the report out.

The work (plan, re-lock, write, install; all or nothing) lives in `poetry_platform.up.run`;
this module only reads options, gives the run a console, and renders its report with
`up.report`. Errors are `PlatformError`s, mapped to one line in `commands/base.py`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import argument
from cleo.helpers import option
from poetry.console.commands.group_command import GroupCommand

from poetry_platform import poetry_api
from poetry_platform.commands.base import PlatformCommand

if TYPE_CHECKING:
    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option
    from packaging.utils import NormalizedName
    from poetry.poetry import Poetry

    from poetry_platform.commands.console import CommandConsole
    from poetry_platform.up.report import Report
    from poetry_platform.up.settings import Settings


class PlatformUpCommand(PlatformCommand, GroupCommand):
    settings: Settings
    console: CommandConsole

    name = "platform-up"
    description = (
        "Bumps the constraints in <comment>pyproject.toml</>, re-locks and installs;"
        " variant- and Python-aware, all or nothing."
    )

    numeric_options: ClassVar[tuple[str, ...]] = ("lookup-timeout",)

    arguments: ClassVar[list[Argument]] = [
        argument("packages", "Only bump these packages.", optional=True, multiple=True)
    ]
    options: ClassVar[list[Option]] = [
        *poetry_api.group_dependency_options(),
        option("latest", None, "Also move past the upper bound of each constraint."),
        option("pinned", None, "Also bump exact pins (<comment>==1.2.3</>)."),
        option(
            "exclude", None, "Do not bump this package (repeatable).", flag=False, multiple=True
        ),
        option("preserve-wildcard", None, "Leave <comment>*</> constraints alone."),
        option("exclude-zero-based-caret", None, "Leave <comment>^0.x</> constraints alone."),
        option(
            "strategy",
            None,
            "<comment>bump</> (raise the lower bound), <comment>widen</> (move only an upper"
            " bound that excludes the newest release) or <comment>lock-only</> (pyproject"
            " untouched, lock refreshed within today's constraints).",
            flag=False,
            default="bump",
        ),
        option("dry-run", None, "Show what would change; write nothing."),
        option(
            "resolve",
            None,
            "With --dry-run or --check: re-lock a copy to show what a real run keeps.",
        ),
        option("check", None, "Write nothing; exit 1 when any bump is available (for CI)."),
        option("no-install", None, "Update pyproject.toml and poetry.lock but do not install."),
        option(
            "all-or-nothing",
            None,
            "Fail when any bump breaks the lock, instead of holding that bump back.",
        ),
        option(
            "lookup-timeout",
            None,
            "Seconds all version and metadata lookups may take together (default: twice"
            " <comment>POETRY_REQUESTS_TIMEOUT</>, 30).",
            flag=False,
        ),
        option("json", None, "Output the plan or result as JSON (same as --format json)."),
        option(
            "format",
            None,
            "Output format: <comment>table</>, <comment>json</> or <comment>markdown</>.",
            flag=False,
            default="table",
        ),
    ]

    help = """\
The <info>platform-up</info> command bumps every constraint the project declares
(<comment>[project]</>, <comment>[dependency-groups]</>, <comment>[tool.poetry]</> groups; strings,
tables and lists of tables), keeping each constraint's style, then re-locks like
<info>poetry lock</> and installs with <info>platform-install</> (unless <comment>--no-install</>).

Entries of one package (variants such as <comment>+cpu</>/<comment>+cu130</>) and families
(JAX's, and <comment>[tool.poetry-platform] linked</>) move to one version. A release must
support every Python the project does. Bumps that break the lock are held back with the
solver's reason; if anything fails or is interrupted before the write, both files are
restored, and an edit saved while it runs is kept (nothing is written).

<info>poetry platform-up</>                       all groups, within each upper bound
<info>poetry platform-up --latest --no-install</>
<info>poetry platform-up --check --json</>        CI gate: exit 1 when a bump is available
<info>poetry platform-up --dry-run --resolve</>   the plan, re-locked in a copy
"""

    @property
    def default_groups(self) -> set[str]:
        """Every group, optional ones included: a bump that skips a group breaks the lock."""
        return {str(g) for g in self.poetry.package.dependency_group_names(include_optional=True)}

    def run_command(self) -> int:
        from poetry.factory import Factory

        from poetry_platform import atomic
        from poetry_platform.commands.console import CommandConsole
        from poetry_platform.up.aftermath import interrupted_message
        from poetry_platform.up.run import UpRun
        from poetry_platform.up.settings import parse_settings

        self.settings = parse_settings(self.io.input.options, self.argument("packages") or [])
        self.console = CommandConsole(self.io, machine=self.settings.machine)
        # Locate without loading: the project is read once, inside the lock.
        pyproject = Factory.locate(self.get_application().project_directory)
        run = UpRun(self.settings, self.console, pyproject, self._load, self._install)
        run.venv = self._venv
        run.reinstall = " ".join(["poetry platform-install", *self._group_args()])
        try:
            result = run.run()
            self._render(result.report)
        except KeyboardInterrupt:
            self.line_error(f"\n<error>{interrupted_message(run, None)}</error>")
            return 130
        except atomic.Interrupted as e:
            how = atomic.signal_name(e.exit_code) or None
            self.line_error(f"\n<error>{interrupted_message(run, how)}</error>")
            return e.exit_code
        if result.error is not None:
            raise result.error
        return result.exit_code

    def _load(self) -> tuple[Poetry, set[NormalizedName]]:
        self.reset_poetry()
        return self.poetry, self.activated_groups

    def _install(self) -> int:
        """Install the new lock with the variant this host needs, through platform-install."""
        from cleo.io.inputs.string_input import StringInput
        from cleo.io.io import IO

        self.reset_poetry()
        io = self.io.with_input(StringInput(" ".join(self._group_args())))
        if self.settings.machine:  # keep stdout for the JSON or markdown document
            io = IO(io.input, self.io.error_output, self.io.error_output)
        command = self.get_application().get("platform-install")
        # What `Command.call` does, with an IO of our choosing.
        return poetry_api.run_command(self.get_application(), command, io)

    def _group_args(self) -> list[str]:
        """The group options given, as platform-install takes them."""
        keys = ("with", "without", "only")
        return [f"--{key}={value}" for key in keys for value in self.option(key) or []]

    def _venv(self) -> dict[str, str] | None:
        """The project's venv as Poetry's installer reads it: name -> version (None: no
        venv could be read). Read after an interrupted or failed install step."""
        from packaging.utils import canonicalize_name
        from poetry.repositories.installed_repository import InstalledRepository
        from poetry.utils.env import EnvManager

        try:
            env = EnvManager(self.poetry).get()
            if not env.is_venv():
                return None
            packages = InstalledRepository.load(env).packages
        except Exception:
            return None
        return {canonicalize_name(p.name): p.version.text for p in packages}

    def _render(self, report: Report) -> None:
        from poetry_platform.up.report import to_json
        from poetry_platform.up.report import to_markdown
        from poetry_platform.up.report import to_text

        if self.settings.output == "json":
            self.line(json.dumps(to_json(report), indent=2))
        elif self.settings.output == "markdown":
            self.line(to_markdown(report).rstrip("\n"))
        else:
            self.console.blocks(to_text(report, writes=self.settings.writes))
