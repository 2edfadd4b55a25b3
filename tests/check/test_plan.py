"""The lock-plan rules on hand-written lock files, read by Poetry's own `Locker`."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit
from packaging.utils import canonicalize_name
from packaging.version import Version
from poetry.core.packages.dependency import Dependency
from poetry.packages.locker import Locker

from poetry_platform import poetry_api
from poetry_platform import render
from poetry_platform.check.plan import check_locked
from poetry_platform.lockset.files import BinaryPolicy
from poetry_platform.lockset.install_set import marker_environment
from poetry_platform.lockset.install_set import select_locked
from poetry_platform.lockset.problems import Duplicate
from poetry_platform.lockset.problems import blocking
from poetry_platform.lockset.tags import SupportedTags
from poetry_platform.lockset.tags import tag_target

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from poetry.core.packages.package import Package
    from poetry.packages.transitive_package_info import TransitivePackageInfo

    from poetry_platform.lockset.lock import Relations
    from poetry_platform.lockset.problems import PlanCheck

Locked = dict["Package", "TransitivePackageInfo"]


def pkg(
    name: str,
    version: str,
    files: list[str],
    *,
    groups: tuple[str, ...] = ("main",),
    markers: str | dict[str, str] | None = None,
    optional: bool = False,
    source: dict[str, str] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": "",
        "optional": optional,
        "python-versions": ">=3.9",
        "groups": list(groups),
        "files": [{"file": f, "hash": f"sha256:{i:064x}"} for i, f in enumerate(files)],
    }
    if markers is not None:
        entry["markers"] = markers
    if source is not None:
        entry["source"] = source
    return entry


def read_lock(
    tmp_path: Path, packages: list[dict[str, Any]], extras: dict[str, list[str]] | None = None
) -> Locked:
    doc: dict[str, Any] = {"package": packages}
    if extras:
        doc["extras"] = extras
    doc["metadata"] = {"lock-version": "2.1", "python-versions": ">=3.9", "content-hash": "0"}
    path = tmp_path / "poetry.lock"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return Locker(path, {}).locked_packages()


MAC = tag_target("darwin", "arm64", Version("3.12"), macos=Version("14.0"))
GPU = tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28"))
OLD_LINUX = tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.17"))
WIN = tag_target("win32", "AMD64", Version("3.12"))


def check(
    locked: Locked,
    target: Any,
    *,
    groups: tuple[str, ...] = ("main",),
    extras: tuple[str, ...] = (),
    **kwargs: Any,
) -> PlanCheck:
    env = marker_environment(target.sys_platform, target.machine, "3.12.4")
    return check_locked(
        locked,
        marker_env=env,
        supported_tags=SupportedTags.for_target(target),
        groups=groups,
        extras=extras,
        **kwargs,
    )


def names(result: PlanCheck) -> list[str]:
    return [f"{p.name}=={p.version}" for p in result.packages]


def messages(result: PlanCheck) -> list[str]:
    return [render.problem(p) for p in result.problems]


JAXLIB_FILES = [
    "jaxlib-0.7.0-cp312-cp312-manylinux_2_27_x86_64.whl",
    "jaxlib-0.7.0-cp312-cp312-macosx_11_0_arm64.whl",
]


def test_marker_environment_speaks_each_os() -> None:
    mac = marker_environment("darwin", "aarch64", "3.12.4")
    assert mac["platform_machine"] == "arm64"
    assert mac["platform_system"] == "Darwin"
    assert mac["os_name"] == "posix"
    assert mac["python_version"] == "3.12"
    assert mac["python_full_version"] == "3.12.4"
    assert mac["implementation_name"] == "cpython"
    win = marker_environment("win32", "x86_64", "3.11.2")
    assert (win["platform_machine"], win["platform_system"], win["os_name"]) == (
        "AMD64",
        "Windows",
        "nt",
    )
    pypy = marker_environment("linux", "x86_64", "3.10.14", "pp")
    assert pypy["platform_python_implementation"] == "PyPy"
    assert "platform_release" not in mac  # unknowable for a remote machine: left open


def test_healthy_lock_on_two_targets(tmp_path: Path) -> None:
    locked = read_lock(
        tmp_path,
        [pkg("jax", "0.7.0", ["jax-0.7.0-py3-none-any.whl"]), pkg("jaxlib", "0.7.0", JAXLIB_FILES)],
    )
    mac = check(locked, MAC)
    assert messages(mac) == []
    assert [p.file for p in mac.packages] == [
        "jax-0.7.0-py3-none-any.whl",
        "jaxlib-0.7.0-cp312-cp312-macosx_11_0_arm64.whl",
    ]
    gpu = check(locked, GPU)
    assert not gpu.failed(strict=True)
    assert gpu.packages[1].file == "jaxlib-0.7.0-cp312-cp312-manylinux_2_27_x86_64.whl"


def test_no_wheel_for_the_platform(tmp_path: Path) -> None:
    locked = read_lock(
        tmp_path, [pkg("jaxlib", "0.12.0.1", [JAXLIB_FILES[0].replace("0.7.0", "0.12.0.1")])]
    )
    result = check(locked, MAC)
    assert result.failed()
    assert messages(result) == [
        "jaxlib 0.12.0.1: no wheel for macosx_14_0_arm64 / cp312; files have manylinux_2_27_x86_64"
    ]
    (problem,) = result.problems
    assert (problem.kind, problem.needed, problem.have) == (
        "no-wheel",
        "macosx_14_0_arm64 / cp312",
        "manylinux_2_27_x86_64",
    )
    assert result.packages[0].file is None


def test_glibc_too_old(tmp_path: Path) -> None:
    locked = read_lock(tmp_path, [pkg("jaxlib", "0.7.0", JAXLIB_FILES)])
    assert messages(check(locked, OLD_LINUX)) == [
        "jaxlib 0.7.0: no wheel for manylinux_2_17_x86_64 / cp312; "
        "files have macosx_11_0_arm64, manylinux_2_27_x86_64"
    ]


def test_python_not_covered_names_the_pythons(tmp_path: Path) -> None:
    files = ["numpy-2.0-cp310-cp310-win_amd64.whl", "numpy-2.0-cp311-cp311-win_amd64.whl"]
    locked = read_lock(tmp_path, [pkg("numpy", "2.0", files)])
    assert messages(check(locked, WIN)) == [
        "numpy 2.0: no wheel for win_amd64 / cp312; files have cp310-cp310, cp311-cp311"
    ]


def test_abi3_and_best_wheel(tmp_path: Path) -> None:
    files = [
        "crypt-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "crypt-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "crypt-1.0.tar.gz",
    ]
    locked = read_lock(tmp_path, [pkg("crypt", "1.0", files)])
    assert check(locked, GPU).packages[0].file == files[1]
    assert check(locked, OLD_LINUX).packages[0].file == files[0]
    win = check(locked, WIN)
    assert win.packages[0].file == "crypt-1.0.tar.gz"
    assert [p.kind for p in win.problems] == ["builds-from-source"]


def test_sdist_only_is_a_warning_unless_strict(tmp_path: Path) -> None:
    locked = read_lock(tmp_path, [pkg("oldlib", "0.1", ["oldlib-0.1.tar.gz"])])
    result = check(locked, MAC)
    assert messages(result) == [
        "oldlib 0.1: no wheel for macosx_14_0_arm64 / cp312; builds from source (oldlib-0.1.tar.gz)"
    ]
    assert result.problems[0].severity == "warning"
    assert not result.failed()
    assert result.failed(strict=True)
    assert blocking(result.problems) == []
    assert blocking(result.problems, strict=True) == list(result.problems)
    assert render.problem_lines(result.problems) == [
        f"  <warning>- {messages(result)[0]}</warning>"
    ]


def test_binary_policies_follow_poetrys_chooser(tmp_path: Path) -> None:
    locked = read_lock(
        tmp_path,
        [
            pkg("oldlib", "0.1", ["oldlib-0.1.tar.gz"]),
            pkg("fast", "1.0", ["fast-1.0-py3-none-any.whl", "fast-1.0.tar.gz"]),
        ],
    )
    only = check(locked, GPU, policy=BinaryPolicy(only_binary=frozenset({":all:"})))
    assert messages(only) == [
        "oldlib 0.1: no wheel for manylinux_2_28_x86_64 / cp312; "
        "files are oldlib-0.1.tar.gz; installer.only-binary refuses the sdist"
    ]
    assert only.failed()
    none = check(locked, GPU, policy=BinaryPolicy(no_binary=frozenset({"fast"})))
    assert [p.file for p in none.packages] == ["fast-1.0.tar.gz", "oldlib-0.1.tar.gz"]
    assert render.problem(none.problems[0]).startswith(
        "fast 1.0: no wheel for manylinux_2_28_x86_64 / cp312 (installer.no-binary); builds from"
    )


def test_groups_and_per_group_markers(tmp_path: Path) -> None:
    locked = read_lock(
        tmp_path,
        [
            pkg("pytest", "8.0", ["pytest-8.0-py3-none-any.whl"], groups=("test",)),
            pkg(
                "pynvml",
                "12.0",
                ["pynvml-12.0-py3-none-any.whl"],
                groups=("main", "cloud"),
                markers={"main": 'sys_platform == "win32"', "cloud": 'sys_platform == "linux"'},
            ),
        ],
    )
    assert names(check(locked, MAC)) == []
    assert names(check(locked, MAC, groups=("main", "test"))) == ["pytest==8.0"]
    assert names(check(locked, GPU, groups=("main",))) == []
    assert names(check(locked, GPU, groups=("main", "cloud"))) == ["pynvml==12.0"]
    assert names(check(locked, WIN, groups=("main",))) == ["pynvml==12.0"]


def test_cuda_plugin_without_platform_marker_is_caught_on_mac(tmp_path: Path) -> None:
    """The team's old failure: the CUDA build selected on macOS because its marker lacked a
    platform condition. The check does not trust the marker; it finds no file for the Mac."""
    plugin = pkg(
        "jax-cuda13-plugin",
        "0.7.0",
        ["jax_cuda13_plugin-0.7.0-cp312-cp312-manylinux_2_27_x86_64.whl"],
        markers='extra == "cuda13"',
        optional=True,
    )
    locked = read_lock(tmp_path, [plugin], {"cuda13": ["jax-cuda13-plugin"]})
    assert names(check(locked, MAC)) == []
    mac = check(locked, MAC, extras=("cuda13",))
    assert messages(mac) == [
        "jax-cuda13-plugin 0.7.0: no wheel for macosx_14_0_arm64 / cp312; "
        "files have manylinux_2_27_x86_64"
    ]
    assert not check(locked, GPU, extras=("cuda13",)).failed()


def test_exclusive_extras_and_duplicates(tmp_path: Path) -> None:
    cpu_source = {"type": "legacy", "url": "http://127.0.0.1:1/cpu/simple", "reference": "cpu"}
    cu_source = {"type": "legacy", "url": "http://127.0.0.1:1/cu130/simple", "reference": "cu130"}
    locked = read_lock(
        tmp_path,
        [
            pkg(
                "torch",
                "2.9.0+cpu",
                ["torch-2.9.0+cpu-cp312-cp312-manylinux_2_28_x86_64.whl"],
                markers='extra == "cpu" and extra != "cuda"',
                source=cpu_source,
            ),
            pkg(
                "torch",
                "2.9.0+cu130",
                ["torch-2.9.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl"],
                markers='extra != "cpu" and extra == "cuda"',
                source=cu_source,
            ),
        ],
        {"cpu": ["torch"], "cuda": ["torch"]},
    )
    assert names(check(locked, GPU, extras=("cpu",))) == ["torch==2.9.0+cpu"]
    assert names(check(locked, GPU, extras=("cuda",))) == ["torch==2.9.0+cu130"]
    assert names(check(locked, GPU, extras=("cpu", "cuda"))) == []  # Poetry installs neither

    overlapping = read_lock(
        tmp_path,
        [
            pkg("torch", "2.9.0+cpu", ["torch-2.9.0+cpu-py3-none-any.whl"], source=cpu_source),
            pkg("torch", "2.9.0+cu130", ["torch-2.9.0+cu130-py3-none-any.whl"], source=cu_source),
        ],
    )
    requirements = [
        Dependency.create_from_pep_508("torch==2.9.0+cpu"),
        Dependency.create_from_pep_508("torch==2.9.0+cu130"),
    ]
    result = check(overlapping, GPU, requirements=requirements)
    # Who brings each entry, and the change that fixes it (not "run poetry lock").
    assert messages(result) == [
        "torch 2.9.0+cpu, 2.9.0+cu130: 2 locked entries are selected at once:\n"
        "  2.9.0+cpu from cpu, required by the project (torch==2.9.0+cpu)\n"
        "    lock marker: none\n"
        "  2.9.0+cu130 from cu130, required by the project (torch==2.9.0+cu130)\n"
        "    lock marker: none\n"
        "Fix: make the markers of the requirements of torch above exclusive for this target "
        "(exclusive extras: `extra == 'a' and extra != 'b'`; or by `sys_platform`), then "
        "`poetry lock`"
    ]
    assert [p.source for p in result.packages] == ["cpu", "cu130"]


def test_sources_without_files(tmp_path: Path) -> None:
    locked = read_lock(
        tmp_path,
        [
            pkg("mylib", "0.1", [], source={"type": "directory", "url": "../mylib"}),
            pkg(
                "tool",
                "1.0",
                [],
                source={"type": "url", "url": "https://127.0.0.1:1/tool-1.0-py3-none-any.whl"},
            ),
            pkg("empty", "1.0", []),
        ],
    )
    result = check(locked, MAC)
    assert [(p.package, p.kind, p.severity) for p in result.problems] == [
        ("empty", "no-files", "error"),
        ("mylib", "builds-from-source", "warning"),
    ]
    assert result.packages[2].file == "tool-1.0-py3-none-any.whl"


def test_missing_root_requirement(tmp_path: Path) -> None:
    locked = read_lock(
        tmp_path,
        [pkg("jaxlib", "0.7.0", JAXLIB_FILES, markers='sys_platform == "linux"')],
    )
    plugin = Dependency("jax-cuda13-plugin", ">=0.7", optional=True)
    # how poetry-core records an extra's deps
    poetry_api.set_in_extras(plugin, [canonicalize_name("cuda13")])
    requirements = [
        Dependency("jaxlib", ">=0.7"),
        Dependency.create_from_pep_508("scipy>=1.14 ; sys_platform == 'linux'"),
        plugin,
    ]
    gpu = check(locked, GPU, requirements=requirements)
    assert messages(gpu) == [
        'scipy >=1.14: required by the project (where sys_platform == "linux"), '
        "but poetry.lock does not contain it; run `poetry lock`"
    ]
    mac = check(locked, MAC, extras=("cuda13",), requirements=requirements)
    assert [(p.package, p.have) for p in mac.problems] == [
        ("jaxlib", "excluded"),
        ("jax-cuda13-plugin", "absent"),
    ]
    assert "the markers of its lock entries exclude this target" in render.problem(mac.problems[0])


@pytest.mark.parametrize("groups", [("main",), ("main", "test")])
def test_selection_is_poetrys_rule(tmp_path: Path, groups: tuple[str, ...]) -> None:
    """`select_locked` must agree with Poetry's own `Transaction` on the same lock."""
    from poetry.puzzle.transaction import Transaction

    locked = read_lock(
        tmp_path,
        [
            pkg("a", "1", ["a-1-py3-none-any.whl"], markers='sys_platform == "darwin"'),
            pkg("b", "1", ["b-1-py3-none-any.whl"], groups=("test",)),
            pkg("c", "1", ["c-1-py3-none-any.whl"], markers='extra == "x"', optional=True),
            pkg("d", "1", ["d-1-py3-none-any.whl"], markers='python_version < "3.12"'),
        ],
    )
    env = marker_environment("darwin", "arm64", "3.12.1")
    ours = {p.name for p in select_locked(locked, env, groups, {"x"})}
    transaction = Transaction([], locked, [], None, env, set(groups))  # type: ignore[arg-type]
    ops = transaction.calculate_operations(extras={"x"})  # type: ignore[arg-type]
    theirs = {op.package.name for op in ops if not op.skipped}
    assert ours == theirs
    assert "a" in ours
    assert "c" in ours
    assert "d" not in ours


