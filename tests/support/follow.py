"""Following a fix as `platform-check` printed it, the way a user would: each edit line
copied into pyproject.toml by hand, then the printed command run with real Poetry."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

from tests.support.project import run_poetry

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_REPLACE = re.compile(r"^[\w.-]+: replace (\".*?\") with (.*)$")
_ADD = re.compile(r"^dependencies: add (.*)$")
_TABLE = re.compile(r"^in pyproject.toml \[(.*)\]:$")
_SET = re.compile(r"^set (\S+) = (.*)$")
_NOT_EDITS = ("then run: ",)


def printed_fix(output: str, number: int | None = None, *, nth: int = 0) -> str:
    """The lines of one printed fix: fix `number` of a numbered list (a missing
    accelerator's), or, without a number, the `nth` `Fix:` block (a duplicate's)."""
    if number is not None:
        return output.split(f"  {number}. ")[1].split(f"  {number + 1}. ")[0]
    block = output.split("Fix: ")[nth + 1]
    lines = block.splitlines()
    ends = [i for i, line in enumerate(lines) if "then run: " in line]
    return "\n".join(lines[: ends[0] + 1])


def follow(project: Path, env: Mapping[str, str], block: str) -> str:
    """Make each edit of `block` in pyproject.toml's text (replace the quoted entry, or add
    to `dependencies`; in a Poetry table, the key's value replaced by the printed one; the
    lines under "add to pyproject.toml:" appended as they stand), then run its command.
    Returns the new text. Every line after the fix's own phrase must be an edit, a table's
    header, an added line or the command: none is skipped unread."""
    text = (project / "pyproject.toml").read_text()
    table = "project"
    for line in [line.strip() for line in block.splitlines()[1:] if line.strip()]:
        replace, add, header, key = (p.match(line) for p in (_REPLACE, _ADD, _TABLE, _SET))
        if line == "add to pyproject.toml:":
            table = ""  # the lines below, as they stand, at the end of the file
            text += "\n"
        elif header:
            table = header.group(1)
        elif table == "":
            text += line + "\n"
        elif key:
            assert table != "project", line
            text = _set(text, table, *key.groups())
        elif replace:
            old, new = replace.groups()
            assert old in text, old
            text = text.replace(old, new, 1)
        elif add:
            assert "dependencies = [" in text
            text = text.replace("dependencies = [", f"dependencies = [{add.group(1)}, ", 1)
        else:
            assert line.startswith(_NOT_EDITS), line
    (project / "pyproject.toml").write_text(text)
    [command] = [line.split("then run: ")[1] for line in block.splitlines() if "then run: " in line]
    assert command.startswith("poetry update --lock "), command
    run_poetry(shlex.split(command)[1:], project, env)
    return text


def _set(text: str, table: str, key: str, value: str) -> str:
    """`key = value` written in `[table]` over the key's old value (its lines, however many)."""
    import tomlkit

    doc = tomlkit.parse(text)
    node = doc
    for part in table.split("."):
        node = node.setdefault(part, tomlkit.table())
    node[key] = tomlkit.parse(f"v = {value}")["v"]
    return tomlkit.dumps(doc)
