"""`poetry platform-up` end to end: real Poetry, real locks, a local index with crafted histories.

One index per module (crafted releases on top of the jax_like and torch_like layouts), one
lock per distinct pyproject (session cache), a private copy of the locked project per test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit

from tests.support import layouts
from tests.support.index import IndexServer
from tests.support.project import POETRY
from tests.support.project import installed
from tests.support.project import lock_text_packages
from tests.support.project import run_poetry
from tests.support.project import sources_toml
from tests.support.templates import findlinks_project
from tests.support.templates import jax_project
from tests.support.templates import torch_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

PYPI = layouts.PYPI
PRIVATE = "private"

# name -> versions; "v|>=3.11" gives a Requires-Python, "v!" a yanked release
CRAFTED: dict[str, tuple[str, ...]] = {
    "numpy": ("1.26.4", "2.2.6", "2.3.2|>=3.11"),
    "requests": ("2.31.0", "2.32.3", "2.32.4!", "3.0.0b1"),
    "attrs": ("24.2.0", "25.1.0"),
    "click": ("8.1.7", "8.2.1"),
    "pytest": ("8.3.5", "8.4.1"),
    "ruff": ("0.12.7", "0.12.8"),
    "boto3": ("1.39.17", "1.40.0"),
    "dask": ("2025.5.1", "2025.7.0"),
    "rich": ("13.7.0", "14.0.0"),
    "idna": ("3.7", "3.10"),
    "tomli": ("2.0.1", "2.2.1"),
    "private-lib": ("9.0.0",),  # a public namesake of the private package
    # majors that raise the Python floor
    "mixpy": ("1.0.0", "1.1.0", "2.0.0|>=3.12", "2.1.0|>=3.12", "3.0.0|>=3.13"),
    "plainpy": ("1.0.0", "1.5.0", "2.0.0|>=3.13", "2.1.0|>=3.13"),
}
# `breaker` 2.0 cannot be locked: it needs a numpy that does not exist
BREAKER = {"1.0": (), "2.0": ("numpy<1",)}


def build_index(root: Path) -> Path:
    layouts.jax_like(root)
    layouts.torch_like(root)
    layouts.jax_findlinks(root)
    # the old JAX way, moving on: 0.4.32 everywhere, 0.4.33 without its CUDA build yet
    for version in ("0.4.32", "0.4.33"):
        deps = ("ml-dtypes>=0.2.0", "numpy>=1.26", "scipy>=1.10")
        layouts.add_release(
            root, PYPI, "jax", version, deps=(f"jaxlib>=0.4.27,<={version}", *deps[1:])
        )
        for tags in ((layouts.LINUX_X86,), (layouts.MAC_ARM,)):
            layouts.add_release(root, PYPI, "jaxlib", version, deps=deps, tags=tags)
    layouts.add_release(
        root,
        layouts.JAX_RELEASES_INDEX,
        "jaxlib",
        f"0.4.32+{layouts.OLD_JAX_CUDA}",
        deps=("ml-dtypes>=0.2.0", "numpy>=1.26", "scipy>=1.10"),
        tags=("py3-none-manylinux2014_x86_64",),
    )
    for name, versions in CRAFTED.items():
        for spec in versions:
            version, _, python = spec.partition("|")
            yanked = version.endswith("!")
            layouts.add_release(
                root,
                PYPI,
                name,
                version.rstrip("!"),
                requires_python=python or ">=3.8",
                yanked="broken build" if yanked else None,
            )
    for version in ("1.0.0", "1.4.0"):
        layouts.add_release(root, PRIVATE, "private-lib", version, requires_python=">=3.8")
    for version, requires in BREAKER.items():
        layouts.add_release(root, PYPI, "breaker", version, deps=requires)
    # sdists only, whose build backend is not on the index: locks fine, cannot install
    for version in ("1.0", "1.1"):
        layouts.add_release(root, PYPI, "unbuildable", version, sdist=True, wheel=False)
    # a newer CPU build only, and a jax without its jaxlib yet
    layouts.add_release(
        root, layouts.TORCH_CPU_INDEX, "torch", "2.10.0+cpu", deps=layouts.TORCH_DEPS
    )
    layouts.add_release(root, PYPI, "jax", "0.8.0", deps=("jaxlib<=0.8.0,>=0.8.0",))
    # torchvision as PyTorch publishes it: one release per torch release, same local label,
    # requiring exactly that torch; 0.25.0 (for torch 2.10.0) only on the CPU index so far
    for vision, torch in TORCHVISION.items():
        for label, index in (
            ("cpu", layouts.TORCH_CPU_INDEX),
            ("cu130", layouts.TORCH_CU130_INDEX),
        ):
            if vision == "0.25.0" and label != "cpu":
                continue
            layouts.add_release(
                root, index, "torchvision", f"{vision}+{label}", deps=(f"torch=={torch}",)
            )
    return root


TORCHVISION = {"0.23.0": "2.8.0", "0.24.0": "2.9.0", "0.24.1": "2.9.1", "0.25.0": "2.10.0"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(build_index(tmp_path_factory.mktemp("up-index"))) as running:
        yield running


def demo_project(server: IndexServer) -> str:
    """Every place and style a constraint can take, in one project."""
    return f"""\
