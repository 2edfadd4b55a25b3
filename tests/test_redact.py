"""The one redaction rule: userinfo in URLs, credential headers, known secrets."""

from __future__ import annotations

import io
import logging

import pytest
from cleo.io.inputs.string_input import StringInput
from cleo.io.io import IO
from cleo.io.outputs.stream_output import StreamOutput

from poetry_platform import redact as redact_module
from poetry_platform.redact import add_secrets_from_environment
from poetry_platform.redact import redact
from poetry_platform.redact import redact_data
from poetry_platform.redact import redacting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Authorization error accessing http://alice:S3cret@127.0.0.1:8/simple/numpy/",
            "Authorization error accessing http://***@127.0.0.1:8/simple/numpy/",
        ),
        ("https://token@host/simple/", "https://***@host/simple/"),
        ("https://alice:p@ss@host/x", "https://***@host/x"),  # a raw "@" in the password
        ("git+ssh://git@host/repo.git", "git+ssh://***@host/repo.git"),
        (
            "All attempts to connect to <c1>alice:S3cret@127.0.0.1:9</> failed.",
            "All attempts to connect to <c1>***@127.0.0.1:9</> failed.",
        ),
        ("Authorization: Basic YWxpY2U6UzNjcmV0", "Authorization: ***"),
        (
            "headers={'Authorization': 'Bearer abc.def', 'Accept': 'x'}",
            "headers={'Authorization': '***', 'Accept': 'x'}",
        ),
        ('{"X-Api-Key": "k-123456"}', '{"X-Api-Key": "***"}'),
        ("sent Bearer eyJhbGciOiJIUzI1NiJ9 to", "sent Bearer *** to"),
    ],
)
def test_credentials_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8/simple/numpy/",
        "numpy>=1.26 ; python_version >= '3.10'",
        "mail alice@example.org about torch==2.9.0+cpu",
        "Authorization error accessing the source",
        "Basic authentication failed for source private",
        "pkg @ https://host/pkg-1.0-py3-none-any.whl#sha256=abc",
        "12:30 at noon",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_known_secrets_from_poetry_variables_are_masked_anywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redact_module, "_secrets", set())
    add_secrets_from_environment(
        {"POETRY_HTTP_BASIC_PRIVATE_PASSWORD": "hunter22", "POETRY_HTTP_BASIC_X_USERNAME": "bob"}
    )
    assert redact("password hunter22 rejected for bob") == "password *** rejected for bob"


def test_json_documents_are_redacted_value_by_value() -> None:
    data = {"source": "https://u:p4ss@h/simple/", "n": 1, "list": ["http://a:b@h/"]}
    assert redact_data(data) == {
        "source": "https://***@h/simple/",
        "n": 1,
        "list": ["http://***@h/"],
    }


def test_console_and_log_lines_are_redacted_while_a_command_runs() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = IO(StringInput(""), StreamOutput(out), StreamOutput(err))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with redacting(console):
            console.write_line("source http://alice:S3cret@host/simple/")
            console.write_error_line(["x https://bob:Pw0rd@host/"])
            logging.getLogger("poetry.repositories").warning(
                "Authorization error accessing %s", "http://alice:S3cret@host/simple/a/"
            )
        console.write_line("after http://alice:S3cret@host/")  # the rule is lifted again
    finally:
        root.removeHandler(handler)
    assert out.getvalue() == ("source http://***@host/simple/\nafter http://alice:S3cret@host/\n")
    assert err.getvalue() == "x https://***@host/\n"
    assert stream.getvalue() == "Authorization error accessing http://***@host/simple/a/\n"