def test_group_names_are_normalized(tmp_path: Path) -> None:
    """`[tool.poetry.group.cloud_dev]` is locked as `cloud-dev`; targets may spell it either way."""
    locked = read_lock(
        tmp_path, [pkg("moto", "5.1.9", ["moto-5.1.9-py3-none-any.whl"], groups=("cloud-dev",))]
    )
    assert names(check(locked, GPU, groups=("main", "cloud_dev"))) == ["moto==5.1.9"]
    assert names(check(locked, GPU, groups=("main", "Cloud.Dev"))) == ["moto==5.1.9"]


def test_duplicate_advice_follows_who_brings_each_entry(tmp_path: Path) -> None:
    """The fix depends on who requires the package: re-locking alone never separates them."""
    from poetry_platform.lockset.lock import Relations

    plugin = "jax_cuda12_plugin-{}-py3-none-manylinux_2_27_x86_64.whl"
    locked = read_lock(
        tmp_path,
        [
            pkg("jax-cuda12-plugin", "0.6.2", [plugin.format("0.6.2")]),
            pkg("jax-cuda12-plugin", "0.7.0", [plugin.format("0.7.0")], markers='extra == "gpu"'),
            pkg("jax", "0.7.0", ["jax-0.7.0-py3-none-any.whl"]),
        ],
        {"gpu": ["jax"]},
    )
    relations = {
        ("jax", "0.7.0"): Relations(requires={"jax-cuda12-plugin": "==0.7.0"}),
    }

    def relations_of(package: Package) -> Relations:
        return relations.get((package.name, package.pretty_version), Relations())

    bare = [Dependency.create_from_pep_508("jax-cuda12-plugin==0.6.2")]
    result = check(locked, GPU, extras=("gpu",), requirements=bare, relations=relations_of)
    [message] = messages(result)
    assert (
        "  0.6.2, required by the project (jax-cuda12-plugin==0.6.2)\n    lock marker: none\n"
        in message
    )
    assert (
        "  0.7.0, required by jax 0.7.0 (jax-cuda12-plugin ==0.7.0)\n"
        '    lock marker: extra == "gpu"\n' in message
    )
    assert message.endswith(
        "Fix: require `jax[cuda12]` instead of a bare jax-cuda12-plugin (the plugin must "
        "follow jax's version), then `poetry lock`"
    )
    # Nothing requires either entry: the lock does not match pyproject.toml.
    [orphan] = messages(check(locked, GPU, extras=("gpu",)))
    assert orphan.endswith(
        "Fix: nothing in this install requires jax-cuda12-plugin; the lock does not match "
        "pyproject.toml: `poetry lock`"
    )


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "no hash"),
        (None, "no hash"),
        ("sha256:", "a malformed hash ('sha256:')"),
        ("sha256:xyz", "a malformed hash ('sha256:xyz')"),
        (f"sha256:{'a' * 63}", f"a malformed hash ('sha256:{'a' * 63}')"),
        (f"nohash:{'a' * 64}", f"a malformed hash ('nohash:{'a' * 64}')"),
        ("a" * 64, f"a malformed hash ('{'a' * 64}')"),
        # hashlib accepts SHA256, Poetry's installer matches lower-case names and refuses
        # the file ("did not match any known checksums", Poetry 2.5.1): not malformed, unusable
        (
            f"SHA256:{'a' * 64}",
            f"a hash whose algorithm is written in capitals ('SHA256:{'a' * 64}'; Poetry's"
            " installer knows only sha256)",
        ),
        (f"SHA256:{'a' * 63}", f"a malformed hash ('SHA256:{'a' * 63}')"),
    ],
)
def test_a_file_without_a_usable_hash_fails_the_target_that_takes_it(
    tmp_path: Path, value: str | None, said: str
) -> None:
    """The install would download the file and then fail to verify it, part-way through:
    the target that takes that file fails the check; another target does not."""
    entry = pkg("jaxlib", "0.7.0", JAXLIB_FILES)
    if value is None:
        del entry["files"][0]["hash"]
    else:
        entry["files"][0]["hash"] = value  # the Linux wheel
    locked = read_lock(tmp_path, [entry])
    gpu = check(locked, GPU)
    assert gpu.failed()
    assert messages(gpu) == [
        f"jaxlib 0.7.0: poetry.lock records {said} for {JAXLIB_FILES[0]}, so the install "
        "cannot verify it; run `poetry lock --regenerate`"
    ]
    assert [(p.kind, p.severity) for p in gpu.problems] == [("bad-hash", "error")]
    assert render.unfit_lock(gpu.problems) is not None
    assert messages(check(locked, MAC)) == []


