"""The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real `pre-commit`.

`pre-commit try-repo <checkout> HOOK --all-files` installs this checkout (and the Poetry it
requires, from a local index holding Poetry's wheels) into the hook's own environment, as a
project using the hook gets it, and runs the hook in a git project locked against a local
index of JAX-shaped wheels.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import yaml  # type: ignore[import-untyped]

from tests.support import layouts
from tests.support.index import IndexServer
from tests.support.project import poetry_env
from tests.support.project import point_sources_at
from tests.support.project import run_poetry
from tests.test_self_add import ROOT
from tests.test_self_add import checkout_copy
from tests.test_self_add import index_from_wheels
from tests.test_self_add import poetry_under_test
from tests.test_self_add import poetry_wheelhouse

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
SELF_INDEX = "poetry-self"
# The platform-export hook's default args, less the file name.
EXPORT = ["platform-export", "--format", "requirements", "-o"]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
# A target no locked jaxlib has a wheel for (an Intel Mac): platform-check fails it.
UNSUPPORTED_TARGET = """
[[tool.poetry-platform.target]]
name = "mac-intel"
sys_platform = "darwin"
platform_machine = "x86_64"
python = "3.12"
macos = "12.0"
variant = "cpu"
"""


def test_the_hooks_file_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) >= {"platform-check", "platform-export"}
    check = hooks["platform-check"]
    assert check["entry"].split() == ["poetry", "platform-check", "--offline"]
    assert check["pass_filenames"] is False
    export = hooks["platform-export"]
    assert [export["entry"], *export["args"]] == [
        "poetry " + EXPORT[0],
        *EXPORT[1:],
        "requirements.txt",
    ]
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert "pyproject" in hook["files"]
        assert "poetry" in hook["files"]


def _git(*args: str, cwd: Path) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def _commit_all(project: Path) -> None:
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "--allow-empty", "-m", "state", cwd=project)


def _try_repo(
    checkout: Path, hooks: list[str], project: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo CHECKOUT [HOOK] --all-files` (no hook: every hook)."""
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(checkout), *hooks, "--all-files", "--color", "never"],
        cwd=project,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_platform_check_and_export_hooks_through_pre_commit(tmp_path: Path) -> None:
    wheelhouse = poetry_wheelhouse(poetry_under_test())
    checkout = checkout_copy(tmp_path / "poetry-platform")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        _git(*args, cwd=checkout)
    root = layouts.build(tmp_path / "index", "jax_2026")
    index_from_wheels(wheelhouse, root, SELF_INDEX)
    with IndexServer(root) as server:
        env = poetry_env(tmp_path / "state", extra={"POETRY_PLATFORM_CUDA": ""})
        project = shutil.copytree(ROOT / "examples" / "jax", tmp_path / "jax")
        pyproject = project / "pyproject.toml"
        pyproject.write_text(
            point_sources_at(pyproject.read_text(), server, primary=layouts.JAX_2026_INDEX)
        )
        run_poetry(["lock"], project, env)
        _git("init", "-q", cwd=project)
        _commit_all(project)
        hook_env = {
            **env,
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
            "PIP_INDEX_URL": server.simple_url(SELF_INDEX),
            "PIP_CONFIG_FILE": os.devnull,
        }

        good = _try_repo(checkout, ["platform-check"], project, hook_env)
        assert good.returncode == 0, good.stdout + good.stderr
        assert re.search(r"^platform-check\.+Passed$", good.stdout, re.MULTILINE), good.stdout

        # A bot-made state: a target the lock cannot serve, and an exported file out of step
        # (what the platform-export hook keeps in step; written here by the same command).
        # Each `try-repo` installs the hooks afresh (minutes), so both hooks run at once.
        run_poetry([*EXPORT, "requirements.txt"], project, env)
        exported = (project / "requirements.txt").read_text()
        assert "jax==" in exported
        (project / "requirements.txt").write_text(exported.replace("jax==", "jax>="))
        with pyproject.open("a") as f:
            f.write(UNSUPPORTED_TARGET)
        _commit_all(project)
        broken = _try_repo(checkout, [], project, hook_env)
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert re.search(r"^platform-check\.+Failed$", broken.stdout, re.MULTILINE)
        assert "mac-intel" in broken.stdout
        assert "no wheel for macosx_12_0_x86_64" in broken.stdout
        assert re.search(r"^platform-export\.+Failed$", broken.stdout, re.MULTILINE)
        assert "files were modified by this hook" in broken.stdout
        assert (project / "requirements.txt").read_text() == exported
