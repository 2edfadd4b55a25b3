"""Requirements, verdicts and the selection reason in words: `cuda >=13.0: host has CUDA
12.4`, written once for show, install, check and every `--json`."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.render.accelerator import cause
from poetry_platform.render.accelerator import wanted
from poetry_platform.render.host import accelerator
from poetry_platform.variants import VARIANT_ENV

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poetry_platform.host.profile import HostProfile
    from poetry_platform.model import Requirements
    from poetry_platform.variants import Assumed
    from poetry_platform.variants import Selection
    from poetry_platform.variants import Unmet
    from poetry_platform.variants import Verdict


def requirement(kind: str, wanted: str) -> str:
    """`cuda >=13.0`: the one way a requirement is written, in every message and JSON."""
    return f"{kind} {wanted}"


def requirements(req: Requirements) -> list[str]:
    return [requirement(kind, wanted) for kind, wanted in req.items()]


def unmet(u: Unmet) -> str:
    """`<requirement>: host has <fact>`, e.g. `cuda >=13.0: host has CUDA 12.4`; for the
    lock's verdict `provides jax-cuda13-plugin: poetry.lock does not deliver it on Python
    3.11: <why>` (a colon, not parentheses: a cause may close its own)."""
    if u.kind == "accelerator" and u.missing is not None:
        m = u.missing
        because = f": {'; '.join(cause(c) for c in m.causes)}" if m.causes else ""
        return (
            f"provides {wanted(m)}: poetry.lock does not deliver it on Python {m.python}{because}"
        )
    return f"{requirement(u.kind, u.wanted)}: host has {_host_fact(u)}"


def unmet_brief(u: Unmet) -> str:
    """`unmet` without nested parentheses, for a selection line that wraps it in its own:
    `poetry.lock does not deliver jax-cuda13-plugin or jaxlib+cuda13* on Python 3.11: the
    locked jax 0.6.2 has no extra cuda13` (platform-show lists the whole cause)."""
    if u.kind != "accelerator" or u.missing is None:
        return unmet(u)
    m = u.missing
    why = "; ".join(
        f"the locked {c.package} {c.version} has no extra {c.extra}"
        if c.kind == "no-extra"
        else cause(c)
        for c in m.causes
    )
    return f"poetry.lock does not deliver {wanted(m)} on Python {m.python}" + (
        f": {why}" if why else ""
    )


def _host_fact(u: Unmet) -> str:
    if u.kind == "markers":
        pairs = zip(u.variables, u.found, strict=True)
        return ", ".join(f"{key} == {value!r}" for key, value in pairs)
    if u.kind == "cuda":
        return f"CUDA {u.found[0]}" if u.found else "no CUDA driver"
    if u.kind == "rocm":
        return f"ROCm {u.found[0]}" if u.found else "no ROCm"
    if u.found:
        return f"compute capability {', '.join(u.found)}"
    return "no NVIDIA GPU detected"


def assumed(a: Assumed) -> str:
    return f"{requirement(a.kind, a.wanted)} (not detected)"


def selection_reason(selection: Selection, host: HostProfile) -> str:
    """One line saying why this variant (or why none), for install and show output."""
    if selection.chosen is None:
        return "no declared variant runs on this machine"
    verdict = selection.chosen_verdict
    if selection.forced_by is not None:
        text = f"forced by {selection.forced_by}"
        if verdict is not None and not verdict.satisfied:
            text += f"; this host does not meet it: {unmet(verdict.unmet[0])}"
        return text
    met = requirements(selection.chosen.requires)
    # `skipped cuda13: <why>`, each its own part: the line is wrapped in parentheses by
    # its callers, and a reason in parentheses of its own closed it with `))`.
    skipped = [f"skipped {v.variant.name}: {unmet_brief(v.unmet[0])}" for v in selection.skipped]
    parts = [accelerator(host)]
    if met:
        parts.append("meets " + ", ".join(met))
    if verdict is not None and verdict.assumed:
        parts.append("assumed " + "; ".join(assumed(a) for a in verdict.assumed))
    return "; ".join(parts + skipped)


def no_variant(selection: Selection) -> str:
    """pixi-style: what failed, one line per candidate with its unmet requirement, the remedy."""
    lines = ["No declared variant runs on this machine:"]
    for verdict in selection.verdicts:
        lines.append(f"  - {verdict.variant.name}: {'; '.join(unmet(u) for u in verdict.unmet)}")
    last = selection.verdicts[-1].variant.name
    lines.append(
        f"Force one with --variant NAME or {VARIANT_ENV}=NAME (e.g. {VARIANT_ENV}={last}), "
        "or fake the accelerator with POETRY_PLATFORM_CUDA=12.4 / "
        "POETRY_PLATFORM_COMPUTE_CAPABILITY=8.6."
    )
    return "\n".join(lines)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    v = verdict.variant
    return {
        "name": v.name,
        "satisfied": verdict.satisfied,
        "reasons": [unmet(u) for u in verdict.unmet],
        "assumed": [assumed(a) for a in verdict.assumed],
        "extras": list(v.extras),
        "groups": list(v.groups),
        "requires": requirements(v.requires),
    }


def target_warning(error: str, command: str) -> str:
    """A broken `[[target]]` where targets do not matter (show, install): one line."""
    return (
        f"Warning: {error} (targets are read by platform-check and platform-export; "
        f"{command} goes on without them)"
    )


def group_not_found(poetry_message: str, groups: Sequence[str]) -> str:
    """Poetry's "Group(s) not found: tset (via --with)" without its markup, with the
    project's groups as written and a guess for each unknown name close to one of them."""
    import re

    from poetry_platform.errors import did_you_mean

    plain = re.sub(r"</?[a-z][^>]*>|</>", "", poetry_message).strip()
    unknown = re.findall(r"([^\s,]+) \(via [^)]*\)", plain)
    hints = [h for name in unknown if (h := did_you_mean(name, groups))]
    known = f" (groups here: {', '.join(groups)})" if groups else " (the project has no groups)"
    return plain + known + "".join(hints)