def test_every_verifiable_hash_kind_passes(tmp_path: Path) -> None:
    entry = pkg("jaxlib", "0.7.0", JAXLIB_FILES)
    for value in (f"sha512:{'0' * 128}", f"md5:{'0' * 32}", f"sha256:{'A' * 64}"):
        entry["files"][0]["hash"] = value
        assert messages(check(read_lock(tmp_path, [entry]), GPU)) == []
    entry["files"].append({"file": JAXLIB_FILES[0], "hash": ""})  # one good value is enough
    entry["files"][0]["hash"] = f"sha256:{'0' * 64}"
    assert messages(check(read_lock(tmp_path, [entry]), GPU)) == []


def cublas_fork(
    tmp_path: Path, *, cudnn_accepts: str = "*"
) -> tuple[Locked, Callable[[Package], Relations]]:
    """PyTorch's CUDA wheels from PyPI, the fork Poetry locks: two nvidia-cublas entries,
    cuda-toolkit pinning the older, nvidia-cudnn accepting `cudnn_accepts`."""
    from poetry_platform.lockset.lock import Relations

    wheel = "nvidia_cublas-{}-py3-none-manylinux_2_27_x86_64.whl"
    locked = read_lock(
        tmp_path,
        [
            pkg("nvidia-cublas", "13.0.0.19", [wheel.format("13.0.0.19")]),
            pkg("nvidia-cublas", "13.1.0.3", [wheel.format("13.1.0.3")]),
            pkg("cuda-toolkit", "13.0.0", ["cuda_toolkit-13.0.0-py3-none-any.whl"]),
            pkg("nvidia-cudnn-cu13", "9.13.0", ["nvidia_cudnn_cu13-9.13.0-py3-none-any.whl"]),
        ],
    )
    relations = {
        ("cuda-toolkit", "13.0.0"): Relations(requires={"nvidia-cublas": "==13.0.0.19"}),
        ("nvidia-cudnn-cu13", "9.13.0"): Relations(requires={"nvidia-cublas": cudnn_accepts}),
    }

    def relations_of(package: Package) -> Relations:
        return relations.get((package.name, package.pretty_version), Relations())

    return locked, relations_of


