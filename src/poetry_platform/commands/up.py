"""`poetry platform-up`: bump every declared constraint, re-lock, install; all or nothing.

Phases: read the declarations in scope and decide per constraint whether and how far it may
move (`constraints`); look every candidate up concurrently (`lookup`); choose one version
per lockstep unit, Python- and variant-aware (`plan`); re-lock in process and hold back the
bumps the solver rejects (`relock`); write both files at once; install through
`platform-install`. All of it runs inside `atomic.transaction`, so a failure or an
interrupt at any point leaves pyproject.toml and poetry.lock byte-identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import argument
from cleo.helpers import option
from poetry.console.commands.group_command import GroupCommand

from poetry_platform.commands.base import PlatformCommand
from poetry_platform.errors import InstallError
from poetry_platform.errors import LockError
from poetry_platform.errors import SourceError
from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option
    from packaging.utils import NormalizedName

    from poetry_platform.up.constraints import Rules
    from poetry_platform.up.declarations import Declarations
    from poetry_platform.up.plan import Candidate
    from poetry_platform.up.plan import Companion
    from poetry_platform.up.plan import Fixed
    from poetry_platform.up.plan import Plan
    from poetry_platform.up.report import HeldRow
    from poetry_platform.up.report import Report

FORMATS = ("table", "json", "markdown")


class InstallFailed(InstallError):
    """The install step after a successful re-lock failed; the files are restored."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"platform-install exited with {code}")


@dataclass(frozen=True)
class Settings:
    rules: Rules
    packages: frozenset[NormalizedName]
    exclude: frozenset[NormalizedName]
    exclude_zero_caret: bool
    dry_run: bool
    check: bool
    no_install: bool
    all_or_nothing: bool
    output: str

    @property
    def writes(self) -> bool:
        return not (self.dry_run or self.check)

    @property
    def machine(self) -> bool:
        return self.output != "table"


