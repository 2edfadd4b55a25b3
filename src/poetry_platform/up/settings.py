"""platform-up's options, read once and checked: `Settings`, or one `UsageError`.

Options that cannot apply (a value, or a pair that contradicts itself) are refused before
any work, in one line that says what to drop; nothing is silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from poetry_platform.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

    from packaging.utils import NormalizedName

    from poetry_platform.up.constraints import Rules

FORMATS = ("table", "json", "markdown")


@dataclass(frozen=True)
class Settings:
    rules: Rules
    packages: frozenset[NormalizedName]
    exclude: frozenset[NormalizedName]
    exclude_zero_caret: bool
    dry_run: bool
    check: bool
    no_install: bool
    all_or_nothing: bool
    output: str
    resolve: bool = False  # dry run / check: re-lock a copy like the real run
    lookup_timeout: float | None = None  # seconds for all lookups; None: lookup's default

    @property
    def writes(self) -> bool:
        return not (self.dry_run or self.check)

    @property
    def machine(self) -> bool:
        return self.output != "table"


def parse_settings(options: Mapping[str, Any], packages: Sequence[str]) -> Settings:
    """Options as typed, checked: a value or a pair that cannot apply is one `UsageError`."""
    from packaging.utils import canonicalize_name

    from poetry_platform.index.deadline import timeout_option
    from poetry_platform.up.constraints import STRATEGIES
    from poetry_platform.up.constraints import Rules

    strategy = str(options.get("strategy") or "bump")
    output = str(options.get("format") or "table")
    json = bool(options.get("json"))
    if strategy not in STRATEGIES:
        raise UsageError(f"Unknown --strategy {strategy!r}; use one of {', '.join(STRATEGIES)}.")
    chosen = "json" if json else output
    if chosen not in FORMATS:
        raise UsageError(f"Unknown --format {chosen!r}; use one of {', '.join(FORMATS)}.")
    if json and output not in ("table", "json"):
        raise UsageError("--json and --format markdown are exclusive; pick one.")
    refuse_conflicts(options, packages, strategy)
    rules = Rules(
        strategy=strategy,
        latest=bool(options.get("latest")),
        pinned=bool(options.get("pinned")),
        preserve_wildcard=bool(options.get("preserve-wildcard")),
    )
    return Settings(
        rules=rules,
        packages=frozenset(canonicalize_name(p) for p in packages),
        exclude=frozenset(
            canonicalize_name(n)
            for value in options.get("exclude") or []
            for n in value.split(",")
            if n.strip()
        ),
        exclude_zero_caret=bool(options.get("exclude-zero-based-caret")),
        dry_run=bool(options.get("dry-run")),
        check=bool(options.get("check")),
        no_install=bool(options.get("no-install")),
        all_or_nothing=bool(options.get("all-or-nothing")),
        output=chosen,
        resolve=bool(options.get("resolve")),
        lookup_timeout=timeout_option(options.get("lookup-timeout")),
    )


# options that choose which constraints move and how: `lock-only` moves none
_BUMP_OPTIONS = (
    "latest",
    "pinned",
    "preserve-wildcard",
    "exclude-zero-based-caret",
    "all-or-nothing",
    "exclude",
)


def refuse_conflicts(options: Mapping[str, Any], packages: Sequence[str], strategy: str) -> None:
    """Options that cannot both apply are refused in one line, never silently ignored."""
    from packaging.utils import canonicalize_name

    if strategy == "lock-only":
        given = [f"--{name}" for name in _BUMP_OPTIONS if options.get(name)]
        given += ["package names"] if packages else []
        if given:
            listed = " and ".join([", ".join(given[:-1]), given[-1]] if len(given) > 1 else given)
            raise UsageError(
                f"--strategy lock-only leaves every constraint as it is, so {listed}"
                f" cannot apply; drop {'them' if len(given) > 1 else 'it'} or use"
                " --strategy bump."
            )
    if options.get("resolve") and not (options.get("dry-run") or options.get("check")):
        raise UsageError(
            "--resolve only applies with --dry-run or --check (a real run always re-locks);"
            " add one of them or drop --resolve."
        )
    named = {canonicalize_name(p) for p in packages}
    excluded = {
        canonicalize_name(n) for value in options.get("exclude") or [] for n in value.split(",")
    }
    both = sorted(named & excluded)
    if both:
        raise UsageError(
            f"{', '.join(both)} is both named and excluded (--exclude); keep one of the two."
        )