def test_a_duplicate_one_requirer_pins_names_the_version_that_works(tmp_path: Path) -> None:
    """PyTorch's CUDA wheels from PyPI: cuda-toolkit pins nvidia-cublas, nvidia-cudnn
    accepts any; the fix names the pinned version, in short lines, with the edit and the
    command (issue 20)."""
    locked, relations_of = cublas_fork(tmp_path)
    result = check(locked, GPU, relations=relations_of)
    [problem] = [p for p in result.problems if p.kind == "duplicate"]
    lines = render.problem(problem).split("\n")
    assert lines[0] == "nvidia-cublas 13.0.0.19, 13.1.0.3: 2 locked entries are selected at once:"
    # each entry with its requirers, its lock marker on a line of its own (PyPI's markers for
    # cuda-toolkit's pins run to 200 characters)
    assert lines[1].startswith("  13.0.0.19, required by cuda-toolkit 13.0.0 (")
    assert lines[2].startswith("    lock marker: ")
    assert lines[3].startswith("  13.1.0.3, required by ")
    assert lines[4].startswith("    lock marker: ")
    assert lines[-4:] == [
        "Fix: pin nvidia-cublas to 13.0.0.19, the entry every requirer accepts "
        "(cuda-toolkit 13.0.0 pins it):",
        "  in pyproject.toml [project]:",
        "    dependencies: add \"nvidia-cublas==13.0.0.19 ; sys_platform == 'linux'\"",
        "  then run: poetry update --lock nvidia-cublas",
    ]
    assert max(len(line) for line in lines) < 150  # was one ~700-character line


