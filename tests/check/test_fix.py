"""`platform-check --fix` and the printed fixes, on the local index with real `poetry lock`:
the old jax floor (`layouts_check.jax_split`) is fixed by the split by Python or a raised
floor; the two nvidia-cublas entries Poetry locks for PyTorch from PyPI
(`layouts_check.duplicate_pin`) by a pin; a cpu extra taking the default index's (CUDA)
torch while a CPU source is declared (`layouts_check.torch_cpu_source`) by taking torch
from that source."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

import pytest

from tests.support import layouts_check
from tests.support.follow import follow
from tests.support.follow import printed_fix
from tests.support.index import IndexServer
from tests.support.layouts_check import DUP_FRAMEWORK_TWO
from tests.support.layouts_check import DUP_NAME
from tests.support.layouts_check import DUP_NEWEST
from tests.support.layouts_check import DUP_PINNED
from tests.support.layouts_check import DUP_TWO
from tests.support.layouts_check import DUP_TWO_PINNED
from tests.support.layouts_check import NEWER_PYTHON
from tests.support.layouts_check import SPLIT_NEW
from tests.support.layouts_check import SPLIT_OLD
from tests.support.layouts_check import THIS_PYTHON
from tests.support.project import copy_project
from tests.support.project import installed
from tests.support.project import lock_text_packages
from tests.support.project import poetry_env
from tests.support.project import run_poetry
from tests.support.project import write_project
from tests.support.templates import cpu_target
from tests.support.templates import duplicate_project
from tests.support.templates import split_project
from tests.support.templates import torch_default_project
from tests.support.templates import torch_group_project
from tests.support.templates import torch_main_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

TARGETS = f"""
[[tool.poetry-platform.target]]
name = "gpu13"
sys_platform = "linux"
platform_machine = "x86_64"
python = "{NEWER_PYTHON}"
glibc = "2.28"
variant = "cuda13"
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("fix-index")
    layouts_check.jax_split(root)
    layouts_check.duplicate_pins(root)
    layouts_check.torch_cpu_source(root)
    with IndexServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return poetry_env(tmp_path_factory.mktemp("fix-poetry-state"))


@pytest.fixture(scope="module")
def locked(
    env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], Path]:
    """`locked(name, pyproject_text)`: a project written and locked once for the module."""

    def lock(name: str, text: str) -> Path:
        project = tmp_path_factory.mktemp(f"fix-{name}")
        write_project(project, text)
        run_poetry(["lock"], project, env)
        return project

    return lock


