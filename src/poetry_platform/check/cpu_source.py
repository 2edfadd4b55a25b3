"""A cpu variant that installs PyTorch's CUDA build -> the exact fix: torch from the CPU source.

On Linux the torch of the default index is the CUDA build and pulls ~3 GB of `nvidia-*`
wheels; the CPU build (`+cpu`) lives on PyTorch's CPU wheel index. `check/fidelity.py` finds
the forbidden packages; this module turns "take torch from PyTorch's CPU wheel index" into
an edit of pyproject.toml's Poetry tables plus the command that re-locks, which
`check/fix.py` can apply and `render/` words.

Which `[[tool.poetry.source]]` is the CPU one (the rule, written once): one whose URL's
last path segment (a final `simple` segment set aside) or whose name has the word `cpu`,
words being split at anything but letters and digits: `.../whl/cpu`, `.../torch-cpu/simple/`,
a source named `torch-cpu` or `pytorch_cpu`; not `cpuinfo`. The first one marked by its URL
wins, else the first one marked by its name. Its priority does not matter: the edit names it.

Where the variant's torch is declared decides the edit:
- in an extra of the variant (PEP 621, `cpu = ["torch>=2.9"]`): the torch key of
  `[tool.poetry.dependencies]` (which only enriches same-named `[project]` requirements)
  gets the entry `{ markers = "extra == 'cpu' and extra != 'cu130'", source = "torch-cpu" }`,
  every other extra asking for torch excluded as Poetry's exclusive extras need; an entry
  naming the same extra is replaced (its other keys kept), the other entries stay;
- in a group of the variant (`[tool.poetry.group.cpu.dependencies]`): that entry (each
  entry of a list) takes `source = "torch-cpu"`.
- in the main dependencies, where this variant is the project's only one (the inferred
  cpu: no accelerator extras, no declared variants), so every install is a cpu one: the
  torch key of `[tool.poetry.dependencies]` gets `source = "torch-cpu"` (added, or set on
  the entry there, its version kept).
Elsewhere (torch in the main dependencies beside a GPU variant, which would get the CPU
build too; a bare version in `[tool.poetry.dependencies]` that every torch requirement
shares beside extras asking torch; a path or git torch) no exact edit is known, and the
finding keeps its words.

The command is `poetry update --lock torch`. On the local and the real index a plain `poetry
lock` moved torch too (a locked entry from another source no longer satisfies the
requirement, so Poetry re-chooses it), but `update --lock NAME` is what the other fixes
print, moves only torch, and does not depend on that.

Without a CPU source the fix is "add-cpu-source": the source block to declare, then the
same edit. Its URL is derived from a configured PyTorch CUDA or ROCm source (the last
segment `cu130` becomes `cpu`); with none it is left for the user to copy from PyTorch's
page. `--fix` never applies it: which host installs download from is the user's decision.

Pure: pyproject data in, data out.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

from poetry_platform.accelerators import TORCH
from poetry_platform.accelerators import infer_variants
from poetry_platform.check.declared import BARE_KEY
from poetry_platform.check.declared import MAIN_TABLE
from poetry_platform.check.declared import Declared
from poetry_platform.check.declared import PoetrySide
from poetry_platform.check.declared import Source
from poetry_platform.lockset.problems import Edit
from poetry_platform.lockset.problems import IndexSource
from poetry_platform.lockset.problems import Remedy

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Mapping
    from collections.abc import Sequence

    from poetry_platform.model import Variant

ADDED_NAME = "torch-cpu"  # the name of the source "add-cpu-source" declares
COMMAND = f"poetry update --lock {TORCH}"
_BACKEND_SEGMENT = re.compile(r"cu\d+|rocm[\d.]+", re.IGNORECASE)


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def last_segment(url: str) -> str:
    """`cpu` of `https://host/whl/cpu` and of `http://127.0.0.1:8/torch-cpu/simple/`."""
    from urllib.parse import urlsplit

    parts = [p for p in urlsplit(url).path.split("/") if p]
    if parts and parts[-1].lower() == "simple":
        parts.pop()
    return parts[-1] if parts else ""


def cpu_source(sources: Sequence[Source]) -> Source | None:
    """The configured CPU source by the module docstring's rule, or None."""
    by_url = [s for s in sources if "cpu" in words(last_segment(s.url))]
    by_name = [s for s in sources if "cpu" in words(s.name)]
    return next(iter(by_url or by_name), None)


def suggested_url(sources: Sequence[Source]) -> str:
    """The CPU index beside a configured PyTorch CUDA/ROCm one (`.../whl/cu130` ->
    `.../whl/cpu`); "" when none is configured."""
    for s in sources:
        segment = last_segment(s.url)
        if _BACKEND_SEGMENT.fullmatch(segment):
            head, _, tail = s.url.rpartition(f"/{segment}")
            return f"{head}/cpu{tail}"
    return ""