# --- the pure rules behind a missing requirement and a duplicate --------------------------


def test_a_missing_requirement_says_where_it_is_locked(tmp_path: Path) -> None:
    from poetry_platform.lockset.problems import MissingRequirement

    locked = read_lock(
        tmp_path,
        [
            pkg("moto", "5.1.9", ["moto-5.1.9-py3-none-any.whl"], groups=("docs", "cloud-dev")),
            pkg("boto", "1.0", ["boto-1.0-py3-none-any.whl"], markers="sys_platform == 'win32'"),
        ],
    )
    moto = Dependency.create_from_pep_508("moto>=5; sys_platform == 'linux'")
    boto = Dependency.create_from_pep_508("boto")
    gone = Dependency.create_from_pep_508("requests")
    result = check(locked, GPU, requirements=[moto, boto, gone])
    assert [(p.package, p.have, p.facts) for p in result.problems] == [
        (
            "moto",
            "other-groups",
            MissingRequirement('sys_platform == "linux"', "other-groups", ("cloud-dev", "docs")),
        ),
        ("boto", "excluded", MissingRequirement("", "excluded")),
        ("requests", "absent", MissingRequirement("", "absent")),
    ]


@pytest.mark.parametrize(
    ("name", "markers", "requirers", "advice"),
    [
        ("nvidia-cublas", ["", ""], [set(), set()], ("relock", None)),
        # cuda-toolkit 13 accepts both; torch only one: constrain through cuda-toolkit
        (
            "nvidia-cublas",
            ["", ""],
            [{"cuda-toolkit 13.0", "torch 2.9"}, {"cuda-toolkit 13.0"}],
            ("constrain", "cuda-toolkit 13.0"),
        ),
        # two requirers accept both: the first by name
        ("a", ["", ""], [{"y 1", "x 1"}, {"x 1", "y 1"}], ("constrain", "x 1")),
        (
            "jaxlib",
            ["", ""],
            [{"the project", "jax 0.7.0"}, {"jax 0.7.0"}],
            ("jaxlib-through-jax", "jax 0.7.0"),
        ),
        ("torch", ["", ""], [{"the project", "x 1"}, {"x 1"}], ("pin-per-platform", "x 1")),
        ("jax-cuda12-plugin", ["", ""], [{"the project"}, {"jax 0.7.0"}], ("jax-extra", None)),
        (
            "torch",
            ['extra == "cpu"', 'extra == "cu130"'],
            [{"the project"}, {"x 1"}],
            ("request-one-extra", None),
        ),
        ("torch", ['extra == "cpu"', ""], [{"the project"}, {"x 1"}], ("exclusive-markers", None)),
        ("torch", [], [{"the project"}, {"x 1"}], ("exclusive-markers", None)),
    ],
)
def test_duplicate_advice(
    name: str, markers: list[str], requirers: list[set[str]], advice: tuple[str, str | None]
) -> None:
    from poetry_platform.check.plan import _duplicate_advice

    assert _duplicate_advice(name, markers, requirers) == advice


