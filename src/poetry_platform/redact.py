"""One redaction rule for everything the plugin prints or writes: no secret leaves it.

Credentials reach our output by many roads: a source URL with `user:password@` in it, Poetry's
own warnings ("Authorization error accessing http://alice:...@host"), its connection errors
(which print the URL's netloc, userinfo and all), uv's error output, headers in debug lines.
Rather than remember to scrub each message, everything goes through `redact()`:

- userinfo in a URL becomes `***` (`https://***@host/simple/`), with or without a scheme
  (`alice:S3cret@host` is how Poetry prints a netloc);
- the value of a credential header (`Authorization: Basic ...`, `Bearer ...`, API-key and
  token headers, cookies) becomes `***`;
- any secret registered with `add_secret()` (the passwords and tokens Poetry reads from
  `POETRY_HTTP_BASIC_*` / `POETRY_PYPI_TOKEN_*`) becomes `***` wherever it appears.

`commands/base.py` installs `redacting(io)` around our commands: the console outputs and
Poetry's log handlers pass every line through the rule. Code that writes files (exports,
reports) calls `redact()` / `redact_data()` itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from collections.abc import Mapping

    from cleo.io.io import IO
    from cleo.io.outputs.output import Output

MASK = "***"

# scheme://userinfo@ : userinfo runs to the last "@" before the host (a raw "@" in a password
# is not valid, but people write it and Python's urlsplit reads it that way too)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s?#<>\"'`]+@")
# user:password@host without a scheme, as in a netloc; the user part starts a word
_BARE_USERINFO = re.compile(
    r"(?<![\w.%+\-~:/@])[\w.%+\-~]+:[^\s/@<>\"'`]+@(?=[\w\[])",
)
_HEADERS = (
    r"authorization|proxy-authorization|x-api-key|api-key|private-token|job-token"
    r"|x-auth-token|x-access-token|x-jfrog-art-api|cookie|set-cookie"
)
# `Authorization: Basic abc` (a line of text) and `'Authorization': 'Basic abc'` (a repr)
_HEADER_LINE = re.compile(rf"(?i)(?P<name>\b(?:{_HEADERS}))(?P<sep>\s*[:=]\s*)[^\r\n]+")
_HEADER_QUOTED = re.compile(
    rf"(?i)(?P<name>[\"'](?:{_HEADERS})[\"']\s*:\s*)(?P<q>[\"'])(?:(?!(?P=q)).)*(?P=q)"
)
_BEARER = re.compile(r"\b(?P<kind>Bearer)\s+[A-Za-z0-9._~+/=\-]{8,}")

_secrets: set[str] = set()
_MIN_SECRET = 4  # shorter values would mask ordinary text


def add_secret(value: str | None) -> None:
    """Mask this exact value from now on (a password or token the process knows)."""
    if value and len(value) >= _MIN_SECRET:
        _secrets.add(value)


def add_secrets_from_environment(environ: Mapping[str, str] | None = None) -> None:
    """The credentials Poetry reads from the environment, registered as secrets."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        upper = name.upper()
        basic = upper.startswith("POETRY_HTTP_BASIC_") and upper.endswith("_PASSWORD")
        token = upper.startswith("POETRY_PYPI_TOKEN_")
        if basic or token:
            add_secret(value)


def redact(text: str) -> str:
    """`text` with every credential replaced by `***` (see the module docstring)."""
    if not text:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    if "@" in text:
        text = _URL_USERINFO.sub(rf"\g<scheme>{MASK}@", text)
        text = _BARE_USERINFO.sub(f"{MASK}@", text)
    text = _HEADER_QUOTED.sub(rf"\g<name>\g<q>{MASK}\g<q>", text)
    text = _HEADER_LINE.sub(rf"\g<name>\g<sep>{MASK}", text)
    return _BEARER.sub(rf"\g<kind> {MASK}", text)


def redact_data(data: Any) -> Any:
    """A JSON-like value with every string (keys too) redacted."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact_data(k): redact_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(v) for v in data]
    return data


class RedactFilter(logging.Filter):
    """Rewrites a log record's message through `redact()` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactFilter()
_MARK = "_poetry_platform_redacting"


def _wrap(output: Output) -> bool:
    """Make `output.write` redact; False when it already does."""
    if getattr(output, _MARK, False):
        return False
    write = output.write

    def redacting_write(messages: Any, *args: Any, **kwargs: Any) -> None:
        one = isinstance(messages, str)
        write(redact(messages) if one else [redact(m) for m in messages], *args, **kwargs)

    output.write = redacting_write  # type: ignore[method-assign]
    setattr(output, _MARK, True)
    return True


def _unwrap(output: Output) -> None:
    with contextlib.suppress(AttributeError):
        del output.write
        delattr(output, _MARK)


def _handlers() -> list[logging.Handler]:
    handlers = list(logging.getLogger().handlers)
    for name in ("poetry", "poetry.core", "cleo"):
        handlers += logging.getLogger(name).handlers
    return handlers


def install(io: IO) -> list[Any]:
    """Start redacting `io`'s outputs and the log handlers; returns what to `uninstall`."""
    add_secrets_from_environment()
    done: list[Any] = [o for o in {id(o): o for o in (io.output, io.error_output)}.values()]
    done = [o for o in done if _wrap(o)]
    for handler in _handlers():
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
            done.append(handler)
    return done


def uninstall(installed: list[Any]) -> None:
    for item in installed:
        if isinstance(item, logging.Handler):
            item.removeFilter(_FILTER)
        else:
            _unwrap(item)


@contextlib.contextmanager
def redacting(io: IO) -> Iterator[None]:
    """Redact everything written to `io` and logged while the block runs.

    On an exception the redaction stays: the application renders the error after the
    command returns, and it must not print a secret either.
    """
    installed = install(io)
    yield  # an exception here skips the uninstall, on purpose
    uninstall(installed)
