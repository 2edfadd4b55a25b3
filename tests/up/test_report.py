"""The report's renderings: JSON keys, the markdown table, the locked column."""

from __future__ import annotations

from poetry.core.constraints.version import Version
from poetry.core.constraints.version import parse_constraint

from poetry_platform.up import declarations
from poetry_platform.up import edits
from poetry_platform.up.reasons import PythonBlock
from poetry_platform.up.reasons import Skipped
from poetry_platform.up.report import Report
from poetry_platform.up.report import change_row
from poetry_platform.up.report import held_row
from poetry_platform.up.report import locked_cell
from poetry_platform.up.report import to_json
from poetry_platform.up.report import to_markdown

PYPROJECT = """
[project]
name = "p"
dependencies = ["numpy>=1.26"]
[project.optional-dependencies]
cpu = ["torch==2.8.0+cpu"]
cu130 = ["torch==2.8.0+cu130"]
[dependency-groups]
lint = ["ruff==0.12.7"]
"""


WHY_NOT = PythonBlock(
    "numpy", Version.parse("2.3.0"), ">=3.11", parse_constraint(">=3.10,<3.11"), True
)


def _decls() -> dict[str, declarations.Declaration]:
    doc = edits.parse(PYPROJECT)
    return {f"{d.name}:{d.extra}": d for d in declarations.read(doc).items}


def _report() -> Report:
    d = _decls()
    locked = {"numpy": ("1.26.4",), "torch": ("2.8.0+cpu", "2.8.0+cu130")}
    report = Report(strategy="bump")
    report.changes = [
        change_row(d["numpy:None"], ">=1.26", ">=2.2.6", "2.2.6", locked, None, WHY_NOT),
        change_row(d["torch:cpu"], "==2.8.0+cpu", "==2.9.1+cpu", "2.9.1+cpu", locked, None),
    ]
    report.held = [held_row(d["ruff:None"], Skipped("pin"))]
    return report


def test_json_shape() -> None:
    data = to_json(_report())
    assert set(data) == {"strategy", "dry_run", "check", "changes", "held", "lock", "installed"}
    numpy = data["changes"][0]
    assert {k: numpy[k] for k in ("name", "group", "old", "new")} == {
        "name": "numpy",
        "group": "main",
        "old": ">=1.26",
        "new": ">=2.2.6",
    }
    assert numpy["locked_before"] == ["1.26.4"]
    assert numpy["locked_after"] is None  # no lock made yet
    assert data["changes"][1]["extra"] == "cpu"
    assert data["held"][0] == {
        "name": "ruff",
        "group": "lint",
        "extra": None,
        "section": "[dependency-groups] lint",
        "constraint": "==0.12.7",
        "kind": "pinned",
        "reason": "exact pin (use --pinned to bump pins)",
    }


def test_a_variant_row_shows_its_own_builds() -> None:
    torch = _report().changes[1]
    assert torch.locked_before == ("2.8.0+cpu",)
    assert locked_cell(torch) == "2.8.0+cpu -> 2.9.1+cpu"


def test_markdown_table_and_collapsed_skips() -> None:
    text = to_markdown(_report())
    assert text.splitlines()[:4] == [
        "| Package | Group | Old | New | Locked |",
        "| --- | --- | --- | --- | --- |",
        "| numpy | main | `>=1.26` | `>=2.2.6` | 1.26.4 -> 2.2.6 |",
        "| torch | cpu (extra) | `==2.8.0+cpu` | `==2.9.1+cpu` | 2.8.0+cpu -> 2.9.1+cpu |",
    ]
    assert "<details><summary>Not bumped</summary>" in text
    assert "- **ruff** (lint) `==0.12.7`: exact pin (use --pinned to bump pins)" in text


def test_markdown_when_nothing_moves() -> None:
    assert to_markdown(Report(strategy="bump")) == (
        "Nothing to bump: every constraint is up to date.\n"
    )


def test_the_locked_column_is_in_version_order() -> None:
    """`0.6.2, 0.10.2`, not the text order `0.10.2, 0.6.2` (issue 20)."""
    from dataclasses import replace

    row = replace(
        _report().changes[1], locked_before=("0.10.2", "0.6.2"), locked_after=("0.12.0", "0.9.1")
    )
    assert locked_cell(row) == "0.6.2, 0.10.2 -> 0.9.1, 0.12.0"


def test_a_hold_back_note_is_once_per_package_naming_its_entries() -> None:
    """jax held back for one reason in main and two extras: one line (issue 20)."""
    from poetry_platform.up.report import HeldRow
    from poetry_platform.up.report import held_notes

    why = "held back by Python: jax 0.7.2 needs Python >=3.11"
    held = [
        HeldRow("jax", "main", None, "[project] dependencies", ">=0.6.2", "python", why),
        HeldRow(
            "jax", "main", "cuda12", "[project.optional-dependencies]", ">=0.6.2", "python", why
        ),
        HeldRow(
            "jax", "main", "cuda13", "[project.optional-dependencies]", ">=0.6.2", "python", why
        ),
        HeldRow(
            "ruff", "lint", None, "[dependency-groups] lint", "==0.12.7", "pinned", "exact pin"
        ),
    ]
    assert held_notes(held) == [
        ("jax", "cuda12 (extra), cuda13 (extra), main", ">=0.6.2", why),
        ("ruff", "lint", "==0.12.7", "exact pin"),
    ]
