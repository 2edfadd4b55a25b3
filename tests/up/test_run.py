"""The run's pure parts: options checked once, the lock read the same way in every mode,
and what an interrupt message says at each phase."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

import pytest

from poetry_platform.errors import LockError
from poetry_platform.errors import UsageError
from poetry_platform.up.aftermath import interrupted_message
from poetry_platform.up.run import Phase
from poetry_platform.up.run import UpRun
from poetry_platform.up.run import check_lock
from poetry_platform.up.settings import parse_settings

if TYPE_CHECKING:
    from pathlib import Path

    from poetry_platform.up.run import Console

DEFAULTS: dict[str, Any] = {"strategy": "bump", "format": "table", "exclude": []}


def settings(packages: tuple[str, ...] = (), **options: Any) -> Any:
    return parse_settings({**DEFAULTS, **options}, list(packages))


@pytest.mark.parametrize(
    ("options", "packages", "message"),
    [
        (
            {"strategy": "lock-only", "latest": True},
            (),
            "--strategy lock-only leaves every constraint as it is, so --latest cannot apply;"
            " drop it or use --strategy bump.",
        ),
        (
            {"strategy": "lock-only", "pinned": True, "latest": True},
            (),
            "--strategy lock-only leaves every constraint as it is, so --latest and --pinned"
            " cannot apply; drop them or use --strategy bump.",
        ),
        (
            {"strategy": "lock-only", "exclude": ["numpy"]},
            ("jax",),
            "--strategy lock-only leaves every constraint as it is, so --exclude and package"
            " names cannot apply; drop them or use --strategy bump.",
        ),
        (
            {"exclude": ["Numpy,rich"]},
            ("numpy",),
            "numpy is both named and excluded (--exclude); keep one of the two.",
        ),
        (
            {"resolve": True},
            (),
            "--resolve only applies with --dry-run or --check (a real run always re-locks);"
            " add one of them or drop --resolve.",
        ),
        (
            {"strategy": "sideways"},
            (),
            "Unknown --strategy 'sideways'; use one of bump, widen, lock-only.",
        ),
    ],
)
def test_options_that_cannot_apply_are_refused_in_one_line(
    options: dict[str, Any], packages: tuple[str, ...], message: str
) -> None:
    with pytest.raises(UsageError) as info:
        settings(packages, **options)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_options_that_combine_are_accepted() -> None:
    s = parse_settings(
        {**DEFAULTS, "latest": True, "pinned": True, "dry-run": True, "check": True}, ["numpy"]
    )
    assert s.rules.latest and s.rules.pinned and not s.writes
    lock_only = parse_settings({**DEFAULTS, "strategy": "lock-only", "no-install": True}, [])
    assert lock_only.no_install


def test_a_lock_that_is_not_a_lock_is_refused_naming_it(tmp_path: Path) -> None:
    lock = tmp_path / "poetry.lock"
    check_lock(lock, None)  # no lock yet: the run makes one
    check_lock(lock, b'[[package]]\nname = "a"\nversion = "1"\n')
    for data in (b"garbage [[[", b"\xff\xfe", b"package = 3\n"):
        with pytest.raises(LockError) as info:
            check_lock(lock, data)
        assert str(info.value).startswith(f"{lock} is not a readable lock file (")
        assert "pyproject.toml and poetry.lock are unchanged" in str(info.value)


def _unused() -> Any:
    raise AssertionError("not called")


def _run(tmp_path: Path, phase: Phase, written: list[str]) -> UpRun:
    run = UpRun(settings(), cast("Console", None), tmp_path / "pyproject.toml", _unused, _unused)
    run.phase = phase
    run.written = [tmp_path / name for name in written]
    return run


LOCK_BEFORE = b"""\
[[package]]
name = "attrs"
version = "24.2.0"

[[package]]
name = "idna"
version = "3.7"
"""
LOCK_AFTER = LOCK_BEFORE.replace(b"24.2.0", b"25.1.0")


def test_interrupt_messages_say_what_was_written_and_what_is_left(tmp_path: Path) -> None:
    both = ["pyproject.toml", "poetry.lock"]
    assert interrupted_message(_run(tmp_path, "planning", []), None) == (
        "Interrupted: pyproject.toml and poetry.lock are unchanged."
    )
    head = "Interrupted during the install: pyproject.toml and poetry.lock were written"
    installing = _run(tmp_path, "installing", both)
    installing.lock_change = (LOCK_BEFORE, LOCK_AFTER)
    installing.reinstall = "poetry platform-install --with=cloud"
    venvs: dict[str, Any] = {
        "old": {"attrs": "24.2.0", "idna": "3.7"},
        "new": {"attrs": "25.1", "idna": "3.7"},  # 25.1 == 25.1.0
        "unreadable": None,
    }
    said = {}
    for state, venv in venvs.items():
        installing.venv = functools.partial(lambda v: v, venv)
        said[state] = interrupted_message(installing, None)
    assert said == {
        "old": f"{head}, the install was not finished (attrs is 24.2.0, the lock has 25.1.0)."
        " Run `poetry platform-install --with=cloud` to finish it.",
        "new": f"{head}, and the venv already has every version the new lock moved: the"
        " install got that far. Run `poetry platform-install --with=cloud` to make sure it is"
        " complete.",
        "unreadable": f"{head}; the venv could not be read to tell whether the install"
        " finished. Run `poetry platform-install --with=cloud` to finish it.",
    }
    assert interrupted_message(_run(tmp_path, "done", ["poetry.lock"]), "SIGTERM") == (
        "Interrupted by SIGTERM: poetry.lock was written; the update is complete."
    )


def test_lookup_timeout_is_seconds_above_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    from poetry_platform.index.deadline import lookup_deadline

    def with_timeout(value: str) -> Any:
        return parse_settings({**DEFAULTS, "lookup-timeout": value}, [])

    assert with_timeout("2.5").lookup_timeout == 2.5
    assert settings().lookup_timeout is None
    for bad in ("0", "-1", "soon", "nan", "NaN", "inf", "-inf", "1e999"):
        with pytest.raises(UsageError, match="is not a number of seconds above 0"):
            with_timeout(bad)
    # the default follows Poetry's own request timeout
    monkeypatch.setenv("POETRY_REQUESTS_TIMEOUT", "7")
    assert lookup_deadline(None) == 14
    assert lookup_deadline(3.0) == 3.0
