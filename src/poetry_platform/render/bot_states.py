"""`platform-check`'s lines for states an update bot left in pyproject.toml
(check/bot_states.py): one line each, what is wrong, the rule, and the exact text to write."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.check.bot_states import LocalLabelInRange
from poetry_platform.render.lines import Line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poetry_platform.check.bot_states import BotState


def bot_state(state: BotState) -> str:
    if isinstance(state, LocalLabelInRange):
        d = state.declared
        label = state.pin.rsplit("+", 1)[1]
        return (
            f"pyproject.toml {d.where}: {d.name}{_spaced(d.constraint)}: a local version label"
            f" (+{label}) is only allowed with == or != (PEP 440: local labels have no order),"
            f" so no release matches it; write {state.pin} (update bots copy the installed"
            " build into a lower bound)"
        )
    lead, behind = state.leader, state.behind
    return (
        f"pyproject.toml {behind.where}: {behind.name}{_spaced(behind.constraint)} is out of"
        f" step with {lead.name}{_spaced(lead.constraint)} ({lead.where}): {state.family}'s"
        f" packages work only at one version; write {state.pin}, or let"
        " `poetry platform-up` move the family together (update bots bump jax alone)"
    )


def bot_states(states: Sequence[BotState]) -> list[Line]:
    return [Line(f"<error>{bot_state(s)}</error>", error=True) for s in states]


def bot_states_json(states: Sequence[BotState]) -> list[dict[str, Any]]:
    return [
        {
            "kind": "local-label-in-range"
            if isinstance(s, LocalLabelInRange)
            else "family-out-of-step",
            "message": bot_state(s),
            "write": s.pin,
        }
        for s in states
    ]


def _spaced(constraint: str) -> str:
    """`>=2.1` reads `torch>=2.1`; a Poetry caret or bare version reads `torch ^2.1`."""
    return constraint if constraint[:1] in "<>=!~" else f" {constraint}"
