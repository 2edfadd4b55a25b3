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

    from poetry_platform.check.problems import Problem
    from poetry_platform.check.targets import TargetPlan
    from poetry_platform.config import PlatformConfig
    from poetry_platform.config import Target


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

    _host_python = "Python"

    def run_command(self) -> int:
        from poetry_platform import render
        from poetry_platform.check.lock import read_lock
        from poetry_platform.check.targets import check_plans
        from poetry_platform.context import project_config

        config = project_config(self.poetry)
        work = self._plans(config)

        lock = read_lock(self.poetry)
        lookup = None
        if not self.option("offline"):
            from poetry_platform.check.first_release import IndexLookup

            lookup = IndexLookup(self.poetry.pool)
        results = check_plans(self.poetry, work, lock, lookup) if lock.readable else []
        strict = bool(self.option("strict"))
        failed = bool(lock.problems) or any(r.failed(strict=strict) for r in results)
        if self.option("json"):
            from cleo.io.outputs.output import Type as OutputType

            report = json.dumps(render.check_json(lock, results, strict=strict), indent=2)
            self.io.write_line(report, type=OutputType.RAW)
        else:
            self.emit(
                render.check(
                    lock,
                    results,
                    strict=strict,
                    host_mode=not config.targets,
                    host_python=self._host_python,
                )
            )
        return 1 if failed else 0

    def _plans(self, config: PlatformConfig) -> list[tuple[TargetPlan, Problem | None]]:
        """Declared targets, or every variant on this host; filtered by --target."""
        from poetry_platform.check.targets import host_system
        from poetry_platform.check.targets import host_target
        from poetry_platform.check.targets import project_plans
        from poetry_platform.errors import UsageError

        if config.targets:
            pairs = [(t, config.variant(t.variant) if t.variant else None) for t in config.targets]
        else:
            from poetry_platform import render
            from poetry_platform.context import project_python

            default_groups = tuple(sorted(self.poetry.package.dependency_group_names()))
            project = project_python(self.poetry, self.io)
            self._host_python = render.project_python(project)
            host = host_target(host_system(), default_groups, python=project.version)
            pairs = [(_named(host, v.name), v) for v in config.variants]

        wanted = list(self.option("target") or [])
        known = [t.name for t, _ in pairs]
        unknown = [name for name in wanted if name not in known]
        if unknown and config.targets:
            raise UsageError(
                f"No target named {', '.join(unknown)} in [tool.poetry-platform]; "
                f"targets: {', '.join(known)}"
            )
        if unknown:
            raise UsageError(
                f"--target {', '.join(unknown)}: no targets are declared in "
                "[tool.poetry-platform], so --target names a variant checked on this machine "
                f"({', '.join(known) or 'none'}).",
                "To check another machine, declare it: [[tool.poetry-platform.target]] "
                f'name = "{unknown[0]}", sys_platform = "linux", platform_machine = "x86_64", '
                'python = "3.12" (see README, Configuration reference).',
            )
        return [
            work
            for target, variant in pairs
            if not wanted or target.name in wanted
            for work in project_plans(self.poetry, target, variant)
        ]


def _named(target: Target, name: str) -> Target:
    from dataclasses import replace

    return replace(target, name=name)
