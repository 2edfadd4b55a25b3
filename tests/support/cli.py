"""Reading command lines written in docs and examples against the real cleo commands."""

from __future__ import annotations

from typing import Any


def unknown_options(arguments: list[str], command: type[Any]) -> list[str]:
    """The options in `arguments` that `command` (with Poetry's application options) would
    refuse; an option's value is skipped, so `--variant cuda13` is one option, not two words."""
    from poetry.console.application import Application

    options = [*command.options, *Application().definition.options]
    longs = {o.name: o for o in options}
    shorts = {s: o for o in options if o.shortcut for s in o.shortcut.split("|")}
    unknown = []
    words = iter(arguments)
    for word in words:
        if word.startswith("--"):
            name, has_value, _ = word[2:].partition("=")
            option = longs.get(name)
        elif word.startswith("-") and len(word) > 1:
            name, has_value = word[1], word[2:]
            option = shorts.get(name)
        else:
            continue
        if option is None:
            unknown.append(word)
        elif option.accepts_value() and not has_value:
            next(words, None)
    return unknown