def test_the_pin_is_the_entry_every_requirer_accepts() -> None:
    from poetry_platform.check.plan import _pin
    from poetry_platform.lockset.problems import DuplicateEntry
    from poetry_platform.lockset.problems import Edit
    from poetry_platform.lockset.problems import Remedy

    entries = [DuplicateEntry("13.1.1.3", None, "", ()), DuplicateEntry("13.10.0.20", None, "", ())]
    requirers = [{"cuda-toolkit 13.0.2", "torch 2.9.0"}, {"torch 2.9.0"}]
    env = {"sys_platform": "linux", "python_version": "3.12"}
    works, pinned_by, remedy = _pin("nvidia-cublas", entries, requirers, env)
    assert (works, pinned_by) == ("13.1.1.3", ("cuda-toolkit 13.0.2",))
    assert remedy == Remedy(
        "pin-version",
        "3.12",
        "nvidia-cublas",
        version="13.1.1.3",
        edits=(Edit("dependencies", "", ("nvidia-cublas==13.1.1.3 ; sys_platform == 'linux'",)),),
        command="poetry update --lock nvidia-cublas",
    )
    _, _, bare = _pin("nvidia-cublas", entries, requirers, {})
    assert bare is not None
    assert (bare.python, bare.edits[0].new) == ("", ("nvidia-cublas==13.1.1.3",))
    # Both or neither accepted by everyone: no single entry to pin.
    assert _pin("x", entries, [{"a 1"}, {"a 1"}], env) == (None, (), None)
    assert _pin("x", entries, [{"a 1"}, {"b 1"}], env) == (None, (), None)
    with pytest.raises(ValueError, match="zip"):
        _pin("x", entries, [{"a 1"}], env)


def test_tags_given_as_a_list_are_described_by_the_first() -> None:
    from packaging.tags import Tag

    from poetry_platform.check.plan import _tags_with_description

    tags = [Tag("cp312", "cp312", "manylinux_2_28_x86_64"), Tag("py3", "none", "any")]
    described = _tags_with_description(iter(tags))
    assert described.description == "manylinux_2_28_x86_64 / cp312"
    # the order is the rank: the first tag is the best
    assert [described.rank([t]) for t in tags] == [0, 1]
    assert _tags_with_description([]).description == "this machine"


def test_install_plan_of_a_project_judges_this_machine(tmp_path: Path) -> None:
    """platform-install's adapter: the project's Pythons, its extras and its requirements."""
    from poetry.factory import Factory

    from poetry_platform.check.plan import check_install_plan
    from poetry_platform.lockset.problems import ExtraNotLocked
    from poetry_platform.lockset.problems import MissingRequirement
    from poetry_platform.lockset.problems import PythonOutside

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.10,<3.13"\n'
        'dependencies = ["moto", "boto", "requests"]\n'
        "[tool.poetry]\npackage-mode = false\n",
        encoding="utf-8",
    )
    read_lock(
        tmp_path,
        [
            pkg("moto", "5.1.9", ["moto-5.1.9-py3-none-any.whl"]),
            pkg("boto", "1.0", ["boto-1.0-py3-none-any.whl"], markers='python_version < "3.13"'),
        ],
    )
    poetry = Factory().create_poetry(tmp_path)
    tags = list(GPU.tags())

    def kinds(python: str, extras: tuple[str, ...] = ()) -> list[tuple[str, Any, str, str]]:
        env = marker_environment("linux", "x86_64", python)
        problems = check_install_plan(
            poetry, marker_env=env, supported_tags=tags, extras=extras, groups=("main",)
        )
        return [(p.kind, p.facts, p.needed, p.have) for p in problems if p.kind != "stale-lock"]

    requests = (
        "missing",
        MissingRequirement("", "absent"),
        "requests",
        "absent",
    )
    assert kinds("3.12.4") == [requests]
    # On 3.13, outside requires-python: said once, and boto (excluded for 3.13 by its lock
    # marker) is no reason to re-lock.
    assert kinds("3.13.1") == [
        (
            "python",
            PythonOutside("3.13.1", ">=3.10,<3.13", "environment"),
            "Python 3.13.1",
            ">=3.10,<3.13",
        ),
        requests,
    ]
    # A Python this machine could not name (no python_full_version) is not held against it.
    unnamed = {k: v for k, v in marker_environment("linux", "x86_64", "3.13.1").items()}
    del unnamed["python_full_version"]
    problems = check_install_plan(
        poetry, marker_env=unnamed, supported_tags=tags, extras=(), groups=("main",)
    )
    assert "python" not in [p.kind for p in problems]
    [extra, _] = kinds("3.12.4", ("gpu",))
    assert extra[:2] == ("extra-not-locked", ExtraNotLocked("gpu", (), "install", None))


