"""A PEP 691 page whose file name or Requires-Python is not a string is no index page
("could not read"); before, it passed the parser and failed later with an AttributeError
(a traceback). Found by the fuzz pass (tests/test_fuzz.py), kept in the fast loop."""

from __future__ import annotations

import json

import pytest

from poetry_platform.index.pages import PageError
from poetry_platform.index.pages import parse_json_page

META = {"api-version": "1.1"}


@pytest.mark.parametrize(
    "files",
    [
        [{"filename": 1}],
        [{"filename": "a-1.tar.gz", "requires-python": 3}],
        {"filename": "a-1.tar.gz"},
        "a-1.tar.gz",
    ],
)
def test_a_json_page_of_other_types_is_no_index_page(files: object) -> None:
    with pytest.raises(PageError, match="not a PEP 691 page"):
        parse_json_page(json.dumps({"meta": META, "files": files}))


def test_the_types_pep_691_gives_pass() -> None:
    page = {
        "meta": META,
        "files": [{"filename": "a-1.tar.gz", "requires-python": None, "yanked": "bad"}],
    }
    assert parse_json_page(json.dumps(page)) == [("a-1.tar.gz", None, True)]
