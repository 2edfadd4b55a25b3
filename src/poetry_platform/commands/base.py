"""What every platform command shares: the one place a `PlatformError` becomes output.

A command class lists `PlatformCommand` before its Poetry base and implements `run_command()`
instead of `handle()`. `handle()` here calls it and maps any `PlatformError` to one
`<error>` line and the error's exit code, so no command repeats that mapping or words the
same failure differently. Ctrl-C keeps its own path (`KeyboardInterrupt` is no error).

While a platform command runs, everything written to its IO and every log line Poetry emits
passes through `redact` (one rule: no password or token is printed), so a source URL with
credentials cannot leak through our messages or through Poetry's own warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cleo.io.io import IO

    from poetry_platform.render import Line


class PlatformCommand:
    """Mixin for cleo commands; must come first in the bases so its `handle()` wins."""

    io: IO

    def run_command(self) -> int:
        raise NotImplementedError

    def emit(self, lines: Iterable[Line]) -> None:
        """Print what `render/` made: each line to stdout, or to stderr when an error."""
        for line in lines:
            if line.error:
                self.io.write_error_line(line.text)
            else:
                self.io.write_line(line.text)

    def handle(self) -> int:
        from poetry_platform.errors import PlatformError
        from poetry_platform.redact import redacting

        with redacting(self.io):
            try:
                return self.run_command()
            except PlatformError as e:
                self.io.write_error_line(f"<error>{e}</error>")
                return e.exit_code
