"""The `[tool.poetry-platform]` table: parsed once, validated strictly, errors that name the key.

Users edit this table by hand and a typo must not silently change which build a GPU
server gets, so every unknown key, bad specifier or marker, duplicate name and dangling
reference to an extra or group is refused with the exact key that is wrong and how to fix it.
When the table declares no variants, they are inferred from the project's extras named
like CUDA/ROCm/CPU builds (`cuda13`, `cu126`, `rocm6.2`, `cpu`), so a JAX project with
`cuda12`/`cuda13` extras needs no configuration: that knowledge is `accelerators.py`'s.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

from packaging.markers import InvalidMarker
from packaging.markers import Marker
from packaging.specifiers import InvalidSpecifier
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion
from packaging.version import Version

from poetry_platform.accelerators import infer_promise
from poetry_platform.accelerators import infer_variants
from poetry_platform.errors import UsageError
from poetry_platform.errors import did_you_mean
from poetry_platform.model import PlatformConfig
from poetry_platform.model import Promise
from poetry_platform.model import Requirements
from poetry_platform.model import Target
from poetry_platform.model import Variant
from poetry_platform.patterns import PATTERN
from poetry_platform.patterns import glob_fault
from poetry_platform.patterns import normalize_pattern

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Iterator
    from collections.abc import Mapping

    from poetry.poetry import Poetry

TABLE = "tool.poetry-platform"
INSTALLERS = ("auto", "poetry", "uv")


class ConfigError(UsageError):
    """A problem in `[tool.poetry-platform]`; `key` is the dotted path of the culprit."""

    def __init__(self, key: str, problem: str, fix: str = "", *, file: str = "") -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        text = f"[{TABLE}] {key}: {problem}"
        if file:  # where the caller knows it: the message then names the file first
            text = f"Invalid configuration in {file}: {text}"
        if fix and problem.endswith("?"):  # after "did you mean cuda13?": a sentence of its own
            text += f" Otherwise {fix}"
        elif fix:
            text += f"; {fix}"
        super().__init__(text)


# The keys each table may hold (the fuzz tests draw their keys from these too).
TOP_KEYS = {"variant", "target", "linked", "installer"}
VARIANT_KEYS = {"name", "extras", "groups", "requires", "description", "provides", "forbids"}
REQUIRES_KEYS = {"markers", "cuda", "compute-capability", "rocm"}
TARGET_KEYS = {
    "name",
    "sys_platform",
    "platform_machine",
    "python",
    "variant",
    "groups",
    "macos",
    "glibc",
    "musl",
    "implementation",
}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def load_config(
    pyproject: Mapping[str, Any],
    extras: Collection[str],
    groups: Collection[str],
    *,
    lenient_targets: bool = False,
) -> PlatformConfig:
    """Parse and validate `[tool.poetry-platform]` of an already-read pyproject.

    `extras` and `groups` are the project's own (as Poetry sees them), used to refuse
    variants that name something the project does not declare. `lenient_targets`: a broken
    `[[target]]` leaves no targets and its error in `target_error` instead of raising
    (targets are for platform-check and platform-export; show and install go on).
    """
    tool = pyproject.get("tool") or {}
    table = tool.get("poetry-platform") or {}
    if not hasattr(table, "items"):
        raise ConfigError("", "must be a table", "write [tool.poetry-platform]")
    table = dict(table)
    _reject_unknown(table, TOP_KEYS, "")

    extra_names: set[str] = {canonicalize_name(e) for e in extras}
    group_names: set[str] = {canonicalize_name(g) for g in groups}

    raw_variants = table.get("variant")
    if raw_variants is None:
        variants = infer_variants(extras)
        inferred = True
    else:
        variants = _parse_variants(raw_variants, extra_names, group_names)
        inferred = False

    target_error = None
    try:
        targets = _parse_targets(table.get("target", []), {v.name for v in variants}, group_names)
    except ConfigError as e:
        if not lenient_targets:
            raise
        targets, target_error = (), str(e)
    linked = _parse_linked(table.get("linked", []))
    installer = table.get("installer")
    if installer is not None and installer not in INSTALLERS:
        raise ConfigError(
            "installer", f"unknown installer {installer!r}", f"use one of {', '.join(INSTALLERS)}"
        )
    return PlatformConfig(
        variants=variants,
        variants_inferred=inferred,
        targets=targets,
        linked=linked,
        installer=installer,
        target_error=target_error,
    )


# One example per key, of that key's kind, for its error messages (a glibc version is not
# a Python version).
_EXAMPLES = {
    "python": '"3.12"',
    "macos": '"14.0"',
    "glibc": '"2.28"',
    "musl": '"1.2"',
    "cuda": '">=12.0"',
    "compute-capability": '">=7.5"',
    "rocm": '">=6.0"',
    "extras": '["cuda13"]',
    "groups": '["main", "gpu"]',
    "provides": '["jax-cuda13-plugin", "nvidia-*", "torch+cu126"]',
    "forbids": '["nvidia-*", "!nvidia-nccl-cu12"]',
}


def _example(key: str, default: str = '["a"]') -> str:
    """`e.g. glibc = "2.28"`: the example for the key at the end of a dotted path."""
    last = key.rsplit(".", 1)[-1]
    return f"e.g. {last} = {_EXAMPLES.get(last, default)}"


def _reject_unknown(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            path = f"{where}.{key}" if where else key
            raise ConfigError(
                path,
                f"unknown key{did_you_mean(key, sorted(allowed))}",
                f"allowed keys here are {', '.join(sorted(allowed))}",
            )


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, "must be a list of strings", _example(key))
    return tuple(str(v) for v in value)


def _declared(value: Any, key: str, declared: set[str], what: str, fix: str) -> tuple[str, ...]:
    """A list of names the project declares (its extras or its groups), else the error."""
    names = _str_list(value, key)
    for name in names:
        if canonicalize_name(name) not in declared:
            known = ", ".join(sorted(declared)) or "none"
            hint = did_you_mean(canonicalize_name(name), sorted(declared))
            raise ConfigError(
                key, f"the project has no {what} {name!r} (it has: {known}){hint}", fix
            )
    return names


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ConfigError(
            key, f"{value!r} is not a valid name", "use letters, digits, '.', '_' or '-'"
        )
    return value


def _specifier(value: Any, key: str) -> SpecifierSet:
    example = _example(key, '">=12.0"')
    if not isinstance(value, str):
        raise ConfigError(key, "must be a version specifier string", example)
    try:
        spec = SpecifierSet(value)
    except InvalidSpecifier:
        # A bare version ("12.4") is a natural thing to write: read it as ">=12.4".
        try:
            Version(value)
        except InvalidVersion:
            raise ConfigError(key, f"{value!r} is not a valid version specifier", example) from None
        spec = SpecifierSet(f">={value}")
    return spec


def _named_tables(
    raw: Any, kind: str, allowed: set[str], example: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(name, where, table) for each table of `[[tool.poetry-platform.<kind>]]`, checked for
    shape, a valid unique name and unknown keys; `where` names it in later errors."""
    if not isinstance(raw, list):
        raise ConfigError(kind, "must be an array of tables", f"write [[{TABLE}.{kind}]]")
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{kind}[{i}]"
        if not hasattr(item, "items"):
            raise ConfigError(where, "must be a table")
        table = dict(item)
        if "name" not in table:
            raise ConfigError(f"{where}.name", "is required", f'add name = "{example}"')
        name = _name(table["name"], f"{where}.name")
        where = f"{kind}[{i}] ({name})"
        _reject_unknown(table, allowed, where)
        if name in seen:
            raise ConfigError(
                f"{where}.name", f"duplicate {kind} name {name!r}", "names must be unique"
            )
        seen.add(name)
        yield name, where, table


