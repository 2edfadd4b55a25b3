"""Progress lines and report blocks on a cleo command's IO, for commands that print a report.

When stdout carries a document (JSON, markdown), progress goes to stderr so the document
stays parseable; otherwise it goes to stdout, like Poetry's own progress lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from cleo.io.io import IO

    from poetry_platform.up.report import Table


class CommandConsole:
    def __init__(self, io: IO, *, machine: bool) -> None:
        self.io = io
        self.machine = machine  # stdout carries JSON or markdown

    def status(self, message: str, *, verbose: bool = False) -> None:
        if verbose and not self.io.is_verbose():
            return
        if self.machine:
            self.io.write_error_line(message)
        else:
            self.io.write_line(message)

    def progress(self, what: str) -> Callable[[int, int], None] | None:
        if not self.io.error_output.is_decorated() or self.machine:
            return None

        def show(done: int, total: int) -> None:
            self.io.write_error(f"\r{what}: {done}/{total}")

        return show

    def end_progress(self) -> None:
        if self.io.error_output.is_decorated() and not self.machine:
            self.io.write_error("\r\x1b[2K")

    def blocks(self, blocks: Sequence[str | Table]) -> None:
        """Lines and compact tables, in order."""
        from cleo.ui.table import Table as CleoTable

        for block in blocks:
            if isinstance(block, str):
                self.io.write_line(block)
                continue
            table = CleoTable(self.io, style="compact")
            table.set_headers(list(block[0]))
            table.set_rows([list(r) for r in block[1]])
            table.render()