class PlatformUpCommand(PlatformCommand, GroupCommand):
    name = "platform-up"
    description = (
        "Bumps the constraints in <comment>pyproject.toml</>, re-locks and installs;"
        " variant- and Python-aware, all or nothing."
    )

    arguments: ClassVar[list[Argument]] = [
        argument("packages", "Only bump these packages.", optional=True, multiple=True)
    ]
    options: ClassVar[list[Option]] = [
        *GroupCommand._group_dependency_options(),
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
        option("check", None, "Write nothing; exit 1 when any bump is available (for CI)."),
        option("no-install", None, "Update pyproject.toml and poetry.lock but do not install."),
        option(
            "all-or-nothing",
            None,
            "Fail when any bump breaks the lock, instead of holding that bump back.",
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
solver's reason; if anything fails or is interrupted, both files are restored.

<info>poetry platform-up</>                       all groups, within each upper bound
<info>poetry platform-up --latest --no-install</>
<info>poetry platform-up --check --json</>        CI gate: exit 1 when a bump is available
"""

    @property
    def default_groups(self) -> set[str]:
        """Every group, optional ones included: a bump that skips a group breaks the lock."""
        return {str(g) for g in self.poetry.package.dependency_group_names(include_optional=True)}

    # --- entry ---------------------------------------------------------------------------

    def run_command(self) -> int:
        from poetry.factory import Factory

        from poetry_platform.up import atomic
        from poetry_platform.up.lookup import IndexLookupError
        from poetry_platform.up.relock import LockFailed

        settings = self._settings()
        # Locate without loading: the project is read once, inside the lock.
        pyproject = Factory.locate(self.get_application().project_directory)
        root = pyproject.parent
        lock = root / "poetry.lock"
        restored = "pyproject.toml and poetry.lock are unchanged"
        try:
            with atomic.transaction(
                [pyproject, lock],
                on_wait=lambda: self._status(
                    "Waiting for another run that is editing this project..."
                ),
            ):
                return self._run(settings, root, pyproject, lock)
        except KeyboardInterrupt:
            self.line_error(f"\n<error>Interrupted: {restored}.</error>")
            return 130
        except atomic.Interrupted as e:
            self.line_error(f"\n<error>Interrupted ({e}): {restored}.</error>")
            return e.exit_code
        except IndexLookupError as e:
            raise SourceError(
                f"Version lookup failed, {e}; {restored}.",
                "Check the source's URL and credentials, or retry.",
            ) from None
        except LockFailed as e:
            raise LockError(f"Locking failed: {e}; {restored}.") from None
        except InstallFailed as e:
            raise InstallError(
                f"Installing the new lock failed ({e}); {restored}.",
                "Fix the problem above, or run with --no-install.",
                exit_code=e.code or 1,
            ) from None

    def _settings(self) -> Settings:
        from packaging.utils import canonicalize_name

        from poetry_platform.up.constraints import STRATEGIES
        from poetry_platform.up.constraints import Rules

        strategy = str(self.option("strategy") or "bump")
        if strategy not in STRATEGIES:
            raise UsageError(
                f"Unknown --strategy {strategy!r}; use one of {', '.join(STRATEGIES)}."
            )
        output = "json" if self.option("json") else str(self.option("format") or "table")
        if output not in FORMATS:
            raise UsageError(f"Unknown --format {output!r}; use one of {', '.join(FORMATS)}.")
        if self.option("json") and self.option("format") not in (None, "table", "json"):
            raise UsageError("--json and --format markdown are exclusive; pick one.")
        rules = Rules(
            strategy=strategy,
            latest=bool(self.option("latest")),
            pinned=bool(self.option("pinned")),
            preserve_wildcard=bool(self.option("preserve-wildcard")),
        )
        return Settings(
            rules=rules,
            packages=frozenset(canonicalize_name(p) for p in self.argument("packages") or []),
            exclude=frozenset(
                canonicalize_name(n)
                for value in self.option("exclude") or []
                for n in value.split(",")
                if n.strip()
            ),
            exclude_zero_caret=bool(self.option("exclude-zero-based-caret")),
            dry_run=bool(self.option("dry-run")),
            check=bool(self.option("check")),
            no_install=bool(self.option("no-install")),
            all_or_nothing=bool(self.option("all-or-nothing")),
            output=output,
        )

    # --- the work ------------------------------------------------------------------------

    def _run(self, settings: Settings, root: Path, pyproject: Path, lock: Path) -> int:
        from poetry_platform.context import project_config
        from poetry_platform.errors import PlatformError
        from poetry_platform.up import declarations
        from poetry_platform.up.report import Report

        self.reset_poetry()  # read the project as it is now that this run holds the lock
        text = pyproject.read_bytes().decode("utf-8")
        lock_bytes = lock.read_bytes() if lock.exists() else None
        decls = declarations.read(declarations.parse(text))
        config = project_config(self.poetry)
        report = Report(
            strategy=settings.rules.strategy, dry_run=settings.dry_run, check=settings.check
        )
        if settings.rules.strategy == "lock-only":
            return self._lock_only(settings, root, lock, text, lock_bytes, report)

        declared = {d.name for d in decls.items}
        unknown = sorted(settings.packages - declared)
        if unknown:
            raise PlatformError(
                f"pyproject.toml declares no dependency named {', '.join(unknown)}; "
                "name declared packages, or leave the names out to bump everything."
            )
        groups = self.activated_groups
        candidates, fixed, held = self._classify(decls, groups, settings)
        locked = _locked_versions(lock_bytes)
        companions = self._companions(candidates, decls, locked, lock_bytes, config.linked)
        plan = self._plan(candidates, fixed, companions, settings, config.linked)
        self._fill_report(report, plan, held, locked, None)

        if not plan.changes or not settings.writes:
            report.lock = "not-run"
            self._render(report, settings)
            return 1 if settings.check and plan.changes else 0

        return self._relock_and_write(
            settings, root, pyproject, lock, text, lock_bytes, plan, held, report, locked
        )

    def _classify(
        self,
        decls: Declarations,
        groups: set[NormalizedName],
        settings: Settings,
    ) -> tuple[list[Candidate], list[Fixed], list[HeldRow]]:
        """Which declarations may move (candidates) and which only constrain (fixed)."""
        from poetry_platform.up.declarations import lookup_dependencies
        from poetry_platform.up.plan import Scope
        from poetry_platform.up.plan import classify
        from poetry_platform.up.report import held_row

        root = self.poetry.pyproject_path.parent
        result = classify(
            decls,
            lookup_dependencies(decls.items, decls.items, root),
            Scope(
                groups=frozenset(groups),
                packages=settings.packages,
                exclude=settings.exclude,
                exclude_zero_caret=settings.exclude_zero_caret,
            ),
            settings.rules,
            self.poetry.package.python_constraint,
        )
        held = [held_row(h.decl, h.kind, h.reason) for h in result.held]
        return result.candidates, result.fixed, held

    def _companions(
        self,
        candidates: list[Candidate],
        decls: Declarations,
        locked: dict[str, tuple[str, ...]],
        lock_bytes: bytes | None,
        linked: tuple[tuple[str, ...], ...],
    ) -> list[Companion]:
        """Locked members of a moving family that the project does not declare."""
        from packaging.utils import canonicalize_name

        from poetry_platform.up.families import family_key
        from poetry_platform.up.families import is_family
        from poetry_platform.up.lookup import Query
        from poetry_platform.up.plan import Companion
        from poetry_platform.up.plan import Context

        keys = {family_key(c.decl.name, linked) for c in candidates}
        keys = {k for k in keys if any(is_family(k, c.decl.name) for c in candidates)}
        if not keys:
            return []
        declared = {d.name for d in decls.items}
        sources = _locked_sources(lock_bytes)
        python = self.poetry.package.python_constraint
        out = []
        for name in sorted(locked):
            normalized = canonicalize_name(name)
            if normalized in declared or family_key(normalized, linked) not in keys:
                continue
            ctx = Context(Query(normalized, sources.get(normalized)), python, False, None)
            out.append(Companion(normalized, ctx))
        return out

    def _plan(
        self,
        candidates: list[Candidate],
        fixed: list[Fixed],
        companions: list[Companion],
        settings: Settings,
        linked: tuple[tuple[str, ...], ...],
    ) -> Plan:
        from poetry_platform.up import lookup
        from poetry_platform.up.plan import make_plan

        pool = self.poetry.pool
        queries = [ctx.query for c in candidates for ctx in c.contexts]
        queries += [comp.context.query for comp in companions]
        unique = list(dict.fromkeys(queries))
        if unique:
            self._status(
                f"Looking up <c1>{len({q.name for q in unique})}</> packages"
                f" in {len(pool.all_repositories)} source"
                f"{'s' * (len(pool.all_repositories) != 1)}"
            )
        progress = self._progress("Looking up", settings)
        releases = lookup.fetch(pool, unique, on_done=progress)
        self._end_progress(settings)

        def plan_now() -> Plan:
            return make_plan(
                candidates,
                fixed,
                companions,
                releases,
                strategy=settings.rules.strategy,
                project_python=self.poetry.package.python_constraint,
                linked=linked,
            )

        plan = plan_now()
        for _ in range(3):  # indexes that do not publish Requires-Python: read the metadata
            if not plan.unknown_python:
                break
            known = lookup.read_requires_python(pool, plan.unknown_python)
            update = {(r.repository, r.version): r for r in known}
            releases = {
                q: [update.get((r.repository, r.version), r) for r in rs]
                if any(n == q.name for n, _ in plan.unknown_python)
                else rs
                for q, rs in releases.items()
            }
            plan = plan_now()
        return plan

    def _fill_report(
        self,
        report: Report,
        plan: Plan,
        held: list[HeldRow],
        locked_before: dict[str, tuple[str, ...]],
        locked_after: dict[str, tuple[str, ...]] | None,
        rejected: dict[int, str] | None = None,
    ) -> None:
        """The report's rows: changes that stay, and every entry held back with its reason."""
        from poetry_platform.up.report import change_row
        from poetry_platform.up.report import held_row

        rejected = rejected or {}
        report.changes = []
        report.held = list(held) + [held_row(h.decl, h.kind, h.reason) for h in plan.held]
        for c in plan.changes:
            if c.unit in rejected:
                report.held.append(
                    held_row(c.decl, "resolver", f"held back by the resolver: {rejected[c.unit]}")
                )
                continue
            report.changes.append(
                change_row(
                    c.decl,
                    c.old,
                    c.new,
                    c.version.to_string(),
                    locked_before,
                    locked_after,
                    c.note,
                )
            )

    def _relock_and_write(
        self,
        settings: Settings,
        root: Path,
        pyproject: Path,
        lock: Path,
        text: str,
        lock_bytes: bytes | None,
        plan: Plan,
        held: list[HeldRow],
        report: Report,
        locked: dict[str, tuple[str, ...]],
    ) -> int:
        from cleo.io.null_io import NullIO

        from poetry_platform.up import atomic
        from poetry_platform.up import lookup
        from poetry_platform.up.relock import LockFailed
        from poetry_platform.up.relock import Relocker
        from poetry_platform.up.relock import lock_with_holdbacks

        pool = self.poetry.pool
        wanted = [
            (str(c.decl.name), c.version, repo.name)
            for c in plan.changes
            for repo, _ in lookup.repositories_for(pool, lookup.Query(c.decl.name, c.decl.source))
        ]
        try:
            lookup.prefetch_metadata(pool, list(dict.fromkeys(wanted)))
        except lookup.IndexLookupError as e:
            raise LockFailed(str(e)) from e

        n = len(plan.changes)
        self._status(f"Locking with {n} bump{'s' * (n != 1)}")
        relocker = Relocker(root, text, lock_bytes, pool, self.poetry.config, NullIO())
        units = plan.units()

        def on_attempt(accepted: int, pending: int) -> None:
            self._status(
                f"  the lock fails with some bumps: trying {pending} of them"
                f" ({accepted} kept so far)",
                verbose=True,
            )

        outcome = lock_with_holdbacks(
            relocker, units, bisect=not settings.all_or_nothing, on_attempt=on_attempt
        )
        report.lock_attempts = outcome.attempts
        if outcome.rejected and (settings.all_or_nothing or not outcome.accepted):
            culprits = sorted({c.decl.pretty_name for u in outcome.rejected for c in units[u]})
            reason = next(iter(outcome.rejected.values()))
            report.lock = "failed"
            report.lock_error = reason
            self._fill_report(report, plan, held, locked, None, outcome.rejected)
            self._render(report, settings)
            excludes = " ".join(f"--exclude {name}" for name in culprits)
            self.line_error(
                f"<error>The lock fails with the bump of {', '.join(culprits)}: {reason} "
                f"Nothing was changed. Retry without it ({excludes}), or fix its constraint"
                " by hand.</error>"
            )
            return 1

        attempt = outcome.attempt
        assert attempt.lock is not None
        locked_after = _locked_versions(attempt.lock)
        self._fill_report(report, plan, held, locked, locked_after, outcome.rejected)
        atomic.write_all_atomic({pyproject: attempt.pyproject.encode("utf-8"), lock: attempt.lock})
        report.lock = "written"
        if not settings.no_install:
            self._install(settings)
            report.installed = True
        self._render(report, settings)
        return 0

    def _lock_only(
        self,
        settings: Settings,
        root: Path,
        lock: Path,
        text: str,
        lock_bytes: bytes | None,
        report: Report,
    ) -> int:
        from cleo.io.null_io import NullIO

        from poetry_platform.up import atomic
        from poetry_platform.up.relock import Relocker

        self._status("Refreshing the lock within the current constraints")
        relocker = Relocker(
            root, text, lock_bytes, self.poetry.pool, self.poetry.config, NullIO(), refresh=True
        )
        attempt = relocker.attempt([])
        report.lock_attempts = relocker.attempts
        if not attempt.ok or attempt.lock is None:
            report.lock = "failed"
            report.lock_error = attempt.error
            self._render(report, settings)
            self.line_error(f"<error>Locking failed: {attempt.error}; nothing was changed.</error>")
            return 1
        before = _locked_versions(lock_bytes)
        after = _locked_versions(attempt.lock)
        report.lock_moves = [
            (name, before.get(name, ()), after.get(name, ()))
            for name in sorted(set(before) | set(after))
            if before.get(name, ()) != after.get(name, ())
        ]
        if not settings.writes or not report.lock_moves:
            report.lock = "would-change" if report.lock_moves else "unchanged"
            self._render(report, settings)
            return 1 if settings.check and report.lock_moves else 0
        atomic.write_all_atomic({lock: attempt.lock})
        report.lock = "written"
        if not settings.no_install:
            self._install(settings)
            report.installed = True
        self._render(report, settings)
        return 0

    def _install(self, settings: Settings) -> None:
        """Install the new lock with the variant this host needs, through platform-install."""
        from cleo.io.inputs.string_input import StringInput
        from cleo.io.io import IO

        self.reset_poetry()
        args = []
        for key in ("with", "without", "only"):
            for value in self.option(key) or []:
                args.append(f"--{key}={value}")
        io = self.io.with_input(StringInput(" ".join(args)))
        if settings.machine:  # keep stdout for the JSON or markdown document
            io = IO(io.input, self.io.error_output, self.io.error_output)
        command = self.get_application().get("platform-install")
        # What `Command.call` does, with an IO of our choosing.
        code = self.get_application()._run_command(command, io)
        if code:
            raise InstallFailed(code)

    # --- output --------------------------------------------------------------------------

    def _status(self, message: str, *, verbose: bool = False) -> None:
        """Progress lines: stdout like Poetry's, stderr when stdout carries JSON/markdown."""
        if verbose and not self.io.is_verbose():
            return
        output = str(self.option("format") or "table")
        if self.option("json") or output != "table":
            self.line_error(message)
        else:
            self.line(message)

    def _progress(self, what: str, settings: Settings) -> Callable[[int, int], None] | None:
        if not self.io.error_output.is_decorated() or settings.machine:
            return None

        def show(done: int, total: int) -> None:
            self.io.write_error(f"\r{what}: {done}/{total}")

        return show

    def _end_progress(self, settings: Settings) -> None:
        if self.io.error_output.is_decorated() and not settings.machine:
            self.io.write_error("\r\x1b[2K")

    def _table(self, header: list[str], rows: list[list[str]]) -> None:
        from cleo.ui.table import Table

        table = Table(self.io, style="compact")
        table.set_headers(list(header))
        table.set_rows([list(r) for r in rows])
        table.render()

    def _render(self, report: Report, settings: Settings) -> None:
        from poetry_platform.up.report import TABLE_HEADER
        from poetry_platform.up.report import table_rows
        from poetry_platform.up.report import to_json
        from poetry_platform.up.report import to_markdown

        if settings.output == "json":
            self.line(json.dumps(to_json(report), indent=2))
            return
        if settings.output == "markdown":
            self.line(to_markdown(report).rstrip("\n"))
            return
        rows = table_rows(report)
        if rows:
            verb = "Would bump" if not settings.writes else "Bumped"
            if report.lock == "failed":
                verb = "Could not bump"
            self.line("")
            self.line(f"<info>{verb} {len(rows)} constraint{'s' * (len(rows) != 1)}</info>")
            self._table(TABLE_HEADER, rows)
        elif report.lock_moves:
            self.line("")
            self.line("<info>Lock changes</info>")
            self._table(
                ["Package", "Before", "After"],
                [[n, ", ".join(b) or "-", ", ".join(a) or "-"] for n, b, a in report.lock_moves],
            )
        elif report.strategy == "lock-only":
            self.line("The lock is already up to date.")
        else:
            self.line("Nothing to bump: every constraint is up to date.")
        for row in report.changes:
            if row.note:
                self.line(f"  <comment>{row.name}</comment>: {row.note}")
        if report.held:
            self.line("")
            self.line("<comment>Not bumped:</comment>")
            for h in sorted(report.held, key=lambda h: (h.name.lower(), h.group_label)):
                self.line(
                    f"  - <c1>{h.name}</c1> ({h.group_label}) <b>{h.constraint}</b>: {h.reason}"
                )
        if report.lock == "written":
            self.line("")
            self.line("Wrote <comment>pyproject.toml</comment> and <comment>poetry.lock</comment>.")


def _lock_packages(lock_bytes: bytes | None) -> list[dict[str, object]]:
    if not lock_bytes:
        return []
    from poetry.core.utils._compat import tomllib

    try:
        data = tomllib.loads(lock_bytes.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return []
    packages = data.get("package", [])
    return [p for p in packages if isinstance(p, dict)]


def _locked_versions(lock_bytes: bytes | None) -> dict[str, tuple[str, ...]]:
    from packaging.utils import canonicalize_name

    out: dict[str, list[str]] = {}
    for p in _lock_packages(lock_bytes):
        out.setdefault(canonicalize_name(str(p.get("name"))), []).append(str(p.get("version")))
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


def _locked_sources(lock_bytes: bytes | None) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    out: dict[str, str] = {}
    for p in _lock_packages(lock_bytes):
        source = p.get("source")
        if isinstance(source, dict) and source.get("type") == "legacy":
            out[canonicalize_name(str(p.get("name")))] = str(source.get("reference"))
    return out
