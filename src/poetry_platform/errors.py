"""The plugin's one error type.

Every failure the plugin raises on purpose is a `PlatformError`: what went wrong, what to do
about it, and the exit code. Commands do not catch errors one by one; `commands/base.py`
turns any `PlatformError` into one error line and its exit code, in one place. The few
subclasses exist so that library code can tell failures apart where it must (a probe that
has no answer moves on to the next probe; a constraint the bump rules cannot read is
skipped), not to carry different messages.

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
        return f"{self.message} {self.remedy}" if self.remedy else self.message


class UsageError(PlatformError):
    """A bad option, setting or input value: the user's to fix, named in the message."""


class LockError(PlatformError):
    """`poetry.lock` cannot serve the request, or re-locking failed."""


class SourceError(PlatformError):
    """A package source could not be read (network, credentials, a page that is no index)."""


class InstallError(PlatformError):
    """Installing failed after the plan was accepted."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean cuda13?` for a name close to one of `choices` (difflib), else "".
    The one rule for every name a user types: variants, targets, groups, extras."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""
