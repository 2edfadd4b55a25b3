"""Re-locking an edited pyproject in process, and finding the bumps that break the lock.

A lock attempt runs Poetry's own `Installer` in lock mode (`locking.py`), exactly as
`poetry lock` does (locked versions are kept where they still fit: minimal changes), but
on a draft: the edited pyproject lives in memory and the lock is written to a scratch
copy, so the project's files are only touched once, at the very end, when everything
worked. All attempts share one `RepositoryPool`, so the pages and metadata fetched by the
lookups and by earlier attempts are not fetched again.

When the solver rejects the set of bumps, `lock_with_holdbacks` bisects it: units (bumps
that must move together) that lock are kept, a unit that cannot is held back with the
solver's reason, so one stubborn package does not cancel forty good bumps.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from poetry_platform.errors import LockError
from poetry_platform.locking import draft_locker
from poetry_platform.locking import draft_package
from poetry_platform.locking import first_lines
from poetry_platform.locking import lock_installer
from poetry_platform.poetry_api import toml_loads
from poetry_platform.up import edits

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from cleo.io.io import IO
    from poetry.config.config import Config
    from poetry.repositories import RepositoryPool
    from tomlkit.toml_document import TOMLDocument

    from poetry_platform.up.plan import Change


class LockFailed(LockError):
    """The lock failed for a reason bisecting cannot help with (network, bad metadata)."""


@dataclass(frozen=True)
class Attempt:
    ok: bool
    pyproject: str
    lock: bytes | None = None
    error: str | None = None  # the solver's explanation when not ok


@dataclass
class Outcome:
    attempt: Attempt  # the lock that will be written (all accepted bumps)
    accepted: list[int] = field(default_factory=list)  # unit ids
    rejected: dict[int, str] = field(default_factory=dict)  # unit id -> solver's reason
    attempts: int = 0


class Relocker:
    """Lock attempts for one project: each takes a set of changes, returns an `Attempt`."""

    def __init__(
        self,
        root: Path,
        pyproject_text: str,
        lock: bytes | None,
        pool: RepositoryPool,
        config: Config,
        io: IO,
        *,
        refresh: bool = False,
    ) -> None:
        self.root = root
        self.pyproject_text = pyproject_text
        self.lock = lock
        self.pool = pool
        self.config = config
        self.io = io
        self.refresh = refresh  # lock-only: every locked package may move (poetry update --lock)
        self.attempts = 0
        self._document: TOMLDocument | None = None

    def text_with(self, changes: Sequence[Change]) -> str:
        """The pyproject text with `changes`; the editable document is parsed once, on the
        first attempt, and every attempt renders it with its changes, then puts it back."""
        if not changes:
            return self.pyproject_text
        if self._document is None:
            self._document = edits.parse(self.pyproject_text)
        text = edits.rendered(self._document, [(c.decl, c.new) for c in changes])
        if self._document.as_string() != self.pyproject_text:  # never carry an edit over
            self._document = None
        return text

    def attempt(self, changes: Sequence[Change], io: IO | None = None) -> Attempt:
        from poetry.puzzle.exceptions import SolverProblemError

        self.attempts += 1
        text = self.text_with(changes)
        data = toml_loads(text)
        package = draft_package(self.root, data)
        with tempfile.TemporaryDirectory(prefix="poetry-platform-lock-") as scratch:
            lock_path = Path(scratch) / "poetry.lock"
            if self.lock is not None:
                lock_path.write_bytes(self.lock)
            locker = draft_locker(lock_path, data, self.root)
            installer = lock_installer(
                io or self.io,
                self.root,
                package,
                locker,
                self.pool,
                self.config,
                update=self.refresh,
            )
            try:
                installer.run()
            except SolverProblemError as e:
                return Attempt(False, text, error=first_lines(str(e)))
            except Exception as e:
                raise LockFailed(first_lines(str(e)) or type(e).__name__) from e
            return Attempt(True, text, lock_path.read_bytes())


def lock_with_holdbacks(
    relocker: Relocker,
    units: Mapping[int, Sequence[Change]],
    *,
    bisect: bool = True,
    on_attempt: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Lock every unit if possible; otherwise the largest set found by bisection.

    `on_attempt(accepted, pending)` is called before each attempt (for progress lines).
    With `bisect=False` the first failure is final, but the culprits are still found when
    there is more than one unit, so the error can name them.
    """
    order = sorted(units)

    def changes_of(ids: Sequence[int]) -> list[Change]:
        return [c for i in ids for c in units[i]]

    outcome = Outcome(Attempt(False, relocker.pyproject_text))
    first = relocker.attempt(changes_of(order))
    if first.ok:
        outcome.attempt = first
        outcome.accepted = list(order)
        outcome.attempts = relocker.attempts
        return outcome
    if len(order) == 1:
        outcome.rejected[order[0]] = first.error or "the lock failed"
        outcome.attempts = relocker.attempts
        return outcome

    accepted: list[int] = []
    last_ok: Attempt | None = None

    def search(pending: list[int], known_bad: Attempt | None) -> None:
        nonlocal last_ok
        if not pending:
            return
        attempt = known_bad
        if attempt is None:
            if on_attempt is not None:
                on_attempt(len(accepted), len(pending))
            attempt = relocker.attempt(changes_of(accepted + pending))
        if attempt.ok:
            accepted.extend(pending)
            last_ok = attempt
            return
        if len(pending) == 1:
            outcome.rejected[pending[0]] = attempt.error or "the lock failed"
            return
        half = len(pending) // 2
        search(pending[:half], None)
        search(pending[half:], None)

    search(list(order), first)
    outcome.accepted = accepted
    if not bisect:
        outcome.accepted = []
        outcome.attempt = first
    elif last_ok is not None:
        # Failed attempts never extend `accepted`, so the last success locked exactly it.
        outcome.attempt = last_ok
    outcome.attempts = relocker.attempts
    return outcome
