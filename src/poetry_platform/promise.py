"""What a variant promises (`Promise`: what it must deliver, what it must not bring), and
the package patterns promises are made of: their syntax, what makes one meaningless, and
the normalized form `check.fidelity.matches` compares against.

A pattern is an `fnmatch` glob over a distribution name, optionally with a glob over the
version's local label after `+` (`torch+cu126`, `jaxlib+cuda12*`); in `forbids`, a leading
`!` makes it an exception (`!nvidia-ml-py`). `config.py` checks the user's patterns with
these rules; the inferred ones (`accelerators.py`) are written in the normalized form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A distribution-name glob, optionally `+` and a glob over the local version label; in
# `forbids`, a leading `!` makes it an exception.
PATTERN = re.compile(r"^!?[A-Za-z0-9._*?\[\]!-]+(\+[A-Za-z0-9._*?\[\]!-]+)?$")


def glob_fault(glob: str) -> str | None:
    """What is wrong with a package glob (without its leading `!`), or None.

    Each part (the name, the label after `+`) is non-empty; every `[` closes with a `]`
    after at least one character (`[!...]` negates a set); no `]` or `!` stands alone.
    """
    name, plus, label = glob.partition("+")
    for part in (name, label) if plus else (name,):
        if not part:
            return "has an empty part" if glob else "is an exception of nothing"
        i = 0
        while i < len(part):
            c = part[i]
            if c == "[":
                start = i + 2 if part[i + 1 : i + 2] == "!" else i + 1
                close = part.find("]", start + 1)
                if start >= len(part) or close == -1:
                    return "has an unclosed `[`"
                if "[" in part[start:close]:
                    return "has a `[` inside a `[...]` set"
                i = close + 1
                continue
            if c == "]":
                return "has a `]` without its `[`"
            if c == "!":
                return "has a `!` that is not at the start (exceptions begin with `!`)"
            i += 1
    return None


def normalize_pattern(pattern: str) -> str:
    """`Jax_CUDA13*+CU126` -> `jax-cuda13*+cu126`: the form matching compares against."""
    bang = "!" if pattern.startswith("!") else ""
    name, plus, label = pattern.removeprefix("!").partition("+")
    return bang + re.sub(r"[-_.]+", "-", name).lower() + plus + label.lower()


@dataclass(frozen=True)
class FamilyRule:
    """An inferred `provides` that holds only where its family is installed.

    `cuda13` means "JAX's CUDA 13 plugin" only in a project that installs JAX: a project
    whose `cuda13` extra pulls some other library's CUDA build is not held to it (it gets
    the generic rule instead).
    """

    family: str
    present: tuple[str, ...]
    provides: tuple[str, ...]


@dataclass(frozen=True)
class Promise:
    """What a variant must deliver (`provides`) and must not bring (`forbids`).

    Patterns are `fnmatch` globs over normalized distribution names, optionally with a
    glob over the version's local label after `+` (`torch+cu126`, `jaxlib+cuda12*`).
    `provides` set by the user replaces every inferred rule; otherwise a variant with
    extras must get, from them, at least one distribution the set without them lacks,
    or, where one of `families` is installed, one of that family's builds. A CPU variant
    promises no accelerator, only the absence of GPU builds (`forbids`).
    """

    provides: tuple[str, ...] | None = None  # None: not declared (the inferred rules apply)
    forbids: tuple[str, ...] = ()
    families: tuple[FamilyRule, ...] = ()
    forbids_declared: bool = False
    # The generic "its extras add a package" rule; off for CPU variants, which promise no
    # accelerator (`cpu = ["jax[cpu]"]` adds nothing to a set that has jaxlib already).
    generic: bool = True
