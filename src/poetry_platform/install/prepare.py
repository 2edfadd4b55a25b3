"""What `platform-install` decides before Poetry's installer runs, without the console.

The command reads its options into an `InstallRequest` and calls `prepare`, which returns
the variant, the extras and groups to add to the user's, and the installer; or raises the
one `PlatformError` that stops the install, before the venv is touched:

1. the lock is read once (and its parsed packages handed to Poetry's installer);
2. `context.decide` picks the variant (a variant the lock cannot deliver here is skipped);
3. the extras: the variant's, plus the user's `-E` (refusing an undeclared one, or one of
   another variant: asking for two exclusive extras installs neither build), or
   `--all-extras` without the other variants' ones;
4. a forced variant whose accelerator the lock cannot deliver is refused, unless allowed;
5. the installer: `--installer`, then `POETRY_PLATFORM_INSTALLER`, then the pyproject key,
   else `auto`: uv where it installs exactly as Poetry would (`installer_choice`);
6. platform-check for this very environment: a stale lock, a missing extra, two builds of
   one package or no file for this machine stops here, in one message, not after downloads.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from poetry_platform import poetry_api
from poetry_platform.errors import LockError
from poetry_platform.errors import PlatformError
from poetry_platform.errors import UsageError
from poetry_platform.install.choice import InstallChoice
from poetry_platform.install.choice import installer_choice
from poetry_platform.variants import VARIANT_ENV

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.utils import NormalizedName
    from poetry.poetry import Poetry
    from poetry.utils.env import Env

    from poetry_platform.context import Decision
    from poetry_platform.install.choice import InstallRequest
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.problems import ForbiddenPackage
    from poetry_platform.model import PlatformConfig
    from poetry_platform.model import Variant


def prepare(
    poetry: Poetry,
    env: Env,
    request: InstallRequest,
    groups: Collection[str],
    environ: Mapping[str, str] | None = None,
) -> InstallChoice:
    """The install to run, or the `PlatformError` that refuses it (see the module docstring).

    `groups` are the user's (Poetry's `--with/--without/--only` on the project's defaults);
    the variant's own are added with `with_variant_groups`.
    """
    from poetry_platform.context import decide
    from poetry_platform.lockset.lock import read_lock

    environ = os.environ if environ is None else environ
    lock = read_lock(poetry) if poetry.locker.is_locked() else None
    if lock is not None and lock.readable:
        _share_parsed_lock(poetry, lock)
    lookup = None
    if request.variant or environ.get(VARIANT_ENV):
        # A forced variant the lock cannot deliver is refused with its fixes: their versions
        # come from the index, as platform-check's do (bounded; auto-selection never asks).
        from poetry_platform.check.first_release import IndexLookup

        lookup = IndexLookup(poetry.pool)
    decision = decide(
        poetry,
        env.marker_env,
        environ=environ,
        variant_option=request.variant,
        lock=lock,
        groups=groups,
        first_release=lookup,
    )
    extras = extras_for(decision, request, poetry.package.extras)
    variant = decision.selection.chosen
    assert variant is not None
    _refuse_undeliverable(decision, variant, allow=request.allow_missing_accelerator)
    installer = installer_choice(
        request.installer,
        environ,
        decision.config,
        uv_importable=request.uv_importable,
        externally_managed=request.externally_managed,
    )
    if lock is not None:
        fidelity = decision.fidelity.get(variant.name)
        _check_plan(
            poetry,
            env,
            extras,
            with_variant_groups(groups, variant, only_root=request.only_root),
            lock,
            fidelity.forbidden if fidelity is not None else (),
        )
    return InstallChoice(decision, variant, tuple(sorted(extras)), installer)


def with_variant_groups(
    groups: Collection[str], variant: Variant | None, *, only_root: bool
) -> set[NormalizedName]:
    """The user's groups and the variant's own (none with --only-root: no dependencies)."""
    out = {canonicalize_name(g) for g in groups}
    if only_root or variant is None:
        return out
    return out | {canonicalize_name(g) for g in variant.groups}


def extras_for(
    decision: Decision, request: InstallRequest, declared: Mapping[NormalizedName, object]
) -> set[str]:
    """The variant's extras plus the user's, refusing any that belong to another variant."""
    from poetry_platform import render

    variant = decision.selection.chosen
    if variant is None:
        raise PlatformError(render.no_variant(decision.selection))
    if request.extras and request.all_extras:
        raise PlatformError("You cannot specify explicit --extras while using --all-extras.")
    config = decision.config
    foreign = _foreign_extras(config, variant)
    if request.all_extras:
        requested = {str(e) for e in declared} - foreign
    else:
        requested = {e for value in request.extras for e in value.split()}
        _refuse_undeclared(requested, config, declared)
        clashes = sorted(e for e in requested if canonicalize_name(e) in foreign)
        if clashes:
            owners = ", ".join(f"{e} (variant {_owner(config, e)})" for e in clashes)
            raise PlatformError(
                f"-E {' '.join(clashes)}: belongs to another variant: {owners}; "
                f"the selected variant is {variant.name}. "
                f"Use --variant NAME to install another variant instead."
            )
    return requested | set(variant.extras)


def _refuse_undeliverable(decision: Decision, variant: Variant, *, allow: bool) -> None:
    """A variant forced by the user whose accelerator the lock cannot deliver on this
    interpreter: installing it would give a CPU build under a GPU name. (An auto-selected
    one never gets here: `decide` skipped it like any unmet requirement.)"""
    fidelity = decision.fidelity.get(variant.name)
    if fidelity is None or fidelity.missing is None or allow:
        return
    from poetry_platform import render

    raise LockError(
        render.sentence(render.missing_accelerator(fidelity.missing)),
        "Nothing was installed; --allow-missing-accelerator installs it anyway.",
    )


def _check_plan(
    poetry: Poetry,
    env: Env,
    extras: set[str],
    groups: Collection[str],
    lock: LockState,
    forbidden: Sequence[ForbiddenPackage],
) -> None:
    """The platform-check for this host, before the venv is touched (`forbidden`: what the
    chosen variant's check found it forbids, so a duplicate of one gets platform-check's fix)."""
    from poetry_platform import render
    from poetry_platform.check.plan import check_install_plan

    problems = check_install_plan(
        poetry,
        marker_env=env.marker_env,
        supported_tags=env.supported_tags,
        extras=extras,
        groups=groups,
        lock=lock,
        forbidden=forbidden,
    )
    message = render.unfit_lock(problems)
    if message is not None:
        raise PlatformError(message)


def _share_parsed_lock(poetry: Poetry, lock: LockState) -> None:
    """Poetry's installer parses the lock's packages again (`Locker.locked_packages()`, the
    very call `read_lock` made): hand it the packages already parsed, so a no-op install
    pays for that parse once. They are the objects Poetry would build; nothing changes them.
    """
    poetry_api.share_locked_packages(poetry.locker, lock.locked)


def _foreign_extras(config: PlatformConfig, chosen: Variant) -> set[str]:
    own = {canonicalize_name(e) for e in chosen.extras}
    names = {canonicalize_name(e) for e in config.variant_extras}
    return {str(n) for n in names if n not in own}


def _refuse_undeclared(
    requested: set[str], config: PlatformConfig, declared: Mapping[NormalizedName, object]
) -> None:
    """An -E the project does not declare is the user's slip, not the lock's fault: say so
    here, and when it names a variant (an inferred `cpu` has no extra), the option to use."""
    missing = sorted(e for e in requested if canonicalize_name(e) not in declared)
    if not missing:
        return
    variant = next((v for e in missing if (v := config.variant(e)) is not None), None)
    if variant is not None:
        needs = (
            f"brings its own extras ({', '.join(variant.extras)})"
            if variant.extras
            else "needs none"
        )
        raise UsageError(
            f"-E {variant.name}: there is no extra `{variant.name}`; "
            f"the `{variant.name}` variant {needs}:",
            f"use `--variant {variant.name}`.",
        )
    from poetry_platform.errors import did_you_mean

    names = sorted(str(e) for e in declared)
    known = ", ".join(names) or "none"
    head = f"-E {' '.join(missing)}: the project declares no such extra (it has: {known})"
    hint = did_you_mean(missing[0], names) if len(missing) == 1 else ""
    if hint:  # `; did you mean cuda13?`
        raise UsageError(f"{head}{hint}", "Or declare it under [project.optional-dependencies].")
    raise UsageError(
        f"{head};", "declare it under [project.optional-dependencies] or fix the name."
    )


def _owner(config: PlatformConfig, extra: str) -> str:
    name = canonicalize_name(extra)
    return next(v.name for v in config.variants if name in {canonicalize_name(e) for e in v.extras})