def test_install_plan_passes_the_projects_settings_to_the_judge(tmp_path: Path) -> None:
    """platform-install's adapter hands the judge everything it knows of the project:
    Poetry's binary policy, the lock's relations (who pins a duplicate), the extras asked
    for, and that this Python is the project's (so an entry its markers exclude is missing)."""
    from poetry.factory import Factory

    from poetry_platform.check.plan import check_install_plan
    from poetry_platform.lockset.problems import MissingRequirement

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.10,<3.13"\n'
        'dependencies = ["moto", "toolkit", "cudnn", "winonly"]\n'
        '[project.optional-dependencies]\ngpu = ["cupy"]\n'
        "[tool.poetry]\npackage-mode = false\n",
        encoding="utf-8",
    )
    toolkit = pkg("toolkit", "1.0", ["toolkit-1.0-py3-none-any.whl"])
    toolkit["dependencies"] = {"cublas": "==1.0"}
    cudnn = pkg("cudnn", "1.0", ["cudnn-1.0-py3-none-any.whl"])
    cudnn["dependencies"] = {"cublas": "*"}
    read_lock(
        tmp_path,
        [
            pkg("moto", "5.1.9", ["moto-5.1.9-py3-none-any.whl"]),
            toolkit,
            cudnn,
            pkg("cublas", "1.0", ["cublas-1.0-py3-none-any.whl"]),
            pkg("cublas", "2.0", ["cublas-2.0-py3-none-any.whl"]),
            pkg(
                "winonly",
                "1.0",
                ["winonly-1.0-py3-none-any.whl"],
                markers="sys_platform == 'win32'",
            ),
        ],
        {"gpu": ["cupy"]},
    )
    from poetry.config.config import Config

    poetry = Factory().create_poetry(tmp_path)
    config = Config()  # Poetry's shared one must not carry this test's setting to others
    config.merge({"installer": {"no-binary": "moto"}})
    poetry.set_config(config)
    env = marker_environment("linux", "x86_64", "3.12.4")
    problems = check_install_plan(
        poetry, marker_env=env, supported_tags=list(GPU.tags()), extras=("gpu",), groups=("main",)
    )
    found = {(p.kind, p.package): p for p in problems if p.kind != "stale-lock"}
    assert set(found) == {
        ("no-wheel", "moto"),  # no-binary moto: its wheel, all the lock has, is refused
        ("duplicate", "cublas"),
        ("missing", "winonly"),
        ("missing", "cupy"),
    }
    duplicate = found[("duplicate", "cublas")].facts
    assert isinstance(duplicate, Duplicate)
    assert (duplicate.advice, duplicate.who, duplicate.works) == (
        "constrain",
        "cudnn 1.0",
        "1.0",
    )
    assert found[("missing", "winonly")].facts == MissingRequirement("", "excluded")
    assert found[("missing", "cupy")].facts == MissingRequirement("", "absent")
    # what the chosen variant forbids (platform-install passes it): the duplicate's pin goes
    from poetry_platform.lockset.problems import ForbiddenPackage

    cpu = ForbiddenPackage("cpu", "cublas", "1.0", "cublas", ("toolkit 1.0",), "keep-out")
    again = check_install_plan(
        poetry,
        marker_env=env,
        supported_tags=list(GPU.tags()),
        extras=("gpu",),
        groups=("main",),
        forbidden=[cpu],
    )
    [unpinned] = [p.facts for p in again if p.kind == "duplicate"]
    assert isinstance(unpinned, Duplicate)
    assert (unpinned.advice, unpinned.works, unpinned.variant) == ("forbidden", None, "cpu")


def test_duplicates_are_listed_in_release_order(tmp_path: Path) -> None:
    """9.0 before 10.0 (as text 10.0 sorts first), whatever order the lock holds them in."""
    wheel = "cublas-{}-py3-none-any.whl"
    locked = read_lock(
        tmp_path,
        [pkg("cublas", v, [wheel.format(v)]) for v in ("10.0", "9.0", "9.10", "9.2")],
    )
    result = check(locked, GPU)
    assert names(result) == ["cublas==9.0", "cublas==9.2", "cublas==9.10", "cublas==10.0"]
    [problem] = result.problems
    assert problem.version == "9.0, 9.2, 9.10, 10.0"
    assert isinstance(problem.facts, Duplicate)
    assert [e.version for e in problem.facts.entries] == ["9.0", "9.2", "9.10", "10.0"]


def test_each_missing_requirement_is_reported_once_past_inactive_extras(tmp_path: Path) -> None:
    """An optional requirement whose extra is not asked for is passed over, not the end of
    the list; a package required twice (two markers, two groups) is one problem."""
    locked = read_lock(tmp_path, [pkg("moto", "5.1.9", ["moto-5.1.9-py3-none-any.whl"])])
    cupy = Dependency.create_from_pep_508('cupy ; extra == "gpu"')
    requirements = [
        cupy,
        Dependency.create_from_pep_508("requests>=2"),
        Dependency.create_from_pep_508("requests ; sys_platform == 'linux'"),
        Dependency.create_from_pep_508("idna"),
    ]
    result = check(locked, GPU, requirements=requirements)
    assert [(p.kind, p.package) for p in result.problems] == [
        ("missing", "requests"),
        ("missing", "idna"),
    ]
    with_gpu = check(locked, GPU, extras=("gpu",), requirements=requirements)
    assert [p.package for p in with_gpu.problems] == ["cupy", "requests", "idna"]


