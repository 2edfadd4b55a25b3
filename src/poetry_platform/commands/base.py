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
from typing import Any
from typing import ClassVar
from typing import cast

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cleo.io.io import IO

    from poetry_platform.render import Line


class PlatformCommand:
    """Mixin for cleo commands; must come first in the bases so its `handle()` wins."""

    io: IO
    # options whose value is a number: cleo reads `--lookup-timeout -1` as the option without
    # a value followed by an option `-1` ("option requires a value"); `run` says what it got
    numeric_options: ClassVar[tuple[str, ...]] = ()

    def run(self, io: IO) -> int:
        """Cleo's `Command.run`, after refusing a negative number given as a separate word."""
        message = negative_value_message(io, self.numeric_options)
        if message is not None:
            io.write_error_line(f"<error>{message}</error>")
            return 1
        return int(cast("Any", super()).run(io))

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
        from poetry.console.exceptions import GroupNotFoundError

        from poetry_platform.errors import PlatformError
        from poetry_platform.redact import redacting

        with redacting(self.io):
            try:
                return self.run_command()
            except PlatformError as e:
                self.io.write_error_line(f"<error>{e}</error>")
                return e.exit_code
            except GroupNotFoundError as e:  # Poetry's --with check: add the names and a guess
                self.io.write_error_line(f"<error>{self.group_not_found(e)}</error>")
                return 1

    def group_not_found(self, error: Exception) -> str:
        """Poetry's unknown-group line with the project's groups as written, and a guess."""
        from poetry_platform import render
        from poetry_platform.check.targets import as_written

        poetry = cast("Any", self).poetry
        names = sorted(str(g) for g in poetry.package.dependency_group_names(include_optional=True))
        return render.group_not_found(str(error), as_written(poetry, names))


def negative_value_message(io: IO, names: tuple[str, ...]) -> str | None:
    """The one line for `--NAME -1` (a negative number after a space), or None.

    Cleo takes a word starting with `-` for an option, so `--lookup-timeout -1` would only
    say that the option requires a value. The line names the value, why it was not read,
    the spelling that passes it (`--lookup-timeout=-1`), and that it is refused either way.
    """
    for name in names:
        value = io.input.parameter_option(f"--{name}", None, only_params=True)
        if not isinstance(value, str) or not value.startswith("-"):
            continue
        try:
            float(value)
        except ValueError:
            continue  # another option: cleo's "requires a value" is right
        return (
            f"--{name} {value!r} is not a number of seconds above 0 (after a space, {value}"
            f" reads as an option; --{name}={value} passes it, and is refused the same way);"
            f" give a finite number, e.g. --{name} 30."
        )
    return None
