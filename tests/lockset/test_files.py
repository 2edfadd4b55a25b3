"""Which locked file an install takes: the file, and the exact facts shown when it is none
or a build from source. Pure: packages are built in memory, no lock, no Poetry run."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from packaging.version import Version
from poetry.core.packages.package import Package

from poetry_platform.lockset.files import BinaryPolicy
from poetry_platform.lockset.files import FileChoice
from poetry_platform.lockset.files import choose_file
from poetry_platform.lockset.files import file_hashes
from poetry_platform.lockset.files import hash_fault
from poetry_platform.lockset.files import usable_files
from poetry_platform.lockset.problems import BadHash
from poetry_platform.lockset.problems import FromSource
from poetry_platform.lockset.problems import NoFiles
from poetry_platform.lockset.problems import NoWheel
from poetry_platform.lockset.problems import Problem
from poetry_platform.lockset.tags import SupportedTags
from poetry_platform.lockset.tags import tag_target

LINUX = SupportedTags.for_target(
    tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28"))
)
TARGET = LINUX.description  # 'manylinux_2_28_x86_64 / cp312'
GOOD = "sha256:" + "0" * 64

ANY = "fast_pkg-1.0-py3-none-any.whl"
CP312 = "fast_pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
ABI3 = "fast_pkg-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"
CP311 = "fast_pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
MAC = "fast_pkg-1.0-cp312-cp312-macosx_11_0_arm64.whl"
WIN = "fast_pkg-1.0-cp312-cp312-win_amd64.whl"
SDIST = "fast_pkg-1.0.tar.gz"


def pkg(*files: str, name: str = "Fast-Pkg", **source: Any) -> Package:
    package = Package(name, "1.0", **source)
    package.files = [{"file": f, "hash": GOOD} for f in files]
    return package


def raw_files(package: Package, *entries: Any) -> None:
    """Lock entries as a hand-edited poetry.lock may have them (no hash, a null, junk)."""
    package.files = list(entries)


def problem(kind: str, facts: Any, have: str, severity: str = "error") -> Problem:
    return Problem(kind, facts, "Fast-Pkg", "1.0", severity, TARGET, have)  # type: ignore[arg-type]


NONE = BinaryPolicy()
NO_ALL = frozenset({":all:"})


@pytest.mark.parametrize(
    ("policy", "name", "wheels", "sdists"),
    [
        (NONE, "fast", True, True),
        (BinaryPolicy(no_binary=NO_ALL), "fast", False, True),
        # A name in only-binary takes wheels even under no-binary = :all:.
        (BinaryPolicy(no_binary=NO_ALL, only_binary=frozenset({"fast"})), "fast", True, False),
        (BinaryPolicy(no_binary=NO_ALL, only_binary=frozenset({"fast"})), "slow", False, True),
        (BinaryPolicy(no_binary=frozenset({":none:"})), "fast", True, True),
        (BinaryPolicy(no_binary=frozenset({"fast"})), "fast", False, True),
        (BinaryPolicy(no_binary=frozenset({"fast"})), "slow", True, True),
        (BinaryPolicy(only_binary=NO_ALL), "fast", True, False),
        (BinaryPolicy(only_binary=NO_ALL, no_binary=frozenset({"slow"})), "slow", False, True),
        (BinaryPolicy(only_binary=frozenset({":none:"})), "fast", True, True),
        (BinaryPolicy(only_binary=frozenset({"fast"})), "slow", True, True),
        # Named in both: no-binary is read first, so neither kind is allowed.
        (BinaryPolicy(frozenset({"fast"}), frozenset({"fast"})), "fast", False, False),
    ],
)
def test_binary_policy_mirrors_poetrys_chooser(
    policy: BinaryPolicy, name: str, wheels: bool, sdists: bool
) -> None:
    assert (policy.wheels_allowed(name), policy.sdists_allowed(name)) == (wheels, sdists)


def test_the_best_ranked_wheel_is_taken() -> None:
    assert choose_file(pkg(SDIST, ANY, ABI3, CP312), LINUX) == FileChoice(CP312)
    assert choose_file(pkg(ANY, ABI3), LINUX) == FileChoice(ABI3)
    assert choose_file(pkg("Fast_Pkg-1.0-py3-none-any.WHL"), LINUX).file is not None


@pytest.mark.parametrize(
    ("source", "origin"),
    [
        ({"source_type": "git", "source_url": "https://host/r.git"}, "git https://host/r.git"),
        ({"source_type": "directory", "source_url": "../libs/fast"}, "directory ../libs/fast"),
        ({"source_type": "directory"}, "directory"),
    ],
)
def test_git_and_directory_packages_build_from_source(source: dict[str, str], origin: str) -> None:
    package = pkg(ANY, **source)
    assert choose_file(package, LINUX) == FileChoice(
        None, problem("builds-from-source", FromSource(origin), origin, "warning")
    )
    assert usable_files(package, LINUX) == ()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://host/files/fast_pkg-1.0-py3-none-any.whl", ANY),
        ("C:\\wheels\\fast_pkg-1.0-py3-none-any.whl", ANY),  # a Windows path
        ("fast_pkg-1.0-py3-none-any.whl", ANY),  # beside pyproject.toml
    ],
)
@pytest.mark.parametrize("kind", ["url", "file"])
def test_url_and_file_packages_take_the_file_their_source_names(
    kind: str, url: str, expected: str
) -> None:
    package = pkg(source_type=kind, source_url=url)
    assert choose_file(package, LINUX) == FileChoice(expected)
    assert usable_files(package, LINUX) == (expected,)


def test_a_package_from_a_private_index_takes_its_locked_files() -> None:
    """The source's URL names the index, not a file."""
    package = pkg(CP312, SDIST, source_type="legacy", source_url="https://host/simple")
    assert choose_file(package, LINUX) == FileChoice(CP312)