@pytest.fixture(scope="module")
def old_floor(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    return locked("old-floor", split_project(index) + TARGETS)


@pytest.fixture(scope="module")
def duplicated(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    return locked("duplicated", duplicate_project(index))


@pytest.fixture(scope="module")
def torch_default(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    """cpu and cu130 extras; the cpu one takes torch from the default index."""
    return locked("torch-default", torch_default_project(index) + cpu_target(THIS_PYTHON))


def passes(project: Path, env: dict[str, str]) -> None:
    """The lock is fresh for Poetry and every target passes the check."""
    run_poetry(["check", "--lock"], project, env)
    result = run_poetry(["platform-check"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def torch_no_cpu_source(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    """`torch_default` without the CPU source; the CUDA one at PyTorch's `cu130` segment."""
    text = torch_default_project(index, cpu_source=False) + cpu_target(THIS_PYTHON)
    return locked("torch-no-cpu-source", text)


@pytest.fixture(scope="module")
def torch_main(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    """torch in the main dependencies, the inferred cpu variant the only one."""
    return locked("torch-main", torch_main_project(index) + cpu_target(THIS_PYTHON))


@pytest.fixture(scope="module")
def torch_group(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    return locked("torch-group", torch_group_project(index) + cpu_target(THIS_PYTHON))


def check_output(project: Path, env: dict[str, str]) -> str:
    return run_poetry(["platform-check"], project, env, check=False).stdout


def locked_torch(project: Path) -> list[tuple[str, str]]:
    """(version, source) of each torch entry poetry.lock holds."""
    from poetry_platform.poetry_api import toml_loads

    lock = toml_loads((project / "poetry.lock").read_text())
    return sorted(
        (p["version"], p.get("source", {}).get("reference", ""))
        for p in lock["package"]
        if p["name"] == "torch"
    )


def files(project: Path) -> tuple[bytes, bytes]:
    return (project / "pyproject.toml").read_bytes(), (project / "poetry.lock").read_bytes()


def test_fix_applies_the_split_and_every_target_passes(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(old_floor, tmp_path / "p")
    before = run_poetry(["platform-check"], project, env, check=False)
    assert before.returncode == 1
    result = run_poetry(["platform-check", "--fix", "--json"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"]
    applied = report["fix"]["applied"]
    assert applied["kind"] == "split-python"
    assert applied["python_from"] == NEWER_PYTHON
    text = (project / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10,<4.0"' in text  # never narrowed by --fix
    assert f"jax[cuda13]>={SPLIT_NEW} ; sys_platform == 'linux' and python_version >= " in text
    assert f'version = "{SPLIT_NEW}"' in (project / "poetry.lock").read_text()
    run_poetry(["check", "--lock"], project, env)
    # This Python stays without cuda13 (the split's own words); platform-install with cuda13
    # forced here refuses, and its last fix names the Pythons the new lock serves cuda13 on
    # (each judged as this one: the plugin delivered, a wheel for every package).
    install = run_poetry(
        ["platform-install", "--variant", "cuda13"],
        project,
        env | {"POETRY_PLATFORM_CUDA": ""},
        check=False,
    )
    assert install.returncode == 1, install.stdout + install.stderr
    served = [f"3.{m}" for m in range(int(NEWER_PYTHON.split(".")[1]), 16)]
    pythons = f"{', '.join(served[:-1])} or {served[-1]}" if len(served) > 1 else served[0]
    assert (
        f"install with Python {pythons} instead, which poetry.lock serves with cuda13 "
        f"(`poetry env use {NEWER_PYTHON}`)" in install.stderr
    ), install.stderr


@pytest.mark.parametrize(
    ("case", "applies"),
    [("old_floor", "split jax by Python"), ("torch_default", "take torch from the CPU source")],
)
def test_dry_run_shows_the_diff_and_writes_nothing(
    case: str, applies: str, request: pytest.FixtureRequest, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(request.getfixturevalue(case), tmp_path / "p")
    was = files(project)
    result = run_poetry(["platform-check", "--fix", "--dry-run"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Would apply (--dry-run, nothing written): {applies}" in result.stdout
    assert "+++ b/pyproject.toml" in result.stdout
    assert "+++ b/poetry.lock" in result.stdout
    assert files(project) == was


def test_a_path_dependency_beside_the_project_survives_the_fix(
    index: IndexServer, tmp_path: Path, env: dict[str, str]
) -> None:
    """`{ path = "../locallib" }` resolves from the project's directory while --fix locks
    its candidates elsewhere (before: "Path /tmp/locallib for locallib does not exist",
    nothing fixed); the lock records the path as the project's own `poetry lock` does."""
    lib = tmp_path / "locallib"
    (lib / "locallib").mkdir(parents=True)
    (lib / "locallib" / "__init__.py").write_text("")
    (lib / "pyproject.toml").write_text(
        '[project]\nname = "locallib"\nversion = "0.1.0"\n\n[build-system]\n'
        'requires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
    )
    text = split_project(index).replace(
        f'dependencies = ["jax>={SPLIT_OLD}"]', f'dependencies = ["jax>={SPLIT_OLD}", "locallib"]'
    )
    text = text.replace(
        "[tool.poetry]\npackage-mode = false\n",
        "[tool.poetry]\npackage-mode = false\n\n[tool.poetry.dependencies]\n"
        'locallib = { path = "../locallib" }\n',
    )
    assert "../locallib" in text and '"locallib"]' in text
    project = tmp_path / "p"
    write_project(project, text + TARGETS)
    run_poetry(["lock"], project, env)
    entry = '[package.source]\ntype = "directory"\nurl = "../locallib"'
    assert entry in (project / "poetry.lock").read_text()

    result = run_poetry(["platform-check", "--fix"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Applied: split jax by Python" in result.stdout
    assert entry in (project / "poetry.lock").read_text()
    passes(project, env)


def test_no_fix_without_the_index_leaves_the_files_byte_identical(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Offline, no release with the extra is known: no fix has exact edits."""
    project = copy_project(old_floor, tmp_path / "p")
    was = files(project)
    result = run_poetry(["platform-check", "--fix", "--offline"], project, env, check=False)
    assert result.returncode == 1
    assert "nothing was written" in result.stderr
    assert "gpu13" in result.stdout and "FAILED" in result.stdout
    assert files(project) == was


def test_the_printed_split_applied_literally_with_its_command_passes(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Fix 1 (the split by Python), followed as printed: the check passes and the project
    keeps its older Pythons."""
    project = copy_project(old_floor, tmp_path / "p")
    text = follow(project, env, printed_fix(check_output(project, env), 1))
    assert 'requires-python = ">=3.10,<4.0"' in text
    result = run_poetry(["platform-check"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Python {NEWER_PYTHON}" in result.stdout
    assert THIS_PYTHON not in text  # the split is at the newer Python


def test_the_printed_narrowing_applied_literally_with_its_command_passes(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Fix 2 (narrow requires-python with the raised floor), followed as printed: Poetry 2
    would keep jax 0.6.2 on a plain `poetry lock`; the printed command moves it."""
    project = copy_project(old_floor, tmp_path / "p")
    text = follow(project, env, printed_fix(check_output(project, env), 2))
    assert f'requires-python = ">={NEWER_PYTHON},<4.0"' in text
    assert f'version = "{SPLIT_NEW}"' in (project / "poetry.lock").read_text()
    result = run_poetry(["platform-check"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def stale(index: IndexServer, env: dict[str, str], project: Path, spec: str) -> Path:
    """A project whose lock predates its loosened pin: locked with `jax==SPLIT_OLD`, the
    pin then loosened to `spec` and locked again, which keeps jax where it was (Poetry 2
    keeps a locked version that still fits). Every Python it allows has SPLIT_NEW."""
    pinned = split_project(index).replace(f">={SPLIT_OLD}", f"=={SPLIT_OLD}")
    pinned = pinned.replace('requires-python = ">=3.10', f'requires-python = ">={NEWER_PYTHON}')
    write_project(project, pinned + TARGETS)
    run_poetry(["lock"], project, env)
    (project / "pyproject.toml").write_text(pinned.replace(f"=={SPLIT_OLD}", spec) + TARGETS)
    run_poetry(["lock"], project, env)
    assert f'version = "{SPLIT_NEW}"' not in (project / "poetry.lock").read_text()
    return project


@pytest.mark.parametrize(("spec", "raised"), [(f">={SPLIT_OLD}", ""), ("<1", ",<1")])
def test_the_printed_raised_floor_applied_literally_with_its_command_passes(
    index: IndexServer, tmp_path: Path, env: dict[str, str], spec: str, raised: str
) -> None:
    """Fix 1 where the release with the extra supports every Python the project allows:
    raise the floor (a floorless cap, `jax<1`, keeps its cap). The printed command moves
    the lock, where a plain `poetry lock` would keep jax."""
    project = stale(index, env, tmp_path / "p", spec)
    printed = check_output(project, env)
    assert f"1. raise the floor to jax[cuda13]>={SPLIT_NEW} (its first release" in printed
    text = follow(project, env, printed_fix(printed, 1))
    assert f"\"jax[cuda13]>={SPLIT_NEW}{raised} ; sys_platform == 'linux'\"" in text
    assert f'version = "{SPLIT_NEW}"' in (project / "poetry.lock").read_text()
    passes(project, env)


def test_fix_raises_a_floorless_cap_under_its_cap(
    index: IndexServer, tmp_path: Path, env: dict[str, str]
) -> None:
    project = stale(index, env, tmp_path / "p", "<1")
    result = run_poetry(["platform-check", "--fix"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Applied: raise the floor to jax[cuda13]>={SPLIT_NEW}" in result.stdout
    text = (project / "pyproject.toml").read_text()
    assert f'dependencies = ["jax>={SPLIT_NEW},<1"]' in text
    assert f"\"jax[cuda13]>={SPLIT_NEW},<1 ; sys_platform == 'linux'\"" in text
    run_poetry(["check", "--lock"], project, env)


def test_a_cap_below_every_release_with_the_extra_is_named_and_fix_writes_nothing(
    index: IndexServer, tmp_path: Path, env: dict[str, str]
) -> None:
    """`jax<0.7`: no release the cap allows has cuda13. The check says so and which entry;
    --fix lifts no cap the user wrote: exit 1, the files byte-identical."""
    project = stale(index, env, tmp_path / "p", "<0.7")
    was = files(project)
    result = run_poetry(["platform-check", "--fix"], project, env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f'Fix: no release of jax that "jax<0.7" allows has the extra cuda13: the first is '
        f"{SPLIT_NEW}" in result.stdout
    )
    assert "nothing was written" in result.stderr
    assert files(project) == was


def test_an_edit_saved_during_the_fix_is_kept(
    old_floor: Path, tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user saves pyproject.toml while --fix re-locks: nothing is written over it."""
    from cleo.io.null_io import NullIO
    from poetry.factory import Factory

    from poetry_platform.atomic import ChangedOnDisk
    from poetry_platform.check.first_release import IndexLookup
    from poetry_platform.check.fix import fix
    from poetry_platform.check.targets import check_plans
    from poetry_platform.check.targets import selected_plans
    from poetry_platform.context import project_config
    from poetry_platform.lockset.lock import read_lock

    project = copy_project(old_floor, tmp_path / "p")
    for key in ("POETRY_CACHE_DIR", "POETRY_CONFIG_DIR", "POETRY_DATA_DIR"):
        monkeypatch.setenv(key, env[key])
    pyproject = project / "pyproject.toml"

    def run_check(poetry: Any) -> Any:
        lock = read_lock(poetry)
        work = selected_plans(poetry, project_config(poetry), [], python=None)
        return lock, check_plans(poetry, work, lock, IndexLookup(poetry.pool))

    poetry = Factory().create_poetry(project, io=NullIO())
    lock_before = (project / "poetry.lock").read_bytes()
    _, results = run_check(poetry)

    def edit_then_check(draft: Any) -> Any:
        pyproject.write_text(pyproject.read_text() + "\n# the user's edit\n")
        return run_check(draft)

    with pytest.raises(ChangedOnDisk):
        fix(poetry, results, edit_then_check, strict=False, dry_run=False)
    assert pyproject.read_text().endswith("# the user's edit\n")
    assert (project / "poetry.lock").read_bytes() == lock_before


# --- duplicate entries: the pin ---------------------------------------------------------

PIN = f"{DUP_NAME}=={DUP_PINNED} ; sys_platform == 'linux'"


def cublas(project: Path) -> list[str]:
    lock = (project / "poetry.lock").read_text()
    return [version for name, version in lock_text_packages(lock) if name == DUP_NAME]


def test_poetry_locks_two_entries_and_the_check_fails_the_linux_target(
    duplicated: Path, env: dict[str, str]
) -> None:
    assert cublas(duplicated) == [DUP_PINNED, DUP_NEWEST]
    result = run_poetry(["platform-check"], duplicated, env, check=False)
    assert result.returncode == 1
    assert f"{DUP_NAME} {DUP_PINNED}, {DUP_NEWEST}: 2 locked entries are selected at once" in (
        result.stdout
    )
    assert f"Fix: pin {DUP_NAME} to {DUP_PINNED}, the entry every requirer accepts" in (
        result.stdout
    )
    assert "linux (linux x86_64" in result.stdout and "mac (darwin arm64" in result.stdout
    [mac] = [line for line in result.stdout.splitlines() if line.startswith("mac ")]
    assert ": OK" in mac


def test_fix_writes_the_pin_and_the_lock_and_the_check_passes(
    duplicated: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(duplicated, tmp_path / "p")
    result = run_poetry(["platform-check", "--fix", "--json"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"]
    assert report["fix"]["written"]
    applied = report["fix"]["applied"]
    assert (applied["kind"], applied["version"]) == ("pin-version", DUP_PINNED)
    assert applied["edits"] == [
        {"table": "project", "where": "dependencies", "old": "", "new": [PIN]}
    ]
    assert json.dumps(PIN) in (project / "pyproject.toml").read_text()
    assert cublas(project) == [DUP_PINNED]
    passes(project, env)


def test_the_printed_pin_applied_literally_with_its_command_passes(
    duplicated: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(duplicated, tmp_path / "p")
    block = printed_fix(check_output(project, env))
    assert f"then run: poetry update --lock {DUP_NAME}" in block
    text = follow(project, env, block)
    assert f'dependencies = ["{PIN}", ' in text
    assert cublas(project) == [DUP_PINNED]
    passes(project, env)


def test_a_pin_that_cannot_lock_leaves_the_files_byte_identical(
    duplicated: Path, index: IndexServer, tmp_path: Path
) -> None:
    """The pinned release is gone from the index (deleted upstream): the pin cannot lock,
    nothing else is offered, so nothing is written and the check fails as before."""
    project = copy_project(duplicated, tmp_path / "p")
    state = poetry_env(tmp_path / "state")  # a cold cache: the index is asked again
    was = files(project)
    index.answer_paths(f"/{DUP_NAME}/", 404)
    try:
        result = run_poetry(["platform-check", "--fix"], project, state, check=False)
    finally:
        index.clear_faults()
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Tried: pin {DUP_NAME} to {DUP_PINNED}: " in result.stderr
    assert "nothing was written" in result.stderr
    assert f"{DUP_NAME} {DUP_PINNED}, {DUP_NEWEST}: 2 locked entries" in result.stdout
    assert files(project) == was


# --- a cpu extra taking the default index's torch: the CPU source -------------------------


def test_fix_takes_the_cpu_extras_torch_from_the_cpu_source(
    torch_default: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Before: the cpu target takes PyPI's CUDA torch (and, through the cu130 entry's
    markers, the +cu130 one too). After --fix: torch+cpu from the CPU source, check passes."""
    project = copy_project(torch_default, tmp_path / "p")
    before = run_poetry(["platform-check", "--strict"], project, env, check=False)
    assert before.returncode == 1
    assert "Fix: take torch from the CPU source torch-cpu for variant cpu" in before.stdout
    assert "then run: poetry update --lock torch" in before.stdout
    result = run_poetry(["platform-check", "--fix", "--json"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["fix"]["written"]
    assert report["fix"]["applied"]["kind"] == "cpu-source"
    assert locked_torch(project) == [
        (f"{layouts_check.PYPI_TORCH}+cpu", "torch-cpu"),
        (f"{layouts_check.PYPI_TORCH}+cu130", "torch-cu130"),
    ]
    assert layouts_check.PYPI_TORCH_NVIDIA in (project / "poetry.lock").read_text()  # cu130's
    run_poetry(["check", "--lock"], project, env)
    run_poetry(["platform-check", "--strict"], project, env)


def test_the_printed_cpu_source_edit_applied_literally_with_its_command_passes(
    torch_default: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """The lines platform-check printed, followed by hand: in the table it names, the key
    set to the printed value (the old entry replaced), then the printed command."""
    project = copy_project(torch_default, tmp_path / "p")
    block = printed_fix(check_output(project, env))
    assert block.startswith("take torch from the CPU source torch-cpu for variant cpu")
    assert "then run: poetry update --lock torch" in block
    text = follow(project, env, block)
    assert 'source = "torch-cpu"' in text
    assert locked_torch(project)[0] == (f"{layouts_check.PYPI_TORCH}+cpu", "torch-cpu")
    result = run_poetry(["platform-check", "--strict"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    run_poetry(["check", "--lock"], project, env)


def test_a_cpu_source_that_does_not_answer_leaves_the_files_byte_identical(
    torch_default: Path, index: IndexServer, tmp_path: Path
) -> None:
    """The CPU source fails while --fix re-locks (on the real index: its host did not
    resolve): that fix is reported as tried, the others are tried, nothing is written."""
    project = copy_project(torch_default, tmp_path / "p")
    state = poetry_env(tmp_path / "state")  # a cold cache: the source is asked again
    was = files(project)
    index.answer_paths("/torch-cpu/", 503)
    try:
        result = run_poetry(["platform-check", "--fix"], project, state, check=False)
    finally:
        index.clear_faults()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Tried: take torch from the CPU source torch-cpu for variant cpu: " in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert files(project) == was


@pytest.fixture(scope="module")
def duplicated_twice(index: IndexServer, locked: Callable[[str, str], Path]) -> Path:
    return locked("duplicated-twice", duplicate_project(index, framework=DUP_FRAMEWORK_TWO))


def test_two_duplicated_packages_are_pinned_together(
    duplicated_twice: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """nvidia-cublas and nvidia-cuda-nvrtc both locked twice (PyTorch from PyPI on a Linux
    GPU target): each pin alone leaves the target failing on the other; both at once pass."""
    project = copy_project(duplicated_twice, tmp_path / "p")
    result = run_poetry(["platform-check", "--fix", "--json"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    applied = json.loads(result.stdout)["fix"]["applied"]
    assert applied["pins"] == [
        {"package": DUP_NAME, "version": DUP_PINNED},
        {"package": DUP_TWO, "version": DUP_TWO_PINNED},
    ]
    assert applied["command"] == f"poetry update --lock {DUP_NAME} {DUP_TWO}"
    assert applied["text"] == f"pin {DUP_NAME} to {DUP_PINNED} and {DUP_TWO} to {DUP_TWO_PINNED}"
    lock = lock_text_packages((project / "poetry.lock").read_text())
    assert [v for n, v in lock if n in (DUP_NAME, DUP_TWO)] == [DUP_PINNED, DUP_TWO_PINNED]
    passes(project, env)


def test_every_printed_pin_applied_literally_with_its_command_passes(
    duplicated_twice: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(duplicated_twice, tmp_path / "p")
    printed = check_output(project, env)
    for nth in (0, 1):
        follow(project, env, printed_fix(printed, nth=nth))
    passes(project, env)


def test_a_group_variants_torch_takes_the_source_in_its_group_table(
    torch_group: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    project = copy_project(torch_group, tmp_path / "p")
    block = printed_fix(check_output(project, env))
    assert "in pyproject.toml [tool.poetry.group.cpu.dependencies]:" in block
    result = run_poetry(["platform-check", "--fix", "--strict"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'torch = { version = ">=' in (project / "pyproject.toml").read_text()
    assert locked_torch(project) == [(f"{layouts_check.PYPI_TORCH}+cpu", "torch-cpu")]
    run_poetry(["check", "--lock"], project, env)


def test_without_a_cpu_source_fix_adds_none_and_the_printed_block_followed_passes(
    torch_no_cpu_source: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """No CPU source: --fix writes nothing (it never adds a source); the printed source
    block (its URL derived from the CUDA source's), edit and command, followed, pass."""
    project = copy_project(torch_no_cpu_source, tmp_path / "p")
    was = files(project)
    result = run_poetry(["platform-check", "--fix"], project, env, check=False)
    assert result.returncode == 1
    assert "no fix with exact edits" in result.stderr
    assert files(project) == was
    block = printed_fix(result.stdout)
    assert block.startswith("declare PyTorch's CPU wheel index as the explicit source torch-cpu")
    assert f'url = "{env_url(project)}/cpu/simple/"' in block
    follow(project, env, block)
    assert locked_torch(project)[0] == (f"{layouts_check.PYPI_TORCH}+cpu", "torch-cpu")
    result = run_poetry(["platform-check", "--strict"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    run_poetry(["check", "--lock"], project, env)


def env_url(project: Path) -> str:
    """The local index's base URL, as the project's primary source has it."""
    from poetry_platform.poetry_api import toml_loads

    data = toml_loads((project / "pyproject.toml").read_text())
    return str(data["tool"]["poetry"]["source"][0]["url"]).removesuffix("/pypi/simple/")


def test_a_duplicate_the_variant_forbids_gets_no_pin_and_fix_writes_nothing(
    index: IndexServer, locked: Callable[[str, str], Path], tmp_path: Path, env: dict[str, str]
) -> None:
    """Under a cpu variant, which forbids nvidia-*, the duplicated nvidia-cublas must leave
    the install, not be pinned into the project: the advice says so, and --fix (which
    never pins a forbidden package) writes nothing."""
    text = duplicate_project(index).replace(
        "[tool.poetry]", "[project.optional-dependencies]\ncpu = []\n\n[tool.poetry]"
    )
    text = text.replace('glibc = "2.28"', 'glibc = "2.28"\nvariant = "cpu"')
    project = copy_project(locked("duplicated-cpu", text), tmp_path / "p")
    was = files(project)
    result = run_poetry(["platform-check", "--fix"], project, env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"Fix: no pin (it would keep {DUP_NAME}, which variant cpu forbids): keep what brings "
        "it out of this variant, as this target's warning on what variant cpu forbids says"
        in result.stdout
    )
    assert f"{DUP_NAME}=={DUP_PINNED}" not in result.stdout
    assert files(project) == was
    # platform-install on a Linux host, cpu forced, refuses the lock with the same fix, not a
    # pin (the same rule: check/plan.unpin_forbidden).
    install = run_poetry(["platform-install", "--variant", "cpu"], project, env, check=False)
    assert install.returncode == 1, install.stdout + install.stderr
    assert "2 locked entries are selected at once" in install.stderr
    assert f"Fix: no pin (it would keep {DUP_NAME}, which variant cpu forbids)" in install.stderr
    assert f"{DUP_NAME}=={DUP_PINNED}" not in install.stdout + install.stderr
    assert files(project) == was


def test_a_cpu_only_projects_main_torch_takes_the_cpu_source(
    torch_main: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """torch in [project] dependencies, no variant but the inferred cpu: every install is a
    cpu one, so the fix sets the source on torch itself; --fix locks torch+cpu and the
    check passes; the printed lines followed by hand do the same."""
    project = copy_project(torch_main, tmp_path / "p")
    before = check_output(project, env)
    block = printed_fix(before)
    assert block.startswith("take torch from the CPU source torch-cpu for variant cpu")
    assert "  in pyproject.toml [tool.poetry.dependencies]:" in block
    assert '    set torch = { source = "torch-cpu" }' in block
    assert locked_torch(project) == [(layouts_check.PYPI_TORCH, "local")]  # the CUDA build
    result = run_poetry(["platform-check", "--fix", "--json"], project, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["fix"]["applied"]["kind"] == "cpu-source"
    assert locked_torch(project) == [(f"{layouts_check.PYPI_TORCH}+cpu", "torch-cpu")]
    assert layouts_check.PYPI_TORCH_NVIDIA not in (project / "poetry.lock").read_text()
    run_poetry(["check", "--lock"], project, env)
    run_poetry(["platform-check", "--strict"], project, env)

    by_hand = copy_project(torch_main, tmp_path / "q")
    follow(by_hand, env, block)
    assert locked_torch(by_hand) == [(f"{layouts_check.PYPI_TORCH}+cpu", "torch-cpu")]
    run_poetry(["platform-check", "--strict"], by_hand, env)


def _interpreter_dir(version: str) -> Path | None:
    """A directory holding a working `python<version>` (pyenv's versions included), or None."""
    import shutil
    import subprocess
    from pathlib import Path

    candidates = [Path(p).parent for p in [shutil.which(f"python{version}")] if p]
    candidates += sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin"))
    for directory in candidates:
        python = directory / f"python{version}"
        ran = subprocess.run([str(python), "--version"], capture_output=True, check=False)
        if python.exists() and ran.returncode == 0:
            return directory
    return None


def test_the_printed_other_python_followed_literally_installs_the_variant(
    old_floor: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """After the split, this Python cannot get cuda13; the refusal names the Pythons the lock
    serves it on and the command to switch. Run as printed, then install: cuda13's plugin."""
    import re

    directory = _interpreter_dir(NEWER_PYTHON)
    if directory is None:
        pytest.skip(f"no Python {NEWER_PYTHON} on this machine")
    project = copy_project(old_floor, tmp_path / "p")
    run_poetry(["platform-check", "--fix"], project, env)
    env = env | {"PATH": f"{directory}:{env['PATH']}", "POETRY_PLATFORM_CUDA": ""}
    refused = run_poetry(["platform-install", "--variant", "cuda13"], project, env, check=False)
    assert refused.returncode == 1
    [command] = re.findall(r"\(`(poetry env use [0-9.]+)`\)", refused.stderr)
    assert command == f"poetry env use {NEWER_PYTHON}"
    run_poetry(command.split()[1:], project, env)
    run_poetry(["platform-install", "--variant", "cuda13"], project, env)
    assert "jax-cuda13-plugin" in installed(project)
