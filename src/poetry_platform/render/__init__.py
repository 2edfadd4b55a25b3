"""The one place where host facts, verdicts, the selection reason and lock problems become
text (Poetry console markup) or JSON dicts, one module per feature.

Everything below `commands/` produces data (`HostProfile`, `Verdict` with `Unmet` values,
`Selection`, check `Problem`s); everything in `commands/` prints what this package returns.
The words several commands share are written once: `host` (host facts), `verdicts`
(requirements, unmet requirements, the selection reason), `accelerator` (a variant's
promise, why the lock breaks it, its fixes), `problems` (lock problems). Each command's
output is its own module (`platform_show`, `platform_install`, `platform_check`,
`platform_export`), built from those. So `platform-show`, `platform-install`'s one line,
`platform-check`'s headers and every `--json` word a requirement, a host and a problem the
same way, and a wording change is one edit. Pure functions: no I/O, no Poetry objects,
cheap to import. Callers use the names below (`render.problem`, `render.check`).
"""

from __future__ import annotations

from poetry_platform.render.accelerator import FORBID_REMEDIES
from poetry_platform.render.accelerator import cause
from poetry_platform.render.accelerator import cause_json
from poetry_platform.render.accelerator import edit_line
from poetry_platform.render.accelerator import expected
from poetry_platform.render.accelerator import fidelity_json
from poetry_platform.render.accelerator import forbidden
from poetry_platform.render.accelerator import forbidden_groups
from poetry_platform.render.accelerator import forbidden_json
from poetry_platform.render.accelerator import missing_accelerator
from poetry_platform.render.accelerator import missing_json
from poetry_platform.render.accelerator import remedy
from poetry_platform.render.accelerator import remedy_json
from poetry_platform.render.accelerator import remedy_lines
from poetry_platform.render.accelerator import sentence
from poetry_platform.render.accelerator import wanted
from poetry_platform.render.bot_states import bot_states
from poetry_platform.render.bot_states import bot_states_json
from poetry_platform.render.host import accelerator
from poetry_platform.render.host import host_json
from poetry_platform.render.host import host_rows
from poetry_platform.render.lines import Line
from poetry_platform.render.platform_check import check
from poetry_platform.render.platform_check import check_json
from poetry_platform.render.platform_check import fix_json
from poetry_platform.render.platform_check import fix_lines
from poetry_platform.render.platform_check import project_python
from poetry_platform.render.platform_check import result_json
from poetry_platform.render.platform_check import selected_json
from poetry_platform.render.platform_check import target
from poetry_platform.render.platform_check import target_json
from poetry_platform.render.platform_export import export_header
from poetry_platform.render.platform_export import export_targets
from poetry_platform.render.platform_export import export_warnings
from poetry_platform.render.platform_export import not_exportable
from poetry_platform.render.platform_export import wrote
from poetry_platform.render.platform_install import install
from poetry_platform.render.platform_install import installer
from poetry_platform.render.platform_show import show
from poetry_platform.render.platform_show import show_host_only
from poetry_platform.render.platform_show import show_json
from poetry_platform.render.problems import LOCK_UNFIT
from poetry_platform.render.problems import MISSING_WHY
from poetry_platform.render.problems import duplicate
from poetry_platform.render.problems import duplicate_advice
from poetry_platform.render.problems import duplicate_entry_version
from poetry_platform.render.problems import extra_not_locked
from poetry_platform.render.problems import facts
from poetry_platform.render.problems import lock_unfit
from poetry_platform.render.problems import missing_requirement
from poetry_platform.render.problems import no_wheel
from poetry_platform.render.problems import problem
from poetry_platform.render.problems import problem_json
from poetry_platform.render.problems import problem_lines
from poetry_platform.render.problems import python_outside
from poetry_platform.render.problems import unfit_lock
from poetry_platform.render.verdicts import assumed
from poetry_platform.render.verdicts import group_not_found
from poetry_platform.render.verdicts import no_variant
from poetry_platform.render.verdicts import requirement
from poetry_platform.render.verdicts import requirements
from poetry_platform.render.verdicts import selection_reason
from poetry_platform.render.verdicts import target_warning
from poetry_platform.render.verdicts import unmet
from poetry_platform.render.verdicts import verdict_json

__all__ = [
    "FORBID_REMEDIES",
    "LOCK_UNFIT",
    "MISSING_WHY",
    "Line",
    "accelerator",
    "assumed",
    "bot_states",
    "bot_states_json",
    "cause",
    "cause_json",
    "check",
    "check_json",
    "duplicate",
    "duplicate_advice",
    "duplicate_entry_version",
    "edit_line",
    "expected",
    "export_header",
    "export_targets",
    "export_warnings",
    "extra_not_locked",
    "facts",
    "fidelity_json",
    "fix_json",
    "fix_lines",
    "forbidden",
    "forbidden_groups",
    "forbidden_json",
    "group_not_found",
    "host_json",
    "host_rows",
    "install",
    "installer",
    "lock_unfit",
    "missing_accelerator",
    "missing_json",
    "missing_requirement",
    "no_variant",
    "no_wheel",
    "not_exportable",
    "problem",
    "problem_json",
    "problem_lines",
    "project_python",
    "python_outside",
    "remedy",
    "remedy_json",
    "remedy_lines",
    "requirement",
    "requirements",
    "result_json",
    "selected_json",
    "selection_reason",
    "sentence",
    "show",
    "show_host_only",
    "show_json",
    "target",
    "target_json",
    "target_warning",
    "unfit_lock",
    "unmet",
    "verdict_json",
    "wanted",
    "wrote",
]