def test_a_package_without_files_is_an_error() -> None:
    assert choose_file(pkg(), LINUX) == FileChoice(None, problem("no-files", NoFiles(), ""))
    assert usable_files(pkg(), LINUX) == ()


def test_no_matching_wheel_builds_the_first_sdist_and_says_what_the_wheels_offer() -> None:
    other = "fast_pkg-1.0.zip"
    package = pkg(MAC, WIN, SDIST, other)
    files = (MAC, WIN, SDIST, other)
    have = "macosx_11_0_arm64, win_amd64"
    build = NoWheel(TARGET, False, have, files, sdist=SDIST)
    assert choose_file(package, LINUX) == FileChoice(
        SDIST, problem("builds-from-source", build, have, "warning")
    )
    assert usable_files(package, LINUX) == (SDIST,)


def test_a_wheel_for_the_platform_but_another_python_names_the_pythons() -> None:
    cp310 = "fast_pkg-1.0-cp310-cp310-manylinux_2_17_x86_64.whl"
    package = pkg(CP311, MAC, cp310)
    have = "cp310-cp310, cp311-cp311"
    refused = NoWheel(TARGET, False, have, (CP311, MAC, cp310))
    assert choose_file(package, LINUX) == FileChoice(None, problem("no-wheel", refused, have))


def test_no_binary_refuses_the_wheels_and_builds() -> None:
    package = pkg(CP312, SDIST)
    policy = BinaryPolicy(no_binary=frozenset({"fast-pkg"}))
    have = "cp312-cp312"
    build = NoWheel(TARGET, True, have, (CP312, SDIST), sdist=SDIST)
    assert choose_file(package, LINUX, policy) == FileChoice(
        SDIST, problem("builds-from-source", build, have, "warning")
    )
    assert usable_files(package, LINUX, policy) == (SDIST,)


@pytest.mark.parametrize("only", [NO_ALL, frozenset({"fast-pkg"})])
def test_only_binary_refuses_the_sdist(only: frozenset[str]) -> None:
    package = pkg(WIN, SDIST)
    policy = BinaryPolicy(only_binary=only)
    refused = NoWheel(TARGET, False, "win_amd64", (WIN, SDIST), sdist_refused=True)
    assert choose_file(package, LINUX, policy) == FileChoice(
        None, problem("no-wheel", refused, "win_amd64")
    )
    assert usable_files(package, LINUX, policy) == ()


