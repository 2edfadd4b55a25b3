"""Bump rules per constraint style: exact texts, plus the invariants every rule must keep."""

from __future__ import annotations

import pytest
from poetry.core.constraints.version import Version
from poetry.core.constraints.version import VersionRange
from poetry.core.constraints.version import parse_constraint

from poetry_platform.up.constraints import Rules
from poetry_platform.up.constraints import Search
from poetry_platform.up.constraints import Skip
from poetry_platform.up.constraints import Style
from poetry_platform.up.constraints import UnsupportedConstraint
from poetry_platform.up.constraints import decide
from poetry_platform.up.constraints import parse
from poetry_platform.up.constraints import rewrite
from poetry_platform.up.constraints import shape

BUMP = [
    # (old, new version, expected) in Poetry syntax
    ("^1.2", "1.9.3", "^1.9.3"),
    ("^1.2", "1.9.0", "^1.9"),
    ("^4", "5.0.0", "^5"),
    ("^4", "5.2.1", "^5.2.1"),
    ("^1.2.3", "1.9", "^1.9.0"),
    ("^0.2", "0.2.7", "^0.2.7"),
    ("^0", "0.5.1", "^0,>=0.5.1"),
    ("~1.2", "1.2.7", "~1.2.7"),
    ("~1.2", "1.5.0", "~1.5"),
    ("~1", "2.0.0", "~2"),
    ("~1", "2.3.4", "~2,>=2.3.4"),
    ("~=2.5", "2.19.3", "~=2.19,>=2.19.3"),
    ("~=2.5", "2.19", "~=2.19"),
    ("~=2.5.0", "2.5.4", "~=2.5.4"),
    ("~=2.19,>=2.19.3", "2.21.0", "~=2.21"),
    ("~=2.19, >=2.19.3", "2.21.4", "~=2.21, >=2.21.4"),
    ("==1.2.*", "1.4.2", "==1.4.*,>=1.4.2"),
    ("1.2.*", "1.4.0", "1.4.*"),
    (">=1.2", "1.9.3", ">=1.9.3"),
    (">1.2", "1.9.3", ">=1.9.3"),
    (">= 0.4.30", "0.5.0", ">= 0.5.0"),
    (">=1.2,<2", "1.9.3", ">=1.9.3,<2"),
    (">=1.2 <2", "1.9.3", ">=1.9.3 <2"),
    (">=1.2, <2", "3.1.0", ">=3.1, <4"),
    (">=1.2,<1.5", "3.1.0", ">=3.1,<3.2"),
    (">=1.2.0,<2.0.0", "3.1.0", ">=3.1.0,<4.0.0"),
    (">=1.2,!=1.5,<2", "1.9", ">=1.9,!=1.5,<2"),
    ("<2", "3.1.0", "<4"),
    ("<=1.4", "3.1.5", "<=3.1.5"),
    ("==1.2.3", "1.4.0", "==1.4.0"),
    ("1.2.3", "1.4.1", "1.4.1"),
    ("==2.5.0+cpu", "2.6.0+cpu", "==2.6.0+cpu"),
    ("2.5.0+cu130", "2.6.0+cu130", "2.6.0+cu130"),
    ("^2.5.0+cpu", "2.6.0+cpu", "^2.6.0+cpu"),
    (">=2.5", "2.6.0+cpu", ">=2.6"),
    ("*", "2.32.3", "^2.32.3"),
    ("", "2.32.3", "^2.32.3"),
    # never downwards, never a no-op rewrite
    ("^1.2", "1.1", "^1.2"),
    ("^1.9.3", "1.9.3", "^1.9.3"),
    (">=2.0", "2.0.0", ">=2.0"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BUMP)
def test_bump(old: str, new: str, expected: str) -> None:
    assert rewrite(old, Version.parse(new)) == expected


@pytest.mark.parametrize(("old", "new"), [c[:2] for c in BUMP if c[2] != c[0]])
def test_bump_admits_new_and_nothing_below(old: str, new: str) -> None:
    version = Version.parse(new)
    result = parse_constraint(rewrite(old, version))
    assert result.allows(version)
    if isinstance(result, VersionRange) and result.min is not None:
        low = result.min
        if low.is_devrelease():  # `1.4.*` starts at 1.4.dev0, i.e. at the 1.4.0 release
            low = low.without_devrelease()
        assert low in (version, version.without_local())
        assert result.include_min


@pytest.mark.parametrize(
    ("old", "new"),
    [("~=2.5", "2.19.3"), ("~1", "2.3.4"), ("^0", "0.5.1"), ("^1.2", "1.9.3"), ("~1.2", "1.2.7")],
)
def test_bump_never_narrows_the_width(old: str, new: str) -> None:
    """The upper bound is where the user's operator puts it for the new version."""
    version = Version.parse(new)
    result = parse_constraint(rewrite(old, version))
    op = old.rstrip("0123456789.")
    precision = len(old[len(op) :].split("."))
    same_width = parse_constraint(op + ".".join(str(p) for p in version.parts[:precision]))
    assert isinstance(result, VersionRange)
    assert isinstance(same_width, VersionRange)
    assert result.max == same_width.max


PEP440 = [
    ("~=2.5", "2.19.3", "~=2.19,>=2.19.3"),
    (">=1.26", "2.1.0", ">=2.1"),
    (">=1.11,<2", "1.14.1", ">=1.14.1,<2"),
    ("==0.12.1", "0.13.0", "==0.13.0"),
    ("", "2.32.3", ">=2.32.3,<3.0.0"),
    ("", "0.5.1", ">=0.5.1,<0.6.0"),
]


@pytest.mark.parametrize(("old", "new", "expected"), PEP440)
def test_bump_pep440_never_writes_poetry_operators(old: str, new: str, expected: str) -> None:
    assert rewrite(old, Version.parse(new), pep440=True) == expected


WIDEN = [
    ("^1.2", "1.9.3", "^1.2"),  # already admitted: unchanged
    ("^4", "5.2.1", ">=4,<6"),
    ("~1.2", "1.5.0", ">=1.2,<1.6"),
    ("~=2.5", "3.1", ">=2.5,<4"),
    ("==1.2.*", "1.4.2", ">=1.2,<1.5"),
    (">=1.2, <2", "3.1.0", ">=1.2, <4"),
    (">=1.2,<1.5", "3.1.0", ">=1.2,<3.2"),
    (">=1.2,!=1.5,<2", "2.1", ">=1.2,!=1.5,<3"),
    ("^1.2,!=1.5", "2.1", ">=1.2,<3,!=1.5"),
    ("<2", "3.1.0", "<4"),
    (">=1.2", "9", ">=1.2"),
    ("*", "9", "*"),
    ("^1.2", "1.1", "^1.2"),
    ("==1.2.3", "1.4.0", "==1.4.0"),  # a pin cannot widen: it is replaced
]


@pytest.mark.parametrize(("old", "new", "expected"), WIDEN)
def test_widen(old: str, new: str, expected: str) -> None:
    assert rewrite(old, Version.parse(new), "widen") == expected


def test_lock_only_never_rewrites() -> None:
    assert rewrite("^1.2", Version.parse("3.0"), "lock-only") == "^1.2"


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("^1.2", Style.CARET),
        ("~1.2", Style.TILDE),
        ("~=1.2", Style.COMPATIBLE),
        ("~=2.19,>=2.19.3", Style.COMPATIBLE),
        ("1.2.*", Style.WILDCARD),
        (">=1.2", Style.LOWER),
        (">1.2", Style.LOWER),
        (">=1.2,<2", Style.RANGE),
        ("<2", Style.UPPER),
        ("==1.2.3", Style.PIN),
        ("1.2.3", Style.PIN),
        ("*", Style.ANY),
        ("", Style.ANY),
    ],
)
def test_styles(text: str, style: Style) -> None:
    assert shape(parse(text)).style is style


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("^1.2 || ^2", "union"),
        ("===1.0", "arbitrary equality"),
        (">=1,>=2", "more than one"),
        ("!=1.5", "only excludes"),
        ("1.2.3,<2", "mixes a pin"),
        ("foo", "cannot read"),
    ],
)
def test_unsupported_constraints_are_skipped_with_a_reason(text: str, reason: str) -> None:
    decision = decide(text, Rules())
    assert isinstance(decision, Skip)
    assert decision.rule == "unsupported"
    assert reason in decision.detail
    with pytest.raises(UnsupportedConstraint):
        parse(text) if reason == "cannot read" else rewrite(text, Version.parse("9"))


