"""Bump rules per constraint style: exact texts, plus the invariants every rule must keep."""

from __future__ import annotations

import pytest
from poetry.core.constraints.version import Version
from poetry.core.constraints.version import VersionRange
from poetry.core.constraints.version import parse_constraint

from poetry_platform.up.constraints import Rules
from poetry_platform.up.constraints import Search
from poetry_platform.up.constraints import Shape
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
    from poetry_platform.up.reasons import Skipped
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
    for text in [" >= 1.2 ,  <2 ", "^1.2", ">=1.2 <2", "~=2.19, >=2.19.3", "", "  "]:
        assert parse(text).text == text


# --- the rewriter's less common shapes: each row is what `platform-up` writes ----------------

SHAPES = [
    # (old, new version, expected, why)
    ("~=2.5+cpu", "2.19.3+cpu", "~=2.19+cpu,>=2.19.3+cpu", "a local label on the floor path"),
    ("~=2.5+cpu", "2.19.0+cpu", "~=2.19+cpu", "a local label, no floor needed"),
    ("~=2.5", "2.19.3+cpu", "~=2.19,>=2.19.3", "no label written where there was none"),
    ("^1.2+cpu", "1.4.0+cpu", "^1.4+cpu", "caret with a label"),
    (">=2.5+cpu", "2.6.0+cpu", ">=2.6+cpu", "lower bound with a label"),
    ("~1", "2.3.4+cu130", "~2,>=2.3.4", "tilde, the label dropped"),
    (">=1.2.0", "1.4", ">=1.4.0", "padded to the constraint's precision"),
    (">=1", "2.0.0", ">=2", "trailing zeros trimmed to the precision"),
    (">=1.2", "2.0.0rc1", ">=2.0.0rc1", "a pre-release keeps its zeros"),
    (">=1.2", "1.4.0.post1", ">=1.4.0.post1", "a post-release keeps its zeros"),
    (">=1.2", "1.4.0.dev2", ">=1.4.0.dev2", "a dev release keeps its zeros"),
    (">=1.2", "1!2.0", ">=1!2.0", "an epoch is kept"),
    (">=1.2.3.4", "1.2.3.5", ">=1.2.3.5", "four release parts"),
    ("<=1.4", "3.1.0", "<=3.1", "an inclusive upper bound moves to the new version"),
    ("<=1.4.0", "3.1.0+cpu", "<=3.1.0", "no label on an upper bound"),
    ("<=1.4", "2.0rc1", "<=2.0rc1", "an inclusive bound admits the pre-release"),
    ("<1.5", "3.1.0", "<3.2", "an exclusive bound moves at the minor"),
    ("<2.0.0", "3.1.0", "<4.0.0", "... at the major, precision kept"),
    ("<0.5", "0.7.1", "<0.8", "... a zero major"),
    (" * ", "2.32.3", " ^2.32.3 ", "spacing around the constraint kept"),
    (">=1.2,!=1.5", "1.1", ">=1.2,!=1.5", "never downwards past an exclusion"),
    ("!=1.5,<2", "3.0", "!=1.5,<4", "upper bound and an exclusion"),
    ("~=2.5, <3", "2.19.3", "~=2.19, >=2.19.3, <3", "the floor takes the user's separator"),
    ("~=2.5 <3", "2.19.3", "~=2.19,>=2.19.3 <3", "a comma where the user wrote spaces"),
    (">=2.19.3, ~=2.19", "2.21.0", "~=2.21", "a floor written first is dropped"),
    (">=2.19.3, ~=2.19", "2.21.4", ">=2.21.4, ~=2.21", "a floor written first is moved"),
    ("==1.2.*", "1.4.0", "==1.4.*", "wildcard at the series start"),
    ("1.2.*", "1.4.0rc1", "1.4.*,>=1.4.0rc1", "wildcard for a pre-release"),
    ("^0.0.3", "0.0.5", "^0.0.5", "caret below 0.1"),
    ("~1.2.3", "1.2.9", "~1.2.9", "tilde, same minor"),
    ("~1.2.3", "1.3.0", "~1.3.0", "tilde, next minor"),
    ("~=2.5.1", "2.6.3", "~=2.6.3", "compatible release of three parts"),
    ("~=2.5.1", "2.6.0", "~=2.6.0", "... at a series start"),
    (">1.2", "1.2.5", ">=1.2.5", "exclusive lower bound becomes inclusive"),
    ("==1.2.3", "1.2.3+cpu", "==1.2.3", "a local build of the pinned version changes nothing"),
    ("2.5.0+cu130", "2.6.0", "2.6.0", "a pin drops the label the new version lacks"),
    (">=2.19.3, ~=2.19,<3", "2.21.0", "~=2.21,<3", "a leading floor goes with its separator"),
    ("~=2.19 ,>=2.19.3, <3", "2.21.0", "~=2.21, <3", "a middle floor goes with the one before"),
    ("~=2.19, <3 ,>=2.19.3", "2.21.0", "~=2.21, <3", "a last floor goes with the one before"),
    ("~=2.5", "2.19.0+cpu", "~=2.19", "a local build at the series start needs no floor"),
    ("1.2.*", "1.4.0.dev0", "1.4.*", "the series' first dev release starts it"),
    ("1.2.*", "2", "2.0.*", "a short version padded to the wildcard's precision"),
    ("<1.5", "3", "<3.1", "a short version padded to the bound's position"),
    ("<2.0", "3.1.0", "<4.0", "the bound's last non-zero part sets the position"),
    ("<0.0", "0.0.5", "<0.1", "an all-zero bound moves at its last part"),
    (">1.2", "1.2", ">1.2", "never rewritten to admit what it excludes"),
    (">=2,<1", "3.0", ">=3,<4", "a range admitting nothing is made whole"),
    ("  ", "2.32.3", "  ^2.32.3", "spacing alone is kept once"),
]


