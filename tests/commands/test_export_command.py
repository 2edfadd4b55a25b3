"""`poetry platform-export` through the real Poetry: which target, which groups, where the
files go, and every refusal (one line, exit 1, no file written or changed).

The projects are locked once per session (`jax_locked`); `[tool.poetry-platform]` is not
part of Poetry's content hash, so tests add targets to their own copy and the lock stays
fresh. What the files contain is the library's business (tests/export).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit

from tests.support.project import BIN_DIR
from tests.support.project import run_poetry

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.index import IndexServer

pytestmark = pytest.mark.slow

TARGETS = """
[[tool.poetry-platform.target]]
name = "mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "3.12"
variant = "cpu"
groups = ["main", "test"]
[[tool.poetry-platform.target]]
name = "gpu"
sys_platform = "linux"
platform_machine = "x86_64"
python = ["3.11", "3.12"]
variant = "cuda13"
"""
WIN_ARM = """
[[tool.poetry-platform.target]]
name = "win-arm"
sys_platform = "win32"
platform_machine = "ARM64"
python = "3.12"
"""


def toml(text: str) -> dict[str, Any]:
    data: dict[str, Any] = tomlkit.parse(text).unwrap()
    return data


def add_config(project: Path, text: str) -> None:
    path = project / "pyproject.toml"
    path.write_text(path.read_text() + text)


def names(lock: dict[str, Any]) -> set[str]:
    return {p["name"] for p in lock["packages"]}


def wheels(lock: dict[str, Any]) -> list[str]:
    return [w["name"] for p in lock["packages"] for w in p.get("wheels", [])]


@pytest.fixture
def env(hermetic_env: dict[str, str]) -> dict[str, str]:
    return {**hermetic_env, "POETRY_PLATFORM_CUDA": ""}  # no GPU, even on a GPU machine


def export(project: Path, env: dict[str, str], *args: str) -> str:
    return run_poetry(["platform-export", *args], project, env).stdout


def test_default_is_this_hosts_variant_for_the_projects_python(
    jax_locked: Path, env: dict[str, str]
) -> None:
    lock = toml(export(jax_locked, env))
    assert lock["tool"]["poetry-platform"]["variant"] == "cpu"
    python = ".".join(platform.python_version_tuple()[:2])  # the project venv's Python
    assert lock["tool"]["poetry-platform"]["pythons"] == [python]
    assert names(lock) == {"jax", "jaxlib", "ml-dtypes", "numpy", "opt-einsum", "scipy"}

    gpu = {**env, "POETRY_PLATFORM_CUDA": "13.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY": "9.0"}
    lock = toml(export(jax_locked, gpu))
    assert lock["tool"]["poetry-platform"]["variant"] == "cuda13"
    assert "jax-cuda13-plugin" in names(lock)


def test_groups_follow_platform_installs_options(jax_locked: Path, env: dict[str, str]) -> None:
    with_test = toml(export(jax_locked, env, "--variant", "cpu", "--with", "test"))
    assert {"jax", "pytest"} <= names(with_test)
    only_test = toml(export(jax_locked, env, "--variant", "cpu", "--only", "test"))
    assert "pytest" in names(only_test)
    assert "jax" not in names(only_test)
    bad = run_poetry(["platform-export", "--with", "nope"], jax_locked, env, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "Group(s) not found: nope (via --with) (groups here: main, test)"
    ]
    typo = run_poetry(["platform-export", "--with", "tset"], jax_locked, env, check=False)
    assert typo.stderr.strip().endswith("(groups here: main, test); did you mean test?")


@pytest.mark.skipif(sys.platform != "linux", reason="installs on this Linux host")
def test_declared_targets_one_file_each(jax_locked: Path, env: dict[str, str]) -> None:
    add_config(jax_locked, TARGETS)
    out = jax_locked / "dist"
    out.mkdir()
    run_poetry(["platform-export", "--all-targets", "-o", "dist"], jax_locked, env)
    assert sorted(p.name for p in out.iterdir()) == ["pylock.gpu.toml", "pylock.mac.toml"]
    gpu = toml((out / "pylock.gpu.toml").read_text())
    assert "jax-cuda13-plugin" in names(gpu)
    assert len(gpu["environments"]) == 2  # Python 3.11 and 3.12
    assert wheels(gpu)
    assert not [w for w in wheels(gpu) if "macosx" in w or "win" in w or "aarch64" in w]
    mac = toml((out / "pylock.mac.toml").read_text())
    assert "pytest" in names(mac)  # the target's groups
    assert "jax-cuda13-plugin" not in names(mac)
    assert not [w for w in wheels(mac) if "linux" in w]

    # An installer refuses the file anywhere else than on its target.
    uv = shutil.which("uv", path=str(BIN_DIR))
    assert uv is not None
    subprocess.run([uv, "venv", "-q", str(jax_locked / "v")], check=True, env=env)
    python, mac_lock = str(jax_locked / "v" / "bin" / "python"), str(out / "pylock.mac.toml")
    refused = subprocess.run(
        [uv, "pip", "install", "--python", python, "-r", mac_lock],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "not supported by the lockfile" in refused.stderr

    run_poetry(
        ["platform-export", "--target", "gpu", "-f", "requirements", "-o", "req.txt"],
        jax_locked,
        env,
    )
    text = (jax_locked / "req.txt").read_text()
    assert text.startswith("# Exported by poetry platform-export: gpu (")
    assert "\njax-cuda13-plugin==" in text
    assert "--hash=sha256:" in text


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--variant", "nope"], "", "--variant: no variant nope (variants here"),
        (["--target", "nope"], TARGETS, "--target nope: no target of that name"),
        (["--target", "gpuu"], TARGETS, "targets: mac, gpu; did you mean gpu?"),
        (["--target", "win-arm"], WIN_ARM, "Target win-arm (win32 ARM64, Python 3.12"),
        (["--all-targets"], TARGETS + WIN_ARM, "Target win-arm (win32 ARM64, Python 3.12"),
        (["--format", "pip"], "", "--format pip: unknown format"),
        (["--target", "gpu", "--variant", "cpu"], TARGETS, "--target and --variant exclude"),
        (["--with-root"], "", "--with-root: the project is not a package"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    jax_locked: Path, env: dict[str, str], args: list[str], config: str, message: str
) -> None:
    add_config(jax_locked, config)
    out = jax_locked / "out"
    out.mkdir()
    (out / "pylock.gpu.toml").write_text("keep me\n")
    output = ["-o", "out"] if "--all-targets" in args else ["-o", "out/pylock.gpu.toml"]
    result = run_poetry(["platform-export", *args, *output], jax_locked, env, check=False)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert message in line
    assert "?." not in line  # was "did you mean gpu?."
    assert "Traceback" not in result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["pylock.gpu.toml"]
    assert (out / "pylock.gpu.toml").read_text() == "keep me\n"


def test_stale_lock_and_bad_output_name(jax_locked: Path, env: dict[str, str]) -> None:
    bad_name = run_poetry(["platform-export", "-o", "lock.toml"], jax_locked, env, check=False)
    assert bad_name.returncode == 1
    assert "pylock.toml or pylock.<name>.toml" in bad_name.stderr
    assert not (jax_locked / "lock.toml").exists()

    path = jax_locked / "pyproject.toml"
    path.write_text(path.read_text().replace('dependencies = ["jax', 'dependencies = ["six", "jax'))
    stale = run_poetry(["platform-export", "-o", "pylock.toml"], jax_locked, env, check=False)
    assert stale.returncode == 1
    (line,) = stale.stderr.strip().splitlines()
    assert line.startswith("Nothing exported: pyproject.toml changed significantly")
    assert not (jax_locked / "pylock.toml").exists()


def test_credentials_only_when_asked(jax_locked: Path, env: dict[str, str]) -> None:
    secret = {
        **env,
        "POETRY_HTTP_BASIC_LOCAL_USERNAME": "alice",
        "POETRY_HTTP_BASIC_LOCAL_PASSWORD": "s3cret",
    }
    for fmt in ("pylock", "requirements"):
        plain = export(jax_locked, secret, "--variant", "cpu", "-f", fmt)
        assert "s3cret" not in plain
        assert "alice" not in plain
        out = "pylock.toml" if fmt == "pylock" else "requirements.txt"
        args = ["--variant", "cpu", "-f", fmt, "--with-credentials"]
        printed = run_poetry(["platform-export", *args], jax_locked, secret, check=False)
        assert printed.returncode == 1
        assert "needs -o FILE" in printed.stderr
        assert "s3cret" not in printed.stdout + printed.stderr
        export(jax_locked, secret, *args, "-o", out)
        assert "://alice:s3cret@127.0.0.1" in (jax_locked / out).read_text()


def test_with_root_adds_the_project(jax_locked: Path, env: dict[str, str]) -> None:
    path = jax_locked / "pyproject.toml"
    path.write_text(path.read_text().replace("package-mode = false", ""))
    (jax_locked / "jax_demo").mkdir()
    (jax_locked / "jax_demo" / "__init__.py").write_text("")
    text = export(jax_locked, env, "--variant", "cpu", "-f", "requirements", "--with-root")
    assert text.splitlines()[-1] == "-e ."
    (jax_locked / "sub").mkdir()
    run_poetry(
        ["platform-export", "--variant", "cpu", "--with-root", "-o", "sub/pylock.toml"],
        jax_locked,
        env,
    )
    lock = toml((jax_locked / "sub" / "pylock.toml").read_text())
    root = next(p for p in lock["packages"] if p["name"] == "jax-demo")
    assert root["directory"] == {"path": "..", "editable": True}


def test_file_urls_are_remembered(
    jax_locked: Path, env: dict[str, str], index_server: IndexServer
) -> None:
    """A second pylock export of the same lock asks no index anything; --no-cache does."""
    pages = "/pypi/simple/jaxlib/"
    before = len(index_server.requests_for(pages))
    first = export(jax_locked, env, "--variant", "cpu")
    assert len(index_server.requests_for(pages)) == before + 1
    assert export(jax_locked, env, "--variant", "cpu") == first
    assert len(index_server.requests_for(pages)) == before + 1
    assert export(jax_locked, env, "--variant", "cpu", "--no-cache") == first
    assert len(index_server.requests_for(pages)) == before + 2


def test_find_links_source(findlinks_locked: Path, env: dict[str, str]) -> None:
    """The old JAX way: `jaxlib==X+cuda12` from a find-links page on Linux, plain on macOS."""
    from tests.support.layouts import JAX_RELEASES_INDEX
    from tests.support.layouts import OLD_JAX_CUDA

    plain = TARGETS.replace('variant = "cpu"\n', "").replace('variant = "cuda13"\n', "")
    add_config(findlinks_locked, plain.replace('groups = ["main", "test"]\n', ""))
    text = export(findlinks_locked, env, "--target", "gpu", "-f", "requirements")
    lines = text.splitlines()
    index = next(line for line in lines if line.startswith("--index-url "))
    links = next(line for line in lines if line.startswith("--find-links "))
    assert links.endswith(f"/{JAX_RELEASES_INDEX}/links.html")
    assert lines.index(index) < lines.index(links)
    assert any(line.startswith("jaxlib==") and f"+{OLD_JAX_CUDA}" in line for line in lines)
    lock = toml(export(findlinks_locked, env, "--target", "gpu"))
    (jaxlib,) = (p for p in lock["packages"] if p["name"] == "jaxlib")
    assert f"/{JAX_RELEASES_INDEX}/" in jaxlib["wheels"][0]["url"]
    mac = toml(export(findlinks_locked, env, "--target", "mac"))
    (jaxlib,) = (p for p in mac["packages"] if p["name"] == "jaxlib")
    assert "+" not in jaxlib["version"]
    assert "macosx" in jaxlib["wheels"][0]["name"]


def test_explicit_sources_in_requirements(torch_locked: Path, env: dict[str, str]) -> None:
    """Poetry's priority order, and only the sources the set takes packages from: the CUDA
    export names the cu130 index after the primary one and never the CPU index."""
    from tests.support.layouts import TORCH_CPU_INDEX
    from tests.support.layouts import TORCH_CU130_INDEX
    from tests.support.layouts import TORCH_VERSIONS

    text = export(torch_locked, env, "--variant", "cu130", "-f", "requirements")
    options = [line for line in text.splitlines() if line.startswith("--")]
    assert [o.split()[0] for o in options] == ["--index-url", "--extra-index-url", "--trusted-host"]
    assert options[0].endswith("/pypi/simple")
    assert options[1].endswith(f"/{TORCH_CU130_INDEX}/simple")
    assert TORCH_CPU_INDEX not in text
    assert f"\ntorch=={TORCH_VERSIONS[1]}+cu130 \\\n" in text  # the template's torch


def test_no_destination_but_a_regular_file_outside_the_project(
    jax_locked: Path, env: dict[str, str]
) -> None:
    """The project's own files (however reached), directories and special files are
    refused in one line; every file, and every file's kind, stays as it was."""
    import os
    import stat

    (jax_locked / "sub").mkdir()
    (jax_locked / "link.txt").symlink_to(jax_locked / "poetry.lock")
    os.link(jax_locked / "pyproject.toml", jax_locked / "hard.txt")
    os.mkfifo(jax_locked / "pipe")
    (jax_locked / "dist" / "requirements-cpu.txt").mkdir(parents=True)
    cases = {
        "pyproject.toml": "that is the project's pyproject.toml",
        "poetry.lock": "that is the project's poetry.lock",
        "sub/../poetry.lock": "that is the project's poetry.lock",
        "link.txt": "that is the project's poetry.lock",
        "hard.txt": "that is the project's pyproject.toml",
        "pipe": "is a FIFO (named pipe), not a regular file",
        "dist": "is a directory, not a regular file",
    }
    try:
        os.mknod(jax_locked / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        cases["null"] = "is a character device, not a regular file"
    except OSError:
        pass  # not root: the device case is tests/test_outputs.py's (skipped there too)
    kept = {p: p.read_bytes() for p in (jax_locked / "pyproject.toml", jax_locked / "poetry.lock")}
    for output, message in cases.items():
        args = ["platform-export", "--variant", "cpu", "-f", "requirements", "-o", output]
        result = run_poetry(args, jax_locked, env, check=False)
        assert result.returncode == 1, output
        (line,) = result.stderr.strip().splitlines()
        assert message in line, output
        assert "nothing was written" in line
        assert {p: p.read_bytes() for p in kept} == kept
    assert (jax_locked / "link.txt").is_symlink()
    assert stat.S_ISFIFO((jax_locked / "pipe").stat().st_mode)
    assert (jax_locked / "dist" / "requirements-cpu.txt").is_dir()
    if "null" in cases:
        assert stat.S_ISCHR((jax_locked / "null").stat().st_mode)


SMALL_THEN_BIG = """
[[tool.poetry-platform.target]]
name = "small"
sys_platform = "linux"
platform_machine = "x86_64"
python = "3.12"
variant = "cpu"
groups = ["main"]
[[tool.poetry-platform.target]]
name = "big"
sys_platform = "linux"
platform_machine = "x86_64"
python = ["3.10", "3.11", "3.12"]
variant = "cuda13"
groups = ["main", "test"]
"""


@pytest.mark.skipif(sys.platform != "linux", reason="a file size limit (ulimit -f) on Linux")
def test_all_targets_writes_all_files_or_none(jax_locked: Path, env: dict[str, str]) -> None:
    """A later file that cannot be written (here: larger than `ulimit -f` allows) undoes the
    earlier ones: the one that did not exist is removed, the one that did is put back."""
    add_config(jax_locked, SMALL_THEN_BIG)
    whole = jax_locked / "whole"
    whole.mkdir()
    args = ["platform-export", "--all-targets", "-f", "requirements"]
    run_poetry([*args, "-o", "whole"], jax_locked, env)
    small, big = (whole / n for n in ("requirements-small.txt", "requirements-big.txt"))
    blocks = small.stat().st_size // 1024 + 1  # room for the first file, not the second
    assert blocks * 1024 < big.stat().st_size

    out = jax_locked / "out"
    out.mkdir()
    (out / "requirements-small.txt").write_text("previous export\n")
    command = f'ulimit -f {blocks} && exec "$0" "$@"'
    result = subprocess.run(
        ["bash", "-c", command, str(BIN_DIR / "poetry"), *args, "-o", "out"],
        cwd=jax_locked,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Could not write out/requirements-big.txt: File too large.")
    assert line.endswith("All or none: out/requirements-small.txt was put back as before.")
    assert sorted(p.name for p in out.iterdir()) == ["requirements-small.txt"]
    assert (out / "requirements-small.txt").read_text() == "previous export\n"

    (out / "requirements-small.txt").unlink()
    result = subprocess.run(
        ["bash", "-c", command, str(BIN_DIR / "poetry"), *args, "-o", "out"],
        cwd=jax_locked,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "All or none: out/requirements-small.txt, written before it, was removed."
    )
    assert list(out.iterdir()) == []
