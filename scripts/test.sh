#!/usr/bin/env bash
# The whole check: lint, types, tests. Sets up .venv first if needed.
#   bash scripts/test.sh                  everything (what CI runs): the full suite on the
#                                         pinned (newest) Poetry, then the end-to-end smoke
#                                         (tests/test_poetry_matrix.py) on the newest patch of
#                                         every other supported minor; extra arguments go to
#                                         the full suite's pytest
#   bash scripts/test.sh --fast           lint, types and the tests not marked `slow` (no
#                                         Poetry lock, venv or install); the loop to run while
#                                         editing
#   bash scripts/test.sh --poetry 2.1.4   the fast suite on that released Poetry (its own
#                                         .venv-poetry/2.1.4), then the smoke on it
set -euo pipefail
cd "$(dirname "$0")/.."
fast=()
poetry=""
if [[ "${1:-}" == "--fast" ]]; then
    shift
    fast=(-m "not slow")
elif [[ "${1:-}" == "--poetry" ]]; then
    poetry=${2:?"--poetry needs a version, e.g. --poetry 2.1.4"}
    shift 2
fi
bash scripts/bootstrap.sh
smoke() {
    POETRY_PLATFORM_TEST_POETRY="$1" .venv/bin/python -m pytest -p no:randomly \
        tests/test_poetry_matrix.py -k every_command "${@:2}"
}
if [[ -n "$poetry" ]]; then
    python=$(.venv/bin/python scripts/poetry_matrix.py venv "$poetry")
    echo "== fast suite on Poetry $poetry ($python)"
    "$python" -m pytest -n "${PYTEST_WORKERS:-2}" -m "not slow" -p no:cacheprovider "$@"
    echo "== smoke on Poetry $poetry"
    smoke "$poetry"
    exit 0
fi
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" ${fast[@]+"${fast[@]}"} "$@"
if [[ ${#fast[@]} -eq 0 ]]; then
    read -r -a versions <<< "$(.venv/bin/python scripts/poetry_matrix.py versions --others)"
    for version in "${versions[@]}"; do
        echo "== smoke on Poetry $version"
        smoke "$version"
    done
fi