@pytest.mark.parametrize(("old", "new", "expected", "why"), SHAPES)
def test_bump_shapes(old: str, new: str, expected: str, why: str) -> None:
    assert rewrite(old, Version.parse(new)) == expected, why


WIDEN_SHAPES = [
    ("~1", "2.3.4", ">=1,<3"),
    ("~=2.5.1", "2.7.0", ">=2.5.1,<2.8"),
    ("^0.2", "0.3.1", ">=0.2,<0.4"),
    ("^0.0.3", "0.0.5", ">=0.0.3,<0.0.6"),
    ("^0", "1.2", ">=0,<2"),
    ("1.2.*", "1.4.2", ">=1.2,<1.5"),
    ("~=2.19,>=2.19.3", "3.0.1", ">=2.19.3,<4"),
    ("~=2.5, <3", "3.1", ">=2.5, <4"),
    (">=1.2 <2", "3.1.0", ">=1.2 <4"),
    (" ^4 ", "5.2.1", " >=4,<6 "),
    ("^1.2", "1.9.0+cpu", "^1.2"),  # a local build of an admitted release: unchanged
    (">=2.0", "1.5", ">=2.0"),  # below the floor: unchanged
    ("<2,!=1.5", "1.5", "<2,!=1.5"),  # excluded, but below the bound: nothing to widen
    ("~1.2", "2", ">=1.2,<2.1"),
    ("^1.2,!=1.2", "1.2", "^1.2,!=1.2"),  # the floor itself excluded: nothing to widen
    ("^2.5.0+cpu", "2.5.0+cu130", "^2.5.0+cpu"),  # another local build of the floor
]


@pytest.mark.parametrize(("old", "new", "expected"), WIDEN_SHAPES)
def test_widen_shapes(old: str, new: str, expected: str) -> None:
    assert rewrite(old, Version.parse(new), "widen") == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("*", "2.32.3+cpu", ">=2.32.3,<3.0.0"),
        ("", "0.0.3", ">=0.0.3,<0.0.4"),
        ("*", "2.0.0rc1", ">=2.0.0rc1,<3.0.0"),
    ],
)
def test_fresh_pep440_constraint(old: str, new: str, expected: str) -> None:
    assert rewrite(old, Version.parse(new), pep440=True) == expected


REFUSED = [
    ("^1.2 || ^2", "a union of ranges (||) is not bumped"),
    ("^1.2|^2", "a union of ranges (||) is not bumped"),
    ("===1.0", "arbitrary equality (===) is never bumped"),
    (">=1.0;x", "cannot read constraint '>=1.0;x'"),
    ("@1.0", "cannot read constraint '@1.0'"),
    (">=1.0, <", "cannot read constraint '>=1.0, <'"),
    (">=1.0 x|y", "cannot read constraint '>=1.0 x|y'"),
    (">=1.0,", "cannot read constraint '>=1.0,'"),
    (" foo ", "cannot read constraint 'foo'"),
    ("1.2.x", "cannot read constraint '1.2.x'"),
    (">=*", "cannot read constraint '>=*'"),
    (">=1.2.*", "cannot read constraint '>=1.2.*'"),
    ("*,<2", "cannot read constraint '*,<2'"),
    ("^1,^2", "constraint '^1,^2' has more than one lower or upper bound"),
    (" <2,<3 ", "constraint '<2,<3' has more than one lower or upper bound"),
    (">=1,>=2", "constraint '>=1,>=2' has more than one lower or upper bound"),
    ("1.2.3,<2", "constraint '1.2.3,<2' mixes a pin and a range"),
    ("==1.2,>=1", "constraint '==1.2,>=1' mixes a pin and a range"),
    ("^1.2,>1.5", "constraint '^1.2,>1.5' is not a known style"),
    ("!=1.5", "constraint '!=1.5' only excludes versions: nothing to bump"),
]


