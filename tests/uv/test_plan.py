"""The uv installer's pure parts: what it asks of uv, where it finds uv, what it remembers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from poetry_platform.choices import ChoiceMemo
from poetry_platform.choices import choice_key
from poetry_platform.errors import PlatformError
from poetry_platform.uv.executor import _uv_environment
from poetry_platform.uv.executor import plain_url
from poetry_platform.uv.locate import UvNotFoundError
from poetry_platform.uv.locate import bundled_uv
from poetry_platform.uv.locate import find_uv
from poetry_platform.uv.plan import WheelToInstall
from poetry_platform.uv.plan import install_args
from poetry_platform.uv.plan import pylock_text
from poetry_platform.uv.plan import uninstall_args
from poetry_platform.uv.plan import usable_hashes

UV = Path("/opt/uv/bin/uv")
PYTHON = Path("/proj/.venv/bin/python")
CACHE = Path("/cache/artifacts")


def wheel(
    name: str, version: str, directory: str, *, reinstall: bool = False, url: bool = False
) -> WheelToInstall:
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    return WheelToInstall(
        name=name,
        version=version,
        hashes=(f"sha256:{name}hash",),
        path=None if url else CACHE / directory / filename,
        url=f"https://files.example/{directory}/{filename}" if url else None,
        reinstall=reinstall,
    )


def test_pylock_lists_every_file_where_it_is_with_its_hashes() -> None:
    wheels = [wheel("torch", "2.9.0+cu130", "b", url=True), wheel("jax", "0.7.1", "a")]

    document = tomlkit.parse(pylock_text(wheels)).unwrap()

    assert document["lock-version"] == "1.0"
    assert document["packages"] == [  # sorted by name, no markers: Poetry has decided
        {
            "name": "jax",
            "version": "0.7.1",
            "wheels": [
                {
                    "path": str(CACHE / "a" / "jax-0.7.1-py3-none-any.whl"),
                    "hashes": {"sha256": "jaxhash"},
                }
            ],
        },
        {
            "name": "torch",
            "version": "2.9.0+cu130",
            "wheels": [
                {
                    "url": "https://files.example/b/torch-2.9.0+cu130-py3-none-any.whl",
                    "hashes": {"sha256": "torchhash"},
                }
            ],
        },
    ]


def test_pylock_strings_survive_any_path() -> None:
    odd = WheelToInstall(
        name="x",
        version="1",
        hashes=("sha256:ab",),
        path=Path('/c/"q"\\b\x7f\u00e9/x-1-py3-none-any.whl'),
    )

    document = tomlkit.parse(pylock_text([odd])).unwrap()

    assert document["packages"][0]["wheels"][0]["path"] == str(odd.path)


def test_a_wheel_is_either_a_file_or_a_url() -> None:
    with pytest.raises(ValueError, match="exactly one of path and url"):
        WheelToInstall(name="x", version="1", hashes=())
    with pytest.raises(ValueError, match="exactly one of path and url"):
        WheelToInstall(name="x", version="1", hashes=(), path=Path("/x"), url="https://h/x")


def test_install_is_pinned_hashed_and_limited_to_the_lock_it_is_given() -> None:
    wheels = [wheel("jax", "0.7.1", "a"), wheel("jaxlib", "0.7.1", "b", url=True)]

    args = install_args(UV, PYTHON, Path("/tmp/pylock.toml"), wheels)

    assert args[:3] == [str(UV), "pip", "install"]
    assert args[args.index("--python") + 1] == str(PYTHON)
    for flag in ("--no-deps", "--require-hashes", "--no-index", "--no-build", "--no-config"):
        assert flag in args
    assert args[-2:] == ["-r", "/tmp/pylock.toml"]
    for flag in ("--offline", "--find-links", "--reinstall-package", "--compile-bytecode"):
        assert flag not in args
    assert "--no-cache" not in args
    assert "--offline" in install_args(UV, PYTHON, Path("/p"), wheels, offline=True)


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

    assert _uv_environment(environ) == {
        "UV_CACHE_DIR": "/c",
        "PATH": "/bin",
        "UV_PREVIEW_FEATURES": "pylock",
    }
    assert _uv_environment({"UV_PREVIEW_FEATURES": "a,pylock"})["UV_PREVIEW_FEATURES"] == (
        "a,pylock"
    )


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://files.example/p/x-1-py3-none-any.whl", True),
        ("http://127.0.0.1:8080/pypi/files/x/x-1-py3-none-any.whl", True),
        ("https://alice:pw@files.example/x-1-py3-none-any.whl", False),
        ("https://token@files.example/x-1-py3-none-any.whl", False),
        ("https://files.example/x-1-py3-none-any.whl?X-Amz-Signature=abc", False),
        ("file:///wheels/x-1-py3-none-any.whl", False),
    ],
)
def test_only_urls_without_secrets_go_to_uv(url: str, plain: bool) -> None:
    assert plain_url(url) is plain


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


def key(**changes: Any) -> str:
    fields: dict[str, Any] = {
        "name": "jaxlib",
        "version": "0.7.1",
        "source": "legacy|local|http://127.0.0.1/pypi/simple",
        "locked_hashes": ["sha256:a", "sha256:b"],
        "tags": ["cp311-cp311-manylinux_2_28_x86_64", "py3-none-any"],
        "policies": ["installer.no-binary=[]"],
    }
    fields.update(changes)
    return choice_key(**fields)


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


def test_remembered_choices_survive_a_new_run_until_their_archive_disappears(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "artifacts" / "jaxlib-0.7.1-py3-none-any.whl"
    archive.parent.mkdir()
    archive.write_bytes(b"wheel")
    url = "https://files.example/jaxlib-0.7.1-py3-none-any.whl"
    memo_file = tmp_path / "platform-uv" / "choices.json"
    memo = ChoiceMemo(memo_file)
    memo.remember("k1", archive)
    memo.remember("k3", url)
    memo.save()

    assert ChoiceMemo(memo_file).where("k1") == archive
    assert ChoiceMemo(memo_file).where("k3") == url  # uv's cache holds it, or uv fetches it
    assert ChoiceMemo(memo_file).where("k2") is None
    archive.unlink()
    assert ChoiceMemo(memo_file).where("k1") is None
    memo = ChoiceMemo(memo_file)
    memo.remember("k4", url)
    memo.save()  # drops the vanished archive, keeps URLs
    assert set(json.loads(memo_file.read_text())["archives"]) == {"k3", "k4"}


def test_a_damaged_memo_is_ignored(tmp_path: Path) -> None:
    memo_file = tmp_path / "choices.json"
    memo_file.write_text("{not json")

    memo = ChoiceMemo(memo_file)

    assert memo.where("anything") is None
    memo.remember("k", memo_file)
    memo.save()
    assert ChoiceMemo(memo_file).where("k") == memo_file


def test_an_unwritable_cache_only_loses_the_shortcut(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    memo = ChoiceMemo(blocker / "choices.json")

    memo.remember("k", blocker)
    memo.save()  # no exception

    assert ChoiceMemo(blocker / "choices.json").where("k") is None
