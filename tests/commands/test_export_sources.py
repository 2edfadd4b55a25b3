"""`poetry platform-export` reading its sources: credentials composed once, a wrong password
reported as the HTTP 401 it is, and one deadline for every page (`--lookup-timeout`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit

from tests.support import layouts
from tests.support.project import run_poetry
from tests.support.project import sources_toml

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow

SECRET = "S3cret-pw"
PROJECT = """[project]
name = "creds"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=24.2", "beta>=1.0"]
[tool.poetry]
package-mode = false
"""


@pytest.fixture
def guarded(
    make_index: Callable[..., IndexServer], tmp_path: Path, hermetic_env: dict[str, str]
) -> tuple[IndexServer, Path]:
    """A project locked against an index that wants alice's password, given in the URL."""
    server = make_index()
    for name, version in (("attrs", "24.2.0"), ("beta", "1.0"), ("beta", "1.1")):
        layouts.add_release(server.root.root, layouts.PYPI, name, version)
    project = tmp_path / "creds"
    project.mkdir()
    url = server.url.replace("http://", f"http://alice:{SECRET}@")
    (project / "pyproject.toml").write_text(PROJECT + sources_toml(url))
    server.auth = ("alice", SECRET)
    run_poetry(["lock"], project, hermetic_env)
    return server, project


def pylock(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomlkit.parse((project / "pylock.toml").read_text()).unwrap()
    return data


def urls(lock: dict[str, Any]) -> list[str]:
    out = [p["index"] for p in lock["packages"]]
    for package in lock["packages"]:
        out += [w["url"] for w in package.get("wheels", [])]
        if "sdist" in package:
            out.append(package["sdist"]["url"])
    return out


def test_credentials_in_the_source_url_appear_once_in_every_url_or_in_none(
    guarded: tuple[IndexServer, Path], hermetic_env: dict[str, str]
) -> None:
    _, project = guarded
    args = ["platform-export", "-o", "pylock.toml"]
    run_poetry([*args, "--with-credentials"], project, hermetic_env)
    kept = urls(pylock(project))
    assert len(kept) == 4  # two packages: an index and a wheel each
    assert all(re.match(rf"http://alice:{SECRET}@127\.0\.0\.1:\d+/", url) for url in kept), kept
    assert all(url.count("@") == 1 for url in kept), kept

    run_poetry([*args, "--no-cache"], project, hermetic_env)
    plain = urls(pylock(project))
    assert all(re.match(r"http://127\.0\.0\.1:\d+/", url) for url in plain), plain
    assert SECRET not in (project / "pylock.toml").read_text()


def test_configured_credentials_reach_the_index_and_every_file_url(
    guarded: tuple[IndexServer, Path], hermetic_env: dict[str, str]
) -> None:
    server, project = guarded
    path = project / "pyproject.toml"
    path.write_text(path.read_text().replace(f"alice:{SECRET}@", ""))
    env = {
        **hermetic_env,
        "POETRY_HTTP_BASIC_LOCAL_USERNAME": "alice",
        "POETRY_HTTP_BASIC_LOCAL_PASSWORD": SECRET,
    }
    run_poetry(["lock"], project, env)  # the source table is part of the content hash
    run_poetry(["platform-export", "-o", "pylock.toml", "--with-credentials"], project, env)
    kept = urls(pylock(project))
    assert all(re.match(rf"http://alice:{SECRET}@127\.0\.0\.1:\d+/", url) for url in kept), kept
    assert len(server.requests_for("/simple/")) > 0


def test_a_wrong_password_is_reported_as_http_401(
    guarded: tuple[IndexServer, Path], hermetic_env: dict[str, str]
) -> None:
    server, project = guarded
    server.auth = ("alice", "the-new-one")
    result = run_poetry(["platform-export"], project, hermetic_env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[0]
    where = r"from source local: HTTP 401 at http://\*\*\*@127\.0\.0\.1:\d+/"
    assert re.search(where, line), line
    assert "poetry config http-basic.local" in result.stderr
    assert "does not list" not in result.stderr
    assert "--regenerate" not in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_an_index_that_never_answers_ends_at_the_lookup_timeout(
    guarded: tuple[IndexServer, Path], hermetic_env: dict[str, str]
) -> None:
    server, project = guarded
    server.hang_paths("/simple/beta/")
    try:
        result = run_poetry(
            ["platform-export", "--lookup-timeout", "2"], project, hermetic_env, check=False
        )
    finally:
        server.clear_faults()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Could not read the files of beta 1.1 from source local: no answer within 2 s" in (
        result.stderr
    )
    assert "--lookup-timeout" in result.stderr
    assert "All attempts to connect failed" not in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "0", "abc", "-1"])
def test_the_lookup_timeout_is_a_finite_number_above_zero(
    guarded: tuple[IndexServer, Path], hermetic_env: dict[str, str], value: str
) -> None:
    _, project = guarded
    result = run_poetry(
        ["platform-export", "--lookup-timeout", value], project, hermetic_env, check=False
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "--lookup-timeout" in line
    assert "above 0" in line
