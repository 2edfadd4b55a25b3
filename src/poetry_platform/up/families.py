"""Which entries must move to the same version: variants of one package, and families.

Two entries of one package (`torch` `+cpu` from one source and `+cu130` from another,
`jaxlib` for macOS and for Linux, `numpy` in main and in a group) share a version, because
Poetry resolves all groups and markers into one lock: they move in lockstep. Entries split on
purpose by Python range (`python = "<3.11"` / `">=3.11"`) never meet in one environment,
so they move independently.

Some packages only work at equal versions: JAX's (`jax`, `jaxlib`, `jax-cudaNN-plugin`,
`jax-cudaNN-pjrt`, and the ROCm counterparts) is built in; users declare others in
`[tool.poetry-platform] linked = [["pkg-a", "pkg-b"]]`. A family is treated like one package.

PyTorch's family is built against one package instead: each `torchvision` / `torchaudio`
release is built for one `torch` release and says so (`Requires-Dist: torch==2.9.0`), with
unrelated version numbers. They are companions of their anchor, torch: they move with it,
each to its release whose requirement on torch admits torch's new version. A `linked` group
that names torch (`[["torch", "xformers"]]`) makes the others companions of torch too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from poetry_platform.accelerators import JAX_FAMILY
from poetry_platform.accelerators import TORCH
from poetry_platform.accelerators import TORCH_COMPANIONS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence

    from poetry.core.constraints.version import VersionConstraint

PYTORCH_FAMILY = "PyTorch family"


def family_key(name: str, linked: Iterable[Iterable[str]] = ()) -> str:
    """The name of the family `name` belongs to (the package itself if none)."""
    normalized = canonicalize_name(name)
    for i, family in enumerate(linked):
        names = {canonicalize_name(n) for n in family}
        if normalized in names:
            if TORCH in names:
                return PYTORCH_FAMILY
            return f"linked #{i + 1} ({', '.join(sorted(names))})"
    if JAX_FAMILY.match(normalized):
        return "JAX family"
    if normalized == TORCH or normalized in TORCH_COMPANIONS:
        return PYTORCH_FAMILY
    return normalized


def anchor_of(name: str, linked: Iterable[Iterable[str]] = ()) -> str | None:
    """The package `name` is built against (torch for its companions), or None."""
    normalized = canonicalize_name(name)
    if normalized == TORCH:
        return None
    if normalized in TORCH_COMPANIONS:
        return TORCH
    for family in linked:
        names = {canonicalize_name(n) for n in family}
        if normalized in names and TORCH in names:
            return TORCH
    return None


def is_family(key: str, name: str) -> bool:
    return key != canonicalize_name(name)


@dataclass(frozen=True)
class Member:
    """Something that takes part in a version choice: a declaration or a locked package."""

    name: str
    python: VersionConstraint  # the Pythons this entry is used on


def units(members: Sequence[Member], linked: Iterable[Iterable[str]] = ()) -> list[list[int]]:
    """Indices of `members`, grouped into sets that must share one version.

    Members join when they are of one package or family and their Python ranges overlap,
    transitively. Groups come out in the order of their first member.
    """
    families = [tuple(f) for f in linked]
    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keys = [family_key(m.name, families) for m in members]
    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            if keys[i] != keys[j]:
                continue
            if members[i].python.intersect(members[j].python).is_empty():
                continue
            parent[find(j)] = find(i)
    grouped: dict[int, list[int]] = {}
    for i in range(len(members)):
        grouped.setdefault(find(i), []).append(i)
    return sorted(grouped.values(), key=lambda g: g[0])
