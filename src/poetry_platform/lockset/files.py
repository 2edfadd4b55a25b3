"""Which locked file an install takes on a target, as Poetry's chooser would.

For each selected package: a wheel whose tags the target accepts (best one first, as
Poetry's chooser ranks them), else an sdist, which builds from source (a warning, unless
strict); `installer.no-binary` / `installer.only-binary` are honoured.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from packaging.tags import Tag
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name

from poetry_platform.lockset.problems import BadHash
from poetry_platform.lockset.problems import FromSource
from poetry_platform.lockset.problems import NoFiles
from poetry_platform.lockset.problems import NoWheel
from poetry_platform.lockset.problems import Problem

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Sequence

    from poetry.core.packages.package import Package

    from poetry_platform.lockset.problems import Facts
    from poetry_platform.lockset.problems import HashFault
    from poetry_platform.lockset.problems import Severity
    from poetry_platform.lockset.tags import SupportedTags


# Archive kinds Poetry's chooser never installs (`Chooser.choose_for`).
_SKIPPED_EXTS = (".egg", ".exe", ".msi", ".rpm", ".srpm")


@dataclass(frozen=True)
class BinaryPolicy:
    """Poetry's `installer.no-binary` / `installer.only-binary` settings, as name sets.

    Each set holds canonical names and may hold `:all:` (or `:none:`); the rules mirror
    Poetry's chooser so that a lock the installer would refuse is refused here too.
    """

    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()

    # A name the set holds is refused first; past that, Poetry's policy
    # (`not packages or ":none:" in packages or name not in packages`, unless `:all:`)
    # reduces to "no `:all:`": `:none:` names no package.

    def wheels_allowed(self, name: str) -> bool:
        if name in self.no_binary:
            return False
        return ":all:" not in self.no_binary or name in self.only_binary

    def sdists_allowed(self, name: str) -> bool:
        if name in self.only_binary:
            return False
        return ":all:" not in self.only_binary or name in self.no_binary


@dataclass(frozen=True)
class FileChoice:
    """The file an install takes (`None`: none), and the problem with the choice if any."""

    file: str | None
    problem: Problem | None = None


def choose_file(
    package: Package,
    supported: SupportedTags,
    policy: BinaryPolicy | None = None,
) -> FileChoice:
    """The lock file an install would take for `package`, or why there is none."""
    policy = policy or BinaryPolicy()

    def problem(kind: str, facts: Facts, have: str, severity: Severity = "error") -> Problem:
        return Problem(
            kind,
            facts,
            package.pretty_name,
            package.pretty_version,
            severity,
            supported.description,
            have,
        )

    if package.source_type in ("git", "directory"):
        origin = f"{package.source_type} {package.source_url or ''}".strip()
        return FileChoice(
            None, problem("builds-from-source", FromSource(origin), origin, "warning")
        )
    filenames = _lock_files(package)
    if not filenames:
        return FileChoice(None, problem("no-files", NoFiles(), ""))
    wheels = [(f, _wheel_tags(f)) for f in filenames if f.lower().endswith(".whl")]
    sdists = [f for f in filenames if not f.lower().endswith((".whl", *_SKIPPED_EXTS))]
    name = canonicalize_name(package.name)
    wheels_ok = policy.wheels_allowed(name)
    if wheels_ok and (best := _best_wheel(wheels, supported)):
        return _verified(package, FileChoice(best), problem)

    no_binary = bool(wheels) and not wheels_ok
    have = _describe_wheels(wheels, supported)
    files = tuple(filenames)
    if sdists and policy.sdists_allowed(name):
        build = NoWheel(supported.description, no_binary, have, files, sdist=sdists[0])
        choice = FileChoice(sdists[0], problem("builds-from-source", build, have, "warning"))
        return _verified(package, choice, problem)
    refused = NoWheel(supported.description, no_binary, have, files, sdist_refused=bool(sdists))
    return FileChoice(None, problem("no-wheel", refused, have))


def _verified(
    package: Package, choice: FileChoice, problem: Callable[[str, Facts, str], Problem]
) -> FileChoice:
    """The choice, unless the lock has no hash to verify its file with: then an error
    (Poetry's installer would stop at that package, after installing others). A package
    whose lock entry lists no files at all (a URL dependency written so) is not verified
    by Poetry either, and passes."""
    if choice.file is None or not package.files:
        return choice
    values = file_hashes(package, choice.file)
    fault = hash_fault(values)
    if fault is None:
        return choice
    bad = BadHash(choice.file, fault, next((v for v in values if v), ""))
    return FileChoice(choice.file, problem("bad-hash", bad, bad.value or "no hash"))


def file_hashes(package: Package, filename: str) -> tuple[str, ...]:
    """The hash values poetry.lock records for one of the package's files ("": none)."""
    return tuple(
        str(f.get("hash") or "")
        for f in package.files
        if isinstance(f, dict) and f.get("file") == filename
    ) or ("",)


def hash_fault(values: Iterable[str]) -> HashFault | None:
    """`None` when one of `values` is a hash Poetry can verify a file with
    (`algorithm:hexdigest`, an algorithm hashlib has, a digest of its length); else
    "missing" (no value at all), "upper-case" (`SHA256:<good digest>`: Poetry matches
    algorithms by their lower-case names) or "malformed"."""
    present = [v for v in values if v]
    if not present:
        return "missing"
    if verifiable_hash(present):
        return None
    if verifiable_hash(_lower_algorithm(v) for v in present):
        return "upper-case"
    return "malformed"


def _lower_algorithm(value: str) -> str:
    algorithm, sep, digest = value.partition(":")
    return f"{algorithm.lower()}{sep}{digest}"


def verifiable_hash(values: Iterable[str]) -> str | None:
    """The first of `values` that Poetry can verify a file with."""
    return next((v for v in values if _well_formed(v)), None)


def _well_formed(value: str) -> bool:
    algorithm, sep, digest = value.partition(":")
    if not sep or algorithm not in hashlib.algorithms_available:
        return False
    try:
        size = hashlib.new(algorithm).digest_size
    except (ValueError, TypeError):
        return False
    if size == 0:  # shake_*: any length
        return bool(_HEX.fullmatch(digest))
    return len(digest) == 2 * size and bool(_HEX.fullmatch(digest))


_HEX = re.compile(r"[0-9a-fA-F]+")


def usable_files(
    package: Package,
    supported: SupportedTags,
    policy: BinaryPolicy | None = None,
) -> tuple[str, ...]:
    """Every lock file an install on the target may take for `package`, best first.

    The wheels the target accepts, ranked as Poetry's chooser ranks them (the first is
    `choose_file`'s); when none is usable, the sdist `choose_file` would build. An installer
    handed exactly these files (a pylock.toml, a hashed requirements file) can only make
    Poetry's choice or one equally valid on that target. Empty for git/directory packages.
    """
    if package.source_type in ("git", "directory"):
        return ()
    policy = policy or BinaryPolicy()
    filenames = _lock_files(package)
    if policy.wheels_allowed(canonicalize_name(package.name)):
        ranked = sorted(
            (rank, i, f)
            for i, f in enumerate(filenames)
            if f.lower().endswith(".whl") and (rank := supported.rank(_wheel_tags(f))) is not None
        )
        if ranked:
            return tuple(f for _, _, f in ranked)
    choice = choose_file(package, supported, policy)
    return (choice.file,) if choice.file is not None else ()


def _lock_files(package: Package) -> list[str]:
    if package.source_type in ("url", "file") and package.source_url:
        return [package.source_url.replace("\\", "/").rsplit("/", 1)[-1]]
    return [f["file"] for f in package.files if "file" in f]


def _best_wheel(
    wheels: Iterable[tuple[str, frozenset[Tag]]], supported: SupportedTags
) -> str | None:
    """The wheel Poetry's chooser prefers: the one matching the target's best-ranked tag."""
    ranked = [(rank, f) for f, tags in wheels if (rank := supported.rank(tags)) is not None]
    return min(ranked)[1] if ranked else None


@lru_cache(maxsize=65536)
def _wheel_tags(filename: str) -> frozenset[Tag]:
    """Tags of a wheel file name: its last three dash-separated fields.

    Taking the fields from the end keeps odd names (local versions, build numbers,
    unnormalised project names) readable, as Poetry's own wheel-name pattern does.
    Cached: every target looks at the same files.
    """
    parts = filename[: -len(".whl")].split("-")
    if len(parts) < 5:
        return frozenset()
    try:
        return parse_tag("-".join(parts[-3:]))
    except ValueError:
        return frozenset()


def _describe_wheels(wheels: Sequence[tuple[str, frozenset[Tag]]], supported: SupportedTags) -> str:
    """What the lock's wheels offer, on the axis that failed.

    When some wheel matches the target's platform the Python tag is the culprit, so the
    interpreter/ABI pairs are listed; otherwise the platforms are.
    """
    platforms = supported.platforms
    on_platform = [tags for _, tags in wheels if any(t.platform in platforms for t in tags)]
    if on_platform:
        pairs = {
            f"{t.interpreter}-{t.abi}"
            for tags in on_platform
            for t in tags
            if t.platform in platforms
        }
        return ", ".join(sorted(pairs))
    return ", ".join(sorted({t.platform for _, tags in wheels for t in tags}))