def _parse_variants(raw: Any, extras: set[str], groups: set[str]) -> tuple[Variant, ...]:
    out: list[Variant] = []
    for name, where, item in _named_tables(raw, "variant", VARIANT_KEYS, "cpu"):
        v_extras = _declared(
            item.get("extras", []),
            f"{where}.extras",
            extras,
            "extra",
            "declare it under [project.optional-dependencies] or fix the name",
        )
        v_groups = _declared(
            item.get("groups", []),
            f"{where}.groups",
            groups,
            "group",
            "declare it under [tool.poetry.group.<name>] or fix the name",
        )
        description = item.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(f"{where}.description", "must be a string")
        requires = _parse_requires(item.get("requires", {}), f"{where}.requires")
        inferred = infer_promise(name, v_extras)
        provides = (
            _patterns(item["provides"], f"{where}.provides")
            if "provides" in item
            else inferred.provides
        )
        promise = Promise(
            provides=provides,
            forbids=(
                _patterns(item["forbids"], f"{where}.forbids", exceptions=True)
                if "forbids" in item
                else inferred.forbids
            ),
            families=() if "provides" in item else inferred.families,
            forbids_declared="forbids" in item,
            generic=inferred.generic,
        )
        out.append(Variant(name, v_extras, v_groups, requires, description, promise))
    if not out:
        raise ConfigError(
            "variant", "declares no variant", "add at least one [[tool.poetry-platform.variant]]"
        )
    return tuple(out)


