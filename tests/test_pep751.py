"""The one PEP 751 writer: every string Poetry can put in poetry.lock reads back unchanged.

poetry.lock is TOML read as text, so a name, version, URL, path, source name or hash in it
can hold any Unicode scalar value: control characters, DEL, quotes, backslashes, newlines.
Both writers (uv's lock for uv and platform-export's pylock) go through `pep751`, so the
documents below stand for both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from poetry_platform import pep751
from poetry_platform.poetry_api import toml_loads
from poetry_platform.uv.plan import WheelToInstall
from poetry_platform.uv.plan import pylock_text

# Every character TOML treats specially, and one of each kind of the rest.
HARD = [chr(c) for c in range(0x20)] + ['"', "\\", "\x7f", "'", "\u0085", "\u2028", "é"]
HARD += ["\U0001f600", "\ufeff", "\uffff", "\U0010ffff", "#", "=", "[", "]", "{", "}", ","]

# All Unicode scalar values below U+3000, and one from each later block of 256 (a few
# megabytes of TOML in every case would slow the fast loop for no new escape).
EVERY = "".join(chr(c) for c in range(0x3000)) + "".join(
    chr(c) for c in range(0x3000, 0x110000, 0x100) if not 0xD800 <= c <= 0xDFFF
)


def _document(text: str) -> str:
    file = pep751.File((("sha256", text),), name=text, url=text, path=text)
    package = pep751.Package(
        text, text, text, archive=file, index=text, sdist=file, wheels=(file, file), directory=text
    )
    return pep751.document(
        [package],
        environments=[text, text],
        requires_python=text,
        tool=[("target", text), ("extras", [text, text])],
    )


@pytest.mark.parametrize(
    "text",
    [*HARD, "".join(HARD), EVERY],
    ids=[*(f"U+{ord(c):04X}" for c in HARD), "all-of-them", "every-block"],
)
def test_every_string_reads_back(text: str) -> None:
    data = toml_loads(_document(text))
    (package,) = data["packages"]
    file = {"name": text, "url": text, "path": text, "hashes": {"sha256": text}}
    assert package == {
        "name": text,
        "version": text,
        "marker": text,
        "archive": file,
        "index": text,
        "sdist": file,
        "wheels": [file, file],
        "directory": {"path": text, "editable": True},
    }
    assert data["environments"] == [text, text]
    assert data["requires-python"] == text
    assert data["created-by"] == "poetry-platform"
    assert data["tool"]["poetry-platform"] == {"target": text, "extras": [text, text]}


def test_uv_lock_is_written_by_the_same_writer() -> None:
    odd = "".join(HARD)
    wheels = [
        WheelToInstall("b" + odd, "1" + odd, ("sha256:" + odd,), url="https://h/" + odd),
        WheelToInstall("a" + odd, "2", ("sha256:00",), path=Path(odd)),
    ]
    data = toml_loads(pylock_text(wheels))
    assert data == {
        "lock-version": "1.0",
        "created-by": "poetry-platform",
        "packages": [
            {
                "name": "a" + odd,
                "version": "2",
                "wheels": [{"path": odd, "hashes": {"sha256": "00"}}],
            },
            {
                "name": "b" + odd,
                "version": "1" + odd,
                "wheels": [{"url": "https://h/" + odd, "hashes": {"sha256": odd}}],
            },
        ],
    }


def test_optional_parts_are_left_out() -> None:
    text = pep751.document([pep751.Package("a")])
    assert (
        text == 'lock-version = "1.0"\ncreated-by = "poetry-platform"\n\n[[packages]]\nname = "a"\n'
    )