def inline(value: Any) -> str:
    """`value` as a TOML inline value (what an edit writes); ValueError for a type TOML's
    inline form here does not cover."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = [f"{_key(str(k))} = {inline(v)}" for k, v in value.items()]
        return "{ " + ", ".join(pairs) + " }"
    raise ValueError(f"no inline TOML for {type(value).__name__}")


def _key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key)


def torch_fix(
    variant: Variant,
    python: str,
    declared: Declared | None,
    locked_sources: Collection[str | None],
) -> Remedy | None:
    """The exact fix for `variant` taking torch from `locked_sources` (the lock's source
    names of its torch entries, None: the default index), or None when none is known."""
    if declared is None:
        return None
    side = declared.poetry
    configured = cpu_source(side.sources)
    if configured is not None and set(locked_sources) <= {configured.name}:
        return None  # torch already comes from it: the CUDA wheels come from elsewhere
    source = (
        IndexSource(configured.name, configured.url, configured.priority or "primary")
        if configured
        else IndexSource(ADDED_NAME, suggested_url(side.sources))
    )
    try:
        edits = (
            _extra_edits(variant, declared, source.name)
            or _group_edits(variant, side, source.name)
            or _main_edits(variant, declared, source.name)
        )
    except ValueError:  # a value with no inline TOML form: not ours to rewrite
        return None
    if not edits:
        return None
    return Remedy(
        "cpu-source" if configured else "add-cpu-source",
        python,
        package=TORCH,
        edits=edits,
        command=COMMAND,
        source=source,
        variant=variant.name,
    )


def _asks_torch(text: str) -> bool:
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement

    try:
        return canonicalize_name(Requirement(text).name) == TORCH
    except InvalidRequirement:
        return False


def _names_extra(entry: Mapping[str, Any], extras: Collection[str]) -> bool:
    marker = str(entry.get("markers", ""))
    return any(re.search(rf"extra\s*==\s*['\"]{re.escape(e)}['\"]", marker) for e in extras)


def _extra_edits(variant: Variant, declared: Declared, source: str) -> tuple[Edit, ...]:
    """The `[tool.poetry.dependencies]` torch entry for the variant's extras asking torch."""
    asking = [name for name, entries in declared.extras if any(map(_asks_torch, entries))]
    own = {canonicalize_name(e) for e in variant.extras}
    mine = [e for e in asking if canonicalize_name(e) in own]
    if not mine:
        return ()
    others = [e for e in asking if canonicalize_name(e) not in own]
    marker = " or ".join(f"extra == '{e}'" for e in mine)
    if len(mine) > 1 and others:
        marker = f"({marker})"
    marker = " and ".join([marker, *(f"extra != '{e}'" for e in others)])
    key, old = declared.poetry.entry(MAIN_TABLE, TORCH) or (TORCH, None)
    if old is None:
        entries: list[Mapping[str, Any]] = []
    elif isinstance(old, dict):
        entries = [old]
    elif isinstance(old, list) and all(isinstance(e, dict) for e in old):
        entries = list(old)
    else:  # a bare version applies to every torch requirement: no entry can go beside it
        return ()
    at = next((n for n, e in enumerate(entries) if _names_extra(e, mine)), None)
    ours = {**(entries.pop(at) if at is not None else {}), "markers": marker, "source": source}
    if any("markers" not in e for e in entries):
        return ()  # an unmarked entry would enrich the variant's torch as well
    entries.insert(at or 0, ours)
    before = inline(old) if old is not None else ""
    return (Edit(key, before, (inline(entries),), MAIN_TABLE),)


def _main_edits(variant: Variant, declared: Declared, source: str) -> tuple[Edit, ...]:
    """`source = ...` on torch in `[tool.poetry.dependencies]` where torch is a main
    dependency and this variant is the project's only one (the inferred cpu, no variant
    extras or groups): every install of the project is then a cpu one. With another
    variant (a CUDA extra) the same torch would go to the GPU hosts too: no exact edit."""
    if variant.extras or variant.groups:
        return ()
    extras = [name for name, _ in declared.extras]
    others = {v.name for v in infer_variants(extras)} | set(declared.variants)
    if others - {variant.name}:
        return ()
    if any(any(map(_asks_torch, entries)) for _, entries in declared.extras):
        return ()
    found = declared.poetry.entry(MAIN_TABLE, TORCH)
    if found is None and not any(map(_asks_torch, declared.dependencies)):
        return ()
    key, old = found or (TORCH, None)
    new: Any
    if old is None:
        new = {"source": source}
    elif isinstance(old, str):
        new = {"version": old, "source": source}
    elif isinstance(old, dict) and not {"path", "git", "url", "file", "markers"} & set(old):
        new = {**old, "source": source}
    else:  # a list of entries, a marked one, a path or git torch: not ours to rewrite
        return ()
    return (Edit(key, inline(old) if old is not None else "", (inline(new),), MAIN_TABLE),)


def _group_edits(variant: Variant, side: PoetrySide, source: str) -> tuple[Edit, ...]:
    """`source = ...` on the torch entry of each of the variant's groups that has one."""
    edits: list[Edit] = []
    for group in variant.groups:
        table = side.group_table(group)
        found = side.entry(table, TORCH) if table else None
        if table is None or found is None:
            continue
        key, old = found
        new: Any
        if isinstance(old, str):
            new = {"version": old, "source": source}
        elif isinstance(old, dict) and not {"path", "git", "url", "file"} & set(old):
            new = {**old, "source": source}
        elif isinstance(old, list) and all(isinstance(e, dict) for e in old):
            new = [{**e, "source": source} for e in old]
        else:
            continue
        edits.append(Edit(key, inline(old), (inline(new),), table))
    return tuple(edits)
