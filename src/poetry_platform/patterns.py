"""Package patterns, as `provides` and `forbids` hold them: their syntax, what makes one
meaningless, and the normalized form `check.fidelity.matches` compares against.

A pattern is an `fnmatch` glob over a distribution name, optionally with a glob over the
version's local label after `+` (`torch+cu126`, `jaxlib+cuda12*`); in `forbids`, a leading
`!` makes it an exception (`!nvidia-ml-py`). `config.py` checks the user's patterns with
these rules; the inferred ones (`accelerators.py`) are written in the normalized form.
"""

from __future__ import annotations

import re

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
                close = part.find("]", start + 1)  # -1 too when the part ends at `start`
                if close == -1:
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
