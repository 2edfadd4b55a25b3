"""Which other Pythons of this machine the lock serves a variant on.

platform-install refuses a forced variant whose accelerator the lock does not deliver on
this interpreter; its last fix is "use another Python". That fix is only worth printing
with the Pythons that would work: the lock's own answer (a lock made for `>=3.10` can give
jax's CUDA 13 plugin to 3.13 and up only), each judged as this one was: the variant's
accelerator delivered (`fidelity.judge`) and a file for every package of the set on this
machine (`plan.check_locked`). Pure: the lock and this machine's description in, the
Pythons out.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Iterable
    from collections.abc import Mapping

    from poetry.core.packages.dependency import Dependency

    from poetry_platform.lockset.files import BinaryPolicy
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.tags import SupportedTags
    from poetry_platform.model import Variant

# The CPython releases "use another Python" may name: 3.8, the oldest the accelerator
# projects still published wheels for, to 3.15, the newest released (2026-10).
PYTHONS = tuple(f"3.{minor}" for minor in range(8, 16))


def served_pythons(
    variant: Variant,
    *,
    lock: LockState,
    marker_env: Mapping[str, Any],
    groups: Collection[str],
    requirements: Iterable[Dependency],
    allowed: Callable[[str], bool],
    tags_for: Callable[[str], SupportedTags | None],
    policy: BinaryPolicy | None = None,
) -> tuple[str, ...]:
    """The Pythons (`3.X`, other than this environment's, allowed by the project) on which
    the lock delivers `variant`'s accelerator and has a file for every package.
    `tags_for(python)`: this machine's tags for that CPython, None when unknown (then no
    Python can be vouched for)."""
    from poetry_platform.check.fidelity import judge
    from poetry_platform.check.plan import check_locked
    from poetry_platform.lockset.install_set import select_locked
    from poetry_platform.lockset.install_set import with_python
    from poetry_platform.lockset.problems import blocking

    here = str(marker_env.get("python_version", ""))
    requirements = list(requirements)
    served = []
    for python in PYTHONS:
        if python == here or not allowed(python):
            continue
        tags = tags_for(python)
        if tags is None:
            continue
        env = with_python(marker_env, python)
        selected = select_locked(lock.locked, env, groups, variant.extras)
        verdict = judge(
            variant,
            python=python,
            selected=selected,
            without_extras=partial(select_locked, lock.locked, env, groups, ()),
            locked=lock.locked,
            relations=lock.relations_of,
            requirements=requirements,
            marker_env=env,
        )
        if not verdict.applies or verdict.missing is not None:
            continue
        files = check_locked(
            lock.locked,
            marker_env=env,
            supported_tags=tags,
            groups=groups,
            extras=variant.extras,
            policy=policy,
            selected=selected,
        )
        if not blocking(files.problems):
            served.append(python)
    return tuple(served)
