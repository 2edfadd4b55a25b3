"""Every GitHub workflow we ship (ours and the examples users copy) is checked offline.

A workflow is only exercised on GitHub, after a push; a typo or an unsafe pattern would reach
users first. So the schema (check-jsonschema's vendored GitHub workflow schema) and the security
audit (zizmor, default persona, offline) run here, and the `poetry platform-*` command lines in
the examples are checked against the options the commands really declare.
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poetry_platform.plugin import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted(
    p
    for pattern in (".github/workflows/*.y*ml", "examples/github/*.y*ml")
    for p in ROOT.glob(pattern)
    if p.name != "dependabot.yml"  # a bot's configuration: tests/test_bot_configs.py
)
# The files this project promises; the glob above also catches any added later.
EXPECTED = {
    ".github/workflows/ci.yml",
    ".github/workflows/release.yml",
    "examples/github/ci.yml",
    "examples/github/platform-up.yml",
}

# A workflow both tools must reject: a bad key, a tag-pinned action, an injectable expression.
BAD_WORKFLOW = """\
name: bad
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    step-timeout: 5
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        pytest.fail(f"{name} is not installed: it is in the dev group, run scripts/bootstrap.sh")
    return on_path


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)


def _schema(files: list[Path]) -> subprocess.CompletedProcess[str]:
    checker = _tool("check-jsonschema")
    return _run([checker, "--builtin-schema", "vendor.github-workflows", *map(str, files)])


def _zizmor(files: list[Path]) -> subprocess.CompletedProcess[str]:
    return _run([_tool("zizmor"), "--offline", "--no-progress", *map(str, files)])


def test_all_promised_workflows_exist() -> None:
    assert {p.relative_to(ROOT).as_posix() for p in WORKFLOWS} >= EXPECTED


def test_workflows_match_github_schema() -> None:
    result = _schema(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor() -> None:
    result = _zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_checks_reject_a_bad_workflow(tmp_path: Path) -> None:
    """Guards the two tests above: the tools must really run and really fail."""
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    schema = _schema([bad])
    assert schema.returncode != 0
    assert "step-timeout" in schema.stdout
    audit = _zizmor([bad])
    assert audit.returncode != 0
    assert "unpinned-uses" in audit.stdout
    assert "template-injection" in audit.stdout


def _command_lines() -> list[tuple[str, str, list[str]]]:
    """(file, command, option names) for every `poetry platform-*` call in the examples."""
    found = []
    for path in WORKFLOWS:
        if not path.is_relative_to(ROOT / "examples"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            # A shell command: the whole `run:` value, or a line of a `run: |` block.
            match = re.match(r"\s*(?:run:\s*)?poetry (platform-[a-z]+)([^|>&;#]*)", line)
            if match:
                words = shlex.split(match.group(2))
                names = [w[2:].split("=", 1)[0] for w in words if w.startswith("--")]
                found.append((path.relative_to(ROOT).as_posix(), match.group(1), names))
    return found


def test_examples_call_our_commands() -> None:
    used = {command for _, command, _ in _command_lines()}
    assert {"platform-check", "platform-install", "platform-up"} <= used


@pytest.mark.parametrize(
    ("path", "command", "names"),
    _command_lines(),
    ids=[f"{p}:{c}" for p, c, _ in _command_lines()],
)
def test_example_options_exist(path: str, command: str, names: list[str]) -> None:
    module, cls = COMMANDS[command]
    try:
        mod = importlib.import_module(f"poetry_platform.commands.{module}")
    except ModuleNotFoundError:
        pytest.skip(f"{command} is not implemented yet; {path} calls it")
    declared = {o.name for o in getattr(mod, cls).options}
    assert set(names) <= declared, f"{path}: {command} has no option {set(names) - declared}"
