"""`poetry platform-check`: prove from poetry.lock alone that every target installs.

No solver, no virtualenv, and no network for the verdict: the lock's own markers and file
names are all it needs, so a Linux CI box can say in well under a second whether the Mac
laptop, the GPU image and CI itself would get what they need. The index is asked only to
word the fix of a variant that misses its accelerator (bounded; `--offline` skips it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.command import Command

from poetry_platform.commands.base import PlatformCommand

if TYPE_CHECKING:
    from cleo.io.inputs.option import Option
    from poetry.poetry import Poetry

    from poetry_platform.check.bot_states import BotState
    from poetry_platform.check.fix import FixOutcome
    from poetry_platform.check.targets import TargetResult
    from poetry_platform.lockset.lock import LockState


class PlatformCheckCommand(PlatformCommand, Command):
    name = "platform-check"
    description = (
        "Checks from poetry.lock alone (no network for the verdict) that every target installs."
    )

    options: ClassVar[list[Option]] = [
        option(
            "target",
            None,
            "Check only this target (repeatable). Without declared targets: a variant name.",
            flag=False,
            multiple=True,
        ),
        option("json", None, "Output every target's packages and problems as JSON."),
        option(
            "offline",
            None,
            "Never ask the index (a missing accelerator's fix then names only locked releases).",
        ),
        option(
            "fix",
            None,
            "Apply the first fix that locks and passes (tried in a temporary copy first); "
            "never narrows requires-python or drops a target.",
        ),
        option("dry-run", None, "With --fix: show the diff of the fix, write nothing."),
        option(
            "strict",
            None,
            "Fail on warnings too: packages that build from source, packages a variant forbids.",
        ),
    ]

    help = """\
The <info>platform-check</info> command works out, for each
<comment>[[tool.poetry-platform.target]]</comment>, the exact set of locked packages an
install there would take (lock markers evaluated for that OS, CPU and Python, with the
variant's extras and the target's groups), and finds for each a file in the lock that
installs there: a wheel whose tags the target accepts, or else an sdist (a warning: it
builds from source; <comment>--strict</comment> makes it an error).

It also proves that each variant delivers what it promises: a variant whose
<comment>provides</comment> (inferred: the accelerator build its extras stand for, e.g.
jax-cuda13-plugin for <comment>cuda13</comment>) is not in the set fails the target; a package
matching its <comment>forbids</comment> (inferred for <comment>cpu</comment>: nvidia-*, CUDA
plugins, torch +cu builds) is a warning, an error with <comment>--strict</comment>.

It also reports a stale lock, a variant extra missing from the lock, a dependency the
project needs that the lock lacks, and two locked entries selected at once.

Without declared targets, every variant is checked for this machine's platform and the
project's Python (the environment <info>poetry install</info> uses).
The verdict never needs the network. Only when a variant misses its accelerator is the
index asked (5 s at most) which release first has the extra, to name it in the fix;
<comment>--offline</comment> skips that. Exit code 1 when any target fails.

<info>poetry platform-check</info>
<info>poetry platform-check --target mac --strict</info>
<info>poetry platform-check --json</info>
"""

    def run_command(self) -> int:
        from poetry_platform import render
        from poetry_platform.check.bot_states import bot_states
        from poetry_platform.check.targets import check_plans
        from poetry_platform.check.targets import selected_plans
        from poetry_platform.config import project_data
        from poetry_platform.context import project_config
        from poetry_platform.errors import UsageError
        from poetry_platform.lockset.lock import read_lock

        if self.option("dry-run") and not self.option("fix"):
            raise UsageError("--dry-run only applies with --fix; add --fix or drop --dry-run.")
        config = project_config(self.poetry)
        host_python = "Python"
        project = None
        if not config.targets:  # every variant, for this machine and the project's Python
            from poetry_platform.context import project_python

            project = project_python(self.poetry, self.io)
            host_python = render.project_python(project)
        wanted = list(self.option("target") or [])
        lookup = None
        if not self.option("offline"):
            from poetry_platform.check.first_release import IndexLookup

            lookup = IndexLookup(self.poetry.pool)

        def run_check(poetry: Poetry) -> tuple[LockState, list[TargetResult]]:
            work = selected_plans(
                poetry,
                project_config(poetry),
                wanted,
                python=project.version if project else None,
            )
            lock = read_lock(poetry)
            return lock, check_plans(poetry, work, lock, lookup) if lock.readable else []

        lock, results = run_check(self.poetry)
        strict = bool(self.option("strict"))
        # What update bots break in pyproject.toml, said before the lock's verdict.
        bots = bot_states(project_data(self.poetry))
        failed = bool(lock.problems) or any(r.failed(strict=strict) for r in results)
        outcome = None
        from poetry_platform.check.fix import candidates

        # A warning with an exact fix (torch's CUDA build under cpu) is fixed too.
        if self.option("fix") and (failed or candidates(results)) and lock.readable:
            from poetry.factory import Factory

            from poetry_platform.check.fix import fix

            outcome = fix(
                self.poetry,
                results,
                run_check,
                strict=strict,
                dry_run=bool(self.option("dry-run")),
            )
            if outcome.written:
                fixed = Factory().create_poetry(self.poetry.pyproject_path.parent, io=self.io)
                lock, results = run_check(fixed)
                failed = bool(lock.problems) or any(r.failed(strict=strict) for r in results)
            elif outcome.applied is not None:
                failed = False  # --dry-run: the fix would pass
        self._report(
            lock,
            results,
            bots,
            outcome,
            strict=strict,
            host_mode=not config.targets,
            host_python=host_python,
        )
        return 1 if failed or bots else 0

    def _report(
        self,
        lock: LockState,
        results: list[TargetResult],
        bots: list[BotState],
        outcome: FixOutcome | None,
        *,
        strict: bool,
        host_mode: bool,
        host_python: str,
    ) -> None:
        """The verdicts (and what --fix did), as JSON or as text."""
        from poetry_platform import render

        if self.option("json"):
            from cleo.io.outputs.output import Type as OutputType

            data = render.check_json(lock, results, strict=strict)
            data["pyproject"] = render.bot_states_json(bots)
            if bots:
                data["ok"] = False  # the exit code counts them too
            if self.option("fix"):
                data["fix"] = render.fix_json(outcome)
            self.io.write_line(json.dumps(data, indent=2), type=OutputType.RAW)
        else:
            self.emit(render.bot_states(bots))
            if outcome is not None:
                self.emit(render.fix_lines(outcome))
            if outcome is None or outcome.written or outcome.applied is None:
                self.emit(
                    render.check(
                        lock,
                        results,
                        strict=strict,
                        host_mode=host_mode,
                        host_python=host_python,
                        verbose=self.io.is_verbose(),
                    )
                )
