"""Every command the README tells a new user to type refers to something that exists.

The README's Quick start (with Install and "From a checkout"), Development and Benchmarks
sections, and the examples' READMEs, are read as a user reads them: each command in a fenced
shell block, and each inline command in those sections, is checked offline against the
checkout: scripts and files it names exist, `poetry platform-*` commands and their options are
ones the plugin declares, Poetry's own commands exist in Poetry, `POETRY_PLATFORM_*` variables
are ones the plugin reads, bench scripts accept the options given. A command of a kind this
test does not know fails it, so that a new one gets checked too. (What needs the network or a
release, e.g. `poetry self add poetry-platform`, is checked for shape only; the demo itself
runs in tests/test_demo.py, `poetry self add` of a build in tests/test_self_add.py.)
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from poetry_platform import poetry_api
from poetry_platform.plugin import COMMANDS
from tests.support import cli

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("Quick start", "Benchmarks", "Development")
EXAMPLE_READMES = sorted((ROOT / "examples").glob("*/README.md"))
# Words that start a command line, besides `poetry`: what each must name.
SCRIPT_RUNNERS = ("bash", ".venv/bin/python", "python")
OTHER_TOOLS = {"git", "pipx", "cd", "export", "docker"}
PLACEHOLDER = "<this repository's URL>"


def section(markdown: str, title: str) -> str:
    """The text under `## title` (any level) up to the next heading of the same level;
    `#` lines inside fenced blocks are shell comments, not headings."""
    lines = markdown.splitlines(keepends=True)
    fenced = False
    start = level = None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"(#+) (.*?)\s*$", line)
        if heading is None:
            continue
        if start is None and heading.group(2) == title:
            start, level = i + 1, len(heading.group(1))
        elif start is not None and level is not None and len(heading.group(1)) <= level:
            return "".join(lines[start:i])
    assert start is not None, f"README has no section {title!r}"
    return "".join(lines[start:])


def fenced_commands(markdown: str) -> list[str]:
    """Lines of ```sh / ```console / ```shell blocks: `$ ` prompts and comments removed."""
    commands = []
    for block in re.findall(r"^```(?:sh|shell|console|bash)\n(.*?)^```", markdown, re.M | re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                line = line[2:]
            elif block.lstrip().startswith("$ "):
                continue  # a transcript: output lines are not commands
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def inline_commands(markdown: str) -> list[str]:
    """`code` spans that are commands: they start with a runner this test knows."""
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", markdown, flags=re.S))
    starts = (*SCRIPT_RUNNERS, "poetry ")
    return [s for s in spans if s.startswith(starts) and " " in s]


def readme_commands() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for title in SECTIONS:
        text = section(readme, title)
        found += [(f"README {title}", c) for c in fenced_commands(text) + inline_commands(text)]
    for path in EXAMPLE_READMES:
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT).as_posix()
        found += [(where, c) for c in fenced_commands(text) + inline_commands(text)]
    return found


COMMAND_LINES = readme_commands()


def plugin_variables() -> set[str]:
    source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    return set(re.findall(r"POETRY_PLATFORM_[A-Z_]+", source))


def split_assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return env, words


def poetry_option_problems(command: str, arguments: list[str]) -> list[str]:
    """Options a `poetry platform-*` command (or Poetry's application) would refuse."""
    import importlib

    module, class_name = COMMANDS[command]
    cls = getattr(importlib.import_module(f"poetry_platform.commands.{module}"), class_name)
    return [f"{command}: unknown option {word}" for word in cli.unknown_options(arguments, cls)]


@functools.cache
def poetry_commands() -> frozenset[str]:
    """What `poetry list` shows: Poetry's commands (e.g. `self add`) and those of the
    application plugins installed beside it (the dev group brings poetry-plugin-up, the
    benchmark's alternative), as a user's Poetry shows them. Loaded in process as Poetry
    loads them, so the fast loop spawns no Poetry."""
    from cleo.io.null_io import NullIO
    from poetry.console.application import Application

    application = Application()
    poetry_api.load_plugins(application, NullIO())
    return frozenset(name for name, command in application.all().items() if not command.hidden)


def poetry_has(words: list[str]) -> bool:
    """Whether Poetry knows `poetry WORDS...` (a command, or a global option)."""
    from poetry.console.application import Application

    if words[0].startswith("-"):
        return words[0].lstrip("-") in {o.name for o in Application().definition.options}
    return any(" ".join(words[:size]) in poetry_commands() for size in (2, 1))


def script_problems(words: list[str]) -> list[str]:
    """`bash scripts/x.sh ...` / `python bench/x.py --opt ...`: the file, then its options."""
    path = next((w for w in words[1:] if not w.startswith("-")), None)
    if path is None or not (ROOT / path).is_file():
        return [f"no such file: {path}"]
    options = [w.split("=", 1)[0] for w in words[words.index(path) + 1 :] if w.startswith("--")]
    if not options or not path.endswith(".py"):
        return []
    usage = subprocess.run(
        [sys.executable, str(ROOT / path), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    return [f"{path} does not take {o}" for o in options if o not in usage.stdout]


def problems_of(line: str) -> list[str]:
    problems: list[str] = []
    for command in re.split(r"&&|\|\||;", line):
        words = shlex.split(command.replace(PLACEHOLDER, "URL"))
        env, words = split_assignments(words)
        unknown_vars = [k for k in env if k.startswith("POETRY_PLATFORM_")]
        problems += [f"unknown variable {k}" for k in unknown_vars if k not in plugin_variables()]
        if not words:
            continue
        tool = words[0]
        if tool == "poetry":
            if words[1] in COMMANDS:
                problems += poetry_option_problems(words[1], words[2:])
            elif not poetry_has(words[1:]):
                problems.append(f"Poetry has no command {' '.join(words[1:3])}")
        elif tool in SCRIPT_RUNNERS or tool.endswith("/python"):
            problems += script_problems(words)
        elif tool.startswith(".venv/bin/"):
            venv_tool = Path(sys.executable).parent / tool.removeprefix(".venv/bin/")
            if not venv_tool.exists():
                problems.append(f"{tool} is not installed by scripts/bootstrap.sh")
        elif tool not in OTHER_TOOLS:
            problems.append(f"a command this test does not know: {tool}")
    return problems


def test_the_readme_has_commands_to_check() -> None:
    where = {w for w, _ in COMMAND_LINES}
    assert {f"README {t}" for t in SECTIONS} <= where
    assert any("poetry self add" in c for _, c in COMMAND_LINES)
    assert any(c.startswith("bash scripts/test.sh") for _, c in COMMAND_LINES)


@pytest.mark.parametrize(("where", "line"), COMMAND_LINES, ids=[c for _, c in COMMAND_LINES])
def test_readme_command_refers_to_what_exists(where: str, line: str) -> None:
    assert problems_of(line) == [], f"{where}: {line}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("poetry platform-install --gpu yes", "platform-install: unknown option --gpu"),
        ("poetry platform-shwo", "Poetry has no command platform-shwo"),
        ("POETRY_PLATFORM_GPU=1 poetry platform-show", "unknown variable POETRY_PLATFORM_GPU"),
        ("bash scripts/nope.sh", "no such file: scripts/nope.sh"),
        ("python bench/install_uv_vs_poetry.py --laps 3", "does not take --laps"),
        ("make test", "a command this test does not know: make"),
    ],
)
def test_the_check_can_fail(line: str, expected: str) -> None:
    assert any(expected in p for p in problems_of(line)), problems_of(line)


def test_the_install_section_says_it_is_until_a_release() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = section(readme, "Quick start")
    (line,) = [c for c in quick.splitlines() if c.startswith("poetry self add poetry-platform")]
    assert "after the first release" in line
    install = section(readme, "Install")
    assert "Until the first release" in install
    assert 'pipx inject poetry "$PWD/poetry-platform"' in install
    assert (ROOT / ".github" / "workflows" / "release.yml").is_file()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
