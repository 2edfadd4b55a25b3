"""The one remedy engine: a variant's missing accelerator -> fixes that lock when followed.

Every command that finds a broken promise (check, install, show, export) gets its fixes
here, from the same causes and the same first-release answer, so they cannot disagree.
Each fix is data: the exact edit (the entries to write in pyproject.toml, `Edit`) and the
command that makes Poetry re-choose (Poetry 2 keeps locked versions that still fit, so a
plain `poetry lock` after narrowing requires-python leaves jax where it was; `poetry update
--lock NAME` re-chooses NAME). `render/` words them; `check/fix.py` applies them.

The order, first the one that keeps every Python the project claims:
1. "split-python": the first release with the extra needs a newer Python than the project
   allows, so the requirement is split by `python_version` at that Python (the
   research-team shape): the old floor below it, the new one from it, and the missing
   extra only where it can deliver. The Pythons below still cannot get the variant; the
   fix says which, and which other variant extra of the package serves them. For jax the
   companion jaxlib is split the same way: Poetry 2.5 locks a python_version split of jax
   beside a marked `jax[cuda13]` only when another package is split at the same Python
   (checked on the local and the real index).
2. "raise-floor": the release with the extra supports every Python the project allows.
   A floorless cap (`jax[cuda13]<1`) keeps its cap and gains the floor (`>=0.7.2,<1`);
   where an entry's cap leaves the release out (`jax<0.7`), no edit can deliver inside
   it: "raise-cap" names the entry (lifting a cap the user wrote is the user's call) and
   replaces the split, the raised floor and the narrowing with its raised floor.
3. "narrow-python": requires-python from that Python on, with the raised floor.
4. "drop-python" (a declared target) or "other-python" (this environment).
Narrowing and dropping are offered, never first, and never applied by `--fix`.

Pure: strings in, data out (the pyproject's own requirement strings, as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from packaging.utils import canonicalize_name

from poetry_platform.accelerators import SPLIT_COMPANIONS
from poetry_platform.check.declared import MAIN
from poetry_platform.check.declared import Declared
from poetry_platform.lockset.problems import Edit
from poetry_platform.lockset.problems import Remedy

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from poetry_platform.lockset.problems import Cause

    FirstRelease = Callable[[str, str], tuple[str, str] | None]

# A package whose python_version split Poetry locks only with a companion split beside it.
COMPANIONS = SPLIT_COMPANIONS
_REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(?:;\s*(.*?))?\s*$"
)


@dataclass(frozen=True)
class _Req:
    head: str  # the name and extras as written: `jax[cuda13]`
    name: str  # canonical
    extras: frozenset[str]
    spec: str  # `>=0.6.2`, `>=0.6.2,<1`
    marker: str  # as written, "" when none


def parse(text: str) -> _Req | None:
    m = _REQUIREMENT.match(text)
    if m is None or "@" in (m.group(3) or ""):
        return None
    name, extras, spec, marker = m.group(1), m.group(2) or "", m.group(3) or "", m.group(4) or ""
    # `[cuda12, cuda13]`: each extra without its spaces.
    wanted = frozenset(
        canonicalize_name(e.strip()) for e in extras.strip("[]").split(",") if e.strip()
    )
    return _Req(f"{name}{extras}", canonicalize_name(name), wanted, spec.strip(), marker.strip())


def floor_of(spec: str) -> str | None:
    """`0.6.2` of `>=0.6.2,<1`; None without a `>=` (or with `==`, `~=`, `^`)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    floors = [p[2:].strip() for p in parts if p.startswith(">=")]
    return floors[0] if len(floors) == 1 else None


def cap_of(spec: str) -> str:
    """The upper bounds and exclusions of a spec, as written: `<1` of `>=0.6.2,<1`."""
    return ",".join(p.strip() for p in spec.split(",") if p.strip().startswith(("<", "!=")))


def floorless(spec: str) -> bool:
    """`<1`, `!=0.7.0,<2`: only upper bounds and exclusions, no floor and no pin. A user
    who wrote it wants the cap kept; raising its floor adds one (`>=0.7.2,<1`)."""
    return bool(spec.strip()) and cap_of(spec) == ",".join(p.strip() for p in spec.split(","))


def admits(cap: str, version: str) -> bool:
    """Whether the upper bounds `cap` let `version` in (an unreadable cap: yes, the lock
    will say)."""
    from packaging.specifiers import InvalidSpecifier
    from packaging.specifiers import SpecifierSet

    try:
        return SpecifierSet(cap).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True


def with_floor(spec: str, version: str) -> str:
    """`>=version` with the spec's upper bounds and exclusions kept."""
    return ",".join([f">={version}", *filter(None, [cap_of(spec)])])


