"""The uv installer's pure parts: what it asks of uv, where it finds uv, what it remembers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from poetry_platform.errors import PlatformError
from poetry_platform.uv.choices import ChoiceMemo
from poetry_platform.uv.choices import choice_key
from poetry_platform.uv.executor import _uv_environment
from poetry_platform.uv.locate import UvNotFoundError
from poetry_platform.uv.locate import bundled_uv
from poetry_platform.uv.locate import find_uv
from poetry_platform.uv.plan import WheelToInstall
from poetry_platform.uv.plan import install_args
from poetry_platform.uv.plan import requirements_text
from poetry_platform.uv.plan import uninstall_args
from poetry_platform.uv.plan import usable_hashes

UV = Path("/opt/uv/bin/uv")
PYTHON = Path("/proj/.venv/bin/python")
CACHE = Path("/cache/artifacts")


def wheel(name: str, version: str, directory: str, *, reinstall: bool = False) -> WheelToInstall:
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    return WheelToInstall(
        name=name,
        version=version,
        path=CACHE / directory / filename,
        hashes=(f"sha256:{name}hash",),
        reinstall=reinstall,
    )


def test_requirements_pin_every_file_with_its_hashes() -> None:
    wheels = [wheel("jax", "0.7.1", "a"), wheel("torch", "2.9.0+cu130", "b")]

    text = requirements_text(wheels)

    assert text == (
        "jax==0.7.1 --hash=sha256:jaxhash\ntorch==2.9.0+cu130 --hash=sha256:torchhash\n"
    )


def test_install_is_offline_pinned_hashed_and_limited_to_the_chosen_files() -> None:
    wheels = [wheel("jax", "0.7.1", "a"), wheel("jaxlib", "0.7.1", "b"), wheel("numpy", "2", "a")]

    args = install_args(UV, PYTHON, Path("/tmp/req.txt"), wheels)

    assert args[:3] == [str(UV), "pip", "install"]
    assert args[args.index("--python") + 1] == str(PYTHON)
    for flag in ("--no-deps", "--require-hashes", "--no-index", "--offline", "--no-config"):
        assert flag in args
    links = [args[i + 1] for i, a in enumerate(args) if a == "--find-links"]
    assert links == [str(CACHE / "a"), str(CACHE / "b")]  # one per directory, sorted
    assert args[-2:] == ["-r", "/tmp/req.txt"]
    assert "--reinstall-package" not in args
    assert "--compile-bytecode" not in args
    assert "--no-cache" not in args


def test_install_options_follow_poetry_options() -> None:
    wheels = [wheel("torch", "2.9.0+cpu", "a", reinstall=True), wheel("numpy", "2", "a")]

    args = install_args(
        UV, PYTHON, Path("/r.txt"), wheels, compile_bytecode=True, no_cache=True, verbose=True
    )

    assert args[args.index("--reinstall-package") + 1] == "torch"
    assert args.count("--reinstall-package") == 1
    assert {"--compile-bytecode", "--no-cache", "--verbose"} <= set(args)


def test_uninstall_names_every_removal() -> None:
    args = uninstall_args(UV, PYTHON, ["nvidia-cublas", "jax-cuda13-plugin"])

    assert args[:3] == [str(UV), "pip", "uninstall"]
    assert args[-2:] == ["jax-cuda13-plugin", "nvidia-cublas"]


def test_only_hashes_uv_can_check_are_passed_on() -> None:
    assert usable_hashes(["sha256:b", "blake2b:x", "md5:c", "sha256:a"]) == (
        "md5:c",
        "sha256:a",
        "sha256:b",
    )


def test_uv_gets_none_of_poetrys_variables() -> None:
    environ = {
        "POETRY_HTTP_BASIC_PRIVATE_PASSWORD": "s3cret",
        "poetry_pypi_token_pypi": "tok",
        "UV_CACHE_DIR": "/c",
        "PATH": "/bin",
    }

    assert _uv_environment(environ) == {"UV_CACHE_DIR": "/c", "PATH": "/bin"}


def test_uv_beside_poetry_comes_first() -> None:
    found = find_uv(bundled=lambda: "/poetry-venv/bin/uv", which=lambda _: "/usr/bin/uv")

    assert found == Path("/poetry-venv/bin/uv")


def test_uv_on_path_is_the_fallback() -> None:
    asked: list[str] = []

    def which(name: str) -> str | None:
        asked.append(name)
        return "/usr/local/bin/uv"

    assert find_uv(bundled=lambda: None, which=which) == Path("/usr/local/bin/uv")
    assert asked == ["uv"]


def test_no_uv_says_how_to_get_it_in_one_line() -> None:
    with pytest.raises(UvNotFoundError) as raised:
        find_uv(bundled=lambda: None, which=lambda _: None)

    message = str(raised.value)
    assert isinstance(raised.value, PlatformError)  # printed as one error line, exit 1
    assert "\n" not in message
    assert 'poetry self add "poetry-platform[uv]"' in message
    assert "--installer poetry" in message


def test_the_uv_package_in_this_environment_is_found() -> None:
    # The dev environment has the `uv` extra's package, as `poetry-platform[uv]` users do.
    found = bundled_uv()

    assert found is not None
    assert Path(found).name.startswith("uv")
    assert os.access(found, os.X_OK)


def key(**changes: object) -> str:
    fields: dict[str, object] = {
        "name": "jaxlib",
        "version": "0.7.1",
        "source": "legacy|local|http://127.0.0.1/pypi/simple",
        "locked_hashes": ["sha256:a", "sha256:b"],
        "tags": ["cp311-cp311-manylinux_2_28_x86_64", "py3-none-any"],
        "policies": ["installer.no-binary=[]"],
    }
    fields.update(changes)
    return choice_key(**fields)  # type: ignore[arg-type]


def test_a_choice_is_keyed_on_everything_the_chooser_reads() -> None:
    assert key() == key(locked_hashes=["sha256:b", "sha256:a"])  # the lock's order is noise
    variants = [
        key(version="0.7.0"),
        key(source="legacy|other|http://127.0.0.1/other/simple"),
        key(locked_hashes=["sha256:a"]),
        key(tags=["py3-none-any", "cp311-cp311-manylinux_2_28_x86_64"]),  # preference order
        key(policies=["installer.no-binary=[':all:']"]),
    ]
    assert len({key(), *variants}) == len(variants) + 1


def test_remembered_archives_survive_a_new_run_until_they_disappear(tmp_path: Path) -> None:
    archive = tmp_path / "artifacts" / "jaxlib-0.7.1-py3-none-any.whl"
    archive.parent.mkdir()
    archive.write_bytes(b"wheel")
    memo_file = tmp_path / "platform-uv" / "choices.json"
    memo = ChoiceMemo(memo_file)
    memo.remember("k1", archive)
    memo.save()

    assert ChoiceMemo(memo_file).archive("k1") == archive
    assert ChoiceMemo(memo_file).archive("k2") is None
    archive.unlink()
    assert ChoiceMemo(memo_file).archive("k1") is None


def test_a_damaged_memo_is_ignored(tmp_path: Path) -> None:
    memo_file = tmp_path / "choices.json"
    memo_file.write_text("{not json")

    memo = ChoiceMemo(memo_file)

    assert memo.archive("anything") is None
    memo.remember("k", memo_file)
    memo.save()
    assert ChoiceMemo(memo_file).archive("k") == memo_file


def test_an_unwritable_cache_only_loses_the_shortcut(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    memo = ChoiceMemo(blocker / "choices.json")

    memo.remember("k", blocker)
    memo.save()  # no exception

    assert ChoiceMemo(blocker / "choices.json").archive("k") is None
