"""The shared first phase of every command: read the project's platform config, probe the
host, pick a variant. Kept in one place so that `platform-show`, `platform-install` and
`platform-check` cannot drift apart on how a variant is chosen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from poetry_platform.config import load_config
from poetry_platform.config import project_data
from poetry_platform.errors import PlatformError
from poetry_platform.variants import VARIANT_ENV
from poetry_platform.variants import select

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Mapping

    from cleo.io.io import IO
    from poetry.core.packages.package import Package
    from poetry.poetry import Poetry

    from poetry_platform.check.fidelity import Fidelity
    from poetry_platform.check.fidelity import FirstRelease
    from poetry_platform.host.profile import HostProfile
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.problems import MissingAccelerator
    from poetry_platform.lockset.tags import SupportedTags
    from poetry_platform.model import PlatformConfig
    from poetry_platform.model import Variant
    from poetry_platform.variants import Selection
    from poetry_platform.variants import Unmet


@dataclass(frozen=True)
class Decision:
    config: PlatformConfig
    host: HostProfile
    selection: Selection
    # What each variant delivers from the lock on this interpreter (empty: not judged).
    fidelity: Mapping[str, Fidelity] = field(default_factory=dict)


def project_config(
    poetry: Poetry, data: Mapping[str, Any] | None = None, *, lenient_targets: bool = False
) -> PlatformConfig:
    """`[tool.poetry-platform]` validated against the project's own extras and groups.

    `data`: the pyproject where the caller has already read it (platform-up reads it from
    the text it holds); else `project_data`.
    `lenient_targets`: see `config.load_config` (show and install).
    """
    from poetry_platform.config import ConfigError

    package = poetry.package
    try:
        return load_config(
            project_data(poetry) if data is None else data,
            extras=[str(e) for e in package.extras],
            groups=[str(g) for g in package.dependency_group_names(include_optional=True)],
            lenient_targets=lenient_targets,
        )
    except ConfigError as e:  # the same error, now saying which file holds the table
        raise ConfigError(e.key, e.problem, e.fix, file="pyproject.toml") from e


def probe_host(environ: Mapping[str, str] | None = None) -> HostProfile:
    from poetry_platform.host.detect import detect_host

    return detect_host(environ)


@dataclass(frozen=True)
class ProjectPython:
    """The interpreter the project installs into, and its PEP 508 marker environment."""

    marker_env: Mapping[str, Any]
    # Where it came from: the project's virtualenv, the system environment (virtualenvs
    # off), or the interpreter `poetry install` would create the venv with; `path` is that
    # environment or interpreter. `render.project_python` words it.
    origin: Literal["venv", "system", "to-create"]
    path: str

    @property
    def version(self) -> str:
        return str(self.marker_env.get("python_full_version", "?"))


def project_python(poetry: Poetry, io: IO | None = None) -> ProjectPython:
    """The environment `poetry install` would use, without creating it.

    `platform-show`, `platform-check` (no targets) and `platform-install` must judge markers
    for the same interpreter, and that is the project's, not the one Poetry runs on (a
    pipx-installed Poetry on 3.13 installing into a 3.10 venv). In Poetry's own order: the
    existing or activated virtualenv; the system environment when `virtualenvs.create` is
    off; else the Python Poetry would create the venv with (the active or Poetry's own,
    falling back to a compatible one when the project excludes it).
    """
    import json
    import subprocess

    from poetry.utils.env import EnvManager
    from poetry.utils.env.python import Python
    from poetry.utils.env.script_strings import GET_ENVIRONMENT_INFO

    env = EnvManager(poetry, io=io).get()
    if env.is_venv():
        return ProjectPython(dict(env.marker_env), "venv", str(env.path))
    if not poetry.config.get("virtualenvs.create", True):
        return ProjectPython(dict(env.marker_env), "system", str(env.path))
    try:
        python = Python.get_preferred_python(config=poetry.config)
        if not poetry.package.python_constraint.allows(python.patch_version):
            python = Python.get_compatible_python(poetry=poetry)
        done = subprocess.run(
            [str(python.executable), "-c", GET_ENVIRONMENT_INFO],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        marker_env = json.loads(done.stdout)
    except Exception as e:  # no compatible Python, or it would not run: say so, once
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise PlatformError(
            f"Cannot tell which Python this project installs into: {first}",
            "Create the environment first (`poetry env use python3.X`).",
        ) from e
    return ProjectPython(marker_env, "to-create", str(python.executable))


def decide(
    poetry: Poetry,
    marker_env: Mapping[str, object],
    *,
    variant_option: str | None,
    environ: Mapping[str, str] | None = None,
    host: HostProfile | None = None,
    lock: LockState | None = None,
    groups: Collection[str] = (),
    judge_all: bool = False,
    first_release: FirstRelease | None = None,
) -> Decision:
    """Config, host and the chosen variant. `--variant` beats the environment variable.

    With `lock` (read once by the caller), each variant is also judged on what the lock
    delivers for `marker_env` with `groups` plus its own: one whose accelerator the lock
    cannot deliver on this interpreter is unmet, so auto-selection falls through to the
    next (a forced one is the caller's to refuse, see `undeliverable`). Judging costs a
    selection over the lock per variant, so only the variants that can matter are judged
    (the forced one; else the host-satisfied ones in order, up to the first that delivers),
    unless `judge_all` (platform-show lists every verdict). `first_release` is the index
    lookup the fixes of a missing accelerator name their versions from, as platform-check's.
    """
    environ = os.environ if environ is None else environ
    config = project_config(poetry, lenient_targets=True)  # targets are check data
    if host is None:
        host = probe_host(environ)
    forced, forced_by = None, None
    if variant_option:
        forced, forced_by = variant_option, "--variant"
    elif environ.get(VARIANT_ENV):
        forced, forced_by = environ[VARIANT_ENV], VARIANT_ENV
    fidelity: dict[str, Fidelity] = {}
    if lock is not None and lock.readable:
        # Only a forced variant's refusal prints its fixes: only there is "use another
        # Python" worth judging the lock once per Python for.
        judge = _Judge(poetry, marker_env, lock, groups, first_release, host if forced else None)
        fidelity = _judged(config, host, marker_env, forced, judge_all, judge)
    selection = select(
        config.variants,
        host,
        marker_env,
        forced=forced,
        forced_by=forced_by,
        undeliverable=undeliverable(fidelity),
        inferred=config.variants_inferred,
    )
    return Decision(config, host, selection, fidelity)


class _Judge:
    """`check.fidelity.judge` for one variant at a time on this interpreter's install set,
    sharing the selections that do not depend on the variant."""

    def __init__(
        self,
        poetry: Poetry,
        marker_env: Mapping[str, object],
        lock: LockState,
        groups: Collection[str],
        first_release: FirstRelease | None = None,
        host: HostProfile | None = None,
    ) -> None:
        """`host`: this machine, to name the other Pythons the lock serves a variant on in
        its "use another Python" fix (`check/served.py`); None: that fix keeps its words."""
        from poetry_platform.check.declared import Declared

        self._poetry = poetry
        self._host = host
        self._first_release = first_release
        self._declared = Declared.of(project_data(poetry))
        self._env = dict(marker_env)
        self._lock = lock
        self._groups = groups
        self._without: dict[tuple[str, ...], list[Package]] = {}

    def __call__(self, variant: Variant) -> Fidelity:
        from poetry_platform.check.fidelity import judge
        from poetry_platform.lockset.install_set import select_locked
        from poetry_platform.lockset.lock import root_requirements

        lock, env = self._lock, self._env
        wanted = tuple(sorted({*self._groups, *variant.groups}))

        def without() -> list[Package]:
            if wanted not in self._without:
                self._without[wanted] = select_locked(lock.locked, env, wanted, ())
            return self._without[wanted]

        fidelity = judge(
            variant,
            python=str(env.get("python_version", "?")),
            selected=select_locked(lock.locked, env, wanted, variant.extras),
            without_extras=without,
            locked=lock.locked,
            relations=lock.relations_of,
            requirements=root_requirements(self._poetry, wanted),
            marker_env=env,
            first_release=self._first_release,
            declared=self._declared,
        )
        missing = fidelity.missing
        if missing is None or not any(r.kind == "other-python" for r in missing.remedies):
            return fidelity
        served = self._served(variant, wanted) if self._host is not None else None
        return fidelity if served is None else _with_served(fidelity, missing, variant, served)

    def _served(self, variant: Variant, wanted: tuple[str, ...]) -> tuple[str, ...] | None:
        """The project's other Pythons the lock serves the variant on (`check/served.py`);
        None off CPython (this machine's tags for another interpreter are not known)."""
        from functools import partial

        from poetry.core.constraints.version import Version as PoetryVersion

        from poetry_platform.check.served import served_pythons
        from poetry_platform.lockset.lock import binary_policy
        from poetry_platform.lockset.lock import root_requirements

        if self._env.get("implementation_name") != "cpython":
            return None
        constraint = self._poetry.package.python_constraint
        return served_pythons(
            variant,
            lock=self._lock,
            marker_env=self._env,
            groups=wanted,
            requirements=root_requirements(self._poetry, wanted),
            allowed=lambda python: constraint.allows(PoetryVersion.parse(f"{python}.0")),
            tags_for=partial(host_tags, self._host, self._env),
            policy=binary_policy(self._poetry),
        )


def host_tags(
    host: HostProfile | None, marker_env: Mapping[str, object], python: str
) -> SupportedTags | None:
    """This machine's wheel tags for CPython `python`: its platform (libc or macOS version
    from the host's probes, any when unknown) with that interpreter; None where the
    platform has no tags or a probe's version text does not parse (that Python is then
    not vouched for, and nothing breaks)."""
    from packaging.version import InvalidVersion
    from packaging.version import Version

    from poetry_platform.lockset.tags import SupportedTags
    from poetry_platform.lockset.tags import TagError
    from poetry_platform.lockset.tags import tag_target

    try:
        libc = Version(host.libc_version) if host and host.libc_version else None
        macos = Version(host.macos_version) if host and host.macos_version else None
        return SupportedTags.for_target(
            tag_target(
                str(marker_env.get("sys_platform", "")),
                str(marker_env.get("platform_machine", "")),
                Version(python),
                glibc=libc if host and host.libc == "glibc" else None,
                musl=libc if host and host.libc == "musl" else None,
                macos=macos,
            )
        )
    except (TagError, InvalidVersion):
        return None


def _with_served(
    fidelity: Fidelity, missing: MissingAccelerator, variant: Variant, served: tuple[str, ...]
) -> Fidelity:
    """`fidelity` with its "other-python" fix naming `served`, or without it when empty."""
    from dataclasses import replace

    remedies = tuple(
        replace(r, served=served, variant=variant.name) if r.kind == "other-python" else r
        for r in missing.remedies
        if r.kind != "other-python" or served
    )
    return replace(fidelity, missing=replace(missing, remedies=remedies))


def _judged(
    config: PlatformConfig,
    host: HostProfile,
    marker_env: Mapping[str, object],
    forced: str | None,
    judge_all: bool,
    judge: _Judge,
) -> dict[str, Fidelity]:
    """The verdicts that can matter: every variant's with `judge_all`; the forced one's; else
    the host-satisfied variants' in order, up to the first that delivers (the one picked)."""
    from poetry_platform.variants import evaluate

    if judge_all:
        return {v.name: judge(v) for v in config.variants}
    if forced is not None:
        return {v.name: judge(v) for v in config.variants if v.name == forced}
    out: dict[str, Fidelity] = {}
    for variant in config.variants:
        if evaluate(variant, host, marker_env).satisfied:
            out[variant.name] = judge(variant)
            if out[variant.name].missing is None:
                break
    return out


def undeliverable(fidelity: Mapping[str, Fidelity]) -> dict[str, Unmet]:
    """The lock's verdicts as unmet requirements of the variants it cannot deliver."""
    from poetry_platform.variants import Unmet

    return {
        name: Unmet(
            "accelerator",
            " or ".join(f.missing.patterns or f.missing.extras),
            (f.missing.python,),
            missing=f.missing,
        )
        for name, f in fidelity.items()
        if f.missing is not None
    }