def with_marker(marker: str, extra: str) -> str:
    if not marker:
        return extra
    if " or " in marker:
        marker = f"({marker})"
    return f"{marker} and {extra}"


def entry(head: str, spec: str, marker: str) -> str:
    return f"{head}{spec}" + (f" ; {marker}" if marker else "")


def first_python(requires_python: str | None) -> str | None:
    """The lowest `3.X` a Requires-Python admits (`>=3.11` -> `3.11`), None for any."""
    from packaging.specifiers import InvalidSpecifier
    from packaging.specifiers import SpecifierSet

    if requires_python in (None, "", "*"):
        return None
    try:
        spec = SpecifierSet(requires_python.replace(" ", ""))
    except InvalidSpecifier:
        return None
    for minor in range(6, 40):
        if spec.contains(f"3.{minor}.0") or spec.contains(f"3.{minor}.99"):
            return f"3.{minor}"
    return None


def pythons_below(requires_python: str, cut: str) -> tuple[str, ...]:
    """The project's Pythons (`3.X`) below `cut`: the ones a split leaves without the
    variant."""
    from packaging.specifiers import InvalidSpecifier
    from packaging.specifiers import SpecifierSet

    try:
        spec = SpecifierSet(requires_python.replace(" ", "") or ">=3")
    except InvalidSpecifier:
        return ()
    last = int(cut.split(".")[1])
    return tuple(f"3.{m}" for m in range(6, last) if spec.contains(f"3.{m}.99"))


def narrowed(requires_python: str, cut: str) -> str:
    """requires-python from `cut` on, its upper bounds kept: `>=3.10,<3.14` -> `>=3.11,<3.14`."""
    kept = [p.strip() for p in requires_python.split(",") if p.strip().startswith(("<", "!="))]
    return ",".join([f">={cut}", *kept])


def remedies(
    causes: Sequence[Cause],
    python: str,
    target: str | None,
    first_release: FirstRelease | None,
    declared: Declared | None = None,
) -> list[Remedy]:
    """The fixes for a missing accelerator, in the order of the module docstring; each once."""
    out: list[Remedy] = []
    narrow: Remedy | None = None
    for cause in causes:
        if cause.kind not in ("no-extra", "extra-excluded") or not cause.extra:
            continue
        floor = Remedy("raise-floor", python, cause.package, cause.extra)
        found = first_release(cause.package, cause.extra) if first_release else None
        if found is not None:
            known = _with(floor, version=found[0], found_by="index", requires_python=found[1])
        elif cause.first_with_extra:
            known = _with(
                floor,
                version=cause.first_with_extra,
                found_by="lock",
                requires_python=cause.first_with_extra_python,
            )
        else:
            out.append(floor)
            continue
        out += _edited(known, declared)
        narrow = narrow or _narrow(known, declared)
    out.append(narrow or Remedy("narrow-python", python))
    out.append(
        Remedy("drop-python", python, target=target) if target else Remedy("other-python", python)
    )
    return list(dict.fromkeys(out))


def _narrow(known: Remedy, declared: Declared | None) -> Remedy | None:
    """requires-python from the release's first Python on, with the raised floor; None
    when the project allows no older Python (nothing to narrow)."""
    cut = first_python(known.requires_python)
    if declared is None or cut is None or known.version is None:
        return None
    if not pythons_below(declared.requires_python, cut):
        return None
    if _capped(declared, canonicalize_name(known.package or ""), known.version) is not None:
        return None  # no raised floor fits under the cap, whatever the Pythons
    old = declared.requires_python
    edits = (
        Edit("requires-python", old, (narrowed(old, cut),)),
        *_raise_edits(declared, canonicalize_name(known.package or ""), known.version),
    )
    command = _update(known.package or "")
    return _with(known, kind="narrow-python", edits=edits, command=command, cut=cut)


def _edited(known: Remedy, declared: Declared | None) -> list[Remedy]:
    """`known` (a floor with its version) as the remedies that lock: the python split when
    the release needs a newer Python than the project's floor, else the raised floor."""
    if declared is None or known.version is None or known.package is None:
        return [known]
    package = canonicalize_name(known.package)
    capped = _capped(declared, package, known.version)
    if capped is not None:
        return [_with(known, kind="raise-cap", capped_by=capped)]
    cut = first_python(known.requires_python)
    below = pythons_below(declared.requires_python, cut) if cut else ()
    if not below:
        edits = _raise_edits(declared, package, known.version)
        if not edits:
            return [known]
        return [_with(known, edits=edits, command=_update(package))]
    assert cut is not None
    split = _split_edits(declared, package, known.extra or "", known.version, cut)
    if split is None:
        return [known]
    edits, names = split
    return [
        _with(
            known,
            kind="split-python",
            edits=edits,
            command=_update(*names),
            cut=cut,
            left_out=below,
            instead=_other_extras(declared, package, known.extra or ""),
        )
    ]


