"""The unit every renderer returns: one line of command output and the stream it goes to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of command output; `error` lines go to stderr."""

    text: str
    error: bool = False