def test_archives_poetry_never_installs_are_not_sdists() -> None:
    files = ("fast_pkg-1.0.egg", "fast_pkg-1.0.EXE", "fast_pkg-1.0.msi")
    refused = NoWheel(TARGET, False, "", files)
    assert choose_file(pkg(*files), LINUX) == FileChoice(None, problem("no-wheel", refused, ""))


@pytest.mark.parametrize(
    "odd",
    [
        "fast_pkg-1.0-1-cp312-cp312-manylinux_2_17_x86_64.whl",  # a build number
        "Fast.Pkg-1.0+local-cp312-cp312-manylinux_2_17_x86_64.whl",  # local version
    ],
)
def test_odd_wheel_names_are_read_from_their_last_three_fields(odd: str) -> None:
    assert choose_file(pkg(odd), LINUX) == FileChoice(odd)


@pytest.mark.parametrize("bad", ["fast_pkg-cp312-manylinux_2_17_x86_64.whl", "x-1.0--.whl"])
def test_unreadable_wheel_names_match_nothing(bad: str) -> None:
    assert choose_file(pkg(bad), LINUX).file is None


def test_usable_files_ranks_every_wheel_the_target_takes() -> None:
    package = pkg(ANY, SDIST, CP312, MAC, ABI3)
    assert usable_files(package, LINUX) == (CP312, ABI3, ANY)
    no_binary = BinaryPolicy(no_binary=NO_ALL)
    assert usable_files(package, LINUX, no_binary) == (SDIST,)


def test_the_chosen_file_must_have_a_hash_poetry_can_verify() -> None:
    package = pkg(CP312)
    package.files = [{"file": CP312, "hash": "sha256:xyz"}, {"file": ANY, "hash": GOOD}]
    bad = BadHash(CP312, "malformed", "sha256:xyz")
    assert choose_file(package, LINUX) == FileChoice(CP312, problem("bad-hash", bad, "sha256:xyz"))
    raw_files(package, {"file": CP312})
    missing = BadHash(CP312, "missing")
    assert choose_file(package, LINUX) == FileChoice(CP312, problem("bad-hash", missing, "no hash"))
    sdist = pkg(SDIST)
    sdist.files = [{"file": SDIST, "hash": ""}]
    assert choose_file(sdist, LINUX).problem == problem(
        "bad-hash", BadHash(SDIST, "missing"), "no hash"
    )


def test_hashes_are_read_per_file() -> None:
    package = pkg(CP312)
    raw_files(package, {"file": CP312, "hash": GOOD}, {"file": CP312, "hash": None}, "junk")
    assert file_hashes(package, CP312) == (GOOD, "")
    assert file_hashes(package, ANY) == ("",)


@pytest.mark.parametrize(
    ("values", "fault"),
    [
        ((), "missing"),
        (("",), "missing"),
        (("sha256:xyz",), "malformed"),
        (("sha256:" + "0" * 63,), "malformed"),
        (("nohash:" + "0" * 64,), "malformed"),
        (("0" * 64,), "malformed"),
        (("", GOOD), None),
        (("sha256:xyz", "md5:" + "a" * 32), None),
        (("shake_128:abcd",), None),  # any length
        (("shake_128:wxyz",), "malformed"),
        (("blake2b:" + "F" * 128,), None),
        (("SHA256:" + "0" * 64,), "upper-case"),  # hashlib takes it, Poetry does not
        (("SHA256:" + "0" * 64, "sha256:" + "0" * 64), None),
        (("SHA256:" + "0" * 63,), "malformed"),
        (("NOHASH:" + "0" * 64,), "malformed"),
    ],
)
def test_hash_faults(values: tuple[str, ...], fault: str | None) -> None:
    assert hash_fault(values) == fault


def test_an_algorithm_listed_but_not_constructible_is_malformed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a FIPS build hashlib lists md5 but refuses to make one: Poetry could not verify."""
    real = hashlib.new

    def fips(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "md5":
            raise ValueError("[digital envelope routines] unsupported")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(hashlib, "new", fips)
    assert hash_fault(("md5:" + "a" * 32,)) == "malformed"
    assert hash_fault((GOOD,)) is None
