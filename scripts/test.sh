#!/usr/bin/env bash
# The whole check: lint, types, tests. Sets up .venv first if needed.
#   bash scripts/test.sh            everything (what CI runs), extra arguments go to pytest
#   bash scripts/test.sh --fast     lint, types and the tests not marked `slow` (no Poetry
#                                   lock, venv or install); the loop to run while editing
set -euo pipefail
cd "$(dirname "$0")/.."
fast=()
if [[ "${1:-}" == "--fast" ]]; then
    shift
    fast=(-m "not slow")
fi
bash scripts/bootstrap.sh
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" ${fast[@]+"${fast[@]}"} "$@"