@pytest.mark.parametrize(("text", "detail"), REFUSED)
def test_refused_constraints_say_exactly_why(text: str, detail: str) -> None:
    assert decide(text, Rules()) == Skip(None, "unsupported", detail)
    with pytest.raises(UnsupportedConstraint) as error:
        rewrite(text, Version.parse("9"))
    assert str(error.value) == detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("^1.2", Shape(Style.CARET, 0, None, None, ())),
        ("~=2.19,>=2.19.3", Shape(Style.COMPATIBLE, 0, 1, None, ())),
        (">=2.19.3,~=2.19", Shape(Style.COMPATIBLE, 1, 0, None, ())),
        ("~=2.5,<3,!=2.7", Shape(Style.COMPATIBLE, 0, None, 1, (2,))),
        (">=1.2,!=1.5,<2", Shape(Style.RANGE, 0, None, 2, (1,))),
        ("!=1.5,>=1", Shape(Style.LOWER, 1, None, None, (0,))),
        ("<2,!=1.5", Shape(Style.UPPER, None, None, 0, (1,))),
        ("=1.2.3", Shape(Style.PIN, 0, None, None, ())),
        ("==1.2,!=1.2.1", Shape(Style.PIN, 0, None, None, (1,))),
        ("=1.2.*", Shape(Style.WILDCARD, 0, None, None, ())),
        ("==*", Shape(Style.ANY, None, None, None, ())),
        ("=*", Shape(Style.ANY, None, None, None, ())),
        ("<=2", Shape(Style.UPPER, None, None, 0, ())),
    ],
)
def test_shape_names_each_clause_role(text: str, expected: Shape) -> None:
    assert shape(parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "rules", "expected"),
    [
        ("*", Rules(), (Style.ANY, "*")),
        ("", Rules(latest=True), (Style.ANY, "*")),
        ("*", Rules(preserve_wildcard=True), Skip(Style.ANY, "wildcard-kept")),
        ("*", Rules(strategy="widen", preserve_wildcard=True), Skip(Style.ANY, "wildcard-kept")),
        ("*", Rules(strategy="widen"), Skip(Style.ANY, "allows-every")),
        ("==1.2", Rules(latest=True), Skip(Style.PIN, "pin")),
        ("==1.2,!=1.5", Rules(pinned=True), (Style.PIN, "!=1.5")),
        (">=1.2", Rules(strategy="widen"), Skip(Style.LOWER, "allows-every")),
        (">=1.2,!=1.5", Rules(strategy="widen"), (Style.LOWER, "!=1.5")),
        (">=1.2", Rules(latest=True), (Style.LOWER, "*")),
        ("<2", Rules(), Skip(Style.UPPER, "upper-only")),
        ("<2,!=1.5", Rules(latest=True), (Style.UPPER, "!=1.5")),
        ("<2", Rules(strategy="widen"), (Style.UPPER, "*")),
        ("<2", Rules(strategy="lock-only"), (Style.UPPER, "<2")),
        (" ^1.2 ", Rules(), (Style.CARET, ">=1.2,<2.0")),
        ("^1.2,!=1.5", Rules(latest=True), (Style.CARET, "!=1.5")),
        ("~=2.5", Rules(strategy="widen", pinned=True), (Style.COMPATIBLE, "*")),
        (">=1.2,!=1.5,<2", Rules(), (Style.RANGE, ">=1.2,!=1.5,<2")),
    ],
)
def test_decide_table(text: str, rules: Rules, expected: Skip | tuple[Style, str]) -> None:
    """A skip is data; a search is the style and the range the newest release is taken from."""
    decision = decide(text, rules)
    if isinstance(decision, Search):
        assert isinstance(expected, tuple)
        # Compared as ranges: poetry-core 2.3 (Poetry 2.3.4) writes >=1.2,!=1.5,<2 as
        # '>=1.2,<1.5 || >1.5,<2', the same range.
        assert decision.style == expected[0]
        assert decision.within == parse_constraint(expected[1])
    else:
        assert decision == expected
