"""End-to-end smoke on a released Poetry, installed the way users install the plugin.

A released Poetry (`POETRY_PLATFORM_TEST_POETRY`, else the pinned one; `scripts/test.sh
--poetry VERSION` sets it) in its own virtualenv, pipx's way; `poetry self add` of a copy of
this checkout; then every command on a copy of examples/jax locked against a local index
of JAX-shaped wheels: lock, show, install, a forced variant, check, export, platform-up
--dry-run and a real platform-up that moves the lock. CI runs it on the newest patch of each
supported minor (scripts/poetry_matrix.py).
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING

import pytest

from tests.support import layouts
from tests.support.index import IndexServer
from tests.support.project import installed
from tests.support.project import poetry_env
from tests.support.project import point_sources_at
from tests.test_self_add import ROOT
from tests.test_self_add import SelfPoetry
from tests.test_self_add import _pip
from tests.test_self_add import checkout_copy
from tests.test_self_add import index_from_wheels
from tests.test_self_add import pipx_poetry
from tests.test_self_add import poetry_under_test
from tests.test_self_add import self_project

if TYPE_CHECKING:
    from pathlib import Path

SELF_INDEX = "poetry-self"  # Poetry's own wheels, for `poetry self add`
NO_GPU = {"POETRY_PLATFORM_CUDA": ""}
# A pin platform-up --pinned moves (0.5.1 -> 0.5.3 on the local index): a real bump that
# changes pyproject.toml and the lock.
PINNED = "ml-dtypes==0.5.1"
UNSUPPORTED = "2.0.1"  # the newest Poetry below the range


def _project(directory: Path, server: IndexServer) -> Path:
    project = shutil.copytree(ROOT / "examples" / "jax", directory)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text = text.replace(
        'dependencies = ["jax>=0.7.2"]', f'dependencies = ["jax>=0.7.2", "{PINNED}"]'
    )
    assert PINNED in text
    primary = layouts.JAX_2026_INDEX
    pyproject.write_text(point_sources_at(text, server, primary=primary), encoding="utf-8")
    return project


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
def test_every_command_on_a_released_poetry(tmp_path: Path) -> None:
    version = poetry_under_test()
    venv, wheelhouse = pipx_poetry(tmp_path, version)
    checkout = checkout_copy(tmp_path / "poetry-platform")
    root = layouts.build(tmp_path / "index", "jax_2026")
    index_from_wheels(wheelhouse, root, SELF_INDEX)
    with IndexServer(root) as server:
        env = poetry_env(tmp_path / "state")
        self_project(env, server, SELF_INDEX)
        poetry = SelfPoetry(venv, env)
        shown_version = poetry("--version", cwd=tmp_path).stdout
        assert version in shown_version
        poetry("self", "add", str(checkout), cwd=tmp_path)

        project = _project(tmp_path / "jax", server)
        poetry.env.update(NO_GPU)
        del poetry.env["POETRY_PLATFORM_INSTALLER"]  # the default: auto
        poetry("lock", cwd=project)
        shown = json.loads(poetry("platform-show", "--json", cwd=project).stdout)
        assert shown["chosen"] == "cpu"

        first = poetry("platform-install", cwd=project)
        lines = first.stdout.splitlines()
        # No uv beside this Poetry: auto takes Poetry's installer, and says so first.
        assert lines[0].startswith("Installer: poetry (installer auto: uv is not installed")
        assert lines[1].startswith("Platform variant: cpu")
        packages = installed(project)
        assert "jax" in packages
        assert not [n for n in packages if n.startswith(("nvidia", "jax-cuda"))]

        poetry("platform-install", "--variant", "cuda13", cwd=project)
        assert "jax-cuda13-plugin" in installed(project)

        checked = poetry("platform-check", cwd=project)
        assert "OK" in checked.stdout

        out = project / "pylock.linux-cpu.toml"
        poetry("platform-export", "--target", "linux-cpu", "-o", str(out), cwd=project)
        assert 'name = "jax"' in out.read_text(encoding="utf-8")

        dry = poetry("platform-up", "--pinned", "--dry-run", cwd=project)
        assert "ml-dtypes" in dry.stdout
        assert PINNED in (project / "pyproject.toml").read_text(encoding="utf-8")

        poetry("platform-up", "--pinned", cwd=project)
        assert installed(project)["ml-dtypes"] == "0.5.3"
        assert "ml-dtypes==0.5.3" in (project / "pyproject.toml").read_text(encoding="utf-8")
        lock = (project / "poetry.lock").read_text(encoding="utf-8")
        assert 'name = "ml-dtypes"\nversion = "0.5.3"' in lock
        poetry("check", "--lock", cwd=project)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
def test_a_poetry_outside_the_range_gets_one_line(tmp_path: Path) -> None:
    """Poetry 2.0.1 with the plugin put beside it anyway (`pipx inject`, `pip --no-deps`: no
    requirement check): one line at load time, never a traceback; Poetry itself works."""
    venv, wheelhouse = pipx_poetry(tmp_path, UNSUPPORTED)
    checkout = checkout_copy(tmp_path / "poetry-platform")
    python = str(venv / "bin" / "python")
    flags = ["--no-deps", "--no-index", "--find-links", str(wheelhouse)]
    added = _pip(["--python", python, "install", "--quiet", *flags, str(checkout)])
    assert added.returncode == 0, added.stderr
    poetry = SelfPoetry(venv, poetry_env(tmp_path / "state"))
    line = f"poetry-platform needs Poetry 2.1-2.x; this is {UNSUPPORTED}"

    listed = poetry("list", cwd=tmp_path)
    assert listed.stderr.splitlines() == [line]
    assert "platform-show" not in listed.stdout
    shown = poetry("platform-show", cwd=tmp_path, check=False)
    assert shown.returncode != 0
    assert shown.stderr.splitlines()[0] == line
    assert shown.stderr.count(line) == 1
    assert "Traceback" not in shown.stdout + shown.stderr
