"""What `poetry platform-up` does, without the console: settings in, a report out.

Phases: read the declarations in scope and decide per constraint whether and how far it may
move (`constraints`); look every candidate up concurrently (`lookup`); choose one version
per lockstep unit, Python- and variant-aware (`plan`); re-lock in process and hold back the
bumps the solver rejects (`relock`); write both files at once; install through
`platform-install`. All of it runs inside `atomic.transaction`, so a failure or an
interrupt at any point leaves pyproject.toml and poetry.lock byte-identical.

The command (`commands/up.py`) turns options into `Settings`, gives a `Console` (progress
lines, the project as Poetry loads it, the install step) and renders the `Result`. Errors are
`PlatformError`s, raised; interrupts pass through, and `UpRun.phase` tells the command
whether the files had been written when one arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Literal
from typing import Protocol

from poetry_platform.errors import InstallError
from poetry_platform.errors import LockError
from poetry_platform.errors import PlatformError
from poetry_platform.errors import SourceError
from poetry_platform.lockset.tables import locked_origins
from poetry_platform.lockset.tables import locked_sources
from poetry_platform.lockset.tables import locked_versions
from poetry_platform.lockset.tables import read_tables
from poetry_platform.up.aftermath import unreadable_error
from poetry_platform.up.rows import fill_report
from poetry_platform.up.rows import split_entries
from poetry_platform.up.take import locked_companions

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping
    from collections.abc import Sequence
    from pathlib import Path

    from packaging.utils import NormalizedName
    from poetry.poetry import Poetry

    from poetry_platform.atomic import Snapshot
    from poetry_platform.index.deadline import Deadline
    from poetry_platform.index.model import Query
    from poetry_platform.index.model import Release
    from poetry_platform.up.aftermath import Mismatch
    from poetry_platform.up.declarations import Declarations
    from poetry_platform.up.plan import Plan
    from poetry_platform.up.report import HeldRow
    from poetry_platform.up.report import Report
    from poetry_platform.up.settings import Settings
    from poetry_platform.up.take import Candidate
    from poetry_platform.up.take import Companion
    from poetry_platform.up.take import Fixed

RESTORED = "pyproject.toml and poetry.lock are unchanged"  # = aftermath.RESTORED

Phase = Literal["planning", "writing", "installing", "done"]


class InstallFailed(InstallError):
    """The install step after a successful re-lock failed; the files are restored."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"platform-install exited with {code}")


class Console(Protocol):
    """Where the run reports progress (`commands.console.CommandConsole`)."""

    def status(self, message: str, *, verbose: bool = False) -> None: ...

    def progress(self, what: str) -> Callable[[int, int], None] | None: ...

    def end_progress(self) -> None: ...


@dataclass
class Result:
    """The report to render, and the error to raise after it (the report explains it)."""

    report: Report
    exit_code: int = 0
    error: PlatformError | None = None


