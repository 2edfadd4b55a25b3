"""platform-up's option refusals that cleo itself would word badly, through CommandTester."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cleo.io.null_io import NullIO
from cleo.testers.command_tester import CommandTester
from poetry.console.application import Application

from poetry_platform import poetry_api

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

PROJECT = """\
[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
python = ">=3.10"
"""


def up_tester(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CommandTester:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    monkeypatch.chdir(tmp_path)
    app = Application()
    poetry_api.load_plugins(app, NullIO())
    return CommandTester(app.find("platform-up"))


def test_a_negative_timeout_after_a_space_names_the_spelling_that_passes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tester = up_tester(tmp_path, monkeypatch)
    for value in ("-1", "-0.5", "-inf"):
        # cleo alone: 'The "--lookup-timeout" option requires a value'
        assert tester.execute(f"--dry-run --lookup-timeout {value}") == 1
        error = tester.io.fetch_error().strip()
        assert error == (
            f"--lookup-timeout {value!r} is not a number of seconds above 0 (after a space,"
            f" {value} reads as an option; --lookup-timeout={value} passes it, and is refused"
            " the same way); give a finite number, e.g. --lookup-timeout 30."
        )
        assert tester.io.fetch_output() == ""
    # another option after it is a missing value: cleo's own words are right there
    assert negative_or_none(tester, "--lookup-timeout --json") is None


def negative_or_none(tester: CommandTester, args: str) -> str | None:
    from cleo.io.inputs.string_input import StringInput

    from poetry_platform.commands.base import negative_value_message

    io = tester.io
    io.set_input(StringInput(args))
    return negative_value_message(io, ("lookup-timeout",))


def test_values_that_are_no_deadline_are_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tester = up_tester(tmp_path, monkeypatch)
    for value in ("nan", "inf", "0", "-1", "1e999"):
        assert tester.execute(f"--dry-run --lookup-timeout={value}") == 1
        assert tester.io.fetch_error().strip() == (
            f"--lookup-timeout {value!r} is not a number of seconds above 0;"
            " give a finite number, e.g. --lookup-timeout 30."
        )
