"""Score a finished mutmut run per module, and show every mutant the fast suite let live.

Run by scripts/mutation.sh inside its scratch copy, after `mutmut run` (mutmut's results are
read through mutmut itself, so the statuses mean what mutmut means). A mutant is killed when a
test failed or timed out on it. A surviving mutant listed in the equivalent-mutant file (one
that cannot change behaviour, with the reason) counts as killed; it is recognised by its
function and its changed lines, not by mutmut's number, which shifts when the function
changes. An entry that matches no survivor is reported as stale, so the list cannot hide one.

    python scripts/mutation_report.py --equivalent FILE [--min 95] src/poetry_platform/x.py...
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

KILLED = ("killed", "timeout", "caught by type check", "segfault")


@dataclass(frozen=True)
class Equivalent:
    function: str  # the mutant's name without `__mutmut_N`
    diff: tuple[str, ...]  # the changed lines, "-old" and "+new", stripped
    why: str


@dataclass
class Score:
    module: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: list[tuple[str, str, str]] = field(default_factory=list)  # name, status, diff

    @property
    def percent(self) -> float:
        return 100.0 * (self.killed + self.equivalent) / self.mutants if self.mutants else 100.0


def function_of(mutant: str) -> str:
    return mutant.rpartition("__mutmut_")[0]


def changed_lines(diff: str) -> tuple[str, ...]:
    return tuple(
        line[0] + line[1:].strip()
        for line in diff.splitlines()
        if line[:1] in "-+" and not line.startswith(("---", "+++"))
    )


def load_equivalents(path: Path) -> list[Equivalent]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = data.get("mutant", [])
    return [Equivalent(e["function"], changed_lines(e["diff"]), e["why"]) for e in entries]


def score(module: str, equivalents: list[Equivalent], used: set[Equivalent]) -> Score:
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    data = SourceFileMutationData(path=Path(module))
    data.load()
    result = Score(module)
    for name, code in sorted(data.exit_code_by_key.items(), key=lambda kv: _order(kv[0])):
        result.mutants += 1
        status = status_by_exit_code[code]
        if status in KILLED:
            result.killed += 1
            continue
        diff = get_diff_for_mutant(name, path=module)
        lines = changed_lines(diff)
        match = next(
            (e for e in equivalents if e.function == function_of(name) and e.diff == lines), None
        )
        if match is not None:
            result.equivalent += 1
            used.add(match)
        else:
            result.survivors.append((name, status, diff))
    return result


def _order(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number) if number.isdigit() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--equivalent", type=Path, required=True)
    parser.add_argument("--min", type=float, default=95.0)
    parser.add_argument("modules", nargs="+")
    args = parser.parse_args(argv)

    equivalents = load_equivalents(args.equivalent)
    used: set[Equivalent] = set()
    scores = [score(m, equivalents, used) for m in args.modules]

    for s in scores:
        for name, status, diff in s.survivors:
            print(f"\n{status}: {name}")
            body = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
            print("\n".join(body))
    prefixes = tuple(function_of_module(m) for m in args.modules)
    stale = [e for e in equivalents if e not in used and e.function.startswith(prefixes)]
    for e in stale:
        print(f"\nstale equivalent-mutant entry (no survivor has this change): {e.function}")
        print("\n".join(e.diff))

    print()
    width = max(len(s.module) for s in scores)
    print(f"{'module':<{width}}  mutants  killed  equivalent  survived   score")
    for s in scores:
        print(
            f"{s.module:<{width}}  {s.mutants:7}  {s.killed:6}  {s.equivalent:10}"
            f"  {len(s.survivors):8}  {s.percent:5.1f}%"
        )
    low = [s.module for s in scores if s.percent < args.min]
    if low:
        print(f"under {args.min:g}%: {', '.join(low)}")
        return 1
    return 0


def function_of_module(module: str) -> str:
    """`src/poetry_platform/up/constraints.py` -> `poetry_platform.up.constraints.`"""
    dotted = Path(module).with_suffix("").as_posix().removeprefix("src/").replace("/", ".")
    return dotted + "."


if __name__ == "__main__":
    sys.exit(main())