def test_a_project_requirement_that_does_not_apply_here_brings_no_entry(tmp_path: Path) -> None:
    """Who brings each entry counts the project's requirements whose markers hold on this
    target only: a Windows-only requirement accepting both entries does not make the
    duplicate 'the project's own' on Linux (the fix stays the pin cuda-toolkit's makes)."""
    # a constraint poetry-core cannot read is taken to accept the entry
    locked, relations_of = cublas_fork(tmp_path, cudnn_accepts="=>>13 garbled")
    windows = Dependency.create_from_pep_508("nvidia-cublas ; sys_platform == 'win32'")
    result = check(locked, GPU, relations=relations_of, requirements=[windows])
    [problem] = [p for p in result.problems if p.kind == "duplicate"]
    facts = problem.facts
    assert isinstance(facts, Duplicate)
    assert [[who for who, _ in e.required_by] for e in facts.entries] == [
        ["cuda-toolkit 13.0.0", "nvidia-cudnn-cu13 9.13.0"],
        ["nvidia-cudnn-cu13 9.13.0"],
    ]
    assert (facts.advice, facts.works) == ("constrain", "13.0.0.19")


def test_two_extras_taking_one_package_from_two_builds_ask_for_one_extra(
    tmp_path: Path,
) -> None:
    """torch +cpu for extra cpu and +cu130 for extra cu130, both asked at once: the lock
    markers are the extras', so the fix is to request one of them, not to fix markers."""
    wheel = "torch-2.9.0+{}-cp312-cp312-manylinux_2_28_x86_64.whl"
    locked = read_lock(
        tmp_path,
        [
            pkg("torch", f"2.9.0+{b}", [wheel.format(b)], markers=f'extra == "{b}"', optional=True)
            for b in ("cpu", "cu130")
        ],
        {"cpu": ["torch"], "cu130": ["torch"]},
    )
    requirements = [
        Dependency.create_from_pep_508(f"torch==2.9.0+{b} ; extra == '{b}'")
        for b in ("cpu", "cu130")
    ]
    result = check(locked, GPU, extras=("cpu", "cu130"), requirements=requirements)
    [problem] = result.problems
    assert isinstance(problem.facts, Duplicate)
    assert (problem.facts.advice, problem.facts.who) == ("request-one-extra", None)
    assert [e.marker for e in problem.facts.entries] == ['extra == "cpu"', 'extra == "cu130"']


def test_a_duplicate_of_a_forbidden_package_is_advised_away_not_pinned(tmp_path: Path) -> None:
    """The rule platform-check and platform-install share (`unpin_forbidden`): a duplicate
    of a package the variant forbids loses its pin and takes the forbidden package's fix;
    every other problem, and a duplicate of a package not forbidden, is left as it was."""
    from dataclasses import replace

    from poetry_platform.check.plan import unpin_forbidden
    from poetry_platform.lockset.lock import Relations
    from poetry_platform.lockset.problems import ForbiddenPackage

    wheel = "{0}-{1}-py3-none-manylinux_2_27_x86_64.whl"
    locked = read_lock(
        tmp_path,
        [
            pkg(n, v, [wheel.format(n.replace("-", "_"), v)])
            for n, v in [
                ("nvidia-cublas", "13.0.0.19"),
                ("nvidia-cublas", "13.1.0.3"),
                ("numpy", "1.0"),
                ("numpy", "2.0"),
                ("cuda-toolkit", "13.0.0"),
                ("nvidia-cudnn-cu13", "9.13.0"),
            ]
        ],
    )
    relations = {
        ("cuda-toolkit", "13.0.0"): Relations(
            requires={"nvidia-cublas": "==13.0.0.19", "numpy": "==1.0"}
        ),
        ("nvidia-cudnn-cu13", "9.13.0"): Relations(requires={"nvidia-cublas": "*", "numpy": "*"}),
    }

    def relations_of(package: Package) -> Relations:
        return relations.get((package.name, package.pretty_version), Relations())

    problems = list(check(locked, GPU, relations=relations_of).problems)
    assert [(p.kind, p.package) for p in problems] == [
        ("duplicate", "numpy"),
        ("duplicate", "nvidia-cublas"),
    ]
    numpy, cublas = problems
    assert isinstance(cublas.facts, Duplicate) and cublas.facts.remedy is not None  # a pin
    forbidden = ForbiddenPackage(
        "cpu", "NVIDIA_Cublas", "13.0.0.19", "nvidia-*", ("cuda-toolkit 13.0.0",), "torch-cpu-index"
    )
    assert unpin_forbidden(problems, []) == problems
    [kept, changed] = unpin_forbidden(problems, [forbidden])
    assert kept == numpy
    assert changed == replace(
        cublas,
        facts=replace(
            cublas.facts,
            advice="forbidden",
            works=None,
            pinned_by=(),
            remedy=None,
            variant="cpu",
            forbid="torch-cpu-index",
        ),
    )
    assert (cublas.facts.works, cublas.facts.pinned_by) == ("13.0.0.19", ("cuda-toolkit 13.0.0",))
