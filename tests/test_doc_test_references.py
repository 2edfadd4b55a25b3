"""Every test docs/reliability.md cites exists: its file, and the function it names.

The document is a table of failure cases, each with the tests that prove the behaviour. A
renamed or deleted test would leave a row claiming a proof that no longer runs; this test
reads the citations as a reader does (`tests/x.py::test_a`, then `::test_b` for another test
of the same file, on the same line) and fails on any that points nowhere.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/reliability.md",)
CITATION = re.compile(r"`((?:tests/[\w/]+\.py)?)((?:::\w+)?)(\[[^`\]]*\])?`")


def citations(text: str) -> list[tuple[int, str, str]]:
    """(line number, file, function or "") for every test cited; a `::name` takes the file
    cited last on its line."""
    found: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        current = ""
        for match in CITATION.finditer(line):
            path, function, _param = match.groups()
            if not path and not function:
                continue  # `[login-page]`: a parameter of the test cited before it
            if path:
                current = path
            found.append((number, path or current, function.removeprefix("::")))
    return found


@functools.cache
def functions_in(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def missing(doc: str, text: str) -> list[str]:
    """One line per citation that points nowhere."""
    problems = []
    for number, path, function in citations(text):
        where = f"{doc}:{number}"
        if not path:
            problems.append(f"{where}: ::{function} with no test file before it on the line")
        elif not (ROOT / path).is_file():
            problems.append(f"{where}: {path} does not exist")
        elif function and function not in functions_in(ROOT / path):
            problems.append(f"{where}: {path} has no {function}")
    return problems


def test_every_test_the_reliability_table_cites_exists() -> None:
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert len(citations(text)) > 50  # it does read them
        assert missing(doc, text) == []


def test_a_citation_of_a_missing_test_or_file_is_found() -> None:
    text = (
        "| x | `tests/test_atomic.py::test_interrupts_only_inside_the_block`, `::no_such_test` |\n"
        "| y | `::orphan` and `tests/nowhere.py` and `[param]` |\n"
    )
    assert citations(text) == [
        (1, "tests/test_atomic.py", "test_interrupts_only_inside_the_block"),
        (1, "tests/test_atomic.py", "no_such_test"),
        (2, "", "orphan"),
        (2, "tests/nowhere.py", ""),
    ]
    assert missing("x.md", text) == [
        "x.md:1: tests/test_atomic.py has no no_such_test",
        "x.md:2: ::orphan with no test file before it on the line",
        "x.md:2: tests/nowhere.py does not exist",
    ]