def _search(text: str, rules: Rules) -> Search:
    decision = decide(text, rules)
    assert isinstance(decision, Search), decision
    return decision


def test_default_bump_searches_inside_the_constraint() -> None:
    within = _search("^1.2", Rules()).within
    assert within.allows(Version.parse("1.9"))
    assert not within.allows(Version.parse("2.0"))


def test_latest_searches_everything_but_keeps_exclusions() -> None:
    within = _search(">=1.2,!=3.0,<2", Rules(latest=True)).within
    assert within.allows(Version.parse("4.0"))
    assert within.allows(Version.parse("1.0"))
    assert not within.allows(Version.parse("3.0"))


def test_widen_always_looks_at_the_newest_release() -> None:
    assert _search("^1.2", Rules(strategy="widen")).within.allows(Version.parse("7"))


@pytest.mark.parametrize(
    ("text", "rules", "rule", "reason"),
    [
        ("==1.2", Rules(), "pin", "--pinned"),
        ("1.2", Rules(latest=True), "pin", "--pinned"),
        ("*", Rules(preserve_wildcard=True), "wildcard-kept", "--preserve-wildcard"),
        ("<2", Rules(), "upper-only", "nothing to raise"),
        (">=1.2", Rules(strategy="widen"), "allows-every", "already allows"),
        ("*", Rules(strategy="widen"), "allows-every", "already allows"),
    ],
)
def test_skips(text: str, rules: Rules, rule: str, reason: str) -> None:
    from poetry_platform.up.plan import Skipped
    from poetry_platform.up.report import reason_text

    decision = decide(text, rules)
    assert isinstance(decision, Skip)
    assert decision.rule == rule  # the decision is data; the words are the report's
    assert reason in reason_text(Skipped(decision.rule))


def test_pinned_moves_pins_to_the_newest_release() -> None:
    assert _search("==1.2", Rules(pinned=True)).within.allows(Version.parse("9"))


def test_wildcard_is_bumped_by_default() -> None:
    assert _search("*", Rules()).style is Style.ANY


def test_parse_keeps_every_byte() -> None:
    for text in [" >= 1.2 ,  <2 ", "^1.2", ">=1.2 <2", "~=2.19, >=2.19.3", ""]:
        assert parse(text).text == text
