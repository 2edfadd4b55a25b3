"""Target declarations that platform-check cannot judge are refused with the key named."""

from __future__ import annotations

from typing import Any

import pytest

from poetry_platform.config import ConfigError
from poetry_platform.config import load_config


def _targets(*targets: dict[str, Any]) -> dict[str, Any]:
    return {"tool": {"poetry-platform": {"target": list(targets)}}}


BASE = {"name": "t", "platform_machine": "x86_64", "python": "3.12"}


@pytest.mark.parametrize(
    ("target", "key", "text"),
    [
        ({"sys_platform": "freebsd14"}, "target[0] (t).sys_platform", "unknown sys_platform"),
        ({"sys_platform": "linux", "macos": "14.0"}, "target[0] (t).macos", "does not apply"),
        ({"sys_platform": "darwin", "glibc": "2.28"}, "target[0] (t).glibc", "does not apply"),
        ({"sys_platform": "win32", "musl": "1.2"}, "target[0] (t).musl", "does not apply"),
        (
            {"sys_platform": "linux", "glibc": "2.28", "musl": "1.2"},
            "target[0] (t).musl",
            "one libc",
        ),
    ],
)
def test_bad_target_platforms(target: dict[str, Any], key: str, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_targets({**BASE, **target}), [], [])
    assert info.value.key == key
    assert text in str(info.value)


def test_good_targets_parse() -> None:
    config = load_config(
        _targets(
            {**BASE, "sys_platform": "linux", "musl": "1.2"},
            {**BASE, "name": "w", "sys_platform": "win32", "platform_machine": "AMD64"},
        ),
        [],
        [],
    )
    assert [t.name for t in config.targets] == ["t", "w"]
    assert str(config.targets[0].musl) == "1.2"
