"""What an early stop leaves, compared with the venv: only the packages the run moved."""

from __future__ import annotations

from poetry_platform.up.aftermath import failed_install
from poetry_platform.up.aftermath import mismatches
from poetry_platform.up.aftermath import moved

BEFORE = {"attrs": ("24.2.0",), "numpy": ("1.26.4", "2.2.6"), "idna": ("3.7",), "old": ("1",)}
AFTER = {"attrs": ("25.1.0",), "numpy": ("2.2.6", "2.3.2"), "idna": ("3.7",), "new": ("2",)}


def test_only_moved_packages_the_venv_holds_are_compared() -> None:
    names = moved(BEFORE, AFTER)
    assert names == {"attrs", "numpy", "old", "new"}
    venv = {"attrs": "25.1.0", "numpy": "2.3.2", "idna": "3.6", "old": "1", "torch": "2.9"}
    # idna did not move (its 3.6 is not the run's doing); new is not installed here
    assert mismatches(venv, names, BEFORE) == [
        ("attrs", "25.1.0", ("24.2.0",)),
        ("numpy", "2.3.2", ("1.26.4", "2.2.6")),
    ]
    # against the written lock: numpy 2.3.2 is one of its versions; old is gone from it
    assert mismatches(venv, names, AFTER) == []
    assert mismatches({"attrs": "25.1"}, names, AFTER) == []  # PEP 440 equality
    assert mismatches({"attrs": "24.2.0"}, names, AFTER) == [("attrs", "24.2.0", ("25.1.0",))]


def test_a_failed_install_says_whether_the_venv_still_matches() -> None:
    restored = "Installing the new lock failed (exit 1); pyproject.toml and poetry.lock are"
    assert failed_install("exit 1", [], "poetry platform-install") == (
        f"{restored} unchanged; the venv still has the locked version of every package the"
        " bump moved."
    )
    assert failed_install("exit 1", None, "poetry platform-install") == (
        f"{restored} unchanged, and the venv could not be read: it may hold some of the new"
        " versions."
    )
    many = [(f"p{i}", "2", ("1",)) for i in range(5)]
    assert failed_install("exit 1", many, "poetry platform-install --only=main") == (
        f"{restored} unchanged, but the venv is not: it now differs from the restored lock"
        " (p0 is 2, the lock has 1; p1 is 2, the lock has 1; p2 is 2, the lock has 1 (and 2"
        " more)). `poetry platform-install --only=main` brings it back to the lock."
    )
