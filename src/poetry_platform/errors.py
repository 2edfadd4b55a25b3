"""The plugin's one error type, and the list of its kinds.

Every failure the plugin raises on purpose is a `PlatformError`: what went wrong, what to do
about it, and the exit code. Commands do not catch errors one by one; `commands/base.py`
turns any `PlatformError` into one error line and its exit code, in one place. The kinds
exist so that library code and tests can tell failures apart where they must, not to carry
different messages. Raise one of the kinds below (or `PlatformError` itself for a refusal
that is none of them); a refinement elsewhere exists only to carry data its catcher reads.

The kinds, and every refinement in the tree (module: class, what it carries or why):

- `UsageError`: a bad option, setting or input value.
    config: `ConfigError` (the dotted key of the culprit; the file, once known);
    host/detect: `HostOverrideError`; variants: `UnknownVariantError`;
    lockset/tags: `TagError` (its message becomes an `UnknownPlatform` problem);
    up/declarations: `DeclarationError`.
- `LockError`: poetry.lock cannot serve the request, or re-locking failed.
    up/relock: `LockFailed` (the solver's rejected bumps); export/refusals:
    `TargetNotExportable`.
- `SourceError`: a package source could not be read.
    index/model: `IndexLookupError`.
- `InstallError`: installing failed after the plan was accepted.
    up/run: `InstallFailed`; uv/executor: `UvInstallError`; uv/locate: `UvNotFoundError`.
- `FileError`: a project or output file could not be read, written or held.
    atomic: `Busy`, `ChangedOnDisk` (the paths), `FileReadError`, `FileWriteError` (the path).
- directly under `PlatformError`: up/constraints `UnsupportedConstraint` (a constraint the
  bump rules cannot read; platform-up skips it and says so).

Internal exceptions never reach the user and are no `PlatformError`:
`host.probing.ProbeError` (a probe without an answer; `attempt` makes it a log line) and
`index.pages.PageError` (a page that does not parse; the index client reports the source as
could-not-read). A failure of someone else's code that the user must hear of is raised as a
kind here `from` the original, never `from None`, so the cause stays on the exception.

Interrupts are not errors: `atomic.Interrupted` stays a `BaseException`, so that
`except Exception` in library code can never swallow Ctrl-C or SIGTERM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


class PlatformError(Exception):
    """A failure the user can act on; printed as one line: the message, then the remedy."""

    exit_code: int = 1

    def __init__(self, message: str, remedy: str = "", *, exit_code: int | None = None) -> None:
        self.message = message
        self.remedy = remedy
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(message)

    def __str__(self) -> str:
        if not self.remedy:
            return self.message
        # after a message of several lines (a list of problems), the remedy is a line of its own
        sep = "\n" if "\n" in self.message else " "
        return f"{self.message}{sep}{self.remedy}"


class UsageError(PlatformError):
    """A bad option, setting or input value: the user's to fix, named in the message."""


class LockError(PlatformError):
    """`poetry.lock` cannot serve the request, or re-locking failed."""


class SourceError(PlatformError):
    """A package source could not be read (network, credentials, a page that is no index)."""


class InstallError(PlatformError):
    """Installing failed after the plan was accepted."""


class FileError(PlatformError):
    """A project or output file could not be read, written or held (locked by another run,
    changed on disk meanwhile, permissions, a full disk); the message names the file."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean cuda13?` for a name close to one of `choices` (difflib), else "".
    The one rule for every name a user types: variants, targets, groups, extras."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
