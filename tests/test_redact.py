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


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redact_module, "_secrets", set())


@pytest.mark.usefixtures("no_secrets")
def test_a_secret_of_four_characters_is_masked_a_shorter_one_is_not() -> None:
    redact_module.add_secret("abcd")
    redact_module.add_secret("xyz")
    redact_module.add_secret(None)
    redact_module.add_secret("")
    assert redact("abcd xyz") == "*** xyz"


@pytest.mark.usefixtures("no_secrets")
def test_the_longer_of_two_overlapping_secrets_is_masked_whole() -> None:
    redact_module.add_secret("hunt")
    redact_module.add_secret("hunter22")
    assert redact("password hunter22, hint hunt") == "password ***, hint ***"


@pytest.mark.usefixtures("no_secrets")
def test_a_secret_containing_another_is_masked_whole_whatever_their_order() -> None:
    redact_module.add_secret("zz99")  # sorts after the longer one, and is inside it
    redact_module.add_secret("aazz99bb")
    assert redact("token aazz99bb") == "token ***"


@pytest.mark.usefixtures("no_secrets")
def test_every_credential_variable_poetry_reads_is_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POETRY_PYPI_TOKEN_PRIVATE", "pypi-tok3n")
    monkeypatch.setenv("poetry_http_basic_corp_password", "lower-case-pw")
    monkeypatch.setenv("POETRY_HTTP_BASIC_CORP_USERNAME", "alice")
    monkeypatch.setenv("POETRY_HTTP_BASIC_PASSWORD_HINT", "hint-text")
    add_secrets_from_environment()  # the process environment, when none is given
    text = "pypi-tok3n lower-case-pw alice hint-text"
    assert redact(text) == "*** *** alice hint-text"


@pytest.mark.usefixtures("no_secrets")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("no at sign: Authorization: Basic abc", "no at sign: Authorization: ***"),
        ("proxy-authorization=Basic xyz", "proxy-authorization=***"),
        ("Cookie: session=abc; id=2", "Cookie: ***"),
        ("Bearer short", "Bearer short"),  # too short to be a token
        ("Bearer abcdefgh", "Bearer ***"),
        ('{"Private-Token": "glpat-123"}', '{"Private-Token": "***"}'),
        ("https://u:p@h/ and https://v:q@h/", "https://***@h/ and https://***@h/"),
        ("alice:S3cret@host and bob:pw@host", "***@host and ***@host"),
    ],
)
def test_each_rule_masks_exactly_the_credential(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_json_documents_keep_their_shape_and_types() -> None:
    data = {"https://u:p@h/": ("http://a:b@h/", 2), "n": None, "ok": True, "f": 1.5}
    assert redact_data(data) == {
        "https://***@h/": ["http://***@h/", 2],
        "n": None,
        "ok": True,
        "f": 1.5,
    }
    assert redact_data("Bearer abcdefgh") == "Bearer ***"
    assert redact_data(7) == 7


def test_the_log_filter_lets_every_record_through_and_rewrites_only_secrets() -> None:
    clean = logging.LogRecord("poetry", logging.INFO, "f", 1, "resolving %s", ("numpy",), None)
    assert redact_module.RedactFilter().filter(clean) is True
    assert (clean.msg, clean.args) == ("resolving %s", ("numpy",))
    secret = logging.LogRecord(
        "poetry", logging.INFO, "f", 1, "GET %s", ("http://alice:S3cret@h/",), None
    )
    assert redact_module.RedactFilter().filter(secret) is True
    assert (secret.msg, secret.args) == ("GET http://***@h/", None)
    assert secret.getMessage() == "GET http://***@h/"


def test_poetry_and_cleo_log_handlers_are_redacted_while_a_command_runs() -> None:
    console = IO(StringInput(""), StreamOutput(io.StringIO()), StreamOutput(io.StringIO()))
    streams = {name: io.StringIO() for name in ("poetry", "poetry.core", "cleo")}
    handlers = {name: logging.StreamHandler(s) for name, s in streams.items()}
    for name, handler in handlers.items():
        logging.getLogger(name).addHandler(handler)
    try:
        with redacting(console):
            for name in streams:
                logging.getLogger(name).warning("to %s", "http://alice:S3cret@h/")
            assert all(redact_module._FILTER in h.filters for h in handlers.values())
        for name in streams:
            logging.getLogger(name).warning("after")
        assert not any(redact_module._FILTER in h.filters for h in handlers.values())
    finally:
        for name, handler in handlers.items():
            logging.getLogger(name).removeHandler(handler)
    for stream in streams.values():  # poetry.core's lines reach the poetry handler too
        lines = stream.getvalue().splitlines()
        assert lines[0] == "to http://***@h/"
        assert "S3cret" not in stream.getvalue()
        assert lines[-1] == "after"


def test_one_output_for_both_streams_is_wrapped_once_and_keeps_write_options() -> None:
    out = io.StringIO()
    shared = StreamOutput(out)
    console = IO(StringInput(""), shared, shared)
    with redacting(console):
        shared.write("a https://u:p@h/", True)  # new_line, passed by position
        shared.write(["b http://v:q@h/", " c"], new_line=False)
        with redacting(console):  # nested: already redacting, nothing wrapped twice
            console.write_error_line("d http://w:r@h/")
        console.write_line("e http://x:s@h/")  # still redacting after the inner block
    console.write_line("f http://y:t@h/")
    assert out.getvalue() == (
        "a https://***@h/\nb http://***@h/ cd http://***@h/\ne http://***@h/\nf http://y:t@h/\n"
    )


def test_an_exception_inside_the_block_leaves_the_redaction_in_place() -> None:
    """The application prints the error after the command returns: still redacted."""
    out = io.StringIO()
    console = IO(StringInput(""), StreamOutput(out), StreamOutput(io.StringIO()))
    try:
        with pytest.raises(RuntimeError), redacting(console):
            raise RuntimeError("boom")
        console.write_line("error http://alice:S3cret@h/")
        assert out.getvalue() == "error http://***@h/\n"
    finally:
        redact_module.uninstall([console.output, console.error_output, *redact_module._handlers()])


def test_a_second_command_in_the_same_process_is_redacted_too() -> None:
    out = io.StringIO()
    console = IO(StringInput(""), StreamOutput(out), StreamOutput(io.StringIO()))
    for _ in range(2):
        with redacting(console):
            console.write_line("x http://alice:S3cret@h/")
    assert out.getvalue() == "x http://***@h/\n" * 2


def test_lifting_the_rule_from_an_output_never_wrapped_is_harmless() -> None:
    output = StreamOutput(io.StringIO())
    redact_module.uninstall([output])
    output.write("plain")