@dataclass
class UpRun:
    """One run; `phase` and `written` say how far it got when an interrupt arrived."""

    settings: Settings
    console: Console
    pyproject: Path
    # re-read the project (and the groups the options select) as it is on disk now
    load: Callable[[], tuple[Poetry, set[NormalizedName]]]
    install: Callable[[], int]  # install the written lock (platform-install); its exit code
    phase: Phase = "planning"
    written: list[Path] = field(default_factory=list)
    poetry: Poetry = field(init=False)
    split: frozenset[str] = frozenset()  # keys of entries told apart by markers
    snapshot: Snapshot = field(init=False)
    # the lookup stage's one deadline, started with the first page: the metadata reads
    # and the pre-lock prefetch get what the pages left (docs/reliability.md)
    budget: Deadline | None = field(default=None, init=False)
    # the project's venv, name -> version (None: it could not be read), and the command
    # that installs the lock into it: what an interrupted or failed install step left
    venv: Callable[[], Mapping[str, str] | None] = lambda: None
    reinstall: str = "poetry platform-install"
    # the lock before and after the run's write
    lock_change: tuple[bytes | None, bytes | None] | None = field(default=None, init=False)

    @property
    def lock(self) -> Path:
        return self.pyproject.parent / "poetry.lock"

    def run(self) -> Result:
        from poetry_platform import atomic
        from poetry_platform.index.model import IndexLookupError
        from poetry_platform.up.relock import LockFailed

        try:
            with atomic.transaction(
                [self.pyproject, self.lock],
                on_wait=lambda: self.console.status(
                    "Waiting for another run that is editing this project..."
                ),
            ) as snapshot:
                self.snapshot = snapshot
                return self._run()
        except IndexLookupError as e:
            raise SourceError(
                f"{e.message[:1].upper()}{e.message[1:]}; {RESTORED}.",
                e.remedy or "Check the source's URL and credentials, or retry.",
            ) from None
        except LockFailed as e:
            raise LockError(f"Locking failed: {e}; {RESTORED}.") from None
        except InstallFailed as e:
            from poetry_platform.up.aftermath import failed_install

            found = self.venv_mismatches(restored=True)
            raise InstallError(
                failed_install(str(e), found, self.reinstall),
                "Fix the problem above, or run with --no-install.",
                exit_code=e.code or 1,
            ) from None

    def venv_mismatches(self, *, restored: bool) -> list[Mismatch] | None:
        """The packages this run moved in the lock that the venv holds at a version the
        lock (`restored`: the one put back; else the one written) does not have."""
        from poetry_platform.up import aftermath

        if self.lock_change is None:
            return []
        before, after = (locked_versions(data) for data in self.lock_change)
        try:
            installed = self.venv()
        except (Exception, KeyboardInterrupt):
            installed = None
        if installed is None:
            return None
        against = before if restored else after
        return aftermath.mismatches(installed, aftermath.moved(before, after), against)

    # --- the work ------------------------------------------------------------------------

    def _run(self) -> Result:
        from poetry_platform.context import project_config
        from poetry_platform.up import declarations
        from poetry_platform.up.report import Report

        settings = self.settings
        # read the project as it is now that this run holds the lock
        self.poetry, groups = self.load()
        # what was read is what the snapshot holds: the write compares against it
        text = (self.snapshot.contents[self.pyproject] or b"").decode("utf-8")
        lock_bytes = self.snapshot.contents[self.lock]
        check_lock(self.lock, lock_bytes)  # dry runs too: fail the way the real run would
        # plain data: tomllib reads a 23 MB pyproject in under a second, tomlkit in ~40 s;
        # the editable document is parsed only to write a bump (`relock.Relocker`)
        document = declarations.read_data(text)
        decls = declarations.read(document)
        # the text above, not read again; targets are check data: a broken one is a warning
        config = project_config(self.poetry, document, lenient_targets=True)
        if config.target_error:
            from poetry_platform import render

            self.console.status(
                f"<warning>{render.target_warning(config.target_error, 'platform-up')}</warning>"
            )
        report = Report(
            strategy=settings.rules.strategy, dry_run=settings.dry_run, check=settings.check
        )
        if settings.rules.strategy == "lock-only":
            return self._lock_only(text, lock_bytes, report)

        declared = {d.name for d in decls.items}
        unknown = sorted(settings.packages - declared)
        if unknown:
            raise PlatformError(
                f"pyproject.toml declares no dependency named {', '.join(unknown)}; "
                "name declared packages, or leave the names out to bump everything."
            )
        candidates, fixed, held = self._classify(decls, groups)
        locked = locked_versions(lock_bytes)
        companions = locked_companions(
            candidates,
            decls,
            locked,
            locked_sources(lock_bytes),
            self.poetry.package.python_constraint,
            config.linked,
        )
        plan = self._plan(candidates, fixed, companions, config.linked, lock_bytes)
        self.split = split_entries(decls)
        fill_report(report, plan, held, lock_bytes, None, split=self.split)
        if report.unreadable:  # never "up to date", never a partial bump
            report.lock = "not-run"
            return Result(report, 1, unreadable_error(report, check=settings.check))

        if not plan.changes or not (settings.writes or settings.resolve):
            report.lock = "not-run"
            return Result(report, 1 if settings.check and plan.changes else 0)

        return self._relock_and_write(text, lock_bytes, plan, held, report)

    def _classify(
        self, decls: Declarations, groups: set[NormalizedName]
    ) -> tuple[list[Candidate], list[Fixed], list[HeldRow]]:
        """Which declarations may move (candidates) and which only constrain (fixed)."""
        from poetry_platform.up.declarations import lookup_dependencies
        from poetry_platform.up.report import held_row
        from poetry_platform.up.take import Scope
        from poetry_platform.up.take import classify

        settings = self.settings
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
        held = [held_row(h.decl, h.reason) for h in result.held]
        return result.candidates, result.fixed, held

    def _plan(
        self,
        candidates: list[Candidate],
        fixed: list[Fixed],
        companions: list[Companion],
        linked: tuple[tuple[str, ...], ...],
        lock_bytes: bytes | None = None,
    ) -> Plan:
        from poetry_platform.index import client
        from poetry_platform.index.deadline import Deadline
        from poetry_platform.up.lookup import read_requirements
        from poetry_platform.up.plan import make_plan

        pool = self.poetry.pool
        queries = [ctx.query for c in candidates for ctx in c.contexts]
        queries += [comp.context.query for comp in companions]
        unique = list(dict.fromkeys(queries))
        if unique:
            self.console.status(
                f"Looking up <c1>{len({q.name for q in unique})}</> packages"
                f" in {len(pool.all_repositories)} source"
                f"{'s' * (len(pool.all_repositories) != 1)}"
            )
        progress = self.console.progress("Looking up")
        self.budget = budget = Deadline.start(self.settings.lookup_timeout)
        lookups = client.fetch(
            pool,
            unique,
            on_done=progress,
            budget=budget,
            cache_dir=self.poetry.config.repository_cache_directory,
            locked=locked_origins(lock_bytes),
        )
        self.console.end_progress()
        releases: Mapping[Query, Sequence[Release]] = lookups.releases

        requirements: dict[tuple[str, str, str], str] = {}

        def plan_now(trust_unknown: bool = True) -> Plan:
            return make_plan(
                candidates,
                fixed,
                companions,
                releases,
                strategy=self.settings.rules.strategy,
                project_python=self.poetry.package.python_constraint,
                linked=linked,
                unreadable=lookups.unreadable,
                trust_unknown=trust_unknown,
                requirements=requirements,
            )

        plan = plan_now()
        # What the index pages do not say, read from the metadata of the few releases that
        # could be chosen: Requires-Python where a page omits it, and what a companion
        # (torchvision) requires of its anchor (torch).
        for _ in range(4):
            if not plan.unknown_python and not plan.unknown_requirements:
                break
            if plan.unknown_python:
                known = client.read_requires_python(pool, plan.unknown_python, budget=budget)
                update = {(r.repository, r.version): r for r in known}
                releases = {
                    q: [update.get((r.repository, r.version), r) for r in rs]
                    if any(n == q.name for n, _ in plan.unknown_python)
                    else rs
                    for q, rs in releases.items()
                }
            if plan.unknown_requirements:
                requirements.update(
                    read_requirements(pool, plan.unknown_requirements, linked, budget=budget)
                )
            plan = plan_now()
        if plan.unknown_python or plan.unknown_requirements:  # unverified: not candidates
            plan = plan_now(trust_unknown=False)
        return plan

    def _relock_and_write(
        self,
        text: str,
        lock_bytes: bytes | None,
        plan: Plan,
        held: list[HeldRow],
        report: Report,
    ) -> Result:
        """Re-lock with the plan's bumps (holding back those that break it), then write and
        install; with `--resolve` on a dry run or check, the same re-lock without the write."""
        from cleo.io.null_io import NullIO

        from poetry_platform.index import client
        from poetry_platform.index.deadline import Deadline
        from poetry_platform.index.model import Query
        from poetry_platform.up.relock import Relocker
        from poetry_platform.up.relock import lock_with_holdbacks

        settings = self.settings
        pool = self.poetry.pool
        wanted = [
            (str(c.decl.name), c.version, repo.name)
            for c in plan.changes
            for repo, _ in client.repositories_for(pool, Query(c.decl.name, c.decl.source))
        ]
        # by the lookup deadline: the lock would wait on the same requests under Poetry's
        # retries; a failure is the source's (`IndexLookupError`, a `SourceError`)
        budget = self.budget or Deadline.start(settings.lookup_timeout)
        client.prefetch_metadata(pool, list(dict.fromkeys(wanted)), budget=budget)

        n = len(plan.changes)
        self.console.status(f"Locking with {n} bump{'s' * (n != 1)}")
        root = self.pyproject.parent
        relocker = Relocker(root, text, lock_bytes, pool, self.poetry.config, NullIO())
        units = plan.units()

        def on_attempt(accepted: int, pending: int) -> None:
            self.console.status(
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
            fill_report(report, plan, held, lock_bytes, None, outcome.rejected, self.split)
            excludes = " ".join(f"--exclude {name}" for name in culprits)
            error = LockError(
                f"The lock fails with the bump of {', '.join(culprits)}: {reason} "
                f"Nothing was changed. Retry without it ({excludes}), or fix its constraint"
                " by hand."
            )
            return Result(report, 1, error)

        attempt = outcome.attempt
        assert attempt.lock is not None
        fill_report(report, plan, held, lock_bytes, attempt.lock, outcome.rejected, self.split)
        if not settings.writes:  # --resolve: what the real run would keep, nothing written
            report.lock = "resolved"
            return Result(report, 1 if settings.check and report.changes else 0)
        new = {self.pyproject: attempt.pyproject.encode("utf-8"), self.lock: attempt.lock}
        self._write(new, report)
        report.lock = "written"
        self._install(report)
        return Result(report)

    def _lock_only(self, text: str, lock_bytes: bytes | None, report: Report) -> Result:
        from cleo.io.null_io import NullIO

        from poetry_platform.up.relock import Relocker

        settings = self.settings
        self.console.status("Refreshing the lock within the current constraints")
        relocker = Relocker(
            self.pyproject.parent,
            text,
            lock_bytes,
            self.poetry.pool,
            self.poetry.config,
            NullIO(),
            refresh=True,
        )
        attempt = relocker.attempt([])
        report.lock_attempts = relocker.attempts
        if not attempt.ok or attempt.lock is None:
            report.lock = "failed"
            report.lock_error = attempt.error
            error = LockError(f"Locking failed: {attempt.error}; nothing was changed.")
            return Result(report, 1, error)
        before = locked_versions(lock_bytes)
        after = locked_versions(attempt.lock)
        report.lock_moves = [
            (name, before.get(name, ()), after.get(name, ()))
            for name in sorted(set(before) | set(after))
            if before.get(name, ()) != after.get(name, ())
        ]
        if not settings.writes or not report.lock_moves:
            report.lock = "would-change" if report.lock_moves else "unchanged"
            return Result(report, 1 if settings.check and report.lock_moves else 0)
        self._write({self.lock: attempt.lock}, report)
        report.lock = "written"
        self._install(report)
        return Result(report)

    def _write(self, files: dict[Path, bytes], report: Report) -> None:
        self.phase = "writing"
        self.lock_change = (self.snapshot.contents[self.lock], files.get(self.lock))
        self.snapshot.replace(files, command="platform-up")
        # both files agree: an interrupt from here on keeps them (and says what is left)
        self.snapshot.commit()
        self.written = list(files)
        report.written = [p.name for p in files]

    def _install(self, report: Report) -> None:
        """Install the new lock with the variant this host needs, through platform-install."""
        import signal

        from poetry_platform import atomic

        if not self.settings.no_install:
            self.phase = "installing"
            with atomic.noting_interrupts() as seen:
                code = self.install()
            # Poetry's installer swallows a Ctrl-C and returns 1; platform-install notes it
            # itself (its own handler, inside ours) and exits 130 (143 for SIGTERM): an
            # interrupt either way, raised as the signal that came
            signum = seen[-1] if seen else code - 128 if code in (130, 143) else None
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            if signum is not None:
                raise atomic.Interrupted(signum)
            if code:
                raise InstallFailed(code)
            report.installed = True
        self.phase = "done"


def check_lock(path: Path, data: bytes | None) -> None:
    """A lock that exists must read as a lock: else one `LockError` naming it, for every mode.

    Without this a dry run would show a plan with nothing locked ("Locked: -") and exit 0
    while the real run fails on the same file.
    """
    reason = read_tables(data)[1]
    if reason is None:
        return
    raise LockError(
        f"{path} is not a readable lock file ({reason}); {RESTORED}.",
        "Restore it from version control, or rebuild it with `poetry lock`.",
    )