def _patterns(value: Any, key: str, *, exceptions: bool = False) -> tuple[str, ...]:
    """Package globs, normalized as names are: `Jax_Cuda13*` finds `jax-cuda13-plugin`.

    Checked for meaning, not only characters: `fnmatch` reads an unclosed `[` as a literal
    and `!` alone as an exception for nothing, so such a glob would silently match nothing.
    """
    patterns = _str_list(value, key)
    for pattern in patterns:
        if pattern.startswith("!") and not exceptions:
            raise ConfigError(key, f"{pattern!r}: exceptions (`!`) belong in forbids only")
        fault = None if PATTERN.match(pattern) else "is not a package pattern"
        fault = fault or glob_fault(pattern.removeprefix("!"))
        if fault:
            raise ConfigError(
                key,
                f"{pattern!r} {fault}",
                "use a distribution name or glob, optionally +label: " + _example(key),
            )
    return tuple(normalize_pattern(p) for p in patterns)


def _parse_requires(raw: Any, where: str) -> Requirements:
    if not hasattr(raw, "items"):
        raise ConfigError(where, "must be a table", 'e.g. requires = { cuda = ">=12.0" }')
    raw = dict(raw)
    _reject_unknown(raw, REQUIRES_KEYS, where)
    markers = None
    if "markers" in raw:
        value = raw["markers"]
        if not isinstance(value, str):
            raise ConfigError(f"{where}.markers", "must be a PEP 508 marker string")
        try:
            markers = Marker(value)
        except InvalidMarker as e:
            first = str(e).splitlines()[0]
            raise ConfigError(
                f"{where}.markers",
                f"{value!r} is not a valid PEP 508 marker ({first})",
                "e.g. markers = \"sys_platform == 'linux'\"",
            ) from None
    return Requirements(
        markers=markers,
        cuda=_specifier(raw["cuda"], f"{where}.cuda") if "cuda" in raw else None,
        compute_capability=(
            _specifier(raw["compute-capability"], f"{where}.compute-capability")
            if "compute-capability" in raw
            else None
        ),
        rocm=_specifier(raw["rocm"], f"{where}.rocm") if "rocm" in raw else None,
    )


def _version(value: Any, key: str) -> Version:
    example = _example(key, '"1.0"')
    if not isinstance(value, str):
        raise ConfigError(key, "must be a version string", example)
    try:
        return Version(value)
    except InvalidVersion:
        raise ConfigError(key, f"{value!r} is not a valid version", example) from None


