"""Package globs: the exact fault named for each meaningless one (config.py puts these words
after the pattern in its error), and the normalized form matching compares against."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from poetry_platform.patterns import glob_fault
from poetry_platform.patterns import normalize_pattern

EMPTY = "has an empty part"
UNCLOSED = "has an unclosed `[`"
NESTED = "has a `[` inside a `[...]` set"
STRAY_CLOSE = "has a `]` without its `[`"
STRAY_BANG = "has a `!` that is not at the start (exceptions begin with `!`)"


@pytest.mark.parametrize(
    ("glob", "fault"),
    [
        ("", "is an exception of nothing"),  # what is left of a lone `!`
        ("+cu126", EMPTY),
        ("torch+", EMPTY),
        ("jax[", UNCLOSED),
        ("jax[!", UNCLOSED),
        ("jax[]", UNCLOSED),  # `]` right after `[` is a member, not the end
        ("jax[!]", UNCLOSED),
        # A set cannot reach across the `+`: the name and the label are globs of their own.
        ("torch[a+b]", UNCLOSED),
        ("cu12[[6]", NESTED),
        ("jax]", STRAY_CLOSE),
        ("jax[12]]", STRAY_CLOSE),  # the first `]` closes the set, the second is alone
        ("jax[12]b]", STRAY_CLOSE),
        ("nvidia!", STRAY_BANG),
        ("jax[12]!", STRAY_BANG),  # scanning goes on after a set
        ("torch+cu!", STRAY_BANG),
    ],
)
def test_each_fault_in_its_words(glob: str, fault: str) -> None:
    assert glob_fault(glob) == fault


@pytest.mark.parametrize(
    "glob",
    [
        "nvidia-*",
        "jax-cuda1[23]-plugin",
        "[!x]vidia-nccl*",
        "jax[]]",  # a set holding `]`, as fnmatch reads it
        "torch+cu12[68]",
        "a[b]c[d]+e[f]",
    ],
)
def test_meaningful_globs_have_no_fault(glob: str) -> None:
    assert glob_fault(glob) is None


def test_a_set_holding_a_bracket_matches_as_fnmatch_reads_it() -> None:
    """The rule follows fnmatch: `]` first in a set is a member, so `jax[]]` is sound."""
    assert fnmatchcase("jax]", "jax[]]")


@pytest.mark.parametrize(
    ("pattern", "normalized"),
    [
        ("Jax_CUDA13*+CU126", "jax-cuda13*+cu126"),
        ("!NVIDIA__nccl.cu12", "!nvidia-nccl-cu12"),
        # The label is compared with the version's own label text, lowercased only
        # (`check.fidelity.matches`): its separators stay as written.
        ("Torch+CU12_6.x", "torch+cu12_6.x"),
        ("jax.cuda", "jax-cuda"),
    ],
)
def test_normalize_pattern(pattern: str, normalized: str) -> None:
    assert normalize_pattern(pattern) == normalized
