"""No secret is printed: credentials in a source URL, wrong or unreachable, through our commands.

Poetry's own warnings ("Authorization error accessing http://alice:...@host") and connection
errors print a source's URL with its userinfo; while our commands run they pass through the
one redaction rule (`poetry_platform.redact`), like everything our commands print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import layouts
from tests.support.project import run_poetry
from tests.support.project import sources_toml

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow

SECRET = "S3cret-pw"


def _project(base: str) -> str:
    return f"""[project]
name = "creds"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=24.2"]
[tool.poetry]
package-mode = false
{sources_toml(base)}"""


def _with_credentials(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://alice:{SECRET}@{rest}"


def _assert_no_secret(output: str) -> None:
    assert SECRET not in output, output
    assert "S3cr" not in output, output


def test_wrong_password_in_the_source_url_is_never_printed(
    make_index: Callable[..., IndexServer], tmp_path: Path, hermetic_env: dict[str, str]
) -> None:
    server = make_index()
    for version in ("24.2.0", "25.1.0"):
        layouts.add_release(server.root.root, layouts.PYPI, "attrs", version)
    project = tmp_path / "creds"
    project.mkdir()
    (project / "pyproject.toml").write_text(_project(_with_credentials(server.url)))
    run_poetry(["lock"], project, hermetic_env)  # the server takes anything so far
    server.auth = ("alice", "the-right-one")  # now the URL's password is wrong

    outputs = {}
    for args in (
        ["platform-up", "--no-install"],
        ["platform-up", "--check", "--json"],
        ["platform-install"],
        ["platform-check"],
        ["platform-show"],
    ):
        result = run_poetry([*args, "-vv"], project, hermetic_env, check=False)
        outputs[args[0] + " ".join(args[1:])] = result.stdout + result.stderr
        _assert_no_secret(result.stdout + result.stderr)
    # Poetry's own warning reached the output, masked
    assert "Authorization error accessing http://***@127.0.0.1" in outputs["platform-install"]


def test_unreachable_source_with_credentials_is_named_without_them(
    tmp_path: Path, hermetic_env: dict[str, str]
) -> None:
    project = tmp_path / "creds"
    project.mkdir()
    (project / "pyproject.toml").write_text(_project(_with_credentials("http://127.0.0.1:9")))
    for args in (["platform-up", "--no-install"], ["platform-install"]):
        result = run_poetry(args, project, hermetic_env, check=False)
        assert result.returncode == 1
        _assert_no_secret(result.stdout + result.stderr)
        assert "***@127.0.0.1:9" in result.stdout + result.stderr  # named, masked


def test_platform_install_redacts_poetrys_log_lines_at_every_verbosity(
    make_index: Callable[..., IndexServer], tmp_path: Path, hermetic_env: dict[str, str]
) -> None:
    """Poetry logs "Adding repository local (http://alice:...@host)" while it loads the
    project, which for an install command happens before the command itself runs; at -vvv
    that line was printed as is. Every verbosity, every command: masked."""
    server = make_index()
    layouts.add_release(server.root.root, layouts.PYPI, "attrs", "24.2.0")
    project = tmp_path / "creds"
    project.mkdir()
    (project / "pyproject.toml").write_text(_project(_with_credentials(server.url)))
    run_poetry(["lock"], project, hermetic_env)
    for verbosity in ("-v", "-vv", "-vvv"):
        for command in ("platform-install", "platform-check", "platform-show"):
            result = run_poetry([command, verbosity], project, hermetic_env, check=False)
            _assert_no_secret(result.stdout + result.stderr)
            if verbosity == "-vvv":
                assert "Adding repository local (http://***@127.0.0.1" in (
                    result.stdout + result.stderr
                ), command