def _parse_targets(raw: Any, variants: set[str], groups: set[str]) -> tuple[Target, ...]:
    out: list[Target] = []
    for name, where, item in _named_tables(raw, "target", TARGET_KEYS, "linux-gpu"):
        for required in ("sys_platform", "platform_machine", "python"):
            if required not in item:
                raise ConfigError(f"{where}.{required}", "is required")
        for key in ("sys_platform", "platform_machine"):
            if not isinstance(item[key], str) or not item[key]:
                raise ConfigError(f"{where}.{key}", "must be a non-empty string")
        _check_target_platform(item, where)
        python = item["python"]
        pythons_raw = python if isinstance(python, list) else [python]
        pythons = tuple(_version(p, f"{where}.python") for p in pythons_raw)
        if not pythons:
            raise ConfigError(f"{where}.python", "must name at least one Python version")
        variant = item.get("variant")
        if variant is not None and variant not in variants:
            raise ConfigError(
                f"{where}.variant",
                f"there is no variant {variant!r} (variants: {', '.join(sorted(variants))})"
                f"{did_you_mean(variant, sorted(variants))}",
                "name a declared variant",
            )
        t_groups = _str_list(item.get("groups", ["main"]), f"{where}.groups")
        for group in t_groups:
            if canonicalize_name(group) != "main" and canonicalize_name(group) not in groups:
                raise ConfigError(
                    f"{where}.groups",
                    f"the project has no group {group!r}{did_you_mean(group, sorted(groups))}",
                )
        implementation = item.get("implementation", "cp")
        if implementation not in ("cp", "pp"):
            raise ConfigError(f"{where}.implementation", 'must be "cp" or "pp"')
        out.append(
            Target(
                name=name,
                sys_platform=item["sys_platform"],
                platform_machine=item["platform_machine"],
                pythons=pythons,
                variant=variant,
                groups=t_groups,
                macos=_version(item["macos"], f"{where}.macos") if "macos" in item else None,
                glibc=_version(item["glibc"], f"{where}.glibc") if "glibc" in item else None,
                musl=_version(item["musl"], f"{where}.musl") if "musl" in item else None,
                implementation=implementation,
            )
        )
    return tuple(out)


_TARGET_OS_KEYS = {"linux": ("glibc", "musl"), "darwin": ("macos",), "win32": ()}


def _check_target_platform(item: Mapping[str, Any], where: str) -> None:
    """Wheel tags are only known for these OSes, and each version key belongs to one of them."""
    sys_platform = item["sys_platform"]
    if sys_platform not in _TARGET_OS_KEYS:
        raise ConfigError(
            f"{where}.sys_platform",
            f"unknown sys_platform {sys_platform!r}",
            f"use one of {', '.join(_TARGET_OS_KEYS)}",
        )
    for key in ("glibc", "musl", "macos"):
        if key in item and key not in _TARGET_OS_KEYS[sys_platform]:
            raise ConfigError(f"{where}.{key}", f"does not apply to sys_platform {sys_platform!r}")
    if "glibc" in item and "musl" in item:
        raise ConfigError(f"{where}.musl", "a target has one libc", "give glibc or musl, not both")


def _parse_linked(raw: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(raw, list):
        raise ConfigError(
            "linked", "must be a list of lists of package names", 'e.g. linked = [["a", "b"]]'
        )
    out: list[tuple[str, ...]] = []
    for i, family in enumerate(raw):
        names = _str_list(family, f"linked[{i}]")
        if len(names) < 2:
            raise ConfigError(f"linked[{i}]", "must name at least two packages")
        out.append(tuple(canonicalize_name(n) for n in names))
    return tuple(out)


_DATA: dict[int, tuple[Poetry, dict[str, Any]]] = {}


def project_data(poetry: Poetry) -> Mapping[str, Any]:
    """pyproject.toml as plain data, read once per project object with tomllib.

    Poetry's `pyproject.data` is a tomlkit document, parsed on first use: ~30 s of CPU for a
    pyproject padded to 23 MB of comments, where tomllib takes under a second. Our commands
    only read the file, so they never need the editable document.
    """
    from poetry_platform.poetry_api import toml_loads

    held = _DATA.get(id(poetry))
    if held is None or held[0] is not poetry:
        _DATA.clear()  # one project per command; never keep an old one alive
        held = _DATA[id(poetry)] = (poetry, toml_loads(poetry.pyproject_path.read_text("utf-8")))
    return held[1]
