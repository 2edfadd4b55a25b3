"""poetry.lock's tables as the index lookups read them."""

from __future__ import annotations

from poetry_platform.lockset.tables import locked_origins

LOCK = b"""
[[package]]
name = "NumPy"
version = "2.1.0"
files = []

[[package]]
name = "private-lib"
version = "1.4.0"
files = []

[package.source]
type = "legacy"
url = "https://example.invalid/simple"
reference = "private"

[[package]]
name = "local-tool"
version = "0.3.0"
files = []

[package.source]
type = "directory"
url = "../local-tool"

[[package]]
name = "vcs-lib"
version = "2.0.0"
files = []

[package.source]
type = "git"
url = "https://example.invalid/vcs-lib.git"
reference = "main"
resolved_reference = "abc"
"""


def test_each_index_entry_is_recorded_under_the_index_it_came_from() -> None:
    """No `[package.source]`: Poetry's default index; a legacy source by its name; a path or
    a git checkout is no index and is left out (a 404 there means nothing)."""
    assert locked_origins(LOCK) == {
        "numpy": {"PyPI": "2.1.0"},
        "private-lib": {"private": "1.4.0"},
    }


def test_no_lock_has_no_origins() -> None:
    assert locked_origins(None) == {}
