#!/usr/bin/env bash
# Create .venv with the pinned Poetry, this plugin (editable) and the dev tools.
# Idempotent: a second run only re-checks. Needs only python3 (>=3.10) and PyPI's index.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.bootstrap-stamp
want=$(cat pyproject.toml $(ls poetry.lock 2>/dev/null) | sha256sum | cut -d" " -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25.1"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
.venv/bin/python scripts/lock_constraints.py > "$constraints"
.venv/bin/python -m pip install -q --disable-pip-version-check -c "$constraints" -e . --group dev
echo "$want" > "$stamp"