# The research team's project, shortened.
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = [
    "numpy>=1.26",  # lower bound
    "requests (>=2.31,<3)",
    "attrs ; python_version >= '3.10'",
    "private-lib>=1.0",
]

[project.optional-dependencies]
cli = ['click~=8.1']

[dependency-groups]
test = ["pytest>=8.3", {{ include-group = "lint" }}]
lint = ["ruff==0.12.7"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
private-lib = {{ source = "{PRIVATE}" }}

[tool.poetry.group.Cloud_Dev]
optional = true

[tool.poetry.group.Cloud_Dev.dependencies]
boto3 = "^1.39"
dask   =   "*"
rich = ">=13,<14"
idna = "3.*"
tomli = [
    {{ version = "^2.0", python = "<3.11" }},
    {{ version = "~2.0.1", python = ">=3.11" }},
]
{sources_toml(server, explicit=(PRIVATE,))}"""


def run_up(
    project: Path, env: dict[str, str], *args: str, check: bool = False
) -> subprocess.CompletedProcess[str]:
    return run_poetry(["platform-up", *args], project, env, check=check)


def start_waiting_on(
    server: IndexServer,
    path: str,
    project: Path,
    env: dict[str, str],
    args: list[str],
    *,
    seen: int,
    suffix: bool = False,
    timeout: float = 60,
) -> subprocess.Popen[str]:
    """Start `poetry platform-up ARGS` and return once it has asked the index for `path`
    (more often than the `seen` requests before), i.e. while it waits on a held request."""
    process = subprocess.Popen(
        [str(POETRY), "platform-up", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while requested(server, path, suffix=suffix) == seen:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return process


def requested(server: IndexServer, path: str, *, suffix: bool = False) -> int:
    """How many requests asked for `path` (with `suffix`: paths ending with it)."""
    hits = server.requests_for(path)
    return len([p for p in hits if p.endswith(path)] if suffix else hits)


def snapshot(project: Path) -> tuple[bytes, bytes]:
    return (project / "pyproject.toml").read_bytes(), (project / "poetry.lock").read_bytes()


def locked(project: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, version in lock_text_packages((project / "poetry.lock").read_text()):
        out.setdefault(name, []).append(version)
    return out


def diff(before: bytes, after: bytes) -> list[tuple[str, str]]:
    old, new = before.decode().splitlines(), after.decode().splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


@pytest.fixture
def demo(locked_project: Callable[..., Path], server: IndexServer) -> Path:
    return locked_project(demo_project(server), "demo")


def test_bumps_every_location_and_style_and_nothing_else(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    before = snapshot(demo)
    result = run_up(demo, hermetic_env, "--no-install", check=True)
    after = snapshot(demo)
    assert diff(before[0], after[0]) == [
        ('    "numpy>=1.26",  # lower bound', '    "numpy>=2.2.6",  # lower bound'),
        ('    "requests (>=2.31,<3)",', '    "requests (>=2.32.3,<3)",'),
        (
            "    \"attrs ; python_version >= '3.10'\",",
            "    \"attrs>=25.1.0,<26.0.0 ; python_version >= '3.10'\",",
        ),
        ('    "private-lib>=1.0",', '    "private-lib>=1.4",'),
        ("cli = ['click~=8.1']", "cli = ['click~=8.2,>=8.2.1']"),
        (
            'test = ["pytest>=8.3", { include-group = "lint" }]',
            'test = ["pytest>=8.4.1", { include-group = "lint" }]',
        ),
        ('boto3 = "^1.39"', 'boto3 = "^1.40"'),
        ('dask   =   "*"', 'dask   =   "^2025.7.0"'),
        ('rich = ">=13,<14"', 'rich = ">=13.7,<14"'),
        ('idna = "3.*"', 'idna = "3.*,>=3.10"'),
        (
            '    { version = "^2.0", python = "<3.11" },',
            '    { version = "^2.2.1", python = "<3.11" },',
        ),
    ]
    versions = locked(demo)
    # Poetry splits numpy by Python (2.3.2 needs 3.11); the bump must not break the 3.10 half
    assert versions["numpy"] == ["2.2.6", "2.3.2"]
    assert versions["requests"] == ["2.32.3"]  # 2.32.4 is yanked, 3.0.0b1 a pre-release
    assert versions["private-lib"] == ["1.4.0"]  # from the explicit source, not 9.0.0
    assert versions["click"] == ["8.2.1"]
    assert versions["ruff"] == ["0.12.7"]  # a pin, not bumped without --pinned
    out = result.stdout
    assert "Bumped 11 constraints" in out
    assert "numpy 2.3.2 and later need Python >=3.11; this entry is used on Python 3.10" in out
    assert "ruff (lint) ==0.12.7: exact pin (use --pinned to bump pins)" in out
    assert "tomli (Cloud_Dev) ~2.0.1: no newer release (2.0.1 is the newest)" in out
    run_poetry(["check", "--lock"], demo, hermetic_env)


def test_json_plan_with_latest_and_check_exit_codes(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    before = snapshot(demo)
    result = run_up(demo, hermetic_env, "--check", "--latest", "--json")
    assert result.returncode == 1
    assert snapshot(demo) == before
    data = json.loads(result.stdout)
    assert data["check"] is True
    assert data["lock"]["status"] == "not-run"
    by_name = {(c["name"], c["group"]): c for c in data["changes"]}
    numpy = by_name[("numpy", "main")]
    assert {k: numpy[k] for k in ("old", "new", "version", "locked_before")} == {
        "old": ">=1.26",
        "new": ">=2.2.6",
        "version": "2.2.6",
        "locked_before": ["2.2.6", "2.3.2"],
    }
    assert numpy["note"].startswith("held back by Python")
    assert by_name[("rich", "Cloud_Dev")]["new"] == ">=14,<15"
    assert by_name[("requests", "main")]["new"] == ">=2.32.3,<3"
    held = {h["name"]: h for h in data["held"]}
    assert held["ruff"]["kind"] == "pinned"
    assert set(data) >= {"changes", "held", "lock", "strategy"}

    run_up(demo, hermetic_env, "--latest", "--no-install", check=True)
    again = run_up(demo, hermetic_env, "--check", "--latest")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to bump" in again.stdout


def test_latest_and_lists_of_entries_follow_requires_python(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(
        f"""[project]
name = "mixed"
version = "0.1.0"
requires-python = ">=3.10,<3.14"
dependencies = ["plainpy>=1.0"]

[tool.poetry]
package-mode = false

[tool.poetry.group.cloud.dependencies]
mixpy = [
    {{ version = "^1.0", python = "<3.12" }},
    {{ version = "^1.0", python = ">=3.12" }},
]
{sources_toml(server)}""",
        "mixed",
    )
    result = run_up(project, hermetic_env, "--latest", "--dry-run", "--json", check=True)
    data = json.loads(result.stdout)
    by_new = sorted((c["name"], c["new"], c["note"]) for c in data["changes"])
    assert by_new == [
        (
            "mixpy",
            "^1.1",
            "held back by Python: mixpy 2.0.0 and later need Python >=3.12;"
            " this entry is used on Python 3.10-3.11",
        ),
        (
            "mixpy",
            "^2.1",
            "held back by Python: mixpy 3.0.0 and later need Python >=3.13;"
            " this entry is used on Python 3.12-3.13",
        ),
        (
            "plainpy",
            ">=1.5",
            "held back by Python: plainpy 2.0.0 and later need Python >=3.13;"
            " this entry is used on Python 3.10-3.13",
        ),
    ]


def test_dry_run_writes_nothing_and_markdown_is_a_table(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    before = snapshot(demo)
    result = run_up(demo, hermetic_env, "--dry-run", "--format", "markdown", check=True)
    assert snapshot(demo) == before
    lines = result.stdout.splitlines()
    assert lines[0] == "| Package | Group | Old | New | Locked |"
    assert "| numpy | main | `>=1.26` | `>=2.2.6` | 2.2.6, 2.3.2 |" in lines  # both stay
    assert "| click | cli (extra) | `~=8.1` | `~=8.2,>=8.2.1` | 8.2.1 |" in lines


def test_a_broken_target_is_a_warning_and_up_goes_on(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    """Targets are check data (issue 20): a typo in one refused every bump before."""
    pyproject = demo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[[tool.poetry-platform.target]]\nname = "gpu"\nsys_platform = "linux"\n'
        'platform_machine = "x86_64"\npython = "3.12"\nvariant = "cuda-13"\n'
    )
    before = snapshot(demo)
    result = run_up(demo, hermetic_env, "--dry-run", "--format", "markdown")
    assert result.returncode == 0, result.stdout + result.stderr
    assert snapshot(demo) == before
    assert result.stdout.splitlines()[0] == "| Package | Group | Old | New | Locked |"
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert "target[0] (gpu).variant: there is no variant 'cuda-13'" in warning
    assert warning.endswith("platform-up goes on without them)")


def test_groups_are_matched_like_poetry_and_scope_is_respected(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    result = run_up(demo, hermetic_env, "--dry-run", "--json", "--only", "cloud.dev", check=True)
    names = {c["name"] for c in json.loads(result.stdout)["changes"]}
    assert names == {"boto3", "dask", "idna", "rich", "tomli"}
    result = run_up(demo, hermetic_env, "--dry-run", "--json", "--only", "test", check=True)
    data = json.loads(result.stdout)
    assert {c["name"] for c in data["changes"]} == {"pytest"}
    assert {h["name"] for h in data["held"]} == {"ruff"}  # lint, included by test
    result = run_up(
        demo, hermetic_env, "--dry-run", "--json", "--exclude", "numpy", "--exclude=rich"
    )
    data = json.loads(result.stdout)
    assert not {"numpy", "rich"} & {c["name"] for c in data["changes"]}
    assert {h["name"] for h in data["held"] if h["kind"] == "excluded"} == {"numpy", "rich"}
    result = run_up(demo, hermetic_env, "--dry-run", "--json", "requests", "idna")
    assert {c["name"] for c in json.loads(result.stdout)["changes"]} == {"requests", "idna"}


def test_variants_from_two_explicit_sources_move_in_lockstep(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(torch_project(server, version="2.8.0"), "torch")
    result = run_up(project, hermetic_env, "--pinned", "--no-install", check=True)
    text = (project / "pyproject.toml").read_text()
    assert 'cpu = ["torch==2.9.1+cpu"]' in text
    assert 'cu130 = ["torch==2.9.1+cu130"]' in text
    assert sorted(locked(project)["torch"]) == ["2.9.1+cpu", "2.9.1+cu130"]
    assert "held back by another variant: no torch 2.10.0 in source torch-cu130" in result.stdout


def test_torch_companions_move_with_torch_keeping_their_labels(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    text = torch_project(server, version="2.8.0")
    text = text.replace(
        'cpu = ["torch==2.8.0+cpu"]', 'cpu = ["torch==2.8.0+cpu", "torchvision==0.23.0+cpu"]'
    ).replace(
        'cu130 = ["torch==2.8.0+cu130"]',
        'cu130 = ["torch==2.8.0+cu130", "torchvision==0.23.0+cu130"]',
    )
    sources = """[tool.poetry.dependencies]
torch = [
    { markers = "extra == 'cpu' and extra != 'cu130'", source = "torch-cpu" },
    { markers = "extra == 'cu130' and extra != 'cpu'", source = "torch-cu130" },
]
"""
    vision = sources.partition("\n")[2].replace("torch = [", "torchvision = [")
    assert sources in text
    text = text.replace(sources, sources + vision)
    project = locked_project(text, "torch-companions")
    assert sorted(locked(project)["torchvision"]) == ["0.23.0+cpu", "0.23.0+cu130"]

    result = run_up(project, hermetic_env, "--pinned", "--no-install", check=True)
    after = (project / "pyproject.toml").read_text()
    assert 'cpu = ["torch==2.9.1+cpu", "torchvision==0.24.1+cpu"]' in after
    assert '"torch==2.9.1+cu130", "torchvision==0.24.1+cu130"' in after
    assert sorted(locked(project)["torchvision"]) == ["0.24.1+cpu", "0.24.1+cu130"]
    assert sorted(locked(project)["torch"]) == ["2.9.1+cpu", "2.9.1+cu130"]
    out = result.stdout
    assert "torchvision 0.25.0 needs torch ==2.10.0; torch is at 2.9.1" in out


def test_jax_family_moves_together(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(jax_project(server, jax="==0.6.2"), "jax")
    result = run_up(project, hermetic_env, "--pinned", "--no-install", "--json", check=True)
    jax = [c for c in json.loads(result.stdout)["changes"] if c["name"] == "jax"]
    assert [(c["extra"], c["new"]) for c in jax] == [
        (None, "==0.7.1"),
        ("cuda12", "==0.7.1"),
        ("cuda13", "==0.7.1"),
    ]
    assert jax[0]["note"] == (
        "held back by linked packages: no 0.8.0 of jax-cuda12-pjrt, jax-cuda12-plugin,"
        " jax-cuda13-pjrt, jax-cuda13-plugin, jaxlib"
    )
    versions = locked(project)
    assert versions["jax"] == ["0.7.1"]
    assert versions["jaxlib"] == ["0.7.1"]
    assert versions["jax-cuda13-plugin"] == ["0.7.1"]


def test_old_jax_way_macos_and_find_links_cuda_builds_move_together(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(findlinks_project(server), "old-jax")
    result = run_up(project, hermetic_env, "--pinned", "--no-install", "--json", check=True)
    changes = json.loads(result.stdout)["changes"]
    assert sorted((c["name"], c["old"], c["new"]) for c in changes) == [
        ("jax", "0.4.31", "0.4.32"),
        ("jaxlib", "0.4.31", "0.4.32"),
        ("jaxlib", "0.4.31+cuda12", "0.4.32+cuda12"),
    ]
    notes = {c["new"]: c["note"] for c in changes if c["name"] == "jaxlib"}
    # the index's newest plain jaxlib (the jax_like layout shares it) has no CUDA build there
    assert notes["0.4.32"].startswith("held back by another variant: no jaxlib ")
    assert notes["0.4.32"].endswith(" in source jax-releases")
    assert notes["0.4.32+cuda12"] is None  # 0.4.32 is the newest it has
    # (jaxlib for other platforms still fits jax 0.4.32's range: `poetry lock` keeps it)
    assert {"0.4.32", "0.4.32+cuda12"} <= set(locked(project)["jaxlib"])
    assert locked(project)["jax"] == ["0.4.32"]


def breaks_project(server: IndexServer) -> str:
    """Four bumps, one of which (breaker 2.0) the resolver cannot lock."""
    return f"""[project]
name = "breaks"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["breaker>=1.0", "attrs>=24.2", "click>=8.1", "numpy>=1.26"]
[tool.poetry]
package-mode = false
{sources_toml(server)}"""


def test_a_bump_that_breaks_the_lock_is_held_back_the_rest_goes_in(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(breaks_project(server), "breaks")
    before = snapshot(project)

    strict = run_up(project, hermetic_env, "--no-install", "--all-or-nothing")
    assert strict.returncode == 1
    assert snapshot(project) == before
    assert "The lock fails with the bump of breaker" in strict.stderr

    result = run_up(project, hermetic_env, "--no-install", check=True)
    text_after = (project / "pyproject.toml").read_text()
    assert '"breaker>=1.0"' in text_after
    assert '"attrs>=25.1"' in text_after
    assert '"click>=8.2.1"' in text_after
    assert "breaker (main) >=1.0: held back by the resolver:" in result.stdout
    assert locked(project)["breaker"] == ["1.0"]
    run_poetry(["check", "--lock"], project, hermetic_env)


def test_dry_run_says_the_resolver_was_not_run_and_resolve_agrees_with_the_real_run(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(breaks_project(server), "breaks")
    before = snapshot(project)

    plain = run_up(project, hermetic_env, "--dry-run", check=True)
    assert "breaker main  >=1.0  >=2.0" in plain.stdout  # promised, the resolver not asked
    assert "Locked: expected versions, the resolver was not run" in plain.stdout

    resolved = run_up(project, hermetic_env, "--dry-run", "--resolve", "--json", check=True)
    assert snapshot(project) == before  # the copy was re-locked, not the project
    dry = json.loads(resolved.stdout)
    assert dry["lock"]["status"] == "resolved"

    real = json.loads(run_up(project, hermetic_env, "--no-install", "--json", check=True).stdout)
    assert real["lock"]["status"] == "written"

    def kept(data: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
        return sorted((c["name"], c["new"], c["locked_after"]) for c in data["changes"])

    def held(data: dict[str, Any]) -> list[tuple[str, str, str]]:
        return sorted((h["name"], h["constraint"], h["kind"]) for h in data["held"])

    assert kept(dry) == kept(real)
    assert held(dry) == held(real)
    assert ("breaker", ">=1.0", "resolver") in held(dry)
    assert [c[0] for c in kept(dry)] == ["attrs", "click", "numpy"]


def test_entries_of_a_list_are_labelled_by_marker_with_their_own_locked_version(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    assert sorted(locked(demo)["tomli"]) == ["2.0.1", "2.2.1"]  # one per Python range
    data = json.loads(run_up(demo, hermetic_env, "--dry-run", "--json", check=True).stdout)
    tomli = [c for c in data["changes"] if c["name"] == "tomli"]
    assert [(c["label"], c["locked_before"]) for c in tomli] == [
        ("tomli (python <3.11)", ["2.2.1"])
    ]
    numpy = next(c for c in data["changes"] if c["name"] == "numpy")
    assert numpy["label"] is None  # one entry: no label, every locked version
    text = run_up(demo, hermetic_env, "--dry-run", check=True).stdout
    assert "tomli (python <3.11) Cloud_Dev   ^2.0      ^2.2.1" in text


def test_lock_only_refreshes_the_lock_within_the_constraints(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    text = f"""[project]
name = "stale"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["dask==2025.5.1", "attrs>=24.2"]
[tool.poetry]
package-mode = false
{sources_toml(server)}"""
    project = locked_project(text, "stale")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(text.replace("dask==2025.5.1", "dask>=2025.5"))
    run_poetry(["lock"], project, hermetic_env)  # minimal changes: keeps 2025.5.1
    assert locked(project)["dask"] == ["2025.5.1"]
    before = pyproject.read_bytes()
    result = run_up(project, hermetic_env, "--strategy", "lock-only", "--no-install", check=True)
    assert pyproject.read_bytes() == before
    assert locked(project)["dask"] == ["2025.7.0"]
    assert "dask" in result.stdout
    run_poetry(["check", "--lock"], project, hermetic_env)


# --- failures: files are byte-identical afterwards -----------------------------------------


def test_index_failing_during_lookup_changes_nothing(
    demo: Path, server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    before = snapshot(demo)
    server.fail_next(10_000, status=500)
    try:
        result = run_up(demo, hermetic_env, "--no-install")
    finally:
        server.clear_faults()
    assert result.returncode == 1
    assert snapshot(demo) == before
    assert "Could not look up" in result.stderr
    assert "(HTTP 500 at http://127.0.0.1:" in result.stdout  # per package: source and status
    assert "Nothing to bump" not in result.stdout
    assert "Traceback" not in result.stderr


def _point_private_source_at(project: Path, old: str, new: str) -> None:
    path = project / "pyproject.toml"
    path.write_text(path.read_text().replace(old, new))


def test_a_source_refusing_credentials_is_could_not_read_never_up_to_date(
    demo: Path,
    server: IndexServer,
    make_index: Callable[..., IndexServer],
    hermetic_env: dict[str, str],
) -> None:
    guarded = make_index(auth=("alice", "right-password"))
    for version in ("1.0.0", "1.4.0"):
        layouts.add_release(guarded.root.root, PRIVATE, "private-lib", version)
    wrong = guarded.simple_url(PRIVATE).replace("http://", "http://alice:WR0NG-pw@")
    _point_private_source_at(demo, server.simple_url(PRIVATE), wrong)
    before = snapshot(demo)

    run = run_up(demo, hermetic_env, "--no-install")
    assert run.returncode == 1, run.stdout + run.stderr
    assert snapshot(demo) == before
    assert "private-lib (main) >=1.0: could not read source private (HTTP 401 at" in run.stdout
    assert "Nothing to bump" not in run.stdout
    assert "poetry config http-basic.private" in run.stderr
    assert "POETRY_HTTP_BASIC_PRIVATE_USERNAME" in run.stderr

    check = run_up(demo, hermetic_env, "--check")
    assert check.returncode == 2, check.stdout + check.stderr
    assert "Could not check private-lib" in check.stderr

    as_json = run_up(demo, hermetic_env, "--check", "--json")
    assert as_json.returncode == 2
    data = json.loads(as_json.stdout)
    held = {h["name"]: h for h in data["held"]}
    assert held["private-lib"]["kind"] == "unreadable"
    assert {k: held["private-lib"]["error"][k] for k in ("source", "status")} == {
        "source": "private",
        "status": 401,
    }
    assert "numpy" in {c["name"] for c in data["changes"]}  # the other sources were read
    for result in (run, check, as_json):
        assert "WR0NG-pw" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("status", "body", "kind", "detail"),
    [
        (
            200,
            b"<!DOCTYPE html><html><body><form>Sign in</form></body></html>",
            "text/html",
            "not an index page (HTML listing no distribution files)",
        ),
        (
            200,
            b'{"files": [], "message": "sign in to see this project"}',
            "application/json",
            "not a PEP 691 page (no meta.api-version 1.x)",
        ),
        (
            404,
            b"",
            "text/html",
            "the lock says private-lib 1.4.0 came from private, but private answers HTTP 404",
        ),
    ],
    ids=["login-page", "json-no-index", "404-of-a-locked-package"],
)
def test_a_page_that_lies_is_could_not_read_never_up_to_date(
    demo: Path,
    server: IndexServer,
    hermetic_env: dict[str, str],
    status: int,
    body: bytes,
    kind: str,
    detail: str,
) -> None:
    """A login page, a JSON that is no PEP 691 page, a 404 for a package the lock records
    from that very source: each is "could not read", never "Nothing to bump"."""
    before = snapshot(demo)
    server.answer_paths("/private/simple/private-lib/", status, body, kind)
    try:
        check = run_up(demo, hermetic_env, "--check")
        as_json = run_up(demo, hermetic_env, "--check", "--json")
    finally:
        server.clear_faults()
    assert check.returncode == 2, check.stdout + check.stderr
    assert f"could not read source private ({detail} at http://127.0.0.1:" in check.stdout
    assert "Could not check private-lib" in check.stderr
    assert "Nothing to bump" not in check.stdout
    assert as_json.returncode == 2, as_json.stdout + as_json.stderr
    held = {h["name"]: h for h in json.loads(as_json.stdout)["held"]}
    assert held["private-lib"]["kind"] == "unreadable"
    assert held["private-lib"]["error"]["detail"] == detail
    assert held["private-lib"]["error"]["status"] == status
    assert snapshot(demo) == before


def test_an_unreachable_source_fails_at_the_lookup_deadline_naming_it(
    demo: Path, server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    """The source's pages are answered only after the run ended (or after 120 s): a run
    that waited for them (Poetry's retries: ~99 s) would read them and not fail."""
    before = snapshot(demo)
    release = server.hold_paths("/private/")
    try:
        result = run_up(demo, hermetic_env, "--dry-run", "--lookup-timeout", "2")
    finally:
        release.set()
        server.clear_faults()
    assert result.returncode == 1, result.stdout + result.stderr
    assert server.requests_for("/private/")  # asked, then given up at the deadline
    assert snapshot(demo) == before
    assert "could not read source private (no answer within 2 s" in result.stdout  # the deadline
    assert "source private could not be read" in result.stderr


def test_index_timing_out_on_metadata_the_lock_needs_changes_nothing(
    demo: Path, server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    """Poetry gives up first (1 s timeout, its retries) well inside the lookup deadline."""
    before = snapshot(demo)
    server.hang_paths("numpy-2.2.6")  # the new numpy's files and metadata: needed by the lock
    env = {**hermetic_env, "POETRY_REQUESTS_TIMEOUT": "1"}
    try:
        result = run_up(demo, env, "--no-install", "--lookup-timeout", "300")
    finally:
        server.clear_faults()
    assert result.returncode == 1, result.stdout
    assert snapshot(demo) == before
    assert result.stderr.startswith(
        "Reading the metadata of numpy 2.2.6 from source local failed: "
    ), result.stderr
    assert "pyproject.toml and poetry.lock are unchanged." in result.stderr
    assert "Traceback" not in result.stderr


def test_an_index_holding_metadata_fails_at_the_lookup_deadline_naming_source_and_package(
    demo: Path, server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    """The pages answer, the new numpy's metadata (and wheel) is held: the pre-lock read of
    it ends at the run's one lookup deadline, not after Poetry's retries (~100 s)."""
    before = snapshot(demo)
    held = "numpy-2.2.6"
    seen = requested(server, held)
    # held until the run has ended (or 120 s): a run that waited for the answer instead of
    # ending at the deadline would read the metadata and lock, not print the line below
    release = server.hold_paths(held)
    try:
        result = run_up(demo, hermetic_env, "--no-install", "--lookup-timeout", "6")
        asked = requested(server, held) > seen
    finally:
        release.set()
        server.clear_faults()
    assert result.returncode == 1, result.stdout + result.stderr
    assert asked  # it waited on the held request
    assert snapshot(demo) == before
    assert result.stderr.strip().splitlines() == [
        "Reading the metadata of numpy 2.2.6 from source local failed: no answer within the"
        " lookup deadline (6 s); pyproject.toml and poetry.lock are unchanged. Retry, or give"
        " the lookups more time: --lookup-timeout SECONDS (by default twice"
        " POETRY_REQUESTS_TIMEOUT)."
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupted_mid_lock_changes_nothing(
    demo: Path,
    server: IndexServer,
    hermetic_env: dict[str, str],
    signum: int,
    code: int,
) -> None:
    before = snapshot(demo)
    hang = "numpy-2.2.6"
    seen = requested(server, hang)
    server.hang_paths(hang)
    try:
        process = start_waiting_on(server, hang, demo, hermetic_env, ["--no-install"], seen=seen)
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        server.clear_faults()
    assert process.returncode == code, out + err
    assert snapshot(demo) == before
    assert "Interrupted" in err
    assert "unchanged" in err


@pytest.mark.parametrize("edited", ["pyproject.toml", "poetry.lock"])
def test_an_edit_saved_during_the_relock_is_kept_and_nothing_is_written(
    demo: Path, server: IndexServer, hermetic_env: dict[str, str], edited: str
) -> None:
    before = snapshot(demo)
    held = "numpy-2.2.6"  # the new numpy's files and metadata: the lock needs them
    seen = requested(server, held)
    release = server.hold_paths(held)
    try:
        process = start_waiting_on(server, held, demo, hermetic_env, ["--no-install"], seen=seen)
        path = demo / edited
        mine = path.read_bytes() + b"\n# saved by the user while platform-up ran\n"
        path.write_bytes(mine)
        release.set()
        out, err = process.communicate(timeout=120)
    finally:
        server.clear_faults()
    assert process.returncode == 1, out + err
    assert (demo / edited).read_bytes() == mine
    other = "poetry.lock" if edited == "pyproject.toml" else "pyproject.toml"
    assert (demo / other).read_bytes() == before[0 if other == "pyproject.toml" else 1]
    assert (
        f"{edited} changed on disk while platform-up was running; your edit was kept and"
        " nothing was written." in err
    )
    assert "Traceback" not in err


def test_two_concurrent_runs_do_not_corrupt_the_files(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    processes = [
        subprocess.Popen(
            [str(POETRY), "platform-up", "--no-install"],
            cwd=demo,
            env=hermetic_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    assert [r[0] for r in results] == [0, 0], results
    tomlkit.parse((demo / "pyproject.toml").read_text())
    run_poetry(["check", "--lock"], demo, hermetic_env)
    # one did the work; the other waited, then found nothing left to bump
    outputs = sorted(r[1] for r in results)
    assert sum("Bumped 11 constraints" in o for o in outputs) == 1
    assert sum("Nothing to bump" in o for o in outputs) == 1


def test_dry_run_fails_like_the_real_run_on_an_unreadable_lock(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    (demo / "poetry.lock").write_text("this is [[[ no lock\n")
    before = snapshot(demo)
    dry = run_up(demo, hermetic_env, "--dry-run")
    real = run_up(demo, hermetic_env, "--no-install")
    assert (dry.returncode, real.returncode) == (1, 1)
    assert snapshot(demo) == before
    line = f"{demo / 'poetry.lock'} is not a readable lock file ("
    assert dry.stderr.strip().startswith(line), dry.stderr
    assert dry.stderr == real.stderr
    assert "Would bump" not in dry.stdout


def test_a_broken_pyproject_is_named_in_one_line(demo: Path, hermetic_env: dict[str, str]) -> None:
    pyproject = demo / "pyproject.toml"
    pyproject.write_bytes(pyproject.read_bytes().replace(b'"numpy>=1.26",', b'"numpy>=1.26,', 1))
    before = snapshot(demo)
    result = run_up(demo, hermetic_env, "--dry-run")
    assert result.returncode == 1
    assert str(pyproject) in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(demo) == before


def test_options_that_cannot_both_apply_are_refused_before_any_work(
    demo: Path, hermetic_env: dict[str, str]
) -> None:
    before = snapshot(demo)
    result = run_up(demo, hermetic_env, "--strategy", "lock-only", "--latest")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "--strategy lock-only leaves every constraint as it is, so --latest cannot apply;"
        " drop it or use --strategy bump."
    ]
    unknown = run_up(demo, hermetic_env, "nosuch")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "pyproject.toml declares no dependency named nosuch; name declared packages, or leave"
        " the names out to bump everything."
    ]
    assert snapshot(demo) == before


def _small(server: IndexServer) -> str:
    return f"""[project]
name = "small"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=24.2"]
[tool.poetry]
package-mode = false
{sources_toml(server)}"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("signum", "code", "by"),
    [(signal.SIGINT, 130, ""), (signal.SIGTERM, 143, " by SIGTERM")],
    ids=["SIGINT", "SIGTERM"],
)
def test_ctrl_c_during_the_install_keeps_the_written_files_and_says_how_to_finish(
    locked_project: Callable[..., Path],
    server: IndexServer,
    hermetic_env: dict[str, str],
    signum: int,
    code: int,
    by: str,
) -> None:
    """SIGTERM (`docker stop`) takes Ctrl-C's path: the same line, naming it, exit 143."""
    project = locked_project(_small(server), "small")
    wheel = "attrs-25.1.0-py3-none-any.whl"  # the install downloads it (the lock reads metadata)
    seen = requested(server, wheel, suffix=True)
    release = server.hold_paths(wheel, suffix=True)
    try:
        process = start_waiting_on(
            server, wheel, project, hermetic_env, [], seen=seen, suffix=True, timeout=120
        )
        process.send_signal(signum)
        time.sleep(0.5)
        release.set()
        out, err = process.communicate(timeout=60)
    finally:
        server.clear_faults()
    assert process.returncode == code, out + err
    assert '"attrs>=25.1"' in (project / "pyproject.toml").read_text()
    assert locked(project)["attrs"] == ["25.1.0"]
    # Poetry's installer finishes the operations under way: the message reads the venv
    head = f"Interrupted{by} during the install: pyproject.toml and poetry.lock were written"
    if installed(project).get("attrs") == "25.1.0":
        assert (
            f"{head}, and the venv already has every version the new lock moved: the install"
            " got that far. Run `poetry platform-install` to make sure it is complete." in err
        )
    else:
        assert f"{head}, the install was not finished (attrs is " in err
    assert "Fix the problem above" not in err
    assert "Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes, owners and symlinks")
def test_files_keep_mode_owner_and_link_and_a_new_lock_gets_the_umask_mode(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    project = locked_project(_small(server), "small")
    shared = project.parent / "shared"
    shared.mkdir()
    real = shared / "pyproject.toml"
    (project / "pyproject.toml").rename(real)
    (project / "pyproject.toml").symlink_to(real)
    real.chmod(0o640)
    root = os.geteuid() == 0
    if root:
        os.chown(real, 4242, 4343)
    (project / "poetry.lock").unlink()  # the run makes a new one

    result = subprocess.run(
        ["sh", "-c", f'umask 022 && exec "{POETRY}" platform-up --no-install'],
        cwd=project,
        env=hermetic_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "pyproject.toml").is_symlink()
    assert '"attrs>=25.1"' in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o640
    if root:
        assert (real.stat().st_uid, real.stat().st_gid) == (4242, 4343)
    assert (project / "poetry.lock").stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in shared.iterdir()) == ["pyproject.toml"]


def test_bump_then_install_through_platform_install(
    locked_project: Callable[..., Path], server: IndexServer, hermetic_env: dict[str, str]
) -> None:
    text = f"""[project]
name = "small"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["attrs>=24.2"]
[tool.poetry]
package-mode = false
{sources_toml(server)}"""
    project = locked_project(text, "small")
    result = run_up(project, hermetic_env, check=True)
    assert "attrs" in result.stdout
    site = list((project / ".venv").glob("lib/python*/site-packages/attrs-25.1.0.dist-info"))
    site += list((project / ".venv").glob("Lib/site-packages/attrs-25.1.0.dist-info"))
    assert site, result.stdout
    assert site[0].is_dir()