def _with(r: Remedy, **changes: Any) -> Remedy:
    from dataclasses import replace

    return replace(r, **changes)


def _update(*names: str) -> str:
    return "poetry update --lock " + " ".join(names)


def _raise_edits(declared: Declared, package: str, version: str) -> tuple[Edit, ...]:
    """Every entry of `package` whose floor is below `version`, raised to it."""
    from packaging.version import InvalidVersion
    from packaging.version import Version

    edits: list[Edit] = []
    for where, entries in declared.lists():
        for text in entries:
            req = parse(text)
            if req is None or req.name != package:
                continue
            low = floor_of(req.spec)
            try:
                if low is not None and Version(low) >= Version(version):
                    continue
            except InvalidVersion:
                continue
            if low is None and req.spec and not floorless(req.spec):
                continue  # a pin or caret: not ours to rewrite
            new = entry(req.head, with_floor(req.spec, version), req.marker)
            edits.append(Edit(where, text, (new,)))
    return tuple(edits)


def _capped(declared: Declared, package: str, version: str) -> str | None:
    """The first entry of `package`, as written, whose upper bounds leave `version` out
    (`jax[cuda13]<0.7` and 0.7.2): no floor raised inside that cap reaches the release, and
    lifting a cap the user wrote is the user's call, so the fix only names it."""
    for _, entries in declared.lists():
        for text in entries:
            req = parse(text)
            if req is not None and req.name == package and not admits(cap_of(req.spec), version):
                return text
    return None


def _split_edits(
    declared: Declared, package: str, extra: str, version: str, cut: str
) -> tuple[tuple[Edit, ...], tuple[str, ...]] | None:
    """The research-team shape for `package`: entries below `cut` keep their floor, from
    `cut` on they take `version`; the entries asking for `extra` only from `cut` on. None
    when an entry is already split by Python (the project has its own shape)."""
    below, above = f"python_version < '{cut}'", f"python_version >= '{cut}'"
    edits: list[Edit] = []
    main_spec: str | None = None  # the main entry's floor or cap: the companion's too
    for where, entries in declared.lists():
        for text in entries:
            req = parse(text)
            if req is None or req.name != package:
                continue
            if "python_version" in req.marker or "python_full_version" in req.marker:
                return None
            if where == MAIN and main_spec is None and (floor_of(req.spec) or floorless(req.spec)):
                main_spec = req.spec
            new_spec = with_floor(req.spec, version)
            new: tuple[str, ...]
            if extra in req.extras:
                new = (entry(req.head, new_spec, with_marker(req.marker, above)),)
            else:
                new = (
                    entry(req.head, req.spec, with_marker(req.marker, below)),
                    entry(req.head, new_spec, with_marker(req.marker, above)),
                )
            edits.append(Edit(where, text, new))
    if not edits:
        return None
    names = [package]
    companion = COMPANIONS.get(package)
    taken = {r.name for t in declared.dependencies if (r := parse(t)) is not None}
    if companion and main_spec and companion not in taken:
        edits.append(
            Edit(
                MAIN,
                "",
                (
                    entry(companion, main_spec, below),
                    entry(companion, with_floor(main_spec, version), above),
                ),
            )
        )
        names.append(companion)
    return tuple(edits), tuple(names)


def _other_extras(declared: Declared, package: str, extra: str) -> tuple[str, ...]:
    """The project's other extras asking for an extra of `package` (cuda12 beside cuda13):
    the variants that can serve the Pythons the split leaves out."""
    out = []
    for name, entries in declared.extras:
        for text in entries:
            req = parse(text)
            if req is not None and req.name == package and req.extras and extra not in req.extras:
                out.append(name)
                break
    return tuple(out)


def pins_together(pins: Sequence[Remedy]) -> Remedy:
    """One target's duplicate pins as one fix: with two packages duplicated at once (PyTorch
    from PyPI: nvidia-cublas and nvidia-cuda-nvrtc), each pin alone leaves the target
    failing on the other, so no single pin ever passes the check."""
    lines = tuple(line for pin in pins for edit in pin.edits for line in edit.new)
    names = [pin.package or "" for pin in pins]
    return Remedy(
        "pin-version",
        pins[0].python,
        edits=(Edit(MAIN, "", lines),),
        command=_update(*names),
        pins=tuple((pin.package or "", pin.version or "") for pin in pins),
    )
