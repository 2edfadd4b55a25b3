"""The export library on hand-written locks read by Poetry's own `Locker`: which packages and
files a target's export lists, and how each format writes them. No network, no venv."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit
from packaging.markers import Marker
from packaging.version import Version
from poetry.packages.locker import Locker

from poetry_platform.check.targets import check_target
from poetry_platform.check.targets import plans_for
from poetry_platform.errors import LockError
from poetry_platform.export import pylock
from poetry_platform.export import requirements
from poetry_platform.export.refusals import TargetNotExportable
from poetry_platform.export.refusals import refuse_unfit_lock
from poetry_platform.export.run import export_target
from poetry_platform.export.urls import Source
from poetry_platform.index.http import without_userinfo
from poetry_platform.lockset.lock import LockState
from poetry_platform.lockset.problems import LockUnfit
from poetry_platform.lockset.problems import Problem
from poetry_platform.model import Requirements
from poetry_platform.model import Target
from poetry_platform.model import Variant

if TYPE_CHECKING:
    from pathlib import Path

    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.export.urls import FileUrls

JAXLIB = [
    "jaxlib-0.7.0-cp312-cp312-macosx_11_0_arm64.whl",
    "jaxlib-0.7.0-cp312-cp312-manylinux2014_x86_64.whl",
    "jaxlib-0.7.0-cp312-cp312-manylinux_2_27_x86_64.whl",
    "jaxlib-0.7.0-cp311-cp311-manylinux_2_27_x86_64.whl",
    "jaxlib-0.7.0-cp312-cp312-win_amd64.whl",
    "jaxlib-0.7.0.tar.gz",
]


def toml(text: str) -> dict[str, Any]:
    """Parse as TOML (tomlkit: the standard library's reader needs Python 3.11)."""
    data: dict[str, Any] = tomlkit.parse(text).unwrap()
    return data


def digest(filename: str) -> str:
    """A distinct, recognisable fake sha256 per file name."""
    import hashlib

    return hashlib.sha256(filename.encode()).hexdigest()


def pkg(
    name: str,
    version: str,
    files: list[str],
    *,
    markers: str | None = None,
    source: str | None = None,
    groups: tuple[str, ...] = ("main",),
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": "",
        "optional": False,
        "python-versions": ">=3.10",
        "groups": list(groups),
        "files": [{"file": f, "hash": f"sha256:{digest(f)}"} for f in files],
    }
    if markers is not None:
        entry["markers"] = markers
    if source is not None:
        entry["source"] = {
            "type": "legacy",
            "url": f"https://{source}.test/simple",
            "reference": source,
        }
    return entry


def lock_state(tmp_path: Path, packages: list[dict[str, Any]]) -> LockState:
    doc: dict[str, Any] = {
        "package": packages,
        "extras": {"cuda": ["jax-cuda13-plugin"]},
        "metadata": {"lock-version": "2.1", "python-versions": ">=3.10", "content-hash": "0"},
    }
    path = tmp_path / "poetry.lock"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return LockState((), Locker(path, {}).locked_packages(), frozenset({"cuda"}))


def target(name: str, sys_platform: str, machine: str, *pythons: str, **kw: Any) -> Target:
    return Target(name, sys_platform, machine, tuple(Version(p) for p in pythons), **kw)


# Linux-only, as inferred CUDA variants are: on a Mac it promises no accelerator.
CUDA = Variant(
    "cuda", extras=("cuda",), requires=Requirements(markers=Marker("sys_platform == 'linux'"))
)
GPU = target("gpu", "linux", "x86_64", "3.12", glibc=Version("2.28"), variant="cuda")
MAC = target("mac", "darwin", "arm64", "3.12", macos=Version("14.0"))


def export(lock: LockState, tgt: Target, variant: Variant | None = None) -> ExportSet:
    results = [check_target(plan, lock, python_problem=p) for plan, p in plans_for(tgt, variant)]
    return export_target(tgt.name, results, lock)


def fake_urls(exp: ExportSet) -> FileUrls:
    return {p.key: {f.name: f"https://files.test/{f.name}" for f in p.files} for p in exp.packages}


@pytest.fixture
def jax_lock(tmp_path: Path) -> LockState:
    return lock_state(
        tmp_path,
        [
            pkg("jax", "0.7.0", ["jax-0.7.0-py3-none-any.whl", "jax-0.7.0.tar.gz"]),
            pkg("jaxlib", "0.7.0", JAXLIB),
            pkg(
                "jax-cuda13-plugin",
                "0.7.0",
                ["jax_cuda13_plugin-0.7.0-py3-none-manylinux_2_27_x86_64.whl"],
                markers="extra == 'cuda' and sys_platform == 'linux'",
            ),
            pkg("oldlib", "0.1", ["oldlib-0.1.tar.gz"]),
        ],
    )


def test_linux_gpu_export_lists_only_linux_wheels_best_first(jax_lock: LockState) -> None:
    exp = export(jax_lock, GPU, CUDA)
    by_name = {p.name: p for p in exp.packages}
    assert list(by_name) == ["jax", "jax-cuda13-plugin", "jaxlib", "oldlib"]
    # jaxlib: the target's two manylinux cp312 wheels, newest tag first; no macOS, Windows,
    # cp311 or sdist.
    assert [f.name for f in by_name["jaxlib"].files] == [
        "jaxlib-0.7.0-cp312-cp312-manylinux_2_27_x86_64.whl",
        "jaxlib-0.7.0-cp312-cp312-manylinux2014_x86_64.whl",
    ]
    # A wheel fits: the sdist is not offered; no wheel fits: the sdist Poetry would build.
    assert [f.name for f in by_name["jax"].files] == ["jax-0.7.0-py3-none-any.whl"]
    assert [f.name for f in by_name["oldlib"].files] == ["oldlib-0.1.tar.gz"]
    for package in exp.packages:
        for file in package.files:
            assert file.hashes == (("sha256", digest(file.name)),)


def test_the_variant_extra_decides_the_plugin(jax_lock: LockState) -> None:
    assert "jax-cuda13-plugin" in {p.name for p in export(jax_lock, GPU, CUDA).packages}
    assert "jax-cuda13-plugin" not in {p.name for p in export(jax_lock, GPU).packages}
    # On a Mac the Linux-only variant promises nothing: the CPU set, without the plugin.
    assert "jax-cuda13-plugin" not in {p.name for p in export(jax_lock, MAC, CUDA).packages}
    # A variant that claims to run there but cannot deliver its accelerator fails
    # platform-check's fidelity rule (its extra adds nothing on a Mac): not exported.
    unguarded = Variant("cuda", extras=("cuda",))
    with pytest.raises(TargetNotExportable, match=r"fails platform-check, nothing exported"):
        export(jax_lock, MAC, unguarded)


def test_pylock_is_pep751_for_the_target(jax_lock: LockState) -> None:
    exp = export(jax_lock, GPU, CUDA)
    text = pylock.render(
        exp,
        fake_urls(exp),
        requires_python=">=3.10,<4.0",
        indexes={None: "https://pypi.test/simple"},
    )
    data = toml(text)
    assert data["lock-version"] == "1.0"
    assert data["created-by"] == "poetry-platform"
    assert data["requires-python"] == ">=3.10,<4.0"
    assert data["environments"] == [
        "sys_platform == 'linux' and platform_machine == 'x86_64' "
        "and implementation_name == 'cpython' and python_version == '3.12'"
    ]
    packages = {p["name"]: p for p in data["packages"]}
    jaxlib = packages["jaxlib"]
    assert jaxlib["version"] == "0.7.0"
    assert jaxlib["index"] == "https://pypi.test/simple"
    assert "sdist" not in jaxlib
    assert [w["name"] for w in jaxlib["wheels"]] == [
        f.name for f in next(p for p in exp.packages if p.name == "jaxlib").files
    ]
    wheel = jaxlib["wheels"][0]
    assert wheel["url"] == f"https://files.test/{wheel['name']}"
    assert wheel["hashes"] == {"sha256": digest(wheel["name"])}
    assert packages["oldlib"]["sdist"]["name"] == "oldlib-0.1.tar.gz"
    assert "wheels" not in packages["oldlib"]
    assert not any("macosx" in w["name"] for p in data["packages"] for w in p.get("wheels", []))
    assert data["tool"]["poetry-platform"] == {
        "target": "gpu",
        "variant": "cuda",
        "extras": ["cuda"],
        "groups": ["main"],
        "pythons": ["3.12"],
    }


def test_several_pythons_mark_what_differs(tmp_path: Path) -> None:
    lock = lock_state(
        tmp_path,
        [
            pkg("numpy", "2.2.6", ["numpy-2.2.6-py3-none-any.whl"]),
            pkg("jax", "0.6.2", ["jax-0.6.2-py3-none-any.whl"], markers="python_version < '3.11'"),
            pkg("jax", "0.7.0", ["jax-0.7.0-py3-none-any.whl"], markers="python_version >= '3.11'"),
        ],
    )
    exp = export(lock, target("ci", "linux", "x86_64", "3.10", "3.12"))
    data = toml(pylock.render(exp, fake_urls(exp), requires_python=None, indexes={}))
    markers = {(p["name"], p["version"]): p.get("marker") for p in data["packages"]}
    assert markers == {
        ("jax", "0.6.2"): "python_version == '3.10'",
        ("jax", "0.7.0"): "python_version == '3.12'",
        ("numpy", "2.2.6"): None,
    }
    assert len(data["environments"]) == 2
    text = requirements.render(exp, [])
    assert "jax==0.6.2 ; python_version == '3.10' \\" in text.splitlines()


def test_a_failing_target_is_refused_in_one_line(tmp_path: Path) -> None:
    lock = lock_state(tmp_path, [pkg("jaxlib", "0.7.0", JAXLIB[:-1])])
    win_arm = target("win-arm", "win32", "ARM64", "3.12")
    with pytest.raises(TargetNotExportable) as error:
        export(lock, win_arm)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("Target win-arm (win32 ARM64, Python 3.12, groups main) fails")
    assert "jaxlib 0.7.0: no wheel for" in message
    assert "poetry platform-check --target win-arm" in message


def test_an_unfit_lock_is_refused() -> None:
    stale = Problem("stale-lock", LockUnfit("stale-lock"))
    with pytest.raises(LockError, match=r"^Nothing exported: pyproject\.toml changed"):
        refuse_unfit_lock(LockState((stale,)))
    refuse_unfit_lock(LockState())


def test_requirements_hash_every_usable_file_and_order_sources(tmp_path: Path) -> None:
    lock = lock_state(
        tmp_path,
        [
            pkg("jaxlib", "0.7.0", JAXLIB),
            pkg("torch", "2.9.0+cpu", ["torch-2.9.0+cpu-cp312-none-any.whl"], source="torch-cpu"),
            pkg("extra-lib", "1.0", ["extra_lib-1.0-py3-none-any.whl"], source="extra"),
        ],
    )
    exp = export(lock, GPU)
    sources = [
        Source("unused", "https://unused.test/simple", "primary"),
        Source("PyPI", "https://pypi.test/simple", "primary"),
        Source("extra", "http://extra.test:8080/simple", "supplemental"),
        Source("torch-cpu", "https://torch.test/cpu", "explicit"),
    ]
    lines = requirements.render(exp, sources, header=["made for gpu"]).splitlines()
    assert lines[:6] == [
        "# made for gpu",
        "--index-url https://pypi.test/simple",
        "--extra-index-url http://extra.test:8080/simple",
        "--extra-index-url https://torch.test/cpu",
        "--trusted-host extra.test:8080",
        "",
    ]
    body = "\n".join(lines[6:])
    assert "jaxlib==0.7.0 \\\n" in body
    for name in JAXLIB[1:3]:
        assert f"--hash=sha256:{digest(name)}" in body
    for name in (JAXLIB[0], JAXLIB[3], JAXLIB[4], JAXLIB[5]):
        assert digest(name) not in body
    # The local label stays in the pin: no other build of torch satisfies it.
    assert "torch==2.9.0+cpu \\" in lines


def test_credentials_are_removed_from_urls() -> None:
    assert without_userinfo("https://user:s3cret@host.test/simple/") == "https://host.test/simple/"
    assert without_userinfo("https://token@host.test:8443/a") == "https://host.test:8443/a"
    assert without_userinfo("https://host.test/simple/") == "https://host.test/simple/"


def test_root_entries(jax_lock: LockState) -> None:
    exp = export(jax_lock, MAC)
    text = pylock.render(
        exp, fake_urls(exp), requires_python=None, indexes={}, root=pylock.Root("demo", ".")
    )
    root = next(p for p in toml(text)["packages"] if p["name"] == "demo")
    assert root["directory"] == {"path": ".", "editable": True}
    assert requirements.render(exp, [], root_path=".").splitlines()[-1] == "-e ."


def test_find_links_only_means_no_default_index(tmp_path: Path) -> None:
    lock = lock_state(tmp_path, [pkg("jaxlib", "0.7.0", JAXLIB[1:3], source="releases")])
    exp = export(lock, GPU)
    links = Source("releases", "https://releases.test/jax/links.html", "explicit", "find-links")
    lines = requirements.render(exp, [links]).splitlines()
    assert lines[:2] == ["--no-index", "--find-links https://releases.test/jax/links.html"]


def test_a_target_on_several_pythons_is_described_once_naming_them(
    jax_lock: LockState,
) -> None:
    """On the real index the header of ci-cpu's file repeated `linux x86_64, Python 3.1x,
    variant cpu, groups main, test` four times (270 characters)."""
    from poetry_platform import render

    ci = target("ci", "linux", "x86_64", "3.11", "3.12", "3.13", glibc=Version("2.28"))
    assert render.export_targets(export(jax_lock, ci)) == (
        "linux x86_64, Python 3.11, 3.12, 3.13, groups main"
    )
    assert render.export_targets(export(jax_lock, MAC)) == "darwin arm64, Python 3.12, groups main"
